"""The app factory's settings and blueprint hooks, and ``caonto serve --processes``."""

import os
import signal
import subprocess
import sys
import urllib.parse

import pytest
from flask import Flask

from caonto.web import DEFAULTS, load_settings, register_optional_blueprint
from tests.conftest import endpoint_settings, free_port, wait_until_serving
from tests.test_endpoint_protocol import call


def test_settings_come_from_config_then_environment_then_defaults(monkeypatch):
    monkeypatch.setenv("CAONTO_MAX_ROWS", "77")
    monkeypatch.setenv("CAONTO_QUERY_TIMEOUT", "2.5")
    settings = load_settings({"CAONTO_QUERY_TIMEOUT": 1.0})
    assert settings["CAONTO_MAX_ROWS"] == 77
    assert settings["CAONTO_QUERY_TIMEOUT"] == 1.0
    assert settings["CAONTO_MAX_REQUEST_BYTES"] == DEFAULTS["CAONTO_MAX_REQUEST_BYTES"]


def test_a_badly_typed_environment_setting_is_named(monkeypatch):
    monkeypatch.setenv("CAONTO_MAX_ROWS", "lots")
    with pytest.raises(ValueError, match="CAONTO_MAX_ROWS"):
        load_settings()


def test_missing_optional_blueprint_is_skipped_but_a_broken_one_is_not(tmp_path, monkeypatch):
    app = Flask("hooks")
    assert register_optional_blueprint(app, "caonto.web.no_such_module") is False
    (tmp_path / "broken_blueprint_module.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError):
        register_optional_blueprint(app, "broken_blueprint_module")


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
