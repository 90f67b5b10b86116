"""The one table of result formats: media type <-> format, content negotiation, writers.

Solutions (SELECT) and graphs (CONSTRUCT / DESCRIBE) are written by pyoxigraph
(``results_format`` / ``rdf_format``); ASK answers here, so that CSV and TSV carry a
header like any table.
This module imports neither Flask nor caonto.web, so the query worker processes can use it.
"""

import json
from dataclasses import dataclass, field

import pyoxigraph as ox

SOLUTIONS, GRAPH = "solutions", "graph"
TRUNCATION_DOC = "https://w3id.org/caonto/def/truncated-result"  # opaque marker for clients


@dataclass(frozen=True)
class Format:
    name: str
    kind: str  # SOLUTIONS (SELECT/ASK) or GRAPH (CONSTRUCT/DESCRIBE)
    media_type: str
    extension: str
    w3c: str  # http://www.w3.org/ns/formats/ IRI, for the service description
    aliases: tuple[str, ...] = field(default=())  # other media types and ``format=`` names
    rdf_format: ox.RdfFormat | None = None  # pyoxigraph writer, graph formats only

    @property
    def results_format(self) -> ox.QueryResultsFormat:
        """pyoxigraph's writer for a solutions format (KeyError for a graph format)."""
        return _RESULTS[self.name]

    @property
    def content_type(self) -> str:
        text = self.media_type.startswith("text/") or self.media_type.endswith(("json", "xml"))
        return f"{self.media_type}; charset=utf-8" if text else self.media_type


_W3C = "http://www.w3.org/ns/formats/"
FORMATS: tuple[Format, ...] = (
    Format("json", SOLUTIONS, "application/sparql-results+json", "srj",
           _W3C + "SPARQL_Results_JSON", ("application/json", "srj")),
    Format("xml", SOLUTIONS, "application/sparql-results+xml", "srx", _W3C + "SPARQL_Results_XML",
           ("application/xml", "text/xml", "srx")),
    Format("csv", SOLUTIONS, "text/csv", "csv", _W3C + "SPARQL_Results_CSV"),
    Format("tsv", SOLUTIONS, "text/tab-separated-values", "tsv", _W3C + "SPARQL_Results_TSV"),
    Format("turtle", GRAPH, "text/turtle", "ttl", _W3C + "Turtle",
           ("application/x-turtle", "ttl", "n3", "text/n3", "text/rdf+n3"), ox.RdfFormat.TURTLE),
    Format("ntriples", GRAPH, "application/n-triples", "nt", _W3C + "N-Triples",
           ("nt", "text/plain"), ox.RdfFormat.N_TRIPLES),
    Format("jsonld", GRAPH, "application/ld+json", "jsonld", _W3C + "JSON-LD",
           ("json-ld", "application/json", "json"), ox.RdfFormat.JSON_LD),
    Format("rdfxml", GRAPH, "application/rdf+xml", "rdf", _W3C + "RDF_XML",
           ("rdf", "xml", "rdf+xml", "application/xml", "text/xml"), ox.RdfFormat.RDF_XML),
    Format("trig", GRAPH, "application/trig", "trig", _W3C + "TriG", (), ox.RdfFormat.TRIG),
    Format("nquads", GRAPH, "application/n-quads", "nq", _W3C + "N-Quads", ("nq",),
           ox.RdfFormat.N_QUADS),
)
BY_NAME = {f.name: f for f in FORMATS}
_RESULTS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
            "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
DEFAULT = {SOLUTIONS: BY_NAME["json"], GRAPH: BY_NAME["turtle"]}


def of_kind(kind: str) -> list[Format]:
    return [f for f in FORMATS if f.kind == kind]


def lookup(name_or_type: str, kind: str) -> Format | None:
    """The format of ``kind`` a ``format=`` value names (short name, extension or media type)."""
    wanted = name_or_type.strip().lower()
    for fmt in of_kind(kind):
        if wanted in (fmt.name, fmt.media_type, fmt.extension) or wanted in fmt.aliases:
            return fmt
    return None


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges with their q-values, best first; an absent header means ``*/*``.

    Malformed parameters are ignored rather than rejected: clients send odd headers.
    """
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges = []
    for position, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        quality = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        ranges.append((media, quality, specificity, position))
    ranges.sort(key=lambda r: (-r[1], -r[2], r[3]))
    return [(media, quality) for media, quality, _, _ in ranges]


def _matches(media_range: str, media_type: str) -> bool:
    if media_range == "*/*":
        return True
    if media_range.endswith("/*"):
        return media_type.startswith(media_range[:-1])
    return media_range == media_type


def negotiate(accept: str | None, kind: str) -> Format | None:
    """The best format of ``kind`` for an Accept header, or None when nothing acceptable.

    A wildcard picks the kind's default (JSON results, Turtle graphs); an explicit media
    type beats a wildcard of equal q; an alias (application/json) counts as explicit.
    """
    candidates = of_kind(kind)
    for media_range, quality in parse_accept(accept):
        if quality <= 0:
            continue
        if media_range == "*/*" or media_range.endswith("/*"):
            default = DEFAULT[kind]
            if _matches(media_range, default.media_type) and not _refused(accept, default):
                return default
        # Own media types before aliases, so text/* means CSV rather than text/xml.
        for use_aliases in (False, True):
            for fmt in candidates:
                types = tuple(a for a in fmt.aliases if "/" in a) if use_aliases \
                    else (fmt.media_type,)
                if any(_matches(media_range, t) for t in types) and not _refused(accept, fmt):
                    return fmt
    return None


def _refused(accept: str | None, fmt: Format) -> bool:
    return any(media == fmt.media_type and quality <= 0 for media, quality in parse_accept(accept))


# ---- result bodies ---------------------------------------------------------------

def mark_truncated(fmt: Format, body: bytes, max_rows: int) -> bytes:
    """Flag a truncated SELECT body where the format has room: JSON gets a ``link`` in
    its head and a top-level ``truncated`` member, XML a ``<link>``; CSV and TSV rely on
    the HTTP headers. ``body`` is pyoxigraph's output, whose head comes first."""
    if fmt.name == "json" and body.startswith(b'{"head":{') and body.endswith(b"}"):
        return (b'{"head":{"link":["' + TRUNCATION_DOC.encode() + b'"],' + body[9:-1]
                + b',"truncated":{"maxRows":' + str(max_rows).encode() + b"}}")
    if fmt.name == "xml":
        return body.replace(b"</head>", b'<link href="' + TRUNCATION_DOC.encode() + b'"/></head>',
                            1)
    return body


_XML_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<sparql xmlns="http://www.w3.org/2005/sparql-results#">')


def write_boolean(fmt: Format, value: bool) -> bytes:
    """Serialise an ASK answer; CSV and TSV carry it as a one-cell table (common practice)."""
    word = "true" if value else "false"
    if fmt.name == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt.name == "xml":
        return f"{_XML_HEAD}<head/><boolean>{word}</boolean></sparql>\n".encode()
    if fmt.name == "csv":
        return f"_askResult\r\n{word}\r\n".encode()
    if fmt.name == "tsv":
        return f"?_askResult\n{word}\n".encode()
    raise KeyError(f"{fmt.name} is not an ASK result format")
