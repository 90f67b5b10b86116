"""The caonto command, run as a user runs it: a real process, exit codes, output."""

import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from caonto import formats
from caonto.rdf_io import to_rdflib
from tests import graphs

CAONTO = str(Path(sys.executable).parent / "caonto")

GOOD = """@prefix cao: <https://w3id.org/caonto/def/> .
@prefix caor: <https://w3id.org/caonto/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
caor:tashkent-test a cao:City ;
    rdfs:label "Ташкент"@kk, "Tashkent"@en, "Ташкент"@ru ;
    skos:prefLabel "Ташкент"@kk, "Tashkent"@en, "Ташкент"@ru ;
    cao:locatedIn caor:uzbekistan .
"""


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([CAONTO, *args], capture_output=True, text=True, input=stdin,
                          timeout=300)


def test_validate_accepts_a_conforming_file(tmp_path: Path):
    path = tmp_path / "good.ttl"
    path.write_text(GOOD, encoding="utf-8")
    result = run("validate", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Conforms" in result.stdout


def test_validate_reports_violations_with_focus_node_and_exit_1(tmp_path: Path):
    path = tmp_path / "bad.ttl"
    path.write_text(GOOD.replace('"Tashkent"@en, ', "").replace('"Tashkent"@en, ', ""),
                    encoding="utf-8")
    result = run("validate", "--format", "json", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["conforms"] is False
    assert any(v["focus_node"] == "caor:tashkent-test" and v["result_path"] == "rdfs:label"
               for v in report["violations"]), report


def test_validate_reports_an_inconsistency_as_a_violation(tmp_path: Path):
    path = tmp_path / "absurd.ttl"
    path.write_text(GOOD + "caor:uzbekistan cao:sharesBorderWith caor:uzbekistan .\n",
                    encoding="utf-8")
    result = run("validate", str(path))
    assert result.returncode == 1
    assert "Inconsistent" in result.stdout


def test_validate_names_file_line_and_column_of_a_syntax_error(tmp_path: Path):
    path = tmp_path / "broken.ttl"
    path.write_text(GOOD + "caor:x rdfs:label \"unterminated .\n", encoding="utf-8")
    result = run("validate", str(path))
    assert result.returncode == 2
    line = GOOD.count("\n") + 1
    assert f"{path}:{line}:" in result.stderr


def test_validate_refuses_a_missing_file(tmp_path: Path):
    result = run("validate", str(tmp_path / "nope.ttl"))
    assert result.returncode == 2
    assert "nope.ttl" in result.stderr


def test_validate_turtle_report_is_rdf():
    path = Path(__file__).parent / "cli_bad_currency.ttl"
    result = run("validate", "--format", "turtle", str(path))
    assert result.returncode == 1
    report = ox.parse(result.stdout.encode(), format=ox.RdfFormat.TURTLE)
    assert any(q.predicate.value.endswith("#focusNode") for q in report)


FORMATS = {f.name: f for f in formats.of_kind(formats.GRAPH)}


def _ground(triples) -> set[tuple]:
    """The triples without blank nodes (every parser renames those)."""
    return {t for t in triples if not any(type(x).__name__ == "BNode" for x in t)}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_parses_in_an_independent_parser_to_the_same_triples(fmt: str, tmp_path: Path):
    out = tmp_path / f"export.{FORMATS[fmt].extension}"
    result = run("export", "--format", fmt, "-o", str(out))
    assert result.returncode == 0, result.stderr
    quads = list(ox.parse(path=str(out), format=FORMATS[fmt].rdf_format))
    triples = {(to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))
               for q in quads}
    expected = set(graphs.asserted().union())
    # blank nodes are renamed by every parser: compare the ground triples exactly, count the rest
    assert _ground(triples) == _ground(expected)
    assert len(triples) == len(expected)
    if FORMATS[fmt].is_quads:
        # the three asserted graphs, each triple in its own: the record apart from the essay
        names = {q.graph_name.value for q in quads}
        assert names == {"https://w3id.org/caonto/graph/ontology",
                         "https://w3id.org/caonto/graph/essay",
                         "https://w3id.org/caonto/graph/record"}
        for name, graph in graphs.asserted().named_graphs().items():
            exported = {(to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))
                        for q in quads if q.graph_name.value == str(name)}
            assert len(exported) == len(graph), name
            assert _ground(exported) == _ground(graph), name


def test_export_with_inferred_adds_the_inferred_graph(tmp_path: Path):
    out = tmp_path / "all.nq"
    assert run("export", "--with-inferred", "--format", "nq", "-o", str(out)).returncode == 0
    quads = list(ox.parse(path=str(out), format=ox.RdfFormat.N_QUADS))
    inferred = [q for q in quads if q.graph_name.value.endswith("/graph/inferred")]
    assert len(inferred) == len(graphs.inferred())


def test_query_answers_as_a_table_and_as_json():
    query = ("SELECT ?label WHERE { caor:kazakhstan rdfs:label ?label "
             "FILTER(lang(?label) = 'en') }")
    table = run("query", query)
    assert table.returncode == 0, table.stderr
    assert "Kazakhstan" in table.stdout and "(1 row)" in table.stdout
    as_json = json.loads(run("query", "--format", "json", query).stdout)
    assert as_json == {"head": {"vars": ["label"]}, "results": {"bindings": [
        {"label": {"type": "literal", "value": "Kazakhstan", "xml:lang": "en"}}]}}


def test_query_writes_the_w3c_csv_and_json_results_formats_with_full_iris():
    import csv
    import io

    query = "SELECT ?state ?km WHERE { caor:kazakhstan cao:sharesBorderWith ?state . " \
            "BIND(42 AS ?km) } ORDER BY ?state LIMIT 1"
    as_csv = run("query", "--format", "csv", query)
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["state", "km"]
    assert rows[1][0].startswith("https://w3id.org/caonto/id/") and rows[1][1] == "42"
    as_json = json.loads(run("query", "--format", "json", query).stdout)
    binding = as_json["results"]["bindings"][0]
    assert binding["state"] == {"type": "uri", "value": rows[1][0]}
    assert binding["km"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert json.loads(run("query", "--format", "json", "ASK { ?s ?p ?o }").stdout) == \
        {"head": {}, "boolean": True}


def test_query_without_inference_does_not_see_inferred_triples():
    query = "ASK { caor:kyrgyzstan cao:sharesBorderWith caor:kazakhstan }"
    assert run("query", query).stdout.strip() == "true"
    assert run("query", "--no-inference", query).stdout.strip() == "false"


def test_query_syntax_error_gives_position_and_exit_2():
    result = run("query", "SELECT ?x WHERE { ?x ?y }")
    assert result.returncode == 2
    assert "error at 1:26:" in result.stderr, result.stderr


def test_query_from_a_file_as_csv(tmp_path: Path):
    path = tmp_path / "q.rq"
    path.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s a cao:State }")
    result = run("query", "-f", str(path), "--format", "csv")
    assert result.returncode == 0
    header, value = result.stdout.split()
    assert header == "n" and int(value) >= 7


def test_export_takes_the_format_from_the_output_extension(tmp_path: Path):
    for name, rdf_format in (("all.nq", ox.RdfFormat.N_QUADS), ("all.trig", ox.RdfFormat.TRIG),
                             ("all.jsonld", ox.RdfFormat.JSON_LD)):
        out = tmp_path / name
        result = run("export", "-o", str(out))
        assert result.returncode == 0, result.stderr
        quads = list(ox.parse(path=str(out), format=rdf_format))
        assert {q.graph_name.value for q in quads} >= {"https://w3id.org/caonto/graph/essay"}
    unknown = run("export", "-o", str(tmp_path / "all.docx"))
    assert unknown.returncode == 2 and "all.docx" in unknown.stderr
    assert not (tmp_path / "all.docx").exists()


def test_a_bad_tokens_setting_is_a_one_line_error_from_serve():
    import os

    env = {**os.environ, "CAONTO_TOKENS": "too-short https://example.org/alice"}
    result = subprocess.run([CAONTO, "serve", "--port", "0"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("caonto: CAONTO_TOKENS, entry 1: ")


def test_stats_counts_graphs_and_classes():
    result = run("stats", "--format", "json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["graphs"]["https://w3id.org/caonto/graph/essay"] == len(graphs.asserted().data)
    asserted, total = stats["classes"]["https://w3id.org/caonto/def/State"]
    assert asserted == 7 and total == 7
    # the ontology graph asserts its classes: they count as asserted
    owl_class = stats["classes"]["http://www.w3.org/2002/07/owl#Class"]
    assert owl_class[0] == owl_class[1] > 40
    place_asserted, place_total = stats["classes"]["https://w3id.org/caonto/def/Place"]
    assert place_total > place_asserted
