"""Content negotiation and the row-capped result path, without HTTP."""

import json

import pyoxigraph as ox
import pytest

from caonto import formats as fmt
from caonto.engine.pool import QueryEngine
from caonto.engine.results import TRUNCATION_DOC, capped_solutions, write_boolean
from caonto.web import negotiation
from caonto.web.negotiation import MAX_ACCEPT_BYTES, MAX_ACCEPT_RANGES, AcceptTooLarge, negotiate, parse_accept


@pytest.mark.parametrize("accept,kind,expected", [
    (None, fmt.SOLUTIONS, "json"),
    ("", fmt.GRAPH, "turtle"),
    ("application/sparql-results+xml;q=0.4, text/csv;q=0.6", fmt.SOLUTIONS, "csv"),
    ("text/csv;q=0, */*", fmt.SOLUTIONS, "json"),
    ("text/csv, */*;q=0.1", fmt.GRAPH, "turtle"),
    ("application/json", fmt.GRAPH, "jsonld"),
    ("text/*", fmt.SOLUTIONS, "csv"),
    ("application/*", fmt.GRAPH, "ntriples"),
    ("image/png", fmt.SOLUTIONS, None),
    ("text/turtle;q=0", fmt.GRAPH, None),
    ("text/*;q=0", fmt.SOLUTIONS, None),  # q=0 refuses the whole range
    ("*/*;q=0", fmt.GRAPH, None),
    ("text/*;q=0, application/sparql-results+xml;q=0.1", fmt.SOLUTIONS, "xml"),
    ("application/n-quads;q=0.9, application/trig", fmt.GRAPH, "trig"),
    ("text/turtle;q=bogus, application/rdf+xml;q=0.5", fmt.GRAPH, "rdfxml"),
    ("*/*, text/csv", fmt.SOLUTIONS, "csv"),  # of equal q, an explicit type first,
    ("application/*, text/csv", fmt.SOLUTIONS, "csv"),
    ("*/*, text/*", fmt.SOLUTIONS, "csv"),  # then a type range, then */*,
    ("text/csv, application/sparql-results+xml", fmt.SOLUTIONS, "csv"),  # then the client's order
    ("text/csv;q=1, application/sparql-results+xml", fmt.SOLUTIONS, "csv"),  # no q is q=1
    ("image/png,text/csv", fmt.SOLUTIONS, "csv"),
    (", text/csv", fmt.SOLUTIONS, "csv"),  # empty list elements are skipped
    ("tex/*", fmt.SOLUTIONS, None),  # a type range covers one whole top-level type
    ("application/sparql-results+json;q=0, */*", fmt.SOLUTIONS, "xml"),  # a refused default
    ("text/csv;q=0.001", fmt.SOLUTIONS, "csv"),  # a qvalue has at most three decimals;
    ("text/csv;q=0.0001", fmt.SOLUTIONS, None),  # anything else counts as 0
    ("text/csv;q=1=0, application/sparql-results+xml;q=0.5", fmt.SOLUTIONS, "xml"),
    ("text/csv;q=nan, application/sparql-results+xml;q=0.5", fmt.SOLUTIONS, "xml"),
    ("text/csv, application/sparql-results+xml;q=1.5", fmt.SOLUTIONS, "csv"),  # above 1 is 1
])
def test_negotiate(accept, kind, expected):
    negotiation._negotiate.cache_clear()  # the verdict computed now, not one kept from before
    chosen = negotiate(accept, kind)
    assert (chosen.name if chosen else None) == expected


def test_a_wildcard_picks_the_declared_default_whatever_the_registry_order(monkeypatch):
    monkeypatch.setitem(fmt.DEFAULT, fmt.SOLUTIONS, fmt.BY_NAME["csv"])
    negotiation._negotiate.cache_clear()  # verdicts kept from other tests used the real default
    assert negotiate("*/*", fmt.SOLUTIONS).name == "csv"
    negotiation._negotiate.cache_clear()


def test_an_absent_accept_header_accepts_anything():
    assert parse_accept(None) == [("*/*", 1.0)]


AT_THE_BYTE_LIMIT = "text/csv" + " " * (MAX_ACCEPT_BYTES - len("text/csv"))
AT_THE_RANGE_LIMIT = ",".join(["text/csv"] * MAX_ACCEPT_RANGES)


@pytest.mark.parametrize("header", [AT_THE_BYTE_LIMIT, AT_THE_RANGE_LIMIT])
def test_an_accept_header_at_the_limits_is_read(header):
    assert negotiate(header, fmt.SOLUTIONS).name == "csv"


@pytest.mark.parametrize("header", [AT_THE_BYTE_LIMIT + " ", AT_THE_RANGE_LIMIT + ",text/csv"])
def test_an_accept_header_past_the_limits_is_refused_naming_them(header):
    with pytest.raises(AcceptTooLarge) as error:
        parse_accept(header)
    assert str(error.value) == (f"the Accept header may have at most {MAX_ACCEPT_RANGES} media "
                                f"ranges in {MAX_ACCEPT_BYTES} bytes")


def test_negotiation_keeps_a_bounded_number_of_headers_and_checks_each_first():
    for i in range(3 * negotiation.NEGOTIATED_HEADERS):  # each client its own header
        assert negotiate(f"text/csv;q=0.{i % 9 + 1}, application/x-{i}", fmt.SOLUTIONS).name \
            == "csv"
    assert negotiation._negotiate.cache_info().currsize <= negotiation.NEGOTIATED_HEADERS
    oversized = ", ".join(["text/csv"] * (negotiation.MAX_ACCEPT_RANGES + 1))
    kept = negotiation._negotiate.cache_info()
    for _ in range(2):  # refused every time, never answered from what was kept
        with pytest.raises(AcceptTooLarge):
            negotiate(oversized, fmt.SOLUTIONS)
    assert negotiation._negotiate.cache_info() == kept  # refused before the cache is consulted


@pytest.mark.parametrize("value,kind,expected", [
    ("xml", fmt.SOLUTIONS, "xml"), ("xml", fmt.GRAPH, "rdfxml"), ("rdf+xml", fmt.GRAPH, "rdfxml"),
    ("TTL", fmt.GRAPH, "turtle"), ("n3", fmt.GRAPH, "turtle"), ("csv", fmt.GRAPH, None),
    ("text/tab-separated-values", fmt.SOLUTIONS, "tsv"), ("json-ld", fmt.GRAPH, "jsonld"),
])
def test_lookup_of_format_parameter(value, kind, expected):
    found = fmt.lookup(value, kind)
    assert (found.name if found else None) == expected


def test_every_media_type_is_unique_and_text_types_declare_utf8():
    types = [f.media_type for f in fmt.FORMATS]
    assert len(types) == len(set(types))
    assert fmt.BY_NAME["csv"].content_type == "text/csv; charset=utf-8"
    assert fmt.BY_NAME["nquads"].content_type == "application/n-quads"


def _store() -> ox.Store:
    store = ox.Store()
    p = ox.NamedNode("http://example.org/p")
    for i in range(5):
        store.add(ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), p,
                          ox.Literal(f"line\t{i}\n\"quoted\", ok", language="kk")))
    store.add(ox.Quad(ox.BlankNode("b0"), p, ox.Literal("7", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer"))))
    return store


QUERY = ("SELECT ?s ?o ?none WHERE { ?s <http://example.org/p> ?o "
         "OPTIONAL { ?s <http://example.org/q> ?none } } ORDER BY ?o")


@pytest.mark.parametrize("name", ["json", "xml", "csv", "tsv"])
def test_capped_path_writes_what_pyoxigraph_writes_when_under_the_cap(name):
    store, chosen = _store(), fmt.BY_NAME[name]
    direct = store.query(QUERY).serialize(format=chosen.results_format)
    body, count, truncated = capped_solutions(store.query(QUERY), chosen, max_rows=6)
    assert (count, truncated) == (6, False)
    assert body == direct


@pytest.mark.parametrize("cap,count,truncated", [(6, 6, False), (5, 5, True), (1, 1, True)])
def test_cap_boundary(cap, count, truncated):
    body, rows, flagged = capped_solutions(_store().query(QUERY), fmt.BY_NAME["json"], cap)
    assert (rows, flagged) == (count, truncated)
    document = json.loads(body)
    assert len(document["results"]["bindings"]) == count
    assert ("truncated" in document) is truncated
    assert document["head"]["vars"] == ["s", "o", "none"]


def test_empty_result_keeps_its_variables():
    body, rows, flagged = capped_solutions(
        _store().query("SELECT ?x ?y WHERE { ?x <urn:none> ?y }"), fmt.BY_NAME["json"], 10)
    assert (rows, flagged) == (0, False)
    assert json.loads(body) == {"head": {"vars": ["x", "y"]}, "results": {"bindings": []}}


def test_truncated_xml_carries_a_link():
    body, _, _ = capped_solutions(_store().query(QUERY), fmt.BY_NAME["xml"], 2)
    assert body.count(b"<result>") == 2
    assert f'<link href="{TRUNCATION_DOC}"/></head>'.encode() in body


@pytest.mark.parametrize("name,expected", [("json", b'"boolean": true'),
                                           ("csv", b"_askResult\r\ntrue\r\n"),
                                           ("tsv", b"?_askResult\ntrue\n"),
                                           ("xml", b"<boolean>true</boolean>")])
def test_ask_answers(name, expected):
    assert expected in write_boolean(fmt.BY_NAME[name], True)


def test_construct_is_capped_too(endpoint_dataset):
    with QueryEngine(endpoint_dataset, workers=1, max_rows=3) as engine:
        answer = engine.query("CONSTRUCT WHERE { ?s ?p ?o }", graph_format=fmt.BY_NAME["ntriples"])
        assert (answer.count, answer.truncated) == (3, True)
        assert len(answer.body.splitlines()) == 3


def test_answer_cache_serves_repeats_until_the_data_changes(endpoint_dataset):
    with QueryEngine(endpoint_dataset, workers=1, cache_bytes=1 << 20) as engine:
        query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        first = engine.query(query)
        assert engine.query(query) is first
        engine.update("INSERT DATA { <urn:x:s> <urn:x:p> <urn:x:o> }")
        after = engine.query(query)
        assert after is not first
        assert json.loads(after.body)["results"]["bindings"][0]["n"]["value"] == \
            str(int(json.loads(first.body)["results"]["bindings"][0]["n"]["value"]) + 1)


def test_no_cache_when_capacity_is_zero(endpoint_dataset):
    with QueryEngine(endpoint_dataset, workers=1, cache_bytes=0) as engine:
        assert engine.query("ASK {}") is not engine.query("ASK {}")


# ---- metadata and documents, through the app -----------------------------------------------

def _graph(client, path: str, **params):
    response = client.get(path, query_string=params, headers={"Accept": "application/n-triples"})
    assert response.status_code == 200, response.data
    import rdflib

    return rdflib.Graph().parse(data=response.data, format="nt")


def _count(client, query: str) -> int:
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": "application/sparql-results+json"})
    return int(response.get_json()["results"]["bindings"][0]["n"]["value"])


def test_void_has_a_licence_publisher_modified_date_and_partitions(endpoint_client):
    from rdflib import URIRef
    from rdflib.namespace import DCTERMS, VOID, XSD

    void = _graph(endpoint_client, "/void")
    dataset = URIRef("https://w3id.org/caonto/id/dataset")
    assert void.value(dataset, DCTERMS.license) == \
        URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert void.value(dataset, DCTERMS.publisher) == URIRef("https://w3id.org/caonto/id/caonto-team")
    assert void.value(dataset, DCTERMS.modified).datatype == XSD.date
    state = URIRef("https://w3id.org/caonto/def/State")
    [partition] = [p for p in void.objects(dataset, VOID.classPartition)
                   if void.value(p, VOID["class"]) == state]
    assert int(void.value(partition, VOID.entities)) == _count(
        endpoint_client, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a cao:State }")
    label = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    [partition] = [p for p in void.objects(dataset, VOID.propertyPartition)
                   if void.value(p, VOID.property) == label]
    assert int(void.value(partition, VOID.triples)) == _count(
        endpoint_client, "SELECT (COUNT(*) AS ?n) WHERE { ?s rdfs:label ?o }")


def test_service_description_names_the_update_endpoint_and_the_entailment_regime(endpoint_client):
    from rdflib import URIRef

    sd = "http://www.w3.org/ns/sparql-service-description#"
    description = _graph(endpoint_client, "/sparql")
    update = URIRef("http://localhost/update")
    assert (update, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Update")) in description
    service = URIRef("http://localhost/sparql")
    assert description.value(service, URIRef(sd + "defaultEntailmentRegime")) == \
        URIRef("http://www.w3.org/ns/entailment/OWL-RL")
    comments = " ".join(str(o) for o in description.objects(service, None))
    assert "inference=false" in comments


def test_json_ld_answers_are_compacted_with_caontos_prefixes(endpoint_client):
    query = "CONSTRUCT { ?s a cao:State ; rdfs:label ?l } WHERE { ?s a cao:State ; rdfs:label ?l }"
    as_jsonld = endpoint_client.get("/sparql", query_string={"query": query},
                                    headers={"Accept": "application/ld+json"})
    document = json.loads(as_jsonld.data)
    assert document["@context"] == {"cao": "https://w3id.org/caonto/def/",
                                    "caor": "https://w3id.org/caonto/id/",
                                    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
                                    "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
    first = document["@graph"][0]
    assert first["@id"].startswith("caor:") and "rdfs:label" in first
    as_nt = endpoint_client.get("/sparql", query_string={"query": query},
                                headers={"Accept": "application/n-triples"})
    expanded = {str(q.triple) if hasattr(q, "triple") else str(q)
                for q in ox.parse(as_jsonld.data, format=ox.RdfFormat.JSON_LD)}
    assert expanded == {str(t) for t in ox.parse(as_nt.data, format=ox.RdfFormat.N_TRIPLES)}


def test_turtle_answers_declare_only_the_prefixes_they_use(endpoint_client):
    query = "CONSTRUCT { ?s a cao:State ; rdfs:label ?l } WHERE { ?s a cao:State ; rdfs:label ?l }"
    body = endpoint_client.get("/sparql", query_string={"query": query},
                               headers={"Accept": "text/turtle"}).data.decode()
    declared = [line.split()[1] for line in body.splitlines() if line.startswith("@prefix")]
    assert sorted(declared) == ["cao:", "caor:", "rdfs:"]
    void = endpoint_client.get("/void", headers={"Accept": "text/turtle"}).data.decode()
    rest = "\n".join(line for line in void.splitlines() if not line.startswith("@prefix"))
    for line in void.splitlines():
        if line.startswith("@prefix"):
            assert line.split()[1] in rest, line
