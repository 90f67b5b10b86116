"""A query worker process: loads the data, then answers requests from its pipe.

Started by ``caonto.engine.pool`` as ``python -m caonto.engine.worker FD NQUADS MEMORY_MB
[DISK]``: a fresh interpreter running only this module, so that a worker imports
neither Flask nor rdflib. Replies are tuples whose first item says what they are
(``ok``, ``rows``, ``done``, ``syntax``, ``notacceptable``, ``error``).
"""

import itertools
import sys
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from caonto import formats
from caonto.engine import disk_store
from caonto.engine.interface import DatasetChoice
from caonto.engine.prefixes import PREDECLARED
from caonto.engine.results import capped_solutions, capped_triples, write_boolean
from caonto.namespaces import GRAPH_INFERRED


def _dataset_options(store: ox.Store, choice: DatasetChoice, graphs_cache: dict) -> dict:
    """The dataset a query sees, and the prefixes it may use undeclared."""
    return {**_dataset(store, choice, graphs_cache), "prefixes": PREDECLARED}


def _dataset(store: ox.Store, choice: DatasetChoice, graphs_cache: dict) -> dict:
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


def _run(store: ox.Store, text: str, choice: DatasetChoice, format_names: tuple,
         max_rows: int, graphs_cache: dict):
    solutions_name, graph_name = format_names
    try:
        result = store.query(text, **_dataset_options(store, choice, graphs_cache))
    except SyntaxError as error:
        return ("syntax", str(error))
    if isinstance(result, ox.QueryBoolean):
        if solutions_name is None:
            return ("notacceptable", "ask")
        chosen = formats.BY_NAME[solutions_name]
        return ("ok", "ask", write_boolean(chosen, bool(result)), solutions_name, False, 1)
    if isinstance(result, ox.QuerySolutions):
        if solutions_name is None:
            return ("notacceptable", "select")
        body, count, truncated = capped_solutions(result, formats.BY_NAME[solutions_name],
                                                  max_rows)
        return ("ok", "select", body, solutions_name, truncated, count)
    if graph_name is None:
        return ("notacceptable", "construct")
    body, count, truncated = capped_triples(result, formats.BY_NAME[graph_name], max_rows)
    return ("ok", "graph", body, graph_name, truncated, count)


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
    if disk:  # the shared on-disk store (caonto.engine.disk_store) until a write needs a copy
        store, shared = disk_store.open_read_only(Path(disk)), True
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
                store, shared = disk_store.writable_copy(Path(nquads)), False
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


if __name__ == "__main__":
    _worker_main(Connection(int(sys.argv[1])), sys.argv[2], int(sys.argv[3]),
                 sys.argv[4] if len(sys.argv) > 4 else "")
