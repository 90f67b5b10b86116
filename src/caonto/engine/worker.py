"""A query worker process: loads the data, then answers requests from its pipe.

Started by ``caonto.engine.pool`` as ``python -m caonto.engine.worker FD CONFIG_JSON``: a
fresh interpreter running only this module (no Flask). Before it reads anything it
refuses itself the network (``caonto.sandbox``, unless the operator turned that off)
and caps its memory. Every text it is asked to run is first read by the query-level
check (``caonto.engine.guard``), here rather than in the server, so that a slow or
crashing parse costs only this process. Replies are tuples whose first item says what
they are (``ok``, ``rows``, ``done``, ``checked``, ``checkpointed``, ``syntax``,
``refused``, ``notacceptable``, ``replay``, ``error``).
"""

import hashlib
import json
import logging
import pickle
import sys
from collections import OrderedDict
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from caonto import formats, sandbox
from caonto.engine import disk_store, guard
from caonto.engine.interface import DatasetChoice, QueryRefused, QuerySyntaxError
from caonto.engine.prefixes import PREDECLARED
from caonto.engine.results import capped_solutions, capped_triples, write_boolean
from caonto.namespaces import GRAPH_INFERRED, PREFIXES
from caonto.rdf_io import load_nquads


def _dataset_options(store: ox.Store, choice: DatasetChoice, reading: guard.Reading,
                     graphs_cache: dict) -> dict:
    """The dataset as SPARQL 1.1 says: protocol parameters first, then the query's own
    FROM / FROM NAMED, and only when neither names one, the served union."""
    if choice.default_graphs is not None or choice.named_graphs is not None:
        return {"default_graph": [ox.NamedNode(g) for g in choice.default_graphs or ()],
                "named_graphs": [ox.NamedNode(g) for g in choice.named_graphs or ()]}
    if reading.names_dataset:
        return {}
    if choice.inference:
        return {"use_default_graph_as_union": True}
    if "plain" not in graphs_cache:
        graphs_cache["plain"] = [g for g in store.named_graphs()
                                 if g.value != str(GRAPH_INFERRED)] + [ox.DefaultGraph()]
    graphs = graphs_cache["plain"]
    return {"default_graph": graphs,
            "named_graphs": [g for g in graphs if not isinstance(g, ox.DefaultGraph)]}


class Checker:
    """The query-level check with its verdicts kept for repeated texts: at most
    ``size`` verdicts, keyed by a SHA-256 of what was asked (never the text itself)."""

    def __init__(self, allowed: frozenset[str], enabled: bool = True, size: int = 512):
        self.allowed, self.enabled, self.size = allowed, enabled, size
        self._verdicts: OrderedDict[bytes, object] = OrderedDict()

    def read(self, text: str, kind: str, base_iri: str | None) -> guard.Reading:
        """The guard's reading; raises QuerySyntaxError or QueryRefused."""
        if not self.enabled:  # only tests turn the check off, to show the OS layer alone
            return guard.Reading(names_dataset=False)
        key = hashlib.sha256(f"{kind}\0{base_iri}\0{text}".encode()).digest()
        verdict = self._verdicts.get(key)
        if verdict is None:
            try:
                verdict = guard.parse_in_deep_thread(guard.read, text, kind, self.allowed,
                                                     base_iri=base_iri, prefixes=PREFIXES)
            except (QuerySyntaxError, QueryRefused) as error:
                verdict = error
            self._verdicts[key] = verdict
            if len(self._verdicts) > self.size:
                self._verdicts.popitem(last=False)
        else:
            self._verdicts.move_to_end(key)
        if isinstance(verdict, Exception):
            raise verdict
        return verdict


def _run(store: ox.Store, checker: Checker, text: str, choice: DatasetChoice,
         format_names: tuple, max_rows: int, max_bytes: int, base_iri: str | None,
         graphs_cache: dict):
    solutions_name, graph_name = format_names
    reading = checker.read(text, "query", base_iri)
    result = store.query(text, base_iri=base_iri, prefixes=PREDECLARED,
                         **_dataset_options(store, choice, reading, graphs_cache))
    if isinstance(result, ox.QueryBoolean):
        if solutions_name is None:
            return ("notacceptable", "ask")
        chosen = formats.BY_NAME[solutions_name]
        return ("ok", "ask", write_boolean(chosen, bool(result)), solutions_name, False, 1)
    if isinstance(result, ox.QuerySolutions):
        if solutions_name is None:
            return ("notacceptable", "select")
        body, count, truncated = capped_solutions(result, formats.BY_NAME[solutions_name],
                                                  max_rows, max_bytes)
        return ("ok", "select", body, solutions_name, truncated, count)
    if graph_name is None:
        return ("notacceptable", "construct")
    body, count, truncated = capped_triples(result, formats.BY_NAME[graph_name], max_rows,
                                            max_bytes)
    return ("ok", "graph", body, graph_name, truncated, count)


def _solutions(store, checker: Checker, text, choice, base_iri, graphs_cache):
    """Every row of a SELECT, for the server's own callers (pages, labels): never cut."""
    reading = checker.read(text, "query", base_iri)
    result = store.query(text, base_iri=base_iri, prefixes=PREDECLARED,
                         **_dataset_options(store, choice, reading, graphs_cache))
    if not isinstance(result, ox.QuerySolutions):
        return ("error", "not a SELECT query")
    names = [v.value for v in result.variables]
    rows = [tuple(s[n] for n in names) for s in result]
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


def _change_graphs(store: ox.Store, entry: tuple) -> None:
    """Apply a delta entry ("delta", dropped IRIs, {IRI: N-Triples removed}, {IRI:
    N-Triples added}): drop, then remove, then add, with blank node labels kept. A
    worker applies this between two of its requests, so no query sees half of it."""
    _kind, dropped, removed, added = entry
    for iri in dropped:
        store.remove_graph(ox.NamedNode(iri))
    for iri, data in removed.items():
        name = ox.NamedNode(iri)
        for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
            store.remove(ox.Quad(t.subject, t.predicate, t.object, name))
        if iri not in added and next(store.quads_for_pattern(None, None, None, name),
                                     None) is None:
            store.remove_graph(name)  # emptied: gone, as a whole replacement leaves it
    for iri, data in added.items():
        name = ox.NamedNode(iri)
        store.extend(ox.Quad(t.subject, t.predicate, t.object, name)
                     for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES))


def _replay(store: ox.Store, updates: list, graphs_cache: dict) -> str | None:
    """Apply the write-log entries this worker has not seen; the first failure's message."""
    for update in updates:
        try:
            if isinstance(update, dict):
                _replace_graphs(store, update)
            elif isinstance(update, tuple):
                _change_graphs(store, update)
            else:
                store.update(update)
        except Exception as error:  # the parent replaces this worker, whatever went wrong
            return f"{type(error).__name__}: {error}"
        finally:
            graphs_cache.clear()
    return None


def _follow(store: ox.Store, updates: list, graphs_cache: dict) -> tuple[ox.Store, str | None]:
    """A worker on the shared store: its log carries only checkpoints of the writer's
    store (``caonto.engine.disk_store.Version``); reopen the newest, read-only. Returns
    the store to read and the failure's message, if any."""
    version = disk_store.newest(updates)
    if version is None:
        return store, None
    try:
        reopened = disk_store.open_read_only(Path(version.path))
    except Exception as error:  # the parent replaces this worker: never serve the old one
        return store, f"checkpoint {version.number}: {type(error).__name__}: {error}"
    graphs_cache.clear()
    return reopened, None


def _write_shared(store: ox.Store, updates: list, graphs_cache: dict) -> str | None:
    """The writer of the shared store applies the log as every worker would, except
    whole graphs, which it writes by their difference (``disk_store.replace_graphs``)."""
    for update in updates:
        if not isinstance(update, dict):
            failure = _replay(store, [update], graphs_cache)
            if failure:
                return failure
            continue
        try:
            disk_store.replace_graphs(store, update)
        except Exception as error:  # the parent replaces the writer, whatever went wrong
            return f"{type(error).__name__}: {error}"
    return None


def _answer(store, checker: Checker, operation: str, args: tuple, graphs_cache: dict):
    if operation == "query":
        return _run(store, checker, *args, graphs_cache=graphs_cache)
    if operation == "solutions":
        return _solutions(store, checker, *args, graphs_cache=graphs_cache)
    if operation == "check":  # the check alone, for an engine that evaluates elsewhere
        text, kind, base_iri = args
        return ("checked", checker.read(text, kind, base_iri).names_dataset)
    if operation == "update":
        checker.read(args[0], "update", None)
        graphs_cache.clear()
        store.update(args[0])  # pyoxigraph applies one update as one transaction
        return ("done",)
    if operation == "checkpoint":  # the shared store's writer, once a write is applied
        disk_store.checkpoint(store, Path(args[0]))
        return ("checkpointed",)
    return ("error", f"unknown operation {operation}")


def _worker_main(conn, config: dict) -> None:
    """Refuse the network, load the data, say ready, then answer requests until the pipe
    closes. When the sandbox cannot be entered, say so and stop."""
    if config.get("sandbox", True):
        try:
            sandbox.deny_network()
        except sandbox.SandboxError as error:
            conn.send(("failed", str(error)))
            return
    _limit_memory(config.get("memory_mb", 0))
    # rdflib logs a traceback for every integer literal too long to convert: a client could
    # fill the log with them. The check does not need the values.
    logging.getLogger("rdflib.term").setLevel(logging.ERROR)
    checker = Checker(frozenset(config.get("allowlist", ())), config.get("check", True))
    nquads, disk, writer = config["nquads"], config.get("disk", ""), config.get("writer", "")
    if writer:  # the one process that writes the shared store (caonto.engine.disk_store)
        store = disk_store.open_writable(Path(disk), Path(writer))
    elif disk:  # the shared on-disk store, read-only; writes arrive as checkpoints
        store = disk_store.open_read_only(Path(disk))
    else:
        store = ox.Store()
        load_nquads(store, Path(nquads))
    conn.send(("ready", len(store)))
    graphs_cache: dict = {}
    while True:
        try:
            updates, operation, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if writer:
                failure = _write_shared(store, updates, graphs_cache)
            elif disk:
                store, failure = _follow(store, updates, graphs_cache)
            else:
                failure = _replay(store, updates, graphs_cache)
            reply = ("replay", failure) if failure else \
                _answer(store, checker, operation, args, graphs_cache)
        except QuerySyntaxError as error:
            reply = ("syntax", str(error))
        except QueryRefused as error:
            reply = ("refused", str(error))
        except SyntaxError as error:
            reply = ("syntax", str(error))
        except MemoryError:
            reply = ("error", "the query needs more memory than a worker may use")
        except Exception as error:  # report, keep serving: the parent decides what to show
            reply = ("error", f"{type(error).__name__}: {error}")
        conn.send_bytes(pickle.dumps(reply, pickle.HIGHEST_PROTOCOL))  # cheaper than send()


if __name__ == "__main__":
    _worker_main(Connection(int(sys.argv[1])), json.loads(sys.argv[2]))
