"""Dumps are written by the build or in the background at start, never by a request; what
is advertised is the SHA-256 of the bytes served."""

import hashlib
import json

import pyoxigraph as ox
import pytest

from caonto import dumps
from caonto.build import build_dataset
from caonto.web import create_app
from tests.conftest import endpoint_settings
from tests.test_build import resources_copy, void_checksums

EXTENSIONS = ("nq", "trig", "ttl")


class RenderSpy:
    """Stands in for caonto.dumps.render: counts calls, and refuses while ``refuse``."""

    def __init__(self, real):
        self.real, self.calls, self.refuse = real, 0, True

    def __call__(self, nquads, extension):
        self.calls += 1
        if self.refuse:
            raise AssertionError("a dump was rendered")
        return self.real(nquads, extension)


@pytest.fixture()
def spy(monkeypatch):
    spy = RenderSpy(dumps.render)
    monkeypatch.setattr(dumps, "render", spy)
    return spy


def _app(settings: dict):
    app = create_app(settings)
    return app, app.test_client(), app.extensions["caonto"]


def _close(app) -> None:
    if "caonto.contrib" in app.extensions:
        app.extensions["caonto.contrib"].close()
    app.extensions["caonto"].engine.close()


def _discover(client) -> None:
    for path, accept in (("/sparql", "text/turtle"), ("/void", "text/turtle"),
                         ("/dumps/", "text/plain")):
        assert client.get(path, headers={"Accept": accept}).status_code == 200


def test_discovery_never_writes_a_dump_and_lists_only_those_ready(
        tmp_path, monkeypatch, spy, endpoint_dataset):
    monkeypatch.setattr(dumps.Dumps, "start", lambda self: None)  # no background writer
    settings = {**endpoint_settings(endpoint_dataset), "CAONTO_BUILD_DIR": str(tmp_path)}
    app, client, served = _app(settings)
    try:
        _discover(client)
        trig = f"/dumps/caonto-{served.dataset.version}.trig"
        pending = client.get(trig)
        assert pending.status_code == 503 and pending.headers["Retry-After"]
        assert client.get(trig + ".sha256").status_code == 503
        assert spy.calls == 0
        assert set(void_checksums(client)) == {f"caonto-{served.dataset.version}.nq"}
        listing = client.get("/dumps/").data.decode()
        assert ".trig  sha256" not in listing and "being written" in listing

        spy.refuse = False  # the start-up writer, run now: then every dump is served
        served.dumps._write_missing()
        assert spy.calls == 2
        checksums = void_checksums(client)
        assert len(checksums) == 3
        for name, advertised in checksums.items():
            with client.get(f"/dumps/{name}") as response:
                assert hashlib.sha256(response.data).hexdigest() == advertised
    finally:
        _close(app)


def test_a_server_writes_missing_dumps_at_start(tmp_path, endpoint_dataset):
    settings = {**endpoint_settings(endpoint_dataset), "CAONTO_BUILD_DIR": str(tmp_path)}
    app, client, served = _app(settings)
    try:
        assert served.dumps.wait(120) and not served.dumps.failures
        checksums = void_checksums(client)
        assert sorted(name.rsplit(".", 1)[1] for name in checksums) == sorted(EXTENSIONS)
        with client.get(f"/dumps/caonto-{served.dataset.version}.trig") as response:
            trig = response.data
        assert hashlib.sha256(trig).hexdigest() == checksums["caonto-9.9.9.trig"]
        assert len(ox.Dataset(ox.parse(trig, format=ox.RdfFormat.TRIG))) == \
            len(ox.Dataset(ox.parse(path=str(endpoint_dataset), format=ox.RdfFormat.N_QUADS)))
    finally:
        _close(app)


def test_the_build_writes_the_dumps_reproducibly_with_checksums(tmp_path):
    first = build_dataset(force=True, out_dir=tmp_path / "one")
    second = build_dataset(force=True, out_dir=tmp_path / "two")
    manifest = json.loads((tmp_path / "one" / "caonto-0.1.0.json").read_text())
    assert sorted(first.dumps) == ["trig", "ttl"]
    for extension, (path, digest) in first.dumps.items():
        assert path.parent == first.nquads.parent
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
        assert manifest["dumps"][extension] == digest
        assert path.read_bytes() == second.dumps[extension][0].read_bytes()


def test_a_reused_build_without_dumps_gets_them(tmp_path):
    out = tmp_path / "build"
    built = build_dataset(out_dir=out)
    for path, _ in built.dumps.values():
        path.unlink()
    again = build_dataset(out_dir=out)
    assert again.nquads.stat().st_mtime_ns == built.nquads.stat().st_mtime_ns  # reused
    assert {ext: digest for ext, (_, digest) in again.dumps.items()} == \
        {ext: digest for ext, (_, digest) in built.dumps.items()}
    assert all(path.is_file() for path, _ in again.dumps.values())


def test_a_server_of_a_build_serves_the_builds_dumps_without_writing_any(tmp_path, spy):
    paths = resources_copy(tmp_path)
    settings = {"CAONTO_HOME": str(paths.root), "CAONTO_BUILD_DIR": str(tmp_path / "build"),
                "CAONTO_CONTRIB_DIR": str(tmp_path / "contrib"), "CAONTO_WORKERS": 1}
    spy.refuse = False
    built = build_dataset(paths=paths, out_dir=tmp_path / "build")
    written_by_build = spy.calls
    spy.refuse = True
    app, client, served = _app(settings)
    try:
        assert served.dumps.missing() == [] and spy.calls == written_by_build
        checksums = void_checksums(client)
        for extension, (_, digest) in built.dumps.items():
            assert checksums[f"caonto-{served.dataset.version}.{extension}"] == digest
    finally:
        _close(app)


def test_a_build_dump_replaced_since_is_not_served_as_ours(tmp_path):
    nquads = tmp_path / "data.nq"
    nquads.write_bytes(b"<urn:a> <urn:b> <urn:c> .\n")
    stale = tmp_path / "stale.trig"
    stale.write_bytes(b"<urn:x> <urn:y> <urn:z> .\n")
    sha = hashlib.sha256(nquads.read_bytes()).hexdigest()
    served = dumps.Dumps(nquads, sha, {"trig": (stale, "0" * 64)})
    assert served.ready("trig") is None and served.missing() == ["trig", "ttl"]
    served.start()
    assert served.wait(60)
    path, digest = served.ready("trig")
    assert b"urn:a" in path.read_bytes()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_a_dump_that_could_not_be_written_is_not_promised(tmp_path, monkeypatch, spy,
                                                          endpoint_dataset):
    monkeypatch.setattr(dumps.Dumps, "start", lambda self: None)
    settings = {**endpoint_settings(endpoint_dataset), "CAONTO_BUILD_DIR": str(tmp_path)}
    app, client, served = _app(settings)
    try:
        served.dumps._write_missing()  # the spy refuses: both writes fail
        assert sorted(served.dumps.failures) == ["trig", "ttl"]
        response = client.get(f"/dumps/caonto-{served.dataset.version}.ttl")
        assert response.status_code == 503 and "Retry-After" not in response.headers
        assert "being written" not in client.get("/dumps/").data.decode()
    finally:
        _close(app)
