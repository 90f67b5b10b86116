"""Durability and serialisation against a real ``caonto serve`` in a subprocess.

A client streams writes (single-graph PUTs and two-graph SPARQL updates); the server is
killed with SIGKILL while a write is in flight, restarted on the same directory, and
every acknowledged write must be there, byte for byte in triples, and no write half
there. Then racing writes on one graph must end in one of their serial orders.
"""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from rdflib import Graph

from tests.conftest import free_port, wait_until_serving
from tests.contrib_samples import CONTRIB, TOKEN, TOKENS_SETTING, membership, triples

pytestmark = pytest.mark.slow


class Server:
    """``caonto serve`` on a free loopback port, writing contributions to ``directory``."""

    def __init__(self, directory: Path, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        env = dict(os.environ, CAONTO_TOKENS=TOKENS_SETTING, CAONTO_CONTRIB_DIR=str(directory),
                   CAONTO_WORKERS="1")
        self.log = open(log, "ab")  # noqa: SIM115 — closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "caonto.cli", "serve", "--port", str(self.port)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until_serving(self.base + "sparql?query=ASK%7B%7D", self.process, limit=180)

    def kill(self) -> None:
        # The whole process group: the server and its query workers, without warning.
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()


def request(base: str, method: str, path: str, body: bytes = b"",
            content_type: str = "text/turtle", timeout: float = 120) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type}
    req = urllib.request.Request(base + path, data=body or None, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def graph_path(name: str) -> str:
    return "store?graph=" + urllib.parse.quote(CONTRIB + name, safe="")


def served(base: str, name: str) -> set | None:
    try:
        with urllib.request.urlopen(base + graph_path(name), timeout=30) as response:
            return set(Graph().parse(data=response.read(), format="turtle"))
    except urllib.error.HTTPError as error:
        assert error.code == 404
        return None


def two_graph_update(key: str) -> tuple[bytes, dict[str, str]]:
    """A SPARQL update writing two graphs at once, and what each should then hold."""
    left, right = membership(f"{key}-l"), membership(f"{key}-r", state="kyrgyzstan")
    blocks = " ".join(f"GRAPH <{CONTRIB}{key}-{side}> {{ "
                      f"{Graph().parse(data=data, format='turtle').serialize(format='nt')} }}"
                      for side, data in (("l", left), ("r", right)))
    return f"INSERT DATA {{ {blocks} }}".encode(), {f"{key}-l": left, f"{key}-r": right}


def kill_delay() -> tuple[float, int]:
    """A random moment to kill at, from a seed that is printed (set CAONTO_KILL_SEED to
    replay a run)."""
    seed = int(os.environ.get("CAONTO_KILL_SEED") or random.SystemRandom().randrange(2**32))
    return random.Random(seed).uniform(0.0, 2.5), seed


def test_sigkill_mid_stream_keeps_every_acknowledged_write_and_no_partial_one(
        tmp_path, record_property):
    delay, seed = kill_delay()
    run = f"killed {delay:.3f} s after the fifth acknowledged write, CAONTO_KILL_SEED={seed}"
    print(run)
    record_property("kill", run)
    directory = tmp_path / "contrib"
    server = Server(directory, tmp_path / "serve.log")
    acknowledged: dict[str, str] = {}  # graph name → Turtle it must hold
    attempted: list[dict[str, str]] = []  # every write, acknowledged or not

    def stream() -> None:
        for number in range(40):
            key = f"w{number}"
            if number % 2:
                body, expected = two_graph_update(key)
                call = ("POST", "update", body, "application/sparql-update")
            else:
                expected = {key: membership(key)}
                call = ("PUT", graph_path(key), expected[key].encode(), "text/turtle")
            attempted.append(expected)
            try:
                status, _ = request(server.base, *call)
            except (urllib.error.URLError, ConnectionError, OSError):
                return  # the server died under this write
            # An answer at all means the write was on disk before the kill.
            assert status == (200 if call[0] == "POST" else 201), status
            acknowledged.update(expected)

    client = threading.Thread(target=stream)
    try:
        client.start()
        # Let a few writes be acknowledged, then kill at a random moment of a later one.
        while len(acknowledged) < 5 and client.is_alive():
            threading.Event().wait(0.05)
        threading.Event().wait(delay)
        server.kill()
        client.join(60)
        assert len(acknowledged) >= 5, run

        server = Server(directory, tmp_path / "serve.log")
        for name, turtle in acknowledged.items():
            assert served(server.base, name) == triples(turtle), f"{name}; {run}"
        for expected in attempted:
            present = {name: served(server.base, name) for name in expected}
            if all(value is None for value in present.values()):
                continue  # never committed: fine, it was not acknowledged
            for name, turtle in expected.items():  # committed: then whole
                assert present[name] == triples(turtle), f"{name} is partial; {run}"
        assert not (directory / "journal").exists()
        assert not list(directory.glob("*.tmp"))
        # The restarted server's /sparql sees the contributions and their closure.
        name = next(iter(acknowledged))
        query = urllib.parse.quote(
            "ASK { GRAPH <https://w3id.org/caonto/graph/inferred> { ?state "
            "<https://w3id.org/caonto/def/hasMembership> "
            f"<https://w3id.org/caonto/id/membership-{name}> }} }}")
        with urllib.request.urlopen(server.base + "sparql?query=" + query, timeout=30) as r:
            assert b"true" in r.read()
    finally:
        server.stop()


def test_racing_writes_on_one_graph_end_in_a_serial_order(tmp_path):
    server = Server(tmp_path / "contrib", tmp_path / "serve.log")
    a, b, c = membership("race-a"), membership("race-b"), membership("race-c")
    calls = [("PUT", a), ("PUT", b), ("POST", c)]
    statuses: list[int] = []
    start = threading.Barrier(len(calls))

    def write(method: str, turtle: str) -> None:
        start.wait()
        statuses.append(request(server.base, method, graph_path("race"), turtle.encode())[0])

    try:
        threads = [threading.Thread(target=write, args=call) for call in calls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)
        assert sorted(statuses) == [200, 200, 201]  # only the first one creates
        final = served(server.base, "race")
        ta, tb, tc = triples(a), triples(b), triples(c)
        # The six serial orders of PUT a, PUT b, POST c leave one of these.
        assert final in (ta, tb, ta | tc, tb | tc)
    finally:
        server.stop()


def test_readers_see_a_two_graph_write_whole_or_not_at_all(tmp_path):
    server = Server(tmp_path / "contrib", tmp_path / "serve.log")
    left, right = f"{CONTRIB}pair-l", f"{CONTRIB}pair-r"
    query = urllib.parse.quote(
        f"SELECT ?l ?r WHERE {{ BIND(EXISTS {{ GRAPH <{left}> {{ ?a ?b ?c }} }} AS ?l) "
        f"BIND(EXISTS {{ GRAPH <{right}> {{ ?d ?e ?f }} }} AS ?r) }}")
    seen: list[tuple[str, str]] = []
    done = threading.Event()

    def read_once() -> tuple[str, str]:
        with urllib.request.urlopen(server.base + "sparql?query=" + query,
                                    timeout=30) as response:
            row = json.loads(response.read())["results"]["bindings"][0]
        return row["l"]["value"], row["r"]["value"]

    def read() -> None:
        while not done.is_set():
            seen.append(read_once())

    reader = threading.Thread(target=read)
    try:
        reader.start()
        insert, _ = two_graph_update("pair")
        for _ in range(3):
            assert request(server.base, "POST", "update", insert,
                           "application/sparql-update")[0] == 200
            assert read_once() == ("true", "true")  # a write is visible once answered
            assert request(server.base, "POST", "update",
                           f"DROP GRAPH <{left}> ; DROP GRAPH <{right}>".encode(),
                           "application/sparql-update")[0] == 200
            assert read_once() == ("false", "false")
        done.set()
        reader.join(60)
        assert seen and all(left_seen == right_seen for left_seen, right_seen in seen), seen
    finally:
        done.set()
        server.stop()
