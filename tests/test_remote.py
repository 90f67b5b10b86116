"""caonto against a real Oxigraph server (PyPI ``oxigraph``) started on loopback:
``caonto publish --to``, the RemoteEngine, and ``caonto serve --store``."""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from caonto import formats as fmt
from caonto.cli import main
from caonto.engine.interface import (
    DatasetChoice,
    NotAcceptable,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
)
from caonto.engine.remote import RemoteEndpoints, RemoteEngine, RemoteError
from caonto.namespaces import GRAPH_ESSAY, GRAPH_INFERRED
from caonto.publish import graphs_of, publish
from tests.conftest import (
    caonto_serve,
    free_port,
    running_server,
    stop_process,
    wait_until_serving,
)

OXIGRAPH = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) \
    or shutil.which("oxigraph")
pytestmark = pytest.mark.skipif(OXIGRAPH is None, reason="the oxigraph server is not installed")


def start_oxigraph(directory: Path):
    port = free_port()
    log = open(directory / "oxigraph.log", "wb")  # noqa: SIM115
    process = subprocess.Popen([OXIGRAPH, "serve", "--location", str(directory / "db"),
                                "--bind", f"127.0.0.1:{port}"], stdout=log,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(base + "/query?query=ASK%7B%7D", process, limit=60)
    return process, base, log


def stop(process, log=None) -> None:
    stop_process(process)
    if log:
        log.close()


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    """Base URL of a real Oxigraph server holding nothing yet."""
    process, base, log = start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    yield base
    stop(process, log)


@pytest.fixture(scope="module")
def published(oxigraph, endpoint_dataset):
    """The endpoint fixture dataset, published to the Oxigraph server by the CLI."""
    code = main(["publish", "--to", oxigraph + "/store", "--dataset", str(endpoint_dataset)])
    assert code == 0
    return oxigraph


@pytest.fixture(scope="module")
def engine(published):
    with RemoteEngine(RemoteEndpoints.oxigraph(published), timeout=5.0, max_rows=50) as engine:
        yield engine


def remote_count(base: str, graph: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    url = base + "/query?" + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.load(response)["results"]["bindings"][0]["n"]["value"])


# -- publish -------------------------------------------------------------------------------

def test_publish_puts_every_named_graph_whole(published, endpoint_dataset):
    local = graphs_of(endpoint_dataset)
    assert {str(GRAPH_ESSAY), str(GRAPH_INFERRED)} <= set(local)
    for name, payload in local.items():
        expected = len(list(ox.parse(payload, format=ox.RdfFormat.N_TRIPLES)))
        assert remote_count(published, name) == expected
    counts = publish(endpoint_dataset, published + "/store")  # again: PUT replaces
    assert remote_count(published, str(GRAPH_ESSAY)) == counts[str(GRAPH_ESSAY)]


def test_publish_to_nothing_listening_fails_cleanly(endpoint_dataset):
    with pytest.raises(RemoteError, match="unreachable"):
        publish(endpoint_dataset, f"http://127.0.0.1:{free_port()}/store", timeout=3)


# -- the remote engine -----------------------------------------------------------------------

def test_select_is_rewritten_in_the_negotiated_format(engine):
    answer = engine.query("SELECT ?s WHERE { ?s a <https://w3id.org/caonto/def/State> } "
                          "ORDER BY ?s LIMIT 3", solutions_format=fmt.BY_NAME["csv"])
    lines = answer.body.decode().splitlines()
    assert answer.form == "select" and lines[0] == "s" and len(lines) == 4
    assert lines[1].startswith("https://w3id.org/caonto/id/state-")


def test_caontos_prefixes_are_predeclared_for_the_remote_store_too(engine):
    answer = engine.query("SELECT ?s WHERE { ?s a cao:State } ORDER BY ?s LIMIT 1",
                          solutions_format=fmt.BY_NAME["csv"])
    assert answer.body.decode().splitlines()[1].startswith("https://w3id.org/caonto/id/state-")


def test_row_cap_truncates_and_says_so(engine):
    answer = engine.query("SELECT * WHERE { ?s ?p ?o }", solutions_format=fmt.BY_NAME["json"])
    assert answer.truncated and answer.count == 50


def test_inference_can_be_left_out(engine):
    ask = "ASK { ?s <https://w3id.org/caonto/def/hasMembership> ?o }"  # only inferred
    assert engine.query(ask, solutions_format=fmt.BY_NAME["json"]).body.count(b"true") == 1
    plain = engine.query(ask, DatasetChoice(inference=False),
                         solutions_format=fmt.BY_NAME["json"])
    assert b"false" in plain.body


def test_construct_comes_back_as_turtle(engine):
    answer = engine.query("CONSTRUCT WHERE { ?s a <https://w3id.org/caonto/def/State> } "
                          "LIMIT 2", graph_format=fmt.BY_NAME["turtle"])
    triples = list(ox.parse(answer.body, format=ox.RdfFormat.TURTLE))
    assert answer.form == "graph" and len(triples) == 2


def test_errors_keep_their_kind(engine):
    with pytest.raises(QuerySyntaxError):
        engine.query("SELECT WHERE {")
    with pytest.raises(QueryRefused):
        engine.query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    with pytest.raises(NotAcceptable):
        engine.query("ASK {}", solutions_format=None)


def test_replace_graphs_writes_through_the_graph_store_protocol(engine, published):
    graph = "https://w3id.org/caonto/graph/contrib/remote-test"
    triple = b"<https://w3id.org/caonto/id/r> <http://www.w3.org/2000/01/rdf-schema#label> \"r\" .\n"
    engine.replace_graphs({graph: triple})
    assert remote_count(published, graph) == 1
    names, rows = engine.solutions(f"SELECT ?l WHERE {{ GRAPH <{graph}> {{ ?s ?p ?l }} }}")
    assert names == ["l"] and rows[0][0].value == "r"
    engine.replace_graphs({graph: None})
    assert remote_count(published, graph) == 0


# -- caonto serve --store ----------------------------------------------------------------------

def test_serve_on_a_remote_store(published, endpoint_dataset, tmp_path):
    port = free_port()
    env = {**os.environ, "CAONTO_DATASET": str(endpoint_dataset), "CAONTO_QUERY_TIMEOUT": "5"}
    argv = caonto_serve(port, "--store", published + "/query", "--store-update",
                        published + "/update", "--store-gsp", published + "/store")
    base = f"http://127.0.0.1:{port}/"
    with running_server(argv, base + "sparql?query=ASK%7B%7D", tmp_path / "serve.log", env):
        query = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
        request = urllib.request.Request(base + "sparql?" + query,
                                         headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            count = int(json.load(response)["results"]["bindings"][0]["n"]["value"])
        assert count == sum(1 for _ in ox.parse(path=str(endpoint_dataset),
                                                format=ox.RdfFormat.N_QUADS))
        with urllib.request.urlopen(base + "id/state-0-0", timeout=10) as page:
            assert b"State 0-0" in page.read()  # pages read through the remote store


def test_contributions_are_validated_and_written_to_the_remote_store(tmp_path):
    """The write gateway on a remote store: a valid contribution lands there with its
    closure; an invalid one is refused (422) and the store is left alone."""
    from caonto.build import build_dataset
    from caonto.web import create_app
    from tests.contrib_samples import CONTRIB, TOKEN, TOKENS_SETTING, membership

    process, base, log = start_oxigraph(tmp_path)
    app = None
    try:
        publish(build_dataset().nquads, base + "/store")
        app = create_app({"CAONTO_STORE": base + "/query", "CAONTO_STORE_UPDATE": base + "/update",
                          "CAONTO_STORE_GSP": base + "/store", "CAONTO_TOKENS": TOKENS_SETTING,
                          "CAONTO_CONTRIB_DIR": str(tmp_path / "contrib")})
        client = app.test_client()
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"}
        accepted = client.put(f"/store?graph={CONTRIB}remote",
                              data=membership("remote").encode(), headers=headers)
        assert accepted.status_code == 201, accepted.data
        assert remote_count(base, CONTRIB + "remote") == 7
        inferred = ("ASK { GRAPH <https://w3id.org/caonto/graph/inferred> { "
                    "<https://w3id.org/caonto/id/kazakhstan> "
                    "<https://w3id.org/caonto/def/hasMembership> "
                    "<https://w3id.org/caonto/id/membership-remote> } }")
        answer = client.post("/sparql", data={"query": inferred},
                             headers={"Accept": "application/sparql-results+json"})
        assert answer.get_json()["boolean"] is True
        refused = client.put(f"/store?graph={CONTRIB}unsourced",
                             data=membership("unsourced", source=None).encode(), headers=headers)
        assert refused.status_code == 422
        assert remote_count(base, CONTRIB + "unsourced") == 0
    finally:
        if app is not None:
            if "caonto.contrib" in app.extensions:
                app.extensions["caonto.contrib"].close()
            app.extensions["caonto"].engine.close()
        stop(process, log)


def test_publish_command_reports_failures_with_exit_code_2(tmp_path, capsys):
    broken = tmp_path / "broken.nq"
    broken.write_text("this is not N-Quads\n")
    assert main(["publish", "--to", f"http://127.0.0.1:{free_port()}/store",
                 "--dataset", str(broken)]) == 2
    assert "caonto publish:" in capsys.readouterr().err


def test_a_query_naming_its_dataset_is_sent_without_the_served_one(engine):
    ontology = "https://w3id.org/caonto/graph/ontology"
    [[whole]] = engine.solutions(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ontology}> "
                                 "{ ?s ?p ?o } }")[1]
    [[counted]] = engine.solutions(f"SELECT (COUNT(*) AS ?n) FROM <{ontology}> "
                                   "WHERE { ?s ?p ?o }")[1]
    assert int(counted.value) == int(whole.value) > 0


def test_the_remote_engine_checks_queries_in_sandboxed_workers(engine, canary):
    from caonto.engine.interface import QueryRefused, QuerySyntaxError

    with pytest.raises(QueryRefused):
        engine.query(f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}")
    with pytest.raises(QuerySyntaxError, match="nested too deeply"):
        engine.query("ASK " + "{" * 6000 + "}" * 6000)
    assert canary.connections() == 0
    assert engine._checker.worker_pids()  # the parse ran there, not in this process


def test_a_construct_over_the_cap_is_truncated_and_says_so(engine):
    answer = engine.query("CONSTRUCT WHERE { ?s ?p ?o }", graph_format=fmt.BY_NAME["ntriples"])
    triples = list(ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES))
    assert answer.form == "graph" and answer.truncated
    assert answer.count == len(triples) == 50
    small = engine.query("CONSTRUCT WHERE { ?s a <https://w3id.org/caonto/def/State> } "
                         "LIMIT 2", graph_format=fmt.BY_NAME["ntriples"])
    assert not small.truncated and small.count == 2


# ---- kept-alive connections ------------------------------------------------------------

class CountingProxy:
    """A TCP relay on loopback in front of the store that counts the connections it
    accepts, can cut every connection it relays (as a store closing idle ones does), and
    can stop relaying (a store that stops answering)."""

    def __init__(self, target_port: int):
        self.target_port, self.accepted, self.stalled = target_port, 0, False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self.accepted += 1
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._relay, args=(source, sink), daemon=True).start()

    def _relay(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(1 << 16):
                if not self.stalled:
                    sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut_all(self) -> None:
        with self._lock:
            ends, self._open = self._open, []
        for end in ends:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def close(self) -> None:
        self.listener.close()
        self.cut_all()


@pytest.fixture()
def proxy(published):
    relay = CountingProxy(int(published.rsplit(":", 1)[1]))
    yield relay
    relay.close()


def test_many_queries_reuse_a_bounded_number_of_connections(proxy):
    endpoints = RemoteEndpoints.oxigraph(f"http://127.0.0.1:{proxy.port}")
    with RemoteEngine(endpoints, timeout=10.0, max_rows=50) as engine:
        for _ in range(40):  # one thread at a time: one connection serves them all
            engine.query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3")
        assert proxy.accepted == 1

        def ask_many():
            for _ in range(10):
                engine.query("ASK { ?s ?p ?o }")
        threads = [threading.Thread(target=ask_many) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert proxy.accepted <= 1 + 4  # at most one per thread at once, then reused


def test_a_connection_the_store_closed_is_replaced_transparently(proxy):
    endpoints = RemoteEndpoints.oxigraph(f"http://127.0.0.1:{proxy.port}")
    with RemoteEngine(endpoints, timeout=10.0, max_rows=50) as engine:
        engine.query("ASK { ?s ?p ?o }")
        before = proxy.accepted
        proxy.cut_all()  # the store closes its idle connections
        for _ in range(3):
            assert engine.query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1").count == 1
        assert proxy.accepted == before + 1


def test_the_timeout_still_applies_on_a_kept_alive_connection(proxy):
    endpoints = RemoteEndpoints.oxigraph(f"http://127.0.0.1:{proxy.port}")
    with RemoteEngine(endpoints, timeout=10.0, max_rows=50) as engine:
        engine.query("ASK { ?s ?p ?o }")
        proxy.stalled = True  # the connection stays open, but no answer comes
        with pytest.raises(QueryTimeout):
            engine.query("ASK { ?s ?p ?o }", timeout=1.0)
        proxy.stalled = False
        assert engine.query("ASK { ?s ?p ?o }").count == 1  # a new connection serves
