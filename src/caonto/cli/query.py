"""``caonto query``: SPARQL over the built dataset, in-process, printed as a table."""

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from caonto.build import build_dataset
from caonto.cli import exits
from caonto.engine.interface import QueryError
from caonto.engine.local import QueryAnswer, open_store, run_query


def run(args: argparse.Namespace) -> int:
    text = Path(args.file).read_text(encoding="utf-8") if args.file else args.query
    if not text:
        print("caonto query: give a QUERY or -f FILE", file=sys.stderr)
        return exits.UNUSABLE
    store = open_store(build_dataset(settings=args.settings).nquads)
    try:
        table = run_query(store, text, inference=not args.no_inference)
    except QueryError as error:
        print(f"caonto query: {error}", file=sys.stderr)
        return exits.UNUSABLE
    sys.stdout.write(render(table, args.format))
    return exits.OK


def render(table: QueryAnswer, fmt: str) -> str:
    if isinstance(table, str):
        return table  # CONSTRUCT / DESCRIBE: already Turtle
    if isinstance(table, bool):
        return json.dumps({"boolean": table}) + "\n" if fmt == "json" else f"{str(table).lower()}\n"
    header, rows = table
    if fmt == "json":
        return json.dumps([dict(zip(header, row, strict=False)) for row in rows],
                          ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue()
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def add_command(commands) -> None:
    command = commands.add_parser("query", help="run a SPARQL query on the built dataset")
    command.add_argument("query", nargs="?", help="the query text")
    command.add_argument("-f", "--file", help="read the query from FILE")
    command.add_argument("--format", choices=["table", "json", "csv"], default="table")
    command.add_argument("--no-inference", action="store_true",
                         help="query the asserted graphs only, without the closure")
    command.set_defaults(run=run)
