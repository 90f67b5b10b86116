"""What every query engine offers and how it fails.

Two engines implement :class:`Engine`: the local pool of worker processes
(``caonto.engine.pool``) and a remote SPARQL 1.1 store (``caonto.engine.remote``). The
web layer and the write path see only this interface.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from caonto.formats import Format


class QueryError(Exception):
    """Base class; ``str()`` is a message fit for the client."""


class QuerySyntaxError(QueryError):
    """The parser rejected the text; the message carries the parser's line:column."""


class QueryRefused(QueryError):
    """The query names a remote or file resource (SERVICE, LOAD, FROM) not allow-listed,
    or cannot be read by the check that decides that."""


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
    """The engine failed while evaluating (e.g. an I/O error) or its worker died."""


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
    format: Format
    form: str  # select, ask, graph
    truncated: bool
    count: int  # rows (SELECT), triples (graph) or 1 (ASK)


@dataclass(frozen=True)
class GraphDelta:
    """One write's change to named graphs, applied as one step: per graph IRI, the
    N-Triples ``removed`` and then ``added``; the graphs in ``dropped`` go whole first.
    Blank node labels are the served store's own.

    ``whole`` returns, as they are after this change, every named graph that writes
    through the engine have ever changed (IRI → N-Triples; a graph it leaves out is
    dropped): a query worker that starts afresh, or that fell behind the entries the
    engine keeps, is brought up to date with it."""

    added: Mapping[str, bytes] = field(default_factory=dict)
    removed: Mapping[str, bytes] = field(default_factory=dict)
    dropped: frozenset[str] = frozenset()
    whole: Callable[[], Mapping[str, bytes]] = dict

    @property
    def graphs(self) -> set[str]:
        """The graphs it changes."""
        return {*self.added, *self.removed, *self.dropped}


class Engine(Protocol):
    """A query engine over the served dataset."""

    max_rows: int
    allowlist: frozenset[str]
    triples: int  # how many the dataset held when the engine opened
    nquads: Path | None  # the file it serves, when it serves one

    @property
    def data_version(self) -> int:
        """Grows with every applied write: caches of derived data key on it."""

    def query(self, text: str, choice: DatasetChoice = DatasetChoice(),
              solutions_format: Format | None = None, graph_format: Format | None = None,
              timeout: float | None = None, base_iri: str | None = None,
              internal: bool = False) -> Answer:
        """Evaluate and serialise at most ``max_rows`` rows (or triples), capped in bytes
        too. ``base_iri`` resolves relative IRIs in the query; ``internal`` marks the
        server's own reads (pages), which may be served by workers kept for them.
        ``timeout`` must be None or a positive finite number (ValueError otherwise)."""

    def solutions(self, text: str, choice: DatasetChoice = DatasetChoice(),
                  timeout: float | None = None) -> tuple[list[str], list[tuple]]:
        """A SELECT for Python callers (pages): variable names and every row, never
        silently cut (an answer too large to carry fails instead)."""

    def update(self, text: str, timeout: float | None = None) -> None:
        """Apply a SPARQL Update."""

    def replace_graphs(self, graphs: dict[str, bytes | None]) -> None:
        """Replace whole named graphs (IRI -> N-Triples bytes; None drops one)."""

    def change_graphs(self, delta: GraphDelta) -> None:
        """Apply one write's ``delta`` to the named graphs."""

    def worker_pids(self) -> list[int]:
        """The engine's worker processes (none for a remote store)."""

    def close(self) -> None:
        """Stop the workers (or release the connection)."""
