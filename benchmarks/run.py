"""Endpoint benchmark: caonto against a bare Flask floor, Oxigraph's servers and Virtuoso.

    python -m benchmarks.run            # the essay + synthetic 200k (about 30 min on 2 CPUs)
    python -m benchmarks.run --quick    # the essay + synthetic 20k, short runs (a smoke run)
    python -m benchmarks.run --datasets essay --servers caonto,floor --writes 0 \
        --out /tmp/partial.md           # a part of it (written elsewhere than results.md)
    python -m benchmarks.run --only writes --out /tmp/writes.md   # the write section alone

For each dataset these servers are started on loopback and driven with the same GET
queries: ``caonto serve`` without its answer cache (every request evaluated) and with it;
the floor (benchmarks/floor.py: Flask + waitress + pyoxigraph evaluating in-process);
Oxigraph's server in memory and on RocksDB; and, for the synthetic graph, Virtuoso
Open-Source 7 loaded by ``caonto publish`` (timed), queried directly and through
``caonto serve --store``. Load comes from wrk (C) when it is installed, else from Python
threads; the report names the client. Then writes: PUT, POST and INSERT DATA of
21-triple contributions, one at a time, end to end through HTTP. The whole report —
tables, notes, machine description — is written to benchmarks/results.md by this script.
"""

import argparse
import http.client
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.processes import stop_process

from caonto.engine.pool import default_workers

REPOSITORY = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WRK = shutil.which("wrk")
PREFIXES = ("PREFIX cao: <https://w3id.org/caonto/def/>\n"
            "PREFIX caor: <https://w3id.org/caonto/id/>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n")
QUERIES = {
    # two hops: state -> membership -> organisation, with the organisation's label
    "join": PREFIXES + """SELECT ?state ?org ?label WHERE {
  ?state cao:hasMembership ?m . ?m cao:organization ?org . ?org rdfs:label ?label }""",
    "aggregate": PREFIXES + """SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class }
GROUP BY ?class ORDER BY DESC(?n) ?class""",
    "lookup": PREFIXES + "SELECT ?p ?o WHERE { <{entity}> ?p ?o }",
}
ACCEPT = "application/sparql-results+json"
# A query is cheap when its answer is small and the floor computes it in under CHEAP_MS
# (p50, one client): then the per-request costs around evaluation dominate.
CHEAP_MS = 5.0
CHEAP_ROWS = 1000
BENCH_TOKEN = "bench-token-0123456789abcdef"
BENCH_WRITER = "https://example.org/people/benchmark"


# ---- servers -----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, limit: float = 600) -> None:
    deadline = time.monotonic() + limit
    parsed = urllib.parse.urlsplit(url)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {process.args}")
        try:
            connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
            connection.request("GET", parsed.path + "?query=ASK%7B%7D")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {limit} s")


class Server:
    """A server subprocess; ``url`` is its query endpoint."""

    def __init__(self, name: str, args: list[str], url: str, env: dict | None = None,
                 process: subprocess.Popen | None = None):
        self.name, self.url = name, url
        self.log = tempfile.TemporaryFile()
        self.process = process or subprocess.Popen(args, env=env, stdout=self.log,
                                                   stderr=subprocess.STDOUT)
        _wait(url, self.process)

    def rss_mb(self) -> tuple[float, float]:
        """Resident memory now and at peak (MB), summed over the server and its children."""
        now = peak = 0
        for pid in _process_tree(self.process.pid):
            status = _status(pid)
            now += status.get("VmRSS", 0)
            peak += status.get("VmHWM", 0)
        return now / 1024, peak / 1024

    def stop(self) -> None:
        stop_process(self.process, grace=30)
        self.log.close()


def _status(pid: int) -> dict[str, int]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {k: int(v.split()[0]) for k, _, v in (line.partition(":") for line in lines)
            if k in ("VmRSS", "VmHWM")}


def _process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def start_caonto(dataset: Path, threads: int, processes: int, cache_mb: int,
                 name: str | None = None, extra_env: dict | None = None,
                 options: tuple[str, ...] = ()) -> Server:
    port = free_port()
    # Every connection of the load generator comes from 127.0.0.1, as every reader behind
    # a reverse proxy does: docs/security.md's advice for that case, one query at a time
    # per query worker for that address, lets the connections run as separate clients.
    env = dict(os.environ, CAONTO_MAX_ROWS="100000", CAONTO_QUERY_TIMEOUT="60",
               CAONTO_CACHE_MB=str(cache_mb), CAONTO_CLIENT_QUERIES=str(default_workers()))
    env.update(extra_env or {})
    name = name or ("caonto-cached" if cache_mb else "caonto")
    return Server(name, [str(BIN / "caonto"), "serve", "--port", str(port), "--dataset",
                         str(dataset), "--threads", str(threads), "--processes",
                         str(processes), *options], f"http://127.0.0.1:{port}/sparql", env)


def start_floor(dataset: Path, threads: int) -> Server:
    port = free_port()
    return Server("floor", [sys.executable, "-m", "benchmarks.floor", str(dataset), str(port),
                            str(threads)], f"http://127.0.0.1:{port}/sparql")


def start_oxigraph(dataset: Path, workdir: Path) -> Server:
    """Oxigraph's server on a RocksDB store loaded with ``oxigraph load``."""
    location = workdir / f"oxigraph-{dataset.stem}"
    if location.exists():
        shutil.rmtree(location)
    subprocess.run([str(BIN / "oxigraph"), "load", "--location", str(location),
                    "--file", str(dataset)], check=True, capture_output=True)
    port = free_port()
    return Server("oxigraph", [str(BIN / "oxigraph"), "serve-read-only", "--location",
                               str(location), "--bind", f"127.0.0.1:{port}",
                               "--union-default-graph"], f"http://127.0.0.1:{port}/query")


def start_oxigraph_memory(dataset: Path) -> Server:
    """Oxigraph's server on its in-memory store, loaded over its Graph Store endpoint."""
    port = free_port()
    server = Server("oxigraph-memory", [str(BIN / "oxigraph"), "serve", "--bind",
                                        f"127.0.0.1:{port}", "--union-default-graph"],
                    f"http://127.0.0.1:{port}/query")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/store", method="POST",
                                     data=dataset.read_bytes(),
                                     headers={"Content-Type": "application/n-quads"})
    urllib.request.urlopen(request, timeout=600).close()
    return server


# ---- load --------------------------------------------------------------------------

def answer_rows(url: str, query: str) -> int:
    """How many rows ``url`` answers ``query`` with (one SPARQL JSON request)."""
    import json

    request = urllib.request.Request(url + "?" + urllib.parse.urlencode({"query": query}),
                                     headers={"Accept": ACCEPT})
    with urllib.request.urlopen(request, timeout=300) as response:
        return len(json.load(response)["results"]["bindings"])


def client_name() -> str:
    if not WRK:
        return "Python threads (http.client, keep-alive); wrk is not installed"
    banner = subprocess.run([WRK, "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    version = banner.split()[1] if len(banner.split()) > 1 else "?"
    return f"wrk {version} (C, epoll, keep-alive; up to 2 threads)"


def load(url: str, query: str, concurrency: int, seconds: float, max_requests: int) -> dict:
    """Drive ``url`` with GET ``query`` from ``concurrency`` connections for ``seconds``:
    with wrk when installed, else with Python threads (also bounded by ``max_requests``)."""
    if WRK:
        return drive_wrk(url, query, concurrency, seconds)
    return drive(url, query, concurrency, max_requests, seconds)


def drive_wrk(url: str, query: str, concurrency: int, seconds: float) -> dict:
    target = url + "?" + urllib.parse.urlencode({"query": query})
    done = subprocess.run([WRK, "-t", str(min(concurrency, 2)), "-c", str(concurrency),
                           "-d", f"{max(1, round(seconds))}s", "--latency", "--timeout", "60s",
                           "-H", f"Accept: {ACCEPT}", target],
                          capture_output=True, text=True, timeout=seconds + 120)
    return parse_wrk(done.stdout)


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(text: str) -> dict:
    """Requests (2xx), errors, q/s and p50/p99 ms from wrk's --latency output."""
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", text)
    if not total:
        raise RuntimeError(f"unexpected wrk output:\n{text}")
    count, wall = int(total.group(1)), float(total.group(2)) * _UNIT_MS[total.group(3)] / 1000
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                              r"timeout (\d+)", text)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) \
        + (sum(map(int, socket_errors.groups())) if socket_errors else 0)
    percentiles = {int(p): float(v) * _UNIT_MS[u] for p, v, u in
                   re.findall(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)}
    ok = count - (int(non_2xx.group(1)) if non_2xx else 0)
    return {"requests": ok, "errors": errors, "qps": ok / wall if wall else 0.0,
            "p50": percentiles.get(50, float("nan")), "p99": percentiles.get(99, float("nan"))}


def drive(url: str, query: str, concurrency: int, max_requests: int,
          max_seconds: float) -> dict:
    """Issue GET queries from ``concurrency`` Python threads; bounded by count and time."""
    parsed = urllib.parse.urlsplit(url)
    target = parsed.path + "?" + urllib.parse.urlencode({"query": query})
    latencies: list[float] = []
    errors = [0]
    issued = [0]
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def client():
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        start.wait()
        while True:
            with lock:
                if issued[0] >= max_requests or time.monotonic() > deadline[0]:
                    break
                issued[0] += 1
            began = time.perf_counter()
            try:
                connection.request("GET", target, headers={"Accept": ACCEPT})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(parsed.hostname, parsed.port,
                                                        timeout=120)
            elapsed = time.perf_counter() - began
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + max_seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    return {"requests": len(latencies), "errors": errors[0], "qps": len(latencies) / wall,
            "p50": percentile(latencies, 0.50) * 1000, "p99": percentile(latencies, 0.99) * 1000}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


# ---- writes ------------------------------------------------------------------------

_CONTRIBUTION = """@prefix cao: <https://w3id.org/caonto/def/> .
@prefix caor: <https://w3id.org/caonto/id/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
_MEMBERSHIP = """caor:membership-{key} a cao:Membership ;
    rdfs:label "Membership {key}"@en , "Мүшелік {key}"@kk ;
    cao:member <{member}> ; cao:organization <{organization}> ;
    dcterms:source <https://example.org/source/{key}> ;
    cao:startDate "2001-06-15"^^xsd:date .
"""
WRITE_TRIPLES = 21  # three memberships of seven triples


def contribution(key: str, member: str, organization: str) -> str:
    return _CONTRIBUTION + "".join(_MEMBERSHIP.format(key=f"{key}-{k}", member=member,
                                                      organization=organization)
                                   for k in range(3))


def measure_writes(dataset: Path, member: str, organization: str, count: int,
                   workdir: Path) -> dict:
    """p50/p99 of PUT, POST and INSERT DATA, one at a time, each into a new graph; and,
    apart, the first write after the server started (``"first"``, ms)."""
    contrib_dir = workdir / f"contrib-{dataset.stem}"
    shutil.rmtree(contrib_dir, ignore_errors=True)
    server = start_caonto(dataset, 8, 1, 32, "caonto-writes", {
        "CAONTO_TOKENS": f"{BENCH_TOKEN} {BENCH_WRITER}", "CAONTO_CONTRIB_DIR": str(contrib_dir)})
    base = server.url.rsplit("/", 1)[0]
    out: dict = {}
    try:
        # right after start, as a first user would: not counted with the others
        out["first"] = _timed_write(base, "PUT", "first", member, organization) * 1000
        for op in ("PUT", "POST", "INSERT DATA"):
            latencies, errors, first_error = [], 0, ""
            for i in range(count):
                try:
                    latencies.append(_timed_write(base, op, f"{op.split()[0].lower()}-{i}",
                                                  member, organization))
                except urllib.error.HTTPError as error:
                    errors += 1
                    first_error = first_error or f"{error.code} {error.read()[:200]!r}"
            out[op] = {"writes": len(latencies), "errors": errors, "first_error": first_error,
                       "p50": percentile(latencies, 0.50) * 1000,
                       "p99": percentile(latencies, 0.99) * 1000,
                       "mean": statistics.fmean(latencies) * 1000 if latencies else float("nan")}
            print(f"  writes {dataset.stem} {op}: {out[op]}", flush=True)
    finally:
        server.stop()
        shutil.rmtree(contrib_dir, ignore_errors=True)
    return out


def _timed_write(base: str, op: str, key: str, member: str, organization: str) -> float:
    """Seconds from sending one write (a new graph ``bench-KEY``) to reading its answer."""
    from rdflib import Graph

    graph = f"https://w3id.org/caonto/graph/contrib/bench-{key}"
    turtle = contribution(key, member, organization)
    if op == "INSERT DATA":
        triples = Graph().parse(data=turtle, format="turtle").serialize(format="nt")
        request = urllib.request.Request(
            base + "/update", method="POST",
            data=f"INSERT DATA {{ GRAPH <{graph}> {{ {triples} }} }}".encode(),
            headers={"Content-Type": "application/sparql-update"})
    else:
        request = urllib.request.Request(f"{base}/store?graph={graph}", method=op,
                                         data=turtle.encode(),
                                         headers={"Content-Type": "text/turtle"})
    request.add_header("Authorization", f"Bearer {BENCH_TOKEN}")
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:
        response.read()
    return time.perf_counter() - began


# ---- Virtuoso ----------------------------------------------------------------------

class VirtuosoServer(Server):
    """A scratch Virtuoso (tests/virtuoso.py), holding ``dataset`` after ``caonto publish``."""

    def __init__(self, dataset: Path, workdir: Path, buffers: int):
        from tests.virtuoso import start_virtuoso

        self.instance = start_virtuoso(workdir / "virtuoso", buffers=buffers)
        env = dict(os.environ, CAONTO_STORE_CREDENTIALS=self.instance.credentials)
        began = time.perf_counter()
        subprocess.run([str(BIN / "caonto"), "publish", "--to", self.instance.gsp_url,
                        "--dataset", str(dataset), "--timeout", "1800"], env=env, check=True,
                       capture_output=True)
        self.publish_s = time.perf_counter() - began
        super().__init__("virtuoso", [], self.instance.query_url, process=self.instance.process)

    def stop(self) -> None:
        self.instance.stop()
        self.log.close()


# ---- datasets ----------------------------------------------------------------------

def essay_dataset() -> tuple[Path, str] | None:
    try:
        from caonto.build import build_dataset

        return build_dataset().nquads, "https://w3id.org/caonto/id/kazakhstan"
    except Exception as error:  # a broken build should not stop the synthetic benchmark
        print(f"essay graph unavailable ({error}); benchmarking synthetic data only")
        return None


def synthetic_dataset(n: int, workdir: Path) -> tuple[Path, str]:
    from caonto.synthetic import generate

    path = workdir / f"synthetic-{n}.nq"
    if not path.exists():
        generate(n, path)
    return path, "https://w3id.org/caonto/id/state-0-1"


# ---- main --------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="20k synthetic triples, 2 s runs, 5 writes per kind")
    parser.add_argument("--triples", type=int, default=200_000, help="synthetic graph size")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--requests", type=int, default=5000,
                        help="max requests per run (Python client only)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--processes", type=int, default=1, help="caonto server processes")
    parser.add_argument("--writes", type=int, default=40, help="writes of each kind, essay")
    parser.add_argument("--writes-large", type=int, default=15,
                        help="writes of each kind on the synthetic graph")
    parser.add_argument("--datasets", nargs="+", choices=("essay", "synthetic"),
                        default=["essay", "synthetic"], help="which datasets to run")
    parser.add_argument("--servers", type=_server_names, default=list(SERVERS),
                        help="comma-separated servers to drive (default: all): "
                             + ",".join(SERVERS))
    parser.add_argument("--only", choices=["writes"],
                        help="measure only this section (the report keeps its format, "
                             "with the other tables empty)")
    parser.add_argument("--out", type=Path, default=REPOSITORY / "benchmarks" / "results.md")
    args = parser.parse_args(argv)
    args.command = " ".join(["python -m benchmarks.run", *(argv if argv is not None
                                                            else sys.argv[1:])])
    if args.quick:
        args.triples, args.seconds, args.requests = 20_000, 2.0, 500
        args.writes = args.writes_large = 5

    machine = machine_description()
    workdir = Path(tempfile.mkdtemp(prefix="caonto-bench-"))
    datasets = []
    essay = essay_dataset() if "essay" in args.datasets else None
    if essay:
        datasets.append(("essay", *essay, "https://w3id.org/caonto/id/kazakhstan",
                         "https://w3id.org/caonto/id/sco", args.writes))
    if "synthetic" in args.datasets:
        path, entity = synthetic_dataset(args.triples, workdir)
        datasets.append((f"synthetic {args.triples // 1000}k", path, entity,
                         "https://w3id.org/caonto/id/state-0-1",
                         "https://w3id.org/caonto/id/org-0-0", args.writes_large))
    wanted = set(args.servers)
    starters = {"caonto": lambda path: start_caonto(path, args.threads, args.processes, 0),
                "caonto-cached": lambda path: start_caonto(path, args.threads,
                                                           args.processes, 32),
                "floor": lambda path: start_floor(path, args.threads),
                "oxigraph-memory": start_oxigraph_memory,
                "oxigraph": lambda path: start_oxigraph(path, workdir)}
    results: dict = {"rows": [], "memory": [], "writes": [], "virtuoso": None,
                     "answers": {}, "machine": machine, "client": client_name()}
    try:
        for label, path, entity, member, organization, writes in datasets:
            triples = sum(1 for _ in open(path, "rb"))
            print(f"== {label}: {triples} triples", flush=True)
            if args.only == "writes":
                results["writes"].append((label, triples, measure_writes(
                    path, member, organization, writes, workdir)))
                continue
            servers = []
            virtuoso = None
            try:
                for name, start in starters.items():
                    if name in wanted:
                        servers.append(start(path))
                reference = next((s for s in servers if s.name == "floor"), servers[0])
                if label != "essay" and wanted & {"virtuoso", "caonto-virtuoso"}:
                    virtuoso = VirtuosoServer(path, workdir, buffers=100_000
                                              if triples > 100_000 else 20_000)
                    servers.append(virtuoso)
                    servers.append(start_caonto(
                        path, args.threads, args.processes, 0, "caonto-virtuoso",
                        {"CAONTO_QUERY_TIMEOUT": "120"},
                        ("--store", virtuoso.instance.query_url)))
                    results["virtuoso"] = {"label": label, "triples": triples,
                                           "publish_s": virtuoso.publish_s,
                                           "started_s": virtuoso.instance.started_s}
                for name, template in QUERIES.items():
                    query = template.replace("{entity}", entity)
                    results["answers"][(label, name)] = answer_rows(reference.url, query)
                    for concurrency in args.concurrency:
                        cells = {}
                        for server in servers:
                            drive(server.url, query, 1, 20, 5)  # warm-up
                            cells[server.name] = load(server.url, query, concurrency,
                                                      args.seconds, args.requests)
                        results["rows"].append((label, triples, name, concurrency, cells))
                        print(_row_text(results["rows"][-1]), flush=True)
                results["memory"].append((label, triples, {s.name: s.rss_mb() for s in servers}))
            finally:
                for server in servers:
                    server.stop()
            if writes > 0:
                results["writes"].append((label, triples,
                                          measure_writes(path, member, organization, writes,
                                                         workdir)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["machine"]["load_end"] = os.getloadavg()
    report = _report(results, args)
    print("\n" + report)
    args.out.write_text(report, encoding="utf-8")
    return 0


def _server_names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SERVERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown server(s) {', '.join(unknown) or '(none)'}; "
                                         f"choose from {','.join(SERVERS)}")
    return names


def machine_description() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    memory = next((int(line.split()[1]) // 1024 for line in
                   Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    return {"cpu": cpu, "cpus": os.cpu_count(), "memory_mb": memory,
            "python": platform.python_version(), "system": platform.platform(),
            "load_start": os.getloadavg(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def _row_text(row) -> str:
    label, _, name, concurrency, cells = row
    return f"{label:14} {name:9} c={concurrency}  " + "  ".join(
        f"{server} {cell['qps']:.1f}" for server, cell in cells.items())


# ---- the report --------------------------------------------------------------------

SERVERS = ("caonto", "caonto-cached", "floor", "oxigraph-memory", "oxigraph",
           "virtuoso", "caonto-virtuoso")
TITLES = {"caonto": "caonto", "caonto-cached": "caonto cached", "floor": "Flask floor",
          "oxigraph-memory": "Oxigraph memory", "oxigraph": "Oxigraph RocksDB",
          "virtuoso": "Virtuoso", "caonto-virtuoso": "caonto on Virtuoso"}


def _ratio(cells: dict, a: str, b: str) -> str:
    if a in cells and b in cells and cells[b]["qps"]:
        return f"{cells[a]['qps'] / cells[b]['qps']:.2f}"
    return "–"


def _load(values) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def _report(results: dict, args) -> str:
    m = results["machine"]
    command = args.command
    lines = [
        "# Endpoint benchmark: caonto, a bare Flask floor, Oxigraph and Virtuoso", "",
        f"Generated by `{command}` (`make bench`); every figure, table and note below is "
        "this script's output. Reading notes: [NOTES.md](NOTES.md).", "",
        "## Machine", "",
        f"- {m['cpu']}, {m['cpus']} CPUs, {m['memory_mb']} MB RAM; {m['system']}; "
        f"Python {m['python']}; {m['date']}",
        f"- Load average (1/5/15 min) at the start: {_load(m['load_start'])}; at the end: "
        f"{_load(m['load_end'])}. The machine is shared: other jobs' load shows up as "
        "run-to-run differences, so compare the columns of one row, measured minutes apart, "
        "not rows of different runs.",
        f"- Load generator: {results['client']}, on the same machine as the servers.", "",
        "## Method", "",
        f"Each cell: {args.seconds:g} s of GET `?query=` requests (Accept: SPARQL JSON) from "
        "the given number of keep-alive connections, after 20 warm-up requests. "
        f"Servers: *caonto* — `caonto serve`, waitress with {args.threads} threads in "
        f"{args.processes} process(es), {default_workers()} query workers, "
        f"`CAONTO_CLIENT_QUERIES={default_workers()}` (the load generator's connections all "
        "come from one address, like readers behind a proxy: docs/security.md), answer "
        "cache off "
        "(`CAONTO_CACHE_MB=0`: every request evaluated); *caonto cached* — the same with "
        "its 32 MB answer cache (repeats served from memory); *Flask floor* — "
        f"benchmarks/floor.py, Flask + waitress ({args.threads} threads) + pyoxigraph "
        "evaluating in the request thread, with no timeout, row cap, negotiation or "
        "cache: the least a Flask endpoint over pyoxigraph pays; *Oxigraph memory* — "
        "`oxigraph serve --union-default-graph`, in memory; *Oxigraph RocksDB* — "
        "`oxigraph serve-read-only --union-default-graph` after `oxigraph load`; "
        "*Virtuoso* — Virtuoso Open-Source 7 (Debian) loaded by `caonto publish` and "
        "asked directly (its default graph is the union of every graph); *caonto on "
        "Virtuoso* — `caonto serve --store` on it (cache off).", "",
        "## Queries: throughput", "",
        "Requests per second. Ratios compare q/s within the row.", "",
    ]
    present = [s for s in SERVERS if any(s in row[4] for row in results["rows"])]
    lines += ["| dataset | query | clients | " + " | ".join(TITLES[s] for s in present)
              + " | caonto / floor | cached / floor | caonto / Oxigraph memory | "
                "caonto on Virtuoso / Virtuoso | errors |",
              "|---|---|---:|" + "---:|" * (len(present) + 5)]
    for label, _, name, concurrency, cells in results["rows"]:
        lines.append(
            f"| {label} | {name} | {concurrency} | "
            + " | ".join(f"{cells[s]['qps']:.1f}" if s in cells else "–" for s in present)
            + f" | {_ratio(cells, 'caonto', 'floor')} | {_ratio(cells, 'caonto-cached', 'floor')}"
            f" | {_ratio(cells, 'caonto', 'oxigraph-memory')} | "
            f"{_ratio(cells, 'caonto-virtuoso', 'virtuoso')} | "
            f"{sum(c['errors'] for c in cells.values())} |")
    lines += ["", "## Queries: latency", "", "p50 / p99 in ms.", "",
              "| dataset | query | clients | " + " | ".join(TITLES[s] for s in present) + " |",
              "|---|---|---:|" + "---:|" * len(present)]
    for label, _, name, concurrency, cells in results["rows"]:
        lines.append(f"| {label} | {name} | {concurrency} | " + " | ".join(
            f"{cells[s]['p50']:.1f} / {cells[s]['p99']:.1f}" if s in cells else "–"
            for s in present) + " |")
    lines += _floor_summary(results["rows"], results["answers"])
    lines += ["", "## Memory", "", "Resident MB now / peak (VmHWM), summed over each server "
              "and its child processes, after the query runs.", "",
              "| dataset | triples | " + " | ".join(TITLES[s] for s in present) + " |",
              "|---|---:|" + "---:|" * len(present)]
    for label, triples, memory in results["memory"]:
        lines.append(f"| {label} | {triples} | " + " | ".join(
            f"{memory[s][0]:.0f} / {memory[s][1]:.0f}" if s in memory else "–"
            for s in present) + " |")
    lines += _writes_section(results["writes"])
    lines += _virtuoso_section(results)
    lines += ["", "## The queries", "", "The lookup's entity is caor:kazakhstan for the "
              "essay and caor:state-0-1 for the synthetic graph (`caonto.synthetic`: the "
              "project's ontology, a synthetic essay graph that conforms to the shapes, and "
              "the closure the reasoner publishes for them). Answer rows: " + "; ".join(
                  f"{label} {name} {rows}" for (label, name), rows in results["answers"].items())
              + ".", ""]
    for name, template in QUERIES.items():
        lines += [f"{name}:", "```sparql", template.replace(PREFIXES, "").strip(), "```", ""]
    return "\n".join(lines)


def _floor_summary(rows, answers: dict) -> list[str]:
    cheap = [(label, name, c, cells) for label, _, name, c, cells in rows
             if "floor" in cells and "caonto" in cells
             and answers.get((label, name), CHEAP_ROWS + 1) <= CHEAP_ROWS
             and rows_floor_p50(rows, label, name) < CHEAP_MS]
    if not cheap:
        return []
    ratios = [cells["caonto"]["qps"] / cells["floor"]["qps"] for *_, cells in cheap
              if cells["floor"]["qps"]]
    cached = [cells["caonto-cached"]["qps"] / cells["floor"]["qps"] for *_, cells in cheap
              if cells["floor"]["qps"] and "caonto-cached" in cells]
    names = sorted({f"{label} {name}" for label, name, *_ in cheap})
    verdict = "met" if min(ratios) >= 0.9 else "not met"
    with_cache = (f"; with caonto's answer cache: min {min(cached):.2f}, "
                  f"median {statistics.median(cached):.2f}") if cached else ""
    return ["", "### caonto against the Flask floor, cheap queries", "",
            f"Cheap queries — an answer of at most {CHEAP_ROWS} rows that the floor computes "
            f"for one client in under {CHEAP_MS:g} ms (p50): {', '.join(names)}. "
            "caonto / floor q/s over those rows, every concurrency: "
            f"min {min(ratios):.2f}, median {statistics.median(ratios):.2f}, "
            f"max {max(ratios):.2f} (target ≥ 0.90: {verdict}){with_cache}."]


def rows_floor_p50(rows, label: str, name: str) -> float:
    """The floor's p50 for one client on this dataset's query (inf when not measured)."""
    for row_label, _, row_name, concurrency, cells in rows:
        if (row_label, row_name, concurrency) == (label, name, 1) and "floor" in cells:
            return cells["floor"]["p50"]
    return float("inf")


def _writes_section(writes) -> list[str]:
    lines = ["", "## Writes", "",
             f"End to end through HTTP: from sending the request to reading the answer, one "
             f"write at a time, each a new {WRITE_TRIPLES}-triple contributed graph (three "
             "memberships) with a bearer token, against `caonto serve` with the answer "
             "cache on. The server answers after the write is checked (the shapes and the "
             "closure), fsynced and published to the query workers, inferred triples "
             "included.", "",
             "| dataset | triples | write | count | p50 ms | p99 ms | mean ms | errors |",
             "|---|---:|---|---:|---:|---:|---:|---:|"]
    notes, firsts = [], []
    for label, triples, ops in writes:
        firsts.append(f"{ops['first']:.0f} ms on the {label} graph")
        for op, r in ops.items():
            if op == "first":
                continue
            lines.append(f"| {label} | {triples} | {op} | {r['writes']} | {r['p50']:.0f} | "
                         f"{r['p99']:.0f} | {r['mean']:.0f} | {r['errors']} |")
            if r["first_error"]:
                notes.append(f"- {label} {op}: first error {r['first_error']}")
    lines += ["", "p99 of a few dozen writes is close to their maximum.", "",
              "The first write after start, a PUT not counted above, took "
              + "; ".join(firsts) + ". The server builds its incremental checker in the "
              "background from start; a write that comes before it is ready waits for it, "
              "and this one came as soon as the server answered."] + (
        ["", *notes] if notes else [])
    return lines


def _virtuoso_section(results) -> list[str]:
    v = results["virtuoso"]
    if not v:
        return []
    rows = [(name, c, cells) for label, _, name, c, cells in results["rows"]
            if label == v["label"] and "virtuoso" in cells]
    lines = ["", "## Virtuoso", "",
             f"{v['label']} ({v['triples']} triples): a scratch Virtuoso Open-Source 7 "
             f"started in {v['started_s']:.1f} s (fresh database, loopback); `caonto publish "
             f"--to` its HTTP Digest Graph Store endpoint took {v['publish_s']:.1f} s "
             "(one PUT per named graph). Queries through `caonto serve --store`, from the "
             "tables above:", "",
             "| query | clients | Virtuoso q/s | caonto on Virtuoso q/s | p50 / p99 ms direct "
             "| p50 / p99 ms through caonto |", "|---|---:|---:|---:|---:|---:|"]
    for name, c, cells in rows:
        d, s = cells["virtuoso"], cells.get("caonto-virtuoso")
        if s:
            lines.append(f"| {name} | {c} | {d['qps']:.1f} | {s['qps']:.1f} | "
                         f"{d['p50']:.1f} / {d['p99']:.1f} | {s['p50']:.1f} / {s['p99']:.1f} |")
    return lines


if __name__ == "__main__":
    sys.path.insert(0, str(REPOSITORY))
    sys.exit(main())
