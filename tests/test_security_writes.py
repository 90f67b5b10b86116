"""Writes cannot hurt the server: request bodies are parsed, and updates run, in sandboxed
processes forked per job, with the query timeout and memory cap. A crash there is a 400, a
timeout a 503; the server stays up and the next write goes through."""

import json

import pytest

from tests.contrib_samples import CONTRIB, TOKEN, membership, writable_app

AUTH = {"Authorization": f"Bearer {TOKEN}"}
UPDATE = {**AUTH, "Content-Type": "application/sparql-update"}
TIMEOUT = 3.0


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with writable_app(tmp_path_factory.mktemp("contrib"), CAONTO_QUERY_TIMEOUT=TIMEOUT,
                      CAONTO_MAX_REQUEST_BYTES=1 << 20) as app:
        yield app


@pytest.fixture()
def client(app):
    return app.test_client()


def _still_serving(client) -> None:
    """A valid write and a query both go through."""
    stored = client.put(f"/store?graph={CONTRIB}after", data=membership("after").encode(),
                        headers={**AUTH, "Content-Type": "text/turtle"})
    assert stored.status_code in (200, 201), stored.data
    asked = client.get("/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D")
    assert asked.status_code == 200 and b"true" in asked.data


def test_an_update_nested_thousands_deep_is_400(client):
    update = (f"INSERT {{ GRAPH <{CONTRIB}deep> {{ <urn:x:a> <urn:x:b> 1 }} }} WHERE "
              + "{" * 6000 + "}" * 6000)
    response = client.post("/update", data=update.encode(), headers=UPDATE)
    assert response.status_code == 400, response.data
    _still_serving(client)


def _nested_jsonld(depth: int) -> bytes:
    """A JSON-LD node whose value nests ``depth`` levels (written by hand: json.dumps
    recurses per level too)."""
    return (('{"http://example.org/p": ' * depth) + '"leaf"' + "}" * depth).encode()


def test_a_json_ld_body_nested_thousands_deep_is_refused_and_the_server_stays_up(client):
    """pyoxigraph's JSON-LD parser is slow (quadratic) on deep nesting, and has been seen
    to crash: either way it is the sandboxed process that pays."""
    response = client.put(f"/store?graph={CONTRIB}deep", data=_nested_jsonld(6000),
                          headers={**AUTH, "Content-Type": "application/ld+json"})
    assert response.status_code in (400, 503), response.data[:300]
    assert client.get(f"/store?graph={CONTRIB}deep").status_code == 404
    _still_serving(client)


def test_a_job_whose_process_dies_is_a_400_and_leaves_nothing_running(tmp_path):
    from caonto.contrib import isolated

    with pytest.raises(isolated.JobFailed) as failed:  # the dataset file is missing
        isolated.run("update", ("DELETE WHERE { ?s ?p ?o }",), isolated.Limits(timeout=60),
                     lambda request: (str(tmp_path / "missing.nq"), {}))
    assert failed.value.status == 400
    assert "crashed" in failed.value.message


def test_an_update_that_runs_too_long_is_stopped_with_503(client):
    update = (f"INSERT {{ GRAPH <{CONTRIB}slow> {{ <urn:x:a> <urn:x:n> ?n }} }} WHERE "
              "{ SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } }")
    response = client.post("/update", data=update.encode(), headers=UPDATE)
    assert response.status_code == 503, response.data
    assert b"longer than" in response.data
    assert client.get(f"/store?graph={CONTRIB}slow").status_code == 404
    _still_serving(client)


def test_bad_syntax_in_a_body_still_names_the_position(client):
    response = client.put(f"/store?graph={CONTRIB}bad", data=b"<urn:x:s> <urn:x:p> .",
                          headers={**AUTH, "Content-Type": "text/turtle",
                                   "Accept": "application/json"})
    assert response.status_code == 400
    assert json.loads(response.data)["line"] == 1
