"""Linked-data pages: search keys, labels, descriptions, dereferencing, pages, data documents.

Unit tests run on a small TriG graph written here; the app tests run the real app (its
query engine and worker processes) over the project's own built dataset, so they check
what a visitor of ``caonto serve`` gets.
"""

import html
import json
import re
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from caonto.web import describe as desc
from caonto.web.labels import LabelTable, local_name
from caonto.web.search import SearchIndex, exact_key, plain_key

CAOR = "https://w3id.org/caonto/id/"
CAO = "https://w3id.org/caonto/def/"
KAZAKHSTAN = CAOR + "kazakhstan"

FIXTURE = """
@prefix cao: <https://w3id.org/caonto/def/> .
@prefix caor: <https://w3id.org/caonto/id/> .
@prefix caog: <https://w3id.org/caonto/graph/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
caog:ontology {
  cao:State a owl:Class ; rdfs:label "state"@en , "мемлекет"@kk ; rdfs:subClassOf cao:Place .
  cao:Place a owl:Class ; skos:prefLabel "place"@en .
}
caog:essay {
  caor:kazakhstan a cao:State ; skos:prefLabel "Қазақстан"@kk , "Kazakhstan"@en , "Казахстан"@ru ;
     owl:sameAs <http://www.wikidata.org/entity/Q232> ; cao:sharesBorderWith caor:kyrgyzstan .
  caor:kyrgyzstan a cao:State ; rdfs:label "Қырғызстан"@kk , "Kyrgyzstan"@en .
  caor:border a cao:Border ; cao:borderOf caor:kazakhstan ; cao:statedIn caor:line-5 ;
     cao:borderLength [ cao:numericValue 729 ] .
  caor:line-5 a cao:Sentence ; cao:text "Қазақстан мен Қырғызстан."@kk ;
     cao:translation "Kazakhstan and Kyrgyzstan."@en ; cao:startLine 5 ; cao:endLine 5 ;
     cao:mentions caor:kazakhstan .
  caor:note a cao:CuratorNote ; cao:noteText "The record says 1,212 km."@en ;
     cao:concernsSentence caor:line-5 ; cao:recordReference <http://www.wikidata.org/entity/Q1> .
}
caog:inferred {
  caor:kyrgyzstan cao:sharesBorderWith caor:kazakhstan .
  caor:kazakhstan a cao:Place .
}
"""


@pytest.fixture(scope="module")
def select():
    store = ox.Store()
    store.load(FIXTURE.encode(), format=ox.RdfFormat.TRIG)
    return desc.select_from_store(store)


# -- search keys and the index ---------------------------------------------------------------

@pytest.mark.parametrize("upper, lower", [("Қ", "қ"), ("Ө", "ө"), ("Ү", "ү"), ("Ұ", "ұ"),
                                          ("Ә", "ә"), ("І", "і"), ("Ң", "ң"), ("Ғ", "ғ"),
                                          ("Һ", "һ")])
def test_exact_key_folds_every_kazakh_capital(upper, lower):
    assert exact_key(upper + "а") == lower + "а"


def test_yo_is_read_as_ye_in_both_keys():
    assert exact_key("Королёв ЁЛКА") == "королев елка"
    assert plain_key("Королёв") == "королев"


def test_plain_key_drops_kazakh_letters_and_reads_latin_i_in_cyrillic_words():
    assert plain_key("Қазақстан") == "казакстан"
    assert plain_key("Өзбекстан Түркіменстан") == "озбекстан туркименстан"
    assert plain_key("Ұлы Ғасыр Әні Һ Ң") == "улы гасыр ани х н"
    assert plain_key("Түркiменстан") == "туркименстан"  # Latin i typed for і
    assert plain_key("Kazakhstan") == "kazakhstan"  # Latin words keep their i


def test_search_finds_names_in_three_languages_and_without_kazakh_letters(select):
    index = SearchIndex.from_labels(LabelTable.from_select(select))
    for query in ("қазақстан", "ҚАЗАҚСТАН", "Қазақстан", "казакстан", "kazakh", "Казахстан"):
        hits = index.search(query)
        assert hits and hits[0].iri == KAZAKHSTAN, query
    assert index.search("қазақстан")[0].score < 10  # exact reading
    assert index.search("казакстан")[0].score >= 10  # plain reading, ranked after exact ones
    assert index.search("") == []
    assert index.search("zzzz") == []


def test_labels_and_index_are_built_once_per_dataset_version(app):
    from caonto.web.reading import derived

    with app.test_request_context("/"):
        first = derived()
        assert derived() is first  # same data: reused
        engine = app.extensions["caonto"].engine
        engine.update('INSERT DATA { GRAPH <https://w3id.org/caonto/graph/contrib/t> { '
                      '<https://w3id.org/caonto/id/t-new> '
                      '<http://www.w3.org/2004/02/skos/core#prefLabel> "Жаңа атау"@kk } }')
        try:
            second = derived()
            assert second is not first  # an update makes a new version
            assert second.index.search("жана атау")[0].iri == CAOR + "t-new"
        finally:
            engine.update("DROP SILENT GRAPH <https://w3id.org/caonto/graph/contrib/t>")


# -- labels ------------------------------------------------------------------------------

def test_label_prefers_preflabel_in_language_then_falls_back(select):
    labels = LabelTable.from_select(select)
    assert labels.label(KAZAKHSTAN, "kk") == ("Қазақстан", "kk")
    assert labels.label(KAZAKHSTAN, "ru") == ("Казахстан", "ru")
    assert labels.label(CAOR + "kyrgyzstan", "ru") == ("Kyrgyzstan", "en")  # rdfs:label, en
    assert labels.label(CAO + "Border", "kk") == ("Border", "")  # no name: local name
    assert labels.names_by_language(KAZAKHSTAN) == {"kk": "Қазақстан", "en": "Kazakhstan",
                                                    "ru": "Казахстан"}


def test_local_name_is_the_tail_after_slash_or_hash():
    assert local_name(CAOR + "essay/line-38") == "line-38"
    assert local_name("http://www.w3.org/2002/07/owl#sameAs") == "sameAs"


# -- descriptions --------------------------------------------------------------------------

def test_description_separates_asserted_from_inferred(select):
    d = desc.describe(select, KAZAKHSTAN)
    assert d.exists
    types = {(f.value.text, f.inferred) for f in d.types}
    assert types == {(CAO + "State", False), (CAO + "Place", True)}
    incoming = {(f.predicate, f.value.text, f.inferred) for f in d.incoming}
    assert (CAO + "sharesBorderWith", CAOR + "kyrgyzstan", True) in incoming
    assert (CAO + "borderOf", CAOR + "border", False) in incoming
    assert [f.inferred for f in d.outgoing if f.predicate == CAO + "sharesBorderWith"] == [False]


def test_description_carries_sentences_notes_and_wikidata(select):
    d = desc.describe(select, KAZAKHSTAN)
    border = next(f for f in d.incoming if f.value.text == CAOR + "border")
    assert border.sentences == (CAOR + "line-5",)
    sentence = d.sentences[CAOR + "line-5"]
    assert (sentence.text, sentence.translation, sentence.start_line) == \
        ("Қазақстан мен Қырғызстан.", "Kazakhstan and Kyrgyzstan.", 5)
    assert d.mentioned_in == [CAOR + "line-5"]
    assert [n.text for n in d.notes_for(CAOR + "line-5")] == ["The record says 1,212 km."]
    assert d.wikidata == ["http://www.wikidata.org/entity/Q232"]


def test_description_unfolds_blank_nodes(select):
    d = desc.describe(select, CAOR + "border")
    length = next(f for f in d.outgoing if f.predicate == CAO + "borderLength")
    assert length.value.kind == "bnode"
    assert [(f.predicate, f.value.text) for f in length.value.facts] == [(CAO + "numericValue",
                                                                         "729")]


def test_unknown_iri_is_an_empty_description(select):
    assert not desc.describe(select, CAOR + "atlantis").exists
    assert not desc.exists(select, CAOR + "atlantis")
    assert desc.exists(select, KAZAKHSTAN)


def test_description_query_includes_provenance():
    store = ox.Store()
    store.load(FIXTURE.encode(), format=ox.RdfFormat.TRIG)
    graph = rdflib.Graph()
    result = store.query(desc.description_query(CAOR + "border"), use_default_graph_as_union=True)
    graph.parse(data=ox.serialize(result, format=ox.RdfFormat.N_TRIPLES), format="nt")
    line = rdflib.URIRef(CAOR + "line-5")
    assert graph.value(line, rdflib.URIRef(CAO + "text")) == rdflib.Literal(
        "Қазақстан мен Қырғызстан.", lang="kk")
    assert graph.value(rdflib.URIRef(CAOR + "note"), rdflib.URIRef(CAO + "noteText")) is not None
    assert (None, rdflib.URIRef(CAO + "numericValue"), None) in graph  # the blank node


# -- the app over the project's dataset -------------------------------------------------------

HOSTILE = ('<https://w3id.org/caonto/id/test-escape> <http://www.w3.org/2000/01/rdf-schema#label> '
           '"<script>alert(1)</script>"@en <https://w3id.org/caonto/graph/essay> .\n'
           '<https://w3id.org/caonto/id/test-escape> <http://www.w3.org/2000/01/rdf-schema#comment> '
           '"</script><b onload=x>"@en <https://w3id.org/caonto/graph/essay> .\n')

@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from caonto.build import build_dataset
    from caonto.web import create_app

    built = build_dataset(out_dir=tmp_path_factory.mktemp("pages-build"))
    served = built.nquads.with_name("served.nq")  # the project's data plus a hostile label
    served.write_bytes(built.nquads.read_bytes() + HOSTILE.encode())
    application = create_app({"CAONTO_DATASET": str(served), "CAONTO_WORKERS": 2,
                              "CAONTO_BASE_URL": "http://caonto.test/"})
    yield application
    application.extensions["caonto"].engine.close()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.mark.parametrize("accept, location", [
    ("text/html", "http://caonto.test/page/id/kazakhstan"),
    ("text/html,application/xhtml+xml,*/*;q=0.8", "http://caonto.test/page/id/kazakhstan"),
    ("*/*", "http://caonto.test/page/id/kazakhstan"),
    ("text/turtle", "http://caonto.test/data/id/kazakhstan.ttl"),
    ("application/n-triples", "http://caonto.test/data/id/kazakhstan.nt"),
    ("application/ld+json", "http://caonto.test/data/id/kazakhstan.jsonld"),
    ("application/rdf+xml", "http://caonto.test/data/id/kazakhstan.rdf"),
    ("text/html;q=0.5, text/turtle", "http://caonto.test/data/id/kazakhstan.ttl"),
])
def test_resource_iri_answers_303_by_accept(client, accept, location):
    response = client.get("/id/kazakhstan", headers={"Accept": accept})
    assert response.status_code == 303
    assert response.headers["Location"] == location
    assert "Accept" in response.headers["Vary"]


def test_format_parameter_beats_accept(client):
    response = client.get("/id/kazakhstan?format=nt", headers={"Accept": "text/html"})
    assert response.headers["Location"] == "http://caonto.test/data/id/kazakhstan.nt"
    response = client.get("/id/kazakhstan?format=html", headers={"Accept": "text/turtle"})
    assert response.headers["Location"] == "http://caonto.test/page/id/kazakhstan"
    assert client.get("/id/kazakhstan?format=pdf").status_code == 406


def test_unknown_iri_and_unacceptable_type(client):
    assert client.get("/id/atlantis").status_code == 404
    response = client.get("/id/kazakhstan", headers={"Accept": "image/png"})
    assert response.status_code == 406


def test_ontology_and_term_iris_dereference(client):
    assert client.get("/def", headers={"Accept": "text/turtle"}).headers["Location"] == \
        "http://caonto.test/data/def.ttl"
    assert client.get("/def/State").headers["Location"] == "http://caonto.test/page/def/State"
    ontology = rdflib.Graph().parse(data=client.get("/data/def.ttl").get_data(as_text=True),
                                    format="turtle")
    assert (rdflib.URIRef(CAO + "State"), rdflib.RDF.type, rdflib.OWL.Class) in ontology
    assert (rdflib.URIRef(CAO + "relationParty"), None, None) in ontology


@pytest.mark.parametrize("extension, rdflib_format, media", [
    ("ttl", "turtle", "text/turtle"), ("nt", "nt", "application/n-triples"),
    ("jsonld", "json-ld", "application/ld+json"), ("rdf", "xml", "application/rdf+xml"),
])
def test_data_documents_parse_and_include_provenance(client, extension, rdflib_format, media):
    response = client.get(f"/data/id/kazakhstan.{extension}")
    assert response.status_code == 200
    assert response.mimetype == media
    graph = rdflib.Graph().parse(data=response.get_data(), format=rdflib_format)
    kz = rdflib.URIRef(KAZAKHSTAN)
    assert (kz, rdflib.SKOS.prefLabel, rdflib.Literal("Қазақстан", lang="kk")) in graph
    assert (kz, rdflib.OWL.sameAs, rdflib.URIRef("http://www.wikidata.org/entity/Q232")) in graph
    texts = list(graph.objects(None, rdflib.URIRef(CAO + "text")))
    assert texts and all(t.language == "kk" for t in texts)
    assert list(graph.objects(None, rdflib.URIRef(CAO + "translation")))
    assert list(graph.objects(None, rdflib.URIRef(CAO + "noteText")))  # curator notes


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_resource_page_switches_names_by_language(app):
    kk = _text(app.test_client().get("/page/id/kazakhstan?lang=kk"))
    assert re.search(r'<h1 id="title" lang="kk">Қазақстан</h1>', kk)
    en = app.test_client().get("/page/id/kazakhstan", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert re.search(r'<h1 id="title" lang="en">Kazakhstan</h1>', _text(en))
    assert "Accept-Language" in en.headers["Vary"]
    ru = _text(app.test_client().get("/page/id/kazakhstan", headers={"Accept-Language": "ru"}))
    assert re.search(r'<h1 id="title" lang="ru">Казахстан</h1>', ru)
    for name, code in (("Қазақстан", "kk"), ("Kazakhstan", "en"), ("Казахстан", "ru")):
        assert f'<td lang="{code}" class="name-{code}">{name}</td>' in kk
    assert "<h2>Айтылған деректер</h2>" in kk and "<h2>Заявленные факты</h2>" in ru


def test_every_page_word_exists_in_every_language():
    from caonto.web.i18n import LANGUAGES, UI_TEXT, ui_text

    for key, words in UI_TEXT.items():
        assert set(words) == set(LANGUAGES), key
    assert ui_text("search", "kk") == "Іздеу"
    with pytest.raises(KeyError):
        ui_text("no-such-word", "en")


def test_language_choice_is_remembered_in_a_cookie(client):
    client.get("/page/id/kazakhstan?lang=kk")
    page = _text(client.get("/page/id/kazakhstan", headers={"Accept-Language": "en"}))
    assert '<h1 id="title" lang="kk">' in page


def test_resource_page_shows_sources_inferred_facts_notes_and_wikidata(client):
    page = _text(client.get("/page/id/kazakhstan?lang=en"))
    assert 'href="http://www.wikidata.org/entity/Q232"' in page
    assert 'class="fact inferred"' in page and 'id="inferred"' in page
    assert 'class="fact"' in page  # asserted rows too
    assert re.search(r'<blockquote lang="kk">[^<]*Қазақстан', page)
    assert '<span lang="en" class="translation">' in page
    assert "<strong>Curator&#39;s note:</strong>" in page
    assert 'href="http://caonto.test/id/' in page  # facts link to their resources


def test_pages_escape_what_the_data_says(client):
    page = _text(client.get("/page/id/test-escape?lang=en"))
    assert "<script>alert" not in page and "<b onload" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    results = _text(client.get("/search?q=alert"))
    assert 'data-iri="https://w3id.org/caonto/id/test-escape"' in results
    assert "<script>alert" not in results


def test_ontology_page_lists_classes_properties_domains_ranges(client):
    page = _text(client.get("/page/def?lang=en"))
    assert '<tr id="State" class="class">' in page
    row = page.split('<tr id="relationParty" class="property">', 1)[1].split("</tr>", 1)[0]
    assert 'href="http://caonto.test/def/BilateralRelation"' in row  # domain
    assert 'href="http://caonto.test/def/State"' in row  # range
    assert 'id="hierarchy"' in page and "schema:Country" in page  # tree and alignments
    term = _text(client.get("/page/def/State?lang=en"))
    assert 'class="definition"' in term


def test_ontology_page_says_how_other_vocabularies_terms_are_used(client):
    page = _text(client.get("/page/def?lang=en"))
    assert 'id="external"' in page
    row = page.split('data-iri="http://purl.org/dc/terms/subject"', 1)[1].split("</tr>", 1)[0]
    assert "policy is aimed at" in row and "ObjectProperty" in row
    for iri in ("http://purl.org/dc/terms/spatial", "http://xmlns.com/foaf/0.1/Group",
                "http://www.w3.org/2002/07/owl#sameAs",
                "http://www.w3.org/2004/02/skos/core#prefLabel",
                "http://www.w3.org/ns/prov#wasAttributedTo"):
        assert f'data-iri="{iri}"' in page, iri
    kazakh = _text(client.get("/page/def?lang=kk"))
    row = kazakh.split('data-iri="http://purl.org/dc/terms/spatial"', 1)[1].split("</tr>", 1)[0]
    assert "аумақ" in row  # the Kazakh scope note


def test_search_page_and_json(client):
    page = _text(client.get("/search?q=%D2%9B%D0%B0%D0%B7%D0%B0%D2%9B%D1%81%D1%82%D0%B0%D0%BD"))
    first = re.search(r'<li class="result" data-iri="([^"]+)"', page)
    assert first and first.group(1) == KAZAKHSTAN
    for query in ("казакстан", "ҚАЗАҚСТАН", "Kazakhstan", "Казахстан"):
        answer = client.get("/search", query_string={"q": query, "format": "json"})
        results = json.loads(answer.get_data())["results"]
        assert results and results[0]["iri"] == KAZAKHSTAN, query


def test_home_page_carries_the_network_query_that_runs(client):
    page = _text(client.get("/?lang=en"))
    raw = re.search(r'<script type="application/json" id="network-query">(.*?)</script>', page,
                    re.S).group(1)
    query = json.loads(raw)
    answer = client.post("/sparql", data={"query": query},
                         headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    rows = json.loads(answer.get_data())["results"]["bindings"]
    kinds = {r["row"]["value"] for r in rows}
    assert {"node", "relation"} <= kinds
    nodes = {r["node"]["value"] for r in rows if r["row"]["value"] == "node"}
    assert KAZAKHSTAN in nodes and CAOR + "kyrgyzstan" in nodes
    assert any("tone" in r for r in rows if r["row"]["value"] == "relation")


def test_query_ui_lists_the_example_queries(client, app):
    from caonto.web.views import example_queries

    with app.test_request_context("/sparql"):
        examples = example_queries()
    page = _text(client.get("/sparql", headers={"Accept": "text/html"}))
    assert 'id="yasgui"' in page  # make install puts the assets in place
    for example in examples:
        assert example["title"] and example["query"]
        assert f">{example['title']}</option>" in html.unescape(page)


@contextmanager
def changed_settings(app, **changes):
    """The app's settings with ``changes`` for the duration of the block."""
    served = app.extensions["caonto"]
    kept = served.settings
    served.settings = kept.with_changes(**changes)
    try:
        yield
    finally:
        served.settings = kept


def test_example_query_headers_are_read(tmp_path, app):
    from caonto.web.views import example_queries

    (tmp_path / "ontology").mkdir()
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "01-borders.rq").write_text(
        "# title: Borders\n# description: Every border and its length\nSELECT * {}\n")
    (tmp_path / "queries" / "02-bare.rq").write_text("SELECT * {}\n")
    with changed_settings(app, home=str(tmp_path)), app.test_request_context("/sparql"):
        examples = example_queries()
    assert [(e["title"], e["description"]) for e in examples] == [
        ("Borders", "Every border and its length"), ("02-bare", "")]


def test_assets_are_served_locally_or_reported_missing(client, app, tmp_path):
    from caonto.web.assets import ASSETS

    installed = all((Path(app.root_path).parents[2] / "node_modules" / p).is_file()
                    for p in ASSETS.values())
    with client.get("/assets/vis-network.min.js") as response:
        assert response.status_code == (200 if installed else 404)
    assert client.get("/assets/../package.json").status_code == 404
    with changed_settings(app, node_modules=str(tmp_path)):  # as if npm ci never ran
        page = _text(client.get("/sparql", headers={"Accept": "text/html"}))
        assert "UI assets are not installed" in page and 'name="query"' in page
        assert "UI assets are not installed" in _text(client.get("/"))
        assert client.get("/assets/yasgui.min.js").status_code == 404


def test_json_in_script_elements_cannot_close_them():
    from caonto.web.views import to_json

    text = str(to_json({"q": "</script><b>&"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"q": "</script><b>&"}


@pytest.mark.parametrize("language, words", [
    ("kk", ["Бір қазақ эссесінде", "бағаланбаған", "Осы суреттің артындағы SPARQL сұрауы"]),
    ("ru", ["Государства, организации", "без оценки", "SPARQL-запрос"]),
    ("en", ["States, organisations", "not assessed", "The SPARQL query behind this picture"]),
])
def test_home_page_speaks_the_chosen_language(client, language, words):
    page = _text(client.get(f"/?lang={language}", headers={"Accept": "text/html"}))
    for word in words:
        assert word in page


# ---- every IRI the service mints dereferences --------------------------------------------

BASE = "https://w3id.org/caonto/"


def dereference(client, iri: str, accept: str = "text/turtle", hops: int = 3):
    """Follow an IRI under the persistent base on the test server; the final response."""
    path = "/" + iri[len(BASE):]
    response = client.get(path, headers={"Accept": accept})
    while response.status_code in (301, 302, 303, 307, 308) and hops:
        location = response.headers["Location"].replace("http://caonto.test", "")
        response = client.get(location, headers={"Accept": accept})
        hops -= 1
    return response


def minted_iris(client) -> set[str]:
    """The IRIs under the base that the service's own descriptions and answers name."""
    found = set()
    for path in ("/void", "/sparql"):
        body = client.get(path, headers={"Accept": "application/n-triples"}).data.decode()
        found |= set(re.findall(r"<(https://w3id\.org/caonto/[^>]*)>", body))
    ontology = client.get("/data/def.nt").data.decode()
    found |= set(re.findall(r"owl#versionIRI> <([^>]+)>", ontology))
    more_than_the_cap = "SELECT * WHERE { ?s ?p ?o . ?t a ?c }"
    truncated = client.get("/sparql", query_string={"query": more_than_the_cap,
                                                    "format": "json"})
    assert truncated.headers["X-Caonto-Truncated"] == "true"
    found |= set(json.loads(truncated.data)["head"].get("link", []))
    return found


def test_every_iri_the_service_mints_dereferences(client):
    iris = minted_iris(client)
    assert {BASE + "graph/essay", BASE + "graph/ontology", BASE + "graph/inferred",
            BASE + "id/dataset", BASE + "releases/0.1.0/def",
            BASE + "def/truncated-result"} <= iris, iris
    for iri in sorted(iris):
        response = dereference(client, iri)
        assert response.status_code == 200, (iri, response.status_code, response.data[:200])


def test_a_named_graph_redirects_to_its_graph_store_document(client):
    response = client.get("/graph/essay", headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        "/store?graph=https://w3id.org/caonto/graph/essay")
    document = dereference(client, BASE + "graph/essay")
    assert document.content_type.startswith("text/turtle")
    assert b"kazakhstan" in document.data
    assert client.get("/graph/nonexistent").status_code == 404


def test_the_dataset_the_version_iri_and_the_truncation_mark_dereference(client):
    assert client.get("/id/dataset").headers["Location"] == "http://caonto.test/void"
    version = client.get("/releases/0.1.0/def", headers={"Accept": "text/html"})
    assert version.status_code == 303 and version.headers["Location"].endswith("/page/def")
    assert client.get("/releases/9.9.9/def").status_code == 404
    mark = client.get("/def/truncated-result")
    assert mark.status_code == 200 and b"CAONTO_MAX_ROWS" in mark.data


def test_the_shapes_dereference(client):
    document = client.get("/shapes/", headers={"Accept": "text/turtle"})
    assert document.status_code == 200
    shapes = rdflib.Graph().parse(data=document.data, format="turtle")
    shape = rdflib.URIRef(BASE + "shapes/Treaty-party")
    assert (shape, rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/shacl#PropertyShape")) \
        in shapes
    assert client.get("/shapes/Treaty-party").headers["Location"] == "http://caonto.test/shapes/"
    assert client.get("/shapes/KnownTerms").status_code == 303  # a check made in code
    assert client.get("/shapes/NoSuchShape").status_code == 404


# ---- pages in kk and ru are whole ----------------------------------------------------------



def texts_in_language(page: str, language: str) -> list[str]:
    """The text a reader of ``language`` sees as the page's own: outside elements marked
    with another language, scripts, styles and code."""
    from html.parser import HTMLParser

    skipped = {"script", "style", "code", "pre"}
    void = {"meta", "link", "br", "img", "input", "hr", "source", "wbr"}

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack, self.found = [], []

        def handle_starttag(self, tag, attrs):
            if tag in void:
                return
            attrs = dict(attrs)
            outer = self.stack[-1] if self.stack else (language, False)
            lang = attrs.get("lang", outer[0])
            self.stack.append((lang, outer[1] or tag in skipped))
            for name in ("title", "aria-label", "placeholder"):
                if attrs.get(name) and lang == language and not self.stack[-1][1]:
                    self.found.append(attrs[name])

        def handle_endtag(self, tag):
            if tag not in void and self.stack:
                self.stack.pop()

        def handle_data(self, data):
            lang, skip = self.stack[-1] if self.stack else (language, False)
            if data.strip() and lang == language and not skip:
                self.found.append(data.strip())

    reader = Reader()
    reader.feed(page)
    return reader.found


def english_ui_strings() -> set[str]:
    from caonto.web.i18n import UI_TEXT

    found = set()
    for words in UI_TEXT.values():
        for text in (words["en"],):
            if text not in (words.get("kk"), words.get("ru")):
                found.add(text.split("{")[0].strip())
    return {s for s in found if len(s) >= 3}


MAIN_PAGES = ["/", "/search?q=kazakhstan", "/sparql", "/page/id/kazakhstan",
              "/page/id/kazakhstan-kyrgyzstan-relations", "/page/id/no-such-thing"]


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("path", MAIN_PAGES)
def test_kk_and_ru_pages_show_no_english_ui_string(client, language, path):
    separator = "&" if "?" in path else "?"
    response = client.get(f"{path}{separator}lang={language}", headers={"Accept": "text/html"})
    assert response.content_type.startswith("text/html")
    shown = texts_in_language(response.data.decode(), language)
    assert shown
    leftovers = sorted({s for s in english_ui_strings() for text in shown
                        if re.search(rf"(?<![\w:-]){re.escape(s)}(?![\w-])", text)})
    assert leftovers == [], leftovers


def test_every_ui_string_has_kk_and_ru_forms():
    from caonto.web.i18n import UI_TEXT

    assert all(set(words) == {"kk", "en", "ru"} and all(words.values())
               for words in UI_TEXT.values())


# ---- resource pages are compact ---------------------------------------------------------------

def test_the_kazakhstan_page_is_compact(client):
    page = client.get("/page/id/kazakhstan?lang=en", headers={"Accept": "text/html"}).data.decode()
    # inferred facts: grouped by property and folded
    assert re.search(r'<details class="inferred-facts">', page)
    assert "<details class=\"inferred-facts\" open" not in page
    inferred_rows = re.findall(r'<tr class="fact inferred', page)
    properties = re.findall(r'<tr class="fact inferred[^"]*">\s*<td>(?:← )?<a href="([^"]+)"', page)
    assert inferred_rows and len(properties) == len(set(zip(properties, inferred_rows, strict=True)))
    inferred_part = page[page.index('<details class="inferred-facts">'):page.index("</details>")]
    assert "<figure" not in inferred_part and "sentence-ref" not in inferred_part
    # each sentence quoted once, each curator note once, each type name once
    ids = re.findall(r'<figure class="sentence" id="([^"]+)"', page)
    assert ids and len(ids) == len(set(ids))
    notes = re.findall(r'<aside class="note">.*?<span lang="en">(.*?)</span>', page, re.S)
    assert notes and len(notes) == len(set(notes))
    chips = re.findall(r'<span class="type[^"]*"\s*(?:title="[^"]*")?><a [^>]*>([^<]+)</a>', page)
    assert chips and len(chips) == len({c.casefold() for c in chips}), chips


def test_the_asserted_shares_border_with_row_shows_its_source(client):
    page = client.get("/page/id/kazakhstan?lang=en", headers={"Accept": "text/html"}).data.decode()
    asserted = page[page.index('id="asserted"'):page.index("</section>", page.index('id="asserted"'))]
    row = next(r for r in asserted.split('<tr class="fact">')
               if "def/sharesBorderWith" in r.split("</td>")[0])
    assert re.search(r"line 38\b", row), row


# ---- a missing resource, for a browser ---------------------------------------------------------

def test_a_browser_asking_for_a_missing_resource_gets_a_page_in_its_language(client):
    from caonto.web.i18n import ui_text

    for path in ("/id/no-such-thing", "/page/id/no-such-thing"):
        response = client.get(path + "?lang=kk", headers={"Accept": "text/html"})
        assert response.status_code == 404 and response.content_type.startswith("text/html")
        page = response.data.decode()
        assert ui_text("not_found_text", "kk") in page and '<html lang="kk">' in page
        assert 'href="http://caonto.test/def"' in page and "<nav" in page
    machine = client.get("/id/no-such-thing", headers={"Accept": "application/json"})
    assert machine.status_code == 404 and machine.get_json()["status"] == 404


# ---- search finds Latin spellings and transliterations ------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("kazakstan", "kazakhstan"), ("Qazaqstan", "kazakhstan"), ("Kazakhstan", "kazakhstan"),
    ("Kyrgyzstan", "kyrgyzstan"), ("Qyrgyzstan", "kyrgyzstan"), ("Kirgizstan", "kyrgyzstan"),
])
def test_search_finds_latin_spellings_and_transliterations(client, query, expected):
    found = client.get("/search", query_string={"q": query, "format": "json"}).get_json()
    assert found["results"] and found["results"][0]["iri"] == CAOR + expected, found["results"][:3]


def test_latin_key_joins_the_spellings():
    from caonto.web.search import latin_key

    assert {latin_key(w) for w in ("Қазақстан", "Казахстан", "Kazakhstan", "Qazaqstan",
                                   "kazakstan")} == {"kazakstan"}
    assert {latin_key(w) for w in ("Қырғызстан", "Кыргызстан", "Kyrgyzstan")} == {"kirgizstan"}
    assert latin_key("Tajikistan") != latin_key("Turkmenistan")


# ---- contributed facts show who, when, where and from what --------------------------------------

@pytest.fixture(scope="module")
def contributed(tmp_path_factory):
    """An app with one accepted contribution: Alice's membership of Kazakhstan in the SCO."""
    from caonto.build import build_dataset
    from caonto.web import create_app
    from tests.contrib_samples import CONTRIB, SOURCE, TOKEN, TOKENS_SETTING, membership

    built = build_dataset(out_dir=tmp_path_factory.mktemp("contrib-pages-build"))
    application = create_app({"CAONTO_DATASET": str(built.nquads), "CAONTO_WORKERS": 1,
                              "CAONTO_BASE_URL": "http://caonto.test/",
                              "CAONTO_TOKENS": TOKENS_SETTING,
                              "CAONTO_CONTRIB_DIR": str(tmp_path_factory.mktemp("contrib"))})
    client = application.test_client()
    stored = client.put(f"/store?graph={CONTRIB}pages", data=membership("pages").encode(),
                        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"})
    assert stored.status_code == 201, stored.data
    yield client, CONTRIB + "pages", SOURCE
    application.extensions["caonto.contrib"].close()
    application.extensions["caonto"].engine.close()


@pytest.mark.parametrize("path", ["/page/id/membership-pages", "/page/id/kazakhstan"])
def test_contributed_facts_show_who_when_which_graph_and_their_source(contributed, path):
    from datetime import datetime, timezone

    from tests.contrib_samples import ALICE

    client, graph, source = contributed
    page = client.get(path + "?lang=en", headers={"Accept": "text/html"}).data.decode()
    rows = [r for r in page.split('<tr class="fact') if '<p class="contributed">' in r]
    assert rows
    for row in rows:
        assert f'class="contributor" href="{ALICE}"' in row
        assert f'<time datetime="{datetime.now(timezone.utc).date().isoformat()}' in row
        assert 'class="graph" href="http://caonto.test/graph/contrib/pages"' in row
        assert f'class="external cited" href="{source}"' in row
    essay_rows = [r for r in page.split('<tr class="fact')[1:] if r not in rows]
    assert path.endswith("membership-pages") or essay_rows  # the essay's own facts say nothing of it
    assert all('<p class="contributed">' not in r for r in essay_rows)


def test_contributed_values_are_marked_and_never_the_definition(app, client):
    engine = app.extensions["caonto"].engine
    text = "A contributed claim that must not pass for the curated definition"
    engine.update('INSERT DATA { GRAPH <https://w3id.org/caonto/graph/contrib/c> { '
                  '<https://w3id.org/caonto/id/kazakhstan> '
                  f'<http://www.w3.org/2000/01/rdf-schema#comment> "{text}"@en }} }}')
    try:
        page = _text(client.get("/page/id/kazakhstan?lang=en"))
        assert '<p class="definition"' not in page  # Kazakhstan has no curated one
        row = re.search(r'<tr class="fact contributed">(.*?)</tr>', page, re.S)
        assert row and text in row.group(1) and 'class="badge contributed"' in row.group(1)
        assert page.count(text) == 1
    finally:
        engine.update("DROP SILENT GRAPH <https://w3id.org/caonto/graph/contrib/c>")
