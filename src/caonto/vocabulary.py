"""The ontology's terms, and the asserted triples a finding is explained from.

``Vocabulary`` answers what the ontology defines under ``cao:`` (classes, properties and
the rest), its class and property hierarchies, domains, ranges and disjointness, and the
defined term nearest to a misspelt one. ``AssertedFacts`` is the small view of the
asserted data that ``caonto.diagnosis`` reads: ``GraphFacts`` over an rdflib graph (the
full check) and, in ``caonto.incremental``, one over the incremental closure. Both give
the same answers for the same asserted triples, so both checks explain alike.
"""

import difflib
from collections.abc import Iterable, Iterator
from typing import Protocol

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from caonto.namespaces import CAO, CAOR, bind_prefixes

_CLASS_TYPES = (OWL.Class, RDFS.Class)
_PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
                   RDF.Property, OWL.TransitiveProperty, OWL.SymmetricProperty,
                   OWL.FunctionalProperty, OWL.InverseFunctionalProperty,
                   OWL.IrreflexiveProperty, OWL.AsymmetricProperty)
_SCHEMA = {RDF.type, RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range,
           OWL.equivalentClass, OWL.disjointWith, OWL.members, RDF.first, RDF.rest}


def local_name(iri: Node) -> str:
    return str(iri).rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def nearest_ones(word: str, candidates: Iterable[URIRef], n: int = 3) -> list[URIRef]:
    """Up to ``n`` candidates whose local names are close enough to ``word`` (case
    ignored) to be a likely misspelling, closest first; ties go to the smaller IRI."""
    by_name: dict[str, URIRef] = {}
    for candidate in sorted(candidates):
        by_name.setdefault(local_name(candidate).lower(), candidate)
    return [by_name[m] for m in difflib.get_close_matches(word.lower(), sorted(by_name), n=n,
                                                          cutoff=0.5)]


def nearest(word: str, candidates: Iterable[URIRef]) -> URIRef | None:
    """The closest of :func:`nearest_ones`, or None."""
    found = nearest_ones(word, candidates, n=1)
    return found[0] if found else None


class Vocabulary:
    """What the ontology graph defines, with its hierarchies (built once per graph)."""

    def __init__(self, triples: Iterable):
        self.schema = bind_prefixes(Graph())
        for s, p, o in triples:
            # the terms' own triples, and axioms and lists (blank nodes) that use them
            if isinstance(s, BNode) and p in _SCHEMA or str(s).startswith(str(CAO)):
                self.schema.add((s, p, o))
        defined = {s for s in self.schema.subjects() if isinstance(s, URIRef)
                   and str(s).startswith(str(CAO))}
        self.classes = {c for c in defined if any((c, RDF.type, t) in self.schema
                                                  for t in _CLASS_TYPES)}
        self.properties = {p for p in defined if any((p, RDF.type, t) in self.schema
                                                     for t in _PROPERTY_TYPES)}
        self.terms = defined

    @classmethod
    def of_graph(cls, ontology: Graph) -> "Vocabulary":
        return cls(iter(ontology))

    def defines(self, term: URIRef) -> bool:
        return term in self.terms

    def nearest_terms(self, term: URIRef, as_class: bool | None = None) -> list[URIRef]:
        """Up to three defined terms nearest to ``term``, among classes, properties or all
        terms, closest first."""
        pool = self.terms if as_class is None else (self.classes if as_class else self.properties)
        return nearest_ones(local_name(term), pool)

    def superclasses(self, cls: Node) -> set:
        """``cls`` and every class above it (subClassOf, equivalentClass), transitively."""
        return self._upward(cls, (RDFS.subClassOf, OWL.equivalentClass), both_ways=(
            OWL.equivalentClass,))

    def superproperties(self, prop: Node) -> set:
        return self._upward(prop, (RDFS.subPropertyOf, OWL.equivalentProperty),
                            both_ways=(OWL.equivalentProperty,))

    def _upward(self, start: Node, predicates: tuple, both_ways: tuple) -> set:
        seen, todo = {start}, [start]
        while todo:
            node = todo.pop()
            above = [o for p in predicates for o in self.schema.objects(node, p)]
            above += [s for p in both_ways for s in self.schema.subjects(p, node)]
            for other in above:
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return seen

    def domains(self, prop: Node) -> set:
        """The classes ``prop`` (through its super-properties) gives its subjects."""
        return {d for p in self.superproperties(prop) for d in self.schema.objects(p, RDFS.domain)}

    def ranges(self, prop: Node) -> set:
        return {r for p in self.superproperties(prop) for r in self.schema.objects(p, RDFS.range)}

    def related(self, one: Node, other: Node) -> bool:
        """True when one class is the other or above or below it."""
        return other in self.superclasses(one) or one in self.superclasses(other)

    def properties_with_domain(self, cls: Node) -> set:
        """Properties whose own domain is ``cls`` or a class above it."""
        above = self.superclasses(cls)
        return {p for p in self.properties if set(self.schema.objects(p, RDFS.domain)) & above}

    def properties_with_range(self, cls: Node) -> set:
        above = self.superclasses(cls)
        return {p for p in self.properties if set(self.schema.objects(p, RDFS.range)) & above}

    def disjointness_axiom(self, one: Node, other: Node) -> str:
        """The axiom that makes two classes disjoint, in Turtle with prefixed names."""
        show = self.schema.namespace_manager.normalizeUri
        for a, b in ((one, other), (other, one)):
            if (a, OWL.disjointWith, b) in self.schema:
                return f"{show(a)} owl:disjointWith {show(b)}"
        for axiom in self.schema.subjects(RDF.type, OWL.AllDisjointClasses):
            members = self._list(self.schema.value(axiom, OWL.members))
            if one in members and other in members:
                return "owl:AllDisjointClasses (" + " ".join(show(m) for m in members) + ")"
        return f"{show(one)} and {show(other)} are disjoint"

    def _list(self, head) -> list:
        items = []
        while head is not None and head != RDF.nil:
            items.append(self.schema.value(head, RDF.first))
            head = self.schema.value(head, RDF.rest)
        return items


class AssertedFacts(Protocol):
    """The asserted triples (ontology, data, contributions), as the diagnosis reads them."""

    def about(self, subject: Node) -> Iterator[tuple]: ...

    def pointing_at(self, obj: Node) -> Iterator[tuple]: ...

    def described_resources(self) -> Iterable[URIRef]: ...


class GraphFacts:
    """``AssertedFacts`` over an rdflib graph of asserted triples."""

    def __init__(self, graph: Graph):
        self.graph = graph

    def about(self, subject: Node) -> Iterator[tuple]:
        return self.graph.triples((subject, None, None))

    def pointing_at(self, obj: Node) -> Iterator[tuple]:
        return self.graph.triples((None, None, obj))

    def described_resources(self) -> Iterable[URIRef]:
        return {s for s in self.graph.subjects() if isinstance(s, URIRef)
                and str(s).startswith(str(CAOR))}
