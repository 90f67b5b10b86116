"""SHACL validation with pySHACL, reported in terms a contributor can act on.

``validate_graph`` runs the shapes over a graph that already holds everything to be
judged (ontology, data and the OWL-RL closure — see ``caonto.pipeline``), so pySHACL's own
inference stays off. Each violation names its focus node, path, value, the shape and
its message, and — when the focus node carries ``cao:statedIn`` — the essay sentence.
"""

import json
from dataclasses import dataclass, field

from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from caonto.namespaces import CAO, bind_prefixes
from caonto.rdf_io import parse_files, rdf_files
from caonto.resources import resource_paths

# The fields of a finding that the JSON report shows (the rdflib terms stay inside).
_SHOWN_FIELDS = ("focus_node", "result_path", "value", "message", "severity", "source_shape",
                 "source_constraint", "sentence")


@dataclass(frozen=True)
class Violation:
    """One finding (a violation, a warning or an info), as a contributor reads it."""

    focus_node: str
    result_path: str | None
    value: str | None
    message: str
    severity: str
    source_shape: str
    source_constraint: str
    sentence: str | None = None  # the essay sentence the focus node was stated in, if any
    # (focus, path, value, shape, constraint component) as rdflib terms, for the Turtle form;
    # a path given as a blank node comes with the triples that spell it out.
    terms: tuple = field(default=(), compare=False, repr=False)
    path_triples: tuple = field(default=(), compare=False, repr=False)

    @property
    def is_violation(self) -> bool:
        return self.severity == "Violation"

    def shown(self) -> dict:
        return {name: getattr(self, name) for name in _SHOWN_FIELDS}


def violations_first(findings) -> list[Violation]:
    """Violations before warnings and infos; within each, by focus node, path, message."""
    return sorted(findings, key=lambda v: (not v.is_violation, v.severity, v.focus_node,
                                           v.result_path or "", v.message))


@dataclass
class ValidationReport:
    """The findings about a would-be dataset, in three forms that carry the same results:
    ``to_text``, ``to_json`` and ``to_turtle`` (an ``sh:ValidationReport``). Violations
    come first; warnings are counted apart; inconsistencies with the ontology lead."""

    conforms: bool
    violations: list[Violation] = field(default_factory=list)  # every finding, any severity
    graph: Graph = field(default_factory=Graph, repr=False)  # pySHACL's own report, unfiltered
    inconsistencies: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Violation]:
        return [v for v in violations_first(self.violations) if v.is_violation]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in violations_first(self.violations) if not v.is_violation]

    def counts(self) -> dict[str, int]:
        return {"violations": len(self.errors), "warnings": len(self.warnings),
                "inconsistencies": len(self.inconsistencies)}

    def to_json(self) -> str:
        return json.dumps({"conforms": self.conforms and not self.inconsistencies,
                           "counts": self.counts(),
                           "inconsistencies": self.inconsistencies,
                           "violations": [v.shown() for v in self.errors],
                           "warnings": [v.shown() for v in self.warnings]},
                          ensure_ascii=False, indent=2)

    def to_turtle(self) -> str:
        return report_graph(self).serialize(format="turtle")

    def to_text(self) -> str:
        counts = self.counts()
        conforms = self.conforms and not self.inconsistencies
        summary = [f"{counts['violations']} violation(s)", f"{counts['warnings']} warning(s)"]
        if self.inconsistencies:
            summary.insert(0, f"{counts['inconsistencies']} inconsistency(ies)")
        lines = [("Conforms: " if conforms else "Does not conform: ") + ", ".join(summary) + "."]
        for message in self.inconsistencies:
            lines.append(f"\nInconsistent: {message}")
        for number, v in enumerate([*self.errors, *self.warnings], 1):
            lines.append(f"\n{number}. [{v.severity}] {v.message}")
            lines.append(f"   focus node: {v.focus_node}")
            if v.result_path:
                lines.append(f"   path:       {v.result_path}")
            if v.value:
                lines.append(f"   value:      {v.value}")
            lines.append(f"   shape:      {v.source_shape} ({v.source_constraint})")
            if v.sentence:
                lines.append(f"   sentence:   {v.sentence}")
        return "\n".join(lines)


# An inconsistency is reported as a result of the ontology itself (it has no shape).
INCONSISTENCY_COMPONENT = URIRef(str(CAO) + "Consistency")


def report_graph(report: ValidationReport) -> Graph:
    """``report`` as an ``sh:ValidationReport`` holding exactly its findings (not pySHACL's
    whole report, which also holds findings left out of ``report.violations``)."""
    graph = bind_prefixes(Graph())
    node = BNode()
    graph.add((node, RDF.type, SH.ValidationReport))
    graph.add((node, SH.conforms, Literal(report.conforms and not report.inconsistencies)))
    for message in report.inconsistencies:
        result = BNode()
        graph.add((node, SH.result, result))
        graph.add((result, RDF.type, SH.ValidationResult))
        graph.add((result, SH.resultSeverity, SH.Violation))
        graph.add((result, SH.resultMessage, Literal(message)))
        graph.add((result, SH.sourceConstraintComponent, INCONSISTENCY_COMPONENT))
    for v in violations_first(report.violations):
        result = BNode()
        graph.add((node, SH.result, result))
        graph.add((result, RDF.type, SH.ValidationResult))
        graph.add((result, SH.resultSeverity, SH[v.severity]))
        graph.add((result, SH.resultMessage, Literal(v.message)))
        focus, path, value, shape, component = v.terms or (None,) * 5
        for predicate, term in ((SH.focusNode, focus), (SH.resultPath, path), (SH.value, value),
                                (SH.sourceShape, shape),
                                (SH.sourceConstraintComponent, component)):
            if term is not None:
                graph.add((result, predicate, term))
        for triple in v.path_triples:
            graph.add(triple)
    return graph


_shapes_cache: Graph | None = None


def load_shapes() -> Graph:
    """The project's shapes (parsed once per process)."""
    global _shapes_cache
    if _shapes_cache is None:
        _shapes_cache = parse_files(rdf_files(resource_paths().shapes))
    return _shapes_cache


def show_term(node: Node | None, graph: Graph) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        return graph.namespace_manager.normalizeUri(node)  # <iri> when no prefix covers it
    return node.n3()


def _sentence_of(focus: Node, data: Graph) -> str | None:
    for sentence in data.objects(focus, CAO.statedIn):
        text = data.value(sentence, CAO.text)
        line = data.value(sentence, CAO.startLine)
        if text is not None:
            return f"line {line}: {text}" if line is not None else str(text)
    return None


def _spelled_out(node: Node | None, graph: Graph) -> tuple:
    """The triples under a blank node (a path such as ``[ sh:alternativePath (…) ]``)."""
    found, todo = [], [node] if isinstance(node, BNode) else []
    while todo:
        for triple in graph.triples((todo.pop(), None, None)):
            found.append(triple)
            if isinstance(triple[2], BNode):
                todo.append(triple[2])
    return tuple(found)


def violations_of(report: Graph, data: Graph) -> list[Violation]:
    names = bind_prefixes(Graph()).namespace_manager
    report.namespace_manager = names
    found = []
    for result in report.subjects(SH.focusNode, None):
        focus = report.value(result, SH.focusNode)
        message = report.value(result, SH.resultMessage)
        path, value = report.value(result, SH.resultPath), report.value(result, SH.value)
        shape = report.value(result, SH.sourceShape)
        component = report.value(result, SH.sourceConstraintComponent)
        found.append(Violation(
            focus_node=show_term(focus, report) or "",
            result_path=show_term(path, report),
            value=show_term(value, report),
            message=str(message) if message is not None else "constraint not met",
            severity=str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
            source_shape=show_term(shape, report) or "",
            source_constraint=(show_term(component, report) or "").replace("sh:", ""),
            sentence=_sentence_of(focus, data),
            terms=(focus, path, value, None if isinstance(shape, BNode) else shape, component),
            path_triples=_spelled_out(path, report),
        ))
    return violations_first(found)


def validate_graph(data: Graph, shapes: Graph | None = None) -> ValidationReport:
    """Validate ``data`` (already merged and closed) against the shapes."""
    conforms, report, _text = shacl_validate(
        data, shacl_graph=shapes if shapes is not None else load_shapes(),
        inference="none", advanced=True, allow_warnings=True)
    violations = violations_of(report, data)
    # Warnings don't break conformance (allow_warnings); report them all the same.
    return ValidationReport(conforms=bool(conforms), violations=violations, graph=report)

