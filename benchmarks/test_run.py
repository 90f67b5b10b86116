"""The benchmark's load driver, checked against a real endpoint (``make bench`` runs it
first). The endpoint fixtures are the test suite's."""

import pytest

from benchmarks.run import WRK, drive, drive_wrk, parse_wrk

pytest_plugins = ["tests.conftest"]


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
