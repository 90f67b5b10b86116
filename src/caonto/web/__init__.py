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
from caonto.engine.factory import open_engine
from caonto.resources import build_dir
from caonto.web import assets, contrib, dereference, discovery, sparql, views
from caonto.web.errors import register_error_handlers
from caonto.web.state import EndpointState, ServedDataset

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def _served_dataset(settings: config.Settings) -> ServedDataset:
    """The dataset to serve, frozen (``caonto.build.freeze``): the engine, the write path
    and the dumps all read the same bytes, whose checksum is computed from them."""
    if settings.dataset:  # someone else's file: it may be rewritten in place, so copy it
        source, version, ours = Path(settings.dataset), settings.dataset_version or "dev", False
    else:
        built = build_dataset(settings=settings)
        source, version, ours = built.nquads, settings.dataset_version or built.version, True
    path, digest = freeze(source, build_dir(settings) / "served", link=ours)
    return ServedDataset(path, version, digest)


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
    dataset = _served_dataset(settings)
    engine = open_engine(settings, dataset.nquads)
    app.extensions["caonto"] = EndpointState(settings, engine, dataset, tokens)

    register_error_handlers(app)
    app.after_request(_open_cors_for_reads)
    for blueprint in (sparql.blueprint, discovery.blueprint, dereference.blueprint,
                      views.blueprint, assets.blueprint, contrib.blueprint):
        app.register_blueprint(blueprint)
    return app
