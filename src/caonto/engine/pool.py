"""The local engine: pyoxigraph in a pool of worker processes, with a timeout that kills.

Why processes: pyoxigraph releases the GIL while it evaluates, but an aggregate or a
sort computes its whole answer inside ``Store.query()`` before the first row exists, and
nothing can interrupt that call from another thread (measured: a COUNT over a cross
product runs to completion whatever Python does meanwhile). A worker process
(``caonto.engine.worker``) that overruns the deadline is killed (SIGKILL) and replaced,
so evaluation really stops.

Every worker loads the same N-Quads file into an in-memory store (or opens the shared
on-disk one, ``caonto.engine.disk_store``). Writes go to an append-only log; a worker
replays the entries it has not seen before it answers its next request, and a respawned
worker replays all. Queries are checked by ``caonto.engine.guard`` before a worker sees
them.
"""

import os
import queue
import socket
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from caonto import formats
from caonto.engine.cache import AnswerCache
from caonto.engine.disk_store import prepare as prepare_disk_store
from caonto.engine.guard import check_remote_references
from caonto.engine.interface import (
    Answer,
    DatasetChoice,
    EngineBusy,
    EvaluationError,
    NotAcceptable,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
)


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
        # disk_store: workers share one read-only on-disk copy (caonto.engine.disk_store)
        self._disk = ""
        if disk_store:
            self._disk = str(prepare_disk_store(self.nquads))
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
        # A fresh interpreter running only the worker module: fork is unsafe under threads,
        # and multiprocessing's spawn would re-import the server's __main__ (Flask, rdflib,
        # owlrl...) into every worker.
        ours, theirs = socket.socketpair()
        with theirs:
            process = subprocess.Popen(
                [sys.executable, "-m", "caonto.engine.worker", str(theirs.fileno()), str(self.nquads),
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
              solutions_format: formats.Format | None = formats.DEFAULT[formats.SOLUTIONS],
              graph_format: formats.Format | None = formats.DEFAULT[formats.GRAPH],
              timeout: float | None = None) -> Answer:
        """Evaluate ``text`` and serialise at most ``max_rows`` rows (or triples)."""
        format_names = (solutions_format.name if solutions_format else None,
                        graph_format.name if graph_format else None)
        key = (text, choice, format_names, self.data_version)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        check_remote_references(text, self.allowlist)
        reply = self._call("query", (text, choice, format_names, self.max_rows),
                           self._bounded(timeout))
        if reply[0] == "ok":
            _, form, body, name, truncated, count = reply
            answer = Answer(body, formats.BY_NAME[name], form, truncated, count)
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
