"""Safe HTML and safe paths: contributed IRIs that are not http(s) never become links, the
pages carry a strict Content-Security-Policy with no inline script, IRIs from URL paths
cannot change a query, and no link or Location comes from the Host header. (The network
picture, drawn by a script, is checked in a real browser: tests/test_browser.py.)"""

import http.client
import re
import urllib.parse
from html.parser import HTMLParser

import pytest

from tests.contrib_samples import PREFIXES, TOKEN, membership, writable_app

JAVASCRIPT = "javascript:alert(document.domain)//"
DATA = "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="
GRAPH = "https://w3id.org/caonto/graph/contrib/hostile"
HOSTILE = membership("hostile", source=JAVASCRIPT) + PREFIXES + f"""
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
caor:membership-hostile rdfs:seeAlso <{DATA}> .
<{JAVASCRIPT}> rdfs:label "Hostile link"@en ; rdfs:seeAlso caor:kazakhstan .
<{DATA}> rdfs:label "Hostile data"@en ; rdfs:seeAlso caor:kazakhstan .
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with writable_app(tmp_path_factory.mktemp("contrib")) as app:
        response = app.test_client().put(f"/store?graph={GRAPH}", data=HOSTILE.encode(),
                                         headers={"Authorization": f"Bearer {TOKEN}",
                                                  "Content-Type": "text/turtle"})
        assert response.status_code == 201, response.data
        yield app


@pytest.fixture()
def client(app):
    return app.test_client()


class _Links(HTMLParser):
    """Every URL a page would follow or load, and its inline scripts."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("href", "src", "action", "formaction"):
            if attributes.get(name):
                self.urls.append(attributes[name])
        if tag == "script" and not attributes.get("src") \
                and attributes.get("type") != "application/json":
            self.inline_scripts += 1
        self.urls += [value for name, value in attrs if name.startswith("on") and value]


def _links(html: bytes) -> _Links:
    parser = _Links()
    parser.feed(html.decode("utf-8"))
    return parser


def _hostile(url: str) -> bool:
    return url.strip().lower().startswith(("javascript:", "data:text", "vbscript:"))


PAGES = ["/page/id/kazakhstan", "/page/id/membership-hostile", "/search?q=Hostile",
         "/search?q=kazakhstan", "/"]


@pytest.mark.parametrize("path", PAGES)
def test_no_page_links_to_a_hostile_iri(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200
    links = _links(response.data)
    assert [u for u in links.urls if _hostile(u)] == []


def test_the_hostile_iris_are_shown_as_text(client):
    page = client.get("/page/id/kazakhstan").data.decode()
    assert "Hostile link" in page  # the incoming fact is there, as text
    membership_page = client.get("/page/id/membership-hostile").data.decode()
    assert JAVASCRIPT in membership_page.replace("&#34;", '"')


def test_search_answers_give_no_hostile_href(client):
    answer = client.get("/search?q=Hostile&format=json").get_json()
    iris = {r["iri"]: r["href"] for r in answer["results"]}
    assert JAVASCRIPT in iris and DATA in iris
    assert iris[JAVASCRIPT] is None and iris[DATA] is None


@pytest.mark.parametrize("path", ["/", "/sparql", "/page/id/kazakhstan", "/search?q=a",
                                  "/page/def"])
def test_pages_have_a_strict_policy_and_no_inline_script(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert _links(response.data).inline_scripts == 0


def test_every_answer_says_nosniff_and_refuses_framing(client):
    for path in ("/sparql?query=ASK%7B%7D", "/void", "/store?default", "/nothing-here"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# ---- IRIs from URL paths ---------------------------------------------------------------------

INJECTED = "/id/kazakhstan%3E%20?p%20?o%20%7D%20UNION%20%7B%20?s%20?p%20?o%20.%20%3Curn:x"


@pytest.mark.parametrize("path", [INJECTED, "/page" + INJECTED, "/data" + INJECTED + ".ttl",
                                  "/page/id/%FF%FE", "/id/a%00b", "/page/id/a%00b",
                                  "/data/id/a%0Ab.ttl", "/page/id/a%20b"])
def test_a_path_that_is_no_iri_is_404(client, path):
    response = client.get(path)
    assert response.status_code == 404, (path, response.status_code)


# ---- no Host header in links -----------------------------------------------------------------

def test_host_header_is_not_reflected_in_process(client):
    response = client.get("/id/kazakhstan", headers={"Host": "evil.example"})
    assert response.status_code == 303
    assert "evil.example" not in response.headers["Location"]
    page = client.get("/page/id/kazakhstan", headers={"Host": "evil.example"})
    assert b"evil.example" not in page.data
    created = client.post("/store", data=membership("created").encode(), headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle",
        "Host": "evil.example"})
    assert created.status_code == 201, created.data
    assert "evil.example" not in created.headers["Location"]
    assert created.headers["Location"].startswith("http://localhost/store?graph=")


def _raw_get(base: str, path: str, headers: dict) -> tuple[int, dict, bytes]:
    """One GET without following redirects."""
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("GET", "/" + path, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_host_header_is_not_reflected_by_the_server(endpoint_url):
    evil = {"Host": "evil.example"}
    status, headers, _ = _raw_get(endpoint_url, "id/special", {**evil, "Accept": "text/html"})
    assert status == 303 and headers["location"].startswith(endpoint_url)
    for path, accept in (("page/id/special", "text/html"), ("void", "text/turtle"),
                         ("sparql", "text/turtle"), ("", "text/html")):
        status, _, body = _raw_get(endpoint_url, path, {**evil, "Accept": accept})
        assert status == 200
        assert b"evil.example" not in body


def test_the_base_url_is_what_serve_listens_on():
    from caonto.cli.serve import listening_address

    assert listening_address("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert listening_address("::1", 8000) == "http://[::1]:8000/"


def test_describe_refuses_a_non_iri():
    from caonto.web import describe

    asked = []
    with pytest.raises(ValueError):
        describe.describe(lambda text: asked.append(text) or [], "https://x/a> ?p ?o } #")
    assert asked == []
    assert re.fullmatch(r"<https://w3id\.org/caonto/id/kazakhstan>",
                        describe.iri_ref("https://w3id.org/caonto/id/kazakhstan"))
