"""The benchmark's parts: the synthetic graph's shape and the load driver."""

import pyoxigraph as ox
from benchmarks.run import QUERIES, drive

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


def test_driver_counts_answers_and_errors(endpoint_url):
    good = drive(endpoint_url + "sparql", "ASK { ?s ?p ?o }", 2, 20, 30)
    assert (good["requests"], good["errors"]) == (20, 0)
    assert good["p50"] <= good["p99"]
    bad = drive(endpoint_url + "sparql", "ASK { ?s ?p }", 1, 5, 30)
    assert (bad["requests"], bad["errors"]) == (0, 5)
