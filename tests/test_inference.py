"""OWL-RL inference: concrete entailments, no absurd ones, noise left out, errors raised."""

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from caonto import inference
from caonto.inference import InconsistencyError, infer
from caonto.namespaces import CAO, CAOR, WD
from tests import graphs


def _ask(graph: Graph, where: str) -> bool:
    return graph.query(f"ASK {{ {where} }}", initNs={"cao": CAO, "caor": CAOR}).askAnswer


# -- concrete inferences over the project's own graph ----------------------------------------

def test_shares_border_with_is_symmetric():
    assert (CAOR.kazakhstan, CAO.sharesBorderWith, CAOR.kyrgyzstan) in graphs.asserted().data
    assert (CAOR.kyrgyzstan, CAO.sharesBorderWith, CAOR.kazakhstan) in graphs.inferred()


def test_subclass_typing_reaches_aligned_vocabularies():
    closed = graphs.closed()
    assert (CAOR.kazakhstan, RDF.type, CAO.Place) in closed
    assert (CAOR.kazakhstan, RDF.type, URIRef("https://schema.org/Country")) in closed


def test_gave_aid_to_follows_from_the_property_chain():
    assert (CAOR.kazakhstan, CAO.gaveAidTo, CAOR.kyrgyzstan) in graphs.inferred()


def test_events_in_a_region_take_place_in_its_state():
    """cao:locatedIn is transitive and (cao:place cao:locatedIn) ⊑ cao:place."""
    assert _ask(graphs.closed(), "?e a cao:InterethnicConflict ; cao:place caor:kyrgyzstan .")


def test_no_state_borders_itself():
    assert not _ask(graphs.closed(), "?s cao:sharesBorderWith ?s .")


def test_neighbouring_states_do_not_make_tajikistan_a_neighbour_of_kazakhstan():
    assert not _ask(graphs.closed(), "caor:kazakhstan cao:sharesBorderWith caor:tajikistan .")


def test_no_state_gives_aid_to_itself():
    assert not _ask(graphs.closed(), "?s cao:gaveAidTo ?s .")


def test_inferred_graph_adds_nothing_already_asserted():
    asserted = graphs.asserted().union()
    assert not [t for t in graphs.inferred() if t in asserted]


def test_no_noise_is_published():
    inferred = graphs.inferred()
    assert not [t for t in inferred if isinstance(t[0], Literal)]
    assert (None, OWL.sameAs, None) not in inferred  # no reflexive or copied sameAs
    assert (None, RDF.type, OWL.Thing) not in inferred
    for s, _p, _o in inferred:
        assert not str(s).startswith(("http://www.w3.org/", "https://schema.org/")), s


def test_wikidata_entities_receive_no_copies():
    """owl:sameAs to Wikidata is a link, not an identity: nothing is inferred about wd:."""
    assert not [t for t in graphs.inferred() if str(t[0]).startswith(str(WD))]


# -- the rules on small graphs of their own -------------------------------------------------

def _with_ontology(turtle: str) -> Graph:
    graph = Graph()
    for triple in graphs.asserted().ontology:
        graph.add(triple)
    graph.parse(data="@prefix cao: <https://w3id.org/caonto/def/> .\n"
                     "@prefix caor: <https://w3id.org/caonto/id/> .\n" + turtle, format="turtle")
    return graph


def test_membership_gives_member_of_and_its_inverse():
    graph = _with_ontology("""
        caor:m1 a cao:Membership ; cao:member caor:kazakhstan ; cao:organization caor:cis .
        caor:kazakhstan a cao:State . caor:cis a cao:InternationalOrganization .""")
    inferred = infer(graph)
    assert (CAOR.kazakhstan, CAO.hasMembership, CAOR.m1) in inferred
    assert (CAOR.kazakhstan, CAO.memberOf, CAOR.cis) in inferred
    assert (CAOR.cis, CAO.hasMember, CAOR.kazakhstan) in inferred


def test_a_state_sharing_a_border_with_itself_is_inconsistent():
    graph = _with_ontology("caor:x a cao:State ; cao:sharesBorderWith caor:x .")
    with pytest.raises(InconsistencyError):
        infer(graph)


def test_a_literal_that_does_not_fit_its_datatype_is_inconsistent():
    graph = _with_ontology("")
    graph.add((CAOR.s, CAO.startLine, Literal("seven", datatype=XSD.positiveInteger)))
    with pytest.raises(InconsistencyError) as caught:
        infer(graph)
    messages = caught.value.messages
    assert len(messages) == 1 and "seven" in messages[0]
    assert str(caught.value) == f"the graph is inconsistent with the ontology:\n  - {messages[0]}"


def test_an_inconsistency_message_lists_each_reason_on_its_own_line():
    assert str(InconsistencyError(["one", "two"])) == (
        "the graph is inconsistent with the ontology:\n  - one\n  - two")


def tiny(turtle: str) -> Graph:
    """A graph without the ontology: small enough for owlrl to close in a moment."""
    return Graph().parse(data="@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                              "@prefix cao: <https://w3id.org/caonto/def/> .\n"
                              "@prefix caor: <https://w3id.org/caonto/id/> .\n" + turtle,
                         format="turtle")


@pytest.mark.parametrize("reasoner", ["fast", "owlrl"])
def test_both_reasoners_report_an_inconsistency_the_same_way(reasoner):
    graph = tiny("cao:near a owl:IrreflexiveProperty . caor:a cao:near caor:a . "
                 "caor:b cao:near caor:b .")
    with pytest.raises(InconsistencyError) as caught:
        infer(graph, reasoner)
    first, second = caught.value.messages  # one each, in order
    assert "https://w3id.org/caonto/id/a" in first and "rreflexive" in first
    assert "https://w3id.org/caonto/id/b" in second and "rreflexive" in second


@pytest.mark.parametrize("reasoner", ["fast", "owlrl"])
def test_same_as_between_caontos_own_resources_is_reasoned_with(reasoner):
    graph = tiny("caor:a owl:sameAs caor:b . caor:a a cao:State .")
    assert (CAOR.b, RDF.type, CAO.State) in infer(graph, reasoner)


@pytest.mark.parametrize("reasoner", ["fast", "owlrl"])
def test_the_xsd_datatype_hierarchy_is_not_reasoned_with(reasoner):
    """A range of xsd:integer does not become ranges of xsd:decimal, rdfs:Literal, ..."""
    graph = tiny("cao:n <http://www.w3.org/2000/01/rdf-schema#range> "
                 "<http://www.w3.org/2001/XMLSchema#integer> . caor:a cao:n 3 .")
    assert not list(infer(graph, reasoner).triples((CAO.n, RDFS.range, None)))


def test_the_reasoner_asked_for_is_the_one_that_runs(monkeypatch):
    """Both reasoners publish the same triples, so only running them shows which one the
    argument or CAONTO_REASONER chose (and that comparing them compares two)."""
    graph = Graph().parse(data="""@prefix owl: <http://www.w3.org/2002/07/owl#> .
        <https://w3id.org/caonto/def/near> a owl:SymmetricProperty .
        <https://w3id.org/caonto/id/a> <https://w3id.org/caonto/def/near>
            <https://w3id.org/caonto/id/b> .""", format="turtle")
    ran = []
    fast, owlrl = inference.Closure, inference.DeductiveClosure
    monkeypatch.setattr(inference, "Closure", lambda *a: ran.append("fast") or fast(*a))
    monkeypatch.setattr(inference, "DeductiveClosure",
                        lambda *a, **k: ran.append("owlrl") or owlrl(*a, **k))
    expected = {(CAOR.b, CAO.near, CAOR.a)}
    assert set(infer(graph, "fast")) == set(infer(graph, "owlrl")) == expected
    monkeypatch.setenv("CAONTO_REASONER", "owlrl")
    infer(graph)
    monkeypatch.setenv("CAONTO_REASONER", "fast")
    infer(graph)
    assert ran == ["fast", "owlrl", "owlrl", "fast"]


def test_inference_leaves_its_input_unchanged():
    graph = _with_ontology("caor:a a cao:State ; cao:sharesBorderWith caor:b .")
    before = set(graph)
    infer(graph)
    assert set(graph) == before


def test_external_same_as_is_not_reasoned_with():
    graph = _with_ontology(
        "caor:a a cao:State ; <http://www.w3.org/2002/07/owl#sameAs> "
        "<http://www.wikidata.org/entity/Q232> .")
    inferred = infer(graph)
    assert not list(inferred.triples((WD.Q232, None, None)))
    assert not list(inferred.triples((None, RDFS.label, None)))


def test_nothing_is_published_about_subjects_outside_caontos_namespaces():
    from owlrl.Namespaces import ERRNS

    from caonto.inference import is_publishable  # a helper the other tests do not need

    ours = URIRef("https://w3id.org/caonto/id/kazakhstan")
    state = URIRef("https://w3id.org/caonto/def/State")
    assert is_publishable((ours, RDF.type, state))
    assert is_publishable((ours, RDFS.seeAlso, OWL.Thing))  # only *typing* as Thing is noise
    for noise in ((ours, RDF.type, OWL.Thing), (ours, RDF.type, RDFS.Resource),
                  (Literal("x"), RDF.type, RDFS.Literal), (ours, OWL.sameAs, ours),
                  (ours, RDF.type, ERRNS.ErrorMessage)):
        assert not is_publishable(noise), noise
    for foreign in ("https://example.org/x", "http://www.wikidata.org/entity/Q232",
                    "http://www.w3.org/2002/07/owl#Thing", "https://w3id.org/caontoX/id/y"):
        assert not is_publishable((URIRef(foreign), RDF.type, state)), foreign
    graph = Graph().parse(data="""@prefix cao: <https://w3id.org/caonto/def/> .
        <https://example.org/x> a cao:State .""", format="turtle")
    assert not any(str(s).startswith("https://example.org/") for s, _, _ in infer(graph))
