"""Incremental write checks give the same answer as the full ``pipeline.check``."""

from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF

from caonto.incremental import IncrementalChecker
from caonto.namespaces import CAO, CAOR
from caonto.pipeline import check, load_asserted
from tests.contrib_samples import membership

FIXTURES = sorted((Path(__file__).resolve().parent / "shapes").glob("*-false.ttl"))


@cache
def asserted():
    return load_asserted()


def fresh_checker() -> IncrementalChecker:
    return IncrementalChecker.from_asserted(asserted())


@cache
def shared_checker() -> IncrementalChecker:
    return fresh_checker()  # tests that only try (never commit) can share one


def summary(result):
    # key=repr: a node-level violation has no path (None), which does not compare with str
    violations = sorted(((v.focus_node, v.result_path, v.value, v.message, v.severity)
                         for v in result.report.violations), key=repr)
    return result.ok, result.report.conforms, result.inconsistencies, violations


def parse(turtle: str) -> Graph:
    return Graph().parse(data=turtle, format="turtle")


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_broken_shape_examples_get_the_full_checks_verdict(fixture):
    contribution = Graph().parse(fixture)
    full = check(asserted(), contribution)
    quick = shared_checker().check(contribution)
    assert summary(full) != (True, True, [], [])  # each example breaks something
    assert summary(quick) == summary(full)
    assert quick.affected < 200  # it looked at the neighbourhood, not the dataset
    if not full.inconsistencies:
        assert set(quick.inferred) == set(full.inferred)


def test_a_valid_contribution_passes_with_the_same_closure():
    contribution = parse(membership("inc-1"))
    full, quick = check(asserted(), contribution), shared_checker().check(contribution)
    assert full.ok and quick.ok and quick.incremental
    assert summary(quick) == summary(full)
    assert set(quick.inferred) == set(full.inferred)
    assert (CAOR.kazakhstan, CAO.hasMembership, CAOR["membership-inc-1"]) in quick.inferred_added


def test_trying_a_write_leaves_the_accepted_state_alone():
    checker = fresh_checker()
    before = set(checker.inferred_graph())
    bad = parse(membership("inc-bad", source=None))
    assert not checker.check(bad, commit=True).ok
    clash = parse("<https://w3id.org/caonto/id/kazakhstan> a "
                  "<https://w3id.org/caonto/def/Person> .")
    assert checker.check(clash, commit=True).inconsistencies
    assert set(checker.inferred_graph()) == before


def test_committed_writes_build_on_each_other_like_the_full_check():
    checker = fresh_checker()
    first = parse(membership("inc-a"))
    second = parse(membership("inc-b", state="kyrgyzstan"))
    assert checker.check(first, commit=True).ok
    quick = checker.check(second)
    full = check(asserted(), first, second)
    assert summary(quick) == summary(full)
    assert set(quick.inferred) == set(full.inferred)
    assert (CAOR["membership-inc-a"], RDF.type, CAO.Membership) in checker._asserted


def test_constructs_outside_the_fast_reasoner_fall_back_to_the_full_check():
    checker = fresh_checker()
    restriction = parse("""
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        <https://w3id.org/caonto/def/Neighbour> owl:equivalentClass [ a owl:Restriction ;
            owl:onProperty <https://w3id.org/caonto/def/sharesBorderWith> ;
            owl:someValuesFrom <https://w3id.org/caonto/def/State> ] .""")
    quick = checker.check(restriction)
    assert not quick.incremental
    assert summary(quick) == summary(check(asserted(), restriction))


class _Snapshot:
    def __init__(self, graphs):
        self.graphs = graphs


def test_the_gateways_checker_follows_committed_writes_removals_included():
    from caonto.incremental import SnapshotChecker, graph_changes

    checks = SnapshotChecker(asserted)  # a function: the gateway loads its base late
    iri = "https://w3id.org/caonto/graph/contrib/g"
    first = parse(membership("snap-1"))
    start = _Snapshot({})
    result = checks.check(start, {iri: first}, {iri: first}, dry_run=False)
    assert result.ok and result.incremental
    after_first = _Snapshot({iri: first})
    checks.accepted(after_first)
    held = checks._checker

    both = first + parse(membership("snap-2", state="kyrgyzstan"))
    assert graph_changes(after_first.graphs, {iri: both})[1] == []
    dry = checks.check(after_first, {iri: both}, {iri: both}, dry_run=True)
    assert checks._checker is held  # no rebuild: the same accepted state
    assert summary(dry) == summary(check(asserted(), both))
    assert set(dry.inferred) == set(check(asserted(), both).inferred)

    smaller = parse(membership("snap-3"))
    assert graph_changes(after_first.graphs, {iri: smaller})[1]  # snap-1 goes away
    replaced = checks.check(after_first, {iri: smaller}, {iri: smaller}, dry_run=True)
    assert checks._checker is held and replaced.incremental
    assert summary(replaced) == summary(check(asserted(), smaller))
    assert set(replaced.inferred) == set(check(asserted(), smaller).inferred)
    gone = (CAOR.kazakhstan, CAO.hasMembership, CAOR["membership-snap-1"])
    assert gone in replaced.inferred_removed and gone in checks._checker.inferred_graph()


def test_choosing_owlrl_makes_every_write_a_full_check(monkeypatch):
    from caonto.incremental import SnapshotChecker
    from caonto.pipeline import CheckResult

    monkeypatch.setenv("CAONTO_REASONER", "owlrl")
    iri = "https://w3id.org/caonto/graph/contrib/owl"
    contribution = parse(membership("owl"))
    result = SnapshotChecker(asserted()).check(_Snapshot({}), {iri: contribution},
                                               {iri: contribution}, dry_run=True)
    assert isinstance(result, CheckResult) and result.ok


def test_a_node_pointing_at_a_changed_node_is_validated_again():
    # A shape on y that depends on the triples of the node y points at: adding
    # "x a ex:Bad" breaks y, though no new triple has y in it.
    shapes = parse("""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:Y ;
          sh:property [ sh:path ex:p ; sh:not [ sh:class ex:Bad ] ] .""")
    base = parse("""@prefix ex: <https://example.org/> . ex:y a ex:Y ; ex:p ex:x .""")
    checker = IncrementalChecker(base, shapes=shapes)
    assert checker.check(parse("@prefix ex: <https://example.org/> . ex:x ex:q 1 .")).ok
    result = checker.check(parse("@prefix ex: <https://example.org/> . ex:x a ex:Bad ."))
    assert [v.focus_node for v in result.report.violations] == ["<https://example.org/y>"]
    assert not result.ok and result.incremental


def test_removing_asserted_triples_leaves_the_closure_of_the_rest():
    # Delete and re-derive against closing what remains from scratch: random removals
    # of the ontology's axioms, the essay's facts and its literals, the whole closure
    # compared (inferred literal types and datatype axioms included), then undone.
    import random

    from caonto.inference import reasoning_input
    from caonto.reasoner import Closure

    triples = reasoning_input(asserted().union())
    closure = Closure(triples)
    before, errors = set(closure), closure.errors()
    rng = random.Random(20)
    for size in (1, 2, 5, 20, 60) * 3:
        removed = rng.sample(triples, size)
        remaining = set(triples) - set(removed)
        savepoint = closure.savepoint()
        lost = closure.remove(removed, remaining.__contains__)
        fresh = Closure(remaining)
        assert set(closure) == set(fresh) and closure.errors() == fresh.errors(), removed
        closure.restore(lost, savepoint)
        assert set(closure) == before and closure.errors() == errors


def test_removing_the_last_bad_literal_takes_its_error_away():
    from rdflib import Literal
    from rdflib.namespace import XSD

    from caonto.reasoner import Closure

    bad = (CAOR.x, CAO.startLine, Literal("one", datatype=XSD.integer))
    also = (CAOR.y, CAO.startLine, Literal("one", datatype=XSD.integer))
    closure = Closure([bad, also])
    assert closure.errors()
    closure.remove([bad], {also}.__contains__)
    assert closure.errors()  # still asserted by y
    closure.remove([also], set().__contains__)
    assert closure.errors() == [] and set(closure) == set(Closure([]))


def test_a_node_pointing_at_a_node_that_loses_a_class_is_validated_again():
    # The removal's twin of the test above: "x a ex:Good" goes, and y, whose own triples
    # stay, now points at a value of the wrong class.
    shapes = parse("""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:Y ;
          sh:property [ sh:path ex:p ; sh:class ex:Good ] .""")
    base = parse("""@prefix ex: <https://example.org/> . ex:y a ex:Y ; ex:p ex:x .""")
    good = parse("@prefix ex: <https://example.org/> . ex:x a ex:Good .")
    checker = IncrementalChecker(base, shapes=shapes, contributed=good)
    assert checker.check([]).ok
    result = checker.check([], removed=good)
    assert [v.focus_node for v in result.report.violations] == ["<https://example.org/y>"]
    assert not result.ok and result.incremental


def test_inferred_graphs_laid_over_each_other_stand_for_their_triples():
    # Each write's inferred graph is the previous one with a change laid over it; the
    # overlay is merged into a new base once it is large. Every graph must keep standing
    # for exactly its own triples, and the graphs it was laid over must not change.
    import random

    from rdflib import URIRef

    from caonto.incremental import DeltaStore, _layered

    def triple(k):
        return URIRef(f"urn:s{k % 40}"), URIRef(f"urn:p{k % 3}"), URIRef(f"urn:o{k}")

    first = Graph()
    for k in range(200):
        first.add(triple(k))
    rng = random.Random(3)
    graphs, expected = [first], [{triple(k) for k in range(200)}]
    for size in (5, 50, 400, 900, 1500, 30, 300):  # the 1500 crosses the merge threshold
        now = expected[-1]
        removed = set(rng.sample(sorted(now), min(size, len(now) // 2)))
        added = {triple(rng.randrange(3000)) for _ in range(size)} - now
        graphs.append(_layered(graphs[-1], added, removed))
        expected.append((now - removed) | added)
    assert any(isinstance(g.store, DeltaStore) for g in graphs)
    assert not all(isinstance(g.store, DeltaStore) for g in graphs[1:])  # one was merged
    for graph, triples in zip(graphs, expected, strict=True):
        assert set(graph) == triples and len(graph) == len(triples)
        s, p, _ = sorted(triples)[0]
        assert set(graph.triples((s, p, None))) == {t for t in triples if t[:2] == (s, p)}
        assert all(t in graph for t in triples)
    with pytest.raises(TypeError):
        graphs[1].add(triple(5000))


FLOWS = """
caor:flow-l a cao:LabourMigrationFlow ; rdfs:label "flow l"@en , "ағын l"@kk ;
    cao:origin caor:uzbekistan ; cao:destination caor:kazakhstan ;
    cao:annualQuantity caor:amount-l ; dcterms:source <https://example.org/source> .
caor:flow-p a cao:Flow ; rdfs:label "flow p"@en , "ағын p"@kk ;
    cao:origin caor:uzbekistan ; cao:destination caor:kazakhstan ;
    cao:annualQuantity caor:amount-p ; dcterms:source <https://example.org/source> .
"""
PEOPLE = 'a cao:QuantityValue ; cao:numericValue 5 .'
MONEY = 'a cao:MonetaryAmount ; cao:amountValue 5 ; cao:currency "USD" .'


def _focus_nodes(result) -> set:
    return {v.focus_node for v in result.report.violations if v.severity == "Violation"}


@pytest.mark.parametrize("amounts, broken_before, broken_after", [
    # the value of a sh:class-constrained property gains the class, or the wrong one
    ({"l": PEOPLE, "p": MONEY}, {"caor:flow-l", "caor:flow-p"}, set()),
    ({"l": MONEY, "p": MONEY}, {"caor:flow-l", "caor:flow-p"}, {"caor:flow-l"}),
], ids=["types-given", "one-wrong-type-given"])
def test_a_write_typing_a_value_revalidates_the_nodes_pointing_at_it(
        amounts, broken_before, broken_after):
    # No triple of the flows changes: only the types of the amounts they point at,
    # which sh:class (flow-l) and an sh:or of sh:class (flow-p) read on the value.
    from tests.contrib_samples import PREFIXES

    flows = parse(PREFIXES + FLOWS)
    typed = parse(PREFIXES + "".join(f"caor:amount-{k} {v}\n" for k, v in amounts.items()))
    checker = IncrementalChecker.from_asserted(asserted(), flows)
    assert broken_before <= {v.focus_node for v in checker._violations}
    added = checker.check(typed)
    full = check(asserted(), flows, typed)
    assert summary(added) == summary(full) and added.incremental
    assert _focus_nodes(added) & broken_before == broken_after
    # and back: the amounts' types taken out again
    assert checker.check(typed, commit=True).ok == (not broken_after)
    if not broken_after:
        removed = checker.check([], removed=typed)
        assert summary(removed) == summary(check(asserted(), flows))
        assert _focus_nodes(removed) >= broken_before


def test_a_write_changing_what_a_nested_value_shape_reads_revalidates_the_pointing_node():
    # sh:or on the values of ex:p reads their ex:q: taking x's ex:q out breaks y, though
    # no triple of y changes.
    shapes = parse("""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:Y ;
          sh:property [ sh:path ex:p ;
            sh:or ( [ sh:path ex:q ; sh:minCount 1 ] [ sh:class ex:Good ] ) ] .""")
    # x is described already, so that no write here changes its (inferred) types
    base = parse("""@prefix ex: <https://example.org/> . ex:y a ex:Y ; ex:p ex:x .
        ex:x ex:r 0 .""")
    q = parse("@prefix ex: <https://example.org/> . ex:x ex:q 1 .")
    checker = IncrementalChecker(base, shapes=shapes, contributed=q)
    assert checker.check([]).ok
    result = checker.check([], removed=q)
    assert [v.focus_node for v in result.report.violations] == ["<https://example.org/y>"]
    assert not result.ok and result.incremental
    other = checker.check(parse("@prefix ex: <https://example.org/> . ex:x ex:r 1 ."))
    assert other.ok and other.affected == 0  # ex:r is read by no shape: x, y left alone


def test_what_caontos_shapes_read_is_classified():
    from caonto.incremental import shape_reads
    from caonto.validation import load_shapes

    reads = shape_reads(load_shapes())
    assert reads is not None and set(reads.through[CAO.annualQuantity]) == {RDF.type}
    assert CAO.member not in reads.through  # no shape reads a member's triples
    assert {RDF.type, CAO.member, CAO.year} <= reads.own  # a target, a path, a target
    assert CAO.hasMembership not in reads.own  # no shape follows it


@pytest.mark.parametrize("shape", [
    "sh:path [ sh:inversePath ex:p ] ; sh:minCount 1",
    "sh:path ( ex:p ex:q ) ; sh:minCount 1",
    "sh:path ex:p ; sh:node [ sh:property [ sh:path ex:q ; sh:class ex:Good ] ]",
    "sh:path ex:p ; sh:node [ sh:closed true ]",
    'sh:path ex:p ; sh:sparql [ sh:select "SELECT $this WHERE { }" ]',
    "sh:path ex:p ; sh:qualifiedValueShape [ sh:class ex:Good ] ; sh:qualifiedMinCount 1 ; "
    "sh:qualifiedValueShapesDisjoint true",
], ids=["inverse", "sequence", "value-of-a-value", "closed-value", "sparql", "disjoint"])
def test_shapes_it_cannot_classify_revalidate_every_pointing_node(shape):
    from rdflib import Literal, Namespace

    from caonto.incremental import shape_reads

    ex = Namespace("https://example.org/")

    shapes = parse("""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:Y ; sh:property [ """ + shape + " ] .")
    assert shape_reads(shapes) is None
    base = parse("""@prefix ex: <https://example.org/> . ex:y a ex:Y ; ex:p ex:x .""")
    checker = IncrementalChecker(base, shapes=shapes)
    change = [(ex.x, ex.r, Literal(1))]
    assert checker._affected(change) == {ex.x, ex.y}  # y points at x
    classified = IncrementalChecker(base, shapes=parse(
        """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:Y ; sh:property [ sh:path ex:p ; sh:minCount 1 ] ."""))
    assert classified._affected(change) == set()  # nothing reads ex:r


@pytest.mark.parametrize("target, write", [
    ("sh:targetClass ex:Y", "ex:x a ex:Y ."),
    ("sh:targetSubjectsOf ex:t", "ex:x ex:t 1 ."),
    ("sh:targetObjectsOf ex:t", "ex:y ex:t ex:x ."),
], ids=["gains-a-class", "gains-a-targeted-property", "becomes-a-targeted-object"])
def test_a_write_changing_only_what_targets_a_node_revalidates_it(target, write):
    # x has no ex:p; the write makes a shape requiring one apply to x, and changes
    # no triple the shape's path reads.
    prefixes = "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> ."
    shapes = parse(f"{prefixes} ex:S a sh:NodeShape ; {target} ; "
                   "sh:property [ sh:path ex:p ; sh:minCount 1 ] .")
    checker = IncrementalChecker(parse(f"{prefixes} ex:x ex:q 1 ."), shapes=shapes)
    result = checker.check(parse(f"{prefixes} {write}"))
    assert [v.focus_node for v in result.report.violations] == ["<https://example.org/x>"]
    assert not result.ok and result.incremental
