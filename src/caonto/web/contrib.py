"""Writes over HTTP: SPARQL 1.1 Update at ``/update``, the Graph Store Protocol at ``/store``.

Only graphs named ``https://w3id.org/caonto/graph/contrib/<name>`` can be written; the
ontology, essay, inferred and contrib-log graphs and the default graph (the read-only
union) answer 403. Writes need ``Authorization: Bearer <token>`` (``caonto.contrib.auth``);
reads (GET/HEAD on ``/store``) are open. Every write goes through the gateway
(``caonto.contrib.gateway``): validated first, 422 with the SHACL report when it fails,
2xx only once it is on disk and visible to ``/sparql``. ``?dry-run=true`` (or the header
``X-Caonto-Dry-Run: true``) validates and answers without storing.

Settings: CAONTO_TOKENS, CAONTO_TOKENS_FILE, CAONTO_CONTRIB_DIR. Body size is bounded
by CAONTO_MAX_REQUEST_BYTES (413). Request bodies are parsed, and updates run, in a
sandboxed process forked for the job (``caonto.contrib.isolated``) bounded by the query
timeout and the worker memory cap; a crash there is a 400, too much memory 413, a
timeout 503.
Reads (``GET /store``) go through the query engine, with the same row cap, byte cap and
timeout as ``/sparql``.
"""

import json
import threading
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request
from rdflib import Graph

from caonto import formats as fmt
from caonto.contrib import isolated
from caonto.contrib.auth import AuthError, Tokens, Writer
from caonto.contrib.convert import fresh_blank_nodes, from_oxigraph, oxigraph_triples, to_ntriples
from caonto.contrib.gateway import (
    Gateway,
    Outcome,
    Publication,
    Rejected,
    Snapshot,
    WriteRefused,
    asserted_from_nquads,
)
from caonto.contrib.storage import (
    GRAPH_CONTRIB_LOG,
    GraphStorage,
    contributed_graph_name,
    log_graph,
)
from caonto.contrib.update import (
    UpdateError,
    with_protocol_dataset,
)
from caonto.engine.interface import (
    EngineBusy,
    EvaluationError,
    GraphDelta,
    QueryError,
    QueryTimeout,
)
from caonto.namespaces import (
    CONTRIB_GRAPH_PREFIX,
    GRAPH_INFERRED,
    PREFIXES,
    bind_prefixes,
)
from caonto.resources import contrib_dir
from caonto.web.errors import ApiError, wants_json
from caonto.web.iris import iri_ref, is_iri
from caonto.web.links import site_root
from caonto.web.negotiation import negotiate
from caonto.web.state import EndpointState, state

blueprint = Blueprint("contrib", __name__)
DRY_RUN_HEADER = "X-Caonto-Dry-Run"
_TRUE = ("1", "true", "yes", "on")


@dataclass
class ContribState:
    gateway: Gateway
    tokens: Tokens
    nquads: Path  # the built dataset the served store starts from
    jobs: isolated.Jobs  # parses bodies and runs updates, sandboxed

    def close(self) -> None:
        self.jobs.close()
        self.gateway.storage.close()


@blueprint.record_once
def _start(setup_state) -> None:
    """Open the contributions directory and publish what it holds, as the app starts."""
    app = setup_state.app
    served: EndpointState = app.extensions["caonto"]
    engine, settings = served.engine, served.settings
    nquads = Path(served.dataset.nquads)
    tokens = served.tokens
    root = contrib_dir(settings)
    # Without tokens nothing can be written: read what is there, take no lock.
    storage = GraphStorage(root, writable=tokens.enabled)

    def publish(publication: Publication) -> None:
        if publication.edits is None:  # at start: the stored graphs, whole
            engine.replace_graphs({iri: to_ntriples(g) if g is not None and len(g) else None
                                   for iri, g in publication.items()})
            return
        edits = publication.edits
        engine.change_graphs(GraphDelta(
            added={iri: to_ntriples(e.added) for iri, e in edits.items() if e.added},
            removed={iri: to_ntriples(e.removed) for iri, e in edits.items() if e.removed},
            dropped=frozenset(iri for iri, e in edits.items() if e.dropped),
            whole=lambda: {iri: to_ntriples(g) for iri, g in publication.current().items()
                           if len(g)}))

    gateway = Gateway(storage, lambda: asserted_from_nquads(nquads), publish)
    gateway.start()
    jobs = isolated.Jobs(isolated.Limits(settings.query_timeout, settings.worker_memory_mb,
                                         settings.sandbox == "on"))
    if tokens.enabled:
        jobs.start()  # warm before the first write arrives
        threading.Thread(target=_prepare_checks, args=(gateway, app.logger), daemon=True,
                         name="caonto-prepare-checks").start()
    app.extensions["caonto.contrib"] = ContribState(gateway, tokens, nquads, jobs)
    app.logger.info("contributions: %s; writes %s", root,
                    f"on for {len(tokens.entries)} token(s)" if tokens.enabled
                    else "off (no CAONTO_TOKENS / CAONTO_TOKENS_FILE)")


def _prepare_checks(gateway: Gateway, logger) -> None:
    try:
        gateway.prepare_checks()
    except Exception:  # the first write builds it then, and reports what fails
        logger.exception("preparing the contribution checks failed")


def _state() -> ContribState:
    return current_app.extensions["caonto.contrib"]


# ---- shared request handling ------------------------------------------------------------

def _writer() -> Writer:
    try:
        return _state().tokens.writer(request.headers.get("Authorization"))
    except AuthError as error:
        headers = {"WWW-Authenticate": error.challenge} if error.challenge else {}
        raise ApiError(error.status, error.message,
                       "Unauthorized" if error.status == 401 else "Forbidden", headers) from None


def _dry_run() -> bool:
    return (request.args.get("dry-run", "").lower() in _TRUE
            or request.headers.get(DRY_RUN_HEADER, "").lower() in _TRUE)


def _submit(plan, writer: Writer, created_status: int = 201) -> Response:
    """Run ``plan`` through the gateway: ``created_status`` when it created a graph
    (the Graph Store Protocol's 201; SPARQL Update answers 200), else 200."""
    try:
        outcome = _state().gateway.submit(plan, writer.iri, dry_run=_dry_run(),
                                          maintainer=writer.maintainer)
    except WriteRefused as error:
        raise ApiError(error.status, error.message,
                       {403: "Forbidden", 404: "Not Found"}.get(error.status)) from None
    except Rejected as rejected:
        return _rejection(rejected)
    except OSError as error:
        current_app.logger.error("contribution not stored: %s", error)
        raise ApiError(503, "the write could not be stored on disk "
                            f"({error.strerror or 'input/output error'}), so it was not "
                            "accepted; try again later", "Service Unavailable") from None
    return _success(outcome, created_status if outcome.created and not outcome.dry_run
                    else 200)


def _success(outcome: Outcome, status: int) -> Response:
    summary = outcome.summary()
    if wants_json():
        return Response(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", status,
                        content_type="application/json")
    verb = "would change" if outcome.dry_run else "changed"
    lines = [("Dry run: valid, nothing stored." if outcome.dry_run else "Stored.")
             if outcome.changed else "No contributed graph changed."]
    for entry in summary["graphs"]:
        state = f"{entry['added']} triples added, {entry['removed']} removed" + (
            "; the graph is deleted" if entry["deleted"] else "")
        lines.append(f"  {verb} <{entry['graph']}>: {state}")
    if outcome.changed:
        lines.append(f"  inferred graph: {outcome.inferred_triples} triples")
    if outcome.leans_on:
        lines.append("  It passes thanks to other contributors' graphs; if they change, "
                     "it may stop passing:")
        lines += [f"    <{d.graph}>{_by(d)} gives {d.triple}  (needed by {d.focus}: "
                  f"{d.message})" for d in outcome.leans_on]
    return Response("\n".join(lines) + "\n", status, content_type="text/plain; charset=utf-8")


def _by(dependency) -> str:
    return f" (by <{dependency.creator}>)" if dependency.creator else ""


def _rejection(rejected: Rejected) -> Response:
    """422 with the report: JSON, Turtle (an sh:ValidationReport) or readable text, each
    with the same findings (``ValidationReport``: violations first, warnings apart)."""
    result = rejected.result
    report = replace(result.report, inconsistencies=result.inconsistencies)
    if rejected.dependents:
        message = ("The contribution was not stored: other graphs depend on triples it "
                   "removes. " + " ".join(
                       f"<{d.graph}>{_by(d)} needs {d.triple} ({d.focus}: {d.message})"
                       for d in rejected.dependents))
    else:
        message = "The contribution was not stored: the dataset with it " + (
            "is inconsistent with the ontology." if result.inconsistencies
            else "does not conform to the shapes.")
    accept = request.headers.get("Accept", "")
    if wants_json():
        body = {"status": 422, "error": "Unprocessable Content", "message": message,
                "dependents": [d.to_json() for d in rejected.dependents],
                **json.loads(report.to_json())}
        return Response(json.dumps(body, ensure_ascii=False, indent=2) + "\n", 422,
                        content_type="application/json")
    if "text/turtle" in accept:
        return Response(report.to_turtle(), 422, content_type="text/turtle; charset=utf-8")
    return Response(f"{message}\n\n{report.to_text()}\n", 422,
                    content_type="text/plain; charset=utf-8")


def _protected_message(iri: str) -> str:
    return (f"<{iri}> is read-only; contributions go to graphs named "
            f"{CONTRIB_GRAPH_PREFIX}<name>")


def _writable_graph(iri: str) -> str:
    """``iri`` if it names a contributed graph; 403 for any other graph, 400 for a bad name."""
    if not iri.startswith(CONTRIB_GRAPH_PREFIX):
        raise ApiError(403, _protected_message(iri), "Forbidden")
    try:
        contributed_graph_name(iri)
    except ValueError as error:
        raise ApiError(400, str(error)) from None
    return iri


# ---- SPARQL 1.1 Update ------------------------------------------------------------------

def _update_text() -> str:
    """The update, with the protocol's using-graph-uri / using-named-graph-uri applied:
    from the query string for a direct POST, from the form for a form POST."""
    content_type = (request.mimetype or "").lower()
    if content_type == "application/sparql-update":
        try:
            text = request.get_data().decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "the update is not valid UTF-8") from None
        params = request.args
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values = request.form.getlist("update")
        if len(values) != 1:
            raise ApiError(400, f"give exactly one 'update' parameter (got {len(values)})")
        text, params = values[0], request.form
    else:
        raise ApiError(415, "send the update as application/sparql-update, or as the form "
                            "field 'update' (application/x-www-form-urlencoded)")
    try:
        return with_protocol_dataset(text, params.getlist("using-graph-uri"),
                                     params.getlist("using-named-graph-uri"))
    except UpdateError as error:
        raise ApiError(error.status, error.message) from None


@blueprint.post("/update")
def update() -> Response:
    writer = _writer()
    text = _update_text()
    nquads = _state().nquads

    def plan(snapshot: Snapshot) -> dict:
        def answer(request: tuple):
            if request[0] == "graphs":  # a data-only update: the graphs it names
                return {iri: to_ntriples(snapshot.graphs[iri]) for iri in request[1]
                        if iri in snapshot.graphs}
            graphs = {iri: to_ntriples(g) for iri, g in snapshot.graphs.items()}
            graphs[str(GRAPH_INFERRED)] = to_ntriples(snapshot.inferred)
            graphs[str(GRAPH_CONTRIB_LOG)] = to_ntriples(log_graph(snapshot.meta))
            return str(nquads), graphs

        reply = _isolated("update", (text,), answer)
        if reply[0] == "refused":
            raise WriteRefused(reply[1], reply[2])
        return {iri: _from_ntriples(data) if data else None for iri, data in reply[1].items()}

    return _submit(plan, writer, created_status=200)


def _isolated(job: str, args: tuple, answer=None):
    """Run a job of ``caonto.contrib.isolated``; its failures become HTTP errors."""
    try:
        return _state().jobs.run(job, args, answer)
    except isolated.JobFailed as failure:
        raise ApiError(failure.status, failure.message,
                       headers={"Retry-After": "5"} if failure.status == 503 else None) \
            from None


def _from_ntriples(data: bytes) -> Graph:
    """N-Triples written by the sandboxed job (flat: no nesting to recurse into)."""
    return from_oxigraph(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))


# ---- Graph Store HTTP Protocol ----------------------------------------------------------

def _target() -> str | None:
    """The ``graph`` IRI, or None for ``default``; 400 when neither or both are given."""
    graphs = request.args.getlist("graph")
    has_default = "default" in request.args
    if has_default and graphs or len(graphs) > 1:
        raise ApiError(400, "give either one 'graph' parameter or 'default', not both")
    if graphs:
        return graphs[0]
    if has_default:
        return None
    raise ApiError(400, "name the graph: ?graph=<IRI> or ?default")


@blueprint.get("/store")
def store_get() -> Response:
    """A graph (or the default graph, the union) read through the query engine: the
    row cap, byte cap and timeout of /sparql apply, and a capped answer says so."""
    iri = _target()
    if iri is not None and not is_iri(iri):
        raise ApiError(400, f"graph must be an absolute IRI, not {iri[:80]!r}")
    chosen = fmt.lookup(request.args["format"], fmt.GRAPH) if "format" in request.args \
        else negotiate(request.headers.get("Accept"), fmt.GRAPH)
    if chosen is None:
        raise ApiError(406, "no acceptable RDF format; try text/turtle, application/n-triples, "
                            "application/ld+json, application/rdf+xml, TriG or N-Quads")
    stored = _state().gateway.snapshot.graphs
    if iri is not None and iri in stored:  # as sent: the engine would show values normalised
        return _stored_graph_response(stored[iri], iri, chosen)
    engine = state().engine
    try:
        if iri is not None:
            exists = engine.query(f"ASK {{ GRAPH {iri_ref(iri)} {{ ?s ?p ?o }} }}",
                                  solutions_format=fmt.BY_NAME["json"])
            if b"true" not in exists.body:
                raise ApiError(404, f"there is no graph <{iri}>")
        pattern = f"GRAPH {iri_ref(iri)} {{ ?s ?p ?o }}" if iri else "?s ?p ?o"
        answer = engine.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}",
                              solutions_format=None, graph_format=fmt.BY_NAME["ntriples"])
    except (QueryTimeout, EngineBusy) as error:
        raise ApiError(503, str(error), headers={"Retry-After": "5"}) from None
    except (EvaluationError, QueryError) as error:
        raise ApiError(500, f"the graph could not be read: {error}") from None
    triples = list(ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES))
    body = fmt.write_triples(triples, chosen, graph=iri, prefixes=PREFIXES)
    response = Response(body, 200, content_type=chosen.content_type)
    response.headers["Vary"] = "Accept"
    response.headers["X-Caonto-Rows"] = str(answer.count)
    if answer.truncated:
        response.headers["X-Caonto-Truncated"] = "true"
        response.headers["Warning"] = (f'199 caonto "graph truncated to its first '
                                       f'{answer.count} triples"')
    return response


def _stored_graph_response(graph: Graph, iri: str, chosen: fmt.Format) -> Response:
    """A contributed graph with every literal as it was sent, under the same row and byte
    caps as the engine's answers (a capped graph says so)."""
    settings = state().settings
    kept, size, truncated = [], 0, False
    for triple in oxigraph_triples(graph):
        size += len(str(triple))
        if len(kept) >= settings.max_rows or size > settings.max_answer_bytes:
            truncated = True
            break
        kept.append(triple)
    response = Response(fmt.write_triples(kept, chosen, graph=iri, prefixes=PREFIXES), 200,
                        content_type=chosen.content_type)
    response.headers["Vary"] = "Accept"
    response.headers["X-Caonto-Rows"] = str(len(kept))
    if truncated:
        response.headers["X-Caonto-Truncated"] = "true"
        response.headers["Warning"] = (f'199 caonto "graph truncated to its first '
                                       f'{len(kept)} triples"')
    return response


def _body_graph(graph_iri: str) -> Graph:
    """The request body as one graph, with fresh blank nodes. 415 for an unknown media
    type, 400 for bad syntax (with its position), for quads in named graphs, or for a
    body that crashes the parser; the parse runs in a sandboxed process."""
    rdf_format = fmt.for_media_type(request.mimetype or "")
    if rdf_format is None:
        known = ", ".join(f.media_type for f in fmt.of_kind(fmt.GRAPH))
        raise ApiError(415, f"unsupported media type {request.mimetype or '(none)'!r}; "
                            f"send one of: {known}")
    data = request.get_data()  # 413 past CAONTO_MAX_REQUEST_BYTES
    reply = _isolated("parse", (data, rdf_format.name, graph_iri))
    if reply[0] == "quads":
        raise ApiError(400, f"the body puts triples in the named graph {reply[1]}; send the "
                            "triples of one graph")
    if reply[0] == "rdf":
        _, message, line, column = reply
        where = {"line": line, "column": column} if line else {}
        position = f"request body:{line}:{column or 1}: " if line else ""
        hint = ("; remote JSON-LD contexts are never fetched: put the @context inline"
                if rdf_format.name == "jsonld" and "context" in message.lower() else "")
        raise ApiError(400, f"cannot read the body as {rdf_format.media_type}: "
                            f"{position}{message}{hint}", "Malformed RDF", **where)
    graph = bind_prefixes(Graph())
    graph += _from_ntriples(reply[1])
    return fresh_blank_nodes(graph)


def _write_target() -> str:
    """The graph a PUT/POST/DELETE names; the default graph is the read-only union."""
    iri = _target()
    if iri is None:
        raise ApiError(403, "the default graph is the read-only union of all graphs; "
                            f"write to ?graph={CONTRIB_GRAPH_PREFIX}<name>", "Forbidden")
    return _writable_graph(iri)


@blueprint.put("/store")
def store_put() -> Response:
    writer = _writer()
    iri = _write_target()
    content = _body_graph(iri)
    return _submit(lambda snapshot: {iri: content}, writer)


@blueprint.post("/store")
def store_post() -> Response:
    writer = _writer()
    if not request.args:  # POST to the store itself: a new graph, named by the server
        iri = CONTRIB_GRAPH_PREFIX + uuid.uuid4().hex
        content = _body_graph(iri)
        response = _submit(lambda snapshot: {iri: content}, writer)
        if response.status_code == 201:
            response.headers["Location"] = f"{site_root()}store?graph={iri}"
        return response
    iri = _write_target()
    content = _body_graph(iri)

    def merge(snapshot: Snapshot) -> dict:
        merged = bind_prefixes(Graph())
        merged += snapshot.graphs.get(iri, Graph())
        merged += content
        return {iri: merged}

    return _submit(merge, writer)


@blueprint.delete("/store")
def store_delete() -> Response:
    writer = _writer()
    iri = _write_target()

    def drop(snapshot: Snapshot) -> dict:
        if iri not in snapshot.graphs:
            raise WriteRefused(404, f"there is no contributed graph <{iri}>")
        return {iri: None}

    return _submit(drop, writer)
