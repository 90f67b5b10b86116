"""``caonto export``: the asserted graphs (and the closure, and contributions) as a file."""

import argparse
import sys
from pathlib import Path

from caonto import formats
from caonto.build import assemble
from caonto.cli import exits
from caonto.contrib.storage import GRAPH_CONTRIB_LOG, StorageError, read_contributions
from caonto.inference import infer
from caonto.pipeline import load_asserted
from caonto.rdf_io import serialize
from caonto.resources import contrib_dir, resource_paths

GRAPH_FORMAT_NAMES = sorted({name for f in formats.of_kind(formats.GRAPH)
                             for name in (f.name, f.extension, *f.aliases) if "/" not in name})


def run(args: argparse.Namespace) -> int:
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
    payload = serialize(dataset, formats.lookup(args.format, formats.GRAPH))
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
    command.add_argument("--format", choices=GRAPH_FORMAT_NAMES, default="turtle")
    command.add_argument("-o", "--output", metavar="FILE")
    command.set_defaults(run=run)
