"""The query-level refusal of remote and file resources: SERVICE, LOAD and FROM; and
the query form (SELECT, ASK, CONSTRUCT, DESCRIBE) read from the same lexical scan.

pyoxigraph itself fetches ``SERVICE`` and ``LOAD`` IRIs over HTTP, so a query or update
that names one is refused before any engine sees it, unless the operator allow-listed
the IRI. ``FROM``/``FROM NAMED`` may name the local graphs.
"""

import functools
import re

from caonto.engine.interface import QueryRefused
from caonto.namespaces import CAOG, PREFIXES

LOCAL_GRAPH_PREFIX = str(CAOG)

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKEN = re.compile(r'''
    (?P<comment>\#[^\n\r]*)
  | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
               |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<pname>[^\W\d_]?[\w.-]*:[\w.:%\\-]*)
  | (?P<word>[^\W\d][\w]*)
  | (?P<other>\S)
''', re.VERBOSE | re.UNICODE)


def _tokens(text: str) -> list[tuple[str, str]]:
    # SPARQL 1.1 §19.2: codepoint escapes are replaced before parsing, so \u0053ERVICE is
    # SERVICE; an unterminated string falls through as code, which only over-refuses.
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    out = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind not in ("comment", "string"):
            out.append((kind, match.group()))
    return out


def check_remote_references(text: str, allowed: frozenset[str] = frozenset(),
                            local_prefix: str = LOCAL_GRAPH_PREFIX) -> None:
    """Raise QueryRefused when ``text`` (a query or an update) would read a non-local IRI.

    SERVICE and LOAD need an IRI in ``allowed`` (a variable is never allowed); FROM and
    FROM NAMED need a graph under ``local_prefix`` or one in ``allowed``. The scan is
    lexical and errs on the side of refusing.
    """
    refusal = _refusal(text, frozenset(allowed), local_prefix)
    if refusal:
        raise QueryRefused(refusal)


_FORMS = ("select", "ask", "construct", "describe")


@functools.lru_cache(maxsize=1024)
def query_form(text: str) -> str | None:
    """"select", "ask", "construct" or "describe": the first form keyword outside strings,
    comments and IRIs (the prologue has none); None when there is none (an update)."""
    for kind, value in _tokens(text):
        if kind == "word" and value.lower() in _FORMS:
            return value.lower()
    return None


@functools.lru_cache(maxsize=1024)  # the same query texts come back again and again
def _refusal(text: str, allowed: frozenset[str], local_prefix: str) -> str | None:
    tokens = _tokens(text)
    prefixes = dict(PREFIXES)
    for i, (kind, value) in enumerate(tokens[:-2]):
        if kind == "word" and value.upper() == "PREFIX" and tokens[i + 1][0] == "pname" \
                and tokens[i + 2][0] == "iri":
            prefixes[tokens[i + 1][1].split(":", 1)[0]] = tokens[i + 2][1][1:-1]
    for i, (kind, value) in enumerate(tokens):
        keyword = value.upper() if kind == "word" else ""
        if keyword not in ("SERVICE", "LOAD", "FROM"):
            continue
        j = i + 1
        while j < len(tokens) and tokens[j][1].upper() in ("SILENT", "NAMED"):
            j += 1
        target = _resolve(tokens[j], prefixes) if j < len(tokens) else None
        if keyword == "FROM" and target and (target.startswith(local_prefix)
                                             or target in allowed):
            continue
        if keyword != "FROM" and target and target in allowed:
            continue
        shown = target or (tokens[j][1] if j < len(tokens) else "nothing")
        return (f"{keyword} {shown} refused: this endpoint does not read remote or file "
                "resources" + (" (FROM may name the local graphs under " + local_prefix + ")"
                               if keyword == "FROM" else "")
                + "; the operator can allow IRIs with CAONTO_SERVICE_ALLOWLIST")
    return None


def _resolve(token: tuple[str, str], prefixes: dict[str, str]) -> str | None:
    kind, value = token
    if kind == "iri":
        return value[1:-1]
    if kind == "pname":
        prefix, _, local = value.partition(":")
        return prefixes[prefix] + local if prefix in prefixes else None
    return None
