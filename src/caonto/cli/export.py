"""``caonto export``: the asserted graphs (and the closure, and contributions) as a file."""

import argparse
import sys
from pathlib import Path

from caonto import formats
from caonto.build import assemble
from caonto.cli import exits
from caonto.contrib.storage import StorageError, read_contributions
from caonto.inference import infer
from caonto.namespaces import GRAPH_CONTRIB_LOG
from caonto.pipeline import load_asserted
from caonto.rdf_io import serialize
from caonto.resources import contrib_dir, resource_paths

GRAPH_FORMAT_NAMES = sorted({name for f in formats.of_kind(formats.GRAPH)
                             for name in (f.name, f.extension, *f.aliases) if "/" not in name})


def chosen_format(args: argparse.Namespace) -> formats.Format | None:
    """``--format`` when given; else the format the output file's extension names
    (``all.nq`` is N-Quads); Turtle for standard output. None: an unknown extension."""
    if args.format:
        return formats.lookup(args.format, formats.GRAPH)
    if args.output:
        return formats.for_path(Path(args.output))
    return formats.DEFAULT[formats.GRAPH]


def run(args: argparse.Namespace) -> int:
    chosen = chosen_format(args)
    if chosen is None:
        print(f"caonto export: cannot tell the format from {args.output!r}; name the file "
              f"with one of {', '.join(formats.file_suffixes())} or give --format",
              file=sys.stderr)
        return exits.UNUSABLE
    asserted = load_asserted(resource_paths(args.settings))
    contributed, contrib_log = {}, None
    if args.with_contributions:  # the graphs a server stored under CAONTO_CONTRIB_DIR
        try:
            contributed, contrib_log = read_contributions(contrib_dir(args.settings))
        except StorageError as error:
            print(f"caonto: cannot read the contributions: {error}", file=sys.stderr)
            return exits.UNUSABLE
    inferred = infer(asserted.union(*contributed.values())) if args.with_inferred else None
    if contributed:  # the log of who contributed what is published, not reasoned over
        contributed[str(GRAPH_CONTRIB_LOG)] = contrib_log
    dataset = assemble(asserted, inferred, contributed)
    payload = serialize(dataset, chosen)
    if args.output:
        Path(args.output).write_bytes(payload)
    else:
        sys.stdout.buffer.write(payload)
    return exits.OK


def add_command(commands) -> None:
    command = commands.add_parser("export", help="write the asserted graph (and closure)")
    command.add_argument("--with-inferred", action="store_true",
                         help="add the OWL-RL closure as the named graph caog:inferred")
    command.add_argument("--with-contributions", action="store_true",
                         help="add the contributed graphs and caog:contrib-log "
                              "(from CAONTO_CONTRIB_DIR)")
    command.add_argument("--format", choices=GRAPH_FORMAT_NAMES,
                         help="default: from the extension of -o FILE (all.nq is N-Quads); "
                              "Turtle on standard output")
    command.add_argument("-o", "--output", metavar="FILE")
    command.set_defaults(run=run)
