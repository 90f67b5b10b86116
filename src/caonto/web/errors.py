"""Error responses: plain text or JSON by Accept, a status and a message, never a trace.

Raise :class:`ApiError` anywhere in a view; Werkzeug's HTTP errors (404, 405, 413…) and
unexpected exceptions pass through the same renderer. Unexpected exceptions are logged
with their traceback on the server and answered with a bare 500.
"""

import json
import re

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from caonto.web.negotiation import AcceptTooLarge, parse_accept

_POSITION = re.compile(r"error at (\d+):(\d+)")


class ApiError(Exception):
    """An error for the client: HTTP ``status``, a short ``title`` and a ``message``."""

    def __init__(self, status: int, message: str, title: str | None = None,
                 headers: dict[str, str] | None = None, **details):
        super().__init__(message)
        self.status, self.message = status, message
        self.title = title or _TITLES.get(status, "Error")
        self.headers = headers or {}
        self.details = details


_TITLES = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           406: "Not Acceptable", 413: "Content Too Large", 414: "URI Too Long",
           415: "Unsupported Media Type", 500: "Internal Server Error",
           503: "Service Unavailable"}


def syntax_error(parser_message: str) -> ApiError:
    """A 400 carrying the parser's message with its line and column made explicit."""
    match = _POSITION.search(parser_message)
    if not match:
        return ApiError(400, f"SPARQL syntax error: {parser_message}", "Malformed query")
    line, column = int(match.group(1)), int(match.group(2))
    detail = parser_message[match.end():].lstrip(":- 0123456789").strip()
    return ApiError(400, f"SPARQL syntax error at line {line}, column {column}: {detail}",
                    "Malformed query", line=line, column=column, parser=parser_message)


def wants_json() -> bool:
    """True when the client's best-ranked media range is a JSON type (plain text for an
    Accept header past the limits)."""
    try:
        ranges = parse_accept(request.headers.get("Accept"))
    except AcceptTooLarge:
        return False
    for media, quality in ranges:
        if quality <= 0:
            continue
        if "json" in media:
            return True
        if media.startswith("text/") or media == "*/*":
            return False
    return False


def render(error: ApiError) -> Response:
    if wants_json():
        body = json.dumps({"status": error.status, "error": error.title,
                           "message": error.message, **error.details}, ensure_ascii=False)
        response = Response(body + "\n", error.status, content_type="application/json")
    else:
        response = Response(f"{error.status} {error.title}\n\n{error.message}\n", error.status,
                            content_type="text/plain; charset=utf-8")
    response.headers.update(error.headers)
    return response


def _from_http(error: HTTPException) -> Response:
    headers = {k: v for k, v in error.get_headers() if k.lower() not in ("content-type",)}
    return render(ApiError(error.code or 500, error.description or error.name, error.name,
                           headers))


def _from_unexpected(error: Exception) -> Response:
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return render(ApiError(500, "The server failed to answer this request; "
                                "the error was logged."))


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, render)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(Exception, _from_unexpected)
