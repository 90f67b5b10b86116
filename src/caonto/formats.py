"""The one registry of formats: every layer (CLI, endpoint, pages, write path) asks it.

A :class:`Format` carries its short name, the other names it answers to (``format=``
values, CLI choices, media types), media type, file extension, W3C format IRI, and the
pyoxigraph and rdflib names of its reader/writer. Solutions formats (SELECT/ASK) and
graph formats (CONSTRUCT/DESCRIBE, files) are two kinds; a name is looked up within a
kind, so ``xml`` is SPARQL XML results for a SELECT and RDF/XML for a graph.
"""

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

SOLUTIONS, GRAPH = "solutions", "graph"
_W3C = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    name: str
    kind: str  # SOLUTIONS (SELECT/ASK) or GRAPH (CONSTRUCT/DESCRIBE, RDF files)
    media_type: str
    extension: str
    w3c: str  # http://www.w3.org/ns/formats/ IRI, for the service description
    aliases: tuple[str, ...] = field(default=())  # other names and media types it answers to
    rdf_format: ox.RdfFormat | None = None  # pyoxigraph reader/writer (graph formats)
    results_format: ox.QueryResultsFormat | None = None  # pyoxigraph writer (solutions)
    rdflib: str | None = None  # rdflib serializer plugin (graph formats)
    suffixes: tuple[str, ...] = field(default=())  # further file suffixes read as this format

    @property
    def content_type(self) -> str:
        text = self.media_type.startswith("text/") or self.media_type.endswith(("json", "xml"))
        return f"{self.media_type}; charset=utf-8" if text else self.media_type

    @property
    def is_quads(self) -> bool:
        """Whether it holds named graphs (TriG, N-Quads, JSON-LD)."""
        return bool(self.rdf_format and self.rdf_format.supports_datasets)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, self.extension, self.media_type, *self.aliases)


FORMATS: tuple[Format, ...] = (
    Format("json", SOLUTIONS, "application/sparql-results+json", "srj",
           _W3C + "SPARQL_Results_JSON", ("application/json",),
           results_format=ox.QueryResultsFormat.JSON),
    Format("xml", SOLUTIONS, "application/sparql-results+xml", "srx", _W3C + "SPARQL_Results_XML",
           ("application/xml", "text/xml"), results_format=ox.QueryResultsFormat.XML),
    Format("csv", SOLUTIONS, "text/csv", "csv", _W3C + "SPARQL_Results_CSV",
           results_format=ox.QueryResultsFormat.CSV),
    Format("tsv", SOLUTIONS, "text/tab-separated-values", "tsv", _W3C + "SPARQL_Results_TSV",
           results_format=ox.QueryResultsFormat.TSV),
    Format("turtle", GRAPH, "text/turtle", "ttl", _W3C + "Turtle",
           ("application/x-turtle", "n3", "text/n3", "text/rdf+n3"), ox.RdfFormat.TURTLE,
           rdflib="turtle", suffixes=(".n3",)),
    Format("ntriples", GRAPH, "application/n-triples", "nt", _W3C + "N-Triples",
           ("text/plain",), ox.RdfFormat.N_TRIPLES, rdflib="nt"),
    Format("jsonld", GRAPH, "application/ld+json", "jsonld", _W3C + "JSON-LD",
           ("json-ld", "application/json", "json"), ox.RdfFormat.JSON_LD, rdflib="json-ld",
           suffixes=(".json",)),
    Format("rdfxml", GRAPH, "application/rdf+xml", "rdf", _W3C + "RDF_XML",
           ("xml", "rdf+xml", "application/xml", "text/xml"), ox.RdfFormat.RDF_XML,
           rdflib="xml", suffixes=(".owl", ".xml")),
    Format("trig", GRAPH, "application/trig", "trig", _W3C + "TriG", (), ox.RdfFormat.TRIG,
           rdflib="trig"),
    Format("nquads", GRAPH, "application/n-quads", "nq", _W3C + "N-Quads", (),
           ox.RdfFormat.N_QUADS, rdflib="nquads"),
)
BY_NAME = {f.name: f for f in FORMATS}
DEFAULT = {SOLUTIONS: BY_NAME["json"], GRAPH: BY_NAME["turtle"]}


def of_kind(kind: str) -> list[Format]:
    return [f for f in FORMATS if f.kind == kind]


def lookup(name_or_type: str, kind: str) -> Format | None:
    """The format of ``kind`` that a name, extension, alias or media type names."""
    wanted = name_or_type.split(";")[0].strip().lower()
    return next((f for f in of_kind(kind) if wanted in f.names), None)


def for_media_type(media_type: str, kind: str = GRAPH) -> Format | None:
    """The format whose own media type is ``media_type`` (parameters such as ``charset``
    ignored): what a request body must declare."""
    base = media_type.split(";")[0].strip().lower()
    return next((f for f in of_kind(kind) if base == f.media_type), None)


def for_path(path: Path) -> Format | None:
    """The graph format a file name implies (``.ttl``, ``.nq``, ``.owl``, …), or None."""
    suffix = Path(path).suffix.lower()
    return next((f for f in of_kind(GRAPH)
                 if suffix == "." + f.extension or suffix in f.suffixes), None)


def file_suffixes() -> list[str]:
    """Every file suffix an RDF file may have."""
    return sorted({"." + f.extension for f in of_kind(GRAPH)}
                  | {s for f in of_kind(GRAPH) for s in f.suffixes})


def write_triples(triples, chosen: Format, graph: str | None = None,
                  prefixes: dict[str, str] | None = None) -> bytes:
    """pyoxigraph triples written in the graph format ``chosen``. A quads format (TriG,
    N-Quads, JSON-LD) puts them in the named graph ``graph``, else the default graph."""
    if chosen.is_quads:
        name = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        triples = [ox.Quad(t.subject, t.predicate, t.object, name) for t in triples]
    return ox.serialize(triples, format=chosen.rdf_format, prefixes=prefixes)
