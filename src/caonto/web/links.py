"""Links between the persistent IRIs and the running server.

The persistent base ``https://w3id.org/caonto/`` maps to the running server: an IRI's
path after the base is the server path. Links and ``Location`` headers are absolute
against ``CAONTO_BASE_URL`` when it is set (``caonto serve`` sets it to the address it
listens on when the operator did not), else against the WSGI server's own name and port
— never the request's ``Host`` header, which the client chooses.

Only http(s) IRIs become links (``caonto.web.iris.linkable``): ``href`` answers None for
any other scheme, and the pages show such an IRI as text.
"""

from urllib.parse import quote

from flask import abort, request

from caonto.formats import Format
from caonto.namespaces import BASE, PREFIXES
from caonto.web.iris import is_iri, linkable
from caonto.web.state import state


def site_root() -> str:
    configured = state().settings.base_url
    return (configured or _server_address()).rstrip("/") + "/"


def _server_address() -> str:
    """scheme://name:port of the server from the WSGI environment (set by the server
    from its own configuration, not from request headers)."""
    environ = request.environ
    scheme = environ.get("wsgi.url_scheme", "http")
    name, port = environ.get("SERVER_NAME", "localhost"), str(environ.get("SERVER_PORT", ""))
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"
    default = {"http": "80", "https": "443"}.get(scheme)
    return f"{scheme}://{name}" + (f":{port}" if port and port != default else "")


def href(iri: str) -> str | None:
    """Where a browser goes for ``iri``: our server for caonto IRIs, the IRI itself for
    other http(s) IRIs, None (no link) for anything else."""
    if iri.startswith(BASE):
        return site_root() + quote(iri[len(BASE):], safe="/#?=&-._~")
    return iri if linkable(iri) else None


def iri_for_path(kind: str, rest: str) -> str:
    """The caonto IRI a URL path names; 404 when the path cannot be part of an IRI
    (spaces, brackets, NUL, bytes that were not UTF-8...)."""
    iri = BASE + kind + ("/" + rest if rest else "")
    if not is_iri(iri):
        abort(404, "this path names no caonto IRI")
    return iri


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
