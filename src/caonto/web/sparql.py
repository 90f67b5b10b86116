"""The SPARQL 1.1 Protocol, query side, at ``/sparql``.

GET ``?query=``, POST form (``application/x-www-form-urlencoded``) and POST direct
(``application/sparql-query``); ``default-graph-uri`` / ``named-graph-uri``; results by
Accept (q-values) or ``format=``; ``inference=false`` hides the inferred graph;
``timeout=`` may lower (never raise) the server's limit. GET without a query answers the
service description. Updates belong to ``/update`` and are refused here.

Every parameter is checked before the engine sees it: graph IRIs must be IRIs, the
timeout a positive finite number. Relative IRIs in a query resolve against this
service's IRI. Each client address runs at most CAONTO_CLIENT_QUERIES queries at once
(``caonto.web.fairness``).
"""

import math

from flask import Blueprint, Response, request

from caonto import formats as fmt
from caonto.engine.interface import (
    DatasetChoice,
    EngineBusy,
    EvaluationError,
    NotAcceptable,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
)
from caonto.web.discovery import service_description_response
from caonto.web.errors import ApiError, syntax_error
from caonto.web.fairness import ClientBusy
from caonto.web.iris import is_iri
from caonto.web.links import site_root
from caonto.web.negotiation import negotiate
from caonto.web.state import state

blueprint = Blueprint("sparql", __name__)

QUERY_TYPE, FORM_TYPE, UPDATE_TYPE = ("application/sparql-query",
                                      "application/x-www-form-urlencoded",
                                      "application/sparql-update")


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ApiError(400, f"give exactly one '{name}' parameter (got {len(values)})")
    return values[0] if values else None


def _read_request() -> tuple[str | None, object]:
    """The query text (None when absent) and the multi-dict holding the other parameters."""
    limit = state().settings.max_request_bytes
    if len(request.query_string) > limit:
        raise ApiError(414, f"the query string is longer than {limit} bytes; POST the query")
    if request.method in ("GET", "HEAD"):
        params = request.args
        if "update" in params:
            raise ApiError(400, "SPARQL Update is not accepted at /sparql; POST it to /update")
        return _single(params.getlist("query"), "query"), params
    mimetype = request.mimetype
    if mimetype == FORM_TYPE:
        params = request.form  # Werkzeug raises 413 past MAX_CONTENT_LENGTH
        if "update" in params:
            raise ApiError(400, "SPARQL Update is not accepted at /sparql; POST it to /update")
        text = _single(params.getlist("query"), "query")
        if text is None:
            raise ApiError(400, "the form has no 'query' field")
        return text, params
    if mimetype == QUERY_TYPE:
        if "query" in request.args:
            raise ApiError(400, "a direct POST carries the query in its body, not in ?query=")
        try:
            return request.get_data(cache=False).decode("utf-8"), request.args
        except UnicodeDecodeError as error:
            raise ApiError(400, f"the query body is not UTF-8: {error}") from None
    hint = " (updates go to /update)" if mimetype == UPDATE_TYPE else ""
    raise ApiError(415, f"POST a query as {QUERY_TYPE} or {FORM_TYPE}, "
                        f"not {mimetype or 'no Content-Type'}{hint}",
                   headers={"Accept-Post": f"{QUERY_TYPE}, {FORM_TYPE}"})


def _choice(params) -> DatasetChoice:
    raw = params.get("inference", "true").strip().lower()
    if raw not in ("true", "false", "1", "0", "yes", "no"):
        raise ApiError(400, "inference must be true or false")
    defaults = params.getlist("default-graph-uri")
    named = params.getlist("named-graph-uri")
    for name, values in (("default-graph-uri", defaults), ("named-graph-uri", named)):
        for value in values:
            if not is_iri(value):
                raise ApiError(400, f"{name} must be an absolute IRI, not {value[:80]!r}")
    if defaults or named:  # the protocol's dataset replaces the served one entirely
        return DatasetChoice(tuple(defaults), tuple(named), raw in ("true", "1", "yes"))
    return DatasetChoice(inference=raw in ("true", "1", "yes"))


def _formats(params) -> tuple[fmt.Format | None, fmt.Format | None]:
    explicit = params.get("format")
    if explicit:
        solutions, graph = fmt.lookup(explicit, fmt.SOLUTIONS), fmt.lookup(explicit, fmt.GRAPH)
        if not solutions and not graph:
            known = ", ".join(f.name for f in fmt.FORMATS)
            raise ApiError(400, f"unknown format '{explicit}'; use one of {known} "
                                "or a media type")
        return solutions, graph
    accept = request.headers.get("Accept")
    return negotiate(accept, fmt.SOLUTIONS), negotiate(accept, fmt.GRAPH)


def _timeout(params) -> float | None:
    raw = params.get("timeout")
    if raw is None:
        return None
    try:
        value = float(raw) if len(raw) <= 32 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ApiError(400, f"timeout must be a positive number of seconds, not {raw[:32]!r}")
    return value


def _not_acceptable(form: str) -> ApiError:
    kind = fmt.GRAPH if form == "construct" else fmt.SOLUTIONS
    offered = ", ".join(f.media_type for f in fmt.of_kind(kind))
    return ApiError(406, f"a {form.upper()} result can be sent as {offered}")


@blueprint.route("/sparql", methods=["GET", "POST"], endpoint="query")
def query() -> Response:
    text, params = _read_request()
    if text is None:
        return service_description_response()
    if not text.strip():
        raise ApiError(400, "the query is empty")
    solutions_format, graph_format = _formats(params)
    if solutions_format is None and graph_format is None:
        raise _not_acceptable("select")
    choice, timeout = _choice(params), _timeout(params)
    served = state()
    try:
        with served.client_slots.slot(request.remote_addr or "unknown"):
            answer = served.engine.query(text, choice, solutions_format, graph_format,
                                         timeout, base_iri=site_root() + "sparql")
    except ClientBusy as error:
        raise ApiError(503, str(error), headers={"Retry-After": "5"}) from None
    except QuerySyntaxError as error:
        raise syntax_error(str(error)) from None
    except QueryRefused as error:
        raise ApiError(400, str(error), "Refused") from None
    except NotAcceptable as error:
        raise _not_acceptable(error.form) from None
    except (QueryTimeout, EngineBusy) as error:
        raise ApiError(503, str(error), headers={"Retry-After": "5"}) from None
    except EvaluationError as error:
        raise ApiError(500, f"query evaluation failed: {error}") from None
    response = Response(answer.body, 200, content_type=answer.format.content_type)
    response.headers["Vary"] = "Accept"
    response.headers["X-Caonto-Rows"] = str(answer.count)
    if answer.truncated:
        response.headers["X-Caonto-Truncated"] = "true"
        response.headers["Warning"] = truncation_warning(answer)
    return response


def truncation_warning(answer) -> str:
    """The Warning header of a capped answer: how many rows were kept, and the caps."""
    settings = state().settings
    unit = "triples" if answer.form == "graph" else "rows"
    return (f'199 caonto "result truncated to the first {answer.count} {unit} (caps: '
            f'{settings.max_rows} {unit}, {settings.max_answer_bytes} bytes)"')
