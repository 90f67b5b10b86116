"""SHACL validation with pySHACL, reported in terms a contributor can act on.

``validate_graph`` runs the shapes over a graph that already holds everything to be
judged (ontology, data and the OWL-RL closure — see ``caonto.pipeline``), so pySHACL's own
inference stays off. Each violation names its focus node, path, value, the shape and
its message, and — when the focus node carries ``cao:statedIn`` — the essay sentence.
"""

import json
from dataclasses import asdict, dataclass, field

from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from caonto.namespaces import CAO, bind_prefixes
from caonto.rdf_io import parse_files, rdf_files
from caonto.resources import resource_paths


@dataclass(frozen=True)
class Violation:
    focus_node: str
    result_path: str | None
    value: str | None
    message: str
    severity: str
    source_shape: str
    source_constraint: str
    sentence: str | None = None  # the essay sentence the focus node was stated in, if any


@dataclass
class ValidationReport:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    graph: Graph = field(default_factory=Graph, repr=False)  # the sh:ValidationReport

    def to_json(self) -> str:
        return json.dumps({"conforms": self.conforms,
                           "violations": [asdict(v) for v in self.violations]},
                          ensure_ascii=False, indent=2)

    def to_turtle(self) -> str:
        return bind_prefixes(self.graph).serialize(format="turtle")

    def to_text(self) -> str:
        if self.conforms:
            return "Conforms: no violations."
        lines = [f"Does not conform: {len(self.violations)} violation(s)."]
        for number, v in enumerate(self.violations, 1):
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


def violations_of(report: Graph, data: Graph) -> list[Violation]:
    names = bind_prefixes(Graph()).namespace_manager
    report.namespace_manager = names
    found = []
    for result in report.subjects(SH.focusNode, None):
        focus = report.value(result, SH.focusNode)
        message = report.value(result, SH.resultMessage)
        found.append(Violation(
            focus_node=show_term(focus, report) or "",
            result_path=show_term(report.value(result, SH.resultPath), report),
            value=show_term(report.value(result, SH.value), report),
            message=str(message) if message is not None else "constraint not met",
            severity=str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
            source_shape=show_term(report.value(result, SH.sourceShape), report) or "",
            source_constraint=(show_term(report.value(result, SH.sourceConstraintComponent),
                                     report) or "").replace("sh:", ""),
            sentence=_sentence_of(focus, data),
        ))
    return sorted(found, key=lambda v: (v.focus_node, v.result_path or "", v.message))


def validate_graph(data: Graph, shapes: Graph | None = None) -> ValidationReport:
    """Validate ``data`` (already merged and closed) against the shapes."""
    conforms, report, _text = shacl_validate(
        data, shacl_graph=shapes if shapes is not None else load_shapes(),
        inference="none", advanced=True, allow_warnings=True)
    violations = violations_of(report, data)
    # Warnings don't break conformance (allow_warnings); report them all the same.
    return ValidationReport(conforms=bool(conforms), violations=violations, graph=report)

