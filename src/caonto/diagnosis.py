"""The mistakes contributors make, found and explained in the ontology's own terms.

SHACL cannot see a misspelt term: ``a cao:Treatie`` switches every shape off, and
``cao:signedOn`` is just another predicate. So the triples of a contribution are also
checked here, and each finding says what to write instead:

- a ``cao:`` term the ontology does not define, with the nearest defined one;
- a ``caor:`` IRI used as an object but described nowhere (no triple has it as subject),
  with the nearest resource that is; the shapes' findings about that IRI (its labels,
  its Wikidata link) are left out, since the IRI is most likely a typo;
- a property whose domain or range gives a node a class unrelated to the classes the
  node is asserted to have (``cao:date`` on a treaty makes it a ``cao:Event``), with a
  property that fits (``cao:signingDate``).

``explain_inconsistencies`` rewrites the reasoner's inconsistency messages with prefixed
names, the axiom broken, and the asserted triples that gave the clashing classes.

Everything here reads only the ontology (``Vocabulary``) and asserted triples
(``AssertedFacts``), so the full check and the incremental one report the same findings.
"""

import re
from collections.abc import Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

from caonto.namespaces import CAO, CAOR, CAOSH, bind_prefixes
from caonto.validation import ValidationReport, Violation, violations_first
from caonto.vocabulary import AssertedFacts, Vocabulary, local_name, nearest

# The checks made here, named like shapes (shapes/caonto-shapes.ttl describes them).
KNOWN_TERMS = CAOSH["KnownTerms"]
KNOWN_RESOURCES = CAOSH["KnownResources"]
FITTING_PROPERTIES = CAOSH["FittingProperties"]

_NAMES = bind_prefixes(Graph()).namespace_manager


def show(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return _NAMES.normalizeUri(term)
    return term.n3(_NAMES)


def _in(namespace, term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(str(namespace))


def _finding(check: URIRef, focus: Node, path: Node | None, value: Node | None,
             message: str) -> Violation:
    return Violation(focus_node=show(focus), result_path=show(path) or None,
                     value=show(value) or None, message=message, severity="Violation",
                     source_shape=show(check), source_constraint=local_name(check),
                     terms=(focus, path, value, check, check))


def _asserted_classes(node: Node, vocabulary: Vocabulary, facts: AssertedFacts) -> set:
    return {o for _, p, o in facts.about(node) if p == RDF.type and o in vocabulary.classes}


def _unknown_term(term: URIRef, as_class: bool | None, vocabulary: Vocabulary) -> str:
    guesses = [show(g) for g in vocabulary.nearest_terms(term, as_class)]
    kind = {True: "class", False: "property", None: "term"}[as_class]
    hint = f"did you mean {' or '.join(guesses)}?" if guesses else \
        f"no defined {kind} is close; the ontology's terms are listed at {CAO}"
    return f"{show(term)} is not a {kind} the ontology defines: {hint}"


def _fitting(misused: URIRef, candidates: set) -> URIRef | None:
    """The candidate property that best replaces ``misused``: one whose name contains
    its name (signingDate for date), else the nearest name."""
    word = local_name(misused).lower()
    containing = sorted(c for c in candidates if word in local_name(c).lower() and c != misused)
    return containing[0] if containing else nearest(word, candidates - {misused})


def _misuse(node: Node, prop: URIRef, role: str, given: URIRef, asserted: set,
            vocabulary: Vocabulary) -> str:
    kinds = " and ".join(sorted(show(c) for c in asserted))
    own = sorted(asserted, key=str)[0]
    candidates = (vocabulary.properties_with_domain(own) if role == "domain"
                  else vocabulary.properties_with_range(own))
    better = _fitting(prop, candidates)
    advice = (f"For a {show(own)} use {show(better)}." if better is not None
              else f"Use a property whose {role} fits {show(own)}.")
    return (f"{show(node)} is a {kinds}, but {show(prop)} makes it a {show(given)} as well "
            f"(the {role} of {show(prop)} is {show(given)}). {advice}")


def contribution_findings(triples: Iterable[tuple], vocabulary: Vocabulary,
                          facts: AssertedFacts) -> tuple[list[Violation], set]:
    """The findings about a contribution's ``triples``, and the undescribed ``caor:``
    IRIs among them (whose shape findings the caller leaves out)."""
    findings: dict[tuple, Violation] = {}
    undescribed: set = set()
    candidates = None
    for s, p, o in sorted(set(triples), key=lambda t: tuple(map(str, t))):
        for term, as_class in ((s, None), (p, False), (o, True if p == RDF.type else None)):
            if _in(CAO, term) and not vocabulary.defines(term):
                findings.setdefault((KNOWN_TERMS, s, term), _finding(
                    KNOWN_TERMS, s, p if term is not s else None, term,
                    _unknown_term(term, as_class, vocabulary)))
        if _in(CAOR, o) and next(iter(facts.about(o)), None) is None:
            undescribed.add(o)
            if candidates is None:
                candidates = set(facts.described_resources())
            guess = nearest(local_name(o), candidates)
            hint = f"did you mean {show(guess)}?" if guess is not None else \
                "describe it (a type and its names) or use an existing resource."
            findings.setdefault((KNOWN_RESOURCES, s, p, o), _finding(
                KNOWN_RESOURCES, s, p, o,
                f"{show(o)} is described nowhere in caonto (no triple is about it): {hint}"))
        if p not in vocabulary.properties:
            continue
        for node, role, given_classes in ((s, "domain", vocabulary.domains(p)),
                                          (o, "range", vocabulary.ranges(p))):
            if isinstance(node, Literal) or node in undescribed:
                continue
            asserted = _asserted_classes(node, vocabulary, facts)
            for given in sorted(c for c in given_classes if c in vocabulary.classes):
                if asserted and not any(vocabulary.related(given, a) for a in asserted):
                    findings.setdefault((FITTING_PROPERTIES, node, p, given), _finding(
                        FITTING_PROPERTIES, node, p, given,
                        _misuse(node, p, role, given, asserted, vocabulary)))
    return list(findings.values()), undescribed


def add_findings(report: ValidationReport, findings: list[Violation],
                 undescribed: set) -> ValidationReport:
    """``report`` with ``contribution_findings`` added and the shapes' findings about
    undescribed IRIs left out; it conforms only when no violation remains."""
    hidden = {show(node) for node in undescribed}
    report.violations = violations_first(
        [v for v in report.violations if v.focus_node not in hidden] + findings)
    report.conforms = not any(v.is_violation for v in report.violations)
    return report


# ---- inconsistencies ----------------------------------------------------------------------

_DISJOINT = re.compile(r"^Disjoint classes (\S+) and (\S+) have a common individual (\S+)$")
_IRREFLEXIVE = re.compile(r"^Irreflexive property used on (\S+) with (\S+)$")
_IRI = re.compile(r"https?://[^\s,()<>]+")


def _term(text: str) -> Node:
    return URIRef(text) if "://" in text else BNode(text)


def _triple_text(triple: tuple) -> str:
    return " ".join(show(t) for t in triple)


def _why(node: Node, cls: Node, vocabulary: Vocabulary, facts: AssertedFacts) -> str:
    """The asserted triple (and the axiom) that makes ``node`` a ``cls``."""
    key = lambda t: tuple(map(str, t))  # noqa: E731 - a stable order for the same answer
    own = sorted(facts.about(node), key=key)
    for triple in own:
        if triple[1] == RDF.type and cls in vocabulary.superclasses(triple[2]):
            via = "" if triple[2] == cls else f" (and {show(triple[2])} ⊑ {show(cls)})"
            return f"{_triple_text(triple)}{via}"
    for role, axiom, triples in (("domain", RDFS.domain, own),
                                 ("range", RDFS.range, sorted(facts.pointing_at(node), key=key))):
        for triple in triples:
            for sup in sorted(vocabulary.superproperties(triple[1]), key=str):
                for given in sorted(vocabulary.schema.objects(sup, axiom), key=str):
                    if cls in vocabulary.superclasses(given):
                        return (f"{_triple_text(triple)}, and the {role} of {show(sup)} "
                                f"is {show(given)}")
    return f"{show(node)} is inferred to be a {show(cls)}"


def explain_inconsistencies(messages: list[str], vocabulary: Vocabulary,
                            facts: AssertedFacts) -> list[str]:
    """The reasoner's messages with prefixed names, the axiom and the triples behind them."""
    explained = []
    for message in messages:
        disjoint, irreflexive = _DISJOINT.match(message), _IRREFLEXIVE.match(message)
        if disjoint:
            one, other, node = (_term(t) for t in disjoint.groups())
            explained.append(
                f"{show(node)} cannot be both a {show(one)} and a {show(other)}: the ontology "
                f"makes them disjoint ({vocabulary.disjointness_axiom(one, other)}). "
                f"{show(one)}: {_why(node, one, vocabulary, facts)}. "
                f"{show(other)}: {_why(node, other, vocabulary, facts)}.")
        elif irreflexive:
            node, prop = (_term(t) for t in irreflexive.groups())
            explained.append(
                f"{show(node)} {show(prop)} {show(node)}: {show(prop)} is an "
                f"owl:IrreflexiveProperty, so nothing may have it with itself.")
        else:
            explained.append(_IRI.sub(lambda m: show(URIRef(m.group(0))), message))
    return explained
