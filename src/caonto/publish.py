"""Publishing: load the built dataset into any SPARQL 1.1 Graph Store Protocol server.

One ``PUT ?graph=IRI`` (N-Triples) per named graph, which replaces that graph whole, so
publishing twice leaves the same data.
"""

import urllib.request
from pathlib import Path

import pyoxigraph as ox

from caonto.engine.remote import put_graph


def graphs_of(nquads: Path) -> dict[str, bytes]:
    """The named graphs of an N-Quads file as N-Triples bytes (default-graph quads are
    not published: caonto's dataset has none)."""
    grouped: dict[str, list] = {}
    for quad in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS):
        if isinstance(quad.graph_name, ox.NamedNode):
            grouped.setdefault(quad.graph_name.value, []).append(quad.triple)
    return {name: ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
            for name, triples in grouped.items()}


def publish(nquads: Path, store_url: str, timeout: float = 600.0,
            headers: dict | None = None,
            opener: urllib.request.OpenerDirector | None = None) -> dict[str, int]:
    """PUT every named graph of ``nquads`` to ``store_url``; triples per graph published.
    ``opener`` carries authentication such as ``caonto.engine.remote.digest_opener``.

    Raises RemoteError (nothing is rolled back: graphs already PUT stay replaced)."""
    counts = {}
    for name, payload in graphs_of(nquads).items():
        put_graph(store_url, name, payload, timeout, headers, opener)
        counts[name] = payload.count(b"\n")
    return counts
