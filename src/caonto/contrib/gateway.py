"""The one way contributions change: plan → validate → store durably → publish.

A write is a *plan*: a function from the current ``Snapshot`` to the contributed graphs
it changes (IRI → new content, None to delete); it returns new graphs and never changes
the snapshot's, which readers may hold. Under one lock the gateway runs the
plan, checks the would-be dataset with ``caonto.pipeline.check`` — the same code path as
``caonto validate``: ontology + essay data + every contributed graph + their OWL-RL
closure must be consistent and conform to the shapes — then commits the changed graph
files through the journal (fsynced), publishes the change to the served store (a
``Publication``: the triples removed from and added to each changed graph, the inferred
graph and the contribution log), and only then returns. A rejected or failed write changes nothing.
A dry run does everything up to the commit, on the snapshot of the moment, without
taking the lock.

Provenance goes to ``caog:contrib-log`` (see ``caonto.contrib.storage``). Each graph has
an owner, its creator: only they, or a maintainer, may remove its triples or delete it;
anyone with a token may add to it. No contributed triple may have a subject in
``caog:`` — the named graphs are described by the server (the contribution log, VoID),
never by contributors. A write is told which other contributors' graphs it passes
thanks to, and a refused one which graphs depend on what it removes
(``caonto.contrib.dependencies``).

Writes are checked incrementally, whether they add, remove or replace triples or delete
graphs (``caonto.incremental.SnapshotChecker``: the closure loses what only the removed
triples supported and grows from the new ones, SHACL re-runs on the nodes the change
touches; the same verdict as ``pipeline.check``, see tests/test_incremental*.py). The
inferred graph's change comes from that check's own bookkeeping; after a full check it
is the difference of the two closures (``inferred_change``).
"""

import logging
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rdflib import Graph

from caonto import formats
from caonto.contrib.dependencies import Dependency, broken_by, leaned_on, show
from caonto.contrib.storage import (
    GRAPH_CONTRIB_LOG,
    GraphMeta,
    GraphStorage,
    log_graph,
    meta_triples,
)
from caonto.incremental import SnapshotChecker
from caonto.inference import InconsistencyError, infer
from caonto.namespaces import (
    CAOG,
    GRAPH_ESSAY,
    GRAPH_INFERRED,
    GRAPH_ONTOLOGY,
    GRAPH_RECORD,
    bind_prefixes,
)
from caonto.pipeline import Asserted, CheckResult, check
from caonto.rdf_io import read_quads, to_rdflib

log = logging.getLogger(__name__)

Changes = dict[str, Graph | None]


class WriteRefused(Exception):
    """A plan's refusal: ``status`` 400, 403, 404 or 409 and a message for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class Rejected(Exception):
    """The would-be dataset failed validation (422); ``result`` holds the report, and
    ``dependents`` the other graphs that needed what the write removes."""

    def __init__(self, result: CheckResult, dependents: list[Dependency] | None = None):
        super().__init__("the contribution does not pass validation")
        self.result, self.dependents = result, dependents or []


@dataclass(frozen=True)
class Snapshot:
    graphs: Mapping[str, Graph]  # contributed graph IRI → content
    meta: Mapping[str, GraphMeta]
    inferred: Graph  # the closure served as caog:inferred


@dataclass(frozen=True)
class Edit:
    """How one served graph changed: ``removed`` triples, then ``added`` ones; a
    ``dropped`` graph is gone whole."""

    added: Collection = frozenset()
    removed: Collection = frozenset()
    dropped: bool = False


class Publication(Mapping):
    """What a write makes visible, handed to the publisher.

    As a mapping: IRI → each graph it changed, whole (None for a deleted graph), and
    caog:inferred and caog:contrib-log — built when first read. ``edits``: the same
    change as triples per graph (None when the graphs are to be replaced whole, as at
    start). ``current()``: every graph the gateway serves, whole, as after this write."""

    def __init__(self, snapshot: "Snapshot", graphs: Iterable[str],
                 edits: Mapping[str, Edit] | None = None):
        self.snapshot, self.edits = snapshot, edits
        self._keys = [*graphs, str(GRAPH_INFERRED), str(GRAPH_CONTRIB_LOG)]
        self._log: Graph | None = None

    def __getitem__(self, iri: str) -> Graph | None:
        if iri not in self._keys:
            raise KeyError(iri)
        if iri == str(GRAPH_INFERRED):
            return self.snapshot.inferred
        if iri == str(GRAPH_CONTRIB_LOG):
            if self._log is None:
                self._log = log_graph(self.snapshot.meta)
            return self._log
        return self.snapshot.graphs.get(iri)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def current(self) -> dict[str, Graph]:
        return {**self.snapshot.graphs, str(GRAPH_INFERRED): self.snapshot.inferred,
                str(GRAPH_CONTRIB_LOG): log_graph(self.snapshot.meta)}


Publish = Callable[[Publication], None]


@dataclass(frozen=True)
class GraphChange:
    added: int  # triples
    removed: int
    deleted: bool = False


@dataclass
class Outcome:
    dry_run: bool
    changed: dict[str, GraphChange] = field(default_factory=dict)  # by graph IRI
    created: list[str] = field(default_factory=list)
    result: CheckResult | None = None  # None when nothing changed, so nothing was checked
    inferred_triples: int = 0
    leans_on: list[Dependency] = field(default_factory=list)  # others' triples it needs

    def summary(self) -> dict:
        return {"dryRun": self.dry_run, "conforms": True,
                "graphs": [{"graph": g, "added": c.added, "removed": c.removed,
                            "deleted": c.deleted, "created": g in self.created}
                           for g, c in self.changed.items()],
                "dependsOn": [d.to_json() for d in self.leans_on],
                "inferredTriples": self.inferred_triples}


def asserted_from_nquads(path: Path) -> tuple[Asserted, Graph]:
    """Ontology, essay data and inferred graphs of the built dataset, read with the same
    blank node labels the served store has (so inferred triples meet their nodes)."""
    graphs = {GRAPH_ONTOLOGY: Graph(), GRAPH_ESSAY: Graph(), GRAPH_RECORD: Graph(), GRAPH_INFERRED: Graph()}
    for quad in read_quads(Path(path).read_bytes(), formats.BY_NAME["nquads"], str(path)):
        target = graphs.get(to_rdflib(quad.graph_name)) if hasattr(quad.graph_name,
                                                                   "value") else None
        if target is not None:
            target.add((to_rdflib(quad.subject), to_rdflib(quad.predicate),
                        to_rdflib(quad.object)))
    ontology, data, record, inferred = (bind_prefixes(graphs[g]) for g in
                                        (GRAPH_ONTOLOGY, GRAPH_ESSAY, GRAPH_RECORD, GRAPH_INFERRED))
    return Asserted(ontology, data, record), inferred


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


class Gateway:
    """Owns the contributed graphs of one server process. Construct, then ``start()``.

    ``load_base`` returns the built dataset's asserted graphs and closure; it is called
    once, when first needed (a read-only server without contributions never needs it,
    which matters for large datasets)."""

    def __init__(self, storage: GraphStorage, load_base: Callable[[], tuple[Asserted, Graph]],
                 publish: Publish, clock: Callable[[], datetime] = _now):
        self.storage, self.publish, self.clock = storage, publish, clock
        self._load_base = load_base
        self._base: tuple[Asserted, Graph] | None = None
        self._base_lock = threading.Lock()
        self._lock = threading.Lock()  # serialises writes: plan, check, commit, publish
        self._snapshot: Snapshot | None = None
        self._checks = SnapshotChecker(lambda: self.asserted)

    def _base_graphs(self) -> tuple[Asserted, Graph]:
        with self._base_lock:
            if self._base is None:
                self._base = self._load_base()
            return self._base

    @property
    def asserted(self) -> Asserted:
        return self._base_graphs()[0]

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            inferred = self._base_graphs()[1]
            with self._base_lock:
                if self._snapshot is None:
                    self._snapshot = Snapshot({}, {}, inferred)
        return self._snapshot

    def start(self) -> None:
        """Load the stored graphs and publish them with their closure.

        Raises StorageError for an unreadable file. If the stored graphs are no longer
        consistent with the ontology (it changed since they were accepted), they are
        still served, with the essay's own closure, and a warning is logged."""
        stored = self.storage.load()
        if not stored:
            return  # the served store already holds the build's closure
        graphs = {iri: content for iri, (content, _meta) in stored.items()}
        meta = {iri: m for iri, (_content, m) in stored.items()}
        asserted, inferred = self._base_graphs()
        try:
            inferred = infer(asserted.union(*graphs.values()))
        except InconsistencyError as error:
            log.warning("stored contributions are inconsistent with the ontology; "
                        "serving them without their closure: %s", error)
        self._snapshot = Snapshot(graphs, meta, inferred)
        self.publish(Publication(self._snapshot, graphs))

    def prepare_checks(self) -> None:
        """Load the base graphs and build the incremental checker for the current
        snapshot ahead of the first write (a server taking writes calls it in the
        background at start)."""
        self._checks.prepare(self.snapshot)

    def submit(self, plan: Callable[[Snapshot], Changes], contributor: str,
               dry_run: bool = False, maintainer: bool = False) -> Outcome:
        """Run ``plan`` and, unless ``dry_run``, make its changes durable and visible.

        Raises WriteRefused (from the plan; 403 when ``contributor``, not a
        ``maintainer``, would remove triples from a graph someone else created, or when a
        triple is about a ``caog:`` graph), Rejected (422), and OSError when the disk
        refuses the write — then nothing changed and nothing is published.
        """
        if dry_run:
            return self._prepare(self.snapshot, plan, contributor, True, maintainer)[0]
        with self._lock:
            outcome, new = self._prepare(self.snapshot, plan, contributor, False, maintainer)
            if new is None:
                return outcome
            changed = {iri: None if new.graphs.get(iri) is None else
                       (new.graphs[iri], new.meta[iri]) for iri in outcome.changed}
            self.storage.commit(changed)  # durable from here on
            self.publish(Publication(new, outcome.changed,
                                     _edits(self.snapshot, new, outcome.changed, outcome.result)))
            self._snapshot = new
            self._checks.accepted(new)
            return outcome

    def _prepare(self, old: Snapshot, plan, contributor: str, dry_run: bool,
                 maintainer: bool) -> tuple[Outcome, Snapshot | None]:
        changes = {iri: g for iri, g in plan(old).items()
                   if not _same(old.graphs.get(iri), g)}
        outcome = Outcome(dry_run=dry_run)
        if not changes:
            return outcome, None
        _refuse_statements_about_graphs(changes)
        removed = {iri: _minus(old.graphs[iri], changes[iri])
                   for iri in changes if iri in old.graphs}
        removed = {iri: triples for iri, triples in removed.items() if len(triples)}
        if not maintainer:
            _refuse_removals_by_others(removed, old.meta, contributor)
        graphs = dict(old.graphs)
        for iri, content in changes.items():
            if content is None or len(content) == 0:
                graphs.pop(iri, None)
            else:
                graphs[iri] = content
        creators = {iri: m.creator for iri, m in old.meta.items()}
        result = self._checks.check(old, graphs, changes, dry_run)  # = pipeline.check
        if not result.ok:
            remaining = {iri: g for iri, g in graphs.items() if iri not in changes}
            raise Rejected(result, broken_by(removed, remaining, creators, result)
                           if removed else [])
        now, meta = self.clock(), dict(old.meta)
        for iri, content in changes.items():
            before = old.graphs.get(iri)
            gone = len(removed.get(iri, ()))
            if iri not in graphs:
                meta.pop(iri, None)
                outcome.changed[iri] = GraphChange(0, gone, deleted=True)
                continue
            meta[iri] = (meta[iri].updated(contributor, now) if iri in meta
                         else GraphMeta((contributor,), now, now, contributor))
            outcome.changed[iri] = GraphChange(len(_minus(content, before)), gone)
            if iri not in old.graphs:
                outcome.created.append(iri)
        outcome.leans_on = self._leaned_on(graphs, changes, meta, contributor)
        outcome.result, outcome.inferred_triples = result, len(result.inferred)
        return outcome, (None if dry_run else Snapshot(graphs, meta, result.inferred))

    def _leaned_on(self, graphs: Mapping[str, Graph], changes: Changes,
                   meta: Mapping[str, GraphMeta], contributor: str) -> list[Dependency]:
        """Other contributors' triples the written graphs pass thanks to."""
        others = {iri: g for iri, g in graphs.items()
                  if iri not in changes and meta[iri].creator != contributor}
        if not others:
            return []
        written = {iri: graphs[iri] for iri in changes if iri in graphs}
        own = [g for iri, g in graphs.items() if iri not in others]
        base = list(self.asserted.named_graphs().values())

        def described_elsewhere(node) -> bool:
            return any((node, None, None) in g for g in (*base, *own))

        return leaned_on(written, others, described_elsewhere,
                         {iri: m.creator for iri, m in meta.items()},
                         lambda: check(self.asserted, *own))


def _edits(old: Snapshot, new: Snapshot, changed: Iterable[str],
           result: CheckResult) -> dict[str, Edit]:
    """The write from ``old`` to ``new`` as triples removed and added per served graph:
    the ``changed`` contributed graphs, caog:inferred and caog:contrib-log."""
    edits, log_before, log_after = {}, Graph(), Graph()
    for iri in changed:
        before, after = old.graphs.get(iri), new.graphs.get(iri)
        edits[iri] = Edit(dropped=True) if after is None else Edit(
            set(_minus(after, before)), set(_minus(before, after)))
        if iri in old.meta:
            log_before += meta_triples(iri, old.meta[iri])
        if iri in new.meta:
            log_after += meta_triples(iri, new.meta[iri])
    added, removed = inferred_change(old.inferred, new.inferred, result)
    edits[str(GRAPH_INFERRED)] = Edit(added, removed)
    edits[str(GRAPH_CONTRIB_LOG)] = Edit(set(_minus(log_after, log_before)),
                                         set(_minus(log_before, log_after)))
    return edits


def inferred_change(before: Graph, after: Graph, result) -> tuple[Collection, Collection]:
    """(added, removed): how a write changed the published closure. An incremental
    check knows what the write derived (``inferred_added`` / ``inferred_removed``, in
    time proportional to the write); a full check leaves them None, and then the two
    closures are compared (linear in the closure). ``removed`` may name triples
    ``before`` lacks: removing them is a no-op."""
    added = getattr(result, "inferred_added", None)
    removed = getattr(result, "inferred_removed", None)
    if added is not None and removed is not None:
        return added, removed
    return set(_minus(after, before)), set(_minus(before, after))


def _refuse_statements_about_graphs(changes: Changes) -> None:
    for iri, content in changes.items():
        for s, p, o in content or ():
            if str(s).startswith(str(CAOG)):
                raise WriteRefused(403, f"<{iri}> would say '{show(s)} {show(p)} {show(o)}', "
                                        f"a statement about the named graph <{s}>; the "
                                        f"graphs under {CAOG} are described by the server "
                                        "(the contribution log records who wrote what), "
                                        "never by contributions")


def _refuse_removals_by_others(removed: Mapping[str, Graph], meta: Mapping[str, GraphMeta],
                               contributor: str) -> None:
    for iri in removed:
        creator = meta[iri].creator if iri in meta else None
        if creator != contributor:
            owner = f"was created by <{creator}>" if creator else "has no recorded creator"
            raise WriteRefused(403, f"<{iri}> {owner}; only its creator or a maintainer "
                                    "may remove its triples or delete it (anyone may add "
                                    "triples to it)")


def _minus(graph: Graph | None, other: Graph | None) -> Graph:
    """The triples of ``graph`` that ``other`` lacks."""
    result = Graph()
    for triple in graph or ():
        if other is None or triple not in other:
            result.add(triple)
    return result


def _same(old: Graph | None, new: Graph | None) -> bool:
    """Equal as stored: same triples (blank nodes compared by label, which is how a plan
    that leaves a graph alone hands it back)."""
    if not old or not new:
        return not old and not new
    return len(old) == len(new) and all(t in old for t in new)
