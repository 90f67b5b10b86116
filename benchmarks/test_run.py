"""The benchmark's load driver, checked against a real endpoint (``make bench`` runs it
first). The endpoint fixtures are the test suite's."""

from benchmarks.run import drive

pytest_plugins = ["tests.conftest"]


def test_driver_counts_answers_and_errors(endpoint_url):
    good = drive(endpoint_url + "sparql", "ASK { ?s ?p ?o }", 2, 20, 30)
    assert (good["requests"], good["errors"]) == (20, 0)
    assert good["p50"] <= good["p99"]
    bad = drive(endpoint_url + "sparql", "ASK { ?s ?p }", 1, 5, 30)
    assert (bad["requests"], bad["errors"]) == (0, 5)
