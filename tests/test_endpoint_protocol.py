"""The SPARQL 1.1 Protocol over raw HTTP against ``caonto serve``: operations, dataset
parameters, content negotiation, errors, CORS and discovery."""

import csv
import hashlib
import io
import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pyoxigraph as ox
import pytest

from tests.conftest import ENDPOINT_MAX_REQUEST_BYTES, ENDPOINT_MAX_ROWS

CAO = "https://w3id.org/caonto/def/"
CAOR = "https://w3id.org/caonto/id/"
G_ESSAY = "https://w3id.org/caonto/graph/essay"
G_INFERRED = "https://w3id.org/caonto/graph/inferred"
PLACE_TYPES = f"SELECT ?t WHERE {{ <{CAOR}special> a ?t }}"


def call(url: str, method: str = "GET", data: bytes | None = None,
         headers: dict | None = None) -> tuple[int, dict, bytes]:
    """Status, headers (lower-cased names) and body; HTTP errors are answers, not raises."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, \
                response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def get(base: str, params: dict | list, headers: dict | None = None):
    return call(base + "sparql?" + urllib.parse.urlencode(params, doseq=True), headers=headers)


def bindings(body: bytes, name: str) -> list[str]:
    return sorted(b[name]["value"] for b in json.loads(body)["results"]["bindings"])


# ---- operations -------------------------------------------------------------------------

def test_get_post_form_and_post_direct_give_the_same_answer(endpoint_url):
    query = PLACE_TYPES
    status1, _, by_get = get(endpoint_url, {"query": query})
    status2, _, by_form = call(endpoint_url + "sparql", "POST",
                               urllib.parse.urlencode({"query": query}).encode(),
                               {"Content-Type": "application/x-www-form-urlencoded"})
    status3, _, direct = call(endpoint_url + "sparql", "POST", query.encode(),
                              {"Content-Type": "application/sparql-query; charset=utf-8"})
    assert (status1, status2, status3) == (200, 200, 200)
    assert by_get == by_form == direct
    assert bindings(by_get, "t") == [f"{CAO}Place"]


def test_default_graph_is_the_union_and_inference_false_hides_the_closure(endpoint_url):
    _, _, union = get(endpoint_url, {"query": PLACE_TYPES})
    _, _, plain = get(endpoint_url, {"query": PLACE_TYPES, "inference": "false"})
    assert bindings(union, "t") == [f"{CAO}Place"]  # the type is only in caog:inferred
    assert bindings(plain, "t") == []
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    _, _, named = get(endpoint_url, {"query": graphs, "inference": "false"})
    assert G_INFERRED not in bindings(named, "g")
    assert G_ESSAY in bindings(named, "g")


def test_default_graph_uri_and_named_graph_uri_replace_the_dataset(endpoint_url):
    _, _, only_essay = get(endpoint_url, {"query": PLACE_TYPES, "default-graph-uri": G_ESSAY})
    assert bindings(only_essay, "t") == []
    _, _, only_inferred = get(endpoint_url, {"query": PLACE_TYPES,
                                             "default-graph-uri": G_INFERRED})
    assert bindings(only_inferred, "t") == [f"{CAO}Place"]
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    _, _, named = get(endpoint_url, {"query": query, "named-graph-uri": [G_ESSAY, G_INFERRED]})
    assert bindings(named, "g") == [G_ESSAY, G_INFERRED]
    _, _, none_named = get(endpoint_url, {"query": query, "default-graph-uri": G_ESSAY})
    assert bindings(none_named, "g") == []


def test_from_a_local_graph_is_allowed(endpoint_url):
    status, _, body = get(endpoint_url, {"query": f"SELECT ?t FROM <{G_INFERRED}> WHERE "
                                                  f"{{ <{CAOR}special> a ?t }}"})
    assert status == 200
    assert bindings(body, "t") == [f"{CAO}Place"]


# ---- content negotiation -----------------------------------------------------------------

@pytest.mark.parametrize("accept,expected", [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
    ("text/tab-separated-values;q=0.2, text/csv;q=0.9, */*;q=0.1", "text/csv"),
    ("application/json", "application/sparql-results+json"),
    ("text/*", "text/csv"),
    ("text/html, application/xml;q=0.9, */*;q=0.8", "application/sparql-results+xml"),
])
def test_select_accept_with_q_values(endpoint_url, accept, expected):
    headers = {"Accept": accept} if accept else {}
    status, response_headers, _ = get(endpoint_url, {"query": PLACE_TYPES}, headers)
    assert status == 200
    assert response_headers["content-type"].split(";")[0] == expected
    assert response_headers["vary"] == "Accept"


@pytest.mark.parametrize("accept,expected,parse", [
    ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/rdf+xml;q=1, text/turtle;q=0.3", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("application/trig", "application/trig", ox.RdfFormat.TRIG),
    ("application/n-quads", "application/n-quads", ox.RdfFormat.N_QUADS),
    ("application/sparql-results+json, */*;q=0.1", "text/turtle", ox.RdfFormat.TURTLE),
])
def test_construct_accept(endpoint_url, accept, expected, parse):
    query = f"CONSTRUCT WHERE {{ <{CAOR}special> ?p ?o }}"
    status, headers, body = get(endpoint_url, {"query": query}, {"Accept": accept})
    assert status == 200
    assert headers["content-type"].split(";")[0] == expected
    parsed = list(ox.parse(body, format=parse))
    assert len(parsed) == 5


@pytest.mark.parametrize("name,expected", [("csv", "text/csv"),
                                           ("tsv", "text/tab-separated-values"),
                                           ("xml", "application/sparql-results+xml"),
                                           ("application/sparql-results+json",
                                            "application/sparql-results+json")])
def test_format_parameter_beats_accept(endpoint_url, name, expected):
    status, headers, _ = get(endpoint_url, {"query": PLACE_TYPES, "format": name},
                             {"Accept": "application/sparql-results+json"})
    assert status == 200
    assert headers["content-type"].split(";")[0] == expected


def test_format_parameter_xml_means_rdf_xml_for_a_graph(endpoint_url):
    status, headers, body = get(endpoint_url, {"query": f"DESCRIBE <{CAOR}special>",
                                               "format": "xml"})
    assert status == 200
    assert headers["content-type"].startswith("application/rdf+xml")
    assert b"rdf:RDF" in body


def test_unacceptable_formats_are_406_naming_what_is_offered(endpoint_url):
    status, _, body = get(endpoint_url, {"query": PLACE_TYPES}, {"Accept": "image/png"})
    assert status == 406
    assert b"application/sparql-results+json" in body
    status, _, body = get(endpoint_url, {"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"},
                          {"Accept": "text/csv"})
    assert status == 406
    assert b"text/turtle" in body
    status, _, _ = get(endpoint_url, {"query": "ASK {}", "format": "turtle"})
    assert status == 406


def test_unknown_format_parameter_is_400(endpoint_url):
    status, _, body = get(endpoint_url, {"query": "ASK {}", "format": "yaml"})
    assert status == 400
    assert b"unknown format" in body


# ---- errors ---------------------------------------------------------------------------

def test_malformed_query_is_400_with_line_and_column(endpoint_url):
    query = "PREFIX cao: <https://w3id.org/caonto/def/>\nSELECT * WHERE {\n  ?s cao:x }"
    status, headers, body = get(endpoint_url, {"query": query})
    assert status == 400
    assert headers["content-type"].startswith("text/plain")
    assert b"line 3, column" in body
    assert b"Traceback" not in body
    status, headers, body = get(endpoint_url, {"query": query}, {"Accept": "application/json"})
    assert status == 400
    error = json.loads(body)
    assert (error["status"], error["line"]) == (400, 3)
    assert error["column"] >= 1


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_with_allow(endpoint_url, method):
    status, headers, _ = call(endpoint_url + "sparql", method, b"")
    assert status == 405
    assert "POST" in headers["allow"] and "GET" in headers["allow"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/json",
                                          "application/sparql-update"])
def test_unsupported_post_types_are_415(endpoint_url, content_type):
    status, headers, body = call(endpoint_url + "sparql", "POST", b"ASK {}",
                                 {"Content-Type": content_type})
    assert status == 415
    assert "application/sparql-query" in headers["accept-post"]


def test_updates_are_refused_at_the_query_endpoint(endpoint_url):
    status, _, body = get(endpoint_url, {"update": "CLEAR ALL"})
    assert status == 400
    assert b"/update" in body
    status, _, body = call(endpoint_url + "sparql", "POST", b"CLEAR ALL",
                           {"Content-Type": "application/sparql-query"})
    assert status == 400  # an update is not a query: the parser says so


def test_two_query_parameters_are_400(endpoint_url):
    status, _, _ = get(endpoint_url, [("query", "ASK {}"), ("query", "ASK {}")])
    assert status == 400


def test_oversized_body_is_413_and_oversized_url_414(endpoint_url):
    padding = "#" + "x" * ENDPOINT_MAX_REQUEST_BYTES + "\nASK {}"
    status, _, _ = call(endpoint_url + "sparql", "POST", padding.encode(),
                        {"Content-Type": "application/sparql-query"})
    assert status == 413
    status, _, _ = call(endpoint_url + "sparql", "POST",
                        urllib.parse.urlencode({"query": padding}).encode(),
                        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413
    status, _, _ = get(endpoint_url, {"query": "ASK {} #" + "x" * 70_000})
    assert status == 414  # ours: waitress's own header limit (256 KiB) is far above it


# ---- limits --------------------------------------------------------------------------

def test_row_cap_truncates_and_says_so(endpoint_url):
    status, headers, body = get(endpoint_url, {"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert status == 200
    assert headers["x-caonto-truncated"] == "true"
    assert str(ENDPOINT_MAX_ROWS) in headers["warning"]
    document = json.loads(body)
    assert len(document["results"]["bindings"]) == ENDPOINT_MAX_ROWS
    assert document["truncated"] == {"maxRows": ENDPOINT_MAX_ROWS}
    assert document["head"]["link"]
    status, headers, body = get(endpoint_url, {"query": "SELECT * WHERE { ?s ?p ?o }",
                                               "format": "csv"})
    assert headers["x-caonto-truncated"] == "true"
    assert len(list(csv.reader(io.StringIO(body.decode())))) == ENDPOINT_MAX_ROWS + 1


def test_small_results_are_not_flagged(endpoint_url):
    _, headers, _ = get(endpoint_url, {"query": PLACE_TYPES})
    assert "x-caonto-truncated" not in headers
    assert headers["x-caonto-rows"] == "1"


# ---- CORS ------------------------------------------------------------------------------

def test_cors_is_open_for_reads_and_preflight(endpoint_url):
    _, headers, _ = get(endpoint_url, {"query": "ASK {}"}, {"Origin": "https://example.org"})
    assert headers["access-control-allow-origin"] == "*"
    assert "X-Caonto-Truncated" in headers["access-control-expose-headers"]
    _, headers, _ = call(endpoint_url + "sparql", "POST", b"ASK {}",
                         {"Content-Type": "application/sparql-query",
                          "Origin": "https://example.org"})
    assert headers["access-control-allow-origin"] == "*"
    status, headers, _ = call(endpoint_url + "sparql", "OPTIONS", None, {
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type"})
    assert status == 200
    assert "POST" in headers["access-control-allow-methods"]
    assert "Content-Type" in headers["access-control-allow-headers"]


# ---- discovery -----------------------------------------------------------------------

def _graph(body: bytes, parse=ox.RdfFormat.TURTLE) -> ox.Store:
    store = ox.Store()
    store.load(body, format=parse)
    return store


def test_service_description_by_accept(endpoint_url):
    status, headers, body = call(endpoint_url + "sparql", headers={"Accept": "text/turtle"})
    assert status == 200
    assert headers["content-type"].startswith("text/turtle")
    store = _graph(body)
    endpoint = f"{endpoint_url}sparql"
    assert bool(store.query(f"""PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>
        ASK {{ <{endpoint}> a sd:Service ; sd:endpoint <{endpoint}> ;
               sd:supportedLanguage sd:SPARQL11Query ; sd:feature sd:UnionDefaultGraph ;
               sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_CSV> ;
               sd:defaultDataset [ sd:namedGraph [ sd:name <{G_INFERRED}> ] ] }}"""))
    comment = store.query("SELECT ?c WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#comment>"
                          " ?c }")
    assert "inference=false" in next(iter(comment))["c"].value
    _, headers, body = call(endpoint_url + "sparql", headers={"Accept": "application/rdf+xml"})
    assert headers["content-type"].startswith("application/rdf+xml")
    assert len(_graph(body, ox.RdfFormat.RDF_XML)) == len(store)


def wait_for_dumps(endpoint_url: str, limit: float = 120) -> None:
    """Until the server lists every dump (they are written in the background at start)."""
    deadline = time.monotonic() + limit
    while b"being written" in call(endpoint_url + "dumps/")[2]:
        assert time.monotonic() < deadline, "the dumps were not written in time"
        time.sleep(0.2)


def test_void_links_versioned_dumps_whose_checksums_hold(endpoint_url):
    wait_for_dumps(endpoint_url)
    status, _, body = call(endpoint_url + "void", headers={"Accept": "text/turtle"})
    assert status == 200
    store = _graph(body)
    rows = list(store.query("""PREFIX void: <http://rdfs.org/ns/void#>
        PREFIX spdx: <http://spdx.org/rdf/terms#>
        SELECT ?dump ?sum WHERE { ?d void:dataDump ?dump .
          ?dump spdx:checksum [ spdx:checksumValue ?sum ] }"""))
    assert len(rows) == 3
    for row in rows:
        url = row["dump"].value
        assert "/dumps/caonto-9.9.9." in url
        status, headers, payload = call(url)
        assert status == 200
        assert hashlib.sha256(payload).hexdigest() == row["sum"].value
        assert headers["repr-digest"].startswith("sha-256=:")
        _, _, sidecar = call(url + ".sha256")
        assert sidecar.decode().split()[0] == row["sum"].value
    triples = next(iter(store.query("SELECT ?n WHERE { <https://w3id.org/caonto/id/dataset> "
                                    "<http://rdfs.org/ns/void#triples> ?n }")))["n"].value
    _, _, nquads = call(f"{endpoint_url}dumps/caonto-9.9.9.nq")
    assert int(triples) == len(nquads.decode().splitlines())


def test_dump_of_another_version_is_404(endpoint_url):
    status, _, _ = call(endpoint_url + "dumps/caonto-0.0.1.nq")
    assert status == 404


def test_trig_dump_holds_the_named_graphs(endpoint_url):
    wait_for_dumps(endpoint_url)
    _, headers, payload = call(endpoint_url + "dumps/caonto-9.9.9.trig")
    assert headers["content-type"].startswith("application/trig")
    graphs = {q.graph_name.value for q in ox.parse(payload, format=ox.RdfFormat.TRIG)}
    assert G_ESSAY in graphs and G_INFERRED in graphs


# ---- newcomers' mistakes -----------------------------------------------------------------

def test_caontos_and_the_usual_prefixes_are_predeclared(endpoint_client):
    query = ("SELECT ?s WHERE { ?s a cao:Place ; rdfs:label ?l . "
             "FILTER(datatype(?l) != xsd:int && ?s != owl:Thing) } LIMIT 1")
    response = endpoint_client.get("/sparql", query_string={"query": query},
                                   headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.data
    # a query's own PREFIX wins over the predeclared one
    own = "PREFIX cao: <urn:nothing:> ASK { ?s a cao:Place }"
    response = endpoint_client.get("/sparql", query_string={"query": own},
                                   headers={"Accept": "application/sparql-results+json"})
    assert response.get_json()["boolean"] is False


def test_an_undeclared_prefix_is_named_with_the_prefix_line_to_add(endpoint_client):
    query = "SELECT ?s WHERE {\n  ?s wdt:P31 ?o ; ex:name ?n\n}"
    response = endpoint_client.get("/sparql", query_string={"query": query},
                                   headers={"Accept": "application/json"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["prefixes"] == ["wdt", "ex"]
    assert "PREFIX wdt: <http://www.wikidata.org/prop/direct/>" in body["message"]
    assert "PREFIX ex: <namespace IRI>" in body["message"]
    text = endpoint_client.get("/sparql", query_string={"query": "ASK { ?s ex:p ?o }"}).data
    assert b"the prefix ex: is not declared" in text


@pytest.mark.parametrize("how", ["get", "form", "update-type", "query-type"])
def test_an_update_sent_to_sparql_says_it_belongs_at_update(endpoint_client, how):
    update = "PREFIX cao: <https://w3id.org/caonto/def/> INSERT DATA { cao:a cao:b cao:c }"
    if how == "get":
        response = endpoint_client.get("/sparql", query_string={"update": update})
    elif how == "form":
        response = endpoint_client.post("/sparql", data={"update": update})
    else:
        media = {"update-type": "application/sparql-update",
                 "query-type": "application/sparql-query"}[how]
        response = endpoint_client.post("/sparql", data=update.encode(),
                                        headers={"Content-Type": media})
    assert response.status_code in (400, 415)
    assert b"POST it to /update" in response.data
    # nothing was written
    check = endpoint_client.get("/sparql", query_string={
        "query": "ASK { <https://w3id.org/caonto/def/a> ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"})
    assert check.get_json()["boolean"] is False


def test_parameters_that_are_not_utf8_are_400_as_bodies_are(endpoint_url):
    broken = "query=" + urllib.parse.quote('SELECT ("') + "%FF%FE" + urllib.parse.quote(
        '" AS ?x) WHERE {}')
    status, _, body = call(endpoint_url + "sparql?" + broken)
    assert status == 400 and b"not UTF-8" in body
    status, _, body = call(endpoint_url + "sparql", "POST", broken.encode(),
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and b"not UTF-8" in body
    status, _, body = call(endpoint_url + "sparql", "POST", b'SELECT ("\xff\xfe" AS ?x) {}',
                           {"Content-Type": "application/sparql-query"})
    assert status == 400 and b"not UTF-8" in body
    # a character cut in two by a separator is not UTF-8 in either parameter
    split = "query=" + urllib.parse.quote("ASK {}") + "%D2&inference=%9Btrue"
    status, _, body = call(endpoint_url + "sparql?" + split)
    assert status == 400 and b"not UTF-8" in body
    whole = "query=" + urllib.parse.quote('SELECT ("Қазақстан" AS ?x) WHERE {}')
    status, _, body = call(endpoint_url + "sparql?" + whole, headers={"Accept": "text/csv"})
    assert status == 200 and "Қазақстан".encode() in body
    fine = "query=" + urllib.parse.quote('SELECT ("Қазақстан" AS ?x) WHERE {}')
    status, _, body = call(endpoint_url + "sparql?" + fine,
                           headers={"Accept": "application/sparql-results+json"})
    assert status == 200 and bindings(body, "x") == ["Қазақстан"]
