"""Fair sharing of the query workers between clients.

A client (one remote address) may run at most ``limit`` queries at once; its further
queries wait, at most ``wait`` seconds, for one of its own to finish, then get 503.
With the default limit (one fewer than the query workers) a single client running
slow queries always leaves a worker for everyone else; the pages have workers of their
own (CAONTO_PAGE_WORKERS). Memory: one counter per client with a query running, so at
most one per server thread.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class ClientBusy(Exception):
    """The client already runs as many queries as it may, and none finished in time."""


class ClientSlots:
    def __init__(self, limit: int, wait: float):
        self.limit, self.wait = max(1, limit), wait
        self._running: dict[str, int] = {}
        self._changed = threading.Condition()

    @contextmanager
    def slot(self, client: str) -> Iterator[None]:
        """Hold one of ``client``'s slots for the duration of the ``with`` block."""
        deadline = time.monotonic() + self.wait
        with self._changed:
            while self._running.get(client, 0) >= self.limit:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ClientBusy(f"this client already runs {self.limit} "
                                     f"quer{'y' if self.limit == 1 else 'ies'} at once; "
                                     "wait for an answer before sending more")
                self._changed.wait(left)
            self._running[client] = self._running.get(client, 0) + 1
        try:
            yield
        finally:
            with self._changed:
                left_running = self._running[client] - 1
                if left_running:
                    self._running[client] = left_running
                else:
                    del self._running[client]
                self._changed.notify_all()
