"""Writes on the shared on-disk store: the workers stay on shared, read-only checkpoints,
answer exactly what an in-memory engine given the same writes answers, never see a
write half applied, and old checkpoints are deleted (caonto.engine.disk_store)."""

import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from caonto import formats
from caonto.engine.disk_store import Versions, location_for
from caonto.engine.interface import EvaluationError
from caonto.engine.pool import QueryEngine

ALL_QUADS = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
TSV = formats.BY_NAME["tsv"]
INFERRED = "https://w3id.org/caonto/graph/inferred"


def writes(inferred: bytes) -> list:
    """Additions, a blank node, a replacement, a deletion, SPARQL updates, and the
    inferred graph published whole with a few triples gone and one more."""
    lines = inferred.splitlines()
    return [
        ("graphs", {"urn:a": b"<urn:x> <urn:p> <urn:y> .\n<urn:x> <urn:p> \"one\"@en .\n"}),
        ("graphs", {"urn:b": b"_:n1 <urn:p> <urn:z> .\n<urn:z> <urn:q> _:n1 .\n"}),
        ("graphs", {"urn:a": b"<urn:x> <urn:p> \"two\"@kk .\n"}),  # replaces urn:a
        ("update", "INSERT DATA { GRAPH <urn:c> { <urn:u> <urn:v> 42 } }"),
        ("graphs", {INFERRED: b"\n".join(lines[3:] + [b"<urn:x> <urn:r> <urn:y> ."]) + b"\n",
                    "urn:b": None}),  # deletes urn:b
        ("update", "DELETE WHERE { GRAPH <urn:c> { ?s ?p ?o } }"),
        ("graphs", {"urn:d": b"<urn:d> <urn:p> \"x\\ny\" .\n"}),
    ]


def apply(engine, write) -> None:
    kind, payload = write
    if kind == "graphs":
        engine.replace_graphs(payload)
    else:
        engine.update(payload)


def quads(engine, **options) -> set[bytes]:
    body = engine.query(ALL_QUADS, solutions_format=TSV, **options).body
    return set(body.splitlines()[1:])


def comparable(lines: set[bytes]) -> Counter:
    """Quads with their blank node labels masked: each engine loads the file's blank
    nodes under labels of its own (written ones keep theirs, and are checked as such)."""
    return Counter(re.sub(rb"_:\S+", b"_:", line) for line in lines)


def sst_directories(pid: int) -> set[Path]:
    """The directories of the RocksDB table files process ``pid`` has open."""
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.endswith(".sst"):
            found.add(Path(target).parent)
    return found


@pytest.fixture()
def source(endpoint_dataset, tmp_path) -> Path:
    path = tmp_path / "data.nq"
    path.write_bytes(endpoint_dataset.read_bytes())
    return path


@pytest.fixture()
def inferred(source) -> bytes:
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(source), format=ox.RdfFormat.N_QUADS)
    return store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(INFERRED))


@pytest.fixture()
def disk_engine(source):
    engine = QueryEngine(source, workers=2, page_workers=1, timeout=30, disk_store=True,
                         max_rows=100_000)
    yield engine
    engine.close()


def test_every_worker_answers_like_an_in_memory_engine_after_each_write(
        source, inferred, disk_engine):
    memory = QueryEngine(source, workers=1, timeout=30, max_rows=100_000)
    try:
        for write in writes(inferred):
            apply(memory, write)
            apply(disk_engine, write)
            expected = quads(memory)
            # Queries go to the idle workers in turn: two rounds reach both query workers.
            answers = [quads(disk_engine) for _ in range(2)] + [quads(disk_engine,
                                                                      internal=True)]
            assert [comparable(a) for a in answers] == [comparable(expected)] * 3, write
            written = {line for line in expected if b"<urn:" in line}
            assert [{line for line in a if b"<urn:" in line} for a in answers] == \
                [written] * 3
        assert b"<urn:d>\t<urn:d>\t<urn:p>\t\"x\\ny\"" in expected  # the writes did land
        assert not any(line.startswith(b"<urn:b>") for line in expected)
    finally:
        memory.close()


def test_workers_read_the_newest_checkpoint_and_hold_no_copy_of_their_own(
        inferred, disk_engine):
    for write in writes(inferred):
        apply(disk_engine, write)
    for _ in range(3):
        quads(disk_engine)
    quads(disk_engine, internal=True)
    [newest] = disk_engine.checkpoints()
    for pid in disk_engine.worker_pids():
        # A worker holding an in-memory copy would have no table files open at all.
        assert sst_directories(pid) == {newest}, pid


def test_a_checkpoint_is_deleted_once_no_worker_reads_it(disk_engine):
    base = location_for(disk_engine.nquads)
    disk_engine.replace_graphs({"urn:a": b"<urn:a> <urn:p> <urn:b> .\n"})
    [first] = disk_engine.checkpoints()
    quads(disk_engine)  # one query worker moves to the first checkpoint
    disk_engine.replace_graphs({"urn:a": b"<urn:a> <urn:p> <urn:c> .\n"})
    first_, second = disk_engine.checkpoints()
    assert first_ == first  # still read by that worker
    quads(disk_engine)  # the other query worker: base -> second
    assert disk_engine.checkpoints() == [first, second]
    quads(disk_engine)  # the first worker moves on: nobody reads the first any more
    assert disk_engine.checkpoints() == [second]
    quads(disk_engine, internal=True)
    for pid in disk_engine.worker_pids():
        assert sst_directories(pid) == {second}
    assert base.is_dir()  # the prepared store is kept for the next start
    root = second.parent
    disk_engine.close()
    assert not root.exists()


def test_a_write_that_fails_half_way_is_never_seen_nor_built_on(disk_engine):
    disk_engine.replace_graphs({"urn:a": b"<urn:a> <urn:p> <urn:one> .\n"})
    before = quads(disk_engine)
    # The writer applies urn:a, then cannot parse urn:b: the write stops half way.
    with pytest.raises(EvaluationError, match="could not apply"):
        disk_engine.replace_graphs({"urn:a": b"<urn:a> <urn:p> <urn:two> .\n",
                                    "urn:b": b"<urn:b> <urn:p> oops .\n"})
    assert [quads(disk_engine) for _ in range(2)] == [before] * 2
    disk_engine.replace_graphs({"urn:c": b"<urn:c> <urn:p> <urn:c> .\n"})
    after = quads(disk_engine)
    assert b"<urn:a>\t<urn:a>\t<urn:p>\t<urn:one>" in after  # not <urn:two>
    assert after - before == {b"<urn:c>\t<urn:c>\t<urn:p>\t<urn:c>"}


def test_a_writer_that_died_is_replaced_from_the_newest_checkpoint(disk_engine):
    disk_engine.replace_graphs({"urn:a": b"<urn:a> <urn:p> <urn:one> .\n"})
    [writer] = disk_engine._writers
    writer.process.kill()
    writer.process.wait(5)
    with pytest.raises(EvaluationError, match="writer died"):
        disk_engine.replace_graphs({"urn:b": b"<urn:b> <urn:p> <urn:two> .\n"})
    disk_engine.replace_graphs({"urn:b": b"<urn:b> <urn:p> <urn:three> .\n"})
    answer = quads(disk_engine)
    assert b"<urn:a>\t<urn:a>\t<urn:p>\t<urn:one>" in answer
    assert b"<urn:b>\t<urn:b>\t<urn:p>\t<urn:three>" in answer
    assert b"<urn:b>\t<urn:b>\t<urn:p>\t<urn:two>" not in answer


def test_a_refused_update_changes_nothing_and_keeps_the_writer(disk_engine):
    from caonto.engine.interface import QuerySyntaxError

    disk_engine.update("INSERT DATA { GRAPH <urn:a> { <urn:a> <urn:p> 1 } }")
    version, writers = disk_engine.data_version, list(disk_engine._writers)
    with pytest.raises(QuerySyntaxError):
        disk_engine.update("INSERT DATA { GRAPH <urn:a> { <urn:a> <urn:p> } }")
    assert disk_engine.data_version == version and disk_engine._writers == writers


def test_directories_left_by_a_crashed_engine_are_removed_by_the_next(source, tmp_path):
    base = location_for(source)
    base.mkdir()
    code = ("import sys, time; from pathlib import Path; "
            "from caonto.engine.disk_store import Versions; "
            "v = Versions(Path(sys.argv[1])); print(v.root, flush=True); time.sleep(60)")
    crashed = subprocess.Popen([sys.executable, "-c", code, str(base)], stdout=subprocess.PIPE,
                               text=True)
    abandoned = Path(crashed.stdout.readline().strip())
    running = Versions(base)  # a live engine's directory is left alone
    assert abandoned.is_dir() and running.root.is_dir()
    crashed.send_signal(signal.SIGKILL)
    crashed.wait(5)
    crashed.stdout.close()
    again = Versions(base)
    assert not abandoned.exists() and running.root.is_dir()
    running.close()
    again.close()


def test_a_restart_after_writes_serves_the_same_data(tmp_path):
    from caonto.web import create_app
    from tests.contrib_samples import CONTRIB, TOKEN, TOKENS_SETTING, membership

    settings = {"CAONTO_TOKENS": TOKENS_SETTING, "CAONTO_CONTRIB_DIR": str(tmp_path / "c"),
                "CAONTO_BUILD_DIR": str(tmp_path / "build"), "CAONTO_DISK_STORE": "on",
                "CAONTO_WORKERS": 1, "CAONTO_PAGE_WORKERS": 0, "CAONTO_MAX_ROWS": 100_000}
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"}

    def everything(app) -> set[bytes]:
        return quads(app.extensions["caonto"].engine)

    def stop(app) -> None:
        app.extensions["caonto.contrib"].close()
        app.extensions["caonto"].engine.close()

    app = create_app({**settings, "CAONTO_CONTRIB_DIR": str(tmp_path / "empty")})
    try:
        pristine = everything(app)
    finally:
        stop(app)
    app = create_app(settings)
    try:
        client = app.test_client()
        for key in ("r1", "r2"):
            response = client.put(f"/store?graph={CONTRIB}{key}",
                                  data=membership(key).encode(), headers=headers)
            assert response.status_code == 201, response.data
        assert client.delete(f"/store?graph={CONTRIB}r1", headers=headers).status_code == 200
        served = everything(app)
        assert any(b"membership-r2" in line for line in served)
        assert not any(b"membership-r1" in line for line in served)
        assert app.extensions["caonto"].engine.checkpoints()  # writes went to checkpoints
    finally:
        stop(app)
    again = create_app(settings)
    try:
        assert everything(again) == served
    finally:
        stop(again)
    # The journal is what lasts: with none, the restart serves the built dataset alone.
    empty = create_app({**settings, "CAONTO_CONTRIB_DIR": str(tmp_path / "empty")})
    try:
        assert everything(empty) == pristine
    finally:
        stop(empty)


def test_a_worker_that_cannot_open_the_checkpoint_never_answers_from_the_old_one(
        disk_engine):
    import shutil

    before = quads(disk_engine)
    disk_engine.replace_graphs({"urn:a": b"<urn:a> <urn:p> <urn:b> .\n"})
    [newest] = disk_engine.checkpoints()
    shutil.rmtree(newest)
    with pytest.raises(EvaluationError, match="no query worker could apply"):
        quads(disk_engine)  # both attempts fail: no answer rather than a stale one
    disk_engine.replace_graphs({"urn:c": b"<urn:c> <urn:p> <urn:c> .\n"})
    assert quads(disk_engine) - before == {b"<urn:a>\t<urn:a>\t<urn:p>\t<urn:b>",
                                           b"<urn:c>\t<urn:c>\t<urn:p>\t<urn:c>"}
