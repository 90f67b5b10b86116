"""The one table of result formats: media type <-> format, content negotiation, writers.

Solutions (SELECT) and booleans (ASK) are written here, in pure Python, because the row
cap needs the rows one by one and pyoxigraph's own writer consumes the whole iterator.
Graphs (CONSTRUCT / DESCRIBE) are written by pyoxigraph from ``rdf_format``.
This module imports neither Flask nor caonto.web, so the query worker processes can use it.
"""

import json
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

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
    def content_type(self) -> str:
        text = self.media_type.startswith("text/") or self.media_type.endswith(("json", "xml"))
        return f"{self.media_type}; charset=utf-8" if text else self.media_type


_W3C = "http://www.w3.org/ns/formats/"
FORMATS: tuple[Format, ...] = (
    Format("json", SOLUTIONS, "application/sparql-results+json", "srj", _W3C + "SPARQL_Results_JSON",
           ("application/json", "srj")),
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


# ---- writers for SELECT / ASK -------------------------------------------------------

def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {  # RDF-star quoted triple
        "subject": _json_term(term.subject), "predicate": _json_term(term.predicate),
        "object": _json_term(term.object)}}


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return (f"<literal datatype={quoteattr(term.datatype.value)}>"
                    f"{escape(term.value)}</literal>")
        return f"<literal>{escape(term.value)}</literal>"
    return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>"
            f"{_xml_term(term.predicate)}</predicate><object>{_xml_term(term.object)}</object>"
            "</triple>")


def _csv_cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        text = "_:" + term.value
    elif isinstance(term, (ox.NamedNode, ox.Literal)):
        text = term.value
    else:
        text = str(term)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _tsv_cell(term) -> str:
    # str() of a pyoxigraph term is its N-Triples form, which escapes tabs and newlines.
    return "" if term is None else str(term)


_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'


def write_solutions(fmt: Format, variables: list[str], rows: list[tuple], truncated: bool,
                    max_rows: int) -> bytes:
    """Serialise solution rows (tuples of terms or None, in ``variables`` order).

    A truncated result says so inside the body where the format can (JSON: a ``link``
    in the head and a top-level ``truncated`` member; XML: a ``<link>``); CSV and TSV
    rely on the HTTP headers. Raises KeyError for a non-solutions format.
    """
    name = fmt.name
    if name == "json":
        head: dict = {"vars": variables}
        bindings = [{v: _json_term(t) for v, t in zip(variables, row) if t is not None}
                    for row in rows]
        document: dict = {"head": head, "results": {"bindings": bindings}}
        if truncated:
            head["link"] = [TRUNCATION_DOC]
            document["truncated"] = {"maxRows": max_rows}
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    if name == "xml":
        parts = [_XML_HEAD, "<head>"]
        parts += [f"<variable name={quoteattr(v)}/>" for v in variables]
        if truncated:
            parts.append(f"<link href={quoteattr(TRUNCATION_DOC)}/>")
        parts.append("</head><results>")
        for row in rows:
            parts.append("<result>")
            parts += [f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                      for v, t in zip(variables, row) if t is not None]
            parts.append("</result>")
        parts.append("</results></sparql>\n")
        return "".join(parts).encode()
    if name == "csv":
        lines = [",".join(variables)] + [",".join(_csv_cell(t) for t in row) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode()
    if name == "tsv":
        lines = ["\t".join("?" + v for v in variables)]
        lines += ["\t".join(_tsv_cell(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode()
    raise KeyError(f"{name} is not a SELECT result format")


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
