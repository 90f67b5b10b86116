"""Contributions used by the tests/test_contrib_*.py files, an app that takes them, and a
loopback listener that records whether anything connected to it (to prove nothing is
fetched)."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rdflib import Graph

CONTRIB = "https://w3id.org/caonto/graph/contrib/"
TOKEN = "test-token-alice-0123456789"
TOKEN_BOB = "test-token-bob-9876543210"
TOKEN_CAROL = "test-token-carol-maintains-0246"
ALICE = "https://example.org/people/alice"
BOB = "https://example.org/people/bob"
CAROL = "https://example.org/people/carol"  # a maintainer
TOKENS_SETTING = f"{TOKEN} {ALICE}, {TOKEN_BOB} {BOB}, {TOKEN_CAROL} {CAROL} maintainer"


@contextmanager
def writable_app(contrib_dir: Path, **settings) -> Iterator:
    """The endpoint with the test tokens, one query worker and contributions stored in
    ``contrib_dir``; ``settings`` add to or override that. Its workers stop on the way out."""
    from caonto.web import create_app  # the app starts worker processes: only when asked

    app = create_app({"CAONTO_TOKENS": TOKENS_SETTING, "CAONTO_WORKERS": 1,
                      "CAONTO_CONTRIB_DIR": str(contrib_dir), **settings})
    try:
        yield app
    finally:
        app.extensions["caonto.contrib"].close()
        app.extensions["caonto"].engine.close()

PREFIXES = """\
@prefix cao: <https://w3id.org/caonto/def/> .
@prefix caor: <https://w3id.org/caonto/id/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
SOURCE = "https://en.wikipedia.org/wiki/Shanghai_Cooperation_Organisation"


def membership(key: str, source: str | None = SOURCE, state: str = "kazakhstan") -> str:
    """A membership of ``state`` in the SCO as Turtle; without ``source`` it breaks the
    provenance shape (dcterms:source is required of contributed facts)."""
    cited = f"    dcterms:source <{source}> ;\n" if source else ""
    return PREFIXES + f"""
caor:membership-{key} a cao:Membership ;
    rdfs:label "Membership {key} in the SCO"@en , "ШЫҰ мүшелігі {key}"@kk ;
    cao:member caor:{state} ;
    cao:organization caor:sco ;
{cited}    cao:startDate "2001-06-15"^^xsd:date .
"""


NEWLAND = PREFIXES + """
caor:newland a cao:State ;
    rdfs:label "Newland"@en , "Жаңаел"@kk , "Новоземье"@ru ;
    dcterms:source <https://example.org/newland> .
"""  # a state no other graph describes: memberships in it lean on this graph


def triples(turtle: str) -> set:
    return set(Graph().parse(data=turtle, format="turtle"))


_MARKER = b"caonto test marker"


class Listener:
    """A TCP listener on a free loopback port that counts the connections it accepts."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._settled = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            connection.settimeout(2)
            try:
                first = connection.recv(len(_MARKER))
            except OSError:
                first = b""
            if first == _MARKER:
                self._settled.set()
            else:
                self.connections += 1
            connection.close()

    def settle(self) -> None:
        """Connect with a marker and wait until it is accepted: connections are accepted
        in order, so any the server made before has been counted by then."""
        self._settled.clear()
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as marker:
            marker.sendall(_MARKER)
        assert self._settled.wait(10), "the marker connection was never accepted"

    def close(self) -> None:
        self.settle()
        self._stop.set()
        self._thread.join(2)
        self.socket.close()
