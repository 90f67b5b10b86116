"""Contributors' mistakes found and explained: unknown terms, undescribed resources,
misused properties, inconsistencies; and one report in text, JSON and Turtle."""

import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import SH

from caonto.diagnosis import contribution_findings
from caonto.incremental import IncrementalChecker
from caonto.pipeline import check
from caonto.vocabulary import GraphFacts
from tests import graphs
from tests.contrib_samples import CONTRIB, PREFIXES, TOKEN, TOKENS_SETTING, membership

SOURCE = "dcterms:source <https://example.org/a-source> "
TYPOS = PREFIXES + f"""
caor:treaty-typo a cao:Treatie ; rdfs:label "A treaty"@en, "Шарт"@kk ;
    cao:signedOn "2000-01-01"^^xsd:date ; {SOURCE}.
"""
UNDESCRIBED = PREFIXES + f"""
caor:treaty-undescribed a cao:Treaty ; rdfs:label "A treaty"@en, "Шарт"@kk ;
    cao:party caor:kazakstan, caor:kyrgyzstan ; {SOURCE}.
"""
DATE_ON_TREATY = PREFIXES + f"""
caor:treaty-dated a cao:Treaty ; rdfs:label "A treaty"@en, "Шарт"@kk ;
    cao:party caor:kazakhstan, caor:kyrgyzstan ; cao:date "2000-01-01"^^xsd:date ; {SOURCE}.
"""
CITY_AS_PARTY = PREFIXES + f"""
caor:treaty-city a cao:Treaty ; rdfs:label "A treaty"@en, "Шарт"@kk ;
    cao:party caor:kazakhstan, caor:city-party ; {SOURCE}.
caor:city-party a cao:City ; rdfs:label "Town"@en, "Қала"@kk, "Город"@ru ;
    cao:locatedIn caor:kazakhstan ; {SOURCE}.
"""
# A state without a Wikidata link: it conforms, with one warning.
WARNED = PREFIXES + f"""
caor:new-state a cao:State ; rdfs:label "Newland"@en, "Жаңаел"@kk, "Новляндия"@ru ; {SOURCE}.
"""
SAMPLES = {"typos": TYPOS, "undescribed": UNDESCRIBED, "date-on-treaty": DATE_ON_TREATY,
           "city-as-party": CITY_AS_PARTY, "warned": WARNED,
           "mixed": WARNED + TYPOS.replace(PREFIXES, "")}


def parse(turtle: str) -> Graph:
    return Graph().parse(data=turtle, format="turtle")


@cache
def full(name: str):
    return check(graphs.asserted(), parse(SAMPLES[name]))


@cache
def checker() -> IncrementalChecker:
    return IncrementalChecker.from_asserted(graphs.asserted())


def messages(result) -> list[str]:
    return [v.message for v in result.report.violations]


def test_an_unknown_class_and_property_are_violations_naming_the_nearest_term():
    result = full("typos")
    assert not result.ok
    unknown = [v for v in result.report.violations if v.source_shape == "caosh:KnownTerms"]
    assert {v.value for v in unknown} == {"cao:Treatie", "cao:signedOn"}
    assert all(v.is_violation for v in unknown)
    treatie = next(v.message for v in unknown if v.value == "cao:Treatie")
    assert "did you mean cao:Treaty" in treatie
    signed = next(v.message for v in unknown if v.value == "cao:signedOn")
    assert "did you mean cao:" in signed and "cao:signingDate" in signed.split("did you mean")[1]


def test_an_undescribed_resource_is_unknown_with_the_nearest_one_and_asks_nothing_of_it():
    result = full("undescribed")
    assert not result.ok
    [finding] = [v for v in result.report.violations if v.value == "caor:kazakstan"]
    assert finding.source_shape == "caosh:KnownResources"
    assert "did you mean caor:kazakhstan?" in finding.message
    # no request for the typo's names or its Wikidata link
    assert not [v for v in result.report.violations if v.focus_node == "caor:kazakstan"]


def test_a_property_whose_domain_clashes_with_the_asserted_type_is_named():
    result = full("date-on-treaty")
    [finding] = [v for v in result.report.violations
                 if v.source_shape == "caosh:FittingProperties"]
    assert finding.focus_node == "caor:treaty-dated" and finding.result_path == "cao:date"
    assert "cao:Event" in finding.message and "cao:signingDate" in finding.message


def test_an_inconsistency_names_the_axiom_and_the_triples_in_prefixed_names():
    result = full("city-as-party")
    [message] = result.inconsistencies
    assert "https://" not in message
    assert "caor:city-party cannot be both a cao:State and a cao:City" in message
    assert "owl:AllDisjointClasses (cao:State cao:City" in message
    assert "caor:treaty-city cao:party caor:city-party, and the range of cao:party is " \
           "cao:State" in message
    assert "caor:city-party rdf:type cao:City" in message


def test_the_projects_own_data_has_none_of_these_mistakes():
    asserted = graphs.asserted()
    findings, undescribed = contribution_findings(
        [*asserted.data, *asserted.record], asserted.vocabulary, GraphFacts(asserted.union()))
    assert findings == [] and undescribed == set()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_incremental_check_explains_alike(name):
    quick = checker().check(parse(SAMPLES[name]))
    assert quick.ok == full(name).ok
    assert quick.inconsistencies == full(name).inconsistencies
    assert sorted(map(str, quick.report.violations)) == sorted(map(str, full(name).report.violations))


# ---- one report, three formats ------------------------------------------------------------

def results_of_json(report: dict) -> set:
    return {(v["focus_node"], v["result_path"], v["message"], v["severity"])
            for v in report["violations"] + report["warnings"]}


def results_of_turtle(text: str) -> set:
    from caonto.validation import show_term

    graph = Graph().parse(data=text, format="turtle")
    found = set()
    for result in graph.objects(None, SH.result):
        if graph.value(result, SH.focusNode) is None:
            continue
        found.add((show_term(graph.value(result, SH.focusNode), graph),
                   show_term(graph.value(result, SH.resultPath), graph),
                   str(graph.value(result, SH.resultMessage)),
                   str(graph.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]))
    return found


def test_text_json_and_turtle_carry_the_same_results_violations_first():
    report = full("mixed").report
    as_json = json.loads(report.to_json())
    assert as_json["counts"] == {"violations": len(as_json["violations"]), "warnings": 1,
                                 "inconsistencies": 0}
    assert as_json["violations"] and all(v["severity"] == "Violation"
                                         for v in as_json["violations"])
    expected = results_of_json(as_json)
    assert results_of_turtle(report.to_turtle()) == expected
    text = report.to_text()
    assert text.startswith(f"Does not conform: {len(as_json['violations'])} violation(s), "
                           "1 warning(s).")
    severities = re.findall(r"^\d+\. \[(\w+)\]", text, re.MULTILINE)
    assert severities == ["Violation"] * len(as_json["violations"]) + ["Warning"]
    for _focus, _path, message, _severity in expected:
        assert message in text


def test_the_text_report_shows_warnings_when_the_data_conforms():
    result = full("warned")
    assert result.ok
    text = result.report.to_text()
    assert text.startswith("Conforms: 0 violation(s), 1 warning(s).")
    assert "[Warning]" in text and "Wikidata" in text


def test_the_turtle_report_names_an_inconsistency_as_the_others_do():
    report = full("city-as-party").report
    graph = Graph().parse(data=report.to_turtle(), format="turtle")
    texts = {str(m) for m in graph.objects(None, SH.resultMessage)}
    assert texts == set(report.inconsistencies) == set(json.loads(report.to_json())
                                                       ["inconsistencies"])
    assert "Inconsistent: " + report.inconsistencies[0] in report.to_text()


# ---- the same over HTTP and on the command line ---------------------------------------------

@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from caonto.web import create_app

    app = create_app({"CAONTO_TOKENS": TOKENS_SETTING, "CAONTO_WORKERS": 1,
                      "CAONTO_CONTRIB_DIR": str(tmp_path_factory.mktemp("contrib"))})
    yield app.test_client()
    app.extensions["caonto.contrib"].close()
    app.extensions["caonto"].engine.close()


def dry_run(client, turtle: str, accept: str):
    return client.put(f"/store?graph={CONTRIB}diagnosis&dry-run=true", data=turtle.encode(),
                      headers={"Authorization": f"Bearer {TOKEN}",
                               "Content-Type": "text/turtle", "Accept": accept})


def test_a_typo_is_refused_over_http(client):
    response = dry_run(client, TYPOS, "application/json")
    assert response.status_code == 422
    values = {v["value"] for v in response.get_json()["violations"]}
    assert {"cao:Treatie", "cao:signedOn"} <= values


def test_the_422_report_in_turtle_holds_only_what_json_holds(client):
    # A fact stated in an essay sentence touches that sentence and, one step on, the essay;
    # the shapes run there on a neighbourhood, which must not leak findings about the essay.
    turtle = membership("leak", source=None).replace(', "ШЫҰ мүшелігі leak"@kk', "").replace(
        "cao:member caor:kazakhstan ;",
        "cao:member caor:kazakhstan ; cao:statedIn <https://w3id.org/caonto/id/essay/line-02> ;")
    as_json = dry_run(client, turtle, "application/json")
    as_turtle = dry_run(client, turtle, "text/turtle")
    assert as_json.status_code == as_turtle.status_code == 422
    expected = results_of_json(as_json.get_json())
    assert expected and results_of_turtle(as_turtle.data.decode()) == expected
    assert "caor:essay" not in as_turtle.data.decode()


def test_validate_json_on_a_syntax_error_is_json_with_exit_2(tmp_path: Path):
    path = tmp_path / "broken.ttl"
    path.write_text(PREFIXES + 'caor:x rdfs:label "unterminated .\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "caonto.cli", "validate", "--format", "json",
                             str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["conforms"] is False and report["file"] == str(path)
    assert report["line"] == PREFIXES.count("\n") + 1


def test_validate_on_the_command_line_refuses_a_typo(tmp_path: Path):
    path = tmp_path / "typo.ttl"
    path.write_text(TYPOS, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "caonto.cli", "validate", str(path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "cao:Treatie is not a class the ontology defines: did you mean cao:Treaty" \
        in result.stdout
