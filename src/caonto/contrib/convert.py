"""Moving graphs between rdflib (validation, files) and pyoxigraph (serving, updates).

Blank node identifiers are kept both ways, so the inferred graph's statements about a
contributed blank node still meet that node in the served store. Input from clients gets
``fresh_blank_nodes`` first: parsers keep document labels such as ``_:b0``, which would
otherwise merge with another graph's ``_:b0``.
"""

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import BNode, Graph

from caonto.namespaces import bind_prefixes
from caonto.rdf_io import to_oxigraph, to_rdflib


def oxigraph_triples(graph: Graph) -> list[ox.Triple]:
    return [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph]


def to_ntriples(graph: Graph) -> bytes:
    """N-Triples, sorted (stable across runs), blank node labels kept."""
    data = ox.serialize(oxigraph_triples(graph), format=ox.RdfFormat.N_TRIPLES)
    return b"".join(sorted(data.splitlines(keepends=True)))


def from_oxigraph(quads: Iterable[ox.Quad | ox.Triple]) -> Graph:
    graph = bind_prefixes(Graph())
    for quad in quads:
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph


def fresh_blank_nodes(graph: Graph) -> Graph:
    """A copy of ``graph`` whose blank nodes are new, process-unique ones."""
    renamed: dict[BNode, BNode] = {}

    def fresh(term):
        if isinstance(term, BNode):
            return renamed.setdefault(term, BNode())
        return term

    copy = bind_prefixes(Graph())
    for s, p, o in graph:
        copy.add((fresh(s), p, fresh(o)))
    return copy
