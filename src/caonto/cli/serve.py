"""``caonto serve``: the endpoint under waitress, a production WSGI server (never Flask's
development server, never debug mode).

``--processes N`` (N > 1) runs N copies of the server on one port (SO_REUSEPORT; the
kernel spreads connections): Flask and waitress then use more than one CPU, at the cost
of one query-worker pool, and so one copy of the data per worker, in each process.
It is for read-only servers: each process keeps its own copy of the contributed graphs,
so a write through one would not be seen by the others, and only one may hold the
contributions directory. With tokens configured, ``serve`` refuses ``--processes``.
"""

import argparse
import logging
import signal
import socket
import subprocess
import sys

import waitress

from caonto.cli.exits import UNUSABLE
from caonto.web import create_app

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


# command-line option -> the setting it gives (caonto.config)
OPTION_SETTINGS = {"dataset": "CAONTO_DATASET", "timeout": "CAONTO_QUERY_TIMEOUT",
                   "max_rows": "CAONTO_MAX_ROWS", "workers": "CAONTO_WORKERS",
                   "threads": "CAONTO_THREADS", "store": "CAONTO_STORE",
                   "store_update": "CAONTO_STORE_UPDATE", "store_gsp": "CAONTO_STORE_GSP"}


def _config(args: argparse.Namespace) -> dict:
    """The settings given as options; they win over the environment."""
    return {key: getattr(args, option) for option, key in OPTION_SETTINGS.items()
            if getattr(args, option) is not None}


def listening_address(host: str, port: int) -> str:
    """http://HOST:PORT/ — the base of links when CAONTO_BASE_URL is not set."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _serve_one(args: argparse.Namespace, reuse_port: bool) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = _config(args)
    if not args.settings.base_url:  # links and Location never come from the Host header
        config["CAONTO_BASE_URL"] = listening_address(args.host, args.port)
        if args.host in ("0.0.0.0", "::", ""):
            logging.getLogger("caonto").warning(
                "links will point to %s: set CAONTO_BASE_URL to the public address",
                config["CAONTO_BASE_URL"])
    app = create_app(config)
    sock = _listening_socket(args.host, args.port, reuse_port)
    # SIGTERM is a normal stop: unwind, so that the query workers are closed below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if not reuse_port:
        print(f"caonto: SPARQL endpoint on http://{args.host}:{args.port}/sparql "
              f"({app.extensions['caonto'].engine.triples} triples)", file=sys.stderr,
              flush=True)
    try:
        # Waitress buffers each response whole; bodies are bounded by CAONTO_MAX_ROWS.
        settings = app.extensions["caonto"].settings
        waitress.serve(app, sockets=[sock], threads=settings.threads,
                       max_request_body_size=settings.max_request_bytes,
                       ident="caonto", clear_untrusted_proxy_headers=True,
                       connection_limit=200, channel_timeout=60)
    finally:
        app.extensions["caonto"].engine.close()
    return 0


def _serve_many(args: argparse.Namespace, processes: int) -> int:
    """Start ``processes`` single servers sharing the port; stop them all together."""
    command = [sys.executable, "-m", "caonto.cli", "serve", "--host", args.host,
               "--port", str(args.port), "--processes", "1", "--_reuse-port"]
    for option in OPTION_SETTINGS:
        if getattr(args, option) is not None:
            command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    children = [subprocess.Popen(command) for _ in range(processes)]
    print(f"caonto: {processes} server processes on http://{args.host}:{args.port}/sparql",
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


def run(args: argparse.Namespace) -> int:
    if args.host not in _LOOPBACK:
        print(f"caonto serve: listening on {args.host}, beyond this machine", file=sys.stderr)
    processes = args.processes or args.settings.processes
    if processes > 1 and (args.settings.tokens or args.settings.tokens_file):
        print(f"caonto serve: --processes {processes} (CAONTO_PROCESSES) cannot be used with "
              "writes on (CAONTO_TOKENS / CAONTO_TOKENS_FILE): each process would keep its "
              "own copy of the contributed graphs, and only one may hold the contributions "
              "directory. Serve writes from one process (--processes 1), or run read-only "
              "without tokens.", file=sys.stderr)
        return UNUSABLE
    if processes > 1:
        return _serve_many(args, processes)
    return _serve_one(args, reuse_port=args._reuse_port)


def add_command(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="run the SPARQL endpoint (waitress)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--threads", type=int, help="waitress threads (CAONTO_THREADS, 8)")
    serve.add_argument("--workers", type=int,
                       help="query worker processes per server process (CAONTO_WORKERS)")
    serve.add_argument("--processes", type=int,
                       help="server processes sharing the port (CAONTO_PROCESSES, 1)")
    serve.add_argument("--timeout", type=float, help="query timeout, s (CAONTO_QUERY_TIMEOUT)")
    serve.add_argument("--max-rows", type=int, help="row cap (CAONTO_MAX_ROWS)")
    serve.add_argument("--dataset", metavar="FILE.nq",
                       help="serve this N-Quads file instead of the built dataset")
    serve.add_argument("--_reuse-port", dest="_reuse_port", action="store_true",
                       help=argparse.SUPPRESS)
    serve.add_argument("--store", metavar="URL",
                       help="serve from this remote SPARQL 1.1 query endpoint "
                            "(CAONTO_STORE) instead of local worker processes")
    serve.add_argument("--store-update", metavar="URL",
                       help="the remote store's SPARQL 1.1 update endpoint, for writes "
                            "(CAONTO_STORE_UPDATE)")
    serve.add_argument("--store-gsp", metavar="URL",
                       help="the remote store's Graph Store Protocol endpoint, for "
                            "contributed graphs (CAONTO_STORE_GSP)")
    serve.set_defaults(run=run)
