"""``caonto query``: SPARQL over the built dataset, in-process: a table to read, or the
W3C SPARQL 1.1 Query Results CSV and JSON formats (full IRIs, typed values) for other
tools. CONSTRUCT and DESCRIBE answers are Turtle."""

import argparse
import sys
from pathlib import Path

from caonto import formats
from caonto.build import build_dataset
from caonto.cli import exits
from caonto.engine.interface import QueryError
from caonto.engine.local import QueryAnswer, open_store, query_results, run_query


def run(args: argparse.Namespace) -> int:
    text = Path(args.file).read_text(encoding="utf-8") if args.file else args.query
    if not text:
        print("caonto query: give a QUERY or -f FILE", file=sys.stderr)
        return exits.UNUSABLE
    store = open_store(build_dataset(settings=args.settings).nquads)
    try:
        if args.format == "table":
            sys.stdout.write(render(run_query(store, text, inference=not args.no_inference)))
            return exits.OK
        written = query_results(store, text, formats.BY_NAME[args.format].results_format,
                                inference=not args.no_inference)
    except (QueryError, ValueError) as error:  # ValueError: ASK has no CSV form
        print(f"caonto query: {error}", file=sys.stderr)
        return exits.UNUSABLE
    if isinstance(written, bytes):
        sys.stdout.buffer.write(written if written.endswith(b"\n") else written + b"\n")
        sys.stdout.flush()
    else:
        sys.stdout.write(written)
    return exits.OK


def render(table: QueryAnswer) -> str:
    """An answer as a table for people: prefixed names, text with its language tag."""
    if isinstance(table, str):
        return table  # CONSTRUCT / DESCRIBE: already Turtle
    if isinstance(table, bool):
        return f"{str(table).lower()}\n"
    header, rows = table
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
    command.add_argument("--format", choices=["table", "json", "csv", "tsv", "xml"],
                         default="table",
                         help="table (for people), or a W3C SPARQL results format")
    command.add_argument("--no-inference", action="store_true",
                         help="query the asserted graphs only, without the closure")
    command.set_defaults(run=run)
