"""The npm packages' files the pages load (YASGUI, vis-network), served from the local
``node_modules`` (never a CDN)."""

from pathlib import Path

from flask import Blueprint, abort, send_file

from caonto.resources import source_checkout
from caonto.web.state import state

blueprint = Blueprint("assets", __name__)

# Files the pages load from node_modules: public name -> path inside node_modules.
ASSETS = {
    "yasgui.min.js": "@triply/yasgui/build/yasgui.min.js",
    "yasgui.min.css": "@triply/yasgui/build/yasgui.min.css",
    "vis-network.min.js": "vis-network/standalone/umd/vis-network.min.js",
}


def node_modules() -> Path:
    """``CAONTO_NODE_MODULES``, else ``node_modules`` at the repository root."""
    configured = state().settings.node_modules
    if configured:
        return Path(configured)
    return (source_checkout() or Path.cwd()) / "node_modules"


def assets_installed() -> bool:
    root = node_modules()
    return all((root / path).is_file() for path in ASSETS.values())


@blueprint.route("/assets/<name>")
def asset(name: str):
    if name not in ASSETS:
        abort(404)
    path = node_modules() / ASSETS[name]
    if not path.is_file():
        abort(404, "the UI assets are not installed: run `make install` (it runs `npm ci`)")
    return send_file(path, max_age=3600)
