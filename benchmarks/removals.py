"""Writes that remove triples: the incremental check against the full one, in ms.

    python3 -m benchmarks.removals                  # the essay, and 200k synthetic triples
    python3 -m benchmarks.removals --sizes 20000    # the essay, and 20k

Two contributed graphs (a membership each) are accepted first; then, from that state,
adding a graph (another membership of the first state), deleting one graph and replacing
one with another membership are checked both ways:
``caonto.incremental.IncrementalChecker.check`` (in process, trying the write without
keeping it) and ``caonto.pipeline.check`` on the whole would-be dataset. Both must give
the same verdict (asserted here). Prints a Markdown table; nothing is written to disk
but the synthetic dataset's N-Quads file, kept in the work directory for reuse.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rdflib import Graph

from benchmarks.scale import _asserted_triples
from caonto.incremental import IncrementalChecker
from caonto.pipeline import Asserted, check, load_asserted

MEMBERSHIP = """
@prefix cao: <https://w3id.org/caonto/def/> .
@prefix caor: <https://w3id.org/caonto/id/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
caor:membership-bench-{key} a cao:Membership ;
    rdfs:label "Membership {key}"@en , "Мүшелік {key}"@kk ;
    cao:member caor:{state} ; cao:organization caor:{org} ;
    dcterms:source <https://example.org/source/{key}> ;
    cao:startDate "2001-06-15"^^xsd:date .
"""


def membership(key: str, state: str, org: str) -> Graph:
    return Graph().parse(data=MEMBERSHIP.format(key=key, state=state, org=org), format="turtle")


def verdict(result) -> tuple:
    return (result.ok, sorted((v.focus_node, v.message) for v in result.report.violations),
            result.inconsistencies)


def timed(work, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), result


def measure(name: str, asserted: Asserted, resources: list[tuple[str, str]],
            repeat: int) -> list[str]:
    first, second, other = (membership(f"{name.replace(' ', '-')}-{k}", state, org)
                            for k, (state, org) in enumerate(resources))
    another = membership(f"{name.replace(' ', '-')}-new", *resources[0])
    began = time.perf_counter()
    checker = IncrementalChecker.from_asserted(asserted, first, second)
    setup = time.perf_counter() - began
    asserted.known_findings = checker._known  # the base's own findings, as the gateway's
    rows = []
    writes = {"ADD one graph": (list(another), [], [first, second, another]),
              "DELETE one graph": ([], list(first), [second]),
              "replace one graph": (list(other - first), list(first - other), [other, second])}
    for label, (added, removed, graphs) in writes.items():
        quick_ms, quick = timed(lambda a=added, r=removed: checker.check(a, removed=r), repeat)
        full_ms, full = timed(lambda g=graphs: check(asserted, *g), 1)
        assert quick.incremental and verdict(quick) == verdict(full), (label, verdict(quick),
                                                                        verdict(full))
        rows.append(f"| {name} | {len(checker._closure)} | {label} | {quick_ms:.0f} | "
                    f"{full_ms:.0f} | {full_ms / quick_ms:.0f}x | {quick.affected} |")
    print(f"  {name}: checker built (closure and whole validation) in {setup:.1f} s", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200000", help="synthetic sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="incremental runs per write")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="caonto-removals-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    essay = load_asserted()
    rows += measure("essay", essay, [("kazakhstan", "sco"), ("kyrgyzstan", "cis"),
                                     ("tajikistan", "sco")], args.repeat)
    for n in (int(size) for size in args.sizes.split(",") if size):
        data = Graph()
        for triple in _asserted_triples(n, workdir):
            data.add(triple)
        synthetic = Asserted(ontology=Graph(), data=data)
        synthetic.vocabulary = essay.vocabulary
        rows += measure(f"synthetic {n}", synthetic,
                        [("state-1-1", "org-1-0"), ("state-2-1", "org-2-0"),
                         ("state-3-2", "org-3-1")], args.repeat)
    print("\n| dataset | closure triples | write | incremental ms (median) | full check ms | "
          "speed-up | nodes re-validated |")
    print("|---|---:|---|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
