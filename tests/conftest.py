"""Shared fixtures. Each block says which tests it serves; add yours as a new block.

Endpoint (tests/test_endpoint_*.py): a small graph shaped like the essay's, a real
``caonto serve`` (waitress) on a free loopback port in a subprocess, and an in-process
app for the Flask test client.
"""

import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.processes import stop_process

REPOSITORY = Path(__file__).resolve().parent.parent

# ---- endpoint ------------------------------------------------------------------------

ENDPOINT_MAX_ROWS = 500
ENDPOINT_TIMEOUT = 3.0
ENDPOINT_MAX_REQUEST_BYTES = 64 * 1024
# Quads whose literals stress the writers: quotes, commas, tabs, newlines, Kazakh, XML.
_ID, _RDFS = "<https://w3id.org/caonto/id/special>", "http://www.w3.org/2000/01/rdf-schema#"
_ESSAY = "<https://w3id.org/caonto/graph/essay>"
_INFERRED = "<https://w3id.org/caonto/graph/inferred>"
_SPECIAL_QUADS = "".join(f"{s} {p} {o} {g} .\n" for s, p, o, g in [
    (_ID, f"<{_RDFS}label>", '"Қазақстан, \\"Орталық\\" Азия\\tжәне\\nкөрші"', _ESSAY),
    (_ID, f"<{_RDFS}comment>", '"<b>&amp; not markup</b>"@en', _ESSAY),
    (_ID, "<https://w3id.org/caonto/def/startLine>",
     '"40"^^<http://www.w3.org/2001/XMLSchema#integer>', _ESSAY),
    (_ID, "<https://w3id.org/caonto/def/relatedTo>", "_:b1", _ESSAY),
    ("_:b1", f"<{_RDFS}label>", '"anonymous"', _ESSAY),
    (_ID, "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>",
     "<https://w3id.org/caonto/def/Place>", _INFERRED),
])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def endpoint_dataset(tmp_path_factory) -> Path:
    """An N-Quads file of ~3000 triples in the three served graphs, plus special cases."""
    from caonto.synthetic import generate

    path = tmp_path_factory.mktemp("endpoint") / "fixture.nq"
    generate(3000, path)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(_SPECIAL_QUADS)
    return path


def endpoint_settings(dataset: Path) -> dict:
    return {"CAONTO_DATASET": str(dataset), "CAONTO_DATASET_VERSION": "9.9.9",
            "CAONTO_QUERY_TIMEOUT": ENDPOINT_TIMEOUT, "CAONTO_MAX_ROWS": ENDPOINT_MAX_ROWS,
            "CAONTO_MAX_REQUEST_BYTES": ENDPOINT_MAX_REQUEST_BYTES, "CAONTO_WORKERS": 2}


def wait_until_serving(url: str, process: subprocess.Popen, limit: float = 90) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} within {limit} s")


def caonto_serve(port: int, *options: str) -> list[str]:
    return [sys.executable, "-m", "caonto.cli", "serve", "--host", "127.0.0.1",
            "--port", str(port), *options]


@contextmanager
def running_server(argv: list[str], ready_url: str, log_path: Path, env: dict | None = None,
                   limit: float = 90) -> Iterator[subprocess.Popen]:
    """Start a server process, wait until ``ready_url`` answers, stop it on the way out."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(ready_url, process, limit)
            yield process
        finally:
            stop_process(process)


@pytest.fixture(scope="session")
def endpoint_url(endpoint_dataset, tmp_path_factory) -> str:
    """Base URL (ending in /) of a real ``caonto serve`` on loopback, for the session."""
    port = free_port()
    env = dict(os.environ)
    env.update({key: str(value) for key, value in endpoint_settings(endpoint_dataset).items()})
    base = f"http://127.0.0.1:{port}/"
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    with running_server(caonto_serve(port), base + "sparql?query=ASK%7B%7D", log_path, env):
        yield base


@pytest.fixture(scope="session")
def endpoint_app(endpoint_dataset):
    """The app in-process (real query engine) for Flask's test client."""
    from caonto.web import create_app

    app = create_app(endpoint_settings(endpoint_dataset))
    yield app
    app.extensions["caonto"].engine.close()


@pytest.fixture()
def endpoint_client(endpoint_app):
    return endpoint_app.test_client()


# ---- Virtuoso (tests/test_virtuoso.py) ------------------------------------------------

@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory):
    """A scratch Virtuoso Open-Source 7 on loopback ports for the session (tests/virtuoso.py);
    skipped, naming the reason, where it is not installed."""
    from tests.virtuoso import MISSING, start_virtuoso

    if MISSING:
        pytest.skip(MISSING)
    instance = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield instance
    instance.stop()


# ---- security (tests/test_security_*.py) ------------------------------------------------

class Canary:
    """A listening socket on 127.0.0.1 that no one should ever reach. ``connections()``
    takes every connection made so far without waiting: a connect() completes in the
    kernel before the connecting call returns, so once a request has been answered any
    connection it made is already in the backlog."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(128)
        self.socket.setblocking(False)
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"

    def connections(self) -> int:
        count = 0
        while True:
            try:
                connection, _ = self.socket.accept()
            except BlockingIOError:
                return count
            connection.close()
            count += 1


@pytest.fixture()
def canary():
    listener = Canary()
    yield listener
    listener.socket.close()


@pytest.fixture(scope="module")
def module_canary():
    listener = Canary()
    yield listener
    listener.socket.close()


def get_from(source: str, url: str, timeout: float = 60) -> tuple[int, bytes]:
    """GET ``url`` from the loopback address ``source`` (e.g. 127.0.0.2): the server sees
    another client. Status and body."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                                            source_address=(source, 0))
    try:
        connection.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
