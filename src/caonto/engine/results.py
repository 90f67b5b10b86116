"""Answers as bytes: solutions and triples capped at a row limit and a byte limit, ASK
answers, and the truncation marks a client can see in the body.

Solutions go through pyoxigraph's own writers (Rust; 3-4x faster than building rows in
Python).
"""

import itertools
import json

import pyoxigraph as ox

from caonto.formats import Format, write_triples
from caonto.namespaces import PREFIXES

TRUNCATION_DOC = "https://w3id.org/caonto/def/truncated-result"  # opaque marker for clients


class _RowCapReached(Exception):
    pass


DEFAULT_MAX_BYTES = 32 * 1024 * 1024


class _CappedTsv:
    """A write-only binary file for pyoxigraph's TSV writer that stops it past the caps.

    TSV is the one results format where a row is exactly a line (N-Triples escapes
    newlines in literals), so counting newlines counts rows; raising from ``write``
    ends serialisation and with it the (lazy) evaluation. Past ``max_bytes`` it stops
    too, so a few huge rows cannot fill the worker's memory with an answer."""

    def __init__(self, max_rows: int, max_bytes: int):
        self.parts: list[bytes] = []
        self.lines, self.limit = 0, max_rows + 1  # the header line, then the rows
        self.size, self.max_bytes = 0, max_bytes

    def write(self, data) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.lines += chunk.count(b"\n")
        self.size += len(chunk)
        if self.lines > self.limit or self.size > self.max_bytes:
            raise _RowCapReached()
        return len(chunk)

    def flush(self) -> None:
        pass


def capped_solutions(result: ox.QuerySolutions, chosen: Format, max_rows: int,
                     max_bytes: int = DEFAULT_MAX_BYTES):
    """Body, row count and truncation flag for at most ``max_rows`` solutions in at most
    about ``max_bytes`` (a few hundred bytes of head and truncation mark may follow).

    The solutions go through pyoxigraph's own writers (Rust; 3-4x faster than building
    the rows in Python): TSV into a capped buffer, parsed back, written in the chosen
    format. A truncated JSON or XML body says so itself (see formats.mark_truncated).
    When the chosen format is larger than TSV (JSON escapes), rows are dropped from the
    end, halving, until the body fits."""
    sink = _CappedTsv(max_rows, max_bytes)
    truncated = False
    try:
        result.serialize(output=sink, format=ox.QueryResultsFormat.TSV)
    except _RowCapReached:
        truncated = True  # a row past the cap, or bytes past it, exist
    header, *rest = b"".join(sink.parts).split(b"\n")
    del sink
    complete = rest[:-1]  # the last piece is empty or a row cut off mid-way
    kept = complete[:max_rows]
    while True:
        tsv = b"\n".join([header, *kept]) + b"\n"
        if chosen.name == "tsv":
            body = tsv
        else:
            solutions = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV)
            body = solutions.serialize(format=chosen.results_format)
        if len(body) <= max_bytes or not kept:
            break
        kept, truncated = kept[:len(kept) // 2], True
    if truncated:
        body = mark_truncated(chosen, body, max_rows)
    return body, len(kept), truncated


def capped_triples(triples, chosen: Format, max_rows: int,
                   max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[bytes, int, bool]:
    """Body, triple count and truncation flag for at most ``max_rows`` of ``triples``
    (any iterable of pyoxigraph triples) in at most ``max_bytes``, written in the graph
    format ``chosen`` (a quads format gets them in the default graph)."""
    kept, size, truncated = [], 0, False
    for triple in itertools.islice(triples, max_rows + 1):
        size += len(str(triple)) + 3  # its N-Triples line: what most formats spend at most
        if len(kept) == max_rows or size > max_bytes:
            truncated = True
            break
        kept.append(triple)
    while True:
        body = write_triples(kept, chosen, prefixes=PREFIXES)
        if len(body) <= max_bytes or not kept:
            return body, len(kept), truncated
        kept, truncated = kept[:len(kept) // 2], True


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
