"""Every request is bounded: parameters are validated, headers limited, answers capped in
bytes as well as rows, memory held within a bound whatever the queries are."""

import json
import os
import urllib.parse
from pathlib import Path

import pytest
from rdflib import Graph

from caonto.web import negotiation
from tests.conftest import caonto_serve, endpoint_settings, free_port, running_server
from tests.test_endpoint_protocol import call, get

ASK = {"query": "ASK { ?s ?p ?o }"}


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e309", "-1", "0", "abc", ""])
def test_a_timeout_that_is_not_a_positive_number_is_400(endpoint_url, value):
    status, _, body = get(endpoint_url, {**ASK, "timeout": value})
    assert status == 400, body
    assert b"timeout" in body


def test_non_finite_timeouts_leave_every_worker_serving(endpoint_url):
    for _ in range(4):  # more than the workers: any leak would show as a 503 below
        get(endpoint_url, {**ASK, "timeout": "nan"})
    status, _, body = get(endpoint_url, ASK)
    assert (status, b"true" in body) == (200, True)
    assert call(endpoint_url)[0] == 200  # and the pages


def test_an_oversized_accept_header_is_400(endpoint_url):
    long_header = "application/json;q=0." + "1" * 11_000
    status, _, body = get(endpoint_url, ASK, {"Accept": long_header})
    assert status == 400 and b"Accept" in body
    many = ", ".join(f"text/x-{i}" for i in range(negotiation.MAX_ACCEPT_RANGES + 1))
    status, _, body = get(endpoint_url, ASK, {"Accept": many})
    assert status == 400 and b"media ranges" in body


def test_negotiation_reads_the_header_once(monkeypatch):
    calls = []
    original = negotiation.parse_accept
    monkeypatch.setattr(negotiation, "parse_accept", lambda h: calls.append(h) or original(h))
    header = ", ".join(f"text/x-{i};q=0" for i in range(60)) + ", */*;q=0.1"
    assert negotiation.negotiate(header, "solutions").name == "json"
    assert len(calls) == 1


@pytest.mark.parametrize("name, value", [("default-graph-uri", "not an iri"),
                                         ("named-graph-uri", "https://x/a b"),
                                         ("default-graph-uri", "https://x/\n")])
def test_graph_parameters_must_be_iris(endpoint_url, name, value):
    status, _, body = get(endpoint_url, {**ASK, name: value})
    assert status == 400, body
    assert name.encode() in body


@pytest.mark.parametrize("query", ["ASK " + "{" * 6000 + "}" * 6000,
                                   "ASK { FILTER(" + "(" * 6000 + "1" + ")" * 6000 + ") }"])
def test_a_query_nested_thousands_deep_is_400(endpoint_url, query):
    status, _, body = call(endpoint_url + "sparql", "POST", query.encode(),
                           {"Content-Type": "application/sparql-query"})
    assert status == 400, body
    assert get(endpoint_url, ASK)[0] == 200


def test_search_text_is_bounded(endpoint_url):
    status, _, body = call(endpoint_url + "search?" + urllib.parse.urlencode(
        {"q": "қазақстан " * 500, "format": "json"}))
    assert status == 400 and b"200 characters" in body
    status, _, _ = call(endpoint_url + "search?" + urllib.parse.urlencode(
        {"q": "қазақстан " * 24_000, "format": "json"}))
    assert status in (400, 414, 431)  # the HTTP server refuses a 240 KB request line first
    status, _, _ = call(endpoint_url + "search?" + urllib.parse.urlencode(
        {"q": "а" * 200, "format": "json"}))
    assert status == 200


# ---- answers capped in bytes ----------------------------------------------------------------

CAP = 64 * 1024
# 60 rows of 16 KiB each (a 1 KiB literal doubled four times): ~1 MiB uncapped.
BIG_ROWS = ("SELECT ?i ?big WHERE { VALUES ?i { " + " ".join(map(str, range(60))) + " } "
            f'BIND("{"x" * 1024}" AS ?a) BIND(CONCAT(?a, ?a) AS ?b) BIND(CONCAT(?b, ?b) AS ?c) '
            "BIND(CONCAT(?c, ?c) AS ?d) BIND(CONCAT(STR(?i), ?d, ?d) AS ?big) }")
BIG_TRIPLES = BIG_ROWS.replace("SELECT ?i ?big WHERE", "CONSTRUCT { <urn:x:s> <urn:x:p> ?big } WHERE")


@pytest.fixture(scope="module")
def capped_app(endpoint_dataset):
    from caonto.web import create_app

    app = create_app({**endpoint_settings(endpoint_dataset), "CAONTO_MAX_ANSWER_BYTES": CAP,
                      "CAONTO_MAX_ROWS": 100, "CAONTO_WORKERS": 1, "CAONTO_PAGE_WORKERS": 0})
    yield app
    app.extensions["caonto"].engine.close()


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/csv",
                                    "application/sparql-results+xml"])
def test_answers_are_capped_in_bytes_with_the_truncation_signal(capped_app, accept):
    response = capped_app.test_client().get(
        "/sparql?" + urllib.parse.urlencode({"query": BIG_ROWS}), headers={"Accept": accept})
    assert response.status_code == 200
    assert len(response.data) <= CAP + 1024
    rows = int(response.headers["X-Caonto-Rows"])
    assert 0 < rows < 60
    assert response.headers["X-Caonto-Truncated"] == "true"
    assert "truncated" in response.headers["Warning"]
    if "json" in accept:
        assert json.loads(response.data)["truncated"]["maxRows"] == 100


def test_graph_answers_are_capped_in_bytes(capped_app):
    response = capped_app.test_client().get(
        "/sparql?" + urllib.parse.urlencode({"query": BIG_TRIPLES}),
        headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    assert len(response.data) <= CAP
    assert 0 < len(response.data.splitlines()) < 60
    assert response.headers["X-Caonto-Truncated"] == "true"


def test_store_reads_have_the_row_cap(capped_app):
    client = capped_app.test_client()
    response = client.get("/store?default", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    assert len(Graph().parse(data=response.data, format="nt")) == 100
    assert response.headers["X-Caonto-Truncated"] == "true"
    assert client.get("/store?graph=https://w3id.org/caonto/graph/none").status_code == 404
    bad = client.get("/store?graph=https://w3id.org/caonto/graph/essay%0A")
    assert bad.status_code == 400


# ---- memory stays within a bound --------------------------------------------------------------

def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


@pytest.mark.slow
def test_thousands_of_distinct_large_queries_keep_memory_bounded(endpoint_dataset, tmp_path):
    """2000 distinct 48 KiB queries (96 MiB of text): the server holds none of them (the
    answer cache keys on hashes and counts every byte; the verdicts are kept by hash)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    env = dict(os.environ)
    env.update({k: str(v) for k, v in endpoint_settings(endpoint_dataset).items()})
    env.update(CAONTO_CACHE_MB="4", CAONTO_MAX_REQUEST_BYTES="65536")
    with running_server(caonto_serve(port), base + "sparql?query=ASK%7B%7D", tmp_path / "log",
                        env) as server:
        padding = "#" + "p" * (48 * 1024) + "\n"

        def send(i: int) -> None:
            status, _, _ = call(base + "sparql", "POST", f"{padding}ASK {{ }} # {i}".encode(),
                                {"Content-Type": "application/sparql-query"})
            assert status == 200

        for i in range(200):  # warm up: allocator pools, caches at their steady size
            send(i)
        before = _rss_kib(server.pid)
        for i in range(200, 2200):
            send(i)
        grown_mib = (_rss_kib(server.pid) - before) / 1024
    print(f"server RSS grew by {grown_mib:.1f} MiB over 2000 distinct 48 KiB queries")
    assert grown_mib < 24


def test_a_few_huge_rows_cannot_fill_a_worker(endpoint_dataset):
    """60 rows of 4 MiB (240 MiB, held several times over while written) against a 600 MB
    worker: serialisation stops at the byte cap, so the worker neither runs out of memory
    nor hands the server more than the cap."""
    from caonto.engine.pool import QueryEngine

    huge = BIG_ROWS.replace("BIND(CONCAT(STR(?i), ?d, ?d) AS ?big)",
                            "BIND(CONCAT(?d, ?d) AS ?e) BIND(CONCAT(?e, ?e) AS ?f) "
                            "BIND(CONCAT(?f, ?f) AS ?g) BIND(CONCAT(?g, ?g) AS ?h) "
                            "BIND(CONCAT(?h, ?h) AS ?k) BIND(CONCAT(?k, ?k) AS ?l) "
                            "BIND(CONCAT(?l, ?l) AS ?m) BIND(CONCAT(?m, ?m) AS ?n) "
                            "BIND(CONCAT(?n, ?n) AS ?o) BIND(CONCAT(STR(?i), ?o) AS ?big)")
    with QueryEngine(endpoint_dataset, workers=1, timeout=60, worker_memory_mb=600,
                     max_bytes=CAP) as engine:
        answer = engine.query(huge)
    assert answer.truncated and len(answer.body) <= CAP
