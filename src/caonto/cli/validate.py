"""``caonto validate FILE...``: shapes, ontology and inference over contributed files.

The report comes in the format asked for, also when a file cannot be used: with
``--format json`` an unreadable file is a JSON error on stdout (and exit code 2), so a
program reading the output always gets JSON.
"""

import argparse
import json
import sys
from pathlib import Path

from caonto.cli import exits
from caonto.pipeline import check, load_asserted, load_files
from caonto.rdf_io import RdfInputError


def _unusable(args: argparse.Namespace, error: Exception) -> int:
    if args.format != "json":
        raise error  # the command's own handler prints it as one line
    where = {"file": getattr(error, "source", None) or getattr(error, "filename", None),
             "line": getattr(error, "line", None), "column": getattr(error, "column", None)}
    print(json.dumps({"conforms": False, "error": "unusable input", "message": str(error),
                      **{k: v for k, v in where.items() if v is not None}},
                     ensure_ascii=False, indent=2))
    print(f"caonto: {error}", file=sys.stderr)
    return exits.UNUSABLE


def run(args: argparse.Namespace) -> int:
    try:
        contribution = load_files(args.files)
    except (RdfInputError, OSError) as error:
        return _unusable(args, error)
    result = check(load_asserted(), contribution)
    report = result.report
    if args.format == "json":
        print(report.to_json())
    elif args.format == "turtle":
        print(report.to_turtle())
    else:
        print(report.to_text())
    return exits.OK if result.ok else exits.VIOLATIONS


def add_command(commands) -> None:
    command = commands.add_parser(
        "validate", help="check RDF files against the ontology, inference and shapes")
    command.add_argument("files", nargs="+", type=Path, metavar="FILE")
    command.add_argument("--format", choices=["text", "json", "turtle"], default="text")
    command.set_defaults(run=run)
