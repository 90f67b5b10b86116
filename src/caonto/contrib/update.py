"""SPARQL 1.1 Update, run on a scratch copy of the served dataset to see what it would change.

The scratch store holds every served named graph (so WHERE clauses see the ontology,
essay and inferred graphs) and, as its default graph, their union — the same default
graph readers query. The update runs there with pyoxigraph; then each graph is compared
with what it held before. A change to the default graph, or to any graph that is not a
contributed one, is refused (403); the changed contributed graphs are returned for the
gateway to validate and store. ``LOAD`` and ``SERVICE`` are refused before anything runs:
pyoxigraph would fetch their IRIs itself. The server runs all of this in a sandboxed
one-shot process (``caonto.contrib.isolated``), which has no network either.

Cost: a copy and two scans of the whole dataset per update — fine at the essay's size;
tracking the changes instead of comparing would make it proportional to the update.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable

import pyoxigraph as ox

from caonto.contrib.storage import contributed_graph_name
from caonto.engine.guard import check_remote_references
from caonto.engine.interface import QueryRefused, QuerySyntaxError
from caonto.namespaces import CONTRIB_GRAPH_PREFIX


class UpdateError(Exception):
    """An update that cannot be applied; ``status`` is 400 (bad request) or 403 (forbidden)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _by_graph(store: ox.Store) -> dict[object, set[ox.Quad]]:
    groups: dict[object, set[ox.Quad]] = defaultdict(set)
    for quad in store:
        groups[quad.graph_name].add(quad)
    return groups


def scratch_store(base: Callable[[ox.Store], None],
                  graphs: dict[str, Iterable[ox.Triple]]) -> ox.Store:
    """A store filled by ``base`` (e.g. loading the built N-Quads), with ``graphs`` then
    replacing whole named graphs, and the union of all of them as the default graph."""
    store = ox.Store()
    base(store)
    for iri, triples in graphs.items():
        name = ox.NamedNode(iri)
        store.remove_graph(name)
        store.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)
    union = [ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in store]
    store.extend(union)
    return store


def _where(graph) -> str:
    return "the default graph" if isinstance(graph, ox.DefaultGraph) else f"<{graph.value}>"


def changed_quads(store: ox.Store, text: str) -> dict[str, set[ox.Quad] | None]:
    """Run ``text`` on ``store`` (changing it) and return the contributed graphs it changed:
    IRI → their quads now, or None when the graph is now empty or gone.

    Raises UpdateError: 400 for a syntax error (with the position), LOAD or SERVICE, a
    contributed graph name we cannot store, or a failed evaluation; 403 for a change to
    the default graph or to any graph outside ``caog:contrib/``. The web layer runs this
    in a sandboxed process (``caonto.contrib.isolated``).
    """
    try:
        check_remote_references(text, kind="update")
    except QuerySyntaxError as error:
        raise UpdateError(400, f"SPARQL Update syntax error: {error}") from None
    except QueryRefused as error:
        raise UpdateError(400, str(error).replace(
            "; the operator can allow IRIs with CAONTO_SERVICE_ALLOWLIST", "")
            + " (updates may never use LOAD or SERVICE)") from None
    before = _by_graph(store)
    try:
        store.update(text)
    except SyntaxError as error:
        raise UpdateError(400, f"SPARQL Update syntax error: {error}") from None
    except (OSError, ValueError, RuntimeError) as error:
        raise UpdateError(400, f"the update failed: {error}") from None
    after = _by_graph(store)
    changed: dict[str, set[ox.Quad] | None] = {}
    for graph in set(before) | set(after):
        if before.get(graph, set()) == after.get(graph, set()):
            continue
        if isinstance(graph, ox.DefaultGraph) or not graph.value.startswith(CONTRIB_GRAPH_PREFIX):
            raise UpdateError(403, f"the update would change {_where(graph)}, which is "
                                   "read-only; updates may change only graphs named "
                                   f"{CONTRIB_GRAPH_PREFIX}<name> (use GRAPH or WITH)")
        try:
            contributed_graph_name(graph.value)
        except ValueError as error:
            raise UpdateError(400, str(error)) from None
        changed[graph.value] = after.get(graph) or None
    return changed
