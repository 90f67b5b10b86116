"""The caonto web application: ``create_app`` builds it, ``caonto serve`` runs it.

Every setting lives in ``app.config`` under a ``CAONTO_`` key (table in docs/endpoint.md).
Precedence: the ``config`` argument, then ``CAONTO_*`` environment variables, then the
defaults below. The query engine (worker processes holding the data) starts with the app.
Flask is imported inside the functions: the query workers import caonto.web.formats and
should not pay for Flask.
"""

import hashlib
import importlib
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULTS: dict[str, object] = {
    "CAONTO_DATASET": "",  # N-Quads file to serve; empty = the built dataset (caonto build)
    "CAONTO_DATASET_VERSION": "",  # empty = the build's version (or "dev" for a given file)
    "CAONTO_QUERY_TIMEOUT": 10.0,  # seconds per query, then its worker is killed
    "CAONTO_MAX_ROWS": 10_000,  # rows (or triples) per answer; more is truncated, flagged
    "CAONTO_MAX_REQUEST_BYTES": 1_048_576,  # request bodies and query strings, then 413/414
    "CAONTO_SERVICE_ALLOWLIST": "",  # space-separated IRIs SERVICE/FROM/LOAD may name
    "CAONTO_WORKERS": 0,  # query worker processes; 0 = one per CPU (at least 2, at most 8)
    "CAONTO_WORKER_MEMORY_MB": 4096,  # address-space cap per worker (>= 512); 0 = no cap
    "CAONTO_THREADS": 8,  # waitress threads (serve only)
    "CAONTO_CACHE_MB": 32,  # answers kept for repeated queries; 0 = no cache
    "CAONTO_DISK_STORE": "auto",  # workers share one on-disk store: on, off, auto (see below)
    "CAONTO_MEMORY_MB": 2048,  # what the server may use; "auto" picks the disk store beyond
    "CAONTO_STORE": "",  # a remote SPARQL 1.1 query endpoint to serve from (caonto.remote)
    "CAONTO_STORE_UPDATE": "",  # its SPARQL 1.1 update endpoint (writes); optional
    "CAONTO_STORE_GSP": "",  # its Graph Store Protocol endpoint (contributed graphs); optional
}

# Blueprints other modules contribute; each module exposes ``blueprint`` (or ``bp``).
# A module that does not exist yet is skipped.
OPTIONAL_BLUEPRINTS = ("caonto.web.pages", "caonto.web.contrib")
READ_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class ServedDataset:
    nquads: Path
    version: str
    sha256: str


def _coerce(default: object, raw: str) -> object:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def load_settings(config: dict | None = None) -> dict:
    """Defaults, overridden by CAONTO_* environment variables, overridden by ``config``.

    Raises ValueError naming the variable when an environment value has the wrong type.
    """
    settings = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        if key in os.environ:
            try:
                settings[key] = _coerce(default, os.environ[key])
            except ValueError:
                raise ValueError(f"{key}={os.environ[key]!r} is not a valid "
                                 f"{type(default).__name__}") from None
    settings.update(config or {})
    return settings


def _served_dataset(settings: dict) -> ServedDataset:
    if settings["CAONTO_DATASET"]:
        path = Path(settings["CAONTO_DATASET"])
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return ServedDataset(path, settings["CAONTO_DATASET_VERSION"] or "dev", digest)
    from caonto.build import build_dataset  # imported late: it pulls in owlrl and pyshacl

    built = build_dataset()
    return ServedDataset(built.nquads, settings["CAONTO_DATASET_VERSION"] or built.version,
                         built.sha256)


def register_optional_blueprint(app, module_name: str) -> bool:
    """Register ``module_name.blueprint`` (or ``.bp``) if the module exists; True if so.

    Only the module's own absence is tolerated: an ImportError inside it propagates.
    """
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return False
        raise
    app.register_blueprint(getattr(module, "blueprint", None) or module.bp)
    return True


def _open_cors_for_reads(response):
    from flask import request

    # Reads (any GET/HEAD, and queries POSTed to /sparql) are open to every origin.
    if request.method in READ_METHODS or request.endpoint == "sparql.query":
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = \
            "X-Caonto-Truncated, X-Caonto-Rows, Warning, Content-Disposition, Repr-Digest"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
            response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _use_disk_store(settings: dict, nquads: Path, workers: int) -> bool:
    """CAONTO_DISK_STORE: "on", "off", or "auto": on when a copy per worker would not fit
    in CAONTO_MEMORY_MB. Measured (benchmarks/scale-results.md): a worker peaks at about
    4.2x the N-Quads file size while it loads, the server process at ~150 MB. The shared
    on-disk store costs far less memory but answers joins several times slower."""
    choice = str(settings["CAONTO_DISK_STORE"]).strip().lower()
    if choice in ("auto", ""):
        size_mb = Path(nquads).stat().st_size / 2**20
        return 150 + workers * 4.2 * size_mb > float(settings["CAONTO_MEMORY_MB"])
    return choice in ("1", "true", "yes", "on")


def create_app(config: dict | None = None):
    """Build the app and start its query engine (stop it with ``app.extensions
    ["caonto"].engine.close()``). Raises ValueError for bad settings, EvaluationError
    when the data cannot be loaded, and the build's errors when building fails."""
    from flask import Flask

    from caonto.store import QueryEngine, default_workers
    from caonto.web import discovery, sparql
    from caonto.web.errors import register_error_handlers

    app = Flask(__name__)
    app.config.update(load_settings(config))
    app.config["DEBUG"] = False  # never: the debugger executes code for whoever reaches it
    app.config["MAX_CONTENT_LENGTH"] = app.config["CAONTO_MAX_REQUEST_BYTES"]
    dataset = _served_dataset(app.config)
    allow = frozenset(str(app.config["CAONTO_SERVICE_ALLOWLIST"]).replace(",", " ").split())
    workers = app.config["CAONTO_WORKERS"] or default_workers()
    if app.config["CAONTO_STORE"]:  # queries go to a remote SPARQL store (caonto.remote)
        from caonto.remote import engine_from_settings
        engine = engine_from_settings(app.config, allow)
    else:
        engine = QueryEngine(dataset.nquads, workers=workers,
                             timeout=float(app.config["CAONTO_QUERY_TIMEOUT"]),
                             max_rows=int(app.config["CAONTO_MAX_ROWS"]), allowlist=allow,
                             worker_memory_mb=int(app.config["CAONTO_WORKER_MEMORY_MB"]),
                             cache_bytes=int(float(app.config["CAONTO_CACHE_MB"]) * 1024 * 1024),
                             disk_store=_use_disk_store(app.config, dataset.nquads, workers))
    app.extensions["caonto"] = sparql.EndpointState(engine, dataset)
    app.extensions["caonto.engine"] = engine  # the handle other blueprints query through

    register_error_handlers(app)
    app.after_request(_open_cors_for_reads)
    app.register_blueprint(sparql.blueprint)
    app.register_blueprint(discovery.blueprint)
    for module_name in OPTIONAL_BLUEPRINTS:
        register_optional_blueprint(app, module_name)
    return app
