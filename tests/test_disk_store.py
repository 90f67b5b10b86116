"""The shared on-disk store: built once, reused while the data is unchanged, readable by
many processes at once, and identical in content to the N-Quads file."""

import os
import subprocess
import sys

import pyoxigraph as ox
import pytest

from caonto.engine.disk_store import is_current, location_for, open_read_only, prepare

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def count(store) -> int:
    return int(next(iter(store.query(COUNT)))["n"].value)


def test_prepared_store_holds_the_file_and_is_reused(endpoint_dataset, tmp_path):
    source = tmp_path / "data.nq"
    source.write_bytes(endpoint_dataset.read_bytes())
    directory = prepare(source)
    assert directory == location_for(source) and is_current(directory, source)
    quads = sum(1 for _ in ox.parse(path=str(source), format=ox.RdfFormat.N_QUADS))
    assert count(open_read_only(directory)) == quads
    marker = (directory / "caonto-source.json").stat().st_mtime_ns
    assert prepare(source) == directory  # unchanged data: nothing rebuilt
    assert (directory / "caonto-source.json").stat().st_mtime_ns == marker


def test_a_changed_file_is_rebuilt(endpoint_dataset, tmp_path):
    source = tmp_path / "data.nq"
    source.write_bytes(endpoint_dataset.read_bytes())
    directory = prepare(source)
    with open(source, "a", encoding="utf-8") as handle:
        handle.write("<urn:x> <urn:p> <urn:y> <https://w3id.org/caonto/graph/essay> .\n")
    os.utime(source, ns=(0, 1))  # a different mtime whatever the clock's resolution
    assert not is_current(directory, source)
    store = open_read_only(prepare(source))
    assert store.query("ASK { GRAPH ?g { <urn:x> <urn:p> <urn:y> } }")


def test_several_processes_read_it_at_once(endpoint_dataset, tmp_path):
    source = tmp_path / "data.nq"
    source.write_bytes(endpoint_dataset.read_bytes())
    directory = prepare(source)
    held = open_read_only(directory)  # this process keeps it open meanwhile
    code = ("import sys, pyoxigraph as ox; s = ox.Store.read_only(sys.argv[1]); "
            f"print(next(iter(s.query({COUNT!r})))['n'].value)")
    outputs = [subprocess.run([sys.executable, "-c", code, str(directory)], capture_output=True,
                              text=True, timeout=60, check=True).stdout.strip()
               for _ in range(2)]
    assert outputs == [str(count(held))] * 2


def test_the_query_engine_serves_from_the_shared_store_and_still_takes_writes(
        endpoint_dataset, tmp_path):
    from caonto import formats as fmt
    from caonto.engine.pool import QueryEngine

    source = tmp_path / "data.nq"
    source.write_bytes(endpoint_dataset.read_bytes())
    engine = QueryEngine(source, workers=2, timeout=20, disk_store=True)
    try:
        assert is_current(location_for(source), source)
        ask = "ASK { GRAPH <urn:contrib> { <urn:a> <urn:b> <urn:c> } }"
        json_format = fmt.BY_NAME["json"]
        assert b"false" in engine.query(ask, solutions_format=json_format).body
        engine.replace_graphs({"urn:contrib": b"<urn:a> <urn:b> <urn:c> .\n"})
        for _ in range(4):  # whichever worker answers has replayed the write
            assert b"true" in engine.query(ask, solutions_format=json_format).body
    finally:
        engine.close()
    assert count(open_read_only(location_for(source))) == \
        sum(1 for _ in ox.parse(path=str(source), format=ox.RdfFormat.N_QUADS))  # untouched


def test_auto_picks_the_shared_store_only_when_copies_would_not_fit(tmp_path):
    from caonto import config
    from caonto.engine.factory import use_disk_store

    data = tmp_path / "big.nq"
    with open(data, "wb") as handle:
        handle.truncate(100 * 2**20)  # 100 MiB: a copy peaks at ~420 MB per worker
    settings = config.load({"CAONTO_DISK_STORE": "auto", "CAONTO_MEMORY_MB": 2048}, environ={})
    assert not use_disk_store(settings, data, workers=2)  # 150 + 840 MB fits
    assert use_disk_store(settings, data, workers=8)  # 150 + 3360 MB does not
    assert use_disk_store(settings.with_changes(disk_store="on"), data, workers=1)
    assert not use_disk_store(settings.with_changes(disk_store="off"), data, workers=8)


def test_the_auto_threshold_is_where_a_copy_per_worker_stops_fitting(tmp_path):
    from caonto import config
    from caonto.engine.factory import disk_store_threshold_mb, use_disk_store

    assert disk_store_threshold_mb(2048, 2) == pytest.approx((2048 - 150) / (2 * 4.2))  # ~226 MB
    settings = config.load({"CAONTO_DISK_STORE": "auto", "CAONTO_MEMORY_MB": 2048}, environ={})
    # every page worker holds a copy too
    threshold = disk_store_threshold_mb(2048, 2 + settings.page_workers)
    for size_mb, expected in ((threshold - 1, False), (threshold + 1, True)):
        data = tmp_path / f"{size_mb:.0f}.nq"
        with open(data, "wb") as handle:
            handle.truncate(int(size_mb * 2**20))
        assert use_disk_store(settings, data, workers=2) is expected
