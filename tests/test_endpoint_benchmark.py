"""The benchmark's parts: the synthetic graph's shape and the load drivers."""

import pyoxigraph as ox
import pytest
from benchmarks.run import QUERIES, WRK, drive, drive_wrk, parse_wrk

from caonto.synthetic import generate


def test_synthetic_graph_has_the_served_graphs_and_the_queried_shape(tmp_path):
    path = tmp_path / "s.nq"
    counts = generate(2000, path)
    assert sum(counts.values()) >= 2000
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    assert {g.value for g in store.named_graphs()} == set(counts)
    joined = list(store.query(QUERIES["join"], use_default_graph_as_union=True))
    assert joined
    looked_up = store.query(QUERIES["lookup"].replace(
        "{entity}", "https://w3id.org/caonto/id/state-0-1"), use_default_graph_as_union=True)
    assert len(list(looked_up)) > 3
    assert generate(2000, tmp_path / "again.nq") == counts  # deterministic


def test_synthetic_inferred_graph_is_the_reasoners_closure(tmp_path):
    from rdflib import Dataset

    from caonto.inference import infer
    from caonto.namespaces import GRAPH_ESSAY, GRAPH_INFERRED, GRAPH_ONTOLOGY

    path = tmp_path / "s.nq"
    generate(2500, path)
    dataset = Dataset()
    dataset.parse(path, format="nquads")
    asserted = dataset.graph(GRAPH_ONTOLOGY) + dataset.graph(GRAPH_ESSAY)
    inferred = set(dataset.graph(GRAPH_INFERRED))
    assert inferred and inferred == set(infer(asserted))


def test_driver_counts_answers_and_errors(endpoint_url):
    good = drive(endpoint_url + "sparql", "ASK { ?s ?p ?o }", 2, 20, 30)
    assert (good["requests"], good["errors"]) == (20, 0)
    assert good["p50"] <= good["p99"]
    bad = drive(endpoint_url + "sparql", "ASK { ?s ?p }", 1, 5, 30)
    assert (bad["requests"], bad["errors"]) == (0, 5)


WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:18777/sparql
  1 threads and 2 connections
  Latency Distribution
     50%  796.00us
     75%    1.37ms
     99%    8.85ms
  2007 requests in 1.01s, 1.00MB read
  Non-2xx or 3xx responses: 7
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:   1995.44
"""


def test_wrk_output_is_read_in_milliseconds_with_errors_apart():
    result = parse_wrk(WRK_OUTPUT)
    assert (result["requests"], result["errors"]) == (2000, 10)
    assert result["p50"] == pytest.approx(0.796) and result["p99"] == pytest.approx(8.85)
    assert result["qps"] == pytest.approx(2000 / 1.01)


@pytest.mark.skipif(WRK is None, reason="wrk is not installed (scripts/install-wrk.sh)")
def test_wrk_driver_counts_answers_and_errors(endpoint_url):
    good = drive_wrk(endpoint_url + "sparql", "ASK { ?s ?p ?o }", 2, 1)
    assert good["requests"] > 0 and good["errors"] == 0
    assert good["p50"] <= good["p99"]
    bad = drive_wrk(endpoint_url + "sparql", "ASK { ?s ?p }", 1, 1)
    assert bad["requests"] == 0 and bad["errors"] > 0
