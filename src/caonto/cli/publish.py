"""``caonto publish --to URL``: PUT every named graph into a Graph Store Protocol server."""

import argparse
import json
import sys
from pathlib import Path

from caonto.build import build_dataset
from caonto.cli import exits
from caonto.engine.interface import QueryTimeout
from caonto.engine.remote import RemoteError, digest_opener
from caonto.publish import publish


def run(args: argparse.Namespace) -> int:
    nquads = Path(args.dataset) if args.dataset else build_dataset(settings=args.settings).nquads
    authorization = args.authorization or args.settings.store_authorization
    headers = {"Authorization": authorization} if authorization else {}
    credentials = args.settings.store_credentials
    opener = digest_opener(credentials, [args.to]) if credentials else None
    try:
        counts = publish(nquads, args.to, timeout=args.timeout, headers=headers, opener=opener)
    except (RemoteError, QueryTimeout, SyntaxError, OSError) as error:
        print(f"caonto publish: {error}", file=sys.stderr, flush=True)
        return exits.UNUSABLE
    for name, count in counts.items():
        print(f"  {count:>8}  {name}")
    print(json.dumps({"published_to": args.to, "graphs": len(counts),
                      "triples": sum(counts.values())}))
    return exits.OK


def add_command(commands) -> None:
    command = commands.add_parser(
        "publish", help="load the dataset's named graphs into a Graph Store Protocol server")
    command.add_argument("--to", required=True, metavar="URL",
                         help="the store's Graph Store Protocol endpoint, e.g. "
                              "http://127.0.0.1:7878/store (Oxigraph), "
                              "http://127.0.0.1:3030/ds/data (Fuseki), "
                              "http://127.0.0.1:8890/sparql-graph-crud-auth (Virtuoso, with "
                              "CAONTO_STORE_CREDENTIALS for its HTTP Digest)")
    command.add_argument("--dataset", metavar="FILE.nq",
                         help="publish this N-Quads file instead of the built dataset")
    command.add_argument("--timeout", type=float, default=600.0,
                         help="seconds per graph (default 600)")
    command.add_argument("--authorization", metavar="VALUE",
                         help="an Authorization header for the store, e.g. 'Basic ...' "
                              "(default: CAONTO_STORE_AUTHORIZATION)")
    command.set_defaults(run=run)
