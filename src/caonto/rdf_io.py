"""Reading and writing RDF files, with errors that name file, line and column.

Parsing goes through pyoxigraph: it is fast, reports precise positions, never fetches
remote JSON-LD contexts, and never reads external XML entities. It does expand *internal*
XML entities, so RDF/XML with entity declarations is refused before parsing (the
"billion laughs" bomb). Parsed terms are converted to rdflib terms, because owlrl and
pyshacl work on rdflib graphs.
"""

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier

from caonto import formats
from caonto.formats import Format
from caonto.namespaces import bind_prefixes


class RdfInputError(ValueError):
    """RDF input that cannot be used; ``str()`` reads ``file:line:column: message``."""

    def __init__(self, message: str, source: str = "<input>", line: int | None = None,
                 column: int | None = None):
        self.message, self.source, self.line, self.column = message, source, line, column
        where = source if line is None else f"{source}:{line}:{column or 1}"
        super().__init__(f"{where}: {message}")


def load_nquads(store: ox.Store, path: Path) -> None:
    """Add an N-Quads file to ``store`` with its blank node labels as written.

    ``Store.load`` and ``bulk_load`` give every blank node a fresh label; the
    contributions gateway reads the same file with the file's labels, so the closure it
    publishes after a write would no longer meet the nodes it is about."""
    store.bulk_extend(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))


def format_for_path(path: Path) -> Format:
    """The RDF format a file name implies; RdfInputError for an unknown suffix."""
    found = formats.for_path(path)
    if found is None:
        known = ", ".join(formats.file_suffixes())
        raise RdfInputError(f"unknown RDF file type {path.suffix!r} (known: {known})", str(path))
    return found


def _refuse_xml_entities(data: bytes, source: str) -> None:
    if b"<!ENTITY" in data:
        line = data[: data.index(b"<!ENTITY")].count(b"\n") + 1
        raise RdfInputError("XML entity declarations are not accepted in RDF/XML", source, line)


def literal(lexical: str, datatype: str | None = None, lang: str | None = None) -> Literal:
    """The rdflib literal with exactly this lexical form.

    rdflib rewrites lexical forms by default ("01"^^xsd:integer to "1", "NaN"^^xsd:float
    to the invalid "nan"), and collapses xsd:token whitespace even when asked not to; an
    RDF term *is* its lexical form, so what was sent is what is stored and served."""
    if lang:
        return Literal(lexical, lang=lang)
    if datatype is None or datatype == str(XSD.string):
        return Literal(lexical)
    term = Literal(lexical, datatype=datatype, normalize=False)
    if str(term) != lexical:  # xsd:token / normalizedString: build it as a string first
        term = Literal(lexical, datatype=_LEXICAL_KEPT, normalize=False)
        term._datatype, term._value = URIRef(datatype), None  # noqa: SLF001 — see above
    return term


# A datatype rdflib does not know, so it keeps the lexical form untouched.
_LEXICAL_KEPT = URIRef("urn:caonto:lexical-form-kept")


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.DefaultGraph) -> Identifier:
    """One pyoxigraph term as the same rdflib term: IRIs, blank node labels and literals'
    lexical forms unchanged (xsd:string literals become plain)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        return literal(term.value, term.datatype.value, term.language)
    raise RdfInputError(f"unsupported RDF term {term!r} (RDF-star is not supported)")


def to_oxigraph(term: Identifier) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """One rdflib term as pyoxigraph's; RdfInputError for anything else (e.g. a variable)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise RdfInputError(f"not an RDF term: {term!r}")


def read_quads(data: bytes, fmt: Format, source: str = "<input>",
               base_iri: str | None = None) -> Iterator[ox.Quad]:
    """Parse ``data`` lazily into pyoxigraph quads; RdfInputError with the position on bad syntax."""
    if fmt.rdf_format == ox.RdfFormat.RDF_XML:
        _refuse_xml_entities(data, source)
    try:
        yield from ox.parse(data, format=fmt.rdf_format, base_iri=base_iri)
    except SyntaxError as error:
        message = str(error.msg) if getattr(error, "msg", None) else str(error)
        raise RdfInputError(message, source, error.lineno, error.offset) from None


def parse_bytes(data: bytes, fmt: Format, source: str = "<input>",
                base_iri: str | None = None, into: Graph | None = None) -> Graph:
    """Parse ``data`` and add its triples (quads flattened) to ``into`` or a new graph.

    Blank nodes are labelled from the content: a hash of ``data`` and the order in which
    the parser meets them. The parser's own labels are random, and they end up in the
    built N-Quads, so this is what makes a build byte-for-byte reproducible."""
    graph = into if into is not None else Graph()
    prefix = "c" + hashlib.sha256(data).hexdigest()[:20] + "n"
    labels: dict[str, BNode] = {}

    def term(node) -> Identifier:
        if isinstance(node, ox.BlankNode):
            found = labels.get(node.value)
            if found is None:
                found = labels[node.value] = BNode(f"{prefix}{len(labels)}")
            return found
        return to_rdflib(node)

    for quad in read_quads(data, fmt, source, base_iri):
        graph.add((term(quad.subject), to_rdflib(quad.predicate), term(quad.object)))
    return graph


def parse_file(path: Path, into: Graph | None = None) -> Graph:
    """Parse one RDF file (format from its suffix) into ``into`` or a new graph."""
    path = Path(path)
    fmt = format_for_path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RdfInputError(error.strerror or str(error), str(path)) from None
    return parse_bytes(data, fmt, str(path), base_iri=path.resolve().as_uri(), into=into)


def parse_files(paths: Iterable[Path], into: Graph | None = None) -> Graph:
    graph = into if into is not None else Graph()
    for path in paths:
        parse_file(path, graph)
    return graph


def rdf_files(directory: Path) -> list[Path]:
    """The RDF files of a directory, in a stable order."""
    suffixes = formats.file_suffixes()
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in suffixes)


def serialize(data: Graph | Dataset, fmt: Format) -> bytes:
    """Serialise a graph, or a dataset keeping its named graphs when ``fmt`` holds quads."""
    if isinstance(data, Dataset) and not fmt.is_quads:
        merged = bind_prefixes(Graph())
        for s, p, o, _g in data.quads((None, None, None, None)):
            merged.add((s, p, o))
        data = merged
    return data.serialize(format=fmt.rdflib, encoding="utf-8")
