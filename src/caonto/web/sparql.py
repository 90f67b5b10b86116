"""The SPARQL 1.1 Protocol, query side, at ``/sparql``.

GET ``?query=``, POST form (``application/x-www-form-urlencoded``) and POST direct
(``application/sparql-query``); ``default-graph-uri`` / ``named-graph-uri``; results by
Accept (q-values) or ``format=``; ``inference=false`` hides the inferred graph;
``timeout=`` may lower (never raise) the server's limit. GET without a query answers the
service description. Updates belong to ``/update`` and are refused here, saying so.
caonto's prefixes are predeclared (``caonto.engine.prefixes``); a query using any other
prefix without declaring it is told which, and the PREFIX line to add.

Every parameter is checked before the engine sees it: graph IRIs must be IRIs, the
timeout a positive finite number. Relative IRIs in a query resolve against this
service's IRI. Each client address runs at most CAONTO_CLIENT_QUERIES queries at once
(``caonto.web.fairness``).
"""

import math
import urllib.parse

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
from caonto.engine.prefixes import missing_prefix_message, sparql_tokens, undeclared
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
UPDATE_HERE = ("SPARQL Update is not accepted at /sparql, which only answers queries; POST "
               f"it to /update (as {UPDATE_TYPE}, or the form field 'update') with a token")
_UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE",
                    "ADD", "WITH"}


def _is_update(text: str) -> bool:
    """Whether ``text`` reads as a SPARQL Update: its first keyword after the prologue."""
    tokens = sparql_tokens(text)
    i = 0
    while i < len(tokens) and tokens[i][1].upper() in ("PREFIX", "BASE"):
        i += 3 if tokens[i][1].upper() == "PREFIX" else 2
    return i < len(tokens) and tokens[i][0] == "word" and tokens[i][1].upper() in _UPDATE_KEYWORDS


def _syntax_error(text: str, parser_message: str) -> ApiError:
    """The parser's error, or what most likely caused it: a prefix nobody declared, or an
    update sent to the query endpoint."""
    missing = undeclared(text)
    if missing:
        return ApiError(400, missing_prefix_message(missing), "Malformed query",
                        prefixes=missing, parser=parser_message)
    if _is_update(text):
        return ApiError(400, UPDATE_HERE, "Malformed query", parser=parser_message)
    return syntax_error(parser_message)


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ApiError(400, f"give exactly one '{name}' parameter (got {len(values)})")
    return values[0] if values else None


def _require_utf8(encoded: bytes, where: str) -> None:
    """400 unless every percent-decoded parameter is UTF-8 (Werkzeug would quietly put
    U+FFFD in place of the bad bytes, and the query would run on altered text).

    The whole string is decoded at once: the separators (``&``, ``=``, ``+``) are ASCII,
    which never continues a UTF-8 sequence, so the whole is UTF-8 exactly when every
    parameter is."""
    if encoded.isascii() and b"%" not in encoded:
        return
    try:
        urllib.parse.unquote_to_bytes(encoded).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(400, f"the {where} is not UTF-8 once percent-decoded: {error}") from None


def _read_request() -> tuple[str | None, object]:
    """The query text (None when absent) and the multi-dict holding the other parameters."""
    limit = state().settings.max_request_bytes
    if len(request.query_string) > limit:
        raise ApiError(414, f"the query string is longer than {limit} bytes; POST the query")
    _require_utf8(request.query_string, "query string")
    if request.method in ("GET", "HEAD"):
        params = request.args
        if "update" in params:
            raise ApiError(400, UPDATE_HERE)
        return _single(params.getlist("query"), "query"), params
    mimetype = request.mimetype
    if mimetype == FORM_TYPE:
        _require_utf8(request.get_data(), "form body")  # 413 past MAX_CONTENT_LENGTH
        params = request.form
        if "update" in params:
            raise ApiError(400, UPDATE_HERE)
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
    if mimetype == UPDATE_TYPE:
        raise ApiError(415, UPDATE_HERE, headers={"Accept-Post": f"{QUERY_TYPE}, {FORM_TYPE}"})
    raise ApiError(415, f"POST a query as {QUERY_TYPE} or {FORM_TYPE}, "
                        f"not {mimetype or 'no Content-Type'}",
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
        raise _syntax_error(text, str(error)) from None
    except QueryRefused as error:
        raise ApiError(400, str(error), "Refused") from None
    except NotAcceptable as error:
        raise _not_acceptable(error.form) from None
    except QueryTimeout as error:  # the same query would overrun again: no Retry-After
        raise ApiError(503, str(error)) from None
    except EngineBusy as error:  # every worker busy: a retry soon may well succeed
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
