"""The pages' view of the graph: SELECTs through the app's engine, and the labels and
search index built once per dataset version.

Pages read the graph through the query engine (SPARQL with its timeout), so a failing
engine shows as a 503 page with the engine's message, never a stack trace.
"""

from dataclasses import dataclass

from flask import abort

from caonto.engine.interface import QueryError
from caonto.formats import Format
from caonto.web.labels import LabelTable
from caonto.web.search import SearchIndex
from caonto.web.state import state


def run_select(text: str) -> list[dict]:
    """Rows of a SELECT as dicts; engine errors become a 503 page with their message."""
    try:
        names, rows = state().engine.solutions(text)
    except QueryError as error:
        abort(503, f"the graph could not be read: {error}")
    return [dict(zip(names, row, strict=False)) for row in rows]


def graph_document(text: str, chosen: Format) -> bytes:
    """A CONSTRUCT's answer in ``chosen``; engine errors become a 503 page."""
    try:
        return state().engine.query(text, solutions_format=None, graph_format=chosen,
                                    internal=True).body
    except QueryError as error:
        abort(503, f"the graph could not be read: {error}")


@dataclass
class Derived:
    version: int
    labels: LabelTable
    index: SearchIndex


def derived() -> Derived:
    """Labels and the search index, built once per dataset version and kept with the
    app's state; the engine's ``data_version`` grows with every write."""
    served = state()
    version = served.engine.data_version
    cached = served.cache.get("pages")
    if cached is None or cached.version != version:
        labels = LabelTable.from_select(run_select)
        cached = Derived(version, labels, SearchIndex.from_labels(labels))
        served.cache["pages"] = cached
    return cached
