"""A graph shaped like the essay's, at any size: for benchmarks and for test fixtures.

The essay graph is a few dozen states, organisations and events, each fact tied to the
sentence that states it, in three named graphs (ontology, essay, inferred). This makes
``n`` triples of the same shape: "regions" of states with memberships, bilateral
relations, borders, events, sentences with Kazakh/English text and assessments, and
an inferred graph holding superclass types and inverse/symmetric links.

Run ``python -m caonto.synthetic N OUT.nq`` to write a file; ``generate`` is the API.
Deterministic for a given ``n`` and ``seed``.
"""

import random
import sys
from pathlib import Path

from caonto import namespaces

CAO, CAOR, CAOG = str(namespaces.CAO), str(namespaces.CAOR), str(namespaces.CAOG)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"

_CLASSES = {  # class -> superclasses, as in docs/model.md
    "State": ["Place"], "InternationalOrganization": [], "Membership": [],
    "BilateralRelation": [], "Border": ["Place"], "Summit": ["Event"], "Event": [],
    "Sentence": [], "Assessment": [], "Place": [],
}
_PROPERTIES = ["member", "organization", "hasMembership", "memberOf", "hasMember",
               "relationParty", "borderOf", "sharesBorderWith", "borderLength", "numericValue",
               "participant", "participatedIn", "date", "place", "statedIn", "text",
               "translation", "startLine", "about", "tone", "startDate"]


def _iri(value: str) -> str:
    return f"<{value}>"


def _lit(value: str, lang: str | None = None, datatype: str | None = None) -> str:
    text = value.replace("\\", "\\\\").replace('"', '\\"')
    if lang:
        return f'"{text}"@{lang}'
    if datatype:
        return f'"{text}"^^<{datatype}>'
    return f'"{text}"'


def _ontology() -> list[tuple[str, str, str]]:
    triples = [(_iri(CAO[:-1]), _iri(RDF_TYPE), _iri(OWL + "Ontology"))]
    for name, supers in _CLASSES.items():
        triples.append((_iri(CAO + name), _iri(RDF_TYPE), _iri(OWL + "Class")))
        triples.append((_iri(CAO + name), _iri(RDFS + "label"), _lit(name, "en")))
        triples += [(_iri(CAO + name), _iri(RDFS + "subClassOf"), _iri(CAO + s)) for s in supers]
    for name in _PROPERTIES:
        triples.append((_iri(CAO + name), _iri(RDF_TYPE), _iri(OWL + "ObjectProperty")))
        triples.append((_iri(CAO + name), _iri(RDFS + "label"), _lit(name, "en")))
    return triples


def _region(r: int, rng: random.Random, sentence_base: int):
    """Asserted and inferred triples of one region: 5 states, 2 organisations, and facts."""
    asserted, inferred = [], []
    a, i = asserted.append, inferred.append
    t = _iri(RDF_TYPE)
    states = [_iri(f"{CAOR}state-{r}-{k}") for k in range(5)]
    orgs = [_iri(f"{CAOR}org-{r}-{k}") for k in range(2)]
    sentences = [_iri(f"{CAOR}essay/line-{sentence_base + k}") for k in range(8)]
    for k, s in enumerate(sentences):
        a((s, t, _iri(CAO + "Sentence")))
        a((s, _iri(CAO + "text"), _lit(f"Сөйлем {sentence_base + k}: мемлекеттер арасындағы "
                                     "қарым-қатынас туралы", "kk")))
        a((s, _iri(CAO + "translation"), _lit(f"Sentence {sentence_base + k} on relations", "en")))
        a((s, _iri(CAO + "startLine"), _lit(str(sentence_base + k), datatype=XSD + "integer")))
    for k, s in enumerate(states):
        a((s, t, _iri(CAO + "State")))
        a((s, _iri(RDFS + "label"), _lit(f"Мемлекет {r}-{k}", "kk")))
        a((s, _iri(RDFS + "label"), _lit(f"State {r}-{k}", "en")))
        i((s, t, _iri(CAO + "Place")))
        i((s, t, _iri(PROV + "Agent")))
    for k, o in enumerate(orgs):
        a((o, t, _iri(CAO + "InternationalOrganization")))
        a((o, _iri(RDFS + "label"), _lit(f"Organisation {r}-{k}", "en")))
        for j, s in enumerate(states):
            if (j + k) % 3 == 0:
                continue
            m = _iri(f"{CAOR}membership-{r}-{k}-{j}")
            a((m, t, _iri(CAO + "Membership")))
            a((m, _iri(CAO + "member"), s))
            a((m, _iri(CAO + "organization"), o))
            a((m, _iri(CAO + "startDate"),
               _lit(f"{1992 + rng.randrange(30)}-0{1 + rng.randrange(9)}-1{rng.randrange(10)}",
                    datatype=XSD + "date")))
            a((m, _iri(CAO + "statedIn"), rng.choice(sentences)))
            i((s, _iri(CAO + "hasMembership"), m))
            i((s, _iri(CAO + "memberOf"), o))
            i((o, _iri(CAO + "hasMember"), s))
    for j in range(len(states) - 1):
        left, right = states[j], states[j + 1]
        rel = _iri(f"{CAOR}relation-{r}-{j}")
        a((rel, t, _iri(CAO + "BilateralRelation")))
        a((rel, _iri(CAO + "relationParty"), left))
        a((rel, _iri(CAO + "relationParty"), right))
        a((rel, _iri(CAO + "statedIn"), rng.choice(sentences)))
        border = _iri(f"{CAOR}border-{r}-{j}")
        qv = _iri(f"{CAOR}border-{r}-{j}-length")
        a((border, t, _iri(CAO + "Border")))
        a((border, _iri(CAO + "borderOf"), left))
        a((border, _iri(CAO + "borderOf"), right))
        a((border, _iri(CAO + "borderLength"), qv))
        a((qv, _iri(CAO + "numericValue"), _lit(str(100 + rng.randrange(3000)),
                                                datatype=XSD + "integer")))
        i((left, _iri(CAO + "sharesBorderWith"), right))
        i((right, _iri(CAO + "sharesBorderWith"), left))
        i((border, t, _iri(CAO + "Place")))
        assessment = _iri(f"{CAOR}assessment-{r}-{j}")
        a((assessment, t, _iri(CAO + "Assessment")))
        a((assessment, _iri(CAO + "about"), rel))
        a((assessment, _iri(CAO + "tone"), _iri(CAOR + rng.choice(["positive", "negative",
                                                                     "mixed"]))))
        a((assessment, _iri(CAO + "statedIn"), rng.choice(sentences)))
    event = _iri(f"{CAOR}summit-{r}")
    a((event, t, _iri(CAO + "Summit")))
    a((event, _iri(CAO + "date"), _lit(f"{2000 + r % 25}-06-15", datatype=XSD + "date")))
    a((event, _iri(CAO + "place"), states[0]))
    a((event, _iri(CAO + "statedIn"), rng.choice(sentences)))
    for s in states[:3]:
        a((event, _iri(CAO + "participant"), s))
        i((s, _iri(CAO + "participatedIn"), event))
    i((event, t, _iri(CAO + "Event")))
    return asserted, inferred


def generate(n: int, out: Path, seed: int = 7) -> dict[str, int]:
    """Write about ``n`` triples (never fewer than one region's worth) as N-Quads to ``out``.

    Returns triples per graph IRI. Raises OSError when ``out`` cannot be written.
    """
    rng = random.Random(seed)
    counts = {CAOG + "ontology": 0, CAOG + "essay": 0, CAOG + "inferred": 0}
    with open(out, "w", encoding="utf-8") as handle:
        def emit(triples, graph):
            counts[graph] += len(triples)
            handle.writelines(f"{s} {p} {o} <{graph}> .\n" for s, p, o in triples)

        emit(_ontology(), CAOG + "ontology")
        region = 0
        while sum(counts.values()) < n:
            asserted, inferred = _region(region, rng, sentence_base=region * 8 + 1)
            emit(asserted, CAOG + "essay")
            emit(inferred, CAOG + "inferred")
            region += 1
    return counts


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: synthetic.py N_TRIPLES OUT.nq")
    print(generate(int(sys.argv[1]), Path(sys.argv[2])))
