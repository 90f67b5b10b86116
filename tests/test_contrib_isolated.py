"""Sandboxed jobs forked from a warm fork server: never in the server process, a fresh
process per job, no network, a dead fork server replaced, a crashed or timed-out job
killed without harming the next one; data-only updates run without the dataset."""

import os
import signal
import time
from pathlib import Path

import pytest

from caonto.contrib import isolated
from tests.contrib_samples import CONTRIB

TURTLE = b"<urn:x:s> <urn:x:p> <urn:x:o> ."


@pytest.fixture()
def jobs():
    runner = isolated.Jobs(isolated.Limits(timeout=30))
    yield runner
    runner.close()


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def _until(condition, limit: float = 10.0) -> bool:
    """Wait until ``condition()`` holds (True) or ``limit`` seconds pass (False)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_each_job_runs_in_a_fresh_process_outside_the_server_without_network(jobs, canary):
    first = jobs.run("probe", (canary.port,))
    second = jobs.run("probe", (canary.port,))
    server = jobs.server_pid()
    assert first[0] == second[0] == "probe"
    assert len({first[1], second[1], os.getpid(), server}) == 4
    assert first[2] == second[2] == "ENETUNREACH"
    assert canary.connections() == 0
    assert jobs.server_starts == 1  # both forked from the one warm server


def test_a_dead_fork_server_is_replaced_and_the_next_job_works(jobs):
    assert jobs.run("parse", (TURTLE, "turtle", None))[0] == "ok"
    dead = jobs.server_pid()
    os.kill(dead, signal.SIGKILL)
    assert _until(lambda: jobs._server.poll() is not None)
    reply = jobs.run("parse", (TURTLE, "turtle", None))
    assert reply == ("ok", b"<urn:x:s> <urn:x:p> <urn:x:o> .\n")
    assert jobs.server_starts == 2 and jobs.server_pid() != dead


def test_a_crashing_job_is_a_400_and_the_fork_server_serves_the_next(jobs, tmp_path):
    with pytest.raises(isolated.JobFailed) as failed:  # the dataset file is missing
        jobs.run("update", ("DELETE WHERE { ?s ?p ?o }",),
                 lambda request: (str(tmp_path / "missing.nq"), {}))
    assert failed.value.status == 400 and "crashed" in failed.value.message
    assert jobs.run("parse", (TURTLE, "turtle", None))[0] == "ok"
    assert jobs.server_starts == 1


def test_a_job_past_its_deadline_is_killed_with_a_503(tmp_path):
    dataset = tmp_path / "d.nq"
    dataset.write_text("".join(f'<urn:x:{i}> <urn:x:p> "{i}" .\n' for i in range(1000)))
    slow = (f"INSERT {{ GRAPH <{CONTRIB}slow> {{ <urn:x:a> <urn:x:n> ?n }} }} WHERE "
            "{ SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } }")
    runner = isolated.Jobs(isolated.Limits(timeout=1))
    try:
        started = time.monotonic()
        with pytest.raises(isolated.JobFailed) as failed:  # 10^9 rows to count
            runner.run("update", (slow,), lambda request: (str(dataset), {}))
        assert failed.value.status == 503 and "longer than 1 s" in failed.value.message
        assert time.monotonic() - started < 10
        assert _until(lambda: _children(runner.server_pid()) == [])
        assert runner.run("parse", (TURTLE, "turtle", None))[0] == "ok"
    finally:
        runner.close()


def _recording(graphs: dict[str, bytes], asked: list, dataset=None):
    def answer(request):
        asked.append(request[0])
        if request[0] == "graphs":
            return {iri: graphs[iri] for iri in request[1] if iri in graphs}
        return dataset

    return answer


def test_insert_and_delete_data_in_contributed_graphs_need_no_dataset(jobs):
    graph = CONTRIB + "held"
    held = {graph: b'<urn:x:a> <urn:x:p> "1" .\n<urn:x:a> <urn:x:p> "2" .\n'}
    asked: list = []
    reply = jobs.run("update", (f'DELETE DATA {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:p> "1" }} }} ;'
                                f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:p> "3" }} }} ;'
                                f"INSERT DATA {{ GRAPH <{CONTRIB}new> {{ <urn:x:b> <urn:x:p> 4 }} }}",),
                     _recording(held, asked))
    assert asked == ["graphs"]
    assert reply[0] == "ok"
    assert set(reply[1][graph].splitlines()) == {b'<urn:x:a> <urn:x:p> "2" .',
                                                  b'<urn:x:a> <urn:x:p> "3" .'}
    assert reply[1][CONTRIB + "new"].startswith(b"<urn:x:b> <urn:x:p> ")


@pytest.mark.parametrize("update", [
    "INSERT DATA { <urn:x:a> <urn:x:p> 1 }",  # the default graph: read-only
    "INSERT DATA { GRAPH <https://w3id.org/caonto/graph/essay> { <urn:x:a> <urn:x:p> 1 } }",
    f"INSERT {{ GRAPH <{CONTRIB}w> {{ ?s <urn:x:p> 1 }} }} WHERE {{ ?s a <urn:x:C> }}",
    f"DROP GRAPH <{CONTRIB}w>",
])
def test_other_updates_run_on_the_dataset(jobs, tmp_path, update):
    dataset = tmp_path / "d.nq"
    dataset.write_text('<urn:x:a> <urn:x:p> "1" <https://w3id.org/caonto/graph/essay> .\n')
    asked: list = []
    jobs.run("update", (update,), _recording({}, asked, (str(dataset), {})))
    assert asked[-1] == "dataset"


def test_a_job_nobody_kills_ends_itself_past_its_deadline(tmp_path):
    """Should the server die mid-job, the child does not run on: the kernel ends it."""
    dataset = tmp_path / "d.nq"
    dataset.write_text("".join(f'<urn:x:{i}> <urn:x:p> "{i}" .\n' for i in range(1000)))
    runner = isolated.Jobs(isolated.Limits(timeout=1))
    try:
        conn, pidfd = runner._fork()  # a job as run() starts it, without run()'s kill
        conn.send(("update", ("INSERT { <urn:x:a> <urn:x:n> ?n } WHERE { SELECT (COUNT(*) "
                              "AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } }",)))
        assert conn.recv() == ("dataset",)
        conn.send((str(dataset), {}))
        assert _until(lambda: _children(runner.server_pid()) == [], limit=20)
        os.close(pidfd)
        conn.close()
    finally:
        runner.close()
