"""``caonto serve``: the endpoint under waitress, a production WSGI server (never Flask's
development server, never debug mode). Registered on the CLI by ``add_serve_command``."""

import argparse
import logging
import sys

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _run(args: argparse.Namespace) -> int:
    import waitress

    from caonto.web import create_app

    config = {}
    if args.dataset:
        config["CAONTO_DATASET"] = args.dataset
    for option, key in (("timeout", "CAONTO_QUERY_TIMEOUT"), ("max_rows", "CAONTO_MAX_ROWS"),
                        ("workers", "CAONTO_WORKERS"), ("threads", "CAONTO_THREADS")):
        if getattr(args, option) is not None:
            config[key] = getattr(args, option)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app(config)
    if args.host not in _LOOPBACK:
        print(f"caonto serve: listening on {args.host}, beyond this machine", file=sys.stderr)
    print(f"caonto: SPARQL endpoint on http://{args.host}:{args.port}/sparql "
          f"({app.extensions['caonto'].engine.triples} triples)", file=sys.stderr, flush=True)
    try:
        # Waitress buffers each response whole; bodies are bounded by CAONTO_MAX_ROWS.
        waitress.serve(app, host=args.host, port=args.port,
                       threads=int(app.config["CAONTO_THREADS"]),
                       max_request_body_size=int(app.config["CAONTO_MAX_REQUEST_BYTES"]),
                       ident="caonto", clear_untrusted_proxy_headers=True,
                       connection_limit=200, channel_timeout=60)
    finally:
        app.extensions["caonto"].engine.close()
    return 0


def add_serve_command(subparsers) -> None:
    """Add ``serve`` to the caonto CLI's subparsers."""
    serve = subparsers.add_parser("serve", help="run the SPARQL endpoint (waitress)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--threads", type=int, help="waitress threads (CAONTO_THREADS, 8)")
    serve.add_argument("--workers", type=int,
                       help="query worker processes (CAONTO_WORKERS, one per CPU)")
    serve.add_argument("--timeout", type=float, help="query timeout, s (CAONTO_QUERY_TIMEOUT)")
    serve.add_argument("--max-rows", type=int, help="row cap (CAONTO_MAX_ROWS)")
    serve.add_argument("--dataset", metavar="FILE.nq",
                       help="serve this N-Quads file instead of the built dataset")
    serve.set_defaults(run=_run)
