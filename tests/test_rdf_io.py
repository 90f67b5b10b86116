"""RDF input: every format parses, bad input is named by file, line and column."""

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Literal, URIRef

from caonto import formats
from caonto.rdf_io import RdfInputError, parse_bytes, parse_file, serialize, to_rdflib

FORMATS = {f.name: f for f in formats.of_kind(formats.GRAPH)}

TURTLE = """@prefix ex: <http://example.org/> .
ex:a ex:name "Қазақстан"@kk, "plain" ; ex:n 729 ; ex:b [ ex:c ex:d ] .
"""


def test_parse_file_reads_turtle_terms(tmp_path: Path):
    path = tmp_path / "good.ttl"
    path.write_text(TURTLE, encoding="utf-8")
    graph = parse_file(path)
    a = URIRef("http://example.org/a")
    assert (a, URIRef("http://example.org/name"), Literal("Қазақстан", lang="kk")) in graph
    # xsd:string literals come back as plain literals, equal to rdflib's own parse
    assert (a, URIRef("http://example.org/name"), Literal("plain")) in graph
    assert len(graph) == 5


def test_syntax_error_names_file_line_and_column(tmp_path: Path):
    path = tmp_path / "bad.ttl"
    path.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n')
    with pytest.raises(RdfInputError) as raised:
        parse_file(path)
    assert raised.value.source == str(path)
    assert raised.value.line == 3
    assert str(raised.value).startswith(f"{path}:3:")


def test_unknown_suffix_is_refused(tmp_path: Path):
    path = tmp_path / "data.csv"
    path.write_text("a,b")
    with pytest.raises(RdfInputError, match="unknown RDF file type '.csv'"):
        parse_file(path)


def test_missing_file_is_an_input_error(tmp_path: Path):
    with pytest.raises(RdfInputError, match="No such file"):
        parse_file(tmp_path / "absent.ttl")


def test_xml_entity_bomb_is_refused_before_parsing():
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
<!ENTITY a "aaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://ex/">
<rdf:Description rdf:about="http://ex/a"><ex:p>&b;</ex:p></rdf:Description></rdf:RDF>"""
    with pytest.raises(RdfInputError, match="entity declarations") as raised:
        parse_bytes(bomb, FORMATS["rdfxml"], "bomb.rdf")
    assert raised.value.line == 3


def test_remote_json_ld_context_is_never_fetched():
    document = b'{"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "http://ex/a", "p": "x"}'
    with pytest.raises(RdfInputError, match="remote contexts"):
        parse_bytes(document, FORMATS["jsonld"], "remote.jsonld")



@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_round_trips_through_oxigraph(name: str):
    """What we write, an independent parser (pyoxigraph) reads back as the same triples."""
    dataset = Dataset()
    graph = dataset.graph(URIRef("http://example.org/g"))
    graph.parse(data=TURTLE.replace("[ ex:c ex:d ]", "ex:e"), format="turtle")
    fmt = FORMATS[name]
    payload = serialize(dataset, fmt)
    quads = list(ox.parse(payload, format=fmt.rdf_format))
    reread = {(to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)) for q in quads}
    assert reread == set(graph)
    if fmt.is_quads:
        assert {q.graph_name.value for q in quads} == {"http://example.org/g"}
