"""Benchmark: caonto's endpoint against Oxigraph's own server, same data, same queries.

    python -m benchmarks.run            # essay graph + synthetic 200k, concurrency 1 and 8
    python -m benchmarks.run --quick    # smaller synthetic graph, shorter runs

For each dataset both servers are started on loopback (``caonto serve --dataset`` and
``oxigraph serve-read-only --union-default-graph`` after ``oxigraph load``), warmed up, and
driven by client threads over keep-alive HTTP/1.1 connections, each run bounded by a
request count and a time limit. Printed as a table and written to benchmarks/results.md.
The client shares the machine with the servers: figures are relative, not absolute.
"""

import argparse
import http.client
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
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


# ---- servers -----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, limit: float = 300) -> None:
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

    def __init__(self, name: str, args: list[str], url: str, env: dict | None = None):
        self.name, self.url = name, url
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT)
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
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
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


def start_caonto(dataset: Path, threads: int, processes: int, cache_mb: int) -> Server:
    port = free_port()
    env = dict(os.environ, CAONTO_MAX_ROWS="100000", CAONTO_QUERY_TIMEOUT="60",
               CAONTO_CACHE_MB=str(cache_mb))
    name = "caonto" if cache_mb else "caonto-nocache"
    return Server(name, [str(BIN / "caonto"), "serve", "--port", str(port), "--dataset",
                         str(dataset), "--threads", str(threads), "--processes",
                         str(processes)], f"http://127.0.0.1:{port}/sparql", env)


def start_oxigraph(dataset: Path, workdir: Path) -> Server:
    location = workdir / f"oxigraph-{dataset.stem}"
    if location.exists():
        shutil.rmtree(location)
    subprocess.run([str(BIN / "oxigraph"), "load", "--location", str(location),
                    "--file", str(dataset)], check=True, capture_output=True)
    port = free_port()
    return Server("oxigraph", [str(BIN / "oxigraph"), "serve-read-only", "--location",
                               str(location), "--bind", f"127.0.0.1:{port}",
                               "--union-default-graph"], f"http://127.0.0.1:{port}/query")


# ---- load --------------------------------------------------------------------------

def drive(url: str, query: str, concurrency: int, max_requests: int,
          max_seconds: float) -> dict:
    """Issue GET queries from ``concurrency`` threads; bounded by count and time."""
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
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 \
            if latencies else float("nan")

    return {"requests": len(latencies), "errors": errors[0], "qps": len(latencies) / wall,
            "p50": pct(0.50), "p99": pct(0.99)}


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
    return path, "https://w3id.org/caonto/id/state-5-1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k synthetic triples, short runs")
    parser.add_argument("--triples", type=int, default=200_000, help="synthetic graph size")
    parser.add_argument("--requests", type=int, default=2000, help="max requests per run")
    parser.add_argument("--seconds", type=float, default=10.0, help="max seconds per run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--threads", type=int, default=8, help="caonto's waitress threads")
    parser.add_argument("--processes", type=int, default=1, help="caonto server processes")
    parser.add_argument("--out", type=Path, default=REPOSITORY / "benchmarks" / "results.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.triples, args.requests, args.seconds = 20_000, 300, 3.0

    workdir = Path(tempfile.mkdtemp(prefix="caonto-bench-"))
    datasets = []
    essay = essay_dataset()
    if essay:
        datasets.append(("essay", *essay))
    datasets.append((f"synthetic {args.triples // 1000}k", *synthetic_dataset(args.triples,
                                                                              workdir)))
    rows = []
    try:
        for label, path, entity in datasets:
            triples = sum(1 for _ in open(path, "rb"))
            servers = [start_caonto(path, args.threads, args.processes, 0),
                       start_caonto(path, args.threads, args.processes, 32),
                       start_oxigraph(path, workdir)]
            try:
                for name, template in QUERIES.items():
                    query = template.replace("{entity}", entity)
                    for concurrency in args.concurrency:
                        results = {}
                        for server in servers:
                            drive(server.url, query, 1, 20, 5)  # warm-up
                            results[server.name] = drive(server.url, query, concurrency,
                                                         args.requests, args.seconds)
                        rows.append((label, triples, name, concurrency, results))
                        print(_row_text(rows[-1]), flush=True)
                memory = {s.name: s.rss_mb() for s in servers}
                rows.append((label, triples, "memory", 0, memory))
            finally:
                for server in servers:
                    server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report = _report(rows, args)
    print("\n" + report)
    args.out.write_text(report, encoding="utf-8")
    return 0


def _row_text(row) -> str:
    label, _, name, concurrency, results = row
    n, c, o = results["caonto-nocache"], results["caonto"], results["oxigraph"]
    return (f"{label:14} {name:9} c={concurrency}  caonto {n['qps']:8.1f} q/s "
            f"(cached {c['qps']:8.1f})  oxigraph {o['qps']:8.1f} q/s  "
            f"ratio {n['qps'] / o['qps']:.2f} ({c['qps'] / o['qps']:.2f})")


def _report(rows, args) -> str:
    lines = [
        "# Endpoint benchmark: caonto vs Oxigraph server",
        "",
        f"Generated by `python -m benchmarks.run{' --quick' if args.quick else ''}` on "
        f"{platform.machine()} with {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"each run at most {args.requests} requests or {args.seconds:g} s, after 20 warm-up "
        "requests; the client (Python threads, keep-alive) runs on the same machine.",
        f"caonto: waitress with {args.threads} threads in {args.processes} process(es), query "
        "worker processes one per CPU, measured without its answer cache (`CAONTO_CACHE_MB=0`, "
        "every request evaluated) and with it (32 MB: repeats of a query are served from "
        "memory). Oxigraph: `serve-read-only --union-default-graph` on a RocksDB store.",
        "Ratio = caonto q/s / Oxigraph q/s (uncached; cached in brackets). caonto's floor "
        "per request is waitress + Flask (the cached column) plus, uncached, one round trip "
        "to a query worker process, the price of a timeout that can kill; it dominates "
        "queries that cost Oxigraph under a millisecond. Other jobs on the machine show up "
        "as run-to-run differences: compare the columns of one row.",
        "",
        "| dataset | query | clients | caonto q/s | cached q/s | Oxigraph q/s | ratio "
        "| caonto p50 / p99 ms | cached p50 / p99 ms | Oxigraph p50 / p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    memory_lines = ["", "| dataset | triples | caonto RSS now / peak MB (server + workers) "
                        "| Oxigraph RSS now / peak MB |", "|---|---:|---:|---:|"]
    for label, triples, name, concurrency, results in rows:
        if name == "memory":
            c, o = results["caonto"], results["oxigraph"]
            memory_lines.append(f"| {label} | {triples} | {c[0]:.0f} / {c[1]:.0f} | "
                                f"{o[0]:.0f} / {o[1]:.0f} |")
            continue
        n, c, o = results["caonto-nocache"], results["caonto"], results["oxigraph"]
        errors = n["errors"] + c["errors"] + o["errors"]
        lines.append(
            f"| {label} | {name} | {concurrency} | {n['qps']:.1f} | {c['qps']:.1f} | "
            f"{o['qps']:.1f} | {n['qps'] / o['qps']:.2f} ({c['qps'] / o['qps']:.2f}) | "
            f"{n['p50']:.1f} / {n['p99']:.1f} | {c['p50']:.1f} / {c['p99']:.1f} | "
            f"{o['p50']:.1f} / {o['p99']:.1f} | {errors} |")
    lines += memory_lines
    lines += ["", "Queries (the lookup's entity is caor:kazakhstan for the essay, "
              "caor:state-5-1 for the synthetic graph):", ""]
    for name, template in QUERIES.items():
        lines += [f"{name}:", "```sparql", template.replace(PREFIXES, "").strip(), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(REPOSITORY))
    sys.exit(main())
