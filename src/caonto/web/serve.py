"""``caonto serve``: the endpoint under waitress, a production WSGI server (never Flask's
development server, never debug mode). Registered on the CLI by ``add_serve_command``.

``--processes N`` (N > 1) runs N copies of the server on one port (SO_REUSEPORT; the
kernel spreads connections): Flask and waitress then use more than one CPU, at the cost
of one query-worker pool, and so one copy of the data per worker, in each process.
"""

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _listening_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def _config(args: argparse.Namespace) -> dict:
    config = {}
    if args.dataset:
        config["CAONTO_DATASET"] = args.dataset
    for option, key in (("timeout", "CAONTO_QUERY_TIMEOUT"), ("max_rows", "CAONTO_MAX_ROWS"),
                        ("workers", "CAONTO_WORKERS"), ("threads", "CAONTO_THREADS")):
        if getattr(args, option) is not None:
            config[key] = getattr(args, option)
    from caonto.remote import store_config  # --store URL: serve from a remote SPARQL store
    config.update(store_config(args))
    return config


def _serve_one(args: argparse.Namespace, reuse_port: bool) -> int:
    import waitress

    from caonto.web import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app(_config(args))
    sock = _listening_socket(args.host, args.port, reuse_port)
    # SIGTERM is a normal stop: unwind, so that the query workers are closed below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if not reuse_port:
        print(f"caonto: SPARQL endpoint on http://{args.host}:{args.port}/sparql "
              f"({app.extensions['caonto'].engine.triples} triples)", file=sys.stderr,
              flush=True)
    try:
        # Waitress buffers each response whole; bodies are bounded by CAONTO_MAX_ROWS.
        waitress.serve(app, sockets=[sock], threads=int(app.config["CAONTO_THREADS"]),
                       max_request_body_size=int(app.config["CAONTO_MAX_REQUEST_BYTES"]),
                       ident="caonto", clear_untrusted_proxy_headers=True,
                       connection_limit=200, channel_timeout=60)
    finally:
        app.extensions["caonto"].engine.close()
    return 0


def _serve_many(args: argparse.Namespace) -> int:
    """Start ``args.processes`` single servers sharing the port; stop them all together."""
    command = [sys.executable, "-m", "caonto.cli", "serve", "--host", args.host,
               "--port", str(args.port), "--processes", "1", "--_reuse-port"]
    for option in ("dataset", "timeout", "max_rows", "workers", "threads", "store",
                   "store_update", "store_gsp"):
        if getattr(args, option) is not None:
            command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    children = [subprocess.Popen(command) for _ in range(args.processes)]
    print(f"caonto: {args.processes} server processes on http://{args.host}:{args.port}/sparql",
          file=sys.stderr, flush=True)

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        codes = [child.wait() for child in children]
    except KeyboardInterrupt:
        stop()
        codes = [child.wait() for child in children]
    failed = [code for code in codes if code not in (0, -signal.SIGTERM)]
    return failed[0] if failed else 0


def _run(args: argparse.Namespace) -> int:
    if args.host not in _LOOPBACK:
        print(f"caonto serve: listening on {args.host}, beyond this machine", file=sys.stderr)
    if args.processes > 1:
        return _serve_many(args)
    return _serve_one(args, reuse_port=args._reuse_port)


def add_serve_command(subparsers) -> None:
    """Add ``serve`` to the caonto CLI's subparsers."""
    serve = subparsers.add_parser("serve", help="run the SPARQL endpoint (waitress)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--threads", type=int, help="waitress threads (CAONTO_THREADS, 8)")
    serve.add_argument("--workers", type=int,
                       help="query worker processes per server process (CAONTO_WORKERS)")
    serve.add_argument("--processes", type=int,
                       default=int(os.environ.get("CAONTO_PROCESSES", "1")),
                       help="server processes sharing the port (CAONTO_PROCESSES, 1)")
    serve.add_argument("--timeout", type=float, help="query timeout, s (CAONTO_QUERY_TIMEOUT)")
    serve.add_argument("--max-rows", type=int, help="row cap (CAONTO_MAX_ROWS)")
    serve.add_argument("--dataset", metavar="FILE.nq",
                       help="serve this N-Quads file instead of the built dataset")
    serve.add_argument("--_reuse-port", dest="_reuse_port", action="store_true",
                       help=argparse.SUPPRESS)
    from caonto.remote import add_store_options  # --store, --store-update, --store-gsp
    add_store_options(serve)
    serve.set_defaults(run=_run)
