"""``caonto validate FILE...``: shapes, ontology and inference over contributed files."""

import argparse
import json
from pathlib import Path

from caonto.cli import exits
from caonto.pipeline import check, load_asserted, load_files


def run(args: argparse.Namespace) -> int:
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
    return exits.OK if result.ok else exits.VIOLATIONS


def add_command(commands) -> None:
    command = commands.add_parser(
        "validate", help="check RDF files against the ontology, inference and shapes")
    command.add_argument("files", nargs="+", type=Path, metavar="FILE")
    command.add_argument("--format", choices=["text", "json", "turtle"], default="text")
    command.set_defaults(run=run)
