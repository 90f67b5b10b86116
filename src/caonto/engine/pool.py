"""The local engine: pyoxigraph in a pool of worker processes, with a timeout that kills.

Why processes: pyoxigraph releases the GIL while it evaluates, but an aggregate or a
sort computes its whole answer inside ``Store.query()`` before the first row exists, and
nothing can interrupt that call from another thread (measured: a COUNT over a cross
product runs to completion whatever Python does meanwhile). A worker process
(``caonto.engine.worker``) that overruns the deadline is killed (SIGKILL) and replaced,
so evaluation really stops.

Every worker loads the same N-Quads file into an in-memory store (or opens the shared
on-disk one, ``caonto.engine.disk_store``). Writes go to a log; a worker replays the
entries it has not seen before it answers its next request, all of them in one step
between two requests; a worker that fails to replay an entry is replaced, never used.
A contribution's entry is its delta (``change_graphs``: triples removed and added per
graph), so replaying it costs what the write changed, not the size of the graphs.

The log keeps only what a live worker still needs, and at most ``MAX_LOG_ENTRIES``
entries: a respawned worker, or one that fell further behind, is brought up to date
with the graphs the writes changed, whole, as the latest delta's ``whole()`` gives
them, and then the entries after it. (Plain SPARQL updates, ``update``, are not covered
by ``whole()``: once one is logged, the log keeps every entry, as a respawned worker
needs them all.)
On the shared store, one writer process applies each write and checkpoints it, and the
log carries only "read checkpoint N" (``disk_store.Version``): each checkpoint
supersedes the last, so the log keeps just the newest, and the workers stay on shared,
read-only storage.
Every query and update is checked by ``caonto.engine.guard`` inside the worker, which
runs without network (``caonto.sandbox``).
"""

import hashlib
import json
import logging
import math
import os
import pickle
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from caonto import formats
from caonto.engine.cache import AnswerCache
from caonto.engine.disk_store import Version, Versions
from caonto.engine.disk_store import prepare as prepare_disk_store
from caonto.engine.interface import (
    Answer,
    DatasetChoice,
    EngineBusy,
    EvaluationError,
    GraphDelta,
    NotAcceptable,
    QueryError,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
)
from caonto.engine.results import DEFAULT_MAX_BYTES
from caonto.replies import BadReply, receive

log = logging.getLogger(__name__)
PROTOCOL = pickle.HIGHEST_PROTOCOL

PUBLIC, PAGES = "public", "pages"  # the two lanes: clients' queries, the server's own reads
RESPAWN_PAUSES = (1, 2, 4, 8, 10)  # seconds after each failed start; then the pool runs
# one worker short, and says so in the log
MAX_LOG_ENTRIES = 64  # writes kept for workers that lag; past it they catch up whole


class SandboxUnavailable(EvaluationError):
    """A worker could not cut itself off from the network, so the engine does not start."""


@dataclass
class _Worker:
    process: subprocess.Popen
    conn: Connection
    lane: str = PUBLIC
    applied: int = 0  # the log position this worker has replayed up to
    reading: str = ""  # on the shared store: the checkpoint it has opened
    sent: str = ""  # ... and the one it has been sent (kept until it has moved past it)


@dataclass
class _CatchUp:
    """The graphs writes have changed, whole, as they are at log position ``at``: one
    replacement entry that brings any worker there (computed once, when first needed)."""

    at: int
    whole: Callable[[], Mapping[str, bytes]]
    touched: frozenset[str]  # every graph a write has changed: those ``whole`` omits go
    _entry: dict | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def entry(self) -> dict:
        with self._lock:
            if self._entry is None:
                self._entry = {**dict.fromkeys(self.touched), **self.whole()}
            return self._entry


def _stop_workers(workers: list[_Worker], lock: threading.Lock) -> None:
    with lock:
        doomed = list(workers)
        workers.clear()
    for worker in doomed:
        worker.process.kill()
        worker.process.wait(5)
        worker.conn.close()


def _close_shared(writers: list[_Worker], lock: threading.Lock, versions: Versions) -> None:
    _stop_workers(writers, lock)
    versions.close()


def positive_seconds(value: float | None, name: str = "timeout") -> float | None:
    """``value`` when it is None or a positive finite number; ValueError otherwise (NaN
    and infinity would leave a worker waiting forever)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number of seconds, not {value!r}")
    return float(value)


class QueryEngine:
    """A fixed pool of query worker processes over one N-Quads file.

    ``query`` raises QuerySyntaxError, QueryRefused, QueryTimeout, EngineBusy,
    NotAcceptable or EvaluationError; nothing else escapes for a bad query.
    The constructor raises EvaluationError when a worker cannot load the data, and
    SandboxUnavailable when ``sandbox`` is on and a worker cannot refuse itself the
    network.

    ``page_workers`` further workers serve only the server's own reads (``solutions``
    and ``query(internal=True)``), so clients' slow queries cannot starve the pages.
    A request waits at most ``queue_wait`` seconds for a free worker (then EngineBusy);
    its ``timeout`` starts once a worker has it. ``query_check=False`` skips the
    query-level check in the workers: only tests use it, to show that the OS sandbox
    alone stops outbound requests.
    """

    def __init__(self, nquads: Path, workers: int = 2, timeout: float = 10.0,
                 max_rows: int = 10_000, allowlist: frozenset[str] = frozenset(),
                 worker_memory_mb: int = 0, start_timeout: float = 300.0,
                 cache_bytes: int = 0, disk_store: bool = False, page_workers: int = 0,
                 queue_wait: float = 5.0, max_bytes: int = DEFAULT_MAX_BYTES,
                 sandbox: bool = True, query_check: bool = True):
        self.nquads = Path(nquads)
        if not self.nquads.is_file():
            raise EvaluationError(f"dataset file not found: {self.nquads}")
        # disk_store: workers share one read-only on-disk copy (caonto.engine.disk_store)
        self._disk = ""
        if disk_store:
            self._disk = str(prepare_disk_store(self.nquads))
        self.timeout = positive_seconds(timeout)
        self.max_rows, self.max_bytes, self.allowlist = max_rows, max_bytes, frozenset(allowlist)
        self.queue_wait = max(0.0, float(queue_wait))
        self._worker_config = json.dumps({
            "nquads": str(self.nquads), "memory_mb": worker_memory_mb, "disk": self._disk,
            "sandbox": bool(sandbox), "allowlist": sorted(self.allowlist),
            "check": bool(query_check)})
        self._start_timeout = start_timeout
        self._idle: dict[str, queue.Queue[_Worker]] = {PUBLIC: queue.Queue(), PAGES: queue.Queue()}
        self._has_page_lane = page_workers > 0
        # The log, swapped whole under _update_lock so readers see one consistent state:
        # (position of its first kept entry, the kept entries, the catch-up or None).
        self._log: tuple[int, list, _CatchUp | None] = (0, [], None)
        self._touched: set[str] = set()  # graphs replace_graphs / change_graphs changed
        self._sparql_logged = False  # an update() entry: whole() cannot stand for it
        self._update_lock = threading.Lock()
        self._sent_lock = threading.Lock()
        self._closed = False
        self.triples = 0
        self.respawns = 0
        self.respawn_failures = 0
        self._cache = AnswerCache(cache_bytes)
        self._all: list[_Worker] = []
        self._all_lock = threading.Lock()
        # Workers die with the engine even if nobody calls close() (and at interpreter exit).
        self._finalizer = weakref.finalize(self, _stop_workers, self._all, self._all_lock)
        # The shared store's writes: directories and checkpoints, and the one process
        # writing them once a write comes (caonto.engine.disk_store).
        self._versions = Versions(Path(self._disk)) if self._disk else None
        self._writers: list[_Worker] = []
        self._shared_finalizer = weakref.finalize(self, _close_shared, self._writers,
                                                  self._all_lock, self._versions) \
            if self._versions else None
        lanes = [PUBLIC] * max(1, workers) + [PAGES] * max(0, page_workers)
        starting = [(lane, *self._start()) for lane in lanes]
        try:
            for lane, process, conn in starting:
                self._idle[lane].put(self._await_ready(process, conn, lane))
        except EvaluationError:
            for _, process, conn in starting:
                process.kill()
                process.wait(5)
                conn.close()
            self.close()
            raise

    # -- workers --
    def _start(self, config: str | None = None):
        # A fresh interpreter running only the worker module: fork is unsafe under threads,
        # and multiprocessing's spawn would re-import the server's __main__ (Flask, rdflib,
        # owlrl...) into every worker.
        ours, theirs = socket.socketpair()
        with theirs:
            process = subprocess.Popen(
                [sys.executable, "-m", "caonto.engine.worker", str(theirs.fileno()),
                 config or self._worker_config], pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL)
        return process, Connection(ours.detach())

    def _await_ready(self, process, conn, lane: str = PUBLIC) -> _Worker:
        self.triples = self._ready(process, conn)
        worker = _Worker(process, conn, lane)
        with self._all_lock:
            self._all.append(worker)
        return worker

    def _ready(self, process, conn) -> int:
        """Wait for a started worker to load; how many quads it holds."""
        if not conn.poll(self._start_timeout):
            process.kill()
            process.wait()
            conn.close()
            raise EvaluationError(f"a query worker did not load {self.nquads} in time")
        try:
            status, detail = receive(conn)
        except (EOFError, OSError, BadReply, ValueError, TypeError):
            process.kill()
            process.wait()
            conn.close()
            raise EvaluationError(f"a query worker died loading {self.nquads}") from None
        if status == "failed":
            process.wait(5)
            conn.close()
            raise SandboxUnavailable(detail)
        return detail

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
            threading.Thread(target=self._respawn, args=(worker.lane,), name="caonto-respawn",
                             daemon=True).start()

    def _respawn(self, lane: str) -> None:
        """Start a successor, once per RESPAWN_PAUSES entry at most, pausing that long
        after each failure; each failure is logged, and so is giving up."""
        attempts = len(RESPAWN_PAUSES)
        for attempt, pause in enumerate(RESPAWN_PAUSES, start=1):
            if self._closed:
                return
            try:
                worker = self._await_ready(*self._start(), lane)
            except EvaluationError as error:
                log.warning("starting a replacement query worker failed (attempt %d of %d): %s",
                            attempt, attempts, error)
                time.sleep(pause)
                continue
            if self._closed:
                worker.process.kill()
                worker.process.wait(5)
                worker.conn.close()
            else:
                self._idle[lane].put(worker)
            return
        self.respawn_failures += 1
        log.error("gave up replacing a query worker after %d attempts; the pool runs one "
                  "worker short until restart", attempts)

    def worker_pids(self) -> list[int]:
        with self._all_lock:
            return [w.process.pid for w in self._all]

    # -- calls --
    def _take(self, lane: str) -> _Worker:
        if lane == PAGES and not self._has_page_lane:
            lane = PUBLIC
        try:
            return self._idle[lane].get(timeout=max(self.queue_wait, 0.001))
        except queue.Empty:
            raise EngineBusy(f"all query workers stayed busy for {self.queue_wait:g} s; "
                             "try again later") from None

    def _call(self, operation: str, args: tuple, timeout: float, on_reply=None,
              lane: str = PUBLIC):
        """Send one request to a free worker of ``lane`` and wait ``timeout`` seconds
        (counted from when the worker has it) for the reply. A worker that cannot replay
        the write log is replaced and the request goes to another, once."""
        for attempt in (1, 2):
            worker = self._take(lane)
            pending, position = self._pending(worker)
            try:
                # plain pickle: multiprocessing's own pickler costs more per message
                worker.conn.send_bytes(pickle.dumps((pending, operation, args), PROTOCOL))
                answered = worker.conn.poll(timeout)
                reply = receive(worker.conn) if answered else None
            except (EOFError, OSError, BrokenPipeError):
                self._replace(worker)
                raise EvaluationError("the query worker died (out of memory, or a parser "
                                      "crash); the query was not answered") from None
            except BadReply as error:  # a worker taken over would try this: never serve it
                log.error("a query worker sent a reply that is not plain data (%s); "
                          "replacing it", error)
                self._replace(worker)
                raise EvaluationError("the query worker sent a malformed reply and was "
                                      "replaced; the query was not answered") from None
            if reply is None:
                self._replace(worker)
                raise QueryTimeout(f"query evaluation exceeded the {timeout:g} s limit and "
                                   "was stopped; narrow the query or add a LIMIT")
            if reply[0] == "replay":  # never serve from a worker that missed a write
                log.error("a query worker could not apply the write log (%s); replacing it",
                          reply[1])
                self._replace(worker)
                if attempt == 1:
                    continue
                raise EvaluationError("no query worker could apply the latest writes; "
                                      "the query was not answered")
            worker.applied = position
            if pending and self._versions:
                worker.reading = worker.sent
                self._collect()
            if on_reply:
                on_reply(worker, reply)
            self._idle[worker.lane].put(worker)
            return reply
        raise AssertionError("unreachable")

    def _pending(self, worker: _Worker) -> tuple[list, int]:
        """The log entries ``worker`` lacks, and the position they bring it to. On the
        shared store that is the newest checkpoint, noted as sent: it is kept until the
        worker has moved past it."""
        if self._versions:
            with self._sent_lock:
                start, entries, _ = self._log
                end = start + len(entries)
                if worker.applied >= end:
                    return [], end
                worker.sent = entries[-1].path
                return list(entries), end
        start, entries, catch_up = self._log
        end = start + len(entries)
        if worker.applied >= start:
            return entries[worker.applied - start:], end
        return [catch_up.entry(), *entries[catch_up.at - start:]], end

    def _append(self, entry, catch_up: _CatchUp | None = None) -> int:
        """Log ``entry`` (hold _update_lock) and drop what no worker needs; its position."""
        start, entries, old_catch_up = self._log
        entries = [*entries, entry]
        end = start + len(entries)
        catch_up = catch_up or old_catch_up
        if catch_up is not None and not self._sparql_logged:
            with self._all_lock:
                needed = min((w.applied for w in self._all), default=end)
            keep_from = min(max(needed, end - MAX_LOG_ENTRIES), catch_up.at)
            if keep_from > start:
                entries = entries[keep_from - start:]
                start = keep_from
        self._log = (start, entries, catch_up)
        return end

    def log_size(self) -> int:
        """How many write-log entries are kept (bounded: see the module docstring)."""
        return len(self._log[1])

    def query(self, text: str, choice: DatasetChoice = DatasetChoice(),
              solutions_format: formats.Format | None = formats.DEFAULT[formats.SOLUTIONS],
              graph_format: formats.Format | None = formats.DEFAULT[formats.GRAPH],
              timeout: float | None = None, base_iri: str | None = None,
              internal: bool = False) -> Answer:
        """Evaluate ``text`` and serialise at most ``max_rows`` rows (or triples) in at
        most ``max_bytes``. ``internal``: the server's own read (a page's data document),
        served by the page workers."""
        format_names = (solutions_format.name if solutions_format else None,
                        graph_format.name if graph_format else None)
        bounded = self._bounded(timeout)
        key = None
        if self._cache.capacity:  # no key to compute when nothing is kept
            key = hashlib.sha256(repr((text, choice, format_names, base_iri)).encode()).digest() \
                + self.data_version.to_bytes(8, "big")
            cached = self._cache.get(key)
            if cached is not None:
                return cached
        reply = self._call("query", (text, choice, format_names, self.max_rows, self.max_bytes,
                                     base_iri), bounded, lane=PAGES if internal else PUBLIC)
        if reply[0] == "ok":
            _, form, body, name, truncated, count = reply
            answer = Answer(body, formats.BY_NAME[name], form, truncated, count)
            if key is not None:
                self._cache.put(key, answer, len(body))
            return answer
        raise self._failure(reply)

    def solutions(self, text: str, choice: DatasetChoice = DatasetChoice(),
                  timeout: float | None = None) -> tuple[list[str], list[tuple]]:
        """Run a SELECT for Python callers (pages): variable names and every row (no
        row cap: the server's own queries are bounded by what they ask)."""
        reply = self._call("solutions", (text, choice, None), self._bounded(timeout),
                           lane=PAGES)
        if reply[0] == "rows":
            return reply[1], reply[2]
        raise self._failure(reply)

    def check(self, text: str, kind: str = "query", base_iri: str | None = None) -> bool:
        """Run only the query-level check (``caonto.engine.guard``) in a worker; whether
        the text names its own dataset. Raises QuerySyntaxError or QueryRefused. For an
        engine that evaluates elsewhere (a remote store) but must not parse in the server."""
        reply = self._call("check", (text, kind, base_iri), self.timeout)
        if reply[0] == "checked":
            return reply[1]
        raise self._failure(reply)

    def update(self, text: str, timeout: float | None = None) -> None:
        """Apply a SPARQL Update in one worker; once it succeeds every worker replays it.

        Raises like :meth:`query`; a failed update is not logged, so it changes nothing
        elsewhere. A timed-out update is not logged either (its worker was killed).
        """
        def record(worker: _Worker, reply) -> None:
            if reply[0] == "done":  # logged only once it worked; this worker has it already
                self._sparql_logged = True
                worker.applied = self._append(text)

        bounded = self._bounded(timeout)
        if self._versions:
            self._write_shared([], text, bounded)
            return
        with self._update_lock:  # one writer at a time keeps the log in one order
            reply = self._call("update", (text,), bounded, on_reply=record)
        if reply[0] != "done":
            raise self._failure(reply)

    def replace_graphs(self, graphs: dict[str, bytes | None]) -> None:
        """Replace whole named graphs (IRI -> N-Triples bytes, None drops it) in every
        worker, all of them at once, before that worker's next request (used by the
        contributions gateway, which has already validated and stored them).

        Older log entries lose the graphs this one replaces, so rewriting the same
        graphs does not grow the log's bytes."""
        entry = dict(graphs)
        if self._versions:
            self._write_shared([entry])
            return
        with self._update_lock:
            start, entries, catch_up = self._log
            kept = [{g: d for g, d in old.items() if g not in entry}
                    if isinstance(old, dict) else old for old in entries]
            self._log = (start, kept, catch_up)
            self._touched.update(entry)
            self._append(entry)

    def change_graphs(self, delta: GraphDelta) -> None:
        """Apply ``delta`` in every worker, as one step before that worker's next request
        (the contributions gateway's writes, already validated and stored)."""
        entry = ("delta", sorted(delta.dropped), dict(delta.removed), dict(delta.added))
        if self._versions:
            self._write_shared([entry])
            return
        with self._update_lock:
            self._touched.update(delta.graphs)
            at = self.data_version + 1
            self._append(entry, _CatchUp(at, delta.whole, frozenset(self._touched)))

    # -- the shared on-disk store's writes --
    def _write_shared(self, entries: list, update: str | None = None,
                      timeout: float | None = None) -> None:
        """Apply log ``entries`` (and the SPARQL ``update``, checked like any) in the
        writer process, checkpoint its store, and log the checkpoint: every worker reads
        it from its next request on. Raises like :meth:`update`. Nothing is logged
        unless the checkpoint is complete; after a failure the writer is replaced, and
        its successor starts from the newest checkpoint, so no half-applied write is
        ever read or built on."""
        with self._update_lock:
            writer = self._writers[0] if self._writers else self._start_writer()
            path = None
            try:
                if update is not None:
                    reply = self._ask_writer(writer, [], "update", (update,), timeout)
                    if reply[0] in ("syntax", "refused"):  # refused before it changed anything
                        raise self._failure(reply)
                    if reply[0] != "done":
                        raise EvaluationError(reply[1])
                number, path = self._versions.next_path()
                reply = self._ask_writer(writer, entries, "checkpoint", (str(path),),
                                         self._start_timeout)
                if reply[0] != "checkpointed":
                    raise EvaluationError(f"checkpointing the shared store failed: {reply[1]}")
            except (QuerySyntaxError, QueryRefused):
                raise
            except Exception:
                self._stop_writer()
                if path:
                    shutil.rmtree(path, ignore_errors=True)
                raise
            version = Version(number, str(path))
            start, entries, _ = self._log
            self._log = (start + len(entries), [version], None)  # it supersedes the last
            self._collect()

    def _start_writer(self) -> _Worker:
        """The writer: a worker holding a read-write copy of the newest checkpoint."""
        config = dict(json.loads(self._worker_config), writer=str(self._versions.work),
                      disk=self._newest_checkpoint() or self._disk)
        process, conn = self._start(json.dumps(config))
        self._ready(process, conn)
        writer = _Worker(process, conn)
        with self._all_lock:
            self._writers.append(writer)
        return writer

    def _stop_writer(self) -> None:
        _stop_workers(self._writers, self._all_lock)

    def _ask_writer(self, writer: _Worker, entries: list, operation: str, args: tuple,
                    timeout: float):
        try:
            writer.conn.send((entries, operation, args))
            reply = receive(writer.conn) if writer.conn.poll(timeout) else None
        except (EOFError, OSError):
            raise EvaluationError("the shared store's writer died; the write was not "
                                  "applied") from None
        except BadReply as error:
            raise EvaluationError(f"the shared store's writer sent a malformed reply ({error}); "
                                  "the write was not applied") from None
        if reply is None:
            raise QueryTimeout(f"the write exceeded the {timeout:g} s limit and was stopped")
        if reply[0] == "replay":
            raise EvaluationError(f"the shared store's writer could not apply the write: "
                                  f"{reply[1]}")
        return reply

    def _newest_checkpoint(self) -> str:
        entries = self._log[1]
        return entries[-1].path if entries else ""

    def _collect(self) -> None:
        """Delete the checkpoints no worker reads, is about to read, or will be sent."""
        with self._sent_lock:
            with self._all_lock:
                keep = {path for w in self._all for path in (w.reading, w.sent)}
            keep = (keep | {self._newest_checkpoint()}) - {""}
            self._versions.retain(keep)

    def checkpoints(self) -> list[Path]:
        """The shared store's checkpoint directories on disk now (none without it)."""
        return self._versions.checkpoints() if self._versions else []

    @property
    def data_version(self) -> int:
        """Grows with every applied write: caches of derived data key on it."""
        start, entries, _catch_up = self._log
        return start + len(entries)

    def _bounded(self, timeout: float | None) -> float:
        timeout = positive_seconds(timeout)
        return self.timeout if timeout is None else min(timeout, self.timeout)

    @staticmethod
    def _failure(reply) -> QueryError:
        if reply[0] == "syntax":
            return QuerySyntaxError(reply[1])
        if reply[0] == "refused":
            return QueryRefused(reply[1])
        if reply[0] == "notacceptable":
            return NotAcceptable(reply[1])
        return EvaluationError(reply[1])

    def close(self) -> None:
        self._closed = True
        self._finalizer()
        if self._shared_finalizer:
            self._shared_finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def default_workers() -> int:
    return max(2, min(os.cpu_count() or 2, 8))
