"""The build: byte-reproducible, keyed on everything it depends on, and served frozen."""

import base64
import hashlib
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from caonto.build import PACKAGE_DIR, build_dataset, inputs_key
from caonto.resources import ResourcePaths, resource_paths

SPDX_VALUE = "http://spdx.org/rdf/terms#checksumValue"


def resources_copy(tmp_path: Path) -> ResourcePaths:
    source = resource_paths().root
    root = tmp_path / "home"
    for part in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(source / part, root / part)
    return ResourcePaths(root)


def test_two_builds_of_the_same_inputs_are_the_same_bytes(tmp_path):
    first = build_dataset(force=True, out_dir=tmp_path / "one")
    second = build_dataset(force=True, out_dir=tmp_path / "two")
    assert b"_:" in first.nquads.read_bytes()  # the data has blank nodes to label
    assert first.nquads.read_bytes() == second.nquads.read_bytes()
    assert first.sha256 == second.sha256 == hashlib.sha256(first.nquads.read_bytes()).hexdigest()


@pytest.mark.parametrize("part", ["ontology", "data", "shapes"])
def test_the_cache_key_changes_with_each_input_file(tmp_path, part):
    paths = resources_copy(tmp_path)
    before = inputs_key(paths)
    assert inputs_key(paths) == before  # stable while nothing changes
    changed = sorted((paths.root / part).glob("*.ttl"))[0]
    changed.write_bytes(changed.read_bytes() + b"\n# a changed byte\n")
    assert inputs_key(paths) != before


def test_the_cache_key_changes_with_caontos_own_code(tmp_path):
    paths = resources_copy(tmp_path)
    ours, theirs = tmp_path / "code-a", tmp_path / "code-b"
    for copy in (ours, theirs):
        shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    reasoner = theirs / "reasoner.py"
    reasoner.write_text(reasoner.read_text() + "\n# a changed rule\n")
    assert inputs_key(paths, ours) == inputs_key(paths)  # the same code, elsewhere
    assert inputs_key(paths, theirs) != inputs_key(paths)


def test_a_build_is_reused_only_while_its_key_holds(tmp_path, monkeypatch):
    paths = resources_copy(tmp_path)
    out = tmp_path / "build"
    first = build_dataset(paths=paths, out_dir=out)
    stamp = first.nquads.stat().st_mtime_ns
    assert build_dataset(paths=paths, out_dir=out).nquads.stat().st_mtime_ns == stamp
    monkeypatch.setattr("caonto.build.inputs_key", lambda *_: "another key")
    assert build_dataset(paths=paths, out_dir=out).nquads.stat().st_mtime_ns != stamp


def void_checksums(client) -> dict[str, str]:
    body = client.get("/void", headers={"Accept": "application/n-triples"}).data
    triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    values = {t.subject: t.object.value for t in triples if t.predicate.value == SPDX_VALUE}
    return {t.subject.value.rsplit("/", 1)[1]: values[t.object] for t in triples
            if t.predicate.value == "http://spdx.org/rdf/terms#checksum"}


def assert_checksums_are_of_the_bytes_served(client, name: str) -> bytes:
    with client.get(f"/dumps/{name}") as response:
        assert response.status_code == 200
        served = response.data
        headers = response.headers
    digest = hashlib.sha256(served).hexdigest()
    assert headers["ETag"].strip('"') == digest
    assert headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:"
    assert client.get(f"/dumps/{name}.sha256").data.decode().split()[0] == digest
    assert void_checksums(client)[name] == digest
    return served


def test_dump_checksums_are_of_the_served_bytes_also_after_a_forced_rebuild(tmp_path):
    from caonto.web import create_app

    paths = resources_copy(tmp_path)
    settings = {"CAONTO_HOME": str(paths.root), "CAONTO_BUILD_DIR": str(tmp_path / "build"),
                "CAONTO_CONTRIB_DIR": str(tmp_path / "contrib"), "CAONTO_WORKERS": 1}
    app = create_app(settings)
    try:
        client = app.test_client()
        names = [f"caonto-{app.extensions['caonto'].dataset.version}.{ext}"
                 for ext in ("nq", "trig", "ttl")]
        before = {name: assert_checksums_are_of_the_bytes_served(client, name)
                  for name in names}
        # The data changes and `caonto build --force` runs while the server serves.
        essay = sorted(paths.data.glob("*.ttl"))[0]
        essay.write_bytes(essay.read_bytes() + b"\n<https://w3id.org/caonto/id/x> "
                          b"<http://www.w3.org/2000/01/rdf-schema#label> \"x\"@en .\n")
        from caonto import config

        rebuilt = build_dataset(force=True, settings=config.load(settings))
        assert hashlib.sha256(rebuilt.nquads.read_bytes()).hexdigest() != hashlib.sha256(
            before[names[0]]).hexdigest()
        for name in names:  # the server still serves what it started with, checksums true
            assert assert_checksums_are_of_the_bytes_served(client, name) == before[name]
    finally:
        app.extensions["caonto.contrib"].close()
        app.extensions["caonto"].engine.close()
