"""Keep-alive HTTP connections to a remote store, for urllib's openers.

urllib opens a new connection for every request and asks the server to close it. The
handlers here keep connections open instead and lend them out again: ``KeepAlive`` holds
the idle connections (at most ``size`` per host; more are closed), safe under waitress's
threads. Everything else stays urllib's: the Digest handler signs and retries as before.

A connection goes back to the pool only once its response was read to the end
(``release``, called by whoever reads it); one whose response was cut short or failed
is closed. Before a connection is lent again it is checked without blocking: one the
store has closed meanwhile reads as ready (end of file) and is replaced by a new one.
Should the store close it in the instant between that check and the request, an
idempotent request (every query: it is only read) is sent once more on a new
connection; an update is not, and reports the failure.
"""

import http.client
import select
import threading
import urllib.error
import urllib.request
import weakref

IDLE_PER_HOST = 8  # as many as waitress's default threads
_RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
              http.client.BadStatusLine)


class KeepAlive:
    """Idle connections by (scheme, host[:port]); at most ``size`` kept per host."""

    def __init__(self, size: int = IDLE_PER_HOST):
        self.size = size
        self._idle: dict[tuple[str, str], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self.opened = 0  # connections made so far, for tests and the curious
        # Idle connections are closed with the pool even if nobody calls close().
        self._finalizer = weakref.finalize(self, _close_idle, self._idle, self._lock)

    def take(self, scheme: str, host: str, timeout: float | None
             ) -> tuple[http.client.HTTPConnection, bool]:
        """An open connection (reused when one is idle and still open) and whether it
        was reused."""
        while True:
            with self._lock:
                idle = self._idle.get((scheme, host))
                connection = idle.pop() if idle else None
            if connection is None:
                break
            if _still_open(connection):
                connection.timeout = timeout
                connection.sock.settimeout(timeout)
                return connection, True
            connection.close()
        cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        with self._lock:
            self.opened += 1
        return cls(host, timeout=timeout), False

    def give_back(self, scheme: str, host: str, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault((scheme, host), [])
            if len(idle) < self.size and connection.sock is not None:
                idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        self._finalizer()


def _close_idle(idle: dict, lock: threading.Lock) -> None:
    with lock:
        connections = [c for kept in idle.values() for c in kept]
        idle.clear()
    for connection in connections:
        connection.close()


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """An idle connection the store has not closed: nothing to read on it (an idle
    keep-alive socket that reads as ready holds an end of file, or bytes nobody asked
    for; either way it cannot carry the next exchange)."""
    if connection.sock is None:
        return False
    try:
        readable, _, _ = select.select([connection.sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


class _PooledResponse(http.client.HTTPResponse):
    """A response that knows its connection, so that reading it to the end can return
    the connection to the pool (``release``); closed otherwise."""

    pool: KeepAlive | None = None
    key: tuple[str, str] = ("", "")
    connection: http.client.HTTPConnection | None = None

    def release(self) -> None:
        """The body has been read to the end: the connection may carry another request."""
        connection, self.connection = self.connection, None
        if connection is None:
            return
        if self.will_close or self.fp is not None or self.pool is None:
            connection.close()  # the store said close, or the body was not all read
        else:
            self.pool.give_back(*self.key, connection)

    def close(self) -> None:
        super().close()
        connection, self.connection = self.connection, None
        if connection is not None:  # never released: its state is unknown
            connection.close()


def release(response) -> None:
    """Return ``response``'s connection to its pool (the body was read to the end);
    anything else than a pooled response (or an HTTPError around one) is left alone."""
    underlying = getattr(response, "fp", None) if isinstance(response, urllib.error.HTTPError) \
        else response
    if isinstance(underlying, _PooledResponse):
        underlying.release()


class _KeepAliveMixin:
    pool: KeepAlive
    scheme = "http"

    def _open_pooled(self, req: urllib.request.Request):
        if req._tunnel_host:  # through an HTTPS proxy tunnel: urllib's own way
            return self.do_open(self._connection_class, req)
        host = req.host
        if not host:
            raise urllib.error.URLError("no host given")
        headers = dict(req.unredirected_hdrs)
        headers.update({k: v for k, v in req.headers.items() if k not in headers})
        headers = {name.title(): value for name, value in headers.items()}
        headers.pop("Connection", None)  # HTTP/1.1: kept alive unless one side says close
        idempotent = req.get_method() != "POST" or getattr(req, "idempotent", False)
        while True:
            connection, reused = self.pool.take(self.scheme, host, req.timeout)
            connection.response_class = _PooledResponse
            try:
                connection.request(req.get_method(), req.selector, req.data, headers,
                                   encode_chunked=req.has_header("Transfer-encoding"))
                response = connection.getresponse()
            except _RETRYABLE as error:
                connection.close()
                if reused and idempotent:  # the store closed it just now: once more, anew
                    continue
                raise urllib.error.URLError(error) from None
            except OSError as error:  # a timeout among them
                connection.close()
                raise urllib.error.URLError(error) from None
            except BaseException:
                connection.close()
                raise
            break
        response.pool, response.key, response.connection = self.pool, (self.scheme, host), \
            connection
        response.url = req.get_full_url()
        response.msg = response.reason
        return response


class KeepAliveHTTPHandler(_KeepAliveMixin, urllib.request.HTTPHandler):
    _connection_class = http.client.HTTPConnection

    def __init__(self, pool: KeepAlive):
        super().__init__()
        self.pool = pool

    def http_open(self, req):
        return self._open_pooled(req)


class KeepAliveHTTPSHandler(_KeepAliveMixin, urllib.request.HTTPSHandler):
    _connection_class = http.client.HTTPSConnection
    scheme = "https"

    def __init__(self, pool: KeepAlive):
        super().__init__()
        self.pool = pool

    def https_open(self, req):
        return self._open_pooled(req)


def keep_alive_opener(*handlers) -> urllib.request.OpenerDirector:
    """An opener with ``handlers`` (e.g. a Digest handler) whose HTTP(S) connections are
    kept alive in one pool (``pool_of``)."""
    pool = KeepAlive()
    return urllib.request.build_opener(*handlers, KeepAliveHTTPHandler(pool),
                                       KeepAliveHTTPSHandler(pool))


def pool_of(opener: urllib.request.OpenerDirector | None) -> KeepAlive | None:
    """The pool of an opener made by ``keep_alive_opener``; None for any other."""
    for handler in getattr(opener, "handlers", ()):
        if isinstance(handler, _KeepAliveMixin):
            return handler.pool
    return None
