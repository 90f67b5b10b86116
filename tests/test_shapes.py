"""The SHACL shapes: the real data conforms, and every shape rejects its broken example.

Fixtures live in tests/shapes/: ``<shape>-true.ttl`` must conform and
``<shape>-false.ttl`` must be rejected by ``caosh:<shape>``; the false file's second line
says what to expect (``# expect: <focus> <path or -> <shape>``, ``alt(a b)`` for an
alternative path). Each fixture is added to ``base.ttl`` (a valid essay, sentence,
states) and checked the way the pipeline checks contributions: ontology + data + their
OWL-RL closure, then pySHACL with its own inference off (the closure is already there,
and RDFS inference in pySHACL would only repeat part of it).
"""

import re
from functools import cache
from pathlib import Path

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS

from caonto.namespaces import CAO, PREFIXES
from caonto.pipeline import Asserted, CheckResult, check, load_asserted, load_files
from caonto.rdf_io import parse_file, rdf_files
from caonto.validation import report_graph

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "shapes"
SHAPES_DIR = ROOT / "shapes"
CAOSH = "https://w3id.org/caonto/shapes/"
NAMES = {**PREFIXES, "caosh": CAOSH}


def expand(name: str) -> URIRef:
    """``caor:x`` or ``<iri>`` as an IRI; KeyError for an unknown prefix."""
    if name.startswith("<"):
        return URIRef(name[1:-1])
    prefix, local = name.split(":", 1)
    return URIRef(NAMES[prefix] + local)


@cache
def shapes() -> Graph:
    return load_files(rdf_files(SHAPES_DIR))


# Documentation of our own terms (labels, definitions, ...) is ~40% of the ontology but no
# shape can target a class or property, so fixture checks leave it out: owlrl's time grows
# with the graph, and it runs twice per shape.
_TERM_DOCS = {RDFS.label, RDFS.comment, RDFS.isDefinedBy, SKOS.definition, SKOS.exactMatch,
              SKOS.closeMatch}


@cache
def fixture_base() -> Asserted:
    ontology = Graph()
    for s, p, o in load_asserted().ontology:
        if not (p in _TERM_DOCS and str(s).startswith(str(CAO))):
            ontology.add((s, p, o))
    return Asserted(ontology=ontology, data=parse_file(FIXTURES / "base.ttl"))


def check_fixture(path: Path) -> CheckResult:
    result = check(fixture_base(), parse_file(path))
    assert not result.inconsistencies, result.inconsistencies  # a fixture must reach SHACL
    return result


def shape_names() -> list[str]:
    return sorted(p.name.removesuffix("-false.ttl") for p in FIXTURES.glob("*-false.ttl"))


def expectation(path: Path) -> tuple[URIRef, object, URIRef]:
    line = path.read_text(encoding="utf-8").splitlines()[1]
    match = re.fullmatch(r"# expect: (\S+) (-|alt\(([^)]*)\)|\S+) (\S+)", line)
    assert match, f"{path.name}: second line must be '# expect: <focus> <path> <shape>'"
    focus, path_text, alternatives, shape = match.groups()
    if path_text == "-":
        result_path = None
    elif alternatives is not None:
        result_path = tuple(expand(n) for n in alternatives.split())
    else:
        result_path = expand(path_text)
    return expand(focus), result_path, expand(shape)


def result_path(report: Graph, result) -> object:
    """sh:resultPath of a result: an IRI, a tuple for an alternative path, or None."""
    path = report.value(result, SH.resultPath)
    if isinstance(path, BNode):
        return tuple(Collection(report, report.value(path, SH.alternativePath)))
    return path


def results(report: Graph) -> set[tuple]:
    return {(report.value(r, SH.focusNode), result_path(report, r), report.value(r, SH.sourceShape))
            for r in report.subjects(RDF.type, SH.ValidationResult)}


# -- the project's own data -------------------------------------------------------------------

def test_real_data_conforms():
    result = check(load_asserted())
    assert result.inconsistencies == []
    violations = [v for v in result.report.violations if v.severity == "Violation"]
    assert result.report.conforms, result.report.to_text()
    assert violations == []


# -- paired fixtures ---------------------------------------------------------------------------

def test_every_shape_with_constraints_has_a_fixture_pair():
    graph = shapes()
    named = {str(s).removeprefix(CAOSH) for s in graph.subjects()
             if isinstance(s, URIRef) and str(s).startswith(CAOSH) and str(s) != CAOSH}
    constrained = {n for n in named
                   if set(graph.predicates(URIRef(CAOSH + n))) - {RDF.type, SH.property,
                                                                  SH.targetClass}}
    assert sorted(constrained - set(shape_names())) == []
    assert all((FIXTURES / f"{n}-true.ttl").is_file() for n in shape_names())


@pytest.mark.parametrize("name", shape_names())
def test_true_fixture_conforms(name: str):
    report = check_fixture(FIXTURES / f"{name}-true.ttl").report
    assert report.violations == [], report.to_text()


@pytest.mark.parametrize("name", shape_names())
def test_false_fixture_is_rejected_by_its_shape(name: str):
    path = FIXTURES / f"{name}-false.ttl"
    expected = expectation(path)
    report = check_fixture(path).report
    assert expected in results(report_graph(report)), report.to_text()


# -- the shapes themselves ----------------------------------------------------------------------

def test_every_property_shape_is_named_and_explains_the_fix():
    graph = shapes()
    for shape in graph.subjects(RDF.type, SH.PropertyShape):
        assert str(shape).startswith(CAOSH), f"anonymous property shape: {shape}"
        assert graph.value(shape, SH.name) is not None, shape
        message = graph.value(shape, SH.message)
        assert message is not None and len(str(message)) > 20, shape


def test_node_shapes_are_named_after_their_class():
    graph = shapes()
    for shape in graph.subjects(RDF.type, SH.NodeShape):
        targets = set(graph.objects(shape, SH.targetClass))
        assert targets, f"{shape} has no sh:targetClass"
        name = str(shape).removeprefix(CAOSH).removesuffix("Shape")
        if len(targets) == 1:
            assert targets == {CAO[name]}, shape


@pytest.mark.parametrize("where", ["ontology", "data"])
def test_every_class_is_targeted_by_itself_or_a_superclass(where: str):
    """Classes declared in the ontology, and classes the data types its resources with."""
    asserted = load_asserted()
    ontology = asserted.ontology
    source = ontology if where == "ontology" else asserted.data
    kinds = source.subjects(RDF.type, OWL.Class) if where == "ontology" else \
        source.objects(None, RDF.type)
    classes = {c for c in kinds if str(c).startswith(str(CAO))}
    targeted = set(shapes().objects(None, SH.targetClass))
    untargeted = sorted(str(c) for c in classes
                        if not ({c, *ontology.transitive_objects(c, RDFS.subClassOf)} & targeted))
    assert classes and untargeted == []
