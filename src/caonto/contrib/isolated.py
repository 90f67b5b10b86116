"""Contributed input handled in a one-shot, sandboxed process: parsing a request body
and running a SPARQL Update on a scratch copy of the dataset.

Both read untrusted text with parsers that can be made to crash (pyoxigraph's parsers
recurse per nesting level: 6000 nested ``{`` or a JSON-LD document nested 6000 deep end
the process) or to run for long (an update whose WHERE counts a cross product). So
neither runs in the server: each job is a fresh ``python -m caonto.contrib.isolated``
that refuses itself the network (``caonto.sandbox``) and caps its memory, then gets the
job over a socket pair. The server waits at most ``timeout`` seconds and kills it. A new
process per job means nothing is left to replace after a crash. What comes back is
N-Triples, which the server reads with a flat, non-recursive parser.

``run`` raises JobFailed with the HTTP status to answer: 400 for a crash (the input is
what crashed it), 413 when the job needed more memory than allowed, 503 on timeout or
when the process could not start.
"""

import json
import logging
import resource
import socket
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection

import pyoxigraph as ox

from caonto import formats, sandbox
from caonto.contrib.update import UpdateError, changed_quads, scratch_store
from caonto.engine.guard import parse_in_deep_thread
from caonto.rdf_io import RdfInputError, read_quads


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


def run(job: str, args: tuple, limits: Limits):
    """Run ``job`` ("parse" or "update") with ``args`` in a fresh sandboxed process and
    return its reply (a tuple whose first item says what it is)."""
    ours, theirs = socket.socketpair()
    with theirs:
        process = subprocess.Popen(
            [sys.executable, "-m", "caonto.contrib.isolated", str(theirs.fileno()),
             json.dumps({"memory_mb": limits.memory_mb, "sandbox": limits.sandbox})],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
    conn = Connection(ours.detach())
    try:
        conn.send((job, args))
        if not conn.poll(limits.timeout):
            raise JobFailed(503, f"the {_what(job)} took longer than {limits.timeout:g} s "
                                 "and was stopped; nothing was stored")
        reply = conn.recv()
    except (EOFError, OSError):
        raise JobFailed(400, f"the {_what(job)} crashed the process reading it (nested too "
                             "deeply?); nothing was stored") from None
    finally:
        process.kill()
        process.wait()
        conn.close()
    if reply[0] == "memory":
        raise JobFailed(413, f"the {_what(job)} needs more memory than a worker may use; "
                             "nothing was stored")
    if reply[0] == "sandbox":
        raise JobFailed(503, reply[1])
    return reply


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


def _update(nquads: str, graphs: dict[str, bytes], text: str):
    """("ok", {graph IRI: N-Triples or None}) of what ``text`` changes, run on a scratch
    store of ``nquads`` with ``graphs`` replaced; ("refused", status, message)."""
    parsed = {iri: list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
              for iri, data in graphs.items()}
    store = scratch_store(lambda s: s.bulk_load(path=nquads, format=ox.RdfFormat.N_QUADS),
                          parsed)
    try:
        changed = parse_in_deep_thread(changed_quads, store, text)
    except UpdateError as error:
        return ("refused", error.status, error.message)
    return ("ok", {iri: ox.serialize([ox.Triple(q.subject, q.predicate, q.object)
                                      for q in quads], format=ox.RdfFormat.N_TRIPLES)
                   if quads else None for iri, quads in changed.items()})


def _child(conn: Connection, config: dict) -> None:
    if config.get("sandbox", True):
        try:
            sandbox.deny_network()
        except sandbox.SandboxError as error:
            conn.send(("sandbox", str(error)))
            return
    if config.get("memory_mb"):
        limit = int(config["memory_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    logging.getLogger("rdflib.term").setLevel(logging.ERROR)  # see caonto.engine.worker
    job, args = conn.recv()
    try:
        reply = _parse(*args) if job == "parse" else _update(*args)
    except MemoryError:
        reply = ("memory",)
    conn.send(reply)


if __name__ == "__main__":
    _child(Connection(int(sys.argv[1])), json.loads(sys.argv[2]))
