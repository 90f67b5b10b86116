"""The visible pipeline: load → infer → validate, as plain functions on rdflib graphs.

``check`` is the one code path that both ``caonto validate`` and the write path of the
endpoint use: the would-be dataset (ontology + essay data + the new graph + the OWL-RL
closure of all of it) must be consistent and conform to the shapes.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rdflib import Graph, URIRef

from caonto.diagnosis import add_findings, contribution_findings, explain_inconsistencies
from caonto.inference import InconsistencyError, infer
from caonto.namespaces import GRAPH_ESSAY, GRAPH_ONTOLOGY, GRAPH_RECORD, bind_prefixes
from caonto.rdf_io import parse_files, rdf_files
from caonto.resources import ResourcePaths, resource_paths
from caonto.validation import ValidationReport, Violation, validate_graph
from caonto.vocabulary import GraphFacts, Vocabulary


@dataclass
class Asserted:
    ontology: Graph
    data: Graph  # the essay's statements
    record: Graph = field(default_factory=Graph)  # statements from cited public sources

    def named_graphs(self) -> dict[URIRef, Graph]:
        """The asserted graphs under their names in the served dataset."""
        return {GRAPH_ONTOLOGY: self.ontology, GRAPH_ESSAY: self.data, GRAPH_RECORD: self.record}

    @cached_property
    def known_findings(self) -> frozenset[tuple]:
        """Findings the project's own data already has (warnings: a build must conform),
        left out of reports on new data so a contributor sees only what is theirs."""
        return frozenset(finding_key(v) for v in check(self).report.violations)

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """The terms the ontology graph defines."""
        return Vocabulary.of_graph(self.ontology)

    def union(self, *more: Graph) -> Graph:
        merged = bind_prefixes(Graph())
        for graph in (*self.named_graphs().values(), *more):
            for triple in graph:
                merged.add(triple)
        return merged


@dataclass
class CheckResult:
    report: ValidationReport
    inferred: Graph  # the closure of the would-be dataset (empty when inconsistent)
    inconsistencies: list[str]

    @property
    def ok(self) -> bool:
        return self.report.conforms and not self.inconsistencies


def load_asserted(paths: ResourcePaths | None = None) -> Asserted:
    """Parse ontology/, data/ (the essay) and data/record/ (the record).

    Raises RdfInputError with file:line:column on bad syntax."""
    paths = paths or resource_paths()
    record_files = rdf_files(paths.record) if paths.record.is_dir() else []
    return Asserted(ontology=bind_prefixes(parse_files(rdf_files(paths.ontology))),
                    data=bind_prefixes(parse_files(rdf_files(paths.data))),
                    record=bind_prefixes(parse_files(record_files)))


def load_files(files: Iterable[Path]) -> Graph:
    return bind_prefixes(parse_files(files))


def finding_key(violation: Violation) -> tuple:
    return (violation.focus_node, violation.result_path, violation.value, violation.source_shape)


def check(asserted: Asserted, *extra: Graph, vocabulary: Vocabulary | None = None) -> CheckResult:
    """Infer and validate the union of ``asserted`` and ``extra`` graphs.

    With ``extra`` graphs, findings the asserted data already had are left out of the
    report's violations (pySHACL's full report stays in ``report.graph``), and the extra
    triples are checked against the ontology's terms (``caonto.diagnosis``).
    ``vocabulary`` defaults to the terms of ``asserted.ontology``.
    """
    vocabulary = vocabulary or asserted.vocabulary
    union = asserted.union(*extra)
    # judged on the asserted triples, before the closure joins them
    findings = contribution_findings((t for g in extra for t in g), vocabulary,
                                     GraphFacts(union)) if extra else None
    try:
        inferred = infer(union)
    except InconsistencyError as error:
        messages = explain_inconsistencies(error.messages, vocabulary, GraphFacts(union))
        return CheckResult(ValidationReport(conforms=False, inconsistencies=messages),
                           bind_prefixes(Graph()), messages)
    for triple in inferred:
        union.add(triple)
    report = validate_graph(union)
    if extra:
        known = asserted.known_findings
        report.violations = [v for v in report.violations if finding_key(v) not in known]
        add_findings(report, *findings)
    return CheckResult(report, inferred, [])
