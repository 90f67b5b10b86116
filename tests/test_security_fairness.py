"""Slow queries cannot starve cheap ones or the pages: one client address runs at most
one fewer query than there are query workers, and the pages have a worker of their own.
The session server has 2 query workers, 1 page worker and a 3 s timeout; every query
below that counts a cross product runs until that timeout."""

import threading
import time
import urllib.parse

from tests.conftest import get_from
from tests.test_endpoint_safety import PATHOLOGICAL

ASK = "ASK { ?s ?p ?o }"


def _url(base: str, query: str) -> str:
    return base + "sparql?" + urllib.parse.urlencode({"query": query})


def _attack(base: str, sources: list[str]) -> tuple[list[threading.Thread], dict]:
    """Start one slow query from each of ``sources``; ``done`` fills as they end."""
    done: dict = {}

    def slow(index: int, source: str) -> None:
        done[index] = get_from(source, _url(base, PATHOLOGICAL))

    threads = [threading.Thread(target=slow, args=(i, s)) for i, s in enumerate(sources)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # let them reach the workers (ordering only; nothing is asserted on it)
    return threads, done


def test_one_client_cannot_take_every_worker(endpoint_url):
    threads, done = _attack(endpoint_url, ["127.0.0.3", "127.0.0.3"])
    status, body = get_from("127.0.0.2", _url(endpoint_url, ASK))
    slow_finished_first = len(done)
    for thread in threads:
        thread.join(60)
    assert (status, b"true" in body) == (200, True)
    assert slow_finished_first == 0  # the cheap query did not wait for the slow ones
    assert sorted(s for s, _ in done.values()) == [503, 503]  # both stopped at the timeout


def test_pages_are_served_while_every_query_worker_is_busy(endpoint_url):
    threads, done = _attack(endpoint_url, ["127.0.0.3", "127.0.0.4"])
    status, body = get_from("127.0.0.2", endpoint_url + "page/id/special")
    slow_finished_first = len(done)
    for thread in threads:
        thread.join(60)
    assert status == 200 and b"anonymous" in body
    assert slow_finished_first == 0  # the page did not wait for a query worker


def test_a_client_over_its_limit_waits_its_turn_then_gets_its_answer(endpoint_url):
    threads, done = _attack(endpoint_url, ["127.0.0.5"])
    status, body = get_from("127.0.0.5", _url(endpoint_url, ASK))
    for thread in threads:
        thread.join(60)
    assert (status, b"true" in body) == (200, True)
    assert done[0][0] == 503
