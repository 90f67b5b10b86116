"""Contributed input handled in sandboxed processes forked per job from a warm parent:
parsing a request body, and running a SPARQL Update on a scratch store.

Both read untrusted text with parsers that can be made to crash (pyoxigraph's parsers
recurse per nesting level: 6000 nested ``{`` or a JSON-LD document nested 6000 deep end
the process) or to run for long (an update whose WHERE counts a cross product). So
neither runs in the server. ``Jobs`` keeps one warm *fork server*: a
``python -m caonto.contrib.isolated`` process that refuses itself the network
(``caonto.sandbox``) and imports the parsers once, then only forks: it never reads a
job. Each job gets a fresh child of it (a fork costs milliseconds, a new interpreter
hundreds), which caps its memory, reads the job from a socket pair shared with the
server alone, answers and exits. So no job ever sees another's input or what an earlier
one did to the process, and a crash, a timeout (the server kills the child) or a memory
error costs only that child. A fork server that dies is started again for the next job.
What comes back is N-Triples, which the server reads with a flat, non-recursive parser.

Cost: one fork server per server process (an interpreter with rdflib and pyoxigraph
imported, about 50 MB), plus one child per job running at that moment (the server's
threads bound how many), each capped by the worker memory limit.

An update is answered in two steps. Its child first parses it; when it only inserts or
deletes data (``INSERT DATA`` / ``DELETE DATA``) in contributed graphs, it asks for
those graphs alone and runs the update on them — no dataset is loaded. Any other update
asks for the dataset (the built N-Quads plus the current contributed, inferred and log
graphs) and runs on a scratch copy of it, as ``caonto.contrib.update`` describes.

``Jobs.run`` raises JobFailed with the HTTP status to answer: 400 for a crash (the input
is what crashed it), 413 when the job needed more memory than allowed, 503 on timeout or
when the process could not start.
"""

import errno
import json
import logging
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from caonto import formats, sandbox
from caonto.contrib.update import UpdateError, changed_quads, data_only_graphs, scratch_store
from caonto.engine.guard import parse_in_deep_thread
from caonto.rdf_io import RdfInputError, load_nquads, read_quads
from caonto.replies import BadReply, receive

log = logging.getLogger(__name__)
START_TIMEOUT = 60.0  # seconds for a fork server to import and enter the sandbox
_WARM_UP = "PREFIX x: <urn:x:> INSERT DATA { GRAPH x:g { x:s x:p 1, 'a'@en, [] } }"


@dataclass(frozen=True)
class Limits:
    timeout: float = 10.0
    memory_mb: int = 0  # 0 = no cap
    sandbox: bool = True


class JobFailed(Exception):
    """The job did not finish; ``status`` is the HTTP status to answer, ``message`` why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class Jobs:
    """Sandboxed jobs, each in a fresh child of one warm fork server (module docstring).

    ``start()`` warms the fork server in the background; ``run`` starts it itself when
    needed, and starts it again when it died."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self._lock = threading.Lock()  # one fork request at a time on the control socket
        self._server: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self.server_starts = 0

    def start(self) -> None:
        threading.Thread(target=self._warm, name="caonto-fork-server", daemon=True).start()

    def _warm(self) -> None:
        try:
            with self._lock:
                self._ensure_server()
        except JobFailed as failure:  # the first job reports it to its client
            log.warning("%s", failure.message)

    def server_pid(self) -> int | None:
        return self._server.pid if self._server else None

    def close(self) -> None:
        with self._lock:
            self._stop_server()

    def run(self, job: str, args: tuple, answer: Callable[[tuple], object] | None = None):
        """Run ``job`` ("parse", "update", or "probe": the child's pid and whether it
        can connect to a loopback port) with ``args`` in a fresh sandboxed child and
        return its final reply (a tuple whose first item says what it is). A child may
        ask the server for more (an update asks for graphs or the dataset): ``answer``
        is called with its request and what it returns is sent back."""
        deadline = time.monotonic() + self.limits.timeout
        conn, pidfd = self._fork()
        try:
            conn.send((job, args))
            while True:
                if not conn.poll(max(0.0, deadline - time.monotonic())):
                    raise JobFailed(503, f"the {_what(job)} took longer than "
                                         f"{self.limits.timeout:g} s and was stopped; "
                                         "nothing was stored")
                reply = receive(conn)
                if reply[0] not in ("graphs", "dataset") or answer is None:
                    break
                conn.send(answer(reply))
        except (EOFError, OSError):
            raise JobFailed(400, f"the {_what(job)} crashed the process reading it (nested "
                                 "too deeply?); nothing was stored") from None
        except BadReply as error:  # what a child taken over by its input would send
            log.error("a sandboxed job sent a reply that is not plain data: %s", error)
            raise JobFailed(400, f"the {_what(job)} made the process reading it misbehave; "
                                 "nothing was stored") from None
        finally:
            _kill(pidfd)
            conn.close()
        if reply[0] == "memory":
            raise JobFailed(413, f"the {_what(job)} needs more memory than a worker may use; "
                                 "nothing was stored")
        return reply

    def _fork(self) -> tuple[Connection, int]:
        """A socket pair to a new child of the fork server, and the child's pidfd (-1
        when it is already gone). A dead fork server is replaced once."""
        with self._lock:
            for attempt in (1, 2):
                control = self._ensure_server()
                ours, theirs = socket.socketpair()
                try:
                    socket.send_fds(control, [b"job"], [theirs.fileno()])
                    message, fds, _flags, _address = socket.recv_fds(control, 16, 1)
                    if not message:
                        raise EOFError
                    return Connection(ours.detach()), fds[0] if fds else -1
                except (EOFError, OSError):
                    ours.close()
                    self._stop_server()
                    if attempt == 2:
                        raise JobFailed(503, "the sandboxed process that reads request bodies "
                                             "could not be started; try again") from None
                finally:
                    theirs.close()
        raise AssertionError("unreachable")

    def _ensure_server(self) -> socket.socket:
        """The control socket of a running fork server, starting one when there is none.
        Raises JobFailed (503) when it cannot start or cannot enter the sandbox."""
        if self._server is not None and self._server.poll() is None:
            return self._control
        self._stop_server()
        ours, theirs = socket.socketpair()
        with theirs:
            process = subprocess.Popen(
                [sys.executable, "-m", "caonto.contrib.isolated", str(theirs.fileno()),
                 json.dumps({"memory_mb": self.limits.memory_mb, "timeout": self.limits.timeout,
                             "sandbox": self.limits.sandbox})],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        ours.settimeout(START_TIMEOUT)
        try:
            ready = ours.recv(4096)
        except OSError:
            ready = b""
        ours.settimeout(None)
        if ready != b"ready":
            process.kill()
            process.wait()
            ours.close()
            message = ready[len(b"sandbox "):].decode("utf-8", "replace") \
                if ready.startswith(b"sandbox ") else \
                "the sandboxed process that reads request bodies could not be started"
            raise JobFailed(503, message)
        self._server, self._control = process, ours
        self.server_starts += 1
        return ours

    def _stop_server(self) -> None:
        if self._server is not None:
            self._server.kill()
            self._server.wait()
        if self._control is not None:
            self._control.close()
        self._server = self._control = None


def run(job: str, args: tuple, limits: Limits, answer: Callable[[tuple], object] | None = None):
    """One job with a fork server of its own (for callers without a ``Jobs``)."""
    jobs = Jobs(limits)
    try:
        return jobs.run(job, args, answer)
    finally:
        jobs.close()


def _kill(pidfd: int) -> None:
    """Kill the job's child (whatever it is doing) and let go of its pidfd."""
    if pidfd < 0:
        return
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it already exited
    finally:
        os.close(pidfd)


def _what(job: str) -> str:
    return "update" if job == "update" else "request body"


# ---- the child side ---------------------------------------------------------------------

def _parse(data: bytes, format_name: str, base_iri: str | None):
    """("ok", N-Triples) of a one-graph body; ("rdf", message, line, column) for bad
    syntax; ("quads", graph name) when it puts triples in a named graph."""
    triples = []
    try:
        for quad in read_quads(data, formats.BY_NAME[format_name], "request body", base_iri):
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                return ("quads", str(quad.graph_name))
            triples.append(ox.Triple(quad.subject, quad.predicate, quad.object))
    except RdfInputError as error:
        return ("rdf", error.message, error.line, error.column)
    return ("ok", ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))


def _triples(graphs: dict[str, bytes]) -> dict[str, list]:
    return {iri: list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
            for iri, data in graphs.items()}


def _changed_reply(changed: dict) -> tuple:
    return ("ok", {iri: ox.serialize([ox.Triple(q.subject, q.predicate, q.object)
                                      for q in quads], format=ox.RdfFormat.N_TRIPLES)
                   if quads else None for iri, quads in changed.items()})


def _update(conn: Connection, text: str):
    """("ok", {graph IRI: N-Triples or None}) of what ``text`` changes; ("refused",
    status, message). Asks the server for the contributed graphs a data-only update
    names (("graphs", IRIs) → {IRI: N-Triples}), or else for the dataset (("dataset",)
    → (N-Quads path, {IRI: N-Triples} of the graphs that replace the file's))."""
    targets = parse_in_deep_thread(data_only_graphs, text)
    if targets is not None:
        conn.send(("graphs", sorted(targets)))
        store = scratch_store(lambda s: None, _triples(conn.recv()), union=False)
        try:
            changed = parse_in_deep_thread(changed_quads, store, text, data_only=True)
        except UpdateError as error:
            return ("refused", error.status, error.message)
        if set(changed) <= targets:  # pyoxigraph changed only what was given to it
            return _changed_reply(changed)
    conn.send(("dataset",))
    nquads, graphs = conn.recv()
    store = scratch_store(lambda s: load_nquads(s, Path(nquads)),
                          _triples(graphs))
    try:
        changed = parse_in_deep_thread(changed_quads, store, text)
    except UpdateError as error:
        return ("refused", error.status, error.message)
    return _changed_reply(changed)


def _probe(port: int):
    """("probe", this process's pid, what connecting to 127.0.0.1:``port`` gave): shows
    where jobs run and that they have no network."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        outcome = "connected"
    except OSError as error:
        outcome = errno.errorcode.get(error.errno or 0, str(error))
    return ("probe", os.getpid(), outcome)


def _job(conn: Connection, memory_mb: int, timeout: float) -> None:
    # The server kills this process at its deadline; should the server be gone, the
    # kernel does it a second later (SIGALRM's default action ends the process).
    signal.setitimer(signal.ITIMER_REAL, timeout + 1)
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    job, args = conn.recv()
    try:
        reply = _parse(*args) if job == "parse" else _update(conn, *args) \
            if job == "update" else _probe(*args)
    except MemoryError:
        reply = ("memory",)
    conn.send(reply)


def _fork_server(control: socket.socket, config: dict) -> None:
    """Enter the sandbox, say ready, then fork one child per job request until the
    server closes the control socket. It never reads a job itself. Children are reaped
    here (at least every half second), never before their pidfd is taken, so the
    server's kill reaches the job's child and no other process."""
    if config.get("sandbox", True):
        try:
            sandbox.deny_network()
        except sandbox.SandboxError as error:
            control.sendall(b"sandbox " + str(error).encode())
            return
    logging.getLogger("rdflib.term").setLevel(logging.ERROR)  # see caonto.engine.worker
    data_only_graphs(_WARM_UP)  # rdflib's parser does its first-use work once, here
    control.sendall(b"ready")
    while True:
        _reap()
        if not select.select([control], [], [], 0.5)[0]:
            continue
        message, fds, _flags, _address = socket.recv_fds(control, 16, 1)
        if not message:
            return
        if not fds:
            continue
        pid = os.fork()
        if pid == 0:  # the job's child: only its own socket
            control.close()
            status = 1
            try:
                _job(Connection(fds[0]), int(config.get("memory_mb") or 0),
                     float(config["timeout"]))
                status = 0
            except BaseException:  # noqa: BLE001 - shown as an uncaught error would be
                traceback.print_exc()
            finally:
                os._exit(status)
        os.close(fds[0])
        pidfd = os.pidfd_open(pid)  # the child is not reaped before _reap: pid is its own
        socket.send_fds(control, [b"forked"], [pidfd])
        os.close(pidfd)


def _reap() -> None:
    """Collect the children that have exited."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass  # no children


if __name__ == "__main__":
    _fork_server(socket.socket(fileno=int(sys.argv[1])), json.loads(sys.argv[2]))
