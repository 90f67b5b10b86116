"""The gateway on its own: plan → check → commit → publish, with a recording publisher."""

from datetime import datetime, timedelta, timezone
from functools import cache
from itertools import count
from types import SimpleNamespace

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS

from caonto.build import build_dataset
from caonto.contrib.gateway import (
    Edit,
    Gateway,
    GraphChange,
    Rejected,
    WriteRefused,
    asserted_from_nquads,
    inferred_change,
)
from caonto.contrib.storage import GRAPH_CONTRIB_LOG, GraphMeta, GraphStorage, log_graph
from caonto.inference import infer
from caonto.namespaces import CAOR, GRAPH_INFERRED
from caonto.pipeline import Asserted
from caonto.rdf_io import RdfInputError
from tests.contrib_samples import ALICE, BOB, CONTRIB, NEWLAND, PREFIXES, membership


@cache
def base():
    return asserted_from_nquads(build_dataset().nquads)


def turtle(text: str) -> Graph:
    return Graph().parse(data=text, format="turtle")


class Recorder:
    def __init__(self):
        self.published: list[dict] = []
        self.publications: list = []  # as handed over, to read them as the publisher does

    def __call__(self, graphs) -> None:
        self.published.append(dict(graphs))
        self.publications.append(graphs)


def gateway(directory, publish=None, load=base) -> Gateway:
    return Gateway(GraphStorage(directory), load, publish or Recorder())


def test_the_base_graphs_are_read_from_the_built_nquads_with_their_blank_node_labels(tmp_path):
    """(``base()`` caches this for the other tests.)"""
    path = tmp_path / "built.nq"
    graph = "https://w3id.org/caonto/graph/"
    path.write_text("".join(
        f"<urn:s> <urn:p> {o} <{graph}{g}> .\n"
        for g, o in [("ontology", '"o"'), ("essay", "_:e7"), ("record", '"r"'),
                     ("inferred", '"i"'), ("contrib-log", '"elsewhere"')])
        + '<urn:s> <urn:p> "default" .\n', encoding="utf-8")
    asserted, inferred = asserted_from_nquads(path)
    s, p = URIRef("urn:s"), URIRef("urn:p")
    assert set(asserted.ontology) == {(s, p, Literal("o"))}
    assert set(asserted.data) == {(s, p, BNode("e7"))}
    assert set(asserted.record) == {(s, p, Literal("r"))}
    assert set(inferred) == {(s, p, Literal("i"))}
    path.write_text("<urn:s> <urn:p> .\n", encoding="utf-8")
    with pytest.raises(RdfInputError, match=str(path)):
        asserted_from_nquads(path)


def test_nothing_stored_means_nothing_loaded_or_published(tmp_path):
    calls = []
    recorder = Recorder()
    gate = gateway(tmp_path, recorder, load=lambda: calls.append(1) or base())
    gate.start()
    assert calls == [] and recorder.published == []
    gate.storage.close()


def test_accepted_write_is_committed_then_published_with_closure_and_log(tmp_path):
    recorder = Recorder()
    gate = gateway(tmp_path, recorder)
    outcome = gate.submit(lambda snapshot: {CONTRIB + "g": turtle(membership("g"))}, ALICE)
    assert outcome.created == [CONTRIB + "g"] and outcome.changed == {CONTRIB + "g": GraphChange(7, 0)}
    created = gate.snapshot.meta[CONTRIB + "g"].created  # by the default clock: UTC, in seconds
    assert created.utcoffset() == timedelta(0) and created.microsecond == 0
    assert (tmp_path / "g.trig").exists()
    [published] = recorder.published
    assert set(published) == {CONTRIB + "g", str(GRAPH_INFERRED), str(GRAPH_CONTRIB_LOG)}
    assert set(published[CONTRIB + "g"]) == set(turtle(membership("g")))
    assert len(published[str(GRAPH_INFERRED)]) > len(base()[1])  # closure grew
    log = published[str(GRAPH_CONTRIB_LOG)]
    assert (URIRef(CONTRIB + "g"), PROV.wasAttributedTo, URIRef(ALICE)) in log
    assert set(log) == set(log_graph(gate.snapshot.meta))
    publication = recorder.publications[0]
    assert publication[str(GRAPH_CONTRIB_LOG)] is publication[str(GRAPH_CONTRIB_LOG)]  # built once
    with pytest.raises(KeyError) as unknown:
        publication[CONTRIB + "other"]  # a graph the write did not change
    assert unknown.value.args == (CONTRIB + "other",)
    assert set(gate.snapshot.graphs) == {CONTRIB + "g"}  # what the next write starts from
    gate.storage.close()
    # A new process: start() serves the stored graph with a closure computed again.
    again = Recorder()
    restarted = gateway(tmp_path, again)
    restarted.start()
    assert set(again.published[0][CONTRIB + "g"]) == set(turtle(membership("g")))
    assert set(again.published[0][str(GRAPH_INFERRED)]) == set(published[str(GRAPH_INFERRED)])
    restarted.storage.close()


@pytest.mark.parametrize("plan, error", [
    (lambda s: {CONTRIB + "bad": turtle(membership("bad", source=None))}, Rejected),
    (lambda s: (_ for _ in ()).throw(WriteRefused(404, "no such graph")), WriteRefused),
])
def test_refused_writes_store_and_publish_nothing(tmp_path, plan, error):
    recorder = Recorder()
    gate = gateway(tmp_path, recorder)
    before = gate.snapshot
    with pytest.raises(error) as caught:
        gate.submit(plan, ALICE)
    if error is Rejected:  # it removed nothing, so no other graph depended on it
        assert str(caught.value) == "the contribution does not pass validation"
        assert not caught.value.result.ok and caught.value.dependents == []
    assert gate.snapshot is before and recorder.published == []
    assert [p.name for p in tmp_path.iterdir()] == ["lock"]
    gate.storage.close()


def test_a_failed_disk_write_publishes_nothing(tmp_path):
    recorder = Recorder()
    gate = gateway(tmp_path, recorder)
    (tmp_path / "journal.tmp").mkdir()  # the journal record cannot be written
    with pytest.raises(OSError):
        gate.submit(lambda s: {CONTRIB + "blocked": turtle(membership("b"))}, ALICE)
    assert recorder.published == [] and gate.snapshot.graphs == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.tmp", "lock"]
    gate.storage.close()


def test_dry_run_checks_but_neither_stores_nor_publishes(tmp_path):
    recorder = Recorder()
    gate = gateway(tmp_path, recorder)
    outcome = gate.submit(lambda s: {CONTRIB + "d": turtle(membership("d"))}, ALICE,
                          dry_run=True)
    assert outcome.dry_run and outcome.result.ok
    assert recorder.published == [] and not (tmp_path / "d.trig").exists()
    gate.storage.close()


def test_only_the_creator_may_remove_and_no_one_may_describe_the_named_graphs(tmp_path):
    """Refusals come before any check, so nothing here validates the dataset."""
    when = datetime(2026, 11, 25, tzinfo=timezone.utc)
    bobs, nobodys = CONTRIB + "bobs", CONTRIB + "nobodys"
    with GraphStorage(tmp_path) as storage:
        storage.commit({bobs: (turtle(membership("b")), GraphMeta((BOB,), when, when, BOB)),
                        nobodys: (turtle(membership("n")), GraphMeta((BOB,), when, when))})
    stored = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    recorder = Recorder()
    gate = gateway(tmp_path, recorder)
    gate.start()
    started = gate.snapshot
    [published] = recorder.published
    assert set(published) == {bobs, nobodys, str(GRAPH_INFERRED), str(GRAPH_CONTRIB_LOG)}
    assert set(started.inferred) == set(published[str(GRAPH_INFERRED)])
    may_not = ("; only its creator or a maintainer may remove its triples or delete it "
               "(anyone may add triples to it)")

    def refusal(plan) -> str:
        with pytest.raises(WriteRefused) as caught:
            gate.submit(plan, ALICE)
        assert caught.value.status == 403 and str(caught.value) == caught.value.message
        return caught.value.message

    fewer = turtle(membership("b"))
    fewer.remove((None, RDFS.label, None))
    assert refusal(lambda s: {bobs: fewer}) == f"<{bobs}> was created by <{BOB}>{may_not}"
    assert refusal(lambda s: {bobs: None}) == f"<{bobs}> was created by <{BOB}>{may_not}"
    assert refusal(lambda s: {nobodys: Graph()}) == f"<{nobodys}> has no recorded creator{may_not}"
    about_log = turtle(membership("x"))
    about_log.add((GRAPH_CONTRIB_LOG, RDFS.comment, Literal("mine")))
    assert refusal(lambda s: {CONTRIB + "x": about_log}) == (
        f"<{CONTRIB}x> would say 'caog:contrib-log rdfs:comment \"mine\"', a statement about "
        f"the named graph <{GRAPH_CONTRIB_LOG}>; the graphs under https://w3id.org/caonto/graph/ "
        "are described by the server (the contribution log records who wrote what), never by "
        "contributions")
    unchanged = gate.submit(lambda s: {bobs: s.graphs[bobs]}, ALICE)  # handed back as it was
    assert unchanged.changed == {} and unchanged.result is None
    assert gate.snapshot is started and len(recorder.published) == 1  # start()'s alone
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == stored
    # A dry run applies the same rules: the creator, or a maintainer, may delete.
    assert gate.submit(lambda s: {bobs: None}, BOB, dry_run=True).changed == {
        bobs: GraphChange(0, 7, deleted=True)}
    assert gate.submit(lambda s: {nobodys: None}, ALICE, dry_run=True,
                       maintainer=True).changed[nobodys].deleted
    gate.storage.close()


def test_stored_graphs_that_no_longer_fit_the_ontology_are_served_without_their_closure(
        tmp_path, caplog):
    when = datetime(2026, 11, 25, tzinfo=timezone.utc)
    odd = turtle(PREFIXES + "caor:x a cao:State ; cao:sharesBorderWith caor:x .")
    with GraphStorage(tmp_path) as storage:
        storage.commit({CONTRIB + "odd": (odd, GraphMeta((ALICE,), when, when, ALICE))})
    recorder = Recorder()
    gate = gateway(tmp_path, recorder)
    gate.start()
    [published] = recorder.published
    assert set(published[CONTRIB + "odd"]) == set(odd)
    assert set(published[str(GRAPH_INFERRED)]) == set(base()[1])  # the essay's closure
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.startswith("stored contributions are inconsistent with the ontology; serving "
                              "them without their closure: the graph is inconsistent")
    gate.storage.close()


LAND, MEMBER = CONTRIB + "newland", CONTRIB + "nlm"


def _started_with_alices_newland(directory) -> Gateway:
    """A started gateway whose store holds Alice's graph naming caor:newland a state."""
    when = datetime(2026, 11, 25, tzinfo=timezone.utc)
    with GraphStorage(directory) as storage:
        storage.commit({LAND: (turtle(NEWLAND), GraphMeta((ALICE,), when, when, ALICE))})
    gate = gateway(directory, Recorder())
    gate.start()
    return gate


def test_a_write_is_told_whose_graphs_it_leans_on_and_their_removal_is_refused(tmp_path):
    land, member = LAND, MEMBER
    gate = _started_with_alices_newland(tmp_path)
    outcome = gate.submit(lambda s: {member: turtle(membership("nlm", state="newland"))}, BOB)
    assert {(d.graph, d.creator, d.focus) for d in outcome.leans_on} == {
        (land, ALICE, "caor:membership-nlm")}
    assert "caor:newland rdf:type cao:State ." in {d.triple for d in outcome.leans_on}
    with pytest.raises(Rejected) as caught:
        gate.submit(lambda s: {land: None}, ALICE)
    assert {(d.graph, d.creator) for d in caught.value.dependents} == {(member, BOB)}
    # Anyone may add to a graph; a one-triple graph is a graph; a maintainer may delete any.
    named = turtle(NEWLAND)
    named.add((URIRef(CAOR + "newland"), RDFS.label, Literal("Newland", lang="de")))
    assert gate.submit(lambda s: {land: named}, BOB).changed == {land: GraphChange(1, 0)}
    assert gate.snapshot.meta[land].creator == ALICE  # adding made Bob a contributor, not its owner
    assert gate.snapshot.meta[land].contributors == (ALICE, BOB)
    mine = gate.submit(lambda s: {CONTRIB + "nlm2": turtle(membership("nlm2", state="newland"))},
                       ALICE, dry_run=True)
    assert mine.result.ok and mine.leans_on == []  # her own graph is not someone else's
    note = turtle(PREFIXES + 'caor:newland rdfs:comment "A state of the examples."@en .')
    assert gate.submit(lambda s: {CONTRIB + "note": note}, BOB).changed == {
        CONTRIB + "note": GraphChange(1, 0)}
    recorder = gate.publish
    more = note + turtle(PREFIXES + 'caor:newland rdfs:comment "Not a real state."@en .')
    deleted = gate.submit(lambda s: {member: None, CONTRIB + "note": more}, ALICE,
                          maintainer=True)  # one write, two graphs
    assert deleted.changed == {member: GraphChange(0, 7, deleted=True),
                               CONTRIB + "note": GraphChange(1, 0)}
    assert recorder.published[-1][member] is None
    assert member not in gate.snapshot.graphs and member not in gate.snapshot.meta
    assert sorted(p.name for p in tmp_path.glob("*.trig")) == ["newland.trig", "note.trig"]
    gate.storage.close()


def _served_after(state: dict, publication) -> dict:
    """``state`` (IRI → set of triples) with a publication's edits applied."""
    state = {iri: set(triples) for iri, triples in state.items()}
    for iri, edit in publication.edits.items():
        if edit.dropped:
            state.pop(iri, None)
            continue
        state[iri] = (state.get(iri, set()) - set(edit.removed)) | set(edit.added)
        if not state[iri]:
            del state[iri]
    return state


def test_published_edits_rebuild_exactly_the_graphs_served_after_each_write(tmp_path):
    publications = []
    minutes = (datetime(2026, 11, 25, tzinfo=timezone.utc) + timedelta(minutes=n) for n in count())
    # a minute between writes: each changes the modified times in the contribution log
    gate = Gateway(GraphStorage(tmp_path), base, publications.append, clock=lambda: next(minutes))
    g, h, k = CONTRIB + "g", CONTRIB + "h", CONTRIB + "k"
    replacement = turtle(membership("g2", state="kyrgyzstan"))
    was_inferred = next(t for t in base()[1] if t[0] == CAOR.kazakhstan and t[1] == RDF.type)
    writes = [
        (lambda s: {g: turtle(membership("g"))}, ALICE),  # a new graph, new inferences
        # asserts a triple the closure held: it leaves caog:inferred
        (lambda s: {k: turtle(membership("k")).add(was_inferred)}, ALICE),
        (lambda s: {h: turtle(NEWLAND)}, BOB),  # a third graph, by someone else
        (lambda s: {g: s.graphs[g] + turtle(membership("g1")),  # merged into g and k,
                    k: s.graphs[k] + turtle(membership("k1"))}, ALICE),  # in one write
        (lambda s: {g: replacement}, ALICE),  # replaced: removals
        (lambda s: {h: None}, BOB),  # deleted
    ]
    state = {str(GRAPH_INFERRED): set(base()[1])}
    for plan, who in writes:
        gate.submit(plan, who)
        publication = publications[-1]
        state = _served_after(state, publication)
        current = {iri: set(graph) for iri, graph in publication.current().items() if len(graph)}
        assert state == current
        assert current[str(GRAPH_INFERRED)] == set(gate.snapshot.inferred)
    assert was_inferred not in state[str(GRAPH_INFERRED)]
    assert g in state and h not in state and set(state[g]) == set(replacement)
    assert set(publications[3].edits[g].added) == set(turtle(membership("g1")))  # the new alone
    merged_log = publications[3].edits[str(GRAPH_CONTRIB_LOG)]  # by their creator: new times alone
    assert {(s, p) for s, p, _ in merged_log.added} == {(URIRef(g), PROV.generatedAtTime),
                                                        (URIRef(k), PROV.generatedAtTime)}
    assert publications[-1].edits[h] == Edit(dropped=True)  # dropped whole, not triple by triple
    gate.storage.close()


def test_after_full_checks_the_published_edits_follow_the_closure_too(tmp_path, monkeypatch):
    monkeypatch.setenv("CAONTO_REASONER", "owlrl")  # every write is checked in full
    publications, g = [], CONTRIB + "g"
    ontology_alone = Asserted(base()[0].ontology, Graph(), Graph())  # owlrl is slow on more
    closure = infer(ontology_alone.union())
    gate = Gateway(GraphStorage(tmp_path), lambda: (ontology_alone, closure), publications.append)
    state = {str(GRAPH_INFERRED): set(closure)}
    for plan in (lambda s: {g: turtle(NEWLAND)}, lambda s: {g: None}):
        gate.submit(plan, ALICE)
        state = _served_after(state, publications[-1])
        assert state[str(GRAPH_INFERRED)] == set(gate.snapshot.inferred)
    gate.storage.close()
def test_the_inferred_change_comes_from_the_check_or_else_from_comparing_the_closures():
    kept, lost, gained = ((URIRef("urn:x"), RDF.type, URIRef(f"urn:{c}")) for c in "klg")
    before, after = Graph(), Graph()
    before += [kept, lost]
    after += [kept, gained]
    incremental = SimpleNamespace(inferred_added={gained}, inferred_removed=set())
    assert inferred_change(before, after, incremental) == ({gained}, set())  # as the check said
    full = SimpleNamespace(inferred_added=None, inferred_removed=None, incremental=False)
    assert inferred_change(before, after, full) == ({gained}, {lost})


def test_checks_prepared_ahead_spare_the_first_write_building_them(tmp_path, monkeypatch):
    from caonto import incremental

    built = []
    real = incremental.IncrementalChecker.from_asserted.__func__
    monkeypatch.setattr(incremental.IncrementalChecker, "from_asserted", classmethod(
        lambda cls, *args, **options: built.append(1) or real(cls, *args, **options)))
    gate = gateway(tmp_path)
    gate.prepare_checks()
    assert built == [1]
    gate.prepare_checks()  # a checker in place is kept
    outcome = gate.submit(lambda snapshot: {CONTRIB + "g": turtle(membership("g"))}, ALICE)
    assert outcome.created == [CONTRIB + "g"] and built == [1]
    # The checker follows the committed writes; a dry run in between leaves it in step.
    assert gate.submit(lambda s: {CONTRIB + "h": turtle(membership("h"))}, BOB,
                       dry_run=True).result.ok
    assert gate.submit(lambda s: {CONTRIB + "i": turtle(membership("i"))}, BOB).result.ok
    assert built == [1]
    gate.storage.close()


def test_a_writes_summary_names_each_graph_change_and_what_it_leans_on(tmp_path):
    land, member = LAND, MEMBER
    gate = _started_with_alices_newland(tmp_path)
    tried = gate.submit(lambda s: {member: turtle(membership("nlm", state="newland"))}, BOB,
                        dry_run=True).summary()
    assert tried["dryRun"] is True and tried["graphs"][0]["created"] is True
    written = gate.submit(lambda s: {member: turtle(membership("nlm", state="newland"))}, BOB)
    summary = written.summary()
    assert set(summary) == {"dryRun", "conforms", "graphs", "dependsOn", "inferredTriples"}
    assert summary["dryRun"] is False and summary["conforms"] is True
    assert summary["graphs"] == [{"graph": member, "added": 7, "removed": 0, "deleted": False,
                                  "created": True}]
    [leaned] = {(d["graph"], d["creator"], d["focus"]) for d in summary["dependsOn"]}
    assert leaned == (land, ALICE, "caor:membership-nlm")
    assert all(set(d) == {"graph", "creator", "triple", "focus", "message"} and d["message"]
               for d in summary["dependsOn"])
    assert summary["inferredTriples"] == written.inferred_triples > len(base()[1])
    gone = gate.submit(lambda s: {member: None}, BOB).summary()
    assert gone["graphs"] == [{"graph": member, "added": 0, "removed": 7, "deleted": True,
                               "created": False}]
    assert gone["dependsOn"] == []
    gate.storage.close()
