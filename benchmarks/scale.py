"""Scale benchmark: inference, validation, load, start-up, queries and memory per size.

    python -m benchmarks.scale                      # 20k, 200k and 1M triples (~45 min)
    python -m benchmarks.scale --sizes 20000 --quick

For each size the synthetic generator (``caonto.synthetic``) writes a dataset shaped
like the essay's, its inferred graph computed by the reasoner. Reasoning is measured on
the real ontology plus the synthetic essay graph; serving on the generated N-Quads
(ontology, essay and inferred graphs). Heavy measurements run in their own process
(``--measure``), so each reports its own peak memory and none inherits another's heap.
owlrl and full pySHACL runs are bounded by size (``--owlrl-max``, ``--validate-max``):
beyond, the table gives the bound instead. Every load loop is bounded in requests and
seconds (wrk when installed, named in the report); servers bind 127.0.0.1 only. Writes
benchmarks/scale-results.md — wholly this script's output, machine description
included — and benchmarks/scale.png.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import (
    QUERIES,
    Server,
    client_name,
    drive,
    free_port,
    load,
    machine_description,
    start_oxigraph,
)

REPOSITORY = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
LOOKUP_ENTITY = "https://w3id.org/caonto/id/state-0-1"


# ---- measurements in a child process ---------------------------------------------------------

def _peak_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries
    ru_maxrss over exec, so a child would inherit the parent's footprint."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _dataset(n: int, workdir: Path) -> Path:
    from caonto.synthetic import generate

    path = workdir / f"synthetic-{n}.nq"
    if not path.exists():
        generate(n, path)
    return path


def _asserted_triples(n: int, workdir: Path) -> list:
    """The real ontology plus the synthetic essay graph, as rdflib triples."""
    import pyoxigraph as ox
    from rdflib import BNode, Literal, URIRef

    from caonto.pipeline import load_asserted

    def term(t):
        if isinstance(t, ox.NamedNode):
            return URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return BNode(t.value)
        if t.language:
            return Literal(t.value, lang=t.language)
        datatype = t.datatype.value
        return Literal(t.value, datatype=None if datatype == XSD_STRING else URIRef(datatype))

    essay = [(term(q.subject), term(q.predicate), term(q.object))
             for q in ox.parse(path=str(_dataset(n, workdir)), format=ox.RdfFormat.N_QUADS)
             if q.graph_name.value.endswith("/graph/essay")]
    return list(load_asserted().ontology) + essay


def measure_reasoning(n: int, workdir: Path, owlrl: bool, validate: bool) -> dict:
    from rdflib import Graph

    from caonto.inference import InconsistencyError, infer, publishable, reasoning_input
    from caonto.reasoner import Closure
    from caonto.validation import validate_graph

    asserted = _asserted_triples(n, workdir)
    out = {"asserted": len(asserted)}
    began = time.perf_counter()
    closure = Closure(reasoning_input(asserted))
    out["fast_s"] = time.perf_counter() - began
    out["closure"] = len(closure)
    out["errors"] = len(closure.errors())
    out["fast_with_checks_s"] = time.perf_counter() - began
    published = publishable(closure, set(asserted))
    out["inferred"] = len(published)
    if owlrl:
        graph = Graph()
        for triple in asserted:
            graph.add(triple)
        began = time.perf_counter()
        try:
            slow = set(infer(graph, "owlrl"))
        except InconsistencyError as error:
            slow = error.messages
        out["owlrl_s"] = time.perf_counter() - began
        out["identical"] = slow == set(published)
    if validate:
        data = Graph()
        for triple in closure:
            data.add(triple)
        began = time.perf_counter()
        report = validate_graph(data)
        out["validate_s"] = time.perf_counter() - began
        out["violations"] = len(report.violations)
    out["peak_mb"] = _peak_mb()
    return out


CONTRIBUTION = """
@prefix cao: <https://w3id.org/caonto/def/> .
@prefix caor: <https://w3id.org/caonto/id/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
caor:membership-bench-{k} a cao:Membership ;
    rdfs:label "Membership {k}"@en , "Мүшелік {k}"@kk ;
    cao:member caor:state-{k}-1 ; cao:organization caor:org-{k}-0 ;
    dcterms:source <https://example.org/source/{k}> ;
    cao:startDate "2001-06-15"^^xsd:date .
"""


CONTRIBUTION_NT = (  # the same contribution as N-Triples, as the gateway publishes it
    "<https://w3id.org/caonto/id/membership-bench-{k}> "
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/caonto/def/Membership> .\n"
    "<https://w3id.org/caonto/id/membership-bench-{k}> "
    "<https://w3id.org/caonto/def/member> <https://w3id.org/caonto/id/state-{k}-1> .\n"
    "<https://w3id.org/caonto/id/membership-bench-{k}> "
    "<https://w3id.org/caonto/def/organization> <https://w3id.org/caonto/id/org-{k}-0> .\n"
    "<https://w3id.org/caonto/id/membership-bench-{k}> "
    "<http://purl.org/dc/terms/source> <https://example.org/source/{k}> .\n")


def measure_incremental(n: int, workdir: Path, writes: int = 5) -> dict:
    from rdflib import Graph

    from caonto.incremental import IncrementalChecker
    from caonto.validation import ValidationReport

    asserted = _asserted_triples(n, workdir)
    began = time.perf_counter()
    # The accepted state's own report is what a stored build holds: not recomputed here.
    checker = IncrementalChecker(asserted, base_report=ValidationReport(conforms=True))
    out = {"base_s": time.perf_counter() - began}
    times, affected = [], []
    for k in range(writes):
        contribution = Graph().parse(data=CONTRIBUTION.format(k=k), format="turtle")
        began = time.perf_counter()
        result = checker.check(contribution, commit=k == writes - 1)
        times.append(time.perf_counter() - began)
        affected.append(result.affected)
        assert result.incremental and not result.inconsistencies
    out.update(write_mean_s=sum(times) / len(times), write_max_s=max(times),
               affected=max(affected), peak_mb=_peak_mb())
    return out


def measure_sparql_rules(n: int, workdir: Path) -> dict:
    """The other idea: RDFS-level rules as SPARQL INSERTs in pyoxigraph, to fixpoint."""
    import pyoxigraph as ox

    store = ox.Store()
    path = _dataset(n, workdir)
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    store.update("DROP SILENT GRAPH <https://w3id.org/caonto/graph/inferred> ; "
                 "DROP SILENT GRAPH <https://w3id.org/caonto/graph/ontology>")
    from caonto.pipeline import load_asserted

    ontology = load_asserted().ontology.serialize(format="nt", encoding="utf-8")
    store.load(ontology, format=ox.RdfFormat.N_TRIPLES,
               to_graph=ox.NamedNode("https://w3id.org/caonto/graph/ontology"))
    g = "GRAPH ?g1"
    rules = [
        f"INSERT {{ GRAPH <urn:inf> {{ ?x a ?d }} }} WHERE {{ {g} {{ ?x a ?c }} "
        f"GRAPH ?g2 {{ ?c rdfs:subClassOf ?d }} FILTER NOT EXISTS {{ GRAPH ?g3 {{ ?x a ?d }} }} }}",
        f"INSERT {{ GRAPH <urn:inf> {{ ?x a ?c }} }} WHERE {{ GRAPH ?g2 {{ ?p rdfs:domain ?c }} "
        f"{g} {{ ?x ?p ?y }} FILTER NOT EXISTS {{ GRAPH ?g3 {{ ?x a ?c }} }} }}",
        f"INSERT {{ GRAPH <urn:inf> {{ ?y a ?c }} }} WHERE {{ GRAPH ?g2 {{ ?p rdfs:range ?c }} "
        f"{g} {{ ?x ?p ?y }} FILTER(!isLiteral(?y)) "
        f"FILTER NOT EXISTS {{ GRAPH ?g3 {{ ?y a ?c }} }} }}",
        f"INSERT {{ GRAPH <urn:inf> {{ ?y ?q ?x }} }} WHERE {{ GRAPH ?g2 {{ ?p owl:inverseOf ?q }} "
        f"{g} {{ ?x ?p ?y }} FILTER NOT EXISTS {{ GRAPH ?g3 {{ ?y ?q ?x }} }} }}",
        f"INSERT {{ GRAPH <urn:inf> {{ ?x ?q ?y }} }} WHERE {{ GRAPH ?g2 "
        f"{{ ?p rdfs:subPropertyOf ?q }} {g} {{ ?x ?p ?y }} "
        f"FILTER NOT EXISTS {{ GRAPH ?g3 {{ ?x ?q ?y }} }} }}",
    ]
    prefix = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
              "PREFIX owl: <http://www.w3.org/2002/07/owl#> ")
    began, rounds, size = time.perf_counter(), 0, -1
    while len(store) != size and rounds < 20:
        size = len(store)
        rounds += 1
        for rule in rules:
            store.update(prefix + rule)
    elapsed = time.perf_counter() - began
    added = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode("urn:inf")))
    return {"sparql_rules_s": elapsed, "rounds": rounds, "added": added, "peak_mb": _peak_mb()}


def measure_stores(n: int, workdir: Path) -> dict:
    """pyoxigraph load times and memory: in memory (every worker's copy) and on disk."""
    import pyoxigraph as ox

    path = _dataset(n, workdir)
    baseline = _peak_mb()
    began = time.perf_counter()
    memory = ox.Store()
    memory.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    out = {"memory_load_s": time.perf_counter() - began, "quads": len(memory),
           "memory_store_mb": _peak_mb() - baseline}
    del memory
    location = workdir / f"disk-{n}"
    shutil.rmtree(location, ignore_errors=True)
    began = time.perf_counter()
    disk = ox.Store(str(location))
    disk.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    disk.flush()
    del disk
    out["disk_load_s"] = time.perf_counter() - began
    out["disk_mb"] = sum(f.stat().st_size for f in location.rglob("*") if f.is_file()) / 2**20
    return out


def measure_read_only(n: int, workdir: Path) -> dict:
    """A worker that opens the on-disk store read-only instead of loading a copy."""
    import pyoxigraph as ox

    location = workdir / f"disk-{n}"
    baseline = _peak_mb()
    began = time.perf_counter()
    store = ox.Store.read_only(str(location))
    opened = time.perf_counter() - began
    for name in ("join", "aggregate"):
        list(store.query(QUERIES[name], use_default_graph_as_union=True))
    return {"open_s": opened, "peak_mb": _peak_mb(), "growth_mb": _peak_mb() - baseline}


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of process ``pid`` now (VmRSS) or at its peak (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _unique_mb(*directories: Path) -> float:
    """Bytes on disk under ``directories``, each hard-linked file counted once."""
    inodes = {}
    for directory in directories:
        for path in directory.rglob("*"):
            if path.is_file():
                stat = path.stat()
                inodes[(stat.st_dev, stat.st_ino)] = stat.st_blocks * 512
    return sum(inodes.values()) / 2**20


def measure_disk_writes(n: int, workdir: Path, writes: int = 100) -> dict:
    """Memory of the engine on the shared on-disk store before and after ``writes``
    writes, each published as the gateway publishes an accepted contribution: a delta
    (``GraphDelta``) adding the new graph, its entry in the contribution log and the
    write's own inferences to the inferred graph. This process plays the server; its
    children are the 2 query workers, the page worker and, once a write comes, the
    writer. RSS is read after every worker has answered the same queries."""
    from caonto.engine.disk_store import location_for
    from caonto.engine.interface import GraphDelta
    from caonto.engine.pool import QueryEngine

    dataset = _dataset(n, workdir)
    inferred_iri = "https://w3id.org/caonto/graph/inferred"
    queries = [QUERIES["aggregate"], QUERIES["lookup"].replace("{entity}", LOOKUP_ENTITY)]
    engine = QueryEngine(dataset, workers=2, page_workers=1, timeout=300, disk_store=True)

    def every_worker_answers() -> None:
        for query in queries:
            for _ in range(2):
                engine.query(query)
            engine.query(query, internal=True)

    def rss() -> dict:
        children = _children(os.getpid())
        workers = set(engine.worker_pids())
        return {"server": _rss_mb(os.getpid()),
                "workers": sum(_rss_mb(pid) for pid in children if pid in workers),
                "writer": sum(_rss_mb(pid) for pid in children if pid not in workers),
                "writer_peak": sum(_rss_mb(pid, "VmHWM") for pid in children
                                   if pid not in workers),
                "total": _rss_mb(os.getpid()) + sum(_rss_mb(pid) for pid in children)}

    try:
        every_worker_answers()
        out = {"before": rss(), "writes": writes}
        times = []
        for k in range(writes):
            graph = f"https://w3id.org/caonto/graph/contrib/bench-{k}"
            member = f"<https://w3id.org/caonto/id/membership-bench-{k}>"
            state = f"<https://w3id.org/caonto/id/state-{k}-1>"
            derived = (f"{state} <https://w3id.org/caonto/def/hasMembership> {member} .\n"
                       f"{member} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                       "<http://www.w3.org/ns/org#Membership> .\n").encode()
            logged = (f"<{graph}> <http://purl.org/dc/terms/created> "
                      f"\"2026-01-01T00:00:{k % 60:02d}Z\" .\n").encode()
            began = time.perf_counter()
            engine.change_graphs(GraphDelta(added={
                graph: CONTRIBUTION_NT.format(k=k).encode(), inferred_iri: derived,
                "https://w3id.org/caonto/graph/contrib-log": logged}))
            times.append(time.perf_counter() - began)
        every_worker_answers()
        checkpoints = engine.checkpoints()
        base = location_for(dataset)
        writes_dir = base.with_name(base.name + "-writes")
        out.update(after=rss(), write_mean_s=sum(times) / len(times), write_max_s=max(times),
                   checkpoints=len(checkpoints), base_mb=_unique_mb(base),
                   writes_mb=_unique_mb(base, writes_dir) - _unique_mb(base),
                   peak_mb=_peak_mb())
        return out
    finally:
        engine.close()


MEASURES = {"reasoning": measure_reasoning, "incremental": measure_incremental,
            "sparql-rules": measure_sparql_rules, "stores": measure_stores,
            "read-only": measure_read_only, "disk-writes": measure_disk_writes}


def in_child(measure: str, n: int, workdir: Path, limit: float, **flags) -> dict:
    """Run one measurement in a fresh interpreter; {} plus a note when it fails or overruns."""
    command = [sys.executable, "-m", "benchmarks.scale", "--measure", measure, "--size",
               str(n), "--workdir", str(workdir)] + [f"--{k}" for k, v in flags.items() if v]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit,
                              cwd=REPOSITORY)
    except subprocess.TimeoutExpired:
        return {"note": f"over {limit:.0f} s"}
    if done.returncode != 0:
        return {"note": (done.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- servers ---------------------------------------------------------------------------------

def start_caonto_mode(dataset: Path, disk: str, workers: int = 2) -> Server:
    """``caonto serve --dataset`` with CAONTO_DISK_STORE=``disk`` (on/off)."""
    port = free_port()
    env = dict(os.environ, CAONTO_MAX_ROWS="100000", CAONTO_QUERY_TIMEOUT="60",
               CAONTO_CACHE_MB="0", CAONTO_DISK_STORE=disk, CAONTO_WORKERS=str(workers))
    return Server(f"caonto-{'disk' if disk == 'on' else 'memory'}",
                  [str(BIN / "caonto"), "serve", "--port", str(port), "--dataset",
                   str(dataset), "--threads", "8"], f"http://127.0.0.1:{port}/sparql", env)


def _timed_start(start) -> tuple[Server, float]:
    began = time.perf_counter()
    server = start()
    return server, time.perf_counter() - began


def serve_and_drive(n: int, workdir: Path, concurrency: list[int], max_requests: int,
                    seconds: float) -> dict:
    """Start-up, memory, and query latency/throughput: caonto with a store per worker,
    caonto with the shared on-disk store, and Oxigraph server."""
    from caonto.engine.disk_store import location_for

    dataset = _dataset(n, workdir)
    shutil.rmtree(location_for(dataset), ignore_errors=True)
    out: dict = {"queries": {}}
    servers = []
    try:
        memory, out["caonto_start_s"] = _timed_start(lambda: start_caonto_mode(dataset, "off"))
        servers.append(memory)
        disk, out["disk_first_start_s"] = _timed_start(lambda: start_caonto_mode(dataset, "on"))
        servers.append(disk)
        oxigraph, out["oxigraph_load_and_start_s"] = _timed_start(
            lambda: start_oxigraph(dataset, workdir))
        servers.append(oxigraph)
        for name, text in QUERIES.items():
            query = text.replace("{entity}", LOOKUP_ENTITY)
            for c in concurrency:
                for server in servers:
                    drive(server.url, query, c, 5, 30)  # warm-up, bounded
                    result = load(server.url, query, c, seconds, max_requests)
                    out["queries"][f"{name}/{c}/{server.name}"] = result
        out["caonto_rss_mb"], out["caonto_peak_mb"] = memory.rss_mb()
        out["disk_rss_mb"], out["disk_peak_mb"] = disk.rss_mb()
        out["oxigraph_rss_mb"], out["oxigraph_peak_mb"] = oxigraph.rss_mb()
    finally:
        for server in servers:
            server.stop()
    # Restarting reuses the on-disk store; more workers cost little memory with it.
    again, out["disk_restart_s"] = _timed_start(lambda: start_caonto_mode(dataset, "on", 4))
    try:
        drive(again.url, QUERIES["aggregate"], 4, 8, 60)
        out["disk4_rss_mb"], out["disk4_peak_mb"] = again.rss_mb()
    finally:
        again.stop()
    shutil.rmtree(location_for(dataset), ignore_errors=True)
    return out


def measure_publish(n: int, workdir: Path) -> dict:
    """``caonto publish`` into a fresh Oxigraph server (Graph Store Protocol PUTs)."""
    from caonto.publish import publish

    location = workdir / f"publish-{n}"
    shutil.rmtree(location, ignore_errors=True)
    port = free_port()
    server = Server("oxigraph-rw", [str(BIN / "oxigraph"), "serve", "--location",
                                     str(location), "--bind", f"127.0.0.1:{port}"],
                    f"http://127.0.0.1:{port}/query")
    try:
        began = time.perf_counter()
        counts = publish(_dataset(n, workdir), f"http://127.0.0.1:{port}/store", timeout=900)
        return {"publish_s": time.perf_counter() - began, "triples": sum(counts.values())}
    finally:
        server.stop()
        shutil.rmtree(location, ignore_errors=True)


def essay_startup(workdir: Path) -> dict:
    """The real essay: a cold build (inference + validation) against reusing the stored one."""
    from caonto.build import build_dataset

    out_dir = workdir / "essay-build"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir()
    began = time.perf_counter()
    build_dataset(force=True, out_dir=out_dir)
    cold = time.perf_counter() - began
    began = time.perf_counter()
    built = build_dataset(out_dir=out_dir)
    return {"cold_build_s": cold, "stored_build_s": time.perf_counter() - began,
            "triples": sum(built.triples_per_graph.values())}


# ---- the report ------------------------------------------------------------------------------

def _s(value, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def report(results: dict, args) -> str:
    sizes = results["sizes"]
    m = results["machine"]
    load_avg = " / ".join(f"{v:.2f}" for v in m["load_start"])
    load_end = " / ".join(f"{v:.2f}" for v in results.get("load_end", m["load_start"]))
    lines = ["# caonto at scale: measured", "",
             f"Generated by `python -m benchmarks.scale --sizes {','.join(map(str, sizes))}"
             f"{' --quick' if args.quick else ''}` (`make bench-scale`); every figure, table "
             "and note below is this script's output. Reading notes: [NOTES.md](NOTES.md).", "",
             "## Machine", "",
             f"- {m['cpu']}, {m['cpus']} CPUs, {m['memory_mb']} MB RAM; {m['system']}; "
             f"Python {m['python']}; {m['date']}",
             f"- Load average (1/5/15 min) at the start: {load_avg}; at the end: {load_end}. "
             "The machine is shared with other work: figures are relative.",
             f"- Load generator for the query tables: {results['client']}.", "",
             "Sizes are the synthetic dataset's triples (ontology + essay + inferred graphs, "
             "`caonto.synthetic`: the project's ontology, a synthetic essay graph, and the "
             "closure the reasoner publishes for them). Reasoning runs on the ontology plus "
             "the synthetic essay graph (the *asserted* column).", "",
             "## Inference and validation", "",
             "*incremental check*: `caonto.incremental.IncrementalChecker.check` alone on a "
             "7-triple contribution, in process, starting from a base report taken as "
             "conforming (not recomputed) — no HTTP, no storage, no publishing; end-to-end "
             "write latency is in benchmarks/results.md.", "",
             "| size | asserted | closure | inferred (published) | caonto.reasoner s | "
             "owlrl s | same result | full SHACL s | incremental check s (mean / max) | "
             "nodes re-validated | reasoner peak MB |",
             "|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
    for n in sizes:
        r = results[str(n)]
        rs, inc = r.get("reasoning", {}), r.get("incremental", {})
        owl = _s(rs.get("owlrl_s"), 1) if "owlrl_s" in rs else f"not run (> {args.owlrl_max})"
        val = _s(rs.get("validate_s"), 1) if "validate_s" in rs \
            else f"not run (> {args.validate_max})"
        same = {True: "identical", False: "DIFFERENT"}.get(rs.get("identical"), "–")
        lines.append(
            f"| {n} | {rs.get('asserted', '–')} | {rs.get('closure', '–')} | "
            f"{rs.get('inferred', '–')} | {_s(rs.get('fast_with_checks_s'))} | {owl} | {same} | "
            f"{val} | {_s(inc.get('write_mean_s'), 3)} / {_s(inc.get('write_max_s'), 3)} | "
            f"{inc.get('affected', '–')} | {_s(rs.get('peak_mb'), 0)} |"
            + (f" {rs['note']}" if "note" in rs else ""))
    if "sparql_rules" in results:
        sr, at = results["sparql_rules"], results["sparql_rules_size"]
        python_s = results.get(str(at), {}).get("reasoning", {}).get("fast_with_checks_s")
        lines += ["", "The other design measured: OWL-RL rules as SPARQL `INSERT … WHERE … "
                  "FILTER NOT EXISTS` run to fixpoint in pyoxigraph. Five RDFS-level rules "
                  f"(subclass, domain, range, inverse, subproperty) took "
                  f"{_s(sr.get('sparql_rules_s'), 1)} s ({sr.get('rounds')} rounds) at {at} "
                  f"triples; the Python chainer does every rule (chains, sameAs, functional "
                  f"properties, datatypes) and the consistency checks in {_s(python_s, 1)} s. "
                  "The same order of time, and the Python chainer was kept for what SPARQL "
                  "rules cannot do as well: owlrl's closure types *literals* (range and "
                  "datatype rules; the checks between disjoint datatypes depend on them) and "
                  "an RDF store cannot hold a literal subject; property chains and sameAs "
                  "need one rule per shape; and trying a write then rolling it back is a "
                  "list of added triples in memory but a copy of the store in SPARQL."]
    from caonto.config import BY_NAME
    from caonto.engine.factory import disk_store_threshold_mb

    memory_mb = BY_NAME["CAONTO_MEMORY_MB"].default
    lines += ["", "## Load, start-up and memory", "",
              "caonto serve runs 2 query workers unless noted. *memory*: each worker loads "
              "its own in-memory copy (CAONTO_DISK_STORE=off); *disk*: the workers share "
              "one read-only on-disk store (CAONTO_DISK_STORE=on; `auto`, the default, "
              f"picks it above {disk_store_threshold_mb(memory_mb, 2):.0f} MB of N-Quads "
              f"with 2 workers and {disk_store_threshold_mb(memory_mb, 4):.0f} MB with 4, "
              f"for CAONTO_MEMORY_MB={memory_mb:g}: `caonto.engine.factory."
              "disk_store_threshold_mb`). Peak MB sums the server process and its "
              "workers (VmHWM).", "",
              "| size | pyoxigraph in-memory load s | in-memory store MB | on-disk build s | "
              "on-disk MB | read-only open s | read-only worker growth MB | "
              "start s: memory / disk first / disk again | peak MB: memory / disk / "
              "disk with 4 workers | Oxigraph load + start s | Oxigraph peak MB | "
              "caonto publish s |",
              "|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|"]
    for n in sizes:
        r = results[str(n)]
        st, ro, sv, pb = (r.get("stores", {}), r.get("read_only", {}), r.get("serve", {}),
                          r.get("publish", {}))
        lines.append(
            f"| {n} | {_s(st.get('memory_load_s'))} | {_s(st.get('memory_store_mb'), 0)} | "
            f"{_s(st.get('disk_load_s'))} | {_s(st.get('disk_mb'), 0)} | "
            f"{_s(ro.get('open_s'), 3)} | {_s(ro.get('growth_mb'), 0)} | "
            f"{_s(sv.get('caonto_start_s'), 1)} / {_s(sv.get('disk_first_start_s'), 1)} / "
            f"{_s(sv.get('disk_restart_s'), 1)} | {_s(sv.get('caonto_peak_mb'), 0)} / "
            f"{_s(sv.get('disk_peak_mb'), 0)} / {_s(sv.get('disk4_peak_mb'), 0)} | "
            f"{_s(sv.get('oxigraph_load_and_start_s'))} | {_s(sv.get('oxigraph_peak_mb'), 0)} | "
            f"{_s(pb.get('publish_s'))} |")
    lines += ["", "## Writes on the shared on-disk store", "",
              "The engine on the shared store (CAONTO_DISK_STORE=on; 2 query workers and the "
              "page worker) before and after 100 writes, each published as the gateway "
              "publishes an accepted contribution: a delta adding the new graph, its entry "
              "in the contribution log and the triples the write derives to the inferred "
              "graph. One writer process applies each delta to its read-write copy and "
              "checkpoints it; the "
              "workers reopen the newest checkpoint read-only (`caonto.engine.disk_store`). "
              "RSS (MB, now, not peak) is read after every worker has answered the same two "
              "queries; *server* is the process holding the engine (the gateway's own "
              "graphs, held by `caonto serve` for checking writes, are not in it). *disk*: "
              "the prepared store, and the writer's copy plus the checkpoints kept, each "
              "hard-linked file counted once: *writes* is what the writer's copy and the "
              "checkpoints add to the prepared store.", "",
              "| size | RSS before: server / workers / total | RSS after: server / workers / "
              "writer / total | writer peak MB | write s (mean / max) | checkpoints kept | "
              "disk MB: store / writes |",
              "|---:|---|---|---:|---|---:|---|"]
    for n in sizes:
        w = results[str(n)].get("disk_writes", {})
        before, after = w.get("before", {}), w.get("after", {})
        if not before:
            lines.append(f"| {n} | {w.get('note', '–')} | | | | | |")
            continue
        lines.append(
            f"| {n} | {_s(before.get('server'), 0)} / {_s(before.get('workers'), 0)} / "
            f"{_s(before.get('total'), 0)} | {_s(after.get('server'), 0)} / "
            f"{_s(after.get('workers'), 0)} / {_s(after.get('writer'), 0)} / "
            f"{_s(after.get('total'), 0)} | {_s(after.get('writer_peak'), 0)} | "
            f"{_s(w.get('write_mean_s'))} / "
            f"{_s(w.get('write_max_s'))} | {w.get('checkpoints', '–')} | "
            f"{_s(w.get('base_mb'), 0)} / {_s(w.get('writes_mb'), 0)} |")
    if "essay" in results:
        e = results["essay"]
        lines += ["", f"Start-up on the real essay ({e.get('triples')} triples): a cold build "
                  f"(parse, closure, SHACL, write) takes {_s(e.get('cold_build_s'))} s; with the "
                  f"stored build it takes {_s(e.get('stored_build_s'), 3)} s (hash the inputs, "
                  "read the manifest) — `caonto serve` never recomputes what the build stores. "
                  "For the synthetic sizes, *caonto serve start* is the start-up with a stored "
                  "build (the N-Quads file is loaded, nothing is inferred or validated); without "
                  "one, add the reasoner and full SHACL columns above."]
    lines += ["", "## Queries: caonto against Oxigraph server", "",
              "Same data, same queries (benchmarks/run.py: *join*, *aggregate*, *lookup*), "
              f"keep-alive HTTP, {args.seconds:g} s per cell"
              + ("." if "wrk" in results["client"] else f" or {args.requests} requests."),
              "", "| size | query | concurrency | caonto memory q/s | p50 ms | p99 ms | "
              "caonto disk q/s | p50 ms | p99 ms | Oxigraph q/s | p50 ms | p99 ms | "
              "memory / Oxigraph | disk / Oxigraph |",
              "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        queries = results[str(n)].get("serve", {}).get("queries", {})
        for name in QUERIES:
            for c in args.concurrency:
                cells = [queries.get(f"{name}/{c}/{server}")
                         for server in ("caonto-memory", "caonto-disk", "oxigraph")]
                if not all(cells):
                    continue
                a, d, b = cells
                lines.append(
                    f"| {n} | {name} | {c} | " + " | ".join(
                        f"{x['qps']:.1f} | {x['p50']:.1f} | {x['p99']:.1f}" for x in cells)
                    + f" | {a['qps'] / b['qps']:.2f} | {d['qps'] / b['qps']:.2f} |"
                    if b["qps"] else "")
    lines += ["", "![inference and validation time per size](scale.png)", ""]
    return "\n".join(lines)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = results["sizes"]
    series = {
        "caonto.reasoner (closure + checks)": [results[str(n)].get("reasoning", {})
                                               .get("fast_with_checks_s") for n in sizes],
        "owlrl": [results[str(n)].get("reasoning", {}).get("owlrl_s") for n in sizes],
        "full SHACL (pySHACL)": [results[str(n)].get("reasoning", {}).get("validate_s")
                                 for n in sizes],
        "incremental write check": [results[str(n)].get("incremental", {})
                                    .get("write_mean_s") for n in sizes],
        "caonto serve start (stored build)": [results[str(n)].get("serve", {})
                                              .get("caonto_start_s") for n in sizes],
        "caonto serve restart (on-disk store)": [results[str(n)].get("serve", {})
                                                 .get("disk_restart_s") for n in sizes],
    }
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for label, values in series.items():
        points = [(n, v) for n, v in zip(sizes, values, strict=False) if v]
        if points:
            axes[0].plot(*zip(*points, strict=False), marker="o", label=label)
    axes[0].set(xscale="log", yscale="log", xlabel="triples", ylabel="seconds",
                title="Inference, validation, start-up")
    axes[0].legend(fontsize=8)
    for server, style in (("caonto-memory", "-"), ("caonto-disk", ":"), ("oxigraph", "--")):
        for name in QUERIES:
            points = [(n, results[str(n)].get("serve", {}).get("queries", {})
                       .get(f"{name}/1/{server}", {}).get("p50")) for n in sizes]
            points = [(n, v) for n, v in points if v]
            if points:
                axes[1].plot(*zip(*points, strict=False), style, marker="o",
                             label=f"{name} ({server})")
    axes[1].set(xscale="log", yscale="log", xlabel="triples", ylabel="p50 latency, ms",
                title="Query latency, concurrency 1")
    axes[1].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


# ---- main ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                        default=[20_000, 200_000, 1_000_000])
    parser.add_argument("--owlrl-max", type=int, default=20_000,
                        help="run owlrl up to this size (its time grows faster than linearly)")
    parser.add_argument("--validate-max", type=int, default=200_000,
                        help="run full pySHACL validation up to this size")
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 4])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="fewer requests, no publish")
    parser.add_argument("--out", type=Path, default=REPOSITORY / "benchmarks" / "scale-results.md")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--measure", choices=sorted(MEASURES), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--owlrl", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--validate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure:  # the child side of in_child
        flags = {"owlrl": args.owlrl, "validate": args.validate} \
            if args.measure == "reasoning" else {}
        print(json.dumps(MEASURES[args.measure](args.size, args.workdir, **flags)))
        return 0

    if args.quick:
        args.requests, args.seconds = 100, 5.0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="caonto-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict = {"sizes": args.sizes, "machine": machine_description(),
                     "client": client_name()}
    try:
        results["essay"] = essay_startup(workdir)
        for n in args.sizes:
            print(f"== {n} triples", flush=True)
            _dataset(n, workdir)
            r = results[str(n)] = {}
            r["reasoning"] = in_child("reasoning", n, workdir, 1800,
                                      owlrl=n <= args.owlrl_max, validate=n <= args.validate_max)
            print("  reasoning", r["reasoning"], flush=True)
            r["incremental"] = in_child("incremental", n, workdir, 1200)
            print("  incremental", r["incremental"], flush=True)
            r["stores"] = in_child("stores", n, workdir, 900)
            r["read_only"] = in_child("read-only", n, workdir, 300)
            print("  stores", r["stores"], r["read_only"], flush=True)
            r["serve"] = serve_and_drive(n, workdir, args.concurrency, args.requests,
                                         args.seconds)
            print("  serve", {k: v for k, v in r["serve"].items() if k != "queries"}, flush=True)
            r["disk_writes"] = in_child("disk-writes", n, workdir, 3600)
            print("  disk writes", r["disk_writes"], flush=True)
            if not args.quick:
                r["publish"] = measure_publish(n, workdir)
                print("  publish", r["publish"], flush=True)
            shutil.rmtree(workdir / f"disk-{n}", ignore_errors=True)
        middle = sorted(args.sizes)[len(args.sizes) // 2]
        results["sparql_rules_size"] = middle
        results["sparql_rules"] = in_child("sparql-rules", middle, workdir, 900)
    finally:
        results["load_end"] = os.getloadavg()
        (workdir / "scale-results.json").write_text(json.dumps(results, indent=2))
        args.out.write_text(report(results, args))
        plot(results, args.out.with_name("scale.png"))
        print(f"wrote {args.out} and {args.out.with_name('scale.png')} "
              f"(raw: {workdir / 'scale-results.json'})")
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
