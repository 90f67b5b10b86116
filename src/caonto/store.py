"""The served store: pyoxigraph in a pool of worker processes, with a timeout that kills.

Why processes: pyoxigraph releases the GIL while it evaluates, but an aggregate or a
sort computes its whole answer inside ``Store.query()`` before the first row exists, and
nothing can interrupt that call from another thread (measured: a COUNT over a cross
product runs to completion whatever Python does meanwhile). A worker process that
overruns the deadline is killed (SIGKILL) and replaced, so evaluation really stops.

Every worker loads the same N-Quads file into an in-memory store. Writes (SPARQL Update,
see :meth:`QueryEngine.update`) go to an append-only log; a worker replays the entries
it has not seen before it answers its next request, and a respawned worker replays all.

Queries never reach the network or the file system: pyoxigraph *does* fetch ``SERVICE``
and ``LOAD`` IRIs itself, so :func:`check_remote_references` refuses them (and ``FROM``
IRIs that are not local graphs) before a query is handed to a worker.
"""

import functools
import itertools
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from caonto.namespaces import CAOG, GRAPH_INFERRED, PREFIXES
from caonto.web import formats as fmt

LOCAL_GRAPH_PREFIX = str(CAOG)


class QueryError(Exception):
    """Base class; ``str()`` is a message fit for the client."""


class QuerySyntaxError(QueryError):
    """The parser rejected the text; the message carries pyoxigraph's line:column."""


class QueryRefused(QueryError):
    """The query names a remote or file resource (SERVICE, LOAD, FROM) not allow-listed."""


class QueryTimeout(QueryError):
    """Evaluation overran its deadline; the worker running it was killed."""


class EngineBusy(QueryError):
    """No worker became free before the deadline."""


class NotAcceptable(QueryError):
    """No acceptable format for this query form (``form`` is select/ask/construct)."""

    def __init__(self, form: str):
        super().__init__(f"no acceptable format for a {form.upper()} result")
        self.form = form


class EvaluationError(QueryError):
    """pyoxigraph failed while evaluating (e.g. an I/O error) or the worker died."""


@dataclass(frozen=True)
class DatasetChoice:
    """Which graphs a query sees. None for both lists = the served default dataset:
    the union of every graph, or without the inferred graph when ``inference`` is off.
    Protocol lists (default-graph-uri / named-graph-uri) replace that dataset entirely."""

    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    inference: bool = True


@dataclass(frozen=True)
class Answer:
    body: bytes
    format: fmt.Format
    form: str  # select, ask, graph
    truncated: bool
    count: int  # rows (SELECT), triples (graph) or 1 (ASK)


# ---- refusing remote references --------------------------------------------------------

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKEN = re.compile(r'''
    (?P<comment>\#[^\n\r]*)
  | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
               |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<pname>[^\W\d_]?[\w.-]*:[\w.:%\\-]*)
  | (?P<word>[^\W\d][\w]*)
  | (?P<other>\S)
''', re.VERBOSE | re.UNICODE)


def _tokens(text: str) -> list[tuple[str, str]]:
    # SPARQL 1.1 §19.2: codepoint escapes are replaced before parsing, so \u0053ERVICE is
    # SERVICE; an unterminated string falls through as code, which only over-refuses.
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    out = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind not in ("comment", "string"):
            out.append((kind, match.group()))
    return out


def check_remote_references(text: str, allowed: frozenset[str] = frozenset(),
                            local_prefix: str = LOCAL_GRAPH_PREFIX) -> None:
    """Raise QueryRefused when ``text`` (a query or an update) would read a non-local IRI.

    SERVICE and LOAD need an IRI in ``allowed`` (a variable is never allowed); FROM and
    FROM NAMED need a graph under ``local_prefix`` or one in ``allowed``. The scan is
    lexical and errs on the side of refusing.
    """
    refusal = _refusal(text, frozenset(allowed), local_prefix)
    if refusal:
        raise QueryRefused(refusal)


@functools.lru_cache(maxsize=1024)  # the same query texts come back again and again
def _refusal(text: str, allowed: frozenset[str], local_prefix: str) -> str | None:
    tokens = _tokens(text)
    prefixes = dict(PREFIXES)
    for i, (kind, value) in enumerate(tokens[:-2]):
        if kind == "word" and value.upper() == "PREFIX" and tokens[i + 1][0] == "pname" \
                and tokens[i + 2][0] == "iri":
            prefixes[tokens[i + 1][1].split(":", 1)[0]] = tokens[i + 2][1][1:-1]
    for i, (kind, value) in enumerate(tokens):
        keyword = value.upper() if kind == "word" else ""
        if keyword not in ("SERVICE", "LOAD", "FROM"):
            continue
        j = i + 1
        while j < len(tokens) and tokens[j][1].upper() in ("SILENT", "NAMED"):
            j += 1
        target = _resolve(tokens[j], prefixes) if j < len(tokens) else None
        if keyword == "FROM" and target and (target.startswith(local_prefix)
                                             or target in allowed):
            continue
        if keyword != "FROM" and target and target in allowed:
            continue
        shown = target or (tokens[j][1] if j < len(tokens) else "nothing")
        return (f"{keyword} {shown} refused: this endpoint does not read remote or file "
                "resources" + (" (FROM may name the local graphs under " + local_prefix + ")"
                               if keyword == "FROM" else "")
                + "; the operator can allow IRIs with CAONTO_SERVICE_ALLOWLIST")
    return None


def _resolve(token: tuple[str, str], prefixes: dict[str, str]) -> str | None:
    kind, value = token
    if kind == "iri":
        return value[1:-1]
    if kind == "pname":
        prefix, _, local = value.partition(":")
        return prefixes[prefix] + local if prefix in prefixes else None
    return None


# ---- the worker process ---------------------------------------------------------------

def _dataset_options(store: ox.Store, choice: DatasetChoice, graphs_cache: dict) -> dict:
    if choice.default_graphs is not None or choice.named_graphs is not None:
        return {"default_graph": [ox.NamedNode(g) for g in choice.default_graphs or ()],
                "named_graphs": [ox.NamedNode(g) for g in choice.named_graphs or ()]}
    if choice.inference:
        return {"use_default_graph_as_union": True}
    if "plain" not in graphs_cache:
        graphs_cache["plain"] = [g for g in store.named_graphs()
                                 if g.value != str(GRAPH_INFERRED)] + [ox.DefaultGraph()]
    graphs = graphs_cache["plain"]
    return {"default_graph": graphs,
            "named_graphs": [g for g in graphs if not isinstance(g, ox.DefaultGraph)]}


def _run(store: ox.Store, text: str, choice: DatasetChoice, formats: tuple, max_rows: int,
         graphs_cache: dict):
    solutions_name, graph_name = formats
    try:
        result = store.query(text, **_dataset_options(store, choice, graphs_cache))
    except SyntaxError as error:
        return ("syntax", str(error))
    if isinstance(result, ox.QueryBoolean):
        if solutions_name is None:
            return ("notacceptable", "ask")
        chosen = fmt.BY_NAME[solutions_name]
        return ("ok", "ask", fmt.write_boolean(chosen, bool(result)), solutions_name, False, 1)
    if isinstance(result, ox.QuerySolutions):
        if solutions_name is None:
            return ("notacceptable", "select")
        body, count, truncated = _capped_solutions(result, fmt.BY_NAME[solutions_name], max_rows)
        return ("ok", "select", body, solutions_name, truncated, count)
    if graph_name is None:
        return ("notacceptable", "construct")
    triples = list(itertools.islice(result, max_rows + 1))
    truncated = len(triples) > max_rows
    del triples[max_rows:]
    chosen = fmt.BY_NAME[graph_name]
    if chosen.rdf_format.supports_datasets:  # TriG / N-Quads want quads: use the default graph
        triples = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
    body = ox.serialize(triples, format=chosen.rdf_format, prefixes=PREFIXES)
    return ("ok", "graph", body, graph_name, truncated, len(triples))


class _RowCapReached(Exception):
    pass


class _CappedTsv:
    """A write-only binary file for pyoxigraph's TSV writer that stops it past the cap.

    TSV is the one results format where a row is exactly a line (N-Triples escapes
    newlines in literals), so counting newlines counts rows; raising from ``write``
    ends serialisation and with it the (lazy) evaluation."""

    def __init__(self, max_rows: int):
        self.parts: list[bytes] = []
        self.lines, self.limit = 0, max_rows + 1  # the header line, then the rows

    def write(self, data) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines > self.limit:
            raise _RowCapReached()
        return len(chunk)

    def flush(self) -> None:
        pass


def _capped_solutions(result: ox.QuerySolutions, chosen: fmt.Format, max_rows: int):
    """Body, row count and truncation flag for at most ``max_rows`` solutions.

    The solutions go through pyoxigraph's own writers (Rust; 3-4x faster than building
    the rows in Python): TSV into a capped buffer, parsed back, written in the chosen
    format. A truncated JSON or XML body says so itself (see formats.mark_truncated)."""
    sink = _CappedTsv(max_rows)
    try:
        result.serialize(output=sink, format=ox.QueryResultsFormat.TSV)
    except _RowCapReached:
        pass
    header, *rest = b"".join(sink.parts).split(b"\n")
    complete = rest[:-1]  # the last piece is empty or a row cut off mid-way
    truncated = len(complete) > max_rows
    kept = complete[:max_rows]
    tsv = b"\n".join([header, *kept]) + b"\n"
    if chosen.name == "tsv":
        body = tsv
    else:
        solutions = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV)
        body = solutions.serialize(format=chosen.results_format)
    if truncated:
        body = fmt.mark_truncated(chosen, body, max_rows)
    return body, len(kept), truncated


def _solutions(store, text, choice, max_rows, graphs_cache):
    try:
        result = store.query(text, **_dataset_options(store, choice, graphs_cache))
    except SyntaxError as error:
        return ("syntax", str(error))
    if not isinstance(result, ox.QuerySolutions):
        return ("error", "not a SELECT query")
    names = [v.value for v in result.variables]
    rows = [tuple(s[n] for n in names) for s in itertools.islice(result, max_rows)]
    return ("rows", names, rows)


def _limit_memory(megabytes: int) -> None:
    if megabytes > 0:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _replace_graphs(store: ox.Store, graphs: dict) -> None:
    """Replace whole named graphs by N-Triples bytes (None drops one). Blank node labels
    are kept, so every worker holds the same nodes. A worker applies this between two of
    its requests, so no query of it sees the graphs half replaced."""
    for iri, data in graphs.items():
        name = ox.NamedNode(iri)
        store.remove_graph(name)
        if data:
            store.extend(ox.Quad(t.subject, t.predicate, t.object, name)
                         for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES))


def _worker_main(conn, nquads: str, memory_mb: int, disk: str = "") -> None:
    """Load the data, say ready, then answer requests until the pipe closes."""
    _limit_memory(memory_mb)
    if disk:  # the shared on-disk store (caonto.disk_store) until a write needs a copy
        from caonto.disk_store import open_read_only
        store, shared = open_read_only(Path(disk)), True
    else:
        store, shared = ox.Store(), False
        store.bulk_load(path=nquads, format=ox.RdfFormat.N_QUADS)
    conn.send(("ready", len(store)))
    graphs_cache: dict = {}
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        updates, operation, args = message
        try:
            if shared and (updates or operation == "update"):
                from caonto.disk_store import writable_copy
                store, shared = writable_copy(Path(nquads)), False
            for update in updates:
                if isinstance(update, dict):
                    _replace_graphs(store, update)
                else:
                    store.update(update)
                graphs_cache.clear()
            if operation == "query":
                reply = _run(store, *args, graphs_cache=graphs_cache)
            elif operation == "solutions":
                reply = _solutions(store, *args, graphs_cache=graphs_cache)
            elif operation == "update":
                graphs_cache.clear()
                store.update(args[0])  # pyoxigraph applies one update as one transaction
                reply = ("done",)
            else:
                reply = ("error", f"unknown operation {operation}")
        except SyntaxError as error:
            reply = ("syntax", str(error))
        except MemoryError:
            reply = ("error", "the query needs more memory than a worker may use")
        except Exception as error:  # report, keep serving: the parent decides what to show
            reply = ("error", f"{type(error).__name__}: {error}")
        conn.send(reply)


# ---- the pool, in the server process ----------------------------------------------------

class AnswerCache:
    """Answers by (query, dataset, formats, data version), least recently used first out.

    The served data changes only through the update log, whose length is part of the
    key, so a cached answer is never stale. ``capacity`` bytes of bodies (0 = off); one
    answer may take at most an eighth of it."""

    def __init__(self, capacity: int):
        self.capacity, self.size = capacity, 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key):
        if not self.capacity:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key, value, size: int) -> None:
        if not self.capacity or size > self.capacity // 8:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (value, size)
            self.size += size
            while self.size > self.capacity:
                _, (_, dropped) = self._items.popitem(last=False)
                self.size -= dropped


@dataclass
class _Worker:
    process: subprocess.Popen
    conn: Connection
    applied: int = 0  # how many update-log entries this worker has replayed


def _stop_workers(workers: list[_Worker], lock: threading.Lock) -> None:
    with lock:
        doomed = list(workers)
        workers.clear()
    for worker in doomed:
        worker.process.kill()
        worker.process.wait(5)
        worker.conn.close()


class QueryEngine:
    """A fixed pool of query worker processes over one N-Quads file.

    ``query`` raises QuerySyntaxError, QueryRefused, QueryTimeout, EngineBusy,
    NotAcceptable or EvaluationError; nothing else escapes for a bad query.
    The constructor raises EvaluationError when a worker cannot load the data.
    """

    def __init__(self, nquads: Path, workers: int = 2, timeout: float = 10.0,
                 max_rows: int = 10_000, allowlist: frozenset[str] = frozenset(),
                 worker_memory_mb: int = 0, start_timeout: float = 300.0,
                 cache_bytes: int = 0, disk_store: bool = False):
        self.nquads = Path(nquads)
        if not self.nquads.is_file():
            raise EvaluationError(f"dataset file not found: {self.nquads}")
        # disk_store: workers share one read-only on-disk copy (caonto.disk_store)
        self._disk = ""
        if disk_store:
            from caonto.disk_store import prepare
            self._disk = str(prepare(self.nquads))
        self.timeout, self.max_rows, self.allowlist = timeout, max_rows, frozenset(allowlist)
        self._memory_mb, self._start_timeout = worker_memory_mb, start_timeout
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._log: list[str] = []
        self._update_lock = threading.Lock()
        self._closed = False
        self.triples = 0
        self.respawns = 0
        self._cache = AnswerCache(cache_bytes)
        self._all: list[_Worker] = []
        self._all_lock = threading.Lock()
        # Workers die with the engine even if nobody calls close() (and at interpreter exit).
        self._finalizer = weakref.finalize(self, _stop_workers, self._all, self._all_lock)
        starting = [self._start() for _ in range(max(1, workers))]
        for process, conn in starting:
            self._idle.put(self._await_ready(process, conn))

    # -- workers --
    def _start(self):
        # A fresh interpreter running only this module (``python -m caonto.store``): fork is
        # unsafe under threads, and multiprocessing's spawn would re-import the server's
        # __main__ (Flask, rdflib, owlrl...) into every worker.
        ours, theirs = socket.socketpair()
        with theirs:
            process = subprocess.Popen(
                [sys.executable, "-m", "caonto.store", str(theirs.fileno()), str(self.nquads),
                 str(self._memory_mb), self._disk], pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL)
        return process, Connection(ours.detach())

    def _await_ready(self, process, conn) -> _Worker:
        if not conn.poll(self._start_timeout):
            process.kill()
            process.wait()
            conn.close()
            raise EvaluationError(f"a query worker did not load {self.nquads} in time")
        try:
            status, count = conn.recv()
        except (EOFError, OSError):
            process.wait()
            conn.close()
            raise EvaluationError(f"a query worker died loading {self.nquads}") from None
        self.triples = count
        worker = _Worker(process, conn)
        with self._all_lock:
            self._all.append(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` now and start its successor in the background."""
        worker.process.kill()
        worker.process.wait(5)
        worker.conn.close()
        with self._all_lock:
            if worker in self._all:
                self._all.remove(worker)
        self.respawns += 1
        if not self._closed:
            threading.Thread(target=self._respawn, name="caonto-respawn", daemon=True).start()

    def _respawn(self) -> None:
        try:
            worker = self._await_ready(*self._start())
        except EvaluationError:
            time.sleep(1)  # keep trying: a pool that shrinks to nothing serves nobody
            return self._respawn() if not self._closed else None
        if self._closed:
            worker.process.kill()
            worker.process.wait(5)
            worker.conn.close()
        else:
            self._idle.put(worker)

    def worker_pids(self) -> list[int]:
        with self._all_lock:
            return [w.process.pid for w in self._all]

    # -- calls --
    def _call(self, operation: str, args: tuple, timeout: float, on_reply=None):
        deadline = time.monotonic() + timeout
        try:
            worker = self._idle.get(timeout=max(timeout, 0.001))
        except queue.Empty:
            raise EngineBusy(f"all query workers stayed busy for {timeout:g} s; "
                             "try again later") from None
        log = self._log
        pending = log[worker.applied:]
        try:
            worker.conn.send((pending, operation, args))
            if worker.conn.poll(max(deadline - time.monotonic(), 0)):
                reply = worker.conn.recv()
                worker.applied += len(pending)
                if on_reply:
                    on_reply(worker, reply)
                self._idle.put(worker)
                return reply
        except (EOFError, OSError, BrokenPipeError):
            self._replace(worker)
            raise EvaluationError("the query worker died (out of memory?); "
                                  "the query was not answered") from None
        self._replace(worker)
        raise QueryTimeout(f"query evaluation exceeded the {timeout:g} s limit and was "
                           "stopped; narrow the query or add a LIMIT")

    def query(self, text: str, choice: DatasetChoice = DatasetChoice(),
              solutions_format: fmt.Format | None = fmt.DEFAULT[fmt.SOLUTIONS],
              graph_format: fmt.Format | None = fmt.DEFAULT[fmt.GRAPH],
              timeout: float | None = None) -> Answer:
        """Evaluate ``text`` and serialise at most ``max_rows`` rows (or triples)."""
        formats = (solutions_format.name if solutions_format else None,
                   graph_format.name if graph_format else None)
        key = (text, choice, formats, self.data_version)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        check_remote_references(text, self.allowlist)
        reply = self._call("query", (text, choice, formats, self.max_rows),
                           self._bounded(timeout))
        if reply[0] == "ok":
            _, form, body, name, truncated, count = reply
            answer = Answer(body, fmt.BY_NAME[name], form, truncated, count)
            self._cache.put(key, answer, len(body))
            return answer
        raise self._failure(reply)

    def solutions(self, text: str, choice: DatasetChoice = DatasetChoice(),
                  timeout: float | None = None) -> tuple[list[str], list[tuple]]:
        """Run a SELECT for Python callers (pages): variable names and rows of terms."""
        check_remote_references(text, self.allowlist)
        reply = self._call("solutions", (text, choice, self.max_rows), self._bounded(timeout))
        if reply[0] == "rows":
            return reply[1], reply[2]
        raise self._failure(reply)

    def update(self, text: str, timeout: float | None = None) -> None:
        """Apply a SPARQL Update in one worker; once it succeeds every worker replays it.

        Raises like :meth:`query`; a failed update is not logged, so it changes nothing
        elsewhere. A timed-out update is not logged either (its worker was killed).
        """
        check_remote_references(text, self.allowlist)

        def record(worker: _Worker, reply) -> None:
            if reply[0] == "done":  # logged only once it worked; this worker has it already
                self._log = self._log + [text]
                worker.applied = len(self._log)

        with self._update_lock:  # one writer at a time keeps the log in one order
            reply = self._call("update", (text,), self._bounded(timeout), on_reply=record)
        if reply[0] != "done":
            raise self._failure(reply)

    def replace_graphs(self, graphs: dict[str, bytes | None]) -> None:
        """Replace whole named graphs (IRI -> N-Triples bytes, None drops it) in every
        worker, all of them at once, before that worker's next request (used by the
        contributions gateway, which has already validated and stored them).

        Older log entries lose the graphs this one replaces, so rewriting the same
        graphs does not grow the log."""
        entry = dict(graphs)
        with self._update_lock:
            kept = [{g: d for g, d in old.items() if g not in entry}
                    if isinstance(old, dict) else old for old in self._log]
            self._log = kept + [entry]

    @property
    def data_version(self) -> int:
        """Grows with every applied write: caches of derived data key on it."""
        return len(self._log)

    def _bounded(self, timeout: float | None) -> float:
        return self.timeout if timeout is None else min(timeout, self.timeout)

    @staticmethod
    def _failure(reply) -> QueryError:
        if reply[0] == "syntax":
            return QuerySyntaxError(reply[1])
        if reply[0] == "notacceptable":
            return NotAcceptable(reply[1])
        return EvaluationError(reply[1])

    def close(self) -> None:
        self._closed = True
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def default_workers() -> int:
    return max(2, min(os.cpu_count() or 2, 8))


if __name__ == "__main__":  # a query worker: python -m caonto.store FD NQUADS MEMORY_MB
    _worker_main(Connection(int(sys.argv[1])), sys.argv[2], int(sys.argv[3]),
                 sys.argv[4] if len(sys.argv) > 4 else "")
