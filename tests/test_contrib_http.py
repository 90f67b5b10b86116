"""Writes through /update and /store on the real app (real query engine, real files),
with the project's own data, shapes and inference: what is accepted, what is refused,
and that a refusal changes nothing stored or served."""

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, URIRef

from tests.contrib_samples import (
    ALICE,
    BOB,
    CONTRIB,
    NEWLAND,
    PREFIXES,
    TOKEN,
    TOKEN_BOB,
    TOKEN_CAROL,
    Listener,
    membership,
    triples,
    writable_app,
)

AUTH = {"Authorization": f"Bearer {TOKEN}"}
TURTLE = {**AUTH, "Content-Type": "text/turtle"}
UPDATE = {**AUTH, "Content-Type": "application/sparql-update"}
MAX_BYTES = 64 * 1024


@pytest.fixture(scope="module")
def contrib_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("contrib")


@pytest.fixture(scope="module")
def app(contrib_dir):
    with writable_app(contrib_dir, CAONTO_MAX_REQUEST_BYTES=MAX_BYTES) as app:
        yield app


@pytest.fixture()
def client(app):
    return app.test_client()


def graph_iri(name: str) -> str:
    return CONTRIB + name


def ask(client, query: str) -> bool:
    response = client.post("/sparql", data={"query": query},
                           headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.data
    return response.get_json()["boolean"]


def served(client, name: str) -> set:
    """The triples /store serves for a contributed graph (empty when there is none)."""
    response = client.get(f"/store?graph={graph_iri(name)}", headers={"Accept": "text/turtle"})
    if response.status_code == 404:
        return set()
    assert response.status_code == 200
    return set(Graph().parse(data=response.data, format="turtle"))


def state(client, contrib_dir: Path, name: str) -> tuple:
    """Everything a refused write must leave alone: files on disk, /store, /sparql."""
    files = {p.name: p.read_bytes() for p in contrib_dir.iterdir() if p.name != "lock"}
    count = client.post("/sparql", data={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g "
                                                  "{ ?s ?p ?o } }"},
                        headers={"Accept": "text/csv"}).data
    return files, served(client, name), count


# ---- accepted writes -------------------------------------------------------------------

def test_put_stores_a_valid_graph_durably_and_serves_it_with_its_closure(client, contrib_dir):
    body = membership("put")
    response = client.put(f"/store?graph={graph_iri('put')}", data=body.encode(),
                          headers={**TURTLE, "Accept": "application/json"})
    assert response.status_code == 201, response.data
    summary = response.get_json()
    assert summary["graphs"] == [{"graph": graph_iri("put"), "added": 7, "removed": 0,
                                  "deleted": False, "created": True}]
    assert served(client, "put") == triples(body)
    stored = (contrib_dir / "put.trig").read_text(encoding="utf-8")
    assert "membership-put" in stored and ALICE in stored  # reviewable, with provenance
    # /sparql sees the graph, and the closure of it: cao:member has inverse hasMembership.
    assert ask(client, f"ASK {{ GRAPH <{graph_iri('put')}> {{ ?m a "
                       "<https://w3id.org/caonto/def/Membership> } }")
    assert ask(client, "ASK { GRAPH <https://w3id.org/caonto/graph/inferred> { "
                       "<https://w3id.org/caonto/id/kazakhstan> "
                       "<https://w3id.org/caonto/def/hasMembership> "
                       "<https://w3id.org/caonto/id/membership-put> } }")


def test_provenance_records_contributor_and_time_in_the_contrib_log(client):
    client.put(f"/store?graph={graph_iri('prov')}", data=membership("prov").encode(),
               headers=TURTLE)
    response = client.post(f"/store?graph={graph_iri('prov')}",
                           data=membership("prov2").encode(),
                           headers={"Authorization": f"Bearer {TOKEN_BOB}",
                                    "Content-Type": "text/turtle"})
    assert response.status_code == 200, response.data
    query = f"""PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?who ?when WHERE {{ GRAPH <https://w3id.org/caonto/graph/contrib-log> {{
          <{graph_iri('prov')}> prov:wasAttributedTo ?who ; prov:generatedAtTime ?when }} }}"""
    rows = client.post("/sparql", data={"query": query},
                       headers={"Accept": "application/sparql-results+json"}).get_json()
    bindings = rows["results"]["bindings"]
    assert {b["who"]["value"] for b in bindings} == {ALICE, BOB}
    assert all(b["when"]["datatype"].endswith("#dateTime") for b in bindings)
    assert served(client, "prov") == triples(membership("prov")) | triples(membership("prov2"))


def test_sparql_update_changes_a_contributed_graph(client):
    client.put(f"/store?graph={graph_iri('upd')}", data=membership("upd").encode(),
               headers=TURTLE)
    text = PREFIXES.replace("@prefix", "PREFIX").replace(" .\n", "\n") + f"""
        DELETE {{ GRAPH <{graph_iri('upd')}> {{ ?m cao:startDate ?d }} }}
        INSERT {{ GRAPH <{graph_iri('upd')}> {{ ?m cao:startDate "2001-06-16"^^xsd:date }} }}
        WHERE {{ GRAPH <{graph_iri('upd')}> {{ ?m cao:startDate ?d }} }}"""
    response = client.post("/update", data=text.encode(), headers=UPDATE)
    assert response.status_code == 200, response.data
    assert ask(client, f'ASK {{ GRAPH <{graph_iri("upd")}> {{ ?m '
                       '<https://w3id.org/caonto/def/startDate> "2001-06-16"^^'
                       '<http://www.w3.org/2001/XMLSchema#date> } }')


def test_form_update_writing_two_graphs_at_once(client, contrib_dir):
    data = Graph().parse(data=membership("two-a"), format="turtle")
    more = Graph().parse(data=membership("two-b", state="kyrgyzstan"), format="turtle")
    text = (f"INSERT DATA {{ GRAPH <{graph_iri('two-a')}> {{ {data.serialize(format='nt')} }} "
            f"GRAPH <{graph_iri('two-b')}> {{ {more.serialize(format='nt')} }} }}")
    response = client.post("/update", data={"update": text}, headers=AUTH)
    assert response.status_code == 200, response.data
    assert {"two-a.trig", "two-b.trig"} <= {p.name for p in contrib_dir.iterdir()}
    assert not (contrib_dir / "journal").exists()
    assert served(client, "two-b") == set(more)


def test_where_clauses_see_the_protected_graphs(client):
    # Copy the essay's label of Kazakhstan into a contribution: needs the essay in WHERE.
    client.put(f"/store?graph={graph_iri('where')}", data=membership("where").encode(),
               headers=TURTLE)
    text = f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        INSERT {{ GRAPH <{graph_iri('where')}> {{ <https://w3id.org/caonto/id/membership-where>
                  rdfs:comment ?name }} }}
        WHERE {{ GRAPH <https://w3id.org/caonto/graph/essay> {{
                  <https://w3id.org/caonto/id/kazakhstan> rdfs:label ?name
                  FILTER(lang(?name) = "en") }} }}"""
    response = client.post("/update", data=text.encode(), headers=UPDATE)
    assert response.status_code == 200, response.data
    assert any("comment" in str(p) for _s, p, _o in served(client, "where"))


def test_delete_removes_the_graph_and_its_file(client, contrib_dir):
    client.put(f"/store?graph={graph_iri('gone')}", data=membership("gone").encode(),
               headers=TURTLE)
    assert (contrib_dir / "gone.trig").exists()
    response = client.delete(f"/store?graph={graph_iri('gone')}", headers=AUTH)
    assert response.status_code == 200
    assert not (contrib_dir / "gone.trig").exists()
    assert client.get(f"/store?graph={graph_iri('gone')}").status_code == 404
    assert client.delete(f"/store?graph={graph_iri('gone')}", headers=AUTH).status_code == 404


def test_post_to_the_store_creates_a_graph_with_a_new_name(client):
    response = client.post("/store", data=membership("minted").encode(), headers=TURTLE)
    assert response.status_code == 201, response.data
    location = response.headers["Location"]
    assert f"graph={CONTRIB}" in location
    name = location.split(f"graph={CONTRIB}")[1]
    assert served(client, name) == triples(membership("minted"))


def test_reads_of_protected_graphs_are_open(client):
    response = client.get("/store?graph=https://w3id.org/caonto/graph/ontology",
                          headers={"Accept": "application/n-triples"})
    assert response.status_code == 200 and response.data.count(b"\n") > 100


# ---- validation gateway ----------------------------------------------------------------

def test_invalid_contribution_is_refused_with_the_shacl_report_as_json(client, contrib_dir):
    before = state(client, contrib_dir, "bad")
    response = client.put(f"/store?graph={graph_iri('bad')}",
                          data=membership("bad", source=None).encode(),
                          headers={**TURTLE, "Accept": "application/json"})
    assert response.status_code == 422
    report = response.get_json()
    assert report["conforms"] is False
    first = report["violations"][0]
    assert first["severity"] == "Violation"
    assert first["focus_node"] == "caor:membership-bad"
    assert "dcterms:source" in first["message"]
    assert state(client, contrib_dir, "bad") == before


def test_invalid_contribution_report_as_readable_text(client):
    response = client.put(f"/store?graph={graph_iri('bad')}",
                          data=membership("bad", source=None).encode(),
                          headers={**TURTLE, "Accept": "text/plain"})
    assert response.status_code == 422
    text = response.data.decode()
    assert "focus node: caor:membership-bad" in text and "dcterms:source" in text


def test_caonto_validate_and_the_write_path_agree(client, tmp_path):
    from caonto.cli import main

    for turtle, exit_code, status in ((membership("agree"), 0, 200),
                                      (membership("agree", source=None), 1, 422)):
        file = tmp_path / "contribution.ttl"
        file.write_text(turtle, encoding="utf-8")
        assert main(["validate", str(file)]) == exit_code
        response = client.put(f"/store?graph={graph_iri('agree')}&dry-run=true",
                              data=turtle.encode(), headers=TURTLE)
        assert response.status_code == status


def test_inconsistent_contribution_is_refused(client, contrib_dir):
    # cao:sharesBorderWith is irreflexive: a state cannot border itself.
    body = PREFIXES + "caor:kazakhstan cao:sharesBorderWith caor:kazakhstan .\n"
    before = state(client, contrib_dir, "loop")
    response = client.put(f"/store?graph={graph_iri('loop')}", data=body.encode(),
                          headers={**TURTLE, "Accept": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["inconsistencies"]
    assert state(client, contrib_dir, "loop") == before


def test_dry_run_validates_without_storing(client, contrib_dir):
    before = state(client, contrib_dir, "dry")
    ok = client.put(f"/store?graph={graph_iri('dry')}&dry-run=true",
                    data=membership("dry").encode(),
                    headers={**TURTLE, "Accept": "application/json"})
    assert ok.status_code == 200 and ok.get_json()["dryRun"] is True
    bad = client.put(f"/store?graph={graph_iri('dry')}", data=membership("dry", None).encode(),
                     headers={**TURTLE, "X-Caonto-Dry-Run": "true"})
    assert bad.status_code == 422
    assert state(client, contrib_dir, "dry") == before


# ---- refused input: nothing changes ------------------------------------------------------

def refused(client, contrib_dir, status: int, method: str, url: str, **kwargs):
    before = state(client, contrib_dir, "put")
    response = client.open(url, method=method, **kwargs)
    assert response.status_code == status, response.data
    assert state(client, contrib_dir, "put") == before
    return response


def test_missing_and_wrong_tokens_are_401(client, contrib_dir):
    url = f"/store?graph={graph_iri('put')}"
    body = membership("other").encode()
    missing = refused(client, contrib_dir, 401, "PUT", url, data=body,
                      headers={"Content-Type": "text/turtle"})
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    refused(client, contrib_dir, 401, "PUT", url, data=body,
            headers={"Content-Type": "text/turtle",
                     "Authorization": "Bearer " + TOKEN[:-1] + "x"})
    refused(client, contrib_dir, 401, "POST", "/update", data=b"CLEAR ALL",
            headers={"Content-Type": "application/sparql-update", "Authorization": "Basic xx"})


def test_syntax_error_is_400_with_position(client, contrib_dir):
    body = PREFIXES + "caor:a cao:member caor:b ;\n  cao:organization .\n"
    response = refused(client, contrib_dir, 400, "PUT", f"/store?graph={graph_iri('put')}",
                       data=body.encode(), headers={**TURTLE, "Accept": "application/json"})
    payload = response.get_json()
    assert payload["line"] == 7 and payload["column"]
    update = refused(client, contrib_dir, 400, "POST", "/update",
                     data=b"INSERT DATA { GRAPH <x> { <a> <b> } }", headers=UPDATE)
    assert b"syntax" in update.data.lower()


def test_xml_entity_bomb_is_400(client, contrib_dir):
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY a "aaaaaaaaaa"> <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"> <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="https://w3id.org/caonto/id/x"><rdfs:label>&d;</rdfs:label>
  </rdf:Description></rdf:RDF>"""
    response = refused(client, contrib_dir, 400, "PUT", f"/store?graph={graph_iri('put')}",
                       data=bomb, headers={**AUTH, "Content-Type": "application/rdf+xml"})
    assert b"entity" in response.data.lower()


def test_remote_jsonld_context_is_400_and_never_fetched(client, contrib_dir):
    listener = Listener()
    try:
        body = json.dumps({"@context": f"{listener.url}/context.jsonld",
                           "@id": "https://w3id.org/caonto/id/x", "label": "x"}).encode()
        response = refused(client, contrib_dir, 400, "PUT",
                           f"/store?graph={graph_iri('put')}", data=body,
                           headers={**AUTH, "Content-Type": "application/ld+json"})
    finally:
        listener.close()
    assert listener.connections == 0
    assert b"never fetched" in response.data


def test_load_and_service_are_400_and_never_reach_the_network(client, contrib_dir):
    listener = Listener()
    try:
        for text in (f"LOAD <{listener.url}/data.ttl> INTO GRAPH <{graph_iri('put')}>",
                     f"INSERT {{ GRAPH <{graph_iri('put')}> {{ ?s ?p ?o }} }} WHERE "
                     f"{{ SERVICE <{listener.url}/sparql> {{ ?s ?p ?o }} }}",
                     "LOAD <file:///etc/passwd>"):
            response = refused(client, contrib_dir, 400, "POST", "/update", data=text.encode(),
                               headers=UPDATE)
            keyword = "SERVICE" if "SERVICE" in text else "LOAD"
            target = text.split(f"{keyword} <", 1)[1].split(">", 1)[0]
            assert f"{keyword} <{target}> refused".encode() in response.data, response.data
    finally:
        listener.close()
    assert listener.connections == 0


def test_body_over_the_limit_is_413(client, contrib_dir):
    big = (membership("big") + "# " + "x" * MAX_BYTES + "\n").encode()
    refused(client, contrib_dir, 413, "PUT", f"/store?graph={graph_iri('put')}", data=big,
            headers=TURTLE)


def test_unknown_media_types_are_415(client, contrib_dir):
    refused(client, contrib_dir, 415, "PUT", f"/store?graph={graph_iri('put')}",
            data=membership("x").encode(), headers={**AUTH, "Content-Type": "text/markdown"})
    refused(client, contrib_dir, 415, "POST", "/update", data=b"CLEAR ALL",
            headers={**AUTH, "Content-Type": "text/plain"})


@pytest.mark.parametrize("graph", ["https://w3id.org/caonto/graph/ontology",
                                   "https://w3id.org/caonto/graph/essay",
                                   "https://w3id.org/caonto/graph/inferred",
                                   "https://w3id.org/caonto/graph/contrib-log",
                                   "https://example.org/elsewhere"])
def test_writes_to_protected_graphs_are_403(client, contrib_dir, graph):
    body = membership("sneaky").encode()
    for method in ("PUT", "POST", "DELETE"):
        refused(client, contrib_dir, 403, method, f"/store?graph={graph}", data=body,
                headers=TURTLE)
    text = f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:a> <urn:b> <urn:c> }} }}"
    refused(client, contrib_dir, 403, "POST", "/update", data=text.encode(), headers=UPDATE)


def test_protected_graphs_cannot_be_changed_by_a_pattern_update(client, contrib_dir):
    text = ("DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } "
            "FILTER(?g = <https://w3id.org/caonto/graph/essay>) }")
    refused(client, contrib_dir, 403, "POST", "/update", data=text.encode(), headers=UPDATE)
    refused(client, contrib_dir, 403, "POST", "/update", data=b"CLEAR ALL", headers=UPDATE)


def test_default_graph_is_read_only(client, contrib_dir):
    refused(client, contrib_dir, 403, "PUT", "/store?default", data=membership("d").encode(),
            headers=TURTLE)
    refused(client, contrib_dir, 403, "DELETE", "/store?default", headers=AUTH)
    refused(client, contrib_dir, 403, "POST", "/update",
            data=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }", headers=UPDATE)


def test_bad_graph_names_are_400(client, contrib_dir):
    refused(client, contrib_dir, 400, "PUT", f"/store?graph={CONTRIB}../escape",
            data=membership("x").encode(), headers=TURTLE)


def test_writes_are_off_without_tokens(tmp_path):
    from caonto.web import create_app

    app = create_app({"CAONTO_CONTRIB_DIR": str(tmp_path / "c"), "CAONTO_WORKERS": 1,
                      "CAONTO_TOKENS": "", "CAONTO_TOKENS_FILE": ""})
    try:
        response = app.test_client().put(f"/store?graph={graph_iri('x')}",
                                         data=membership("x").encode(), headers=TURTLE)
        assert response.status_code == 403
        assert b"no tokens" in response.data
        assert not (tmp_path / "c").exists()  # a read-only server creates nothing
    finally:
        app.extensions["caonto"].engine.close()


def test_blank_nodes_stay_connected_and_apart_across_graphs(client):
    body = membership("bn") + (PREFIXES + "caor:membership-bn rdfs:seeAlso _:b0 .\n"
                               '_:b0 rdfs:label "note"@en .\n')
    for name in ("bn-1", "bn-2"):
        response = client.put(f"/store?graph={graph_iri(name)}", data=body.encode(),
                              headers=TURTLE)
        assert response.status_code == 201, response.data
    query = """SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { GRAPH ?g {
        <https://w3id.org/caonto/id/membership-bn>
            <http://www.w3.org/2000/01/rdf-schema#seeAlso> ?b .
        ?b <http://www.w3.org/2000/01/rdf-schema#label> "note"@en } }"""
    answer = client.post("/sparql", data={"query": query},
                         headers={"Accept": "text/csv"}).data.decode()
    assert answer.split() == ["n", "2"]  # connected inside each graph, distinct between them


def test_protocol_details(client):
    client.put(f"/store?graph={graph_iri('details')}", data=membership("details").encode(),
               headers=TURTLE)
    assert client.head(f"/store?graph={graph_iri('details')}").status_code == 200
    union = client.get("/store?default", headers={"Accept": "application/n-triples"})
    assert union.status_code == 200 and b"membership-details" in union.data
    assert client.get("/store?graph=https://example.org/none").status_code == 404
    assert client.get("/store").status_code == 400


LEXICAL_FORMS = ['"01"^^xsd:integer', '"1"^^xsd:boolean', '"2001-06-15T00:00:00Z"^^xsd:dateTime',
                 '"1E3"^^xsd:double', '"two spaces"^^xsd:token', '"NaN"^^xsd:float']


def test_contributed_literals_are_stored_and_served_exactly_as_sent(client, contrib_dir):
    values = " , ".join(LEXICAL_FORMS)
    body = membership("lexical") + f"caor:membership-lexical <https://example.org/measure> {values} .\n"
    response = client.put(f"/store?graph={graph_iri('lexical')}", data=body.encode(),
                          headers=TURTLE)
    assert response.status_code == 201, response.data  # "NaN"^^xsd:float is valid
    sent = {text.replace("xsd:", "<http://www.w3.org/2001/XMLSchema#").replace(
        "^^<http://www.w3.org/2001/XMLSchema#", "^^<http://www.w3.org/2001/XMLSchema#") + ">"
        for text in LEXICAL_FORMS}
    # The Graph Store serves them as sent, and reads them back so from the file.
    for graph in (client.get(f"/store?graph={graph_iri('lexical')}",
                             headers={"Accept": "application/n-triples"}).data.decode(),
                  _file_as_ntriples(contrib_dir / "lexical.trig")):
        objects = {line.split("<https://example.org/measure> ", 1)[1].rstrip(" .")
                   for line in graph.splitlines() if "<https://example.org/measure>" in line}
        assert objects == sent
    # SPARQL still compares by value where SPARQL does: "01" = 1.
    assert ask(client, f"ASK {{ GRAPH <{graph_iri('lexical')}> {{ ?m "
                       "<https://example.org/measure> ?v FILTER(?v = 1) } }")


def _file_as_ntriples(path: Path) -> str:
    import pyoxigraph as ox

    quads = ox.parse(path.read_bytes(), format=ox.RdfFormat.TRIG)
    return ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads],
                        format=ox.RdfFormat.N_TRIPLES).decode()


def test_an_ill_typed_token_is_refused_not_collapsed_into_a_valid_one(client, contrib_dir):
    body = membership("token") + 'caor:membership-token <https://example.org/code> " a  b "^^xsd:token .\n'
    before = state(client, contrib_dir, "token")
    response = client.put(f"/store?graph={graph_iri('token')}", data=body.encode(),
                          headers=TURTLE)
    assert response.status_code == 422
    assert b"' a  b '" in response.data and b"xsd:token" in response.data
    assert state(client, contrib_dir, "token") == before


def _update(client, text: str, **params) -> tuple[int, bytes]:
    """A form POST to /update with protocol parameters (lists allowed)."""
    form = [("update", text)] + [(name.replace("_", "-"), value) for name, values in
                                 params.items() for value in
                                 (values if isinstance(values, list) else [values])]
    from werkzeug.datastructures import MultiDict

    response = client.post("/update", data=MultiDict(form), headers=AUTH)
    return response.status_code, response.data


def test_using_graph_uri_and_using_named_graph_uri_set_the_where_dataset(client, contrib_dir):
    client.put(f"/store?graph={graph_iri('usrc')}", data=membership("usrc").encode(),
               headers=TURTLE)
    copy = f"INSERT {{ GRAPH <{graph_iri('ucopy')}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}"
    status, body = _update(client, copy, using_graph_uri=graph_iri("usrc"))
    assert status == 200, body
    assert served(client, "ucopy") == triples(membership("usrc"))  # not the whole union
    # USING NAMED: GRAPH ?g sees only the graphs named, and the default graph is empty.
    copy_named = (f"INSERT {{ GRAPH <{graph_iri('ucopy2')}> {{ ?s ?p ?o }} }} "
                  "WHERE { GRAPH ?g { ?s ?p ?o } }")
    response = client.post(f"/update?using-named-graph-uri={graph_iri('usrc')}",
                           data=copy_named.encode(), headers=UPDATE)  # direct POST
    assert response.status_code == 200, response.data
    assert served(client, "ucopy2") == triples(membership("usrc"))
    # DELETE WHERE takes them too: with only usrc as the default graph, GRAPH <ucopy>
    # matches nothing, so nothing is deleted.
    status, body = _update(client, f"DELETE WHERE {{ GRAPH <{graph_iri('ucopy')}> "
                                   "{ ?s ?p ?o } }", using_graph_uri=graph_iri("usrc"))
    assert status == 200, body
    assert served(client, "ucopy") == triples(membership("usrc"))
    status, body = _update(client, f"DELETE WHERE {{ GRAPH <{graph_iri('ucopy')}> "
                                   "{ ?s ?p ?o } }", using_named_graph_uri=graph_iri("ucopy"))
    assert status == 200, body
    assert served(client, "ucopy") == set()


def test_protocol_dataset_with_the_updates_own_is_400(client, contrib_dir):
    before = state(client, contrib_dir, "uown")
    for text in (f"WITH <{graph_iri('uown')}> INSERT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
                 f"INSERT {{ GRAPH <{graph_iri('uown')}> {{ ?s ?p ?o }} }} "
                 f"USING <{graph_iri('usrc')}> WHERE {{ ?s ?p ?o }}"):
        status, body = _update(client, text, using_graph_uri=graph_iri("usrc"))
        assert status == 400 and b"names its own dataset" in body
    status, body = _update(client, "INSERT DATA {}", using_graph_uri="x> } ; DROP ALL ; <y:z")
    assert status == 400 and b"absolute IRIs" in body
    assert state(client, contrib_dir, "uown") == before


# ---- ownership, honesty and dependencies ---------------------------------------------

def as_(token: str, content_type: str | None = "text/turtle") -> dict:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    return {**headers, "Content-Type": content_type} if content_type else headers


def test_only_the_creator_or_a_maintainer_may_replace_or_delete_a_graph(client, contrib_dir):
    url = f"/store?graph={graph_iri('owned')}"
    assert client.put(url, data=membership("owned").encode(), headers=TURTLE).status_code == 201
    before = state(client, contrib_dir, "owned")
    for method, body in (("put", membership("bob").encode()), ("delete", None)):
        response = getattr(client, method)(url, data=body, headers=as_(TOKEN_BOB))
        assert response.status_code == 403, response.data
        assert ALICE in response.get_json()["message"]  # it names the owner
    update = f"DELETE WHERE {{ GRAPH <{graph_iri('owned')}> {{ ?s ?p ?o }} }}"
    response = client.post("/update", data=update.encode(),
                           headers=as_(TOKEN_BOB, "application/sparql-update"))
    assert response.status_code == 403
    assert state(client, contrib_dir, "owned") == before
    # Adding is open to everyone; the creator stays the owner.
    response = client.post(url, data=membership("bob-adds").encode(), headers=as_(TOKEN_BOB))
    assert response.status_code == 200, response.data
    assert response.get_json()["graphs"][0]["added"] == 7
    creator = client.post("/sparql", data={"query": f"""SELECT ?c WHERE {{ GRAPH
        <https://w3id.org/caonto/graph/contrib-log> {{ <{graph_iri('owned')}>
        <http://purl.org/dc/terms/creator> ?c }} }}"""}, headers={"Accept": "text/csv"})
    assert creator.data.decode().split() == ["c", ALICE]
    # A maintainer may delete it.
    response = client.delete(url, headers=as_(TOKEN_CAROL, None))
    assert response.status_code == 200, response.data
    assert response.get_json()["graphs"] == [{"graph": graph_iri("owned"), "added": 0,
                                             "removed": 14, "deleted": True, "created": False}]
    assert served(client, "owned") == set()


def test_the_creator_replacing_a_graph_is_told_what_was_added_and_removed(client):
    url = f"/store?graph={graph_iri('counts')}"
    client.put(url, data=membership("counts").encode(), headers=TURTLE)
    graph = Graph().parse(data=membership("counts"), format="turtle")
    graph.remove((None, URIRef("https://w3id.org/caonto/def/startDate"), None))
    smaller = graph.serialize(format="nt")
    response = client.put(url, data=smaller.encode(), headers={**TURTLE, "Accept": "application/json"})
    assert response.status_code == 200, response.data
    assert response.get_json()["graphs"][0] | {"graph": None} == {
        "graph": None, "added": 0, "removed": 1, "deleted": False, "created": False}
    text = client.put(url, data=membership("counts").encode(), headers=TURTLE).data.decode()
    assert "1 triples added, 0 removed" in text


@pytest.mark.parametrize("subject", [CONTRIB + "someone-elses",
                                     "https://w3id.org/caonto/graph/contrib-log",
                                     "https://w3id.org/caonto/graph/essay"])
def test_contributions_may_not_describe_the_named_graphs(client, contrib_dir, subject):
    before = state(client, contrib_dir, "claims")
    body = membership("claims") + (f"<{subject}> <http://www.w3.org/ns/prov#wasAttributedTo> "
                                   f"<{BOB}> .\n")
    response = client.put(f"/store?graph={graph_iri('claims')}", data=body.encode(),
                          headers=as_(TOKEN))
    assert response.status_code == 403
    assert subject in response.get_json()["message"]
    assert state(client, contrib_dir, "claims") == before


def test_a_graph_that_passes_thanks_to_anothers_says_so_and_blocks_its_deletion(
        client, contrib_dir):
    land, member = f"/store?graph={graph_iri('newland')}", f"/store?graph={graph_iri('nlm')}"
    assert client.put(land, data=NEWLAND.encode(), headers=TURTLE).status_code == 201
    response = client.put(member, data=membership("nlm", state="newland").encode(),
                          headers=as_(TOKEN_BOB))
    assert response.status_code == 201, response.data
    leans = response.get_json()["dependsOn"]
    assert {(d["graph"], d["creator"]) for d in leans} == {(graph_iri("newland"), ALICE)}
    assert "caor:newland rdf:type cao:State ." in {d["triple"] for d in leans}
    # the findings Bob's graph would have without Alice's are on his membership node
    assert {d["focus"] for d in leans} == {"caor:membership-nlm"}, leans
    # Alice's own graph does not lean on anyone: nothing to say.
    again = client.put(land, data=NEWLAND.encode(), headers={**TURTLE, "Accept": "application/json"})
    assert again.get_json().get("dependsOn", []) == []
    # Deleting Alice's graph would break Bob's: refused, naming Bob's graph and the triple.
    before = state(client, contrib_dir, "newland")
    response = client.delete(land, headers=as_(TOKEN, None))
    assert response.status_code == 422
    body = response.get_json()
    assert {d["graph"] for d in body["dependents"]} == {graph_iri("nlm")}
    assert graph_iri("nlm") in body["message"] and "caor:newland" in body["message"]
    assert any(d["triple"].startswith("caor:newland rdfs:label") for d in body["dependents"])
    assert state(client, contrib_dir, "newland") == before


# ---- behaviour pinned where a small change of the code went unnoticed --------------------

def test_the_dry_run_header_alone_stores_nothing(client, contrib_dir):
    before = state(client, contrib_dir, "dryheader")
    response = client.put(f"/store?graph={graph_iri('dryheader')}",
                          data=membership("dryheader").encode(),
                          headers={**TURTLE, "X-Caonto-Dry-Run": "true",
                                   "Accept": "application/json"})
    assert response.status_code == 200, response.data
    assert response.get_json()["dryRun"] is True
    assert state(client, contrib_dir, "dryheader") == before


def test_a_replaced_graph_loses_its_old_triples_everywhere(client):
    url = f"/store?graph={graph_iri('replaced')}"
    assert client.put(url, data=membership("old").encode(), headers=TURTLE).status_code == 201
    assert client.put(url, data=membership("new").encode(), headers=TURTLE).status_code == 200
    old = "<https://w3id.org/caonto/id/membership-old>"
    for inference in ("true", "false"):
        response = client.post("/sparql", data={"query": f"ASK {{ {old} ?p ?o }}",
                                                "inference": inference},
                               headers={"Accept": "application/sparql-results+json"})
        assert response.get_json()["boolean"] is False, inference
    assert not ask(client, f"ASK {{ GRAPH ?g {{ ?s ?p {old} }} }}")  # nor its closure
    assert served(client, "replaced") == triples(membership("new"))


def test_inference_false_sees_a_write_and_still_hides_the_closure(client):
    client.put(f"/store?graph={graph_iri('noinf')}", data=membership("noinf").encode(),
               headers=TURTLE)
    member = "<https://w3id.org/caonto/id/membership-noinf>"
    asserted = f"ASK {{ {member} <https://w3id.org/caonto/def/member> ?state }}"
    inferred = ("ASK { <https://w3id.org/caonto/id/kazakhstan> "
                f"<https://w3id.org/caonto/def/hasMembership> {member} }}")
    answers = {}
    for query in (asserted, inferred):
        for inference in ("true", "false"):
            response = client.post("/sparql", data={"query": query, "inference": inference},
                                   headers={"Accept": "application/sparql-results+json"})
            answers[query is asserted, inference] = response.get_json()["boolean"]
    assert answers == {(True, "true"): True, (True, "false"): True,
                       (False, "true"): True, (False, "false"): False}


def test_cors_is_open_for_reads_only(client):
    origin = {"Origin": "https://example.org"}
    read = client.get(f"/store?graph={graph_iri('put')}", headers=origin)
    assert read.headers.get("Access-Control-Allow-Origin") == "*"
    writes = [client.put(f"/store?graph={graph_iri('cors')}", data=membership("cors").encode(),
                         headers={**TURTLE, **origin}),
              client.post("/update", data=b"INSERT DATA {}", headers={**UPDATE, **origin}),
              client.delete(f"/store?graph={graph_iri('cors')}", headers={**AUTH, **origin})]
    assert [w.status_code for w in writes] == [201, 200, 200]
    assert [w.headers.get("Access-Control-Allow-Origin") for w in writes] == [None] * 3


def test_the_engine_refuses_service_and_load_for_python_callers_too(app):
    from caonto.engine.interface import QueryRefused

    engine = app.extensions["caonto"].engine
    listener = Listener()
    try:
        for text in (f"SELECT * WHERE {{ SERVICE <{listener.url}/sparql> {{ ?s ?p ?o }} }}",
                     f"SELECT * WHERE {{ SERVICE SILENT <{listener.url}/x> {{ ?s ?p ?o }} }}"):
            with pytest.raises(QueryRefused, match="SERVICE"):
                engine.solutions(text)
        with pytest.raises(QueryRefused, match="LOAD"):
            engine.update(f"LOAD <{listener.url}/data.ttl> INTO GRAPH <{CONTRIB}load>")
    finally:
        listener.close()
    assert listener.connections == 0


def test_the_served_store_equals_the_gateways_graphs_after_every_kind_of_write(app, client):
    """Writes reach the query workers as deltas; after each, every contributed graph,
    the closure and the contribution log the workers serve are the gateway's own."""
    from caonto.contrib.storage import GRAPH_CONTRIB_LOG, log_graph
    from caonto.namespaces import GRAPH_INFERRED
    from caonto.rdf_io import to_oxigraph

    gateway, engine = app.extensions["caonto.contrib"].gateway, app.extensions["caonto"].engine
    inferred, log = str(GRAPH_INFERRED), str(GRAPH_CONTRIB_LOG)
    one, two = graph_iri("delta-one"), graph_iri("delta-two")
    writes = [
        lambda: client.put(f"/store?graph={one}", data=membership("d1"), headers=TURTLE),
        lambda: client.post(f"/store?graph={one}", data=membership("d2"), headers=TURTLE),
        lambda: client.post("/update", headers=UPDATE, data=(
            f"PREFIX caor: <https://w3id.org/caonto/id/> INSERT DATA {{ GRAPH <{two}> {{ "
            f"caor:membership-d3 <http://www.w3.org/2000/01/rdf-schema#label> 'd3'@en }} }}")),
        lambda: client.post("/update", headers=UPDATE, data=(
            f"PREFIX caor: <https://w3id.org/caonto/id/> DELETE DATA {{ GRAPH <{two}> {{ "
            f"caor:membership-d3 <http://www.w3.org/2000/01/rdf-schema#label> 'd3'@en }} }}")),
        lambda: client.put(f"/store?graph={one}", data=membership("d4"), headers=TURTLE),
        lambda: client.delete(f"/store?graph={one}", headers=AUTH),
    ]
    for write in writes:
        response = write()
        assert response.status_code in (200, 201, 204), response.data
        snapshot = gateway.snapshot
        expected = {**snapshot.graphs, inferred: snapshot.inferred,
                    log: log_graph(snapshot.meta)}
        # Triples with blank nodes are left out: the workers' loader gives the built
        # dataset's blank nodes labels of its own (these writes add none).
        _names, rows = engine.solutions("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
                                        "FILTER(!isBlank(?s) && !isBlank(?o)) }")
        served_now = {(str(g.value), str(s), str(p), str(o)) for g, s, p, o in rows
                      if g.value in expected or g.value.startswith(CONTRIB)}
        store = ox.Store()  # stores values as the workers do (dates normalised)
        store.extend(ox.Quad(*(to_oxigraph(term) for term in triple), ox.NamedNode(iri))
                     for iri, graph in expected.items() for triple in graph
                     if not isinstance(triple[0], BNode) and not isinstance(triple[2], BNode))
        assert served_now == {(q.graph_name.value, str(q.subject), str(q.predicate),
                               str(q.object)) for q in store}
