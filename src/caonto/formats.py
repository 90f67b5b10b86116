"""The one registry of formats: every layer (CLI, endpoint, pages, write path) asks it.

A :class:`Format` carries its short name, the other names it answers to (``format=``
values, CLI choices, media types), media type, file extension, W3C format IRI, and the
pyoxigraph and rdflib names of its reader/writer. Solutions formats (SELECT/ASK) and
graph formats (CONSTRUCT/DESCRIBE, files) are two kinds; a name is looked up within a
kind, so ``xml`` is SPARQL XML results for a SELECT and RDF/XML for a graph.
"""

import json
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
    N-Quads, JSON-LD) puts them in the named graph ``graph``, else the default graph.

    Of ``prefixes``, only those the triples use are declared (Turtle, TriG, RDF/XML); a
    JSON-LD answer is compacted with them as its ``@context``."""
    triples = list(triples)
    used = used_prefixes(triples, prefixes or {}, graph if chosen.is_quads else None)
    if chosen.is_quads:
        name = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        triples = [ox.Quad(t.subject, t.predicate, t.object, name) for t in triples]
    payload = ox.serialize(triples, format=chosen.rdf_format, prefixes=used)
    if chosen.rdf_format == ox.RdfFormat.JSON_LD and prefixes:
        payload = compact_jsonld(payload, used)
    elif chosen.rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        payload = _without_unused_prefix_lines(payload)
    return payload


def _without_unused_prefix_lines(document: bytes) -> bytes:
    """Turtle or TriG without the ``@prefix`` lines its body never uses (the writer
    abbreviates rdf:type as ``a`` and integers as numbers, so a namespace an IRI is in
    may still go unused)."""
    lines = document.split(b"\n")
    heads = [line for line in lines if line.startswith(b"@prefix ")]
    body = b"\n".join(line for line in lines if not line.startswith(b"@prefix "))
    unused = {line for line in heads
              if line.split(b" ", 2)[1] not in body}  # b"cao:" from b"@prefix cao: <...> ."
    return b"\n".join(line for line in lines if line not in unused)


def used_prefixes(triples, prefixes: dict[str, str], graph: str | None = None) -> dict[str, str]:
    """The entries of ``prefixes`` whose namespace some IRI of ``triples`` (a datatype
    included) starts with: what a document needs to declare."""
    iris = {graph} if graph else set()
    for triple in triples:
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal):
                iris.add(term.datatype.value)
    namespaces = {namespace for iri in iris for namespace in prefixes.values()
                  if iri.startswith(namespace) and len(iri) > len(namespace)}
    return {p: ns for p, ns in prefixes.items() if ns in namespaces}


def compact_jsonld(expanded: bytes, prefixes: dict[str, str]) -> bytes:
    """Expanded JSON-LD (pyoxigraph's) compacted with ``prefixes`` as its ``@context``:
    properties, ``@id``s, types and datatypes as prefixed names where a prefix fits.
    Nothing is lost: a JSON-LD processor expands it back to the same triples."""
    by_length = sorted(prefixes.items(), key=lambda item: -len(item[1]))

    def iri(value: str) -> str:
        for prefix, namespace in by_length:
            local = value[len(namespace):]
            if value.startswith(namespace) and local and not local.startswith("//"):
                return f"{prefix}:{local}"
        return value

    def node(item):
        if isinstance(item, list):
            return [node(i) for i in item]
        if not isinstance(item, dict):
            return item
        out = {}
        for key, value in item.items():
            if key in ("@id", "@type") and isinstance(value, str):
                out[key] = iri(value) if not value.startswith("_:") else value
            elif key == "@type":
                out[key] = [iri(v) for v in value]
            elif key.startswith("@"):
                out[key] = node(value)
            else:
                out[iri(key)] = node(value)
        return out

    document = json.loads(expanded)
    graph = document if isinstance(document, list) else [document]
    return json.dumps({"@context": dict(sorted(prefixes.items())), "@graph": node(graph)},
                      ensure_ascii=False, indent=1).encode("utf-8")
