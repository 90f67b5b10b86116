"""``caonto build``: infer, validate and store the served dataset (reused while unchanged)."""

import argparse

from caonto.build import build_dataset
from caonto.cli import exits


def run(args: argparse.Namespace) -> int:
    built = build_dataset(force=args.force, settings=args.settings)
    print(f"{built.nquads}  sha256 {built.sha256}")
    for graph, count in built.triples_per_graph.items():
        print(f"  {count:>7}  {graph}")
    return exits.OK


def add_command(commands) -> None:
    command = commands.add_parser("build", help="infer, validate and store the served dataset")
    command.add_argument("--force", action="store_true",
                         help="rebuild even if inputs are unchanged")
    command.set_defaults(run=run)
