"""Contributed graphs on disk: one TriG file per graph, readable and diffable.

``<CAONTO_CONTRIB_DIR>/<name>.trig`` holds the graph ``caog:contrib/<name>`` and, in the
graph ``caog:contrib-log``, its provenance::

    caog:contrib-log { <…/graph/contrib/name> a prov:Entity ;
        dcterms:creator <contributor> ;                # who created it: its owner
        prov:wasAttributedTo <contributor> ;          # everyone who wrote to it
        dcterms:created "…"^^xsd:dateTime ;            # first accepted write
        prov:generatedAtTime "…"^^xsd:dateTime . }     # latest accepted write

The file's first line is ``# sha256 <hex>``, the SHA-256 of the rest of the file; it is
checked when the file is read, so a damaged file is refused instead of served. Literals
are written by pyoxigraph, which keeps their lexical forms ("01"^^xsd:integer stays
"01"; rdflib's writer would turn "1"^^xsd:boolean into the integer 1).

Files change only through ``JournalDir.commit``, so a write touching several graphs is
all-or-nothing on disk.
"""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, XSD

from caonto import formats
from caonto.contrib.journal import JournalDir, StorageError
from caonto.namespaces import BASE, CONTRIB_GRAPH_PREFIX, GRAPH_CONTRIB_LOG, PREFIXES, bind_prefixes
from caonto.rdf_io import RdfInputError, read_quads, to_oxigraph, to_rdflib

_LOCAL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_SUFFIX = ".trig"
_CHECKSUM_LINE = re.compile(rb"# sha256 ([0-9a-f]{64})\n")


@dataclass(frozen=True)
class GraphMeta:
    contributors: tuple[str, ...]
    created: datetime
    modified: datetime
    creator: str | None = None  # None: not recorded, so only a maintainer may remove

    def updated(self, contributor: str, when: datetime) -> "GraphMeta":
        people = self.contributors if contributor in self.contributors else (
            *self.contributors, contributor)
        return GraphMeta(people, self.created, when, self.creator)


def contributed_graph_name(graph_iri: str) -> str:
    """The ``name`` of ``caog:contrib/name``; ValueError when ``graph_iri`` is not one we
    can store (outside the prefix, or a name other than letters, digits, ``.``, ``_``, ``-``)."""
    if not graph_iri.startswith(CONTRIB_GRAPH_PREFIX):
        raise ValueError(f"<{graph_iri}> is not a contributed graph (they start with "
                         f"{CONTRIB_GRAPH_PREFIX})")
    name = graph_iri[len(CONTRIB_GRAPH_PREFIX):]
    if not _LOCAL_NAME.match(name):
        raise ValueError(f"contributed graph names are 1–100 letters, digits, '.', '_' or '-' "
                         f"after {CONTRIB_GRAPH_PREFIX}; got {name!r}")
    return name


def meta_triples(graph_iri: str, meta: GraphMeta) -> Graph:
    """The provenance of one contributed graph, as stored and served in caog:contrib-log."""
    log = Graph()
    subject = URIRef(graph_iri)
    log.add((subject, RDF.type, PROV.Entity))
    if meta.creator:
        log.add((subject, DCTERMS.creator, URIRef(meta.creator)))
    for person in meta.contributors:
        log.add((subject, PROV.wasAttributedTo, URIRef(person)))
    log.add((subject, DCTERMS.created, Literal(meta.created.isoformat(), datatype=XSD.dateTime)))
    log.add((subject, PROV.generatedAtTime,
             Literal(meta.modified.isoformat(), datatype=XSD.dateTime)))
    return log


def log_graph(meta: Mapping[str, GraphMeta]) -> Graph:
    """The graph caog:contrib-log: the provenance of every contributed graph."""
    graph = bind_prefixes(Graph())
    for iri, entry in meta.items():
        graph += meta_triples(iri, entry)
    return graph


def to_trig(graph_iri: str, content: Graph, meta: GraphMeta) -> bytes:
    quads = [ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), ox.NamedNode(str(name)))
             for name, triples in ((GRAPH_CONTRIB_LOG, meta_triples(graph_iri, meta)),
                                   (graph_iri, content))
             for s, p, o in triples]
    quads.sort(key=lambda q: (q.graph_name.value != str(GRAPH_CONTRIB_LOG), str(q)))
    body = ox.serialize(quads, format=ox.RdfFormat.TRIG,
                        prefixes={**PREFIXES, "contrib": CONTRIB_GRAPH_PREFIX})
    return b"# sha256 " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def _checked_body(data: bytes, source: str) -> bytes:
    """The file after its checksum line; StorageError when the line is missing or wrong."""
    found = _CHECKSUM_LINE.match(data)
    if not found:
        raise StorageError(f"{source}: the first line is not '# sha256 <hex>'; caonto writes "
                           "it with every graph file, so this file was not written by caonto")
    body = data[found.end():]
    actual = hashlib.sha256(body).hexdigest()
    if actual != found.group(1).decode():
        raise StorageError(f"{source}: checksum mismatch (the file says {found.group(1).decode()}, "
                           f"its content hashes to {actual}): it was damaged or edited "
                           "outside caonto; restore it from a backup")
    return body


def _timestamp(value, what: str, source: str) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise StorageError(f"{source}: {what} {str(value)!r} is not a date and time") from None


def from_trig(graph_iri: str, data: bytes, source: str) -> tuple[Graph, GraphMeta]:
    """Read back what ``to_trig`` wrote; StorageError when it is not that."""
    content, log = bind_prefixes(Graph()), Graph()
    data = _checked_body(data, source)
    try:
        for quad in read_quads(data, formats.BY_NAME["trig"], source, base_iri=BASE):
            triple = (to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object))
            graph = getattr(quad.graph_name, "value", None)
            if graph == graph_iri:
                content.add(triple)
            elif graph == str(GRAPH_CONTRIB_LOG):
                log.add(triple)
            else:
                raise StorageError(f"{source}: unexpected graph {quad.graph_name}")
    except RdfInputError as error:
        raise StorageError(str(error)) from None
    subject = URIRef(graph_iri)
    created, modified = log.value(subject, DCTERMS.created), log.value(
        subject, PROV.generatedAtTime)
    if created is None or modified is None:
        raise StorageError(f"{source}: no provenance for <{graph_iri}> in {GRAPH_CONTRIB_LOG}")
    people = tuple(sorted(str(p) for p in log.objects(subject, PROV.wasAttributedTo)))
    creator = log.value(subject, DCTERMS.creator)
    return content, GraphMeta(people, _timestamp(created, "dcterms:created", source),
                              _timestamp(modified, "prov:generatedAtTime", source),
                              None if creator is None else str(creator))


class GraphStorage:
    """Contributed graphs in one directory (see module docstring)."""

    def __init__(self, root: Path, writable: bool = True):
        """Raises DirectoryBusy when ``writable`` and another server holds the directory."""
        self.journal = JournalDir(root, writable)

    @property
    def root(self) -> Path:
        return self.journal.root

    def close(self) -> None:
        self.journal.close()

    def __enter__(self) -> "GraphStorage":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def load(self) -> dict[str, tuple[Graph, GraphMeta]]:
        """Every stored graph by IRI; StorageError names a file that cannot be read back."""
        graphs = {}
        for name in self.journal.names():
            if not name.endswith(_SUFFIX):
                continue
            iri = CONTRIB_GRAPH_PREFIX + name[: -len(_SUFFIX)]
            graphs[iri] = from_trig(iri, self.journal.read(name), str(self.root / name))
        return graphs

    def commit(self, changes: Mapping[str, tuple[Graph, GraphMeta] | None]) -> None:
        """Store (or, for None, delete) graphs by IRI, all-or-nothing and durably."""
        self.journal.commit({
            contributed_graph_name(iri) + _SUFFIX: None if entry is None else to_trig(iri, *entry)
            for iri, entry in changes.items()})


def read_contributions(root: Path) -> tuple[dict[str, Graph], Graph]:
    """The stored contributed graphs by IRI, and their caog:contrib-log, read without
    taking the directory (a running server may hold it). Raises StorageError."""
    with GraphStorage(root, writable=False) as storage:
        stored = storage.load()
    return ({iri: content for iri, (content, _meta) in stored.items()},
            log_graph({iri: meta for iri, (_content, meta) in stored.items()}))
