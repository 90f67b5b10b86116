"""Safety of the endpoint: a timeout that kills evaluation, no outbound reads, no debug."""

import os
import threading
import urllib.parse

import pytest

from caonto.engine.guard import check_remote_references
from caonto.engine.interface import DatasetChoice, EvaluationError, QueryRefused, QueryTimeout
from caonto.engine.pool import QueryEngine
from tests.conftest import get_from
from tests.test_endpoint_protocol import call, get

# 3000 triples cubed: never finishes, and the COUNT yields nothing before it is done.
PATHOLOGICAL = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_timeout_answers_503_and_others_are_served_meanwhile(endpoint_url):
    outcome = {}

    def heavy():
        outcome["heavy"] = get(endpoint_url, {"query": PATHOLOGICAL})

    worker = threading.Thread(target=heavy)
    worker.start()
    # another client: one client's own queries queue behind each other (caonto.web.fairness)
    status, body = get_from("127.0.0.2", endpoint_url + "sparql?" + urllib.parse.urlencode(
        {"query": "ASK { ?s ?p ?o }"}))
    heavy_done_before_light = "heavy" in outcome
    worker.join(60)
    assert (status, body.count(b"true")) == (200, 1)
    assert not heavy_done_before_light  # the light query did not wait for the heavy one
    heavy_status, heavy_headers, heavy_body = outcome["heavy"]
    assert heavy_status == 503
    assert b"exceeded" in heavy_body and b"limit" in heavy_body
    assert "retry-after" not in heavy_headers  # the same query would overrun again
    status, _, _ = get(endpoint_url, {"query": "ASK { ?s ?p ?o }"})
    assert status == 200


def test_timeout_kills_the_evaluating_process_and_the_pool_recovers(endpoint_dataset):
    with QueryEngine(endpoint_dataset, workers=1, timeout=1.0) as engine:
        [before] = engine.worker_pids()
        with pytest.raises(QueryTimeout):
            engine.query(PATHOLOGICAL)
        assert not _process_exists(before)  # evaluation really stopped: its process is gone
        answer = engine.query("ASK { ?s ?p ?o }", timeout=60)  # waits for the replacement
        assert answer.body.count(b"true") == 1
        assert engine.worker_pids() and engine.worker_pids() != [before]
        assert engine.respawns == 1


def test_client_may_lower_but_not_raise_the_timeout(endpoint_url):
    status, _, body = get(endpoint_url, {"query": PATHOLOGICAL, "timeout": "0.5"})
    assert status == 503
    assert b"0.5 s" in body
    status, _, body = get(endpoint_url, {"query": PATHOLOGICAL, "timeout": "3600"})
    assert status == 503
    assert b"3600" not in body


def test_update_reaches_every_worker(endpoint_dataset):
    with QueryEngine(endpoint_dataset, workers=2, timeout=10.0) as engine:
        engine.update("INSERT DATA { GRAPH <https://w3id.org/caonto/graph/contrib/t> "
                      "{ <urn:x:a> <urn:x:p> 'added' } }")
        results = []

        def ask():
            results.append(engine.query("ASK { <urn:x:a> <urn:x:p> 'added' }").body)

        threads = [threading.Thread(target=ask) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        answers = {body.count(b"true") for body in results}
        assert answers == {1}
        plain = engine.query("ASK { <urn:x:a> ?p ?o }", DatasetChoice(inference=False))
        assert plain.body.count(b"true") == 1  # contributed graphs are not inference


# ---- no outbound reads ----------------------------------------------------------------

@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "select * where {{ service <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
    "PREFIX ex: <{base}> SELECT * WHERE {{ SERVICE ex:sparql {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
    "SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "SELECT * FROM <file:///etc/passwd> WHERE {{ ?s ?p ?o }}",
])
def test_remote_references_are_refused_without_a_connection(endpoint_url, canary, template):
    query = template.format(url=canary.url + "sparql", base=canary.url)
    status, _, body = get(endpoint_url, {"query": query})
    assert status == 400
    assert b"refused" in body
    assert b"CAONTO_SERVICE_ALLOWLIST" in body
    assert canary.connections() == 0  # any connection made is in the backlog by now


def test_keywords_inside_strings_comments_and_names_are_not_refused():
    check_remote_references('SELECT * WHERE { ?s ?p "SERVICE <http://x/>" } # FROM <http://y/>')
    check_remote_references("PREFIX ex: <http://x/> SELECT ?service WHERE { ?service ex:from "
                            "ex:SERVICE }")
    check_remote_references("SELECT * FROM <https://w3id.org/caonto/graph/essay> WHERE {}")


def test_allowlist_lets_named_iris_through_and_still_refuses_others():
    allowed = frozenset({"https://query.wikidata.org/sparql"})
    check_remote_references("SELECT * { SERVICE <https://query.wikidata.org/sparql> {} }",
                            allowed)
    with pytest.raises(QueryRefused):
        check_remote_references("SELECT * { SERVICE <https://evil.example/sparql> {} }",
                                allowed)
    with pytest.raises(QueryRefused):
        check_remote_references("LOAD <file:///etc/passwd>", allowed, kind="update")
    with pytest.raises(QueryRefused):
        check_remote_references("LOAD SILENT <http://127.0.0.1:9/x> INTO GRAPH <urn:g>",
                                kind="update")


def test_update_with_load_is_refused_by_the_engine(endpoint_dataset):
    with QueryEngine(endpoint_dataset, workers=1) as engine:
        with pytest.raises(QueryRefused):
            engine.update("LOAD <file:///etc/passwd>")


# ---- production server -----------------------------------------------------------------

def test_served_by_waitress_without_debug(endpoint_url, endpoint_app):
    _, headers, _ = call(endpoint_url + "sparql?" + urllib.parse.urlencode({"query": "ASK{}"}))
    assert headers["server"] == "caonto"  # waitress's ident; Flask's dev server says Werkzeug
    assert endpoint_app.debug is False


def test_unexpected_errors_are_500_without_a_trace():
    from flask import Flask

    from caonto.web.errors import register_error_handlers

    app = Flask("boom")
    register_error_handlers(app)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.logger.disabled = True  # the traceback goes to the log; keep the test output quiet
    response = app.test_client().get("/boom", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.json["status"] == 500
    assert b"secret internals" not in response.data
    assert b"Traceback" not in response.data


def test_a_memory_bomb_kills_only_its_worker(endpoint_dataset):
    # ?p: a predicate is always an IRI, so every row grows the string (STR of a blank
    # node is an error, and GROUP_CONCAT skips it)
    bomb = ("SELECT (STRLEN(GROUP_CONCAT(STR(?p))) AS ?x) "
            "WHERE { ?s ?p ?o . ?a ?b ?c . ?d ?e ?f }")
    with QueryEngine(endpoint_dataset, workers=1, timeout=60, worker_memory_mb=600) as engine:
        [before] = engine.worker_pids()
        with pytest.raises(EvaluationError, match="out of memory"):
            engine.query(bomb)
        assert not _process_exists(before)
        assert engine.query("ASK { ?s ?p ?o }", timeout=60).body.count(b"true") == 1


def test_workers_die_with_an_engine_nobody_closed(endpoint_dataset):
    import gc

    engine = QueryEngine(endpoint_dataset, workers=1)
    [pid] = engine.worker_pids()
    del engine
    gc.collect()
    assert not _process_exists(pid)
