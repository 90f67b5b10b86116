"""SPARQL over the built dataset in-process, for the command line (pyoxigraph engine).

The default graph is the union of all named graphs; without inference it is the union of
the asserted graphs (ontology, essay, record), the same rule the endpoint follows.
"""

from pathlib import Path

import pyoxigraph as ox

from caonto.engine.guard import read
from caonto.engine.interface import QuerySyntaxError
from caonto.namespaces import ASSERTED_GRAPHS, CAO, GRAPH_ESSAY, GRAPH_RECORD, PREFIXES
from caonto.rdf_io import load_nquads

# A SELECT answer as (header, rows of display strings), an ASK answer, or Turtle text.
QueryAnswer = tuple[list[str], list[list[str]]] | bool | str


def open_store(nquads: Path) -> ox.Store:
    store = ox.Store()
    load_nquads(store, nquads)
    return store


_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def _display(term: object) -> str:
    """A term as a person reads it: prefixed names for IRIs, lexical form @lang for text."""
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return f"{term.value}@{term.language}" if term.language else term.value
    if isinstance(term, ox.NamedNode):
        for prefix, namespace in _BY_LENGTH:
            local = term.value[len(namespace):]
            if term.value.startswith(namespace) and "/" not in local and "#" not in local:
                return f"{prefix}:{local}"
        return f"<{term.value}>"
    return getattr(term, "value", str(term))


def _query(store: ox.Store, text: str, inference: bool):
    """The union (or the asserted graphs) is the default graph only when the query names
    no dataset of its own: FROM / FROM NAMED are honoured as SPARQL says."""
    options: dict = {"use_default_graph_as_union": True, "prefixes": PREFIXES}
    if not inference:
        options = {"prefixes": PREFIXES, "default_graph": [ox.NamedNode(str(g)) for g in ASSERTED_GRAPHS]}
    try:
        if read(text, prefixes=PREFIXES).names_dataset:
            options = {"prefixes": PREFIXES}
    except QuerySyntaxError:
        pass  # pyoxigraph's own message (with its position) is the one to show
    try:
        return store.query(text, **options)
    except SyntaxError as error:
        raise QuerySyntaxError(str(error)) from None


def run_query(store: ox.Store, text: str, inference: bool = True) -> QueryAnswer:
    """Run ``text``; the project's prefixes are predeclared (a query's own PREFIX wins)."""
    result = _query(store, text, inference)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        header = [v.value for v in result.variables]
        return header, [[_display(row[name]) for name in header] for row in result]
    return ox.serialize(result, format=ox.RdfFormat.TURTLE).decode("utf-8")


def query_results(store: ox.Store, text: str, results_format: ox.QueryResultsFormat,
                  inference: bool = True) -> bytes | str:
    """Run ``text`` and write a SELECT or ASK answer in a W3C results format (full IRIs,
    typed values), or a graph answer as Turtle text."""
    result = _query(store, text, inference)
    if isinstance(result, (ox.QueryBoolean, ox.QuerySolutions)):
        return result.serialize(format=results_format)
    return ox.serialize(result, format=ox.RdfFormat.TURTLE).decode("utf-8")


def count_by_class_and_graph(store: ox.Store) -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
    """Triples per named graph, and instances per class: asserted in a curated graph
    (ontology, essay, record) / with inference and contributions."""
    per_graph = {row["g"].value: int(row["n"].value) for row in store.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")}
    curated = " ".join(f"<{g}>" for g in ASSERTED_GRAPHS)
    rows = store.query(f"""
        SELECT ?class (COUNT(DISTINCT ?a) AS ?asserted) (COUNT(DISTINCT ?x) AS ?total) WHERE {{
          {{ GRAPH ?g {{ ?x a ?class }} }}
          OPTIONAL {{ VALUES ?curated {{ {curated} }} GRAPH ?curated {{ ?x a ?class }}
                     BIND(?x AS ?a) }}
        }} GROUP BY ?class ORDER BY DESC(?total) ?class""")
    per_class = {row["class"].value: (int(row["asserted"].value), int(row["total"].value))
                 for row in rows}
    return per_graph, per_class


def count_record(store: ox.Store) -> dict[str, int]:
    """The record at a glance: its statements, their sources, and the essay's claims it meets."""
    row = next(iter(store.query(f"""
        PREFIX cao: <{CAO}>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT
          (COUNT(DISTINCT ?statement) AS ?statements)
          (COUNT(DISTINCT ?sourced) AS ?sourced)
          (COUNT(DISTINCT ?page) AS ?pages)
          (COUNT(DISTINCT ?deprecated) AS ?deprecated)
          (COUNT(DISTINCT ?discrepancy) AS ?discrepancies)
          (COUNT(DISTINCT ?claim) AS ?claims)
        WHERE {{
          {{ GRAPH <{GRAPH_RECORD}> {{ ?statement a cao:RecordStatement .
              OPTIONAL {{ ?statement dcterms:source ?page ; cao:quote ?quote . BIND (?statement AS ?sourced) }}
              OPTIONAL {{ ?statement cao:deprecated true . BIND (?statement AS ?deprecated) }} }} }}
          UNION {{ GRAPH <{GRAPH_RECORD}> {{ ?discrepancy a cao:Discrepancy . }} }}
          UNION {{ GRAPH <{GRAPH_ESSAY}> {{ ?claim cao:statedIn ?sentence . }}
                  FILTER EXISTS {{ GRAPH <{GRAPH_RECORD}> {{
                    {{ ?s cao:statementSubject ?claim . }} UNION {{ ?d cao:essayClaim ?claim . }} }} }} }}
        }}""")))
    names = ("statements", "sourced", "pages", "deprecated", "discrepancies", "claims")
    return {name: int(row[name].value) for name in names}
