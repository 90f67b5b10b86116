"""Links between the persistent IRIs and the running server.

The persistent base ``https://w3id.org/caonto/`` maps to the running server: an IRI's
path after the base is the server path. Links and ``Location`` headers are absolute
against ``CAONTO_BASE_URL`` when it is set, else against the address the request reached.
"""

from urllib.parse import quote

from flask import request

from caonto.formats import Format
from caonto.namespaces import BASE, PREFIXES
from caonto.web.state import state


def site_root() -> str:
    configured = state().settings.base_url
    return (configured or request.url_root).rstrip("/") + "/"


def href(iri: str) -> str:
    """Where a browser goes for ``iri``: our server for caonto IRIs, the IRI elsewhere."""
    if iri.startswith(BASE):
        return site_root() + quote(iri[len(BASE):], safe="/#?=&-._~")
    return iri


def iri_for_path(kind: str, rest: str) -> str:
    return BASE + kind + ("/" + rest if rest else "")


def _iri_path(iri: str) -> tuple[str, str]:
    """(kind, rest) of a caonto IRI: ``.../id/kazakhstan`` -> ("id", "kazakhstan")."""
    kind, _, rest = iri[len(BASE):].partition("/")
    return kind, rest


def page_url(iri: str, **params) -> str:
    kind, rest = _iri_path(iri)
    path = f"page/{kind}" + (f"/{rest}" if rest else "")
    query = "&".join(f"{k}={quote(str(v))}" for k, v in params.items() if v)
    return site_root() + quote(path, safe="/-._~") + (f"?{query}" if query else "")


def data_url(iri: str, chosen: Format) -> str:
    kind, rest = _iri_path(iri)
    path = f"data/{kind}" + (f"/{rest}" if rest else "") + f".{chosen.extension}"
    return site_root() + quote(path, safe="/-._~")


def compact(iri: str) -> str:
    """``cao:State`` for IRIs in a known namespace, the IRI otherwise."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri
