"""Checking a write against an accepted state without redoing everything.

``pipeline.check`` closes and validates the whole would-be dataset on every write; its
cost grows with everything already stored. ``IncrementalChecker`` keeps the accepted
state's closure (``caonto.reasoner.Closure``), its published inferred graph and its SHACL
violations, and for a write (triples added to and removed from contributed graphs) does
only what the change can affect:

- the closure loses what only the removed triples supported (``Closure.remove``: delete
  and re-derive) and grows semi-naively from the new triples (``Closure.add``), then is
  put back unless the write is accepted;
- the consistency checks run on the changed closure (they are set intersections);
- SHACL runs only on the *affected* focus nodes, those whose validation a triple the
  write adds or removes (asserted or inferred) can change: its subject if a shape can
  read that predicate on a node (a path, a target), and a node pointing at that subject
  through a path along which a shape reads that predicate on the value (``rdf:type``
  for ``sh:class``, a nested shape's paths). ``shape_reads`` works this out from the
  shapes once; shapes it cannot classify (longer or inverse paths, ``sh:closed``,
  SPARQL, ...) widen the set to every subject and object and every node pointing at a
  subject. pySHACL sees only these nodes' triples and their values' triples, with the
  shapes it parsed on the first call. The tests compare the result with the full check
  on the shape fixtures and on random sequences of writes.
- violations of nodes the write does not affect are carried over from the accepted
  state; the contributor-facing findings (``caonto.diagnosis``) are recomputed for the
  contributed triples that touch a node whose asserted triples changed.
- the inferred graph's change is computed from the closure's change (``inferred_added``,
  ``inferred_removed``), and the new inferred graph is the accepted one with that change
  laid over it (``DeltaStore``), not a copy.

The full check (``pipeline.check`` on the whole would-be dataset) still runs when the
data uses an OWL construct the fast reasoner does not implement (owlrl must close it),
until a write removes it again.
"""

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyshacl import Validator
from pyshacl.graph_abstraction import DataGraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.store import Store

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
    """What ``IncrementalChecker.check`` found; duck-types ``pipeline.CheckResult``.

    ``inferred_added`` and ``inferred_removed`` are sets of rdflib triples: how the
    published inferred graph changes if the write is accepted (a triple inferred before
    and asserted now is in ``inferred_removed``). They are None when the full check ran
    (then only ``inferred``, the whole new inferred graph, is known)."""

    report: ValidationReport
    inconsistencies: list[str]
    inferred_added: set | None = None
    inferred_removed: set | None = None
    affected: int = 0  # focus nodes re-validated
    incremental: bool = True  # False when the full check had to run
    _inferred: Graph = field(default_factory=Graph)
    _all_violations: list = field(default_factory=list)  # known findings included

    @property
    def ok(self) -> bool:
        return self.report.conforms and not self.inconsistencies

    @property
    def inferred(self) -> Graph:
        """The whole inferred graph after the write (empty when inconsistent): the
        accepted one with this write's change laid over it, read-only."""
        return self._inferred


@dataclass
class _Write:
    """One write's change at the level of the whole dataset."""

    gained: list  # triples asserted now, not before
    lost: list  # triples asserted before, not now
    joined: set  # triples in some contributed graph now, in none before
    left: set  # the reverse
    counts: dict  # contributed triple -> graphs holding it after the write
    contributions_remain: bool  # some contributed graph is left after the write


class IncrementalChecker:
    """An accepted state (asserted triples, their closure and violations) and cheap
    checks of writes to it.

    ``asserted`` are the triples no write removes (ontology, essay, record);
    ``contributed`` the contributed graphs' triples (repeated once per graph holding
    one). Construction closes and validates the state once (``base_report`` skips the
    validation when the caller knows it, e.g. a stored build that conformed). Raises
    Unsupported when the state needs owlrl (then use ``pipeline.check``).
    """

    def __init__(self, asserted: Iterable, shapes: Graph | None = None,
                 base_report: ValidationReport | None = None,
                 known_findings: frozenset = frozenset(),
                 vocabulary: Vocabulary | None = None, contributed: Iterable = ()):
        self._base = set(asserted)
        self._contributed = Counter(contributed)
        self._asserted = self._base | set(self._contributed)
        self._external_same: dict = {}
        for triple in self._asserted:
            if is_external_same_as(triple):
                self._external_same.setdefault(triple[0], set()).add(triple[2])
        self._closure = Closure(t for t in self._asserted if not is_external_same_as(t))
        self._published = publishable(self._closure, self._asserted)
        # the ontology's terms; without them, the cao: terms the state itself describes
        self._vocabulary = vocabulary or Vocabulary(self._asserted)
        self._shapes = shapes if shapes is not None else load_shapes()
        self._parsed_shapes = None  # pySHACL's parsed shapes, kept for the next validation
        self._reads = shape_reads(self._shapes)  # None: every neighbour is re-validated
        self._targeting_objects = frozenset(self._shapes.objects(None, SH.targetObjectsOf))
        self._names = bind_prefixes(Graph()).namespace_manager
        if base_report is None:
            base_report = self._validate_nodes(None)
        self._violations: list[Violation] = list(base_report.violations)
        # As in pipeline.check: findings the project's own data has are not the writer's.
        self._known = known_findings or frozenset(finding_key(v) for v in self._violations)
        # contributed triples with findings of their own (none once a write is accepted)
        self._finding_triples = {t for t in self._contributed if contribution_findings(
            [t], self._vocabulary, self._facts(_Overlay(self._asserted), {}))[0]}

    @classmethod
    def from_asserted(cls, asserted: Asserted, *graphs: Graph, **options) -> "IncrementalChecker":
        """The state ``asserted`` plus accepted contributed ``graphs`` (the base report
        is computed)."""
        if graphs:
            options.setdefault("known_findings", asserted.known_findings)
        options.setdefault("vocabulary", asserted.vocabulary)
        return cls((t for g in asserted.named_graphs().values() for t in g),
                   contributed=(t for g in graphs for t in g), **options)

    # -- the check --
    def check(self, added: Iterable, commit: bool = False, removed: Iterable = ()) -> IncrementalResult:
        """Check the accepted state with ``added`` triples put into contributed graphs and
        ``removed`` ones taken out of them (each listed once per graph); keep the change
        when ``commit`` and the result is ok. Bad data never raises: it is in the result."""
        write = self._write(added, removed)
        if self._closure is None:
            return self._full(write, commit)
        asserted_now = _Overlay(self._asserted, write.gained, write.lost)
        before_removal = self._closure.savepoint()
        lost = self._closure.remove([t for t in write.lost if not is_external_same_as(t)],
                                    asserted_now.__contains__)
        before_addition = self._closure.savepoint()
        try:
            derived = self._closure.add(t for t in write.gained if not is_external_same_as(t))
        except Unsupported:
            self._closure = None  # unusable now: _full rebuilds it from what is asserted
            return self._full(write, commit)
        result = self._judge(write, asserted_now, lost, derived)
        if commit and result.ok:
            self._accept(write, result)
        else:
            self._closure.rollback(derived, before_addition)
            self._closure.restore(lost, before_removal)
        return result

    def _write(self, added: Iterable, removed: Iterable) -> _Write:
        delta = Counter(added)
        delta.subtract(removed)
        counts = {t: max(0, self._contributed.get(t, 0) + n) for t, n in delta.items() if n}
        joined = {t for t, n in counts.items() if n and t not in self._contributed}
        left = {t for t, n in counts.items() if not n and t in self._contributed}
        gained = [t for t in joined if t not in self._asserted]
        lost = [t for t in left if t not in self._base]
        remain = len(self._contributed) + len(joined) - len(left) > 0
        return _Write(gained, lost, joined, left, counts, remain)

    def _accept(self, write: _Write, result: IncrementalResult) -> None:
        self._asserted.update(write.gained)
        self._asserted.difference_update(write.lost)
        for triple, n in write.counts.items():
            if n:
                self._contributed[triple] = n
            else:
                self._contributed.pop(triple, None)
        for s, p, o in write.gained:
            if is_external_same_as((s, p, o)):
                self._external_same.setdefault(s, set()).add(o)
        for s, p, o in write.lost:
            if is_external_same_as((s, p, o)):
                self._external_same.get(s, set()).discard(o)
        self._violations = result._all_violations
        self._finding_triples = set()  # an accepted write leaves no findings
        self._published = result.inferred

    def _facts(self, asserted_now: "_Overlay", write_same: dict) -> "_ClosureFacts":
        return _ClosureFacts(self._closure, asserted_now, _SameLinks(self._external_same,
                                                                      **write_same))

    def _judge(self, write: _Write, asserted_now: "_Overlay", lost: list,
               derived: list) -> IncrementalResult:
        same = {"added": [t for t in write.gained if is_external_same_as(t)],
                "dropped": {t for t in write.lost if is_external_same_as(t)}}
        facts = self._facts(asserted_now, same)
        errors = self._closure.errors()
        if errors:
            messages = explain_inconsistencies(errors, self._vocabulary, facts)
            return IncrementalResult(ValidationReport(conforms=False, inconsistencies=messages),
                                     messages, set(), set())
        gone, fresh = set(lost), set(derived)
        closure_lost, closure_gained = gone - fresh, fresh - gone
        inferred_added, inferred_removed = set(), set()
        for triple in (*closure_lost, *closure_gained, *write.gained, *write.lost):
            was = ((triple in self._closure and triple not in closure_gained)
                   or triple in closure_lost) and triple not in self._asserted
            now = triple in self._closure and triple not in asserted_now
            if was != now and is_publishable(triple):
                (inferred_added if now else inferred_removed).add(triple)
        affected = self._affected((*write.gained, *write.lost, *closure_lost, *closure_gained))
        report = self._validate_nodes(affected, same["added"], same["dropped"])
        shown = {show_term(node, _Named(self._names)) for node in affected}
        violations = violations_first([v for v in self._violations if v.focus_node not in shown]
                                      + report.violations)
        conforms = not any(v.severity == "Violation" for v in violations)
        if not write.contributions_remain:  # as pipeline.check without contributed graphs
            shown_to_writer = ValidationReport(conforms, violations, report.graph)
        else:
            shown_to_writer = ValidationReport(conforms, [v for v in violations
                                                          if finding_key(v) not in self._known],
                                               report.graph)
            add_findings(shown_to_writer, *contribution_findings(
                self._judged_contributions(write), self._vocabulary, facts))
        return IncrementalResult(shown_to_writer, [], inferred_added, inferred_removed,
                                 affected=len(affected),
                                 _inferred=_layered(self._published, inferred_added,
                                                    inferred_removed),
                                 _all_violations=violations)

    def _judged_contributions(self, write: _Write) -> set:
        """The contributed triples whose findings may differ from the accepted state's
        (none had any): the new ones, and those touching a node whose asserted triples
        changed (``caonto.diagnosis`` reads a node's asserted types and description)."""
        def contributed(triple) -> bool:
            n = write.counts.get(triple)
            return bool(n) if n is not None else triple in self._contributed

        judged = {t for t in (*self._finding_triples, *write.joined) if contributed(t)}
        for node in {t[0] for t in (*write.gained, *write.lost)}:
            judged.update(t for t in (*self._closure.about(node), *self._closure.towards(node))
                          if contributed(t))
            judged.update(t for t in write.gained if t[0] == node)
        return judged

    def inferred_graph(self) -> Graph:
        """The published inferred graph of the accepted state (read-only)."""
        return self._published

    # -- helpers --
    def _full(self, write: _Write, commit: bool) -> IncrementalResult:
        asserted = set(self._asserted)
        asserted.update(write.gained)
        asserted.difference_update(write.lost)
        everything = bind_prefixes(Graph())
        for triple in asserted:
            everything.add(triple)
        result: CheckResult = check(Asserted(ontology=Graph(), data=everything),
                                    vocabulary=self._vocabulary)
        every = list(result.report.violations)
        if write.contributions_remain:  # as pipeline.check with the contributed graphs
            result.report.violations = [v for v in every if finding_key(v) not in self._known]
            contributed = {t for t in (*self._contributed, *write.joined)
                           if write.counts.get(t, 1)}
            if not result.inconsistencies:
                add_findings(result.report, *contribution_findings(
                    contributed, self._vocabulary, GraphFacts(everything)))
        if commit and result.ok:
            self._asserted = asserted
            self._accept_counts(write)
            self._violations = every
            self._finding_triples = set()
        try:
            self._closure = Closure(t for t in self._asserted if not is_external_same_as(t))
            self._published = publishable(self._closure, self._asserted)
        except Unsupported:
            self._closure = None  # every later check runs in full
        return IncrementalResult(result.report, result.inconsistencies, incremental=False,
                                 _inferred=result.inferred)

    def _accept_counts(self, write: _Write) -> None:
        for triple, n in write.counts.items():
            if n:
                self._contributed[triple] = n
            else:
                self._contributed.pop(triple, None)
        self._external_same = {}
        for s, p, o in self._asserted:
            if is_external_same_as((s, p, o)):
                self._external_same.setdefault(s, set()).add(o)

    def _affected(self, changed: Iterable) -> set:
        """The nodes whose validation the ``changed`` triples can change (``shape_reads``):
        a subject whose changed predicate a shape can read on it, an object pointed at
        by a predicate a target reads, and a node N pointing at a subject X (N p X) if a
        shape on N can read, through p, the predicate of one of X's changed triples.
        When the shapes are not classified: every subject and object, and every node
        pointing at a subject."""
        reads, nodes, changed_of = self._reads, set(), {}
        for s, p, o in changed:
            if not isinstance(s, Literal):
                changed_of.setdefault(s, set()).add(p)
                if reads is None or p in reads.own:
                    nodes.add(s)
            if isinstance(o, (URIRef, BNode)) and (reads is None or p in reads.of_objects):
                nodes.add(o)
        for node, predicates in changed_of.items():
            nodes.update(self._pointing_at(node, predicates))
        return nodes

    def _pointing_at(self, node, changed_predicates: set) -> set:
        """The nodes pointing at ``node`` through which a shape can read one of its
        ``changed_predicates``."""
        if self._reads is None:
            return {n for n in self._closure.pointing_at(node) if not isinstance(n, Literal)}
        through = self._reads.through
        return {n for n, p, _ in self._closure.towards(node)
                if not isinstance(n, Literal) and changed_predicates & through.get(p, _NONE)}

    def _triples_of(self, node, same: "_SameLinks") -> Iterable:
        yield from self._closure.about(node)
        for o in same.get(node):
            yield node, _SAME_AS, o

    def _shacl(self, data: Graph) -> tuple:
        """``pyshacl.validate(data, shapes, inference="none", advanced=True,
        allow_warnings=True)`` without parsing the shapes again: the parsed shapes of the
        first call are reused (``pyshacl.validate`` builds them on every call, a fixed
        cost larger than validating a write's few nodes). ``data`` is validated in place:
        it is built for this call only."""
        validator = Validator(DataGraph.from_rdflib(data), shacl_graph=self._shapes,
                              options={"inference": "none", "advanced": True,
                                       "allow_warnings": True, "inplace": True})
        if self._parsed_shapes is None:
            self._parsed_shapes = validator.shacl_graph
        else:
            validator.shacl_graph = self._parsed_shapes
        return validator.run()

    def _validate_nodes(self, focus: set | None, added_same: list = (),
                        dropped_same: set = frozenset()) -> ValidationReport:
        """Validate ``focus`` nodes (None: every node) on the triples they and their
        values have."""
        data = bind_prefixes(Graph())
        same = _SameLinks(self._external_same, added_same, dropped_same)
        if focus is None:
            for triple in (*self._closure, *((s, _SAME_AS, o) for s, objs in
                                              self._external_same.items() for o in objs)):
                data.add(triple)
        else:
            if not focus:
                return ValidationReport(conforms=True)
            values = set()
            for node in focus:
                for triple in self._triples_of(node, same):
                    data.add(triple)
                    if isinstance(triple[2], (URIRef, BNode)):
                        values.add(triple[2])
                for triple in self._closure.towards(node):  # what targets it as an object
                    if triple[1] in self._targeting_objects:
                        data.add(triple)
            for node in values - focus:
                for triple in self._triples_of(node, same):
                    data.add(triple)
        # Every node in ``data`` is validated, but only the focus nodes have all their
        # values' triples: the others' results are dropped. (pySHACL's own focus_nodes
        # option misses sh:qualifiedValueShape violations, so it is not used.)
        conforms, report, _ = self._shacl(data)
        violations = violations_of(report, data)
        if focus is not None:
            shown = {show_term(node, _Named(self._names)) for node in focus}
            violations = [v for v in violations if v.focus_node in shown]
            conforms = not any(v.severity == "Violation" for v in violations)
        return ValidationReport(bool(conforms), violations, report)


_SAME_AS = URIRef("http://www.w3.org/2002/07/owl#sameAs")
_NONE: frozenset = frozenset()

# Shape parameters that read nothing of a value node but the term itself (its IRI,
# datatype, language, text) or count values; or that only describe or grade; or target
# by type or by name.
_READS_NO_TRIPLES = {
    SH.datatype, SH.nodeKind, SH.pattern, SH.flags, SH.languageIn, SH["in"], SH.hasValue,
    SH.minExclusive, SH.minInclusive, SH.maxExclusive, SH.maxInclusive, SH.minLength,
    SH.maxLength, SH.minCount, SH.maxCount, SH.uniqueLang, SH.qualifiedMinCount,
    SH.qualifiedMaxCount, SH.name, SH.description,
    SH.message, SH.severity, SH.deactivated, SH.order, SH.group, SH.defaultValue,
    SH.targetClass, SH.targetNode, RDF.type, RDFS.label, RDFS.comment}
# Parameters comparing the values of the shape's path with the node's own property.
_READS_A_PROPERTY = {SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals}
# Parameters applying other shapes (lists of them for the logical ones).
_NESTED = {SH.node, SH["not"], SH.qualifiedValueShape}
_NESTED_LISTS = {SH["or"], SH["and"], SH.xone}


class _Unclassified(Exception):
    pass


@dataclass(frozen=True)
class ShapeReads:
    """Which triples validating a node N can read (see ``shape_reads``)."""

    own: frozenset  # predicates of N's own triples
    of_objects: frozenset  # predicates of triples pointing at N (sh:targetObjectsOf)
    through: dict  # p -> predicates of X's triples, for each X with N p X


def shape_reads(shapes: Graph) -> ShapeReads | None:
    """Which triples any shape in ``shapes`` can read when it validates a node N; None
    when some shape does something this does not classify.

    Why a write need re-validate only N such that it changed a triple (N q _) with q in
    ``own``, or (_ q N) with q in ``of_objects``, or (X q _) with q in ``through[p]``
    for some N p X: pySHACL decides whether a shape targets N from N's types
    (``sh:targetClass``, in ``own``: the closure holds every inferred type, so no
    ``rdfs:subClassOf`` walk is needed), N's triples (``sh:targetSubjectsOf``, in
    ``own``) or triples pointing at N (``sh:targetObjectsOf``); it then reads N's
    triples along the shapes' paths and those compared by ``sh:equals``/``sh:disjoint``/
    ``sh:lessThan(OrEquals)`` (in ``own``), and, one step along a path p, the values X:
    ``sh:class`` reads X's ``rdf:type``, and a shape applied to X (``sh:node``,
    ``sh:qualifiedValueShape``, ``sh:or``/``sh:and``/``sh:xone``/``sh:not`` on the
    values) reads X's triples along its own paths (in ``through[p]``). Every other
    parameter reads a value only as a term. Anything else — a path longer than one step
    or inverse, ``sh:closed``, a class on a value's value, SPARQL, any parameter not
    listed — is unclassified."""
    reads: dict = {None: {RDF.type}}  # None: the focus node's own triples
    objects: set = set()
    seen: set = set()

    def steps(path) -> list:
        if isinstance(path, URIRef):
            return [path]
        alternatives = shapes.value(path, SH.alternativePath)
        if alternatives is not None and set(shapes.predicates(path)) == {SH.alternativePath}:
            members = list(Collection(shapes, alternatives))
            if all(isinstance(m, URIRef) for m in members):
                return members
        raise _Unclassified(path)

    def walk(shape, via) -> None:
        """``shape`` applied to the focus node (``via`` None) or to the value reached
        from it through ``via``."""
        if (shape, via) in seen:
            return
        seen.add((shape, via))
        path = shapes.value(shape, SH.path)
        own = steps(path) if path is not None else []
        here = reads.setdefault(via, set())
        here.update(own)
        for parameter, value in shapes.predicate_objects(shape):
            if parameter == SH.targetSubjectsOf:
                reads[None].add(value)
                continue
            if parameter == SH.targetObjectsOf:
                objects.add(value)
                continue
            if parameter in _READS_NO_TRIPLES or parameter == SH.path:
                continue
            if parameter in _READS_A_PROPERTY:
                here.add(value)
                continue
            if parameter == SH.property:
                walk(value, via)
                continue
            if parameter == SH["class"]:
                members = [None]
            elif parameter in _NESTED:
                members = [value]
            elif parameter in _NESTED_LISTS:
                members = list(Collection(shapes, value))
            else:  # sh:closed among them (reads every predicate), and
                # sh:qualifiedValueShapesDisjoint (applies sibling shapes to these values)
                raise _Unclassified(parameter)
            if path is None:  # a node shape: on the node itself
                targets = [via]
            elif via is None:  # a property shape on the focus node: on its values
                targets = own
            else:
                raise _Unclassified(shape)  # a value's value: two steps away
            for target in targets:
                for member in members:
                    if member is None:  # sh:class reads the node's types
                        reads.setdefault(target, set()).add(RDF.type)
                    else:
                        walk(member, target)

    roots = {s for kind in (SH.NodeShape, SH.PropertyShape)
             for s in shapes.subjects(RDF.type, kind)}
    for target in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
        roots.update(shapes.subjects(target, None))
    try:
        for shape in roots:
            walk(shape, None)
    except _Unclassified:
        return None
    own = frozenset(reads.pop(None))
    return ShapeReads(own, frozenset(objects),
                      {p: frozenset(read) for p, read in reads.items() if read})


class _Overlay:
    """Membership in a set with a few items added and a few taken out, without copying
    the set."""

    def __init__(self, base: set, more: Iterable = (), less: Iterable = ()):
        self.base, self.more, self.less = base, set(more), set(less)

    def __contains__(self, item) -> bool:
        return item in self.more or (item in self.base and item not in self.less)

    def __iter__(self):
        yield from self.more
        yield from (t for t in self.base if t not in self.less)


class _SameLinks:
    """The outside ``owl:sameAs`` links by subject, with a write's added and dropped."""

    def __init__(self, links: dict, added: Iterable = (), dropped: Iterable = ()):
        self._links, self._dropped = links, set(dropped)
        self._added: dict = {}
        for s, _p, o in added:
            self._added.setdefault(s, set()).add(o)

    def get(self, subject) -> set:
        mine = {o for o in self._links.get(subject, ())
                if (subject, _SAME_AS, o) not in self._dropped}
        return mine | self._added.get(subject, set())


class _ClosureFacts:
    """``vocabulary.AssertedFacts`` over the closure: its triples that are asserted, and
    the outside ``owl:sameAs`` links kept beside it."""

    def __init__(self, closure: Closure, asserted: _Overlay, same: _SameLinks):
        self._closure, self._asserted, self._same = closure, asserted, same

    def about(self, subject):
        yield from (t for t in self._closure.about(subject) if t in self._asserted)
        for o in self._same.get(subject):
            yield subject, _SAME_AS, o

    def pointing_at(self, obj):
        yield from (t for t in self._closure.towards(obj) if t in self._asserted)

    def described_resources(self):
        return {t[0] for t in self._asserted
                if isinstance(t[0], URIRef) and str(t[0]).startswith(str(CAOR))}


class _Named:
    """A graph stand-in whose namespace manager ``validation.show_term`` can use."""

    def __init__(self, names):
        self.namespace_manager = names


class DeltaStore(Store):
    """A read-only rdflib store: a base graph's triples, minus ``removed``, plus
    ``added``. The inferred graph after a write is the accepted one with the write's
    change laid over it like this: the base is shared (it is never changed, so readers
    of older snapshots are safe) and nothing is copied."""

    def __init__(self, base: Graph, added: frozenset, removed: frozenset):
        super().__init__()
        self.base, self.added, self.removed = base, added, removed

    def triples(self, pattern, context=None):
        for triple in self.base.triples(pattern):
            if triple not in self.removed:
                yield triple, iter(())
        if None not in pattern:
            if pattern in self.added:
                yield pattern, iter(())
            return
        for triple in self.added:
            if all(want is None or want == have for want, have in zip(pattern, triple, strict=True)):
                yield triple, iter(())

    def __len__(self, context=None) -> int:
        return len(self.base) - len(self.removed) + len(self.added)

    def contexts(self, triple=None):
        return iter(())

    def add(self, triple, context=None, quoted=False):
        raise TypeError("a snapshot's inferred graph is read-only")

    def remove(self, triple, context=None):
        raise TypeError("a snapshot's inferred graph is read-only")


# The overlay is merged into a new base graph once it holds this share of the base (a
# copy, linear in the closure, every so many changed triples: amortised per write).
_MERGE_SHARE = 4


def _layered(graph: Graph, added: set, removed: set) -> Graph:
    """``graph`` with ``added`` and without ``removed``, as a new read-only graph.

    Costs the overlay's size (everything changed since the last merge), not the graph's."""
    store = graph.store
    if isinstance(store, DeltaStore):
        base, plus, minus = store.base, set(store.added), set(store.removed)
    else:
        base, plus, minus = graph, set(), set()
    for triple in removed:
        if triple in plus:
            plus.discard(triple)
        else:
            minus.add(triple)
    for triple in added:
        if triple in minus:
            minus.discard(triple)
        else:
            plus.add(triple)
    layered = Graph(store=DeltaStore(base, frozenset(plus), frozenset(minus)))
    if len(plus) + len(minus) <= max(1000, len(base) // _MERGE_SHARE):
        return layered
    merged = bind_prefixes(Graph())
    for triple in layered:
        merged.add(triple)
    return merged


def graph_changes(before: dict, changes: dict) -> tuple[list, list]:
    """The triples ``changes`` (graph IRI -> new content, None or empty to delete) add to
    and remove from the graphs ``before``, each once per graph. Costs the changed graphs'
    sizes."""
    added, removed = [], []
    for iri, content in changes.items():
        old = before.get(iri)
        new = content if content is not None else Graph()
        added.extend(t for t in new if old is None or t not in old)
        removed.extend(t for t in old or () if t not in new)
    return added, removed


class SnapshotChecker:
    """The contributions gateway's checks: incremental against the accepted snapshot
    (additions, removals, replacements and deletions of graphs alike), ``pipeline.check``
    when owlrl is chosen or the accepted state needs it (same verdicts, see tests).

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
        if reasoner_name() == "owlrl":  # owlrl chosen: everything in full
            return check(self.asserted, *graphs.values())
        added, removed = graph_changes(old.graphs, changes)
        with self._lock:
            if self._checker is None or self._state is not old:
                try:
                    self._checker = IncrementalChecker.from_asserted(self.asserted,
                                                                     *old.graphs.values())
                except Unsupported:
                    self._checker = self._state = None
                    return check(self.asserted, *graphs.values())
                self._state = old
            result = self._checker.check(added, commit=not dry_run, removed=removed)
            if not dry_run and result.ok:
                self._state = None  # holds the write now; ``accepted`` names its snapshot
            if not result.incremental:
                self._checker = self._state = None
            return result

    def prepare(self, snapshot) -> None:
        """Build the checker for ``snapshot`` now, unless one exists: the first write
        would otherwise pay for it (seconds at 200k triples)."""
        if reasoner_name() == "owlrl":
            return
        with self._lock:
            if self._checker is not None:
                return
            try:
                self._checker = IncrementalChecker.from_asserted(self.asserted,
                                                                 *snapshot.graphs.values())
            except Unsupported:
                return
            self._state = snapshot

    def accepted(self, new) -> None:
        with self._lock:
            if self._checker is not None and self._state is None:
                self._state = new
