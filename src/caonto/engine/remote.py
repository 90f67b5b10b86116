"""The engine over another triple store: queries and writes forwarded over HTTP.

``RemoteEngine`` has the interface of ``caonto.engine.interface.Engine`` (``query``,
``solutions``, ``update``, ``replace_graphs``, ``close``) but forwards SPARQL over HTTP
to a SPARQL 1.1 query endpoint (and an update endpoint for writes). Answers come back
as SPARQL JSON results or N-Triples and are re-written by pyoxigraph in the format the
client negotiated, capped at ``max_rows`` exactly as the local engine caps them. The
served default dataset (the union of caonto's graphs — those under ``caog:`` — or all of
them but ``caog:inferred`` without inference) is named to the remote with
``default-graph-uri``/``named-graph-uri``, which every SPARQL 1.1 store understands,
whatever its own default graph is; a store's own graphs (Virtuoso keeps its metadata in
a few) stay out of it.

Stores depart from the protocol in ways handled here (docs/scale.md lists them): each
query asks for the one result format its form needs; an ASK answered as a one-column
SELECT is read as the boolean it stands for; blank-node labels that are not valid
identifiers are rewritten; booleans written 1/0 come back in their canonical form; and
HTTP Digest is answered before the store asks (``digest_opener``).

Connections to the store are kept alive and reused (``caonto.engine.connections``): a
small pool per engine, shared by the server's threads.

Limits: the timeout bounds how long caonto waits (connect + whole answer); it cannot
stop the remote's evaluation — give the store its own timeout (Oxigraph
``--timeout-s``, Fuseki ``arq:queryTimeout``, GraphDB ``query-timeout``, Virtuoso
``MaxQueryExecutionTime``). Answers larger than ``max_bytes`` are refused.

Queries and updates are checked (``caonto.engine.guard``) before they are forwarded, by
query workers over an empty dataset: sandboxed processes with the timeout, so a slow or
crashing parse never runs in the server. A query's own FROM / FROM NAMED are kept: the
served default dataset is named only for queries that name none.
"""

import re
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from caonto import formats
from caonto.config import Settings
from caonto.engine.connections import keep_alive_opener, pool_of, release
from caonto.engine.guard import LOCAL_GRAPH_PREFIX
from caonto.engine.interface import (
    Answer,
    DatasetChoice,
    EvaluationError,
    GraphDelta,
    NotAcceptable,
    QuerySyntaxError,
    QueryTimeout,
)
from caonto.engine.pool import QueryEngine
from caonto.engine.prefixes import declarations_for, query_form
from caonto.engine.results import (
    DEFAULT_MAX_BYTES,
    capped_solutions,
    capped_triples,
    write_boolean,
)
from caonto.namespaces import GRAPH_INFERRED

_SOLUTIONS_ACCEPT = "application/sparql-results+json"
_GRAPH_ACCEPT = "application/n-triples"
# Asked by form: a store may answer a CONSTRUCT in SPARQL JSON or a SELECT in RDF when
# the Accept header allows both (Virtuoso does).
_ACCEPT = {"select": _SOLUTIONS_ACCEPT, "ask": _SOLUTIONS_ACCEPT, "construct": _GRAPH_ACCEPT,
           "describe": _GRAPH_ACCEPT, None: _SOLUTIONS_ACCEPT + ", " + _GRAPH_ACCEPT + ";q=0.9"}
_GRAPHS_QUERY = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"  # names only: no scan
# Virtuoso answers the empty pattern with one unbound row; then the graphs are scanned.
_GRAPHS_SCAN_QUERY = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
_COUNT_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
# Virtuoso labels blank nodes "nodeID://b10001" in SPARQL JSON, not a valid identifier.
_BNODE_SCHEME = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')
# Virtuoso keeps values, not lexical forms: a stored "true"^^xsd:boolean comes back "1".
_BOOLEAN_DIGIT = re.compile(rb'("datatype"\s*:\s*"http://www\.w3\.org/2001/XMLSchema#boolean"'
                            rb'\s*,\s*"value"\s*:\s*")([01])"')
GRAPH_LIST_SECONDS = 30.0  # the served default dataset notices others' new graphs this fast


class RemoteError(EvaluationError):
    """The remote store could not be reached or answered with an error."""


@dataclass(frozen=True)
class RemoteEndpoints:
    """Where a store takes queries, updates and Graph Store Protocol requests."""

    query: str
    update: str | None = None
    store: str | None = None  # Graph Store Protocol base (``?graph=`` is appended)

    @classmethod
    def oxigraph(cls, base: str) -> "RemoteEndpoints":
        """An Oxigraph server at ``base`` (http://host:port): /query, /update, /store."""
        base = base.rstrip("/")
        return cls(base + "/query", base + "/update", base + "/store")


class _PreemptiveDigest(urllib.request.HTTPDigestAuthHandler):
    """urllib's HTTP Digest handler, also signing requests before the store asks.

    Virtuoso answers a request without credentials with 401 and closes the connection
    without reading its body, so a large PUT dies with a reset before urllib's usual
    challenge-and-retry can start. So the first request with a body fetches a challenge
    with a bodiless HEAD, and later requests are signed with the last challenge seen
    (the nonce count grows); a stale nonce gets urllib's ordinary retry. urllib computes
    every digest."""

    def __init__(self, passwords: urllib.request.HTTPPasswordMgr):
        super().__init__(passwords)
        self._challenge: dict | None = None
        self._lock = threading.RLock()  # the nonce count is shared by every thread

    def get_authorization(self, req, chal):
        with self._lock:
            self._challenge = chal
            return super().get_authorization(req, chal)

    def http_request(self, req):
        if self._challenge is None and req.data is not None:
            self._fetch_challenge(req)
        with self._lock:
            if self._challenge is not None and not req.has_header("Authorization"):
                authorization = super().get_authorization(req, self._challenge)
                if authorization:
                    req.add_unredirected_header("Authorization", "Digest " + authorization)
        return req

    https_request = http_request

    def http_error_401(self, req, fp, code, msg, headers):
        fp.close()  # urllib retries with credentials without closing the challenge
        return super().http_error_401(req, fp, code, msg, headers)

    def _fetch_challenge(self, req) -> None:
        probe = urllib.request.Request(req.full_url.split("?", 1)[0], method="HEAD")
        try:
            self.parent.open(probe, timeout=req.timeout).close()
        except urllib.error.HTTPError as error:
            error.close()
            if error.code == 401:
                raise RemoteError(f"the store at {probe.full_url} refused the credentials "
                                  "(HTTP Digest, CAONTO_STORE_CREDENTIALS)") from None


def digest_opener(credentials: str, urls: list[str]) -> urllib.request.OpenerDirector:
    """An opener that answers HTTP Digest challenges from ``urls`` with ``credentials``
    (USER:PASSWORD), and no others; its connections are kept alive."""
    user, _, password = credentials.partition(":")
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, [url.split("?", 1)[0] for url in urls], user, password)
    return keep_alive_opener(_PreemptiveDigest(passwords))


def _request(method: str, url: str, body: bytes | None, headers: dict, timeout: float,
             max_bytes: int, opener: urllib.request.OpenerDirector | None = None,
             idempotent: bool = False) -> tuple[int, str, bytes]:
    """One HTTP exchange, bounded by ``timeout`` in total; (status, media type, body).
    ``idempotent``: a POST that only reads (a query), which may be sent again when a
    kept-alive connection turns out closed by the store.

    Raises QueryTimeout past the deadline, RemoteError when the store is unreachable or
    the body exceeds ``max_bytes``. HTTP error statuses are returned, not raised."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    request.idempotent = idempotent
    open_url = opener.open if opener else urllib.request.urlopen
    try:
        response = open_url(request, timeout=timeout)  # noqa: S310 (operator's URL)
    except urllib.error.HTTPError as error:
        response = error
    except TimeoutError:
        raise QueryTimeout(f"the remote store did not answer within {timeout:g} s") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError):  # raised while sending or reading the head
            raise QueryTimeout(f"the remote store did not answer within {timeout:g} s") \
                from None
        raise RemoteError(f"the remote store at {url} is unreachable: {reason}") from None
    with response:
        chunks, size = [], 0
        try:
            while chunk := response.read(1 << 16):
                size += len(chunk)
                if size > max_bytes:
                    raise RemoteError(f"the remote answer exceeds {max_bytes} bytes; "
                                      "add a LIMIT")
                if time.monotonic() > deadline:
                    raise QueryTimeout(f"the remote store's answer took more than {timeout:g} s")
                chunks.append(chunk)
            release(response)  # read to the end: the connection may serve another request
        except TimeoutError:
            raise QueryTimeout(f"the remote store's answer took more than {timeout:g} s") \
                from None
        media = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        return response.status, media, b"".join(chunks)


class RemoteEngine:
    """The QueryEngine interface over a remote SPARQL 1.1 store.

    ``query`` raises QuerySyntaxError (the remote's 400, with its message), QueryRefused,
    QueryTimeout, NotAcceptable and RemoteError (an EvaluationError)."""

    def __init__(self, endpoints: RemoteEndpoints, timeout: float = 10.0,
                 max_rows: int = 10_000, allowlist: frozenset[str] = frozenset(),
                 max_bytes: int = 256 * 1024 * 1024, headers: dict | None = None,
                 checkers: int = 2, sandbox: bool = True,
                 max_answer_bytes: int = DEFAULT_MAX_BYTES,
                 opener: urllib.request.OpenerDirector | None = None):
        self.endpoints, self.timeout, self.max_rows = endpoints, timeout, max_rows
        self.allowlist, self.max_bytes = frozenset(allowlist), max_bytes  # bytes downloaded
        self.max_answer_bytes = max_answer_bytes  # bytes answered, as the local engine
        # The query-level check runs in worker processes over an empty dataset, so that
        # a slow or crashing parse costs a process the timeout kills, not the server.
        self._empty = tempfile.NamedTemporaryFile(suffix=".nq")
        self._checker = QueryEngine(Path(self._empty.name), workers=checkers, timeout=timeout,
                                    allowlist=self.allowlist, sandbox=sandbox)
        self.headers = dict(headers or {})  # e.g. Authorization for the remote store
        # e.g. digest_opener, for stores that want HTTP Digest; connections kept alive
        self.opener = opener or keep_alive_opener()
        self.nquads: Path | None = None
        self.data_version = 0  # grows on every write: pages key their caches on it
        self._graphs: list[str] | None = None
        self._graphs_read = 0.0  # when: other clients may add graphs to the store too
        self._lock = threading.Lock()
        self.triples = self._count()

    # -- the Engine interface --
    def query(self, text: str, choice: DatasetChoice = DatasetChoice(),
              solutions_format: formats.Format | None = formats.DEFAULT[formats.SOLUTIONS],
              graph_format: formats.Format | None = formats.DEFAULT[formats.GRAPH],
              timeout: float | None = None, base_iri: str | None = None,
              internal: bool = False) -> Answer:
        """Forward ``text`` and re-serialise at most ``max_rows`` rows (or triples).
        ``base_iri`` resolves the query's relative IRIs (sent as a BASE the store sees)."""
        if base_iri:
            text = f"BASE <{base_iri}>\n{text}"
        result = self._evaluate(text, choice, timeout)
        if isinstance(result, bool):
            if solutions_format is None:
                raise NotAcceptable("ask")
            return Answer(write_boolean(solutions_format, result), solutions_format,
                          "ask", False, 1)
        if isinstance(result, ox.QuerySolutions):
            if solutions_format is None:
                raise NotAcceptable("select")
            body, count, truncated = capped_solutions(result, solutions_format, self.max_rows,
                                                      self.max_answer_bytes)
            return Answer(body, solutions_format, "select", truncated, count)
        if graph_format is None:
            raise NotAcceptable("construct")
        body, count, truncated = capped_triples(result, graph_format, self.max_rows,
                                                self.max_answer_bytes)
        return Answer(body, graph_format, "graph", truncated, count)

    def solutions(self, text: str, choice: DatasetChoice = DatasetChoice(),
                  timeout: float | None = None) -> tuple[list[str], list[tuple]]:
        """Run a SELECT for Python callers (pages): variable names and every row (the
        remote answer is bounded by ``max_bytes``; past it the call fails, never cuts)."""
        result = self._evaluate(text, choice, timeout)
        if not isinstance(result, ox.QuerySolutions):
            raise EvaluationError("not a SELECT query")
        names = [v.value for v in result.variables]
        return names, [tuple(solution[n] for n in names) for solution in result]

    def update(self, text: str, timeout: float | None = None) -> None:
        """Forward a SPARQL Update. Raises RemoteError when no update endpoint is set."""
        self._checker.check(text, "update")
        self._update(text, timeout)

    def replace_graphs(self, graphs: dict[str, bytes | None]) -> None:
        """Replace whole named graphs (IRI -> N-Triples bytes, None drops one): by Graph
        Store Protocol PUT/DELETE when a store endpoint is set, else by SPARQL Update."""
        with self._lock:
            for iri, data in graphs.items():
                if self.endpoints.store:
                    put_graph(self.endpoints.store, iri, data, self._bounded(None),
                              headers=self.headers, opener=self.opener)
                else:
                    self._update(_replacement_update(iri, data), None)
            self._written()

    def change_graphs(self, delta: GraphDelta) -> None:
        """The graphs ``delta`` touches, replaced whole (a Graph Store has no delta)."""
        whole = delta.whole()
        self.replace_graphs({iri: whole.get(iri) for iri in sorted(delta.graphs)})

    def worker_pids(self) -> list[int]:
        return []

    def close(self) -> None:
        self._checker.close()
        self._empty.close()
        pool = pool_of(self.opener)
        if pool is not None:
            pool.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- helpers --
    def _bounded(self, timeout: float | None) -> float:
        return self.timeout if timeout is None else min(timeout, self.timeout)

    def _written(self) -> None:
        self.data_version += 1
        self._graphs = None

    def _update(self, text: str, timeout: float | None) -> None:
        if not self.endpoints.update:
            raise RemoteError("this server has no update endpoint for its remote store")
        body = urllib.parse.urlencode({"update": text}).encode()
        status, _, payload = _request(
            "POST", self.endpoints.update, body,
            {**self.headers, "Content-Type": "application/x-www-form-urlencoded"},
            self._bounded(timeout), self.max_bytes, self.opener)
        if status == 400:
            raise QuerySyntaxError(_message(payload))
        if status >= 300:
            raise RemoteError(f"the remote store refused the update ({status}): "
                              f"{_message(payload)}")
        self._written()

    def _dataset(self, choice: DatasetChoice) -> list[tuple[str, str]]:
        if choice.default_graphs is not None or choice.named_graphs is not None:
            return ([("default-graph-uri", g) for g in choice.default_graphs or ()]
                    + [("named-graph-uri", g) for g in choice.named_graphs or ()])
        graphs = self._named_graphs()
        if not choice.inference:
            graphs = [g for g in graphs if g != str(GRAPH_INFERRED)]
        if not graphs:
            return []
        return ([("default-graph-uri", g) for g in graphs]
                + [("named-graph-uri", g) for g in graphs])

    def _named_graphs(self) -> list[str]:
        """caonto's graphs in the store (under caog:), re-read every GRAPH_LIST_SECONDS."""
        graphs = self._graphs
        if graphs is None or time.monotonic() - self._graphs_read > GRAPH_LIST_SECONDS:
            _, rows = self._raw_select(_GRAPHS_QUERY, [])
            if any(row[0] is None for row in rows):
                _, rows = self._raw_select(_GRAPHS_SCAN_QUERY, [])
            graphs = self._graphs = sorted(
                row[0].value for row in rows
                if isinstance(row[0], ox.NamedNode) and row[0].value.startswith(LOCAL_GRAPH_PREFIX))
            self._graphs_read = time.monotonic()
        return graphs

    def _count(self) -> int:
        graphs = self._named_graphs()
        if not graphs:
            return 0
        _, rows = self._raw_select(_COUNT_QUERY, [("named-graph-uri", g) for g in graphs])
        return int(rows[0][0].value) if rows and rows[0][0] is not None else 0

    def _raw_select(self, text: str, dataset: list) -> tuple[list[str], list[tuple]]:
        result = self._send(text, dataset, self.timeout)
        names = [v.value for v in result.variables]
        return names, [tuple(s[n] for n in names) for s in result]

    def _evaluate(self, text: str, choice: DatasetChoice, timeout: float | None):
        names_dataset = self._checker.check(text)
        protocol = choice.default_graphs is not None or choice.named_graphs is not None
        # The query's own FROM / FROM NAMED define its dataset unless the protocol's do.
        dataset = [] if names_dataset and not protocol else self._dataset(choice)
        # the remote store does not predeclare caonto's prefixes: declare the ones used
        return self._send(declarations_for(text) + text, dataset, self._bounded(timeout))

    def _send(self, text: str, dataset: list, timeout: float):
        """POST the query; a bool, QuerySolutions or a list of triples."""
        form = query_form(text)
        body = urllib.parse.urlencode([("query", text), *dataset]).encode()
        status, media, payload = _request(
            "POST", self.endpoints.query, body,
            {**self.headers, "Accept": _ACCEPT[form],
             "Content-Type": "application/x-www-form-urlencoded"}, timeout, self.max_bytes,
            self.opener, idempotent=True)
        if status == 400:
            raise QuerySyntaxError(_message(payload))
        if status >= 300:
            raise RemoteError(f"the remote store failed ({status}): {_message(payload)}")
        try:
            if media in ("application/sparql-results+json", "application/json"):
                payload = _BNODE_SCHEME.sub(rb"\1", payload)
                payload = _BOOLEAN_DIGIT.sub(
                    lambda m: m.group(1) + (b'true"' if m.group(2) == b"1" else b'false"'), payload)
                result = ox.parse_query_results(payload, ox.QueryResultsFormat.JSON)
            elif media in ("application/sparql-results+xml", "application/xml"):
                result = ox.parse_query_results(payload, ox.QueryResultsFormat.XML)
            else:
                rdf_format = ox.RdfFormat.from_media_type(media) or ox.RdfFormat.N_TRIPLES
                return list(ox.parse(payload, format=rdf_format))
        except (SyntaxError, ValueError) as error:
            raise RemoteError(f"the remote store's answer ({media}) is unreadable: {error}") \
                from None
        if isinstance(result, ox.QueryBoolean):
            return bool(result)
        if form == "ask":  # Virtuoso 7 answers ASK as SELECT: one row (value 1) when true
            return any(value is not None and value.value not in ("0", "false")
                       for row in result for value in row)
        return result


def _message(payload: bytes) -> str:
    text = payload.decode("utf-8", "replace").strip()
    return text[:2000] or "(no message)"


def _replacement_update(iri: str, data: bytes | None) -> str:
    text = f"DROP SILENT GRAPH <{iri}>"
    if data:
        text += f" ;\nINSERT DATA {{ GRAPH <{iri}> {{\n{data.decode('utf-8')}\n}} }}"
    return text


def put_graph(store_url: str, graph: str, ntriples: bytes | None, timeout: float,
              headers: dict | None = None,
              opener: urllib.request.OpenerDirector | None = None) -> int:
    """PUT (or, for None, DELETE) one named graph through the Graph Store Protocol.

    Returns the HTTP status. Raises RemoteError for a failure status or no connection."""
    separator = "&" if "?" in store_url else "?"
    url = f"{store_url}{separator}{urllib.parse.urlencode({'graph': graph})}"
    if ntriples is None:
        status, _, payload = _request("DELETE", url, None, dict(headers or {}), timeout, 1 << 20,
                                      opener)
        if status == 404:
            return status  # already absent
    else:
        status, _, payload = _request(
            "PUT", url, ntriples, {**(headers or {}), "Content-Type": "application/n-triples"},
            timeout, 1 << 20, opener)
    if status >= 300:
        raise RemoteError(f"the store refused {graph} ({status}): {_message(payload)}")
    return status


def engine_from_settings(settings: Settings) -> "RemoteEngine":
    """The RemoteEngine the CAONTO_STORE* settings describe. Raises RemoteError when the
    store cannot be reached (the server then does not start)."""
    endpoints = RemoteEndpoints(query=settings.store, update=settings.store_update or None,
                                store=settings.store_gsp or None)
    secret = settings.store_authorization
    opener = None
    if settings.store_credentials:
        urls = [url for url in (endpoints.query, endpoints.update, endpoints.store) if url]
        opener = digest_opener(settings.store_credentials, urls)
    return RemoteEngine(endpoints, timeout=settings.query_timeout, max_rows=settings.max_rows,
                        allowlist=settings.allowlist, sandbox=settings.sandbox == "on",
                        max_answer_bytes=settings.max_answer_bytes,
                        headers={"Authorization": secret} if secret else None, opener=opener)
