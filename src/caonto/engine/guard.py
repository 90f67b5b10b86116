"""The query-level refusal of remote and file resources, decided from a real parse.

pyoxigraph itself fetches ``SERVICE`` and ``LOAD`` IRIs over HTTP, so a query or update
that names one is refused before any engine evaluates it, unless the operator
allow-listed the IRI. ``FROM``/``FROM NAMED`` (and ``USING`` in updates) may name the
local graphs. The decision comes from rdflib's SPARQL 1.1 parser: the whole text is
parsed, prefixed names and relative IRIs are resolved as the query's own ``PREFIX`` and
``BASE`` say, and the parse tree is searched for SERVICE patterns, LOAD operations and
dataset clauses. A text that parser cannot read is refused (it fails closed), with its
line and column.

This check is the first of two defences: the processes that evaluate queries also run
without network (``caonto.sandbox``), so a parser disagreement cannot reach the network.
The parse is recursive; the query workers run it in a thread with a large stack and a
raised recursion limit (``parse_in_deep_thread``), so nesting that would crash
pyoxigraph's own parser is refused here first.
"""

import sys
import threading
from dataclasses import dataclass

from pyparsing import ParseException, ParseResults
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import URIRef, Variable

from caonto.engine.interface import QueryRefused, QuerySyntaxError
from caonto.namespaces import CAOG

LOCAL_GRAPH_PREFIX = str(CAOG)
DEEP_RECURSION_LIMIT = 20_000  # the parser recurses per nesting level and per triple
DEEP_STACK_BYTES = 256 * 1024 * 1024  # virtual; only the pages the recursion touches are used


@dataclass(frozen=True)
class Reading:
    """What the parse found that the engine needs to know."""

    names_dataset: bool  # FROM / FROM NAMED (queries) or USING (updates) are present


def read(text: str, kind: str = "query", allowed: frozenset[str] = frozenset(),
         local_prefix: str = LOCAL_GRAPH_PREFIX, base_iri: str | None = None,
         prefixes: dict[str, str] | None = None) -> Reading:
    """Parse ``text`` (``kind`` "query" or "update") and decide.

    Raises QuerySyntaxError ("error at LINE:COLUMN: ...") when the text cannot be parsed
    or nests deeper than the parser allows, QueryRefused when it names SERVICE or LOAD
    outside ``allowed`` (a variable is never allowed) or a FROM/USING graph that is
    neither under ``local_prefix`` nor in ``allowed``."""
    try:
        tree = parseUpdate(text) if kind == "update" else parseQuery(text)
    except ParseException as error:
        raise QuerySyntaxError(f"error at {error.lineno}:{error.col}: {error.msg} "
                               "(caonto reads every query with rdflib's SPARQL 1.1 parser "
                               "before it runs; what that parser cannot read is refused)"
                               ) from None
    except RecursionError:
        raise QuerySyntaxError("the query is nested too deeply (or has too many triple "
                               "patterns in one block) to be checked; simplify it") from None
    prologues, bodies = _parts(tree, kind)
    names_dataset = False
    prologue = None
    for raw_prologue, body in zip(prologues, bodies, strict=True):
        try:
            prologue = translatePrologue(raw_prologue, base_iri, prefixes, prologue)
        except Exception as error:  # rdflib raises a bare Exception for an unknown prefix
            raise QuerySyntaxError(f"error at 1:1: {error}") from None
        for node in _nodes(body):
            if node.name == "ServiceGraphPattern":
                _allow("SERVICE", _resolve(prologue, node.term), allowed, local=None)
            elif node.name == "Load":
                _allow("LOAD", _resolve(prologue, node.iri), allowed, local=None)
            elif node.name in ("DatasetClause", "UsingClause"):
                names_dataset = True
                keyword = "FROM" if node.name == "DatasetClause" else "USING"
                # CompValue.get answers the key itself for a missing key: test membership
                target = node["default"] if "default" in node else node["named"]
                _allow(keyword, _resolve(prologue, target), allowed, local=local_prefix)
    return Reading(names_dataset)


def check_remote_references(text: str, allowed: frozenset[str] = frozenset(),
                            local_prefix: str = LOCAL_GRAPH_PREFIX, kind: str = "query",
                            base_iri: str | None = None) -> None:
    """Raise QueryRefused or QuerySyntaxError as :func:`read` does; return nothing."""
    read(text, kind, frozenset(allowed), local_prefix, base_iri)


def parse_in_deep_thread(function, *args, **kwargs):
    """Run ``function`` in a thread with a large stack and a raised recursion limit, and
    return (or raise) what it does. For worker processes, which run nothing else: the
    limit is the process's."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as error:  # handed back to the caller's thread
            outcome["error"] = error

    sys.setrecursionlimit(max(sys.getrecursionlimit(), DEEP_RECURSION_LIMIT))
    previous = threading.stack_size(DEEP_STACK_BYTES)
    try:
        thread = threading.Thread(target=run, name="caonto-parse")
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _parts(tree, kind: str) -> tuple[list, list]:
    """The prologues and the operations they precede, in pairs."""
    if kind == "update":
        # CompValue.get answers the key itself for a missing key: test membership. An
        # update may end with a prologue and no operation ("... ;", or only PREFIX lines).
        requests = list(tree["request"]) if "request" in tree else []
        prologues = list(tree["prologue"]) if "prologue" in tree else []
        return prologues[:len(requests)], requests
    return [tree[0]], [tree[1]]


def _nodes(root):
    """Every CompValue under ``root``, iteratively (the tree may be deep)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            yield node
            stack.extend(node.values())
        elif isinstance(node, (ParseResults, list, tuple)):
            stack.extend(node)


def _resolve(prologue, term) -> str | None:
    """The IRI ``term`` names (prefixed or relative IRIs resolved); None for a variable."""
    if term is None or isinstance(term, Variable):
        return None
    try:
        resolved = prologue.absolutize(term)
    except Exception as error:  # an unknown prefix
        raise QuerySyntaxError(f"error at 1:1: {error}") from None
    return str(resolved) if isinstance(resolved, (URIRef, str)) else None


def _allow(keyword: str, target: str | None, allowed: frozenset[str], local: str | None) -> None:
    if target is not None and (target in allowed or (local and target.startswith(local))):
        return
    shown = f"<{target}>" if target is not None else "a variable"
    where = f" (it may name the local graphs under {local})" if local else ""
    raise QueryRefused(f"{keyword} {shown} refused: this endpoint does not read remote or "
                       f"file resources{where}; the operator can allow IRIs with "
                       "CAONTO_SERVICE_ALLOWLIST")
