"""A forward chainer for the part of OWL 2 RL that caonto's ontology uses, fast and incremental.

It computes the same closure as owlrl's ``OWLRL_Semantics`` (no axiomatic triples) for
graphs built from these constructs: subclass/subproperty, domain/range, equivalent
classes and properties, inverse, symmetric, transitive, functional and inverse-functional
properties, property chains, ``owl:sameAs``, and the checks for disjoint classes
(``owl:disjointWith``, ``owl:AllDisjointClasses``), irreflexive and asymmetric properties,
disjoint properties, ``owl:differentFrom``, ``owl:Nothing`` and malformed typed literals.
Anything else (class restrictions, ``owl:unionOf``, keys, ...) raises ``Unsupported``
so the caller can fall back to owlrl instead of publishing a different closure.

Why not owlrl: it re-examines every triple on every cycle (and scans the graph for each
rule), which is quadratic in practice. Here each triple fires its rules once, when it
enters the store, joining against hash indexes (predicate → subject → objects and
predicate → object → subjects); every rule fires from each of its body atoms, so a
triple arriving late still meets the ones already stored. The same property makes
additions incremental: ``add`` starts from a closed store and fires only the new triples.

Removals are incremental too (``remove``), by delete-and-rederive: every triple a rule
derives from a removed triple, transitively, is taken out (over-deletion: the same rules,
fired with a collector instead of the store), then whatever still follows from what
remains is derived again. Re-derivation fires only the remaining triples whose subject or
object is the subject of an over-deleted triple: every rule here has a body atom holding
its head's subject in subject or object position (scm-cls's ``owl:Nothing ⊑ c`` aside:
its atom holds ``c``), and a rule fires from each of its body atoms, so that suffices.
Its cost is the over-deleted triples plus the neighbourhoods of their subjects; an axiom
removed from the ontology can make that most of the store.

Reflexive ``owl:sameAs``/``rdfs:subClassOf``/``rdfs:subPropertyOf``/``owl:equivalent*``
triples are never stored: owlrl derives them for every node, but no rule here can use
them to reach anything else, and ``caonto.inference`` never publishes them.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from types import MappingProxyType

from owlrl.AxiomaticTriples import OWLRL_Datatypes_Disjointness
from owlrl.DatatypeHandling import AltXSDToPYTHON
from owlrl.XsdDatatypes import OWL_Datatype_Subsumptions, OWL_RL_Datatypes
from rdflib import BNode, Literal
from rdflib.namespace import OWL, RDF, RDFS, XSD

TYPE, SCO, SPO = RDF.type, RDFS.subClassOf, RDFS.subPropertyOf
DOMAIN, RANGE = RDFS.domain, RDFS.range
EQC, EQP, INV, SAME, DIFF = (OWL.equivalentClass, OWL.equivalentProperty, OWL.inverseOf,
                             OWL.sameAs, OWL.differentFrom)
CHAIN, FIRST, REST = OWL.propertyChainAxiom, RDF.first, RDF.rest
_REFLEXIVE_INERT = {SAME, SCO, SPO, EQC, EQP}
_CHARACTERISTICS = {OWL.FunctionalProperty, OWL.InverseFunctionalProperty,
                    OWL.SymmetricProperty, OWL.TransitiveProperty}
_UNSUPPORTED_PREDICATES = {OWL.someValuesFrom, OWL.allValuesFrom, OWL.hasValue,
                           OWL.maxCardinality, OWL.maxQualifiedCardinality, OWL.intersectionOf,
                           OWL.unionOf, OWL.complementOf, OWL.oneOf, OWL.hasKey,
                           OWL.sourceIndividual, OWL.distinctMembers}
_UNSUPPORTED_TYPES = {OWL.AllDifferent, OWL.AllDisjointProperties}
_RL_DATATYPES = frozenset(OWL_RL_Datatypes)
# Triples every closure holds whatever it was built from: never over-deleted.
_PERMANENT = frozenset({(OWL.Thing, TYPE, OWL.Class), (OWL.Nothing, TYPE, OWL.Class),
                        *((d, TYPE, RDFS.Datatype) for d in OWL_RL_Datatypes)})
_DATATYPE_PAIRS = frozenset((left, right) for left, _, right in OWLRL_Datatypes_Disjointness)
_EMPTY: frozenset = frozenset()
_NO_INDEX = MappingProxyType({})  # read-only stand-in for a missing index

Triple = tuple


class Unsupported(ValueError):
    """The graph uses an OWL construct this reasoner does not implement; use owlrl."""


# XML Schema's lexical space of xsd:float and xsd:double. owlrl's converters refuse NaN,
# INF and 0, which are valid, so these two are checked against the standard instead.
_FLOATING = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([Ee][+-]?[0-9]+)?|[+-]?INF|NaN")
_FLOATING_TYPES = (XSD.float, XSD.double)


def _literal_check(literal: Literal) -> str | None:
    # owlrl's dt-not-type check, with its own lexical-to-value converters.
    converter = AltXSDToPYTHON.get(literal.datatype, lambda value: value)
    try:
        if literal.datatype in _FLOATING_TYPES:
            if not _FLOATING.fullmatch(str(literal)):
                raise ValueError(str(literal))
        else:
            converter(str(literal))
    except ValueError:
        return (f"Lexical value of the literal '{literal}' does not match its datatype "
                f"({literal.datatype})")
    return None


def _datatypes_used(triple: Triple) -> list:
    s, p, o = triple
    if isinstance(o, Literal) and o.datatype in _RL_DATATYPES:
        return [o.datatype]
    return [o] if p == TYPE and o in _RL_DATATYPES else []


def _wider_or_same(datatype) -> set:
    return {datatype, *OWL_Datatype_Subsumptions.get(datatype, ())}


class Closure:
    """An OWL-RL closed set of triples with the indexes its rules join on.

    ``Closure(triples)`` closes ``triples``; ``add(more)`` extends the closure. Both raise
    ``Unsupported`` for constructs outside the implemented rules (the store is then
    unusable). ``errors()`` lists owlrl-worded inconsistency messages.
    """

    def __init__(self, triples: Iterable[Triple] = ()):
        self._sp: dict = defaultdict(dict)  # predicate -> subject -> set of objects
        self._po: dict = defaultdict(dict)  # predicate -> object -> set of subjects
        self._pending: list[Triple] = []
        self._added: list[Triple] = []
        self._chains: dict | None = None  # property -> [(chain property, members, position)]
        self._lexical_errors: dict = {}  # asserted literal -> message
        self._datatype_uses: Counter = Counter()  # datatype -> asserted triples using it
        self.size = 0
        for axiom in ((OWL.Thing, TYPE, OWL.Class), (OWL.Nothing, TYPE, OWL.Class)):
            self._derive(*axiom)
        self.add(triples)

    # -- reading --
    def __contains__(self, triple: Triple) -> bool:
        s, p, o = triple
        return o in self._sp.get(p, _NO_INDEX).get(s, _EMPTY)

    def __iter__(self) -> Iterator[Triple]:
        for p, by_subject in self._sp.items():
            for s, objects in by_subject.items():
                for o in objects:
                    yield s, p, o

    def __len__(self) -> int:
        return self.size

    def objects(self, s, p):
        return self._sp.get(p, _NO_INDEX).get(s, _EMPTY)

    def subjects(self, p, o):
        return self._po.get(p, _NO_INDEX).get(o, _EMPTY)

    def pointing_at(self, o) -> set:
        """Every subject with some triple whose object is ``o``."""
        return {s for by_object in self._po.values() for s in by_object.get(o, _EMPTY)}

    def about(self, s) -> Iterator[Triple]:
        """Every triple whose subject is ``s``."""
        for p, by_subject in self._sp.items():
            for o in by_subject.get(s, _EMPTY):
                yield s, p, o

    def towards(self, o) -> Iterator[Triple]:
        """Every triple whose object is ``o``."""
        for p, by_object in self._po.items():
            for s in by_object.get(o, _EMPTY):
                yield s, p, o

    # -- writing --
    def add(self, triples: Iterable[Triple]) -> list[Triple]:
        """Add asserted triples and everything they entail (semi-naive: only new
        triples fire rules); return the triples that were not there before.
        Raises Unsupported (the store is then unusable)."""
        triples = list(triples)
        self._added = []
        self._datatype_rules(triples)
        for triple in triples:
            self._derive(*triple)
        self._run()
        added, self._added = self._added, []
        return added

    def remove(self, triples: Iterable[Triple], still_asserted) -> list[Triple]:
        """Take out asserted ``triples`` and everything that no longer follows without
        them (delete and re-derive); return the triples the closure lost.
        ``still_asserted(triple)`` tells which triples remain asserted after the removal
        (they stay, whatever else goes)."""
        gone = [t for t in dict.fromkeys(triples) if t in self and not still_asserted(t)]
        self._added = []
        seeds = gone + self._forget_datatype_uses(gone)
        doomed: set = set()
        frontier: list = []

        def condemn(s, p, o) -> None:
            triple = (s, p, o)
            if (triple not in doomed and triple in self and triple not in _PERMANENT
                    and not still_asserted(triple)):
                doomed.add(triple)
                frontier.append(triple)

        for triple in seeds:
            condemn(*triple)
        self._derive = condemn  # over-delete: the rules' conclusions are collected
        try:
            while frontier:
                self._fire(*frontier.pop())
        finally:
            del self._derive
        for triple in doomed:
            self._unindex(*triple)
        self._chains = None
        # re-derive from the neighbourhood; scm-cls's owl:Nothing ⊑ c is the one head whose
        # subject is a constant, and its body atom (c a owl:Class) holds its object
        for node in {o if s == OWL.Nothing else s for s, _, o in doomed}:
            for triple in [*self.about(node), *self.towards(node)]:
                self._fire(*triple)
        for triple in doomed:
            if self._datatype_supported(triple, still_asserted):
                self._derive(*triple)
        self._run()
        back, self._added = set(self._added), []
        for literal in {o for _, _, o in gone if o in self._lexical_errors}:
            if not any(still_asserted(t) for t in self.towards(literal)):
                del self._lexical_errors[literal]
        return [t for t in doomed if t not in back]

    def savepoint(self) -> tuple:
        """State that ``rollback`` and ``restore`` need besides the triples."""
        return dict(self._lexical_errors), Counter(self._datatype_uses), self.size

    def rollback(self, added: list[Triple], savepoint: tuple) -> None:
        """Undo one ``add`` (given what it returned): used to try a write and drop it."""
        for triple in added:
            self._unindex(*triple)
        self._lexical_errors, self._datatype_uses, self.size = savepoint
        self._chains = None

    def restore(self, removed: list[Triple], savepoint: tuple) -> None:
        """Undo one ``remove`` (given what it returned and the savepoint taken before)."""
        for s, p, o in removed:
            self._sp[p].setdefault(s, set()).add(o)
            self._po[p].setdefault(o, set()).add(s)
        self._lexical_errors, self._datatype_uses, self.size = savepoint
        self._chains = None

    def _unindex(self, s, p, o) -> None:
        objects, subjects = self._sp[p][s], self._po[p][o]
        objects.discard(o)
        subjects.discard(s)
        if not objects:
            del self._sp[p][s]
        if not subjects:
            del self._po[p][o]
        self.size -= 1

    def _derive(self, s, p, o) -> None:
        if isinstance(p, Literal) or (s == o and p in _REFLEXIVE_INERT):
            return
        if o not in self._sp[p].get(s, _EMPTY):
            self._pending.append((s, p, o))

    def _run(self) -> None:
        pending = self._pending
        while pending:
            s, p, o = pending.pop()
            objects = self._sp[p].setdefault(s, set())
            if o in objects:
                continue
            objects.add(o)
            self._po[p].setdefault(o, set()).add(s)
            self.size += 1
            self._added.append((s, p, o))
            self._fire(s, p, o)

    def _pairs(self, p) -> Iterator[tuple]:
        for s, objects in list(self._sp.get(p, _NO_INDEX).items()):
            for o in list(objects):
                yield s, o

    def _both(self, p, x) -> set:
        # partners of x through a symmetric-in-effect axiom (inverseOf, equivalent*)
        return self.objects(x, p) | self.subjects(p, x)

    # -- rules --
    def _fire(self, s, p, o) -> None:
        derive, objects, subjects = self._derive, self.objects, self.subjects
        if p in _UNSUPPORTED_PREDICATES or isinstance(p, BNode):
            raise Unsupported(f"the reasoner does not implement {p}")
        for c in objects(p, DOMAIN):  # prp-dom
            derive(s, TYPE, c)
        for c in objects(p, RANGE):  # prp-rng
            derive(o, TYPE, c)
        kinds = objects(p, TYPE)
        if kinds:
            if OWL.FunctionalProperty in kinds:  # prp-fp
                for other in list(objects(s, p)):
                    if other != o:
                        derive(o, SAME, other)
                        derive(other, SAME, o)
            if OWL.InverseFunctionalProperty in kinds:  # prp-ifp
                for other in list(subjects(p, o)):
                    if other != s:
                        derive(s, SAME, other)
                        derive(other, SAME, s)
            if OWL.SymmetricProperty in kinds:  # prp-symp
                derive(o, p, s)
            if OWL.TransitiveProperty in kinds:  # prp-trp, from either atom
                for z in list(objects(o, p)):
                    derive(s, p, z)
                for w in list(subjects(p, s)):
                    derive(w, p, o)
        for q in objects(p, SPO):  # prp-spo1
            derive(s, q, o)
        for q in self._both(EQP, p):  # prp-eqp1/2
            derive(s, q, o)
        for q in self._both(INV, p):  # prp-inv1/2
            derive(o, q, s)
        for chain_property, members, position in self._chain_index().get(p, ()):  # prp-spo2
            self._chain_through(chain_property, members, position, s, o)
        if SAME in self._sp:  # eq-rep-s/p/o for triples arriving after the sameAs link
            for other in objects(s, SAME):
                derive(other, p, o)
            for other in objects(p, SAME):
                derive(s, other, o)
            for other in objects(o, SAME):
                derive(s, p, other)
        handler = self._schema_rules.get(p)
        if handler:
            handler(self, s, o)

    def _on_type(self, x, c) -> None:
        derive = self._derive
        if c in _UNSUPPORTED_TYPES:
            raise Unsupported(f"the reasoner does not implement {c}")
        for d in self.objects(c, SCO):  # cax-sco
            derive(x, TYPE, d)
        for d in self._both(EQC, c):  # cax-eqc1/2
            derive(x, TYPE, d)
        if c == OWL.Class:  # scm-cls (the reflexive half is inert)
            derive(x, SCO, OWL.Thing)
            derive(OWL.Nothing, SCO, x)
        elif c in _CHARACTERISTICS:  # x just became a property with this characteristic
            self._apply_characteristic(x, c)

    def _apply_characteristic(self, p, kind) -> None:
        derive = self._derive
        for s, o in self._pairs(p):
            if kind == OWL.SymmetricProperty:
                derive(o, p, s)
            elif kind == OWL.TransitiveProperty:
                for z in list(self.objects(o, p)):
                    derive(s, p, z)
            elif kind == OWL.FunctionalProperty:
                for other in self.objects(s, p):
                    if other != o:
                        derive(o, SAME, other)
            else:
                for other in self.subjects(p, o):
                    if other != s:
                        derive(s, SAME, other)

    def _on_subclass(self, c1, c2) -> None:
        derive = self._derive
        for x in list(self.subjects(TYPE, c1)):  # cax-sco
            derive(x, TYPE, c2)
        for c3 in list(self.objects(c2, SCO)):  # scm-sco, from the first atom
            if c3 != c1:
                derive(c1, SCO, c3)
        for c0 in list(self.subjects(SCO, c1)):  # scm-sco, from the second atom
            if c0 != c2:
                derive(c0, SCO, c2)
        if c1 in self.objects(c2, SCO):  # scm-eqc2
            derive(c1, EQC, c2)
            derive(c2, EQC, c1)
        for p in list(self.subjects(DOMAIN, c1)):  # scm-dom1
            derive(p, DOMAIN, c2)
        for p in list(self.subjects(RANGE, c1)):  # scm-rng1
            derive(p, RANGE, c2)

    def _on_equivalent_class(self, c1, c2) -> None:
        for x in list(self.subjects(TYPE, c1)):  # cax-eqc1
            self._derive(x, TYPE, c2)
        for x in list(self.subjects(TYPE, c2)):  # cax-eqc2
            self._derive(x, TYPE, c1)
        self._derive(c1, SCO, c2)  # scm-eqc1
        self._derive(c2, SCO, c1)

    def _on_subproperty(self, p1, p2) -> None:
        derive = self._derive
        for s, o in self._pairs(p1):  # prp-spo1
            derive(s, p2, o)
        for p3 in list(self.objects(p2, SPO)):  # scm-spo, both atoms
            if p3 != p1:
                derive(p1, SPO, p3)
        for p0 in list(self.subjects(SPO, p1)):
            if p0 != p2:
                derive(p0, SPO, p2)
        if p1 in self.objects(p2, SPO):  # scm-eqp2
            derive(p1, EQP, p2)
            derive(p2, EQP, p1)
        for c in list(self.objects(p2, DOMAIN)):  # scm-dom2
            derive(p1, DOMAIN, c)
        for c in list(self.objects(p2, RANGE)):  # scm-rng2
            derive(p1, RANGE, c)

    def _on_equivalent_property(self, p1, p2) -> None:
        for s, o in self._pairs(p1):  # prp-eqp1
            self._derive(s, p2, o)
        for s, o in self._pairs(p2):  # prp-eqp2
            self._derive(s, p1, o)
        self._derive(p1, SPO, p2)  # scm-eqp1
        self._derive(p2, SPO, p1)

    def _on_domain(self, p, c) -> None:
        for s in list(self._sp.get(p, _NO_INDEX)):  # prp-dom
            self._derive(s, TYPE, c)
        self._domain_range_schema(DOMAIN, p, c)

    def _on_range(self, p, c) -> None:
        for o in list(self._po.get(p, _NO_INDEX)):  # prp-rng
            self._derive(o, TYPE, c)
        self._domain_range_schema(RANGE, p, c)

    def _domain_range_schema(self, which, p, c) -> None:
        for d in list(self.objects(c, SCO)):  # scm-dom1 / scm-rng1
            self._derive(p, which, d)
        for q in list(self.subjects(SPO, p)):  # scm-dom2 / scm-rng2
            self._derive(q, which, c)

    def _on_inverse(self, p1, p2) -> None:
        for s, o in self._pairs(p1):
            self._derive(o, p2, s)
        for s, o in self._pairs(p2):
            self._derive(o, p1, s)

    def _on_same(self, x, y) -> None:
        derive = self._derive
        derive(y, SAME, x)  # eq-sym
        for z in list(self.objects(y, SAME)):  # eq-trans, both atoms
            derive(x, SAME, z)
        for w in list(self.subjects(SAME, x)):
            derive(w, SAME, y)
        for p, by_subject in list(self._sp.items()):  # eq-rep-s, eq-rep-o
            for o in list(by_subject.get(x, _EMPTY)):
                derive(y, p, o)
            for s in list(self._po[p].get(x, _EMPTY)):
                derive(s, p, y)
        for s, o in self._pairs(x):  # eq-rep-p
            derive(s, y, o)

    def _on_list_change(self, _s, _o) -> None:
        # A chain axiom or a list cell arrived: re-derive every chain over the whole store.
        self._chains = None
        for chain_property, members in self._all_chains():
            if members:
                for s, o in self._pairs(members[0]):
                    self._chain_through(chain_property, members, 0, s, o)

    _schema_rules = {TYPE: _on_type, SCO: _on_subclass, EQC: _on_equivalent_class,
                     SPO: _on_subproperty, EQP: _on_equivalent_property, DOMAIN: _on_domain,
                     RANGE: _on_range, INV: _on_inverse, SAME: _on_same,
                     CHAIN: _on_list_change, FIRST: _on_list_change, REST: _on_list_change}

    # -- property chains --
    def _list(self, head) -> list | None:
        """The members of an RDF list, or None while it does not (yet) end in rdf:nil:
        cells arrive in any order, and a partial chain would derive wrong triples."""
        items, seen = [], set()
        while head != RDF.nil:
            first = next(iter(self.objects(head, FIRST)), None)
            rest = next(iter(self.objects(head, REST)), None)
            if first is None or rest is None or head in seen:
                return None
            seen.add(head)
            items.append(first)
            head = rest
        return items

    def _all_chains(self) -> list[tuple]:
        chains = [(p, self._list(head)) for p, head in self._pairs(CHAIN)]
        return [(p, members) for p, members in chains if members]

    def _chain_index(self) -> dict:
        if self._chains is None:
            index: dict = defaultdict(list)
            for chain_property, members in self._all_chains():
                for position, member in enumerate(members):
                    index[member].append((chain_property, members, position))
            self._chains = dict(index)
        return self._chains

    def _chain_through(self, chain_property, members, position, s, o) -> None:
        starts = {s}
        for q in reversed(members[:position]):
            starts = {u for n in starts for u in self.subjects(q, n)}
            if not starts:
                return
        ends = {o}
        for q in members[position + 1:]:
            ends = {v for n in ends for v in self.objects(n, q)}
            if not ends:
                return
        for u in starts:
            for v in ends:
                self._derive(u, chain_property, v)

    # -- datatypes (owlrl's one-time rules, applied to each batch of asserted triples) --
    def _datatype_rules(self, asserted: list[Triple]) -> None:
        implicit = {o: o.datatype for _, _, o in asserted
                    if isinstance(o, Literal) and o.datatype in _RL_DATATYPES}
        explicit: dict = defaultdict(set)
        for s, p, o in asserted:
            if p == TYPE and o in _RL_DATATYPES and s not in implicit:
                explicit[s].add(o)
        for s, p, o in asserted:
            if p == SAME and (isinstance(s, Literal) or isinstance(o, Literal)
                              or s in explicit or o in explicit):
                raise Unsupported("owl:sameAs between literals or datatype values")
        for triple in asserted:
            self._datatype_uses.update(_datatypes_used(triple))
        for literal, datatype in implicit.items():
            self._derive(literal, TYPE, datatype)
            message = _literal_check(literal)
            if message:
                self._lexical_errors[literal] = message
        for datatype in OWL_RL_Datatypes:
            self._derive(datatype, TYPE, RDFS.Datatype)
        typed = [(r, dt) for r, dts in explicit.items() for dt in dts] + list(implicit.items())
        for r, datatype in typed:
            for wider in OWL_Datatype_Subsumptions.get(datatype, ()):
                self._derive(r, TYPE, wider)
                self._derive(wider, TYPE, RDFS.Datatype)
        used = self._used_datatypes()
        for left, predicate, right in OWLRL_Datatypes_Disjointness:
            if left in used and right in used:
                self._derive(left, predicate, right)

    def _used_datatypes(self) -> set:
        used = {d for d, uses in self._datatype_uses.items() if uses > 0}
        return used.union(*(OWL_Datatype_Subsumptions.get(d, ()) for d in used))

    def _forget_datatype_uses(self, removed: list[Triple]) -> list[Triple]:
        """Count ``removed`` out of the datatype rules; return the triples those rules
        derived from them (candidates for over-deletion)."""
        before = self._used_datatypes()
        seeds = []
        for s, p, o in removed:
            self._datatype_uses.subtract(_datatypes_used((s, p, o)))
            if isinstance(o, Literal) and o.datatype in _RL_DATATYPES:
                seeds += [(o, TYPE, d) for d in _wider_or_same(o.datatype)]
            if p == TYPE and o in _RL_DATATYPES:
                seeds += [(s, TYPE, d) for d in OWL_Datatype_Subsumptions.get(o, ())]
        unused = before - self._used_datatypes()
        seeds += [(left, predicate, right) for left, predicate, right
                  in OWLRL_Datatypes_Disjointness if left in unused or right in unused]
        return seeds

    def _datatype_supported(self, triple: Triple, still_asserted) -> bool:
        """Whether the datatype rules still give ``triple`` after a removal."""
        s, p, o = triple
        if p == OWL.disjointWith and (s, o) in _DATATYPE_PAIRS:
            used = self._used_datatypes()
            return s in used and o in used
        if p != TYPE:
            return False
        if isinstance(s, Literal):
            return (s.datatype in _RL_DATATYPES and o in _wider_or_same(s.datatype)
                    and any(still_asserted(t) for t in self.towards(s)))
        return any(o in OWL_Datatype_Subsumptions.get(d, ()) and still_asserted((s, TYPE, d))
                   for d in self.objects(s, TYPE) if d in _RL_DATATYPES)

    # -- inconsistencies, worded as owlrl words them --
    def errors(self) -> list[str]:
        """Sorted inconsistency messages of the current closure (empty when consistent)."""
        found = set(self._lexical_errors.values())
        members = self.subjects
        for c1, others in list(self._sp.get(OWL.disjointWith, _NO_INDEX).items()):  # cax-dw
            for c2 in others:
                for x in members(TYPE, c1) & members(TYPE, c2):
                    found.add(f"Disjoint classes {c1} and {c2} have a common individual {x}")
        for x in members(TYPE, OWL.AllDisjointClasses):  # cax-adc
            for head in self.objects(x, OWL.members):
                classes = self._list(head) or []
                for i, c1 in enumerate(classes[:-1]):
                    for c2 in classes[i + 1:]:
                        for z in members(TYPE, c1) & members(TYPE, c2):
                            found.add(f"Disjoint classes {c1} and {c2} have a common "
                                      f"individual {z}")
        for p in members(TYPE, OWL.IrreflexiveProperty):  # prp-irp
            for x, objects in self._sp.get(p, _NO_INDEX).items():
                if x in objects:
                    found.add(f"Irreflexive property used on {x} with {p}")
        for p in members(TYPE, OWL.AsymmetricProperty):  # prp-asyp
            for x, y in self._pairs(p):
                if x in self.objects(y, p):
                    found.add(f"Erroneous usage of asymmetric property {p} on {x} and {y}")
        for p1, p2 in self._pairs(OWL.propertyDisjointWith):  # prp-pdw
            for x, objects in self._sp.get(p1, _NO_INDEX).items():
                for y in objects & self.objects(x, p2):
                    found.add(f"Erroneous usage of disjoint properties {p1} and {p2} "
                              f"on {x} and {y}")
        for c in members(TYPE, OWL.Nothing):  # cls-nothing2
            found.add(f"{c} is defined of type 'Nothing'")
        for a, b in self._pairs(DIFF):  # eq-diff1
            if a == b or b in self.objects(a, SAME):
                for left, right in {(a, b), (b, a)}:
                    found.add("'sameAs' and 'differentFrom' cannot be used on the same "
                              f"subject-object pair: ({left}, {right})")
        return sorted(found)
