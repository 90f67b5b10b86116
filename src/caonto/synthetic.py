"""A dataset shaped like the essay's, at any size: for benchmarks and for test fixtures.

The essay graph is a few dozen states, organisations and events, each fact tied to the
sentence that states it. This makes about ``n`` triples of the same shape: "regions" of
states with memberships, bilateral relations, borders, events, sentences with
Kazakh/English text and assessments, in the three named graphs ``caonto build`` writes:
the project's ontology, the synthetic essay graph, and the inferred graph — the closure
``caonto.inference.infer`` publishes for them, computed by the reasoner, never written
by hand.

Run ``python -m caonto.synthetic N OUT.nq`` to write a file; ``generate`` is the API.
Deterministic for a given ``n`` and ``seed``.
"""

import math
import random
import sys
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from caonto import formats, namespaces
from caonto.inference import infer
from caonto.rdf_io import parse_bytes, parse_files, rdf_files, to_oxigraph
from caonto.resources import resource_paths

CAO, CAOR, CAOG = str(namespaces.CAO), str(namespaces.CAOR), str(namespaces.CAOG)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
DCTERMS = "http://purl.org/dc/terms/"
WD = str(namespaces.WD)


def _iri(value: str) -> str:
    return f"<{value}>"


def _lit(value: str, lang: str | None = None, datatype: str | None = None) -> str:
    text = value.replace("\\", "\\\\").replace('"', '\\"')
    if lang:
        return f'"{text}"@{lang}'
    if datatype:
        return f'"{text}"^^<{datatype}>'
    return f'"{text}"'


def _labels(a, node: str, en: str, kk: str, ru: str | None = None) -> None:
    a((node, _iri(RDFS + "label"), _lit(en, "en")))
    a((node, _iri(RDFS + "label"), _lit(kk, "kk")))
    if ru:
        a((node, _iri(RDFS + "label"), _lit(ru, "ru")))


def _frame() -> list[tuple[str, str, str]]:
    """The essay the synthetic sentences belong to, and its author."""
    frame: list[tuple[str, str, str]] = []
    a = frame.append
    author, essay = _iri(CAOR + "synthetic-author"), _iri(CAOR + "synthetic-essay")
    a((author, _iri(RDF_TYPE), _iri(CAO + "Person")))
    _labels(a, author, "Synthetic author", "Синтетикалық автор", "Синтетический автор")
    a((essay, _iri(RDF_TYPE), _iri(CAO + "Essay")))
    _labels(a, essay, "Synthetic essay", "Синтетикалық эссе")
    a((essay, _iri(DCTERMS + "title"), _lit("Synthetic essay", "en")))
    a((essay, _iri(DCTERMS + "creator"), author))
    a((essay, _iri(DCTERMS + "language"), _lit("kk")))
    return frame


def _region(r: int, rng: random.Random, sentence_base: int):
    """The asserted triples of one region: 5 states, 2 organisations, and facts, each as
    the shapes want it (names in kk/en, sources, Wikidata links)."""
    asserted: list[tuple[str, str, str]] = []
    a = asserted.append
    t = _iri(RDF_TYPE)
    states = [_iri(f"{CAOR}state-{r}-{k}") for k in range(5)]
    orgs = [_iri(f"{CAOR}org-{r}-{k}") for k in range(2)]
    sentences = [_iri(f"{CAOR}essay/line-{sentence_base + k}") for k in range(8)]
    for k, s in enumerate(sentences):
        line = str(sentence_base + k)
        a((s, t, _iri(CAO + "Sentence")))
        _labels(a, s, f"Synthetic essay, line {line}", f"Эссе, {line}-жол")
        a((s, _iri(CAO + "text"), _lit(f"Сөйлем {line}: мемлекеттер арасындағы "
                                     "қарым-қатынас туралы", "kk")))
        a((s, _iri(CAO + "translation"), _lit(f"Sentence {line} on relations", "en")))
        a((s, _iri(CAO + "startLine"), _lit(line, datatype=XSD + "positiveInteger")))
        a((s, _iri(CAO + "endLine"), _lit(line, datatype=XSD + "positiveInteger")))
        a((s, _iri(DCTERMS + "isPartOf"), _iri(CAOR + "synthetic-essay")))
    for k, s in enumerate(states):
        a((s, t, _iri(CAO + "State")))
        _labels(a, s, f"State {r}-{k}", f"Мемлекет {r}-{k}", f"Государство {r}-{k}")
        a((s, _iri(OWL + "sameAs"), _iri(f"{WD}Q{900000000 + r * 10 + k}")))
    for k, o in enumerate(orgs):
        a((o, t, _iri(CAO + "InternationalOrganization")))
        _labels(a, o, f"Organisation {r}-{k}", f"Ұйым {r}-{k}", f"Организация {r}-{k}")
        a((o, _iri(OWL + "sameAs"), _iri(f"{WD}Q{910000000 + r * 10 + k}")))
        for j, s in enumerate(states):
            if (j + k) % 3 == 0:
                continue
            m = _iri(f"{CAOR}membership-{r}-{k}-{j}")
            a((m, t, _iri(CAO + "Membership")))
            _labels(a, m, f"Membership {r}-{k}-{j}", f"Мүшелік {r}-{k}-{j}")
            a((m, _iri(CAO + "member"), s))
            a((m, _iri(CAO + "organization"), o))
            a((m, _iri(CAO + "startDate"),
               _lit(f"{1992 + rng.randrange(30)}-0{1 + rng.randrange(9)}-1{rng.randrange(10)}",
                    datatype=XSD + "date")))
            a((m, _iri(CAO + "statedIn"), rng.choice(sentences)))
    for j in range(len(states) - 1):
        left, right = states[j], states[j + 1]
        rel = _iri(f"{CAOR}relation-{r}-{j}")
        a((rel, t, _iri(CAO + "BilateralRelation")))
        _labels(a, rel, f"Relation {r}-{j}", f"Қатынас {r}-{j}")
        a((rel, _iri(CAO + "relationParty"), left))
        a((rel, _iri(CAO + "relationParty"), right))
        a((rel, _iri(CAO + "statedIn"), rng.choice(sentences)))
        border = _iri(f"{CAOR}border-{r}-{j}")
        qv = _iri(f"{CAOR}border-{r}-{j}-length")
        a((border, t, _iri(CAO + "Border")))
        _labels(a, border, f"Border {r}-{j}", f"Шекара {r}-{j}")
        a((border, _iri(CAO + "borderOf"), left))
        a((border, _iri(CAO + "borderOf"), right))
        a((border, _iri(CAO + "borderLength"), qv))
        a((border, _iri(CAO + "statedIn"), rng.choice(sentences)))
        a((qv, _iri(CAO + "numericValue"), _lit(str(100 + rng.randrange(3000)),
                                                datatype=XSD + "integer")))
        assessment = _iri(f"{CAOR}assessment-{r}-{j}")
        a((assessment, t, _iri(CAO + "Assessment")))
        _labels(a, assessment, f"Assessment {r}-{j}", f"Баға {r}-{j}")
        a((assessment, _iri(CAO + "about"), rel))
        a((assessment, _iri(CAO + "assessedBy"), _iri(CAOR + "synthetic-author")))
        a((assessment, _iri(CAO + "assessmentText"), _lit(f"Relation {r}-{j} is good.", "en")))
        a((assessment, _iri(CAO + "tone"), _iri(CAOR + "tone-" + rng.choice(
            ["positive", "negative", "mixed"]))))
        a((assessment, _iri(CAO + "statedIn"), rng.choice(sentences)))
    event = _iri(f"{CAOR}summit-{r}")
    a((event, t, _iri(CAO + "Summit")))
    _labels(a, event, f"Summit {r}", f"Саммит {r}")
    a((event, _iri(CAO + "year"), _lit(f"{2000 + r % 25}", datatype=XSD + "integer")))
    a((event, _iri(CAO + "date"), _lit(f"{2000 + r % 25}-06-15", datatype=XSD + "date")))
    a((event, _iri(CAO + "place"), states[0]))
    a((event, _iri(CAO + "statedIn"), rng.choice(sentences)))
    for s in states[:3]:
        a((event, _iri(CAO + "participant"), s))
    return asserted


def _essay(regions: int, seed: int) -> Graph:
    rng = random.Random(seed)
    triples = _frame() + [triple for r in range(regions)
                          for triple in _region(r, rng, sentence_base=r * 8 + 1)]
    lines = [f"{s} {p} {o} .\n" for s, p, o in triples]
    return parse_bytes("".join(lines).encode("utf-8"), formats.BY_NAME["ntriples"],
                       "synthetic essay")


def _inferred(ontology: Graph, essay: Graph) -> Graph:
    asserted = Graph()
    for graph in (ontology, essay):
        for triple in graph:
            asserted.add(triple)
    return infer(asserted)


def generate(n: int, out: Path, seed: int = 7) -> dict[str, int]:
    """Write about ``n`` triples (at least ``n``, and never fewer than one region's worth)
    as N-Quads to ``out``: the ontology, a synthetic essay graph, and their inferred graph.

    Returns triples per graph IRI. Raises OSError when ``out`` cannot be written.
    """
    ontology = parse_files(rdf_files(resource_paths().ontology))

    def size(essay: Graph, inferred: Graph) -> int:
        return len(ontology) + len(essay) + len(inferred)

    # Regions are alike: what the second one adds (closure included) sizes the rest, and
    # the shortfall, if any, is made up the same way.
    one, two = _essay(1, seed), _essay(2, seed)
    first = size(one, _inferred(ontology, one))
    step = max(1, size(two, _inferred(ontology, two)) - first)
    regions = 1 + max(0, math.ceil((n - first) / step))
    while True:
        essay = _essay(regions, seed)
        inferred = _inferred(ontology, essay)
        total = size(essay, inferred)
        if total >= n:
            break
        regions += math.ceil((n - total) / step)
    graphs = {CAOG + "ontology": ontology, CAOG + "essay": essay, CAOG + "inferred": inferred}
    with open(out, "wb") as handle:
        for name, graph in graphs.items():
            iri = ox.NamedNode(name)
            handle.write(ox.serialize(
                (ox.Quad(*map(to_oxigraph, triple), iri) for triple in graph),
                format=ox.RdfFormat.N_QUADS))
    return {name: len(graph) for name, graph in graphs.items()}


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m caonto.synthetic N_TRIPLES OUT.nq")
    print(generate(int(sys.argv[1]), Path(sys.argv[2])))
