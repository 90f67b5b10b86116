"""The ontology's documentation, read from graph ``caog:ontology`` by SPARQL.

Classes with their hierarchy (a tree over caonto's own classes, outside superclasses
listed as alignments), properties with kind, characteristics, domain, range and
super-properties; the terms of other vocabularies that caonto uses, each with its
``skos:scopeNote`` (how caonto uses it); labels and definitions in the page's language
(English fallback).
Raises whatever the ``select`` function raises; an empty ontology gives empty lists.
"""

from dataclasses import dataclass, field

from caonto.namespaces import CAO, GRAPH_ONTOLOGY, ONTOLOGY_IRI
from caonto.web.describe import Select
from caonto.web.labels import LabelTable

_OWL = "http://www.w3.org/2002/07/owl#"
_PROPERTY_KINDS = (_OWL + "ObjectProperty", _OWL + "DatatypeProperty", _OWL + "AnnotationProperty")
_PREFIXES = """PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


@dataclass
class Term:
    iri: str
    label: str
    label_language: str
    definition: str = ""
    kind: str = ""  # for properties: object, datatype, annotation
    characteristics: list[str] = field(default_factory=list)  # owl:TransitiveProperty ...
    parents: list[str] = field(default_factory=list)  # our own super-terms
    alignments: list[str] = field(default_factory=list)  # outside super-terms
    children: list["Term"] = field(default_factory=list)
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    inverse: list[str] = field(default_factory=list)


@dataclass
class OntologyDocs:
    header: list[tuple[str, str, str]]  # (predicate, value, language) about the ontology
    classes: list[Term]  # alphabetical
    tree: list[Term]  # roots of our class hierarchy, each with its children
    properties: list[Term]
    external: list[Term] = field(default_factory=list)  # other vocabularies' terms we use


def _ours(iri: str) -> bool:
    return iri.startswith(str(CAO))


def _definitions(select: Select, language: str,
                 predicates: str = "skos:definition rdfs:comment") -> dict[str, str]:
    rows = select(_PREFIXES + f"""SELECT ?t ?text WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{
        VALUES ?p {{ {predicates} }} ?t ?p ?text }}
        FILTER(isIRI(?t)) }} ORDER BY ?p""")
    chosen: dict[str, tuple[int, str]] = {}
    for row in rows:
        tag = (row["text"].language or "").lower()
        rank = 0 if tag == language else 1 if tag == "en" else 2
        current = chosen.get(row["t"].value)
        if current is None or rank < current[0]:
            chosen[row["t"].value] = (rank, row["text"].value)
    return {iri: text for iri, (_, text) in chosen.items()}


def _members(select: Select, predicate: str) -> dict[str, list[str]]:
    """IRI objects of ``predicate`` per caonto term, unions (owl:unionOf) unfolded."""
    rows = select(_PREFIXES + f"""SELECT DISTINCT ?t ?o WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{
        ?t {predicate} ?x .
        OPTIONAL {{ ?x owl:unionOf/rdf:rest*/rdf:first ?member }}
        BIND(COALESCE(?member, ?x) AS ?o) }} FILTER(isIRI(?t) && isIRI(?o)) }}""")
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["t"].value, []).append(row["o"].value)
    return found


def read(select: Select, labels: LabelTable, language: str) -> OntologyDocs:
    definitions = _definitions(select, language)

    def term(iri: str) -> Term:
        text, tag = labels.label(iri, language)
        return Term(iri, text, tag, definitions.get(iri, ""))

    header = [(row["p"].value, row["o"].value, getattr(row["o"], "language", "") or "")
              for row in select(f"""SELECT ?p ?o WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{
                  <{ONTOLOGY_IRI}> ?p ?o }} }} ORDER BY ?p ?o""")]

    class_rows = select(_PREFIXES + f"""SELECT DISTINCT ?c WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{
        ?c a owl:Class }} FILTER(isIRI(?c)) }}""")
    classes = {row["c"].value: term(row["c"].value) for row in class_rows
               if _ours(row["c"].value)}
    for iri, supers in _members(select, "rdfs:subClassOf").items():
        if iri in classes:
            for sup in supers:
                (classes[iri].parents if _ours(sup) else classes[iri].alignments).append(sup)
    for item in classes.values():
        for parent in item.parents:
            if parent in classes:
                classes[parent].children.append(item)

    def by_label(items):
        return sorted(items, key=lambda t: (t.label.casefold(), t.iri))

    for item in classes.values():
        item.children = by_label(item.children)
        item.parents.sort()
        item.alignments.sort()
    tree = by_label(t for t in classes.values() if not any(p in classes for p in t.parents))

    kind_rows = select(_PREFIXES + f"""SELECT ?p ?type WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{
        ?p a ?type }} FILTER(isIRI(?p) && STRSTARTS(STR(?type), STR(owl:))
        && STRENDS(STR(?type), "Property")) }}""")
    properties: dict[str, Term] = {}
    for row in kind_rows:
        iri, kind = row["p"].value, row["type"].value
        if not _ours(iri):
            continue
        item = properties.setdefault(iri, term(iri))
        if kind in _PROPERTY_KINDS:
            item.kind = kind[len(_OWL):-len("Property")].lower()
        else:
            item.characteristics.append(kind[len(_OWL):])
    for predicate, slot in (("rdfs:domain", "domain"), ("rdfs:range", "range"),
                            ("rdfs:subPropertyOf", "parents"), ("owl:inverseOf", "inverse")):
        for iri, values in _members(select, predicate).items():
            if iri in properties:
                getattr(properties[iri], slot).extend(sorted(values))
    for item in properties.values():
        item.characteristics.sort()

    usage = _definitions(select, language, "skos:scopeNote")
    kinds = {row["t"].value: row["type"].value for row in select(_PREFIXES + f"""
        SELECT ?t ?type WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{ ?t skos:scopeNote ?n ; a ?type }}
        FILTER(isIRI(?t) && ?type IN (owl:Class, owl:ObjectProperty, owl:DatatypeProperty,
        owl:AnnotationProperty)) }}""")}
    external = []
    for iri, note in usage.items():
        if not _ours(iri):
            text, tag = labels.label(iri, language)
            external.append(Term(iri, text, tag, note, kind=kinds.get(iri, "")[len(_OWL):]))
    external.sort(key=lambda t: t.iri)
    return OntologyDocs(header, by_label(classes.values()), tree, by_label(properties.values()),
                        external)
