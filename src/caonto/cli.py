"""The ``caonto`` command: validate, export, query, stats, build (and serve, when present).

Exit codes follow pySHACL's: 0 success / conforms, 1 violations, 2 unusable input.
"""

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from caonto import __version__
from caonto.build import BuildError, assemble, build_dataset
from caonto.inference import InconsistencyError, infer
from caonto.local_query import (
    QueryAnswer,
    QueryError,
    count_by_class_and_graph,
    open_store,
    run_query,
)
from caonto.pipeline import check, load_asserted, load_files
from caonto.rdf_io import FORMATS, RdfInputError, serialize

EXIT_OK, EXIT_VIOLATIONS, EXIT_UNUSABLE = 0, 1, 2


def _cmd_validate(args: argparse.Namespace) -> int:
    contribution = load_files(args.files)
    result = check(load_asserted(), contribution)
    if args.format == "json":
        payload = json.loads(result.report.to_json())
        payload["inconsistencies"] = result.inconsistencies
        payload["conforms"] = result.ok
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    elif args.format == "turtle":
        print(result.report.to_turtle())
    else:
        for message in result.inconsistencies:
            print(f"Inconsistent: {message}")
        if not result.inconsistencies:
            print(result.report.to_text())
    return EXIT_OK if result.ok else EXIT_VIOLATIONS


def _cmd_export(args: argparse.Namespace) -> int:
    asserted = load_asserted()
    contributed, contrib_log = {}, None
    if args.with_contributions:  # the graphs a server stored under CAONTO_CONTRIB_DIR
        from caonto.contrib.storage import StorageError, read_contributions

        try:
            contributed, contrib_log = read_contributions()
        except StorageError as error:
            print(f"caonto: cannot read the contributions: {error}", file=sys.stderr)
            return EXIT_UNUSABLE
    inferred = infer(asserted.union(*contributed.values())) if args.with_inferred else None
    if contributed:  # the log of who contributed what is published, not reasoned over
        from caonto.contrib.storage import GRAPH_CONTRIB_LOG

        contributed[str(GRAPH_CONTRIB_LOG)] = contrib_log
    dataset = assemble(asserted, inferred, contributed)
    payload = serialize(dataset, FORMATS[args.format])
    if args.output:
        Path(args.output).write_bytes(payload)
    else:
        sys.stdout.buffer.write(payload)
    return EXIT_OK


def _cmd_query(args: argparse.Namespace) -> int:
    text = Path(args.file).read_text(encoding="utf-8") if args.file else args.query
    if not text:
        print("caonto query: give a QUERY or -f FILE", file=sys.stderr)
        return EXIT_UNUSABLE
    store = open_store(build_dataset().nquads)
    try:
        table = run_query(store, text, inference=not args.no_inference)
    except QueryError as error:
        print(f"caonto query: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    sys.stdout.write(_render(table, args.format))
    return EXIT_OK


def _render(table: QueryAnswer, fmt: str) -> str:
    if isinstance(table, str):
        return table  # CONSTRUCT / DESCRIBE: already Turtle
    if isinstance(table, bool):
        return json.dumps({"boolean": table}) + "\n" if fmt == "json" else f"{str(table).lower()}\n"
    header, rows = table
    if fmt == "json":
        return json.dumps([dict(zip(header, row, strict=False)) for row in rows], ensure_ascii=False,
                          indent=2) + "\n"
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


def _cmd_stats(args: argparse.Namespace) -> int:
    built = build_dataset()
    per_graph, per_class = count_by_class_and_graph(open_store(built.nquads))
    if args.format == "json":
        print(json.dumps({"version": built.version, "sha256": built.sha256,
                          "graphs": per_graph, "classes": per_class}, indent=2))
        return EXIT_OK
    print(f"caonto {built.version}  sha256 {built.sha256}")
    print("\ntriples per graph")
    for graph, count in per_graph.items():
        print(f"  {count:>7}  {graph}")
    print("\ninstances per class (asserted / with inference)")
    for cls, (asserted, total) in per_class.items():
        print(f"  {asserted:>5} / {total:<5}  {cls}")
    return EXIT_OK


def _cmd_build(args: argparse.Namespace) -> int:
    built = build_dataset(force=args.force)
    print(f"{built.nquads}  sha256 {built.sha256}")
    for graph, count in built.triples_per_graph.items():
        print(f"  {count:>7}  {graph}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caonto", description="Central Asian international relations as linked data.")
    parser.add_argument("--version", action="version", version=f"caonto {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser(
        "validate", help="check RDF files against the ontology, inference and shapes")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.add_argument("--format", choices=["text", "json", "turtle"], default="text")
    validate.set_defaults(run=_cmd_validate)

    export = commands.add_parser("export", help="write the asserted graph (and closure)")
    export.add_argument("--with-inferred", action="store_true",
                        help="add the OWL-RL closure as the named graph caog:inferred")
    export.add_argument("--with-contributions", action="store_true",
                        help="add the contributed graphs and caog:contrib-log "
                             "(from CAONTO_CONTRIB_DIR)")
    export.add_argument("--format", choices=sorted(FORMATS), default="turtle")
    export.add_argument("-o", "--output", metavar="FILE")
    export.set_defaults(run=_cmd_export)

    query = commands.add_parser("query", help="run a SPARQL query on the built dataset")
    query.add_argument("query", nargs="?", help="the query text")
    query.add_argument("-f", "--file", help="read the query from FILE")
    query.add_argument("--format", choices=["table", "json", "csv"], default="table")
    query.add_argument("--no-inference", action="store_true",
                       help="query ontology + essay data only, without the closure")
    query.set_defaults(run=_cmd_query)

    stats = commands.add_parser("stats", help="counts per graph and per class")
    stats.add_argument("--format", choices=["text", "json"], default="text")
    stats.set_defaults(run=_cmd_stats)

    build = commands.add_parser("build", help="infer, validate and store the served dataset")
    build.add_argument("--force", action="store_true", help="rebuild even if inputs are unchanged")
    build.set_defaults(run=_cmd_build)

    try:
        from caonto.web.serve import add_serve_command
    except ImportError:  # the web layer is optional until installed
        pass
    else:
        add_serve_command(commands)
    from caonto.remote import add_publish_command  # needs only pyoxigraph
    add_publish_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except RdfInputError as error:
        print(f"caonto: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except (BuildError, InconsistencyError) as error:
        print(f"caonto: the project's data does not pass its checks:\n{error}", file=sys.stderr)
        return EXIT_VIOLATIONS
    except OSError as error:
        print(f"caonto: {error}", file=sys.stderr)
        return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
