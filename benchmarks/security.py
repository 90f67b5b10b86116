"""Benchmark: what hostile requests cost, and what everyone else sees meanwhile.

    python -m benchmarks.security

1. The cost of the checks that read a request, on inputs of growing size (the query-level
   check with rdflib's parser, Accept negotiation, search): time per size, which should
   grow linearly.
2. The attack of two queries that count a cross product, against ``caonto serve`` with
   2 query workers, 1 page worker and the default 10 s timeout, over 3000 synthetic
   triples: how long a cheap ASK from another client and a page take with no attack,
   with both slow queries from one client address, and from two. All traffic stays on
   loopback (127.0.0.2-127.0.0.4 play the other clients).

Printed as text; figures from a shared 2-core machine are relative, not absolute.
"""

import os
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from tests.conftest import caonto_serve, free_port, get_from, running_server

CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ASK = "ASK { ?s ?p ?o }"


def _timed(function, *args) -> float:
    started = time.perf_counter()
    try:
        function(*args)
    except Exception:  # refusals are part of what is measured
        pass
    return time.perf_counter() - started


def checks() -> None:
    from caonto.engine.guard import parse_in_deep_thread, read
    from caonto.web.labels import LabelTable, Name
    from caonto.web.negotiation import negotiate
    from caonto.web.search import SearchIndex

    print("check                                    size      seconds")
    for size in (10_000, 100_000, 1_000_000):
        cases = {
            "guard: FILTER(111…1)": "ASK { FILTER(" + "1" * size + ") }",
            "guard: comment padding": "#" + "x" * size + "\nASK {}",
            "guard: long string": 'ASK { FILTER("' + "a" * size + '") }',
            "guard: VALUES 1 2 3 …": "ASK { VALUES ?x {" + " 1" * (size // 2) + " } }",
        }
        for name, text in cases.items():
            if "VALUES" in name and size > 100_000:
                continue  # ~125 µs per value: past 10 s, killed with its worker in service
            print(f"{name:38} {size:>8} {_timed(parse_in_deep_thread, read, text):10.3f}")
    for ranges in (8, 64):
        header = ", ".join(f"text/x-{i};q=0.{i % 9 + 1}" for i in range(ranges - 1)) + ", */*"
        spent = _timed(lambda h: [negotiate(h, "solutions") for _ in range(100)], header) / 100
        print(f"{'negotiation, ' + str(ranges) + ' ranges':38} {len(header):>8} {spent:10.5f}")
    labels = LabelTable()
    for i in range(3000):
        labels.names[f"https://x/{i}"] = [Name(f"Қазақстан Республикасы {i}", "kk",
                                               "http://www.w3.org/2000/01/rdf-schema#label")]
    index = SearchIndex.from_labels(labels)
    for length in (20, 200):
        print(f"{'search, 3000 names':38} {length:>8} "
              f"{_timed(index.search, 'қазақстан ' * (length // 10)):10.4f}")


def _cheap_and_page(base: str, scenario: str) -> tuple[str, str]:
    results = []
    fresh = f"{ASK} # {scenario}"  # a text of its own: no answer from the cache
    for url in (base + "sparql?" + urllib.parse.urlencode({"query": fresh}),
                base + "page/id/special"):
        started = time.perf_counter()
        status, _ = get_from("127.0.0.2", url)
        results.append(f"{status} in {time.perf_counter() - started:5.2f} s")
    return results[0], results[1]


def attack() -> None:
    from caonto.synthetic import generate

    directory = Path(tempfile.mkdtemp(prefix="caonto-attack-"))
    data = directory / "data.nq"
    generate(3000, data)
    with open(data, "a", encoding="utf-8") as handle:
        handle.write('<https://w3id.org/caonto/id/special> '
                     '<http://www.w3.org/2000/01/rdf-schema#label> "special" '
                     '<https://w3id.org/caonto/graph/essay> .\n')
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    env = dict(os.environ, CAONTO_DATASET=str(data), CAONTO_WORKERS="2",
               CAONTO_PAGE_WORKERS="1", CAONTO_QUERY_TIMEOUT="10")
    print("\nattack                                   cheap ASK (other client)   page")
    with running_server(caonto_serve(port), base + "sparql?query=ASK%7B%7D",
                        directory / "serve.log", env):
        for name, attackers in (("none", []), ("2 slow queries, 1 address", ["127.0.0.3"] * 2),
                                ("2 slow queries, 2 addresses", ["127.0.0.3", "127.0.0.4"])):
            threads = [threading.Thread(target=get_from, args=(source, base + "sparql?"
                                                                + urllib.parse.urlencode(
                                                                    {"query": CROSS})))
                       for source in attackers]
            for thread in threads:
                thread.start()
            time.sleep(1)  # let the slow queries reach the workers
            cheap, page = _cheap_and_page(base, name)
            print(f"{name:40} {cheap:26} {page}")
            for thread in threads:
                thread.join(60)


if __name__ == "__main__":
    checks()
    attack()
