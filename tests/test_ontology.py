"""The ontology: documented, declared, inside OWL 2 RL, and reasoning as intended.

Most checks are SPARQL queries that must return no rows; a failure lists the offending
terms. The behaviour checks run owlrl (through ``caonto.inference.infer``) on tiny
graphs, so a wrong axiom shows up as a missing or an absurd entailment.
"""

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from caonto.inference import InconsistencyError, infer
from caonto.namespaces import CAO, CAOR, ONTOLOGY_IRI
from caonto.rdf_io import parse_file, parse_files, rdf_files
from tests import graphs

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
MODEL_DOC = ROOT / "docs" / "model.md"

@pytest.fixture(scope="module")
def ontology() -> Graph:
    return parse_files(rdf_files(ONTOLOGY_DIR))


@pytest.fixture(scope="module")
def core() -> Graph:
    return parse_file(ONTOLOGY_DIR / "caonto.ttl")


def rows(graph: Graph, query: str) -> list[tuple]:
    return sorted(tuple(str(v) for v in row) for row in graph.query(graphs.PROLOGUE + query))


OUR_TERMS = """
  ?term a ?kind .
  VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty }
  FILTER STRSTARTS(STR(?term), STR(cao:))
"""

# Each query must return nothing: name -> SPARQL body.
EMPTY_QUERIES = {
    "label in English and Kazakh": f"""
        SELECT ?term ?lang WHERE {{
          {OUR_TERMS}
          VALUES ?lang {{ "en" "kk" }}
          FILTER NOT EXISTS {{ ?term rdfs:label ?l . FILTER(LANG(?l) = ?lang) }}
        }}""",
    "at most one label per language": f"""
        SELECT ?term ?lang WHERE {{
          {OUR_TERMS}
          ?term rdfs:label ?a, ?b . FILTER(?a != ?b && LANG(?a) = LANG(?b))
          BIND(LANG(?a) AS ?lang)
        }}""",
    "Kazakh labels are Cyrillic": f"""
        SELECT ?term ?l WHERE {{
          {OUR_TERMS}
          ?term rdfs:label ?l . FILTER(LANG(?l) = "kk" && REGEX(?l, "[A-Za-z]"))
        }}""",
    "an English definition": f"""
        SELECT ?term WHERE {{
          {OUR_TERMS}
          FILTER NOT EXISTS {{ ?term skos:definition ?d . FILTER(LANG(?d) = "en") }}
        }}""",
    "a Kazakh definition for every class": """
        SELECT ?c WHERE {
          ?c a owl:Class . FILTER STRSTARTS(STR(?c), STR(cao:))
          FILTER NOT EXISTS { ?c skos:definition ?d . FILTER(LANG(?d) = "kk") }
        }""",
    "at most one definition per language": f"""
        SELECT ?term WHERE {{
          {OUR_TERMS}
          ?term skos:definition ?a, ?b . FILTER(?a != ?b && LANG(?a) = LANG(?b))
        }}""",
    "defined by the ontology": f"""
        SELECT ?term WHERE {{
          {OUR_TERMS}
          FILTER NOT EXISTS {{ ?term rdfs:isDefinedBy <{ONTOLOGY_IRI}> }}
        }}""",
    "property with domain and range": """
        SELECT ?p ?missing WHERE {
          ?p a ?kind . VALUES ?kind { owl:ObjectProperty owl:DatatypeProperty }
          FILTER STRSTARTS(STR(?p), STR(cao:))
          VALUES ?missing { rdfs:domain rdfs:range }
          FILTER NOT EXISTS { ?p ?missing ?x }
        }""",
    "one domain and one range, each a named class": """
        SELECT ?p ?axis WHERE {
          ?p ?axis ?a . VALUES ?axis { rdfs:domain rdfs:range }
          FILTER STRSTARTS(STR(?p), STR(cao:))
          FILTER(isBlank(?a) || EXISTS { ?p ?axis ?b . FILTER(?b != ?a) })
        }""",
    "class declared for every cao: superclass, domain and range": """
        SELECT ?t WHERE {
          { ?x rdfs:subClassOf ?t } UNION { ?x rdfs:domain ?t } UNION { ?x rdfs:range ?t }
          FILTER STRSTARTS(STR(?t), STR(cao:))
          FILTER NOT EXISTS { ?t a owl:Class }
        }""",
    "object property ranges are classes, datatype ranges datatypes": """
        SELECT ?p ?r WHERE {
          { ?p a owl:ObjectProperty ; rdfs:range ?r .
            FILTER(STRSTARTS(STR(?r), STR(xsd:)) || ?r IN (rdfs:Literal, rdf:PlainLiteral)) }
          UNION
          { ?p a owl:DatatypeProperty ; rdfs:range ?r .
            FILTER(!STRSTARTS(STR(?r), STR(xsd:)) && !(?r IN (rdfs:Literal, rdf:PlainLiteral))) }
          FILTER STRSTARTS(STR(?p), STR(cao:))
        }""",
    # OWL 2 RL: superclass expressions may not be existentials, unions, complements or
    # min/exact cardinalities; max cardinality only 0 or 1.
    "RL: no forbidden superclass expressions": """
        SELECT ?c ?sup WHERE {
          { ?c rdfs:subClassOf ?sup } UNION { ?c owl:equivalentClass ?sup }
          UNION { ?c rdfs:domain ?sup } UNION { ?c rdfs:range ?sup }
          ?sup ?how ?x .
          VALUES ?how { owl:someValuesFrom owl:unionOf owl:complementOf owl:minCardinality
                        owl:cardinality owl:minQualifiedCardinality owl:qualifiedCardinality
                        owl:oneOf }
        }""",
    "RL: max cardinality at most 1": """
        SELECT ?r ?n WHERE {
          ?r ?how ?n . VALUES ?how { owl:maxCardinality owl:maxQualifiedCardinality }
          FILTER(?n > 1)
        }""",
}


@pytest.mark.parametrize("name", sorted(EMPTY_QUERIES))
def test_quality_query_returns_nothing(ontology: Graph, name: str):
    assert rows(ontology, EMPTY_QUERIES[name]) == []


# The datatypes OWL 2 RL supports (OWL 2 datatype map minus owl:real and owl:rational),
# plus rdfs:Literal; xsd:date, xsd:gYear and xsd:duration are not among them.
RL_DATATYPES = {XSD[n] for n in (
    "decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger "
    "long int short byte unsignedLong unsignedInt unsignedShort unsignedByte double float "
    "string normalizedString token language Name NCName NMTOKEN boolean hexBinary "
    "base64Binary anyURI dateTime dateTimeStamp").split()} | {RDFS.Literal, RDF.PlainLiteral,
                                                               RDF.XMLLiteral}


def test_datatype_ranges_are_in_the_rl_datatype_map(core: Graph):
    used = {r for p in core.subjects(RDF.type, OWL.DatatypeProperty)
            for r in core.objects(p, RDFS.range)}
    assert used and used <= RL_DATATYPES, used - RL_DATATYPES


def _declared(ontology: Graph) -> set[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    return {t for kind in kinds for t in ontology.subjects(RDF.type, kind)}


def _cao_iris(graph: Graph) -> set[URIRef]:
    return {term for triple in graph for term in triple
            if isinstance(term, URIRef) and str(term).startswith(str(CAO))}


@pytest.mark.parametrize("folder", ["ontology", "data", "shapes"])
def test_every_cao_term_used_is_declared(ontology: Graph, folder: str):
    files = rdf_files(ROOT / folder) if (ROOT / folder).is_dir() else []
    used = _cao_iris(parse_files(files)) if files else set()
    undeclared = sorted(str(t) for t in used - _declared(ontology))
    assert undeclared == [], f"cao: terms used in {folder}/ but not declared: {undeclared}"


def test_docs_and_ontology_name_the_same_terms(ontology: Graph):
    doc = MODEL_DOC.read_text(encoding="utf-8")
    documented = {CAO[name] for name in re.findall(r"`cao:([A-Za-z]+)`", doc)}
    # every file of ontology/ (core, concepts, record); other vocabularies' terms that
    # caonto-external.ttl declares are documented there, not here
    declared = {t for t in _declared(ontology) if str(t).startswith(str(CAO))}
    assert sorted(documented - declared) == [], "in docs/model.md but not in the ontology"
    assert sorted(declared - documented) == [], "in the ontology but not in docs/model.md"


def test_header(core: Graph):
    o = ONTOLOGY_IRI
    assert (o, RDF.type, OWL.Ontology) in core
    assert core.value(o, OWL.versionIRI) == URIRef("https://w3id.org/caonto/releases/0.1.0/def")
    assert str(core.value(o, OWL.versionInfo)) == "0.1.0"
    dcterms = "http://purl.org/dc/terms/"
    for prop in ("title", "description"):
        langs = {v.language for v in core.objects(o, URIRef(dcterms + prop))}
        assert {"en", "kk"} <= langs, prop
    creator = core.value(o, URIRef(dcterms + "creator"))
    assert creator == CAOR["caonto-team"]
    assert (creator, RDF.type, URIRef("http://xmlns.com/foaf/0.1/Organization")) in core
    assert core.value(o, URIRef(dcterms + "license")) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/")
    for prop in ("created", "modified"):
        assert core.value(o, URIRef(dcterms + prop)) == Literal("2026-11-25", datatype=XSD.date)
    vann = "http://purl.org/vocab/vann/"
    assert str(core.value(o, URIRef(vann + "preferredNamespacePrefix"))) == "cao"
    assert str(core.value(o, URIRef(vann + "preferredNamespaceUri"))) == str(CAO)


def test_concepts_are_labelled_defined_and_in_their_scheme(ontology: Graph):
    missing = rows(ontology, """
        SELECT ?c ?what WHERE {
          ?c skos:inScheme ?s .
          VALUES (?what ?lang) { ("prefLabel" "en") ("prefLabel" "kk") ("prefLabel" "ru")
                                 ("label" "en") ("label" "kk") ("label" "ru")
                                 ("definition" "en") }
          BIND(IRI(CONCAT(IF(?what = "label", STR(rdfs:), STR(skos:)), ?what)) AS ?p)
          FILTER NOT EXISTS { ?c ?p ?v . FILTER(LANG(?v) = ?lang) }
        }""")
    assert missing == []
    schemes = {CAOR[s]: CAO[c] for s, c in [("tone", "AssessmentTone"), ("sector", "EconomicSector"),
                                              ("aid-item", "AidItem"), ("threat", "Threat")]}
    for scheme, cls in schemes.items():
        members = set(ontology.subjects(SKOS.inScheme, scheme))
        assert len(members) >= 3, scheme
        assert all((m, RDF.type, cls) in ontology for m in members), scheme


def test_closure_of_the_ontology_alone_is_consistent(ontology: Graph):
    inferred = infer(ontology)  # raises InconsistencyError otherwise
    # a State is a Place, a schema:Country and a prov:Agent after reasoning
    assert (CAO.State, RDFS.subClassOf, URIRef("https://schema.org/Place")) in inferred


# -- behaviour on small graphs ----------------------------------------------------------

def _closure_with(ontology: Graph, turtle: str) -> Graph:
    data = Graph().parse(data="@prefix cao: <https://w3id.org/caonto/def/> .\n"
                              "@prefix caor: <https://w3id.org/caonto/id/> .\n" + turtle,
                         format="turtle")
    merged = Graph()
    for triple in (*ontology, *data):
        merged.add(triple)
    return merged + infer(merged)


def test_membership_yields_member_of_and_has_member(ontology: Graph):
    g = _closure_with(ontology, """
        caor:kz a cao:State . caor:sco a cao:InternationalOrganization .
        caor:m a cao:Membership ; cao:member caor:kz ; cao:organization caor:sco .""")
    assert (CAOR.kz, CAO.hasMembership, CAOR.m) in g
    assert (CAOR.kz, CAO.memberOf, CAOR.sco) in g
    assert (CAOR.sco, CAO.hasMember, CAOR.kz) in g


def test_aid_yields_gave_aid_to_but_not_the_reverse(ontology: Graph):
    g = _closure_with(ontology, """
        caor:kz a cao:State . caor:kg a cao:State .
        caor:aid a cao:HumanitarianAid ; cao:donor caor:kz ; cao:recipient caor:kg .""")
    assert (CAOR.kz, CAO.gaveAidTo, CAOR.kg) in g
    assert (CAOR.kg, CAO.gaveAidTo, CAOR.kz) not in g
    assert (CAOR.aid, RDF.type, CAO.Aid) in g


def test_event_place_propagates_up_located_in(ontology: Graph):
    g = _closure_with(ontology, """
        caor:osh-region cao:locatedIn caor:kg . caor:kg cao:locatedIn caor:central-asia .
        caor:clash a cao:InterethnicConflict ; cao:place caor:osh-region .""")
    assert (CAOR.clash, CAO.place, CAOR.kg) in g
    assert (CAOR.clash, CAO.place, CAOR["central-asia"]) in g
    assert (CAOR["osh-region"], CAO.locatedIn, CAOR["central-asia"]) in g


def test_border_sharing_is_symmetric_without_self_loops(ontology: Graph):
    g = _closure_with(ontology, """
        caor:kz cao:sharesBorderWith caor:kg .
        caor:b a cao:Border ; cao:borderOf caor:kz, caor:kg .""")
    assert (CAOR.kg, CAO.sharesBorderWith, CAOR.kz) in g
    assert not any(s == o for s, o in g.subject_objects(CAO.sharesBorderWith))


def test_inverses_hold_both_ways(ontology: Graph):
    g = _closure_with(ontology, """
        caor:kz a cao:State ; cao:pursues caor:p ; cao:participatedIn caor:summit .
        caor:water cao:discussedAt caor:summit .""")
    assert (CAOR.p, CAO.pursuedBy, CAOR.kz) in g
    assert (CAOR.summit, CAO.participant, CAOR.kz) in g
    assert (CAOR.summit, CAO.discussed, CAOR.water) in g


def test_state_typing_stays_sensible(ontology: Graph):
    g = _closure_with(ontology, """
        caor:kz a cao:State . caor:kg a cao:State . caor:m a cao:Membership ; cao:member caor:kz .
        caor:summit a cao:Summit ; cao:participant caor:kz .
        caor:aid cao:donor caor:kz ; cao:recipient caor:kg ; cao:statedIn caor:line-39 .""")
    types = set(g.objects(CAOR.kz, RDF.type))
    assert {CAO.Place, URIRef("https://schema.org/Country"),
            URIRef("http://www.w3.org/ns/prov#Agent")} <= types
    assert not types & {CAO.Event, CAO.Membership, CAO.Aid, CAO.Sentence}
    assert (CAOR["line-39"], RDF.type, CAO.Sentence) in g


@pytest.mark.parametrize("turtle, reason", [
    ("caor:kz a cao:State , cao:InternationalOrganization .", "disjoint classes"),
    ("caor:kz a cao:State , cao:City .", "disjoint places"),
    ("caor:x a cao:Summit ; cao:startLine 3 .", "Sentence property on an Event"),
    ("caor:kz cao:sharesBorderWith caor:kz .", "irreflexive"),
])
def test_contradictions_are_reported(ontology: Graph, turtle: str, reason: str):
    with pytest.raises(InconsistencyError):
        _closure_with(ontology, turtle)


def test_concept_schemes_in_docs_match_the_concepts_file(ontology: Graph):
    doc = MODEL_DOC.read_text(encoding="utf-8")
    section = doc.split("## Concept schemes", 1)[1].split("\n## ", 1)[0]
    documented = {CAOR[name] for name in re.findall(r"`caor:([a-z-]+)`", section)}
    defined = {c for c in ontology.subjects(SKOS.inScheme, None)} | \
        {s for s in ontology.subjects(RDF.type, SKOS.ConceptScheme)}
    assert sorted(documented ^ defined) == []


def test_top_concepts_are_the_scheme_members(ontology: Graph):
    """The top concepts are the members without a broader concept in their scheme."""
    for scheme in ontology.subjects(RDF.type, SKOS.ConceptScheme):
        members = set(ontology.subjects(SKOS.inScheme, scheme))
        tops = {m for m in members if not set(ontology.objects(m, SKOS.broader)) & members}
        assert set(ontology.objects(scheme, SKOS.hasTopConcept)) == tops, scheme
        assert set(ontology.subjects(SKOS.topConceptOf, scheme)) == tops, scheme


def test_every_term_and_concept_has_a_russian_label(ontology: Graph):
    labelled = {s for s in ontology.subjects(RDFS.label, None) if isinstance(s, URIRef)}
    missing = sorted(str(s) for s in labelled
                     if not any(getattr(label, "language", None) == "ru"
                                for label in ontology.objects(s, RDFS.label)))
    assert len(labelled) > 100 and missing == []
