"""OWL 2 RL inference with owlrl, kept apart from what was asserted.

owlrl changes its input in place and reports contradictions as triples, so ``infer``
works on a copy and turns those triples into ``InconsistencyError``. What it returns is
only what is new *and* worth publishing; it leaves out:

- owlrl's bookkeeping about the RDF, RDFS, OWL and XSD vocabularies themselves;
- reflexive ``owl:sameAs`` / ``subClassOf`` / ``subPropertyOf`` / ``equivalent*`` triples;
- ``rdf:type owl:Thing`` and ``rdf:type rdfs:Resource`` on every node;
- triples with a literal in subject position;
- anything said about the terms of vocabularies we align to (ORG, PROV, schema.org, ...):
  caonto subclasses them and never adds axioms to them.

``owl:sameAs`` links to outside datasets (Wikidata) are links, not identities to reason
with: they are taken out before the closure, so their entities don't receive copies of
every triple.

Two reasoners compute the closure: ``caonto.reasoner`` (the default: indexed, semi-naive,
incremental) and owlrl (``CAONTO_REASONER=owlrl``, and the fallback whenever the graph
uses a construct the fast one does not implement). Both publish the same triples; the
tests compare them.
"""


from owlrl import DeductiveClosure, OWLRL_Semantics
from owlrl.Namespaces import ERRNS
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from caonto import config
from caonto.namespaces import BASE, bind_prefixes
from caonto.reasoner import Closure, Unsupported

_BUILT_IN = (str(RDF), str(RDFS), str(OWL), str(XSD), str(ERRNS))
_REFLEXIVE_NOISE = {OWL.sameAs, RDFS.subClassOf, RDFS.subPropertyOf,
                    OWL.equivalentClass, OWL.equivalentProperty}
_TRIVIAL_TYPES = {OWL.Thing, RDFS.Resource}


class InconsistencyError(ValueError):
    """The asserted graph contradicts the ontology; ``messages`` holds owlrl's reasons."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("the graph is inconsistent with the ontology:\n" +
                         "\n".join(f"  - {m}" for m in messages))


def _is_ours(term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(BASE)


def is_external_same_as(triple) -> bool:
    s, p, o = triple
    return p == OWL.sameAs and not (_is_ours(s) and _is_ours(o))


def is_publishable(triple) -> bool:
    s, p, o = triple
    if isinstance(s, Literal):
        return False
    if isinstance(s, URIRef) and not _is_ours(s):
        return False  # built-ins, and vocabularies we only align to
    if p in _REFLEXIVE_NOISE and s == o:
        return False
    if p == RDF.type and o in _TRIVIAL_TYPES:
        return False
    return not (isinstance(o, URIRef) and str(o).startswith(str(ERRNS)))


def closure_errors(graph: Graph) -> list[str]:
    """owlrl's inconsistency messages found in a closed graph."""
    return sorted(str(text) for error in graph.subjects(RDF.type, ERRNS.ErrorMessage)
                  for text in graph.objects(error, ERRNS.error))


def reasoner_name() -> str:
    """``fast`` (caonto.reasoner) unless the setting CAONTO_REASONER is ``owlrl``."""
    return config.load().reasoner


def _owlrl_closure(triples) -> tuple[Graph, list[str]]:
    work = Graph()
    for triple in triples:
        work.add(triple)
    DeductiveClosure(OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(work)
    return work, closure_errors(work)


def reasoning_input(asserted) -> list:
    """The triples the closure is computed from: ``asserted`` minus external sameAs links."""
    return [triple for triple in asserted if not is_external_same_as(triple)]


def fast_closure(triples) -> Closure | None:
    """caonto.reasoner's closure of ``triples``, or None when it needs owlrl."""
    try:
        return Closure(triples)
    except Unsupported:
        return None


def publishable(closed, asserted) -> Graph:
    """What ``infer`` returns, given a closed set of triples: new and publishable."""
    inferred = bind_prefixes(Graph())
    for triple in closed:
        if triple not in asserted and is_publishable(triple):
            inferred.add(triple)
    return inferred


def infer(asserted: Graph, reasoner: str | None = None) -> Graph:
    """The publishable OWL-RL entailments of ``asserted`` that it does not already hold.

    ``reasoner`` is "fast" or "owlrl" (default: ``reasoner_name()``); both give the same
    triples. Raises InconsistencyError when the closure is contradictory (e.g. a member
    of two disjoint classes, an irreflexive property used reflexively, a literal that
    does not fit its datatype).
    """
    triples = reasoning_input(asserted)
    closed = fast_closure(triples) if (reasoner or reasoner_name()) == "fast" else None
    if closed is not None:
        errors = closed.errors()
    else:
        closed, errors = _owlrl_closure(triples)
    if errors:
        raise InconsistencyError(errors)
    return publishable(closed, asserted)
