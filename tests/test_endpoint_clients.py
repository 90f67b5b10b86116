"""Real SPARQL clients (SPARQLWrapper, rdflib's SPARQLStore) against ``caonto serve``."""

import io

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.Wrapper import GET, POST, POSTDIRECTLY, URLENCODED

CAO = "https://w3id.org/caonto/def/"
CAOR = "https://w3id.org/caonto/id/"
SELECT = f"""PREFIX cao: <{CAO}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?state ?label WHERE {{ ?state a cao:State ; rdfs:label ?label .
  FILTER(lang(?label) = "en") }} ORDER BY ?state LIMIT 4"""
ASK_TRUE = f"ASK {{ <{CAOR}state-0-0> a <{CAO}State> }}"
ASK_FALSE = f"ASK {{ <{CAOR}state-0-0> a <{CAO}Nothing> }}"
CONSTRUCT = f"""PREFIX cao: <{CAO}>
CONSTRUCT {{ ?s cao:memberOf ?o }} WHERE {{ ?s cao:memberOf ?o }} ORDER BY ?s ?o LIMIT 5"""
DESCRIBE = f"DESCRIBE <{CAOR}special>"


def _wrapper(url: str, query: str, fmt: str, method: str = GET,
             request_method: str = URLENCODED) -> SPARQLWrapper:
    client = SPARQLWrapper(url + "sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    client.setRequestMethod(request_method)
    return client


@pytest.mark.parametrize("method,request_method",
                         [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)])
def test_sparqlwrapper_select_json_over_every_protocol_operation(endpoint_url, method,
                                                                  request_method):
    result = _wrapper(endpoint_url, SELECT, JSON, method, request_method).query()
    assert result.response.headers["Content-Type"].startswith("application/sparql-results+json")
    document = result.convert()
    assert document["head"]["vars"] == ["state", "label"]
    rows = document["results"]["bindings"]
    assert len(rows) == 4
    assert rows[0]["state"] == {"type": "uri", "value": f"{CAOR}state-0-0"}
    assert rows[0]["label"] == {"type": "literal", "value": "State 0-0", "xml:lang": "en"}


def test_sparqlwrapper_select_xml(endpoint_url):
    document = _wrapper(endpoint_url, SELECT, XML).query().convert()  # a minidom Document
    results = document.getElementsByTagName("result")
    assert len(results) == 4
    assert results[0].getElementsByTagName("uri")[0].firstChild.data == f"{CAOR}state-0-0"


@pytest.mark.parametrize("fmt,separator,header", [(CSV, ",", "state,label"),
                                                  (TSV, "\t", "?state\t?label")])
def test_sparqlwrapper_select_csv_and_tsv(endpoint_url, fmt, separator, header):
    text = _wrapper(endpoint_url, SELECT, fmt).query().convert().decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == header
    assert len(lines) == 5
    if fmt == CSV:
        assert lines[1] == f"{CAOR}state-0-0,State 0-0"
    else:
        assert lines[1] == f'<{CAOR}state-0-0>\t"State 0-0"@en'


@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_ask_in_every_results_format(endpoint_url, fmt):
    answers = []
    for query in (ASK_TRUE, ASK_FALSE):
        converted = _wrapper(endpoint_url, query, fmt).query().convert()
        if fmt == JSON:
            answers.append(converted["boolean"])
        elif fmt == XML:
            answers.append(converted.getElementsByTagName("boolean")[0].firstChild.data == "true")
        else:
            answers.append(converted.decode().splitlines()[1] == "true")
    assert answers == [True, False]


_RDFLIB_FORMAT = {"text/turtle": "turtle", "application/rdf+xml": "xml",
                  "application/ld+json": "json-ld"}


@pytest.mark.parametrize("fmt,media", [(TURTLE, "text/turtle"), (N3, "text/turtle"),
                                       (RDFXML, "application/rdf+xml"),
                                       (JSONLD, "application/ld+json")])
@pytest.mark.parametrize("query,expected", [(CONSTRUCT, 5), (DESCRIBE, 6)])
def test_sparqlwrapper_construct_and_describe_as_rdf(endpoint_url, fmt, media, query, expected):
    # convert() would build a deprecated rdflib ConjunctiveGraph: parse the body instead.
    response = _wrapper(endpoint_url, query, fmt).query().response
    assert response.headers["Content-Type"].split(";")[0] == media
    graph = Graph().parse(data=response.read(), format=_RDFLIB_FORMAT[media])
    assert len(graph) == expected  # DESCRIBE: five statements and the blank node's label
    if query is DESCRIBE:
        labels = set(graph.objects(URIRef(f"{CAOR}special"),
                                   URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
        assert labels == {Literal('Қазақстан, "Орталық" Азия\tжәне\nкөрші')}


@pytest.mark.parametrize("media,parse_format", [
    ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/trig", ox.RdfFormat.TRIG),
    ("application/n-quads", ox.RdfFormat.N_QUADS),
])
@pytest.mark.parametrize("query,count", [(CONSTRUCT, 5), (DESCRIBE, 6)])
def test_sparqlwrapper_graphs_in_line_and_dataset_formats(endpoint_url, media, parse_format,
                                                          query, count):
    client = _wrapper(endpoint_url, query, TURTLE)
    client.setOnlyConneg(True)  # no format= parameter, which would win over Accept
    client.addCustomHttpHeader("Accept", media)
    result = client.query()
    assert result.response.headers["Content-Type"].split(";")[0] == media
    body = result.response.read()
    assert len(list(ox.parse(body, format=parse_format))) == count


@pytest.mark.parametrize("return_format", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_select_and_ask(endpoint_url, return_format, method):
    store = SPARQLStore(endpoint_url + "sparql", returnFormat=return_format, method=method)
    graph = Graph(store=store)
    rows = list(graph.query(SELECT))
    assert len(rows) == 4
    assert str(rows[0][0]) == f"{CAOR}state-0-0"
    assert str(rows[0][1]) == "State 0-0"
    if return_format in ("json", "xml", "tsv"):  # CSV has no datatypes or languages
        assert rows[0][1] == Literal("State 0-0", lang="en")
    if return_format in ("json", "xml"):
        assert graph.query(ASK_TRUE).askAnswer is True
        assert graph.query(ASK_FALSE).askAnswer is False
    else:  # CSV/TSV define no boolean: the answer comes as a one-cell table
        assert [str(r[0]) for r in graph.query(ASK_FALSE)] == ["false"]
    store.close()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rdflib_sparqlstore_construct_and_describe(endpoint_url, method):
    store = SPARQLStore(endpoint_url + "sparql", returnFormat="xml", method=method)
    graph = Graph(store=store)
    constructed = graph.query(CONSTRUCT).graph
    assert len(constructed) == 5
    assert all(p == URIRef(f"{CAO}memberOf") for _, p, _ in constructed)
    described = graph.query(DESCRIBE).graph
    assert (URIRef(f"{CAOR}special"), URIRef(f"{CAO}startLine"), Literal(40)) in described
    store.close()


def test_rdflib_sparqlstore_with_named_graph_as_default(endpoint_url):
    """SPARQLStore passes a graph's identifier as default-graph-uri: the protocol's dataset."""
    store = SPARQLStore(endpoint_url + "sparql", returnFormat="json")
    inferred = Graph(store=store, identifier=URIRef("https://w3id.org/caonto/graph/inferred"))
    rows = list(inferred.query(f"SELECT ?t WHERE {{ <{CAOR}special> a ?t }}"))
    assert [str(r[0]) for r in rows] == [f"{CAO}Place"]
    store.close()


def test_sparqlwrapper_reports_a_syntax_error_as_query_bad_formed(endpoint_url):
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    client = _wrapper(endpoint_url, "SELECT * WHERE { ?s ?p }", JSON)
    with pytest.raises(QueryBadFormed) as caught:
        client.query()
    assert "line 1, column" in str(caught.value)


def test_json_results_parse_as_sparql_results_in_pyoxigraph(endpoint_url):
    body = _wrapper(endpoint_url, SELECT, JSON).query().response.read()
    parsed = ox.parse_query_results(io.BytesIO(body), ox.QueryResultsFormat.JSON)
    assert [v.value for v in parsed.variables] == ["state", "label"]
    assert len(list(parsed)) == 4
