"""``caonto serve --processes``: several server processes on one port."""

import os
import signal
import subprocess
import sys
import urllib.parse

from tests.conftest import endpoint_settings, free_port, wait_until_serving
from tests.test_endpoint_protocol import call


def test_serve_with_two_processes_shares_the_port_and_stops_cleanly(endpoint_dataset):
    port = free_port()
    env = dict(os.environ, **{k: str(v) for k, v in endpoint_settings(endpoint_dataset).items()})
    env["CAONTO_WORKERS"] = "1"
    parent = subprocess.Popen([sys.executable, "-m", "caonto.cli", "serve", "--port", str(port),
                               "--processes", "2"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/sparql"
    try:
        wait_until_serving(base + "?query=ASK%7B%7D", parent)
        for _ in range(10):  # connections land on either process; all must answer
            status, _, body = call(base + "?" + urllib.parse.urlencode(
                {"query": "ASK { ?s ?p ?o }"}))
            assert (status, body.count(b"true")) == (200, 1)
    finally:
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(30) == 0
    status = None
    try:
        status, _, _ = call(base + "?query=ASK%7B%7D")
    except OSError:
        pass
    assert status is None  # nobody listens any more


def test_serve_refuses_several_processes_when_writes_are_on(endpoint_dataset, tmp_path):
    env = dict(os.environ, **{k: str(v) for k, v in endpoint_settings(endpoint_dataset).items()})
    env.update(CAONTO_TOKENS="a-token-of-sixteen-chars https://example.org/people/alice",
               CAONTO_CONTRIB_DIR=str(tmp_path / "contrib"))
    done = subprocess.run([sys.executable, "-m", "caonto.cli", "serve", "--port",
                           str(free_port()), "--processes", "2"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--processes 2" in done.stderr and "CAONTO_TOKENS" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "contrib").exists()  # refused before anything started
