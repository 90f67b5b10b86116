"""caonto.reasoner against owlrl: the same published closure, the same inconsistencies,
incremental additions equal to closing everything at once, and the fallback to owlrl."""

from functools import cache
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, XSD

from caonto.inference import (
    InconsistencyError,
    fast_closure,
    infer,
    publishable,
    reasoner_name,
    reasoning_input,
)
from caonto.namespaces import CAO, CAOR, GRAPH_ESSAY
from caonto.pipeline import load_asserted
from caonto.reasoner import Closure, Unsupported
from caonto.synthetic import generate


@cache
def ontology() -> Graph:
    return load_asserted().ontology


@cache
def essay_union() -> Graph:
    return load_asserted().union()


def synthetic(n: int, tmp: Path) -> Graph:
    """The real ontology plus the essay graph of a synthetic dataset of about ``n`` triples."""
    path = tmp / f"synthetic-{n}.nq"
    generate(n, path)
    dataset = Dataset()
    dataset.parse(path, format="nquads")
    graph = Graph()
    for triple in (*ontology(), *dataset.graph(GRAPH_ESSAY)):
        graph.add(triple)
    return graph


def with_ontology(turtle: str) -> Graph:
    graph = Graph()
    for triple in ontology():
        graph.add(triple)
    graph.parse(data="@prefix cao: <https://w3id.org/caonto/def/> .\n"
                     "@prefix caor: <https://w3id.org/caonto/id/> .\n"
                     "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                     "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n" + turtle,
                format="turtle")
    return graph


def outcome(graph: Graph, reasoner: str):
    """The published closure as a set, or the sorted inconsistency messages."""
    try:
        return set(infer(graph, reasoner))
    except InconsistencyError as error:
        return error.messages


# -- the same published closure as owlrl ---------------------------------------------------

def test_essay_closure_is_exactly_owlrls():
    fast, slow = outcome(essay_union(), "fast"), outcome(essay_union(), "owlrl")
    assert isinstance(fast, set) and len(fast) > 500
    assert fast == slow


@pytest.mark.slow
def test_synthetic_closure_is_exactly_owlrls(tmp_path):
    graph = synthetic(4000, tmp_path)
    fast = outcome(graph, "fast")
    assert isinstance(fast, set) and len(fast) > 1000
    assert fast == outcome(graph, "owlrl")


SAME_AS_AND_FUNCTIONAL = """
caor:x-border a cao:Border ; cao:borderLength caor:x-len .
caor:x-len cao:numericValue 12.5 .
caor:x-state a cao:State ; owl:sameAs caor:x-state-alias .
caor:x-state-alias cao:sharesBorderWith caor:kazakhstan .
caor:x-city a cao:City ; cao:locatedIn caor:x-region .
caor:x-region cao:locatedIn caor:x-state .
caor:x-summit a cao:Summit ; cao:place caor:x-city .
caor:x-node cao:startLine 3 , 3 .
"""


def test_same_as_chains_and_transitivity_match_owlrl():
    graph = with_ontology(SAME_AS_AND_FUNCTIONAL)
    fast = outcome(graph, "fast")
    assert (CAOR["x-summit"], CAO.place, CAOR["x-state"]) in fast  # chain over locatedIn+
    assert (CAOR["x-state"], CAO.sharesBorderWith, CAOR.kazakhstan) in fast  # via sameAs
    assert fast == outcome(graph, "owlrl")


@pytest.mark.parametrize("turtle", [
    "caor:y a cao:State , cao:Person .",  # AllDisjointClasses
    "caor:y cao:sharesBorderWith caor:y .",  # irreflexive
    'caor:y cao:startLine "three"^^xsd:integer .',  # literal outside its datatype
    "caor:y owl:sameAs caor:z . caor:y owl:differentFrom caor:z .",
    "caor:y a owl:Nothing .",
    "caor:y cao:member caor:z . caor:z a cao:Person .",  # range State meets Person
], ids=["disjoint", "irreflexive", "lexical", "different", "nothing", "range"])
def test_inconsistencies_are_found_and_worded_as_owlrl_words_them(turtle):
    graph = with_ontology(turtle)
    fast = outcome(graph, "fast")
    assert isinstance(fast, list) and fast
    assert fast == outcome(graph, "owlrl")


def test_unsupported_constructs_fall_back_to_owlrl():
    graph = with_ontology("""
        cao:Neighbour owl:equivalentClass [ a owl:Restriction ;
            owl:onProperty cao:sharesBorderWith ; owl:someValuesFrom cao:State ] .
        caor:y cao:sharesBorderWith caor:kazakhstan .""")
    with pytest.raises(Unsupported):
        Closure(reasoning_input(graph))
    assert fast_closure(reasoning_input(graph)) is None
    published = outcome(graph, "fast")
    assert (CAOR.y, RDF.type, CAO.Neighbour) in published  # owlrl did it
    assert published == outcome(graph, "owlrl")


# -- incremental additions -------------------------------------------------------------------

def test_adding_to_a_closure_equals_closing_everything(tmp_path):
    base = synthetic(3500, tmp_path)
    delta = with_ontology(SAME_AS_AND_FUNCTIONAL + """
        caor:state-0-0 cao:sharesBorderWith caor:x-state .
        caor:m-new a cao:Membership ; cao:member caor:x-state ; cao:organization caor:org-0-0 .
    """)
    delta = [t for t in delta if t not in ontology()]
    closure = Closure(reasoning_input(base))
    added = closure.add(delta)
    assert added and all(t in closure for t in delta)
    whole = base + Graph()
    for triple in delta:
        whole.add(triple)
    at_once = Closure(reasoning_input(whole))
    assert set(closure) == set(at_once)
    assert set(publishable(closure, whole)) == outcome(whole, "fast")
    assert (CAOR["x-state"], CAO.memberOf, CAOR["org-0-0"]) in closure


def test_rollback_restores_the_closure_exactly():
    closure = Closure(reasoning_input(essay_union()))
    before, errors = set(closure), closure.errors()
    savepoint = closure.savepoint()
    added = closure.add([(CAOR.y, RDF.type, CAO.State), (CAOR.y, RDF.type, CAO.Person),
                         (CAOR.y, CAO.startLine, Literal("x", datatype=XSD.integer))])
    assert len(closure.errors()) > len(errors)
    closure.rollback(added, savepoint)
    assert set(closure) == before and closure.errors() == errors


def test_owlrl_can_be_chosen_by_setting(monkeypatch):
    monkeypatch.setenv("CAONTO_REASONER", "owlrl")
    assert reasoner_name() == "owlrl"
    monkeypatch.delenv("CAONTO_REASONER")
    assert reasoner_name() == "fast"


def test_partial_lists_derive_nothing_until_complete():
    chain, cell2 = BNode(), BNode()
    p, a, b = URIRef("urn:p"), URIRef("urn:a"), URIRef("urn:b")
    closure = Closure([(p, OWL.propertyChainAxiom, chain), (chain, RDF.first, a),
                       (URIRef("urn:x"), a, URIRef("urn:y")),
                       (URIRef("urn:y"), b, URIRef("urn:z"))])
    assert (URIRef("urn:x"), p, URIRef("urn:y")) not in closure  # list not ended yet
    closure.add([(chain, RDF.rest, cell2), (cell2, RDF.first, b), (cell2, RDF.rest, RDF.nil)])
    assert (URIRef("urn:x"), p, URIRef("urn:z")) in closure
    assert (URIRef("urn:x"), p, URIRef("urn:y")) not in closure


def test_eq_rep_p_copies_triples_to_a_same_as_property_either_way():
    p, q = URIRef("https://example.org/p"), URIRef("https://example.org/q")
    s, o = URIRef("https://example.org/s"), URIRef("https://example.org/o")
    before = Closure([(p, OWL.sameAs, q), (s, p, o)])
    assert (s, q, o) in before
    after = Closure([(s, p, o)])  # the link arrives after the triple
    after.add([(q, OWL.sameAs, p)])
    assert (s, q, o) in after
    assert (s, q, o) not in Closure([(s, p, o)])
