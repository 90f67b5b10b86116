"""The engine answers as SPARQL 1.1 says and never serves stale data: dataset clauses,
relative IRIs, replaced graphs, uncut answers for the server's own callers, workers that
miss a write, bounded respawns, and waiting that does not eat evaluation time."""

import json
import logging
import threading
import time

import pyoxigraph as ox
import pytest

from caonto.engine import pool
from caonto.engine.interface import DatasetChoice, EngineBusy, EvaluationError, QueryTimeout
from caonto.engine.local import run_query
from caonto.engine.pool import QueryEngine
from tests.test_endpoint_protocol import bindings, get
from tests.test_endpoint_safety import PATHOLOGICAL

ONTOLOGY = "https://w3id.org/caonto/graph/ontology"
ESSAY = "https://w3id.org/caonto/graph/essay"
CONTRIB = "https://w3id.org/caonto/graph/contrib/t"
PLAIN = DatasetChoice(inference=False)


def _count(engine_or_url, query: str, choice: DatasetChoice = DatasetChoice()) -> int:
    if isinstance(engine_or_url, str):
        status, _, body = get(engine_or_url, {"query": query,
                                              "inference": str(choice.inference).lower()})
        assert status == 200, body
        return int(bindings(body, "n")[0])
    names, rows = engine_or_url.solutions(query, choice)
    return int(rows[0][0].value)


@pytest.fixture(scope="module")
def engine(endpoint_dataset):
    with QueryEngine(endpoint_dataset, workers=1, max_rows=3) as engine:
        yield engine


# ---- dataset clauses -------------------------------------------------------------------------

def test_from_names_the_default_graph(engine, endpoint_url):
    in_ontology = _count(engine, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ONTOLOGY}> "
                                 "{ ?s ?p ?o } }")
    union = _count(engine, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert 0 < in_ontology < union
    from_ontology = f"SELECT (COUNT(*) AS ?n) FROM <{ONTOLOGY}> WHERE {{ ?s ?p ?o }}"
    assert _count(engine, from_ontology) == in_ontology
    assert _count(endpoint_url, from_ontology) == in_ontology


def test_from_named_names_the_named_graphs_also_without_inference(engine, endpoint_url):
    query = f"SELECT (COUNT(DISTINCT ?g) AS ?n) FROM NAMED <{ESSAY}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert _count(engine, query, PLAIN) == 1
    assert _count(endpoint_url, query, PLAIN) == 1
    without = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert _count(engine, without, PLAIN) == 2  # ontology and essay; inferred is hidden


def test_the_command_line_honours_from(endpoint_dataset):
    store = ox.Store()
    store.bulk_load(path=str(endpoint_dataset), format=ox.RdfFormat.N_QUADS)
    _, [[whole]] = run_query(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ONTOLOGY}> "
                                    "{ ?s ?p ?o } }")
    _, [[counted]] = run_query(store, f"SELECT (COUNT(*) AS ?n) FROM <{ONTOLOGY}> "
                                      "WHERE { ?s ?p ?o }")
    assert counted == whole


def test_relative_iris_resolve_against_the_service(endpoint_url):
    status, _, body = get(endpoint_url, {"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"},
                          {"Accept": "application/n-triples"})
    assert status == 200, body
    assert body.decode().startswith(f"<{endpoint_url}s> <{endpoint_url}p> ")


# ---- writes are seen, and only the latest content --------------------------------------------

def test_replaced_graphs_lose_their_old_triples_and_are_seen_without_inference(endpoint_dataset):
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{CONTRIB}> {{ ?s ?p ?o }} }}"
    listed = "SELECT (COUNT(*) AS ?n) WHERE { <urn:x:a> ?p ?o }"
    with QueryEngine(endpoint_dataset, workers=2) as engine:
        assert _count(engine, listed, PLAIN) == 0  # the graph list is read before the write
        engine.replace_graphs({CONTRIB: b'<urn:x:a> <urn:x:p> "old" .\n<urn:x:a> <urn:x:q> "1" .\n'})
        assert [_count(engine, listed, PLAIN) for _ in range(4)] == [2] * 4
        engine.replace_graphs({CONTRIB: b'<urn:x:a> <urn:x:p> "new" .\n'})
        assert [_count(engine, query) for _ in range(4)] == [1] * 4
        assert [_count(engine, listed, PLAIN) for _ in range(4)] == [1] * 4
        answer = engine.query('ASK { <urn:x:a> <urn:x:p> "old" }', PLAIN)
        assert b"false" in answer.body


def test_solutions_are_never_cut_for_the_server(engine):
    names, rows = engine.solutions("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    assert len(rows) > 1000  # the engine's row cap is 3
    answer = engine.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    assert answer.truncated and answer.count == 3


def test_a_worker_that_cannot_replay_a_write_is_replaced_not_used(endpoint_dataset):
    with QueryEngine(endpoint_dataset, workers=1) as engine:
        [first] = engine.worker_pids()
        engine.replace_graphs({CONTRIB: b"this is not N-Triples\n"})
        for _ in range(2):  # never an answer from a worker that missed the write
            with pytest.raises(EvaluationError, match="writes"):
                engine.query("ASK { ?s ?p ?o }", timeout=60)
        assert first not in engine.worker_pids()
        assert engine.respawns >= 1


# ---- respawns and deadlines ------------------------------------------------------------------

def test_respawn_gives_up_after_its_attempts_and_says_so(endpoint_dataset, monkeypatch, caplog):
    monkeypatch.setattr(pool, "RESPAWN_PAUSES", (0, 0, 0))
    with QueryEngine(endpoint_dataset, workers=1, timeout=0.5) as engine:
        config = json.loads(engine._worker_config)
        engine._worker_config = json.dumps({**config, "nquads": "/nonexistent/data.nq"})
        with caplog.at_level(logging.WARNING, logger="caonto.engine.pool"):
            with pytest.raises(QueryTimeout):
                engine.query(PATHOLOGICAL)
            deadline = time.monotonic() + 120
            while engine.respawn_failures == 0 and time.monotonic() < deadline:
                time.sleep(0.1)  # waiting for something that does happen, bounded
        assert engine.respawn_failures == 1
        assert engine.worker_pids() == []
        failures = [r for r in caplog.records if "(attempt " in r.getMessage()]
        assert [r.getMessage().split("(attempt ")[1][:6] for r in failures] == \
            ["1 of 3", "2 of 3", "3 of 3"]
        assert any("gave up" in r.getMessage() for r in caplog.records)
        with pytest.raises(EngineBusy):
            engine.queue_wait = 0.1
            engine.query("ASK {}")


def test_waiting_for_a_worker_does_not_eat_the_evaluation_time(endpoint_dataset):
    with QueryEngine(endpoint_dataset, workers=1, queue_wait=30) as engine:
        busy = engine._idle[pool.PUBLIC].get()  # as if a long query held the only worker
        threading.Timer(1.5, engine._idle[pool.PUBLIC].put, args=(busy,)).start()
        answer = engine.query("ASK { ?s ?p ?o }", timeout=1.0)  # waits 1.5 s, then has 1 s
        assert b"true" in answer.body


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0, 0.0])
def test_the_engine_refuses_timeouts_that_are_not_positive_and_finite(engine, value):
    with pytest.raises(ValueError):
        engine.query("ASK {}", timeout=value)
    assert b"true" in engine.query("ASK { ?s ?p ?o }").body

