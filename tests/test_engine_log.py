"""The query workers' write log: a delta entry leaves exactly the store a whole-graph
replacement leaves; the log stays bounded however many writes come; a worker that
starts afresh or fell behind is brought to the current data."""

import json
import os
import signal
import time

import pytest

from caonto.engine.interface import EvaluationError, GraphDelta
from caonto.engine.pool import MAX_LOG_ENTRIES, QueryEngine

ALL_QUADS = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
NAMED_GRAPHS = "SELECT ?g WHERE { GRAPH ?g { } }"
A, B, INFERRED = "urn:g:a", "urn:g:b", "urn:g:inferred"

# Each step: the graphs as they are after it (absent = dropped), N-Triples lines.
STEPS = [
    {A: {'<urn:x:a> <urn:x:p> "1" .', "<urn:x:a> <urn:x:q> _:b1 .", '_:b1 <urn:x:r> "v" .'},
     INFERRED: {"<urn:x:a> <urn:x:t> <urn:x:C> ."}},
    {A: {'<urn:x:a> <urn:x:p> "2" .', "<urn:x:a> <urn:x:q> _:b1 .", '_:b1 <urn:x:r> "v" .'},
     INFERRED: {"<urn:x:a> <urn:x:t> <urn:x:D> ."}},  # removals and additions
    {B: {'<urn:x:b> <urn:x:p> "3" .'},
     INFERRED: {"<urn:x:a> <urn:x:t> <urn:x:D> .", "<urn:x:b> <urn:x:t> <urn:x:C> ."}},  # A deleted
    {B: {'<urn:x:b> <urn:x:p> "4"@en .'}, INFERRED: set()},  # replaced; inferred emptied
]


def _nt(lines) -> bytes:
    return "".join(f"{line}\n" for line in sorted(lines)).encode()


def _delta(before: dict, after: dict) -> GraphDelta:
    graphs = set(before) | set(after)
    return GraphDelta(
        added={g: _nt(after[g] - before.get(g, set())) for g in graphs
               if g in after and after[g] - before.get(g, set())},
        removed={g: _nt(before[g] - after[g]) for g in graphs
                 if g in before and g in after and before[g] - after[g]},
        dropped=frozenset(g for g in graphs if g in before and g not in after),
        whole=lambda: {g: _nt(lines) for g, lines in after.items() if lines})


def _state(engine: QueryEngine, internal: bool = False) -> tuple[set, set]:
    """Every quad and every named graph, read by one worker."""
    return tuple(engine.query(query, internal=internal).body
                 for query in (ALL_QUADS, NAMED_GRAPHS))


def _rows(body: bytes) -> set:
    return {tuple(sorted((k, v["value"], v["type"]) for k, v in row.items()))
            for row in json.loads(body)["results"]["bindings"]}


@pytest.fixture()
def dataset(tmp_path):
    path = tmp_path / "base.nq"
    path.write_text('<urn:x:base> <urn:x:p> "0" <urn:g:base> .\n')
    return path


def test_a_delta_leaves_the_store_a_whole_replacement_leaves(dataset):
    with QueryEngine(dataset, workers=1) as whole, QueryEngine(dataset, workers=1) as delta:
        before: dict = {}
        for after in STEPS:
            whole.replace_graphs({g: _nt(after[g]) if after.get(g) else None
                                  for g in set(before) | set(after)})
            delta.change_graphs(_delta(before, after))
            replaced, changed = _state(whole), _state(delta)
            assert _rows(changed[0]) == _rows(replaced[0])
            assert _rows(changed[1]) == _rows(replaced[1])
            expected = {line for lines in after.values() for line in lines}
            assert len(_rows(changed[0])) == len(expected) + 1  # the base triple
            before = after


def _counted_writes(engine: QueryEngine, count: int, query_each: bool) -> None:
    before: dict = {}
    for i in range(count):
        after = {A: before.get(A, set()) | {f'<urn:x:a> <urn:x:n> "{i}" .'}}
        engine.change_graphs(_delta(before, after))
        if query_each:
            engine.query("ASK { ?s ?p ?o }")
        before = after


def _count_in_a(engine: QueryEngine, internal: bool = False) -> int:
    body = engine.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{A}> {{ ?s ?p ?o }} }}",
                        internal=internal).body
    return int(_rows(body).pop()[0][1])


def test_the_log_stays_bounded_and_a_lagging_worker_catches_up(dataset):
    count = 3 * MAX_LOG_ENTRIES
    with QueryEngine(dataset, workers=1, page_workers=1) as engine:
        held_b = {B: {'<urn:x:b> <urn:x:p> "b" .'}}
        engine.change_graphs(_delta({}, held_b))
        assert b"true" in engine.query(f"ASK {{ GRAPH <{B}> {{ ?s ?p ?o }} }}",
                                       internal=True).body  # the page worker has B
        engine.change_graphs(_delta(held_b, {}))  # B deleted
        _counted_writes(engine, count, query_each=True)  # the page worker never asks
        assert engine.log_size() <= MAX_LOG_ENTRIES
        assert engine.data_version == count + 2
        assert _count_in_a(engine, internal=True) == count  # the page worker, caught up
        assert b"false" in engine.query(f"ASK {{ GRAPH <{B}> {{ ?s ?p ?o }} }}",
                                        internal=True).body
        assert _count_in_a(engine) == count


def test_a_log_every_worker_has_applied_is_dropped(dataset):
    with QueryEngine(dataset, workers=1) as engine:
        _counted_writes(engine, 50, query_each=True)
        assert engine.log_size() <= 1


def test_a_respawned_worker_after_many_writes_holds_the_current_data(dataset):
    count = 2 * MAX_LOG_ENTRIES
    with QueryEngine(dataset, workers=1, queue_wait=60) as engine:
        _counted_writes(engine, count, query_each=False)
        [old] = engine.worker_pids()
        os.kill(old, signal.SIGKILL)
        with pytest.raises(EvaluationError):
            engine.query("ASK { ?s ?p ?o }")
        deadline = time.monotonic() + 60
        while engine.worker_pids() in ([], [old]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.worker_pids() not in ([], [old])
        assert _count_in_a(engine) == count
