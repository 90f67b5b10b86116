"""SPARQL 1.1 Update, run on a scratch copy of the served dataset to see what it would change.

The scratch store holds every served named graph (so WHERE clauses see the ontology,
essay and inferred graphs) and, as its default graph, their union — the same default
graph readers query. The update runs there with pyoxigraph; then each graph is compared
with what it held before. A change to the default graph, or to any graph that is not a
contributed one, is refused (403); the changed contributed graphs are returned for the
gateway to validate and store. ``LOAD`` and ``SERVICE`` are refused before anything runs:
pyoxigraph would fetch their IRIs itself. The server runs all of this in a sandboxed
process forked for the job (``caonto.contrib.isolated``), which has no network either.

The protocol's ``using-graph-uri`` and ``using-named-graph-uri`` parameters become
``USING`` / ``USING NAMED`` clauses of every operation with a WHERE clause
(``with_protocol_dataset``); an update that names its own dataset (USING, USING NAMED
or WITH) together with them is refused, as the SPARQL 1.1 Protocol requires.

An update that only inserts or deletes data in contributed graphs (``INSERT DATA`` /
``DELETE DATA``, ``data_only_graphs``) changes nothing but the graphs it names, whatever
else the dataset holds: it runs on a store of those graphs alone, in time proportional
to them. Any other update costs a copy and two scans of the whole dataset.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate

from caonto.contrib.storage import contributed_graph_name
from caonto.engine.guard import check_remote_references
from caonto.engine.interface import QueryRefused, QuerySyntaxError
from caonto.namespaces import CONTRIB_GRAPH_PREFIX


class UpdateError(Exception):
    """An update that cannot be applied; ``status`` is 400 (bad request) or 403 (forbidden)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


# SPARQL 1.1 §19.2: codepoint escapes are replaced before parsing (\u0057HERE is WHERE).
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# What matters to find a clause keyword at the top level: everything that can hide a
# brace or a keyword (comments, strings, IRIs, names with a prefix, variables), braces,
# and words.
_LEXEME = re.compile(r'''
    (?P<skip>\#[^\n\r]*
      | """(?:[^"\\]|\\.|"(?!""))*""" | \'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
      | "(?:[^"\\\n\r]|\\.)*" | '(?:[^'\\\n\r]|\\.)*'
      | <[^<>"{}|^`\\\x00-\x20]*> | [?$@][\w-]+ | [\w.-]*:[\w.:%\\-]*)
  | (?P<open>\{) | (?P<close>\})
  | (?P<word>[^\W\d]\w*)
''', re.VERBOSE | re.UNICODE)
_ABSOLUTE_IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>"{}|^`\\]*$')


def _top_level_words(text: str) -> list[tuple[str, int, int]]:
    """(WORD in upper case, start, end) of the words outside any braces, strings, IRIs
    and comments, and ("{", start, end) for the braces that open a top-level group."""
    found, depth = [], 0
    for match in _LEXEME.finditer(text):
        kind = match.lastgroup
        if kind == "open":
            if depth == 0:
                found.append(("{", match.start(), match.end()))
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "word" and depth == 0:
            found.append((match.group().upper(), match.start(), match.end()))
    return found


def _group_end(text: str, start: int) -> int:
    """The index after the ``}`` closing the group that opens at ``start``."""
    depth = 0
    for match in _LEXEME.finditer(text, start):
        if match.lastgroup == "open":
            depth += 1
        elif match.lastgroup == "close":
            depth -= 1
            if depth == 0:
                return match.end()
    raise UpdateError(400, "SPARQL Update syntax error: a '{' is never closed")


def with_protocol_dataset(text: str, using: Sequence[str], using_named: Sequence[str]) -> str:
    """``text`` with ``using-graph-uri`` / ``using-named-graph-uri`` applied (SPARQL 1.1
    Protocol §2.2.3): USING / USING NAMED before the WHERE of each operation, and the
    DELETE WHERE shorthand spelled out so that it can take them. UpdateError (400) when
    a value is not an absolute IRI, or when the update names its own dataset."""
    if not using and not using_named:
        return text
    for iri in (*using, *using_named):
        if not _ABSOLUTE_IRI.match(iri):
            raise UpdateError(400, f"using-graph-uri and using-named-graph-uri take absolute "
                                   f"IRIs; got {iri!r}")
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    words = _top_level_words(text)
    own = sorted({word for word, _, _ in words if word in ("USING", "WITH")})
    if own:
        raise UpdateError(400, f"the update names its own dataset ({' and '.join(own)}), so "
                               "it cannot also take using-graph-uri or using-named-graph-uri")
    clauses = " ".join([f"USING <{iri}>" for iri in using]
                       + [f"USING NAMED <{iri}>" for iri in using_named])
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), applied from the end
    for index, (word, start, _end) in enumerate(words):
        if word != "WHERE":
            continue
        if index and words[index - 1][0] == "DELETE":  # DELETE WHERE { P }
            after = words[index + 1] if index + 1 < len(words) else None
            if after is None or after[0] != "{":
                continue  # not an update pyoxigraph will accept anyway; it says why
            pattern = text[after[1]:_group_end(text, after[1])]
            edits.append((start, start, f"{pattern} {clauses} "))
        else:
            edits.append((start, start, f"{clauses} "))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _by_graph(store: ox.Store) -> dict[object, set[ox.Quad]]:
    groups: dict[object, set[ox.Quad]] = defaultdict(set)
    for quad in store:
        groups[quad.graph_name].add(quad)
    return groups


def data_only_graphs(text: str) -> set[str] | None:
    """The graphs an update names when it only inserts or deletes data (``INSERT DATA``
    / ``DELETE DATA``) in graphs named ``caog:contrib/…``; None for any other update,
    and for one rdflib's parser cannot read: those run on the whole dataset, which
    gives every refusal its exact reason. Run it where untrusted text may be parsed."""
    try:
        operations = translateUpdate(parseUpdate(text)).algebra
    except Exception:  # noqa: BLE001 - rdflib raises many kinds; the full path explains
        return None
    graphs: set[str] = set()
    for operation in operations:
        if operation.name not in ("InsertData", "DeleteData") or operation["triples"]:
            return None  # a WHERE, a graph operation, or the default graph
        for graph in operation["quads"]:
            if not isinstance(graph, URIRef) or not str(graph).startswith(CONTRIB_GRAPH_PREFIX):
                return None
            graphs.add(str(graph))
    return graphs


def scratch_store(base: Callable[[ox.Store], None],
                  graphs: dict[str, Iterable[ox.Triple]], union: bool = True) -> ox.Store:
    """A store filled by ``base`` (e.g. loading the built N-Quads), with ``graphs`` then
    replacing whole named graphs, and (``union``) the union of all of them as the
    default graph."""
    store = ox.Store()
    base(store)
    for iri, triples in graphs.items():
        name = ox.NamedNode(iri)
        store.remove_graph(name)
        store.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)
    if union:
        store.extend([ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                      for q in store])
    return store


def _where(graph) -> str:
    return "the default graph" if isinstance(graph, ox.DefaultGraph) else f"<{graph.value}>"


def changed_quads(store: ox.Store, text: str,
                  data_only: bool = False) -> dict[str, set[ox.Quad] | None]:
    """Run ``text`` on ``store`` (changing it) and return the contributed graphs it changed:
    IRI → their quads now, or None when the graph is now empty or gone.

    Raises UpdateError: 400 for a syntax error (with the position), LOAD or SERVICE, a
    contributed graph name we cannot store, or a failed evaluation; 403 for a change to
    the default graph or to any graph outside ``caog:contrib/``. The web layer runs this
    in a sandboxed process (``caonto.contrib.isolated``). ``data_only``: the text was
    read by ``data_only_graphs`` already, which found no LOAD or SERVICE in it.
    """
    try:
        if not data_only:
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
