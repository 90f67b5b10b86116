"""Which other contributors' graphs a write leans on, or would break.

Contributed graphs are validated together, so one contributor's graph can pass only
because another's supplies a triple a shape needs (the type or the label of a node it
points at), and deleting a graph can break a graph that someone else built on it. Both
are told to the writer, naming the other graph and the triple:

- ``leaned_on``: after a write is accepted, the nodes its graphs use that only other
  contributors' graphs describe; if the write fails without those graphs (one more full
  check, run only when there are such nodes), each failure is traced to the triples of
  those graphs about the node that failed or its value.
- ``broken_by``: after a write that removed triples is refused, each failure whose node
  or value a removed triple was about is traced to that triple, and to the graphs that
  still use the node.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from rdflib import Graph, Literal
from rdflib.term import Node

from caonto.namespaces import bind_prefixes
from caonto.pipeline import CheckResult
from caonto.validation import Violation, show_term

_NAMES = bind_prefixes(Graph())
_MAX_TRIPLES = 3  # per node and graph: enough to say what is needed


@dataclass(frozen=True)
class Dependency:
    """``graph`` (created by ``creator``) and ``triple`` in it; ``focus`` is the node that
    needs the triple and ``message`` what fails without it."""

    graph: str
    creator: str | None
    triple: str
    focus: str
    message: str

    def to_json(self) -> dict:
        return {"graph": self.graph, "creator": self.creator, "triple": self.triple,
                "focus": self.focus, "message": self.message}


def show(node: Node) -> str:
    return show_term(node, _NAMES) or ""


def show_triple(triple: tuple) -> str:
    return " ".join(show(term) for term in triple) + " ."


def _nodes(graph: Graph) -> set[Node]:
    return {term for s, _p, o in graph for term in (s, o) if not isinstance(term, Literal)}


def _failing(violations: Iterable[Violation]) -> list[Violation]:
    return [v for v in violations if v.severity == "Violation"]


def _about(graph: Graph, node: Node) -> list[tuple]:
    return sorted(graph.triples((node, None, None)), key=str)[:_MAX_TRIPLES]


def leaned_on(written: Mapping[str, Graph], others: Mapping[str, Graph],
              described_elsewhere: Callable[[Node], bool], creators: Mapping[str, str | None],
              check_without: Callable[[], CheckResult]) -> list[Dependency]:
    """The other contributors' triples the ``written`` graphs pass thanks to.

    ``others``: the other contributors' graphs; ``described_elsewhere(node)``: whether
    the project's data or the writer's own graphs describe ``node``; ``check_without()``
    checks the dataset without ``others``."""
    used = set().union(*(_nodes(g) for g in written.values())) if written else set()
    supplied = {node: [iri for iri, g in others.items() if (node, None, None) in g]
                for node in used}
    supplied = {node: graphs for node, graphs in supplied.items()
                if graphs and not any((node, None, None) in g for g in written.values())
                and not described_elsewhere(node)}
    if not supplied:
        return []
    result = check_without()
    failures = _failing(result.report.violations) if not result.inconsistencies else []
    by_name = {show(node): node for node in supplied}
    found: list[Dependency] = []
    for violation in failures:
        for name in (violation.focus_node, violation.value):
            node = by_name.get(name or "")
            if node is None:
                continue
            for iri in supplied[node]:
                found += [Dependency(iri, creators.get(iri), show_triple(t),
                                     violation.focus_node, violation.message)
                          for t in _about(others[iri], node)]
    if result.inconsistencies and not found:  # inconsistent alone: name what it leans on
        for node, graphs in supplied.items():
            for iri in graphs:
                found += [Dependency(iri, creators.get(iri), show_triple(t), show(node),
                                     result.inconsistencies[0])
                          for t in _about(others[iri], node)]
    return _unique(found)


def broken_by(removed: Mapping[str, Graph], remaining: Mapping[str, Graph],
              creators: Mapping[str, str | None], result: CheckResult) -> list[Dependency]:
    """The remaining graphs that the removed triples supported, for a refused write:
    ``graph`` is the graph that depends, ``triple`` the removed triple it needs."""
    found: list[Dependency] = []
    subjects: dict[str, list[tuple[str, tuple]]] = {}
    for iri, graph in removed.items():
        for triple in graph:
            subjects.setdefault(show(triple[0]), []).append((iri, triple))
    for violation in _failing(result.report.violations):
        for name in (violation.focus_node, violation.value):
            for _source, triple in sorted(subjects.get(name or "", []), key=str)[:_MAX_TRIPLES]:
                node = triple[0]
                users = [iri for iri, g in remaining.items()
                         if (None, None, node) in g or (node, None, None) in g]
                found += [Dependency(iri, creators.get(iri), show_triple(triple),
                                     violation.focus_node, violation.message) for iri in users]
    return _unique(found)


def _unique(found: list[Dependency]) -> list[Dependency]:
    return list(dict.fromkeys(found))
