"""The caonto web application: ``create_app`` wires it, ``caonto serve`` runs it.

Settings come from ``caonto.config`` (explicit ``config`` > environment > defaults; the
table is in docs/endpoint.md). The query engine (worker processes holding the data, or
a remote store) starts with the app. Blueprints:

- ``sparql``      — the SPARQL 1.1 Protocol, query side (``/sparql``)
- ``discovery``   — service description, VoID, dumps
- ``dereference`` — IRIs answer 303 to a page or a data document; the data documents
- ``views``       — the HTML pages: resources, ontology, home, search, query UI
- ``assets``      — the npm packages' files the pages load
- ``contrib``     — writes: SPARQL Update and the Graph Store Protocol
"""

from pathlib import Path

from flask import Flask, request

from caonto import config
from caonto.build import build_dataset, freeze
from caonto.contrib.auth import load_tokens
from caonto.dumps import Dumps
from caonto.engine.factory import open_engine
from caonto.engine.pool import default_workers
from caonto.resources import build_dir
from caonto.web import assets, contrib, dereference, discovery, sparql, views
from caonto.web.errors import ApiError, register_error_handlers
from caonto.web.fairness import ClientSlots
from caonto.web.negotiation import AcceptTooLarge, check_accept
from caonto.web.state import EndpointState, ServedDataset

READ_METHODS = ("GET", "HEAD", "OPTIONS")

# Pages load scripts and styles from this server only; no inline script runs (the pages'
# data travels in <script type="application/json"> blocks, which are not executed).
# Inline styles stay allowed: YASGUI and vis-network set them as they draw.
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"


def _served_dataset(settings: config.Settings) -> tuple[ServedDataset, Dumps]:
    """The dataset to serve, frozen (``caonto.build.freeze``): the engine, the write path
    and the dumps all read the same bytes, whose checksum is computed from them. Its
    dumps are the build's when the build is of the same bytes; the others are written in
    the background from now on (never by a request)."""
    built_dumps = {}
    if settings.dataset:  # someone else's file: it may be rewritten in place, so copy it
        source, version, ours = Path(settings.dataset), settings.dataset_version or "dev", False
    else:
        built = build_dataset(settings=settings)
        source, version, ours = built.nquads, settings.dataset_version or built.version, True
    path, digest = freeze(source, build_dir(settings) / "served", link=ours)
    if ours and digest == built.sha256:
        built_dumps = built.dumps
    dumps = Dumps(path, digest, built_dumps)
    dumps.start()
    return ServedDataset(path, version, digest), dumps


def _open_cors_for_reads(response):
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


def _refuse_oversized_headers() -> None:
    try:
        check_accept(request.headers.get("Accept"))
    except AcceptTooLarge as error:
        raise ApiError(400, str(error)) from None


def _security_headers(response):
    html = (response.mimetype or "") == "text/html"
    response.headers["Content-Security-Policy"] = PAGE_POLICY if html else OTHER_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def create_app(config_overrides: dict | None = None) -> Flask:
    """Build the app and start its query engine (stop it with ``app.extensions
    ["caonto"].engine.close()``). Raises ConfigError for bad settings (tokens included),
    OSError for an unreadable tokens file, EvaluationError
    when the data cannot be loaded, and the build's errors when building fails."""
    settings = config.load(config_overrides)
    app = Flask(__name__)
    app.config["DEBUG"] = False  # never: the debugger executes code for whoever reaches it
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    tokens = load_tokens(settings.tokens, settings.tokens_file)
    dataset, dumps = _served_dataset(settings)
    engine = open_engine(settings, dataset.nquads)
    workers = settings.workers or default_workers()
    slots = ClientSlots(settings.client_queries or max(1, workers - 1), settings.queue_wait)
    app.extensions["caonto"] = EndpointState(settings, engine, dataset, tokens, slots,
                                                   dumps)

    register_error_handlers(app)
    app.before_request(_refuse_oversized_headers)
    app.after_request(_open_cors_for_reads)
    app.after_request(_security_headers)
    for blueprint in (sparql.blueprint, discovery.blueprint, dereference.blueprint,
                      views.blueprint, assets.blueprint, contrib.blueprint):
        app.register_blueprint(blueprint)
    return app
