"""Checking a write against an accepted state without redoing everything.

``pipeline.check`` closes and validates the whole would-be dataset on every write; its
cost grows with everything already stored. ``IncrementalChecker`` keeps the accepted
state's closure (``caonto.reasoner.Closure``) and its SHACL violations, and for an
*addition* does only what the new triples can change:

- the closure grows semi-naively from the new triples (``Closure.add``), then is rolled
  back unless the write is accepted;
- the consistency checks run on the grown closure (they are set intersections);
- SHACL runs only on the *affected* focus nodes: every subject or object of a new
  (asserted or inferred) triple, plus the nodes pointing at a subject of one (a shape
  may check the class of a value: ``sh:class``); pySHACL sees only these nodes' triples
  and their values' triples. That suffices for shapes whose constraints look one step
  from the focus node (paths of length one, ``sh:class``/``sh:qualifiedValueShape``/
  ``sh:or`` on the values), which is what caonto's shapes do; the tests compare the
  result with the full check on the shape fixtures and on contributions.
- violations of nodes the write does not affect are carried over from the accepted
  state.

Removals (a graph replaced or deleted) are not incremental: a removed triple may have
supported many inferred ones, so ``check`` falls back to ``pipeline.check`` on the
whole would-be dataset. The same fallback is taken when the data uses an OWL construct
the fast reasoner does not implement.
"""

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef

from caonto.diagnosis import add_findings, contribution_findings, explain_inconsistencies
from caonto.inference import (
    is_external_same_as,
    is_publishable,
    publishable,
    reasoner_name,
)
from caonto.namespaces import CAOR, bind_prefixes
from caonto.pipeline import Asserted, CheckResult, check, finding_key
from caonto.reasoner import Closure, Unsupported
from caonto.validation import (
    ValidationReport,
    Violation,
    load_shapes,
    show_term,
    violations_first,
    violations_of,
)
from caonto.vocabulary import GraphFacts, Vocabulary


@dataclass
class IncrementalResult:
    """What ``IncrementalChecker.check`` found; duck-types ``pipeline.CheckResult``."""

    report: ValidationReport
    inconsistencies: list[str]
    inferred_added: set = field(default_factory=set)  # publishable triples the write adds
    inferred_removed: set = field(default_factory=set)  # inferred ones it now asserts
    affected: int = 0  # focus nodes re-validated
    incremental: bool = True  # False when the full check had to run
    _inferred: Graph | None = None
    _all_violations: list = field(default_factory=list)  # known findings included
    _checker: "IncrementalChecker | None" = None

    @property
    def ok(self) -> bool:
        return self.report.conforms and not self.inconsistencies

    @property
    def inferred(self) -> Graph:
        """The whole inferred graph after the write (built on demand: O(dataset))."""
        if self._inferred is None:
            self._inferred = self._checker.inferred_graph(self) if self._checker else Graph()
        return self._inferred


class IncrementalChecker:
    """An accepted state (asserted triples, their closure and violations) and cheap
    checks of additions to it.

    Construction closes and validates the state once (``base_report`` skips the
    validation when the caller knows it, e.g. a stored build that conformed). Raises
    Unsupported when the state needs owlrl (then use ``pipeline.check``).
    """

    def __init__(self, asserted: Iterable, shapes: Graph | None = None,
                 base_report: ValidationReport | None = None,
                 known_findings: frozenset = frozenset(),
                 vocabulary: Vocabulary | None = None):
        self._asserted: set = set()
        self._external_same: dict = {}
        reasoning = []
        for triple in asserted:
            self._asserted.add(triple)
            if is_external_same_as(triple):
                self._external_same.setdefault(triple[0], set()).add(triple[2])
            else:
                reasoning.append(triple)
        self._closure = Closure(reasoning)
        # the ontology's terms; without them, the cao: terms the state itself describes
        self._vocabulary = vocabulary or Vocabulary(self._asserted)
        self._shapes = shapes if shapes is not None else load_shapes()
        self._names = bind_prefixes(Graph()).namespace_manager
        if base_report is None:
            base_report = self._validate_nodes(None)
        self._violations: list[Violation] = list(base_report.violations)
        # As in pipeline.check: findings the project's own data has are not the writer's.
        self._known = known_findings or frozenset(finding_key(v) for v in self._violations)

    @classmethod
    def from_asserted(cls, asserted: Asserted, *graphs: Graph, **options) -> "IncrementalChecker":
        """The state ``asserted`` plus accepted ``graphs`` (the base report is computed)."""
        if graphs:
            options.setdefault("known_findings", asserted.known_findings)
        options.setdefault("vocabulary", asserted.vocabulary)
        return cls((t for g in (*asserted.named_graphs().values(), *graphs) for t in g), **options)

    # -- the check --
    def check(self, added: Iterable, commit: bool = False) -> IncrementalResult:
        """Check the accepted state plus ``added`` triples; keep them when ``commit`` and
        the result is ok. Bad data never raises: it is in the result."""
        new_asserted = [t for t in dict.fromkeys(added) if t not in self._asserted]
        if self._closure is None:
            return self._full(new_asserted, commit)
        for_reasoning = [t for t in new_asserted if not is_external_same_as(t)]
        savepoint = self._closure.savepoint()
        try:
            derived = self._closure.add(for_reasoning)
        except Unsupported:
            self._closure = None  # unusable now: _full rebuilds it from what is asserted
            return self._full(new_asserted, commit)
        result = self._judge(new_asserted, for_reasoning, derived)
        if commit and result.ok:
            self._asserted.update(new_asserted)
            for s, p, o in new_asserted:
                if is_external_same_as((s, p, o)):
                    self._external_same.setdefault(s, set()).add(o)
            self._violations = result._all_violations
        else:
            self._closure.rollback(derived, savepoint)
        return result

    def _judge(self, new_asserted: list, for_reasoning: list, derived: list) -> IncrementalResult:
        asserted_now = _Overlay(self._asserted, new_asserted)
        facts = _ClosureFacts(self._closure, asserted_now, self._external_same, new_asserted)
        errors = self._closure.errors()
        if errors:
            messages = explain_inconsistencies(errors, self._vocabulary, facts)
            return IncrementalResult(ValidationReport(conforms=False, inconsistencies=messages),
                                     messages)
        fresh = set(derived)
        added_inferred = {t for t in fresh if t not in asserted_now and is_publishable(t)}
        removed_inferred = {t for t in for_reasoning if t not in fresh and is_publishable(t)}
        affected = self._affected(new_asserted, derived)
        report = self._validate_nodes(affected, new_asserted)
        shown = {show_term(node, _Named(self._names)) for node in affected}
        violations = violations_first([v for v in self._violations if v.focus_node not in shown]
                                      + report.violations)
        conforms = not any(v.severity == "Violation" for v in violations)
        shown_to_writer = ValidationReport(conforms, [v for v in violations
                                                      if finding_key(v) not in self._known],
                                           report.graph)
        add_findings(shown_to_writer, *contribution_findings(new_asserted, self._vocabulary, facts))
        return IncrementalResult(shown_to_writer, [],
                                 added_inferred, removed_inferred, affected=len(affected),
                                 _all_violations=violations, _checker=self)

    def inferred_graph(self, result: IncrementalResult | None = None) -> Graph:
        """The publishable closure of the accepted state (plus ``result``'s additions)."""
        graph = publishable(self._closure, self._asserted)
        if result is not None and result._checker is self:
            for triple in result.inferred_removed:
                graph.remove(triple)
            for triple in result.inferred_added:
                graph.add(triple)
        return graph

    # -- helpers --
    def _full(self, new_asserted: list, commit: bool) -> IncrementalResult:
        everything = bind_prefixes(Graph())
        for triple in (*self._asserted, *new_asserted):
            everything.add(triple)
        result: CheckResult = check(Asserted(ontology=Graph(), data=everything),
                                    vocabulary=self._vocabulary)
        every = list(result.report.violations)
        result.report.violations = [v for v in every if finding_key(v) not in self._known]
        if not result.inconsistencies:
            add_findings(result.report, *contribution_findings(
                new_asserted, self._vocabulary, GraphFacts(everything)))
        if commit and result.ok:
            self._asserted.update(new_asserted)
            self._violations = every
        try:
            self._closure = Closure(t for t in self._asserted if not is_external_same_as(t))
        except Unsupported:
            pass  # stays None: every later check runs in full
        return IncrementalResult(result.report, result.inconsistencies, incremental=False,
                                 _inferred=result.inferred)

    def _affected(self, new_asserted: list, derived: list) -> set:
        nodes, subjects = set(), set()
        for s, _p, o in (*new_asserted, *derived):
            if not isinstance(s, Literal):
                nodes.add(s)
                subjects.add(s)
            if isinstance(o, (URIRef, BNode)):
                nodes.add(o)
        for node in subjects:  # a shape on a node pointing here may check this node's class
            nodes.update(self._pointing_at(node))
        return nodes

    def _pointing_at(self, node) -> set:
        return {n for n in self._closure.pointing_at(node) if not isinstance(n, Literal)}

    def _triples_of(self, node, extra_by_subject: dict) -> Iterable:
        yield from self._closure.about(node)
        for o in self._external_same.get(node, ()):
            yield node, _SAME_AS, o
        yield from extra_by_subject.get(node, ())

    def _validate_nodes(self, focus: set | None, extra: list = ()) -> ValidationReport:
        """Validate ``focus`` nodes (None: every node) on the triples they and their
        values have."""
        data = bind_prefixes(Graph())
        extra_by_subject: dict = {}
        for triple in extra:
            extra_by_subject.setdefault(triple[0], []).append(triple)
        if focus is None:
            for triple in (*self._closure, *((s, _SAME_AS, o) for s, objs in
                                              self._external_same.items() for o in objs)):
                data.add(triple)
        else:
            if not focus:
                return ValidationReport(conforms=True)
            values = set()
            for node in focus:
                for triple in self._triples_of(node, extra_by_subject):
                    data.add(triple)
                    if isinstance(triple[2], (URIRef, BNode)):
                        values.add(triple[2])
            for node in values - focus:
                for triple in self._triples_of(node, extra_by_subject):
                    data.add(triple)
        # Every node in ``data`` is validated, but only the focus nodes have all their
        # values' triples: the others' results are dropped. (pySHACL's own focus_nodes
        # option misses sh:qualifiedValueShape violations, so it is not used.)
        conforms, report, _ = shacl_validate(data, shacl_graph=self._shapes, inference="none",
                                             advanced=True, allow_warnings=True)
        violations = violations_of(report, data)
        if focus is not None:
            shown = {show_term(node, _Named(self._names)) for node in focus}
            violations = [v for v in violations if v.focus_node in shown]
            conforms = not any(v.severity == "Violation" for v in violations)
        return ValidationReport(bool(conforms), violations, report)


_SAME_AS = URIRef("http://www.w3.org/2002/07/owl#sameAs")


class _Overlay:
    """Membership in a set plus a few more items, without copying the set."""

    def __init__(self, base: set, more: Iterable):
        self.base, self.more = base, set(more)

    def __contains__(self, item) -> bool:
        return item in self.more or item in self.base


class _ClosureFacts:
    """``vocabulary.AssertedFacts`` over the closure: its triples that were asserted, and
    the outside ``owl:sameAs`` links kept beside it."""

    def __init__(self, closure: Closure, asserted: "_Overlay", external_same: dict,
                 new_asserted: list):
        self._closure, self._asserted = closure, asserted
        self._external_same = external_same
        self._new_same = [t for t in new_asserted if is_external_same_as(t)]

    def about(self, subject):
        yield from (t for t in self._closure.about(subject) if t in self._asserted)
        for o in self._external_same.get(subject, ()):
            yield subject, _SAME_AS, o
        yield from (t for t in self._new_same if t[0] == subject)

    def pointing_at(self, obj):
        for subject in self._closure.pointing_at(obj):
            yield from (t for t in self._closure.about(subject)
                        if t[2] == obj and t in self._asserted)

    def described_resources(self):
        return {t[0] for t in (*self._asserted.base, *self._asserted.more)
                if isinstance(t[0], URIRef) and str(t[0]).startswith(str(CAOR))}


class _Named:
    """A graph stand-in whose namespace manager ``validation.show_term`` can use."""

    def __init__(self, names):
        self.namespace_manager = names


def added_only(before: dict, changes: dict) -> list | None:
    """The triples ``changes`` (graph IRI -> new content or None) add to ``before``, or
    None when they also remove some (then only the full check is exact)."""
    added = []
    for iri, content in changes.items():
        old = before.get(iri)
        if content is None or len(content) == 0:
            if old is not None and len(old):
                return None
            continue
        if old is not None and any(t not in content for t in old):
            return None
        added.extend(t for t in content if old is None or t not in old)
    return added


class SnapshotChecker:
    """The contributions gateway's checks: incremental against the accepted snapshot when
    a write only adds triples, ``pipeline.check`` otherwise (same verdicts, see tests).

    ``check`` is called with the snapshot a write starts from; ``accepted`` with the
    snapshot a committed write produced. The checker follows only a committed chain of
    snapshots; any other state (a failed disk write, a full check) makes it rebuild
    lazily. Thread-safe: dry runs and writes take turns on the one closure."""

    def __init__(self, asserted):
        self._asserted = asserted  # an Asserted, or a function returning it (loaded late)
        self._checker: IncrementalChecker | None = None
        self._state = None  # the snapshot the checker holds; None = unknown
        self._lock = threading.Lock()

    @property
    def asserted(self) -> Asserted:
        return self._asserted() if callable(self._asserted) else self._asserted

    def check(self, old, graphs: dict, changes: dict, dry_run: bool):
        """pipeline.check(asserted, *graphs) for the write from ``old`` to ``graphs``."""
        added = added_only(old.graphs, changes)
        if added is None or reasoner_name() == "owlrl":  # owlrl chosen: everything in full
            return check(self.asserted, *graphs.values())
        with self._lock:
            if self._checker is None or self._state is not old:
                try:
                    self._checker = IncrementalChecker.from_asserted(self.asserted,
                                                                     *old.graphs.values())
                except Unsupported:
                    self._checker = self._state = None
                    return check(self.asserted, *graphs.values())
                self._state = old
            result = self._checker.check(added, commit=not dry_run)
            if result.ok:
                _ = result.inferred  # built now, while no other check moves the closure
            if not dry_run and result.ok:
                self._state = None  # holds the write now; ``accepted`` names its snapshot
            if not result.incremental:
                self._checker = self._state = None
            return result

    def accepted(self, new) -> None:
        with self._lock:
            if self._checker is not None and self._state is None:
                self._state = new
