"""``caonto stats``: triples per graph and instances per class of the built dataset."""

import argparse
import json

from caonto.build import build_dataset
from caonto.cli import exits
from caonto.engine.local import count_by_class_and_graph, count_record, open_store


def run(args: argparse.Namespace) -> int:
    built = build_dataset(settings=args.settings)
    store = open_store(built.nquads)
    per_graph, per_class = count_by_class_and_graph(store)
    record = count_record(store)
    if args.format == "json":
        print(json.dumps({"version": built.version, "sha256": built.sha256,
                          "graphs": per_graph, "classes": per_class, "record": record},
                         indent=2))
        return exits.OK
    print(f"caonto {built.version}  sha256 {built.sha256}")
    print("\nstatements (triples) per graph")
    for graph, count in per_graph.items():
        print(f"  {count:>7}  {graph}")
    print("\nthe record")
    print(f"  {record['statements']:>7}  record statements")
    print(f"  {record['sourced']:>7}  with a source page and a quote ({record['pages']} pages)")
    print(f"  {record['deprecated']:>7}  deprecated by the curators")
    print(f"  {record['discrepancies']:>7}  discrepancies with the essay")
    print(f"  {record['claims']:>7}  essay claims with a record counterpart")
    print("\ninstances per class (asserted / with inference)")
    for cls, (asserted, total) in per_class.items():
        print(f"  {asserted:>5} / {total:<5}  {cls}")
    return exits.OK


def add_command(commands) -> None:
    command = commands.add_parser("stats", help="counts per graph and per class")
    command.add_argument("--format", choices=["text", "json"], default="text")
    command.set_defaults(run=run)
