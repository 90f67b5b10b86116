"""No outbound request, whatever the query says: the query-level check decides from a
real parse, and the processes that evaluate queries or parse contributed RDF have no
network at all. A canary listener on 127.0.0.1 records any connection."""

import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caonto import sandbox
from caonto.engine.guard import LOCAL_GRAPH_PREFIX, Reading, check_remote_references, parse_in_deep_thread, read
from caonto.engine.interface import QueryError, QueryRefused, QuerySyntaxError
from caonto.engine.pool import QueryEngine
from tests.conftest import REPOSITORY
from tests.contrib_samples import TOKEN, TOKENS_SETTING

# ---- the reported bypasses, over HTTP -------------------------------------------------------

BYPASSES = [
    # an escaped local name made the old scanner read the rest of the line as a comment
    "PREFIX ex: <http://ex/> SELECT ?x WHERE {{ OPTIONAL {{ ?s ex:a\\# ?o }} "
    "SERVICE <{url}x> {{ ?x ?y ?z }} }}",
    # a decoded \u0022 looked like the start of a long string
    'SELECT ?x WHERE {{ BIND("\\u0022\\u0022" AS ?q) SERVICE <{url}x> {{ ?x ?y ?z }} }}',
    "SELECT * WHERE {{ \\u0053ERVICE <{url}x> {{ ?s ?p ?o }} }}",
    "BASE <{url}> SELECT * WHERE {{ SERVICE <x> {{ ?s ?p ?o }} }}",
]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from caonto.web import create_app

    app = create_app({"CAONTO_TOKENS": TOKENS_SETTING, "CAONTO_WORKERS": 1,
                      "CAONTO_CONTRIB_DIR": str(tmp_path_factory.mktemp("contrib"))})
    yield app
    app.extensions["caonto.contrib"].close()
    app.extensions["caonto"].engine.close()


@pytest.mark.parametrize("template", BYPASSES)
def test_reported_bypasses_are_refused_without_a_connection(app, canary, template):
    query = template.format(url=canary.url)
    response = app.test_client().get("/sparql?" + urllib.parse.urlencode({"query": query}))
    assert response.status_code == 400, response.data
    assert canary.connections() == 0


def test_load_through_update_is_refused_and_stores_nothing(app, canary):
    client = app.test_client()
    graph = "https://w3id.org/caonto/graph/contrib/loaded"
    for update in (f"LOAD <{canary.url}data.ttl> INTO GRAPH <{graph}>",
                   f"PREFIX ex: <http://ex/> INSERT {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} "
                   f"WHERE {{ OPTIONAL {{ ?s ex:a\\# ?o }} SERVICE <{canary.url}> {{ ?s ?p ?o }} }}"):
        response = client.post("/update", data=update.encode(), headers={
            "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"})
        assert response.status_code == 400, response.data
    assert canary.connections() == 0
    assert client.get(f"/store?graph={graph}").status_code == 404


def test_the_check_reads_the_query_as_a_parser_does():
    """Keywords inside strings, comments and names are not keywords; escapes are decoded."""
    check_remote_references('SELECT * WHERE { ?s ?p "SERVICE <http://x/>" } # FROM <http://y/>')
    check_remote_references("PREFIX ex: <http://x/> SELECT ?service WHERE { ?service ex:from "
                            "ex:SERVICE }")
    with pytest.raises(QueryRefused, match="http://x/y"):
        check_remote_references("PREFIX ex: <http://x/> SELECT * { SERVICE ex:y {} }")
    with pytest.raises(QueryRefused, match="a variable"):
        check_remote_references("SELECT * { SERVICE ?s {} }")
    with pytest.raises(QueryRefused, match="USING"):
        check_remote_references("INSERT { <a:b> <a:c> ?o } USING <http://x/> WHERE { ?s ?p ?o }",
                                kind="update")


def test_what_the_parser_cannot_read_is_refused():
    with pytest.raises(QuerySyntaxError):
        check_remote_references("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o }")
    with pytest.raises(QuerySyntaxError, match="nested too deeply"):
        check_remote_references("ASK " + "{" * 6000 + "}" * 6000)


NOT_READ = "refused: this endpoint does not read remote or file resources"
LOCAL_ONLY = f" (it may name the local graphs under {LOCAL_GRAPH_PREFIX})"
REMEDY = "; the operator can allow IRIs with CAONTO_SERVICE_ALLOWLIST"


@pytest.mark.parametrize("kind, text, message", [
    ("query", "SELECT * { SERVICE <http://x/s> {} }", f"SERVICE <http://x/s> {NOT_READ}{REMEDY}"),
    ("query", "SELECT * { SERVICE ?s {} }", f"SERVICE a variable {NOT_READ}{REMEDY}"),
    ("update", "LOAD <file:///etc/passwd>", f"LOAD <file:///etc/passwd> {NOT_READ}{REMEDY}"),
    ("query", "SELECT * FROM <http://x/g> {}", f"FROM <http://x/g> {NOT_READ}{LOCAL_ONLY}{REMEDY}"),
    ("query", "SELECT * FROM NAMED <http://x/g> {}", f"FROM <http://x/g> {NOT_READ}{LOCAL_ONLY}{REMEDY}"),
    ("update", "DELETE { ?s ?p ?o } USING <http://x/g> WHERE { ?s ?p ?o }",
     f"USING <http://x/g> {NOT_READ}{LOCAL_ONLY}{REMEDY}"),
])
def test_a_refusal_names_the_keyword_the_target_and_the_setting(kind, text, message):
    with pytest.raises(QueryRefused) as refusal:
        check_remote_references(text, kind=kind)
    assert str(refusal.value) == message


@pytest.mark.parametrize("kind, text, names_dataset", [
    ("query", "SELECT * { ?s ?p ?o }", False),
    ("query", f"SELECT * FROM <{LOCAL_GRAPH_PREFIX}essay> {{ ?s ?p ?o }}", True),
    ("query", f"SELECT * FROM NAMED <{LOCAL_GRAPH_PREFIX}essay> {{ ?s ?p ?o }}", True),
    ("update", f"DELETE {{ ?s ?p ?o }} USING <{LOCAL_GRAPH_PREFIX}essay> WHERE {{ ?s ?p ?o }}", True),
])
def test_the_reading_says_whether_the_text_names_its_own_dataset(kind, text, names_dataset):
    assert read(text, kind) == Reading(names_dataset)


def test_a_relative_iri_is_resolved_against_the_endpoints_base():
    check_remote_references("SELECT * { SERVICE <sparql> {} }", frozenset({"http://x/sparql"}),
                            base_iri="http://x/")


def test_predeclared_prefixes_may_name_the_local_graphs():
    assert read("SELECT * FROM caog:essay { ?s ?p ?o }",
                prefixes={"caog": LOCAL_GRAPH_PREFIX}) == Reading(names_dataset=True)


def test_an_updates_prefixes_hold_for_its_later_operations():
    with pytest.raises(QueryRefused, match="^LOAD <http://x/y> refused"):
        check_remote_references("PREFIX ex: <http://x/> INSERT DATA { <a:b> <a:c> <a:d> } ; LOAD ex:y",
                                kind="update")


@pytest.mark.parametrize("text", ["INSERT DATA { <a:b> <a:c> <a:d> } ;", "PREFIX ex: <http://x/>", ""])
def test_an_update_may_end_with_a_prologue_and_no_operation(text):
    assert read(text, "update") == Reading(names_dataset=False)


UNREADABLE = ("(caonto reads every query with rdflib's SPARQL 1.1 parser before it runs; "
              "what that parser cannot read is refused)")


def test_an_unreadable_text_is_refused_with_its_line_and_the_reason():
    with pytest.raises(QuerySyntaxError) as error:
        check_remote_references("SELECT *\nWHERE { ?s ?p }")
    assert re.fullmatch(rf"error at 2:\d+: .+ {re.escape(UNREADABLE)}", str(error.value))


def test_a_text_nested_too_deeply_is_refused_with_the_remedy():
    with pytest.raises(QuerySyntaxError) as error:
        check_remote_references("ASK " + "{" * 6000 + "}" * 6000)
    assert str(error.value) == ("the query is nested too deeply (or has too many triple patterns "
                                "in one block) to be checked; simplify it")


@pytest.mark.parametrize("text, reason", [
    ("SELECT * { SERVICE ex:y {} }", "Unknown namespace prefix : ex"),  # while resolving a target
    ("BASE <http://[x/> PREFIX ex: <y> SELECT * {}", "Invalid IPv6 URL"),  # while reading the prologue
])
def test_an_iri_that_cannot_be_resolved_is_a_syntax_error(text, reason):
    with pytest.raises(QuerySyntaxError) as error:
        check_remote_references(text)
    assert str(error.value) == f"error at 1:1: {reason}"


@pytest.fixture
def recursion_limit_restored():
    """parse_in_deep_thread raises the process's limit (meant for worker processes)."""
    limit = sys.getrecursionlimit()
    yield
    sys.setrecursionlimit(limit)


DEEP = "ASK " + "{" * 60 + "}" * 60  # too deep for the default limit, not for the parse thread


def test_the_parse_thread_reads_what_the_calling_thread_cannot(recursion_limit_restored):
    with pytest.raises(QuerySyntaxError, match="nested too deeply"):
        read(DEEP)
    assert parse_in_deep_thread(read, DEEP) == Reading(names_dataset=False)


def test_the_parse_thread_hands_its_error_to_the_caller(recursion_limit_restored):
    with pytest.raises(QueryRefused, match="^LOAD <http://x/> refused"):
        parse_in_deep_thread(read, "LOAD <http://x/>", kind="update")


def test_the_parse_thread_is_named_for_crash_dumps(recursion_limit_restored):
    assert parse_in_deep_thread(lambda: threading.current_thread().name) == "caonto-parse"


def test_the_parse_thread_leaves_other_threads_the_default_stack(recursion_limit_restored):
    before = threading.stack_size()
    parse_in_deep_thread(read, "ASK {}")
    assert threading.stack_size() == before


# ---- the property: generated texts never reach the canary -----------------------------------

def _escaped(word: str, positions: list[bool]) -> str:
    """``word`` with the letters chosen by ``positions`` written as \\u escapes."""
    return "".join(f"\\u{ord(c):04X}" if escape else c
                   for c, escape in zip(word, positions + [False] * len(word), strict=False))


NOISE = st.sampled_from([
    "", " ", "\n", "# a comment with SERVICE <x> and \" and '\n", "# \\u0022 \n",
    ' BIND("a \\" b" AS ?n1) ', " BIND('''x \" ' y''' AS ?n2) ", ' BIND("\\u0022" AS ?n3) ',
    " OPTIONAL { ?s ex:a\\# ?o } ", " OPTIONAL { ?s ex:a\\. ?o } ", " ?s ex:b\\- ?o . ",
    " FILTER(1111111111) ", " FILTER(1.0e3 = 1000) ", ' ?s ?p """ # not a comment """ . ',
])


@st.composite
def remote_texts(draw, url: str) -> tuple[str, str]:
    """(kind, text) of a query or update that names ``url`` through SERVICE, FROM or LOAD,
    spelled in one of the ways SPARQL allows."""
    keyword = draw(st.sampled_from(["SERVICE", "FROM", "LOAD"]))
    spelled = _escaped(draw(st.sampled_from([keyword, keyword.lower(), keyword.title()])),
                       draw(st.lists(st.booleans(), max_size=len(keyword))))
    target = draw(st.sampled_from([
        f"<{url}x>", "ex:x", "<x>", f"<{_escaped(url, [False] * 7 + [True] * 3)}x>",
        "ex:\\x", "?service"]))
    silent = draw(st.sampled_from(["", " SILENT"])) if keyword != "FROM" else ""
    named = draw(st.sampled_from(["", " NAMED"])) if keyword == "FROM" else ""
    before, after = draw(NOISE), draw(NOISE)
    prologue = f"PREFIX ex: <{url}> BASE <{url}> "
    if keyword == "LOAD":
        return "update", f"{prologue}{spelled}{silent} {target} INTO GRAPH <urn:caonto:g>"
    if keyword == "FROM":
        return "query", (f"{prologue}SELECT * {spelled}{named} {target} "
                         f"WHERE {{ {before} ?s ?p ?o {after} }}")
    return "query", (f"{prologue}SELECT * WHERE {{ {before} {spelled}{silent} {target} "
                     f"{{ ?s ?p ?o }} {after} }}")


def _run(engine: QueryEngine, kind: str, text: str) -> None:
    try:
        if kind == "update":
            engine.update(text)
        else:
            engine.query(text)
    except QueryError:
        pass  # refused, unreadable or failed: all fine, as long as nothing connected


@pytest.fixture(scope="module")
def guarded_engine(endpoint_dataset):
    with QueryEngine(endpoint_dataset, workers=1, timeout=10) as engine:
        yield engine


@pytest.fixture(scope="module")
def sandbox_only_engine(endpoint_dataset):
    """The OS layer alone: the query-level check is switched off in the workers."""
    with QueryEngine(endpoint_dataset, workers=1, timeout=10, query_check=False) as engine:
        yield engine


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_generated_text_reaches_the_network(guarded_engine, sandbox_only_engine,
                                               module_canary, data):
    kind, text = data.draw(remote_texts(module_canary.url))
    _run(guarded_engine, kind, text)
    _run(sandbox_only_engine, kind, text)
    assert module_canary.connections() == 0, text


def test_the_canary_would_see_an_unsandboxed_fetch(canary):
    """The property above can fail: pyoxigraph outside the sandbox does connect. (In a
    child process: the canary never answers, so the fetch would wait forever.)"""
    script = ("import pyoxigraph, sys; pyoxigraph.Store().query("
              "'SELECT * WHERE { SERVICE <' + sys.argv[1] + '> { ?s ?p ?o } }')")
    child = subprocess.Popen([sys.executable, "-c", script, canary.url])
    try:
        seen, deadline = 0, time.monotonic() + 60
        while not seen and time.monotonic() < deadline and child.poll() is None:
            seen = canary.connections()
            time.sleep(0.05)  # polling for something that does happen, bounded
    finally:
        child.kill()
        child.wait()
    assert seen >= 1


def test_sandbox_only_engine_really_evaluates_service(sandbox_only_engine, canary):
    """Without the check the worker does try the SERVICE call, and the OS refuses it."""
    with pytest.raises(QueryError, match="(?i)unreachable|connect|network|error"):
        sandbox_only_engine.query(f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}")
    assert canary.connections() == 0


# ---- failing closed ---------------------------------------------------------------------------

def test_deny_network_raises_when_no_namespace_can_be_made(monkeypatch):
    import errno

    monkeypatch.setattr(sandbox, "_unshare", lambda flags: errno.EPERM)
    with pytest.raises(sandbox.SandboxError, match="CAONTO_SANDBOX=off"):
        sandbox.deny_network()


def _unshare_available() -> bool:
    return subprocess.run(["unshare", "--user", "--map-root-user", "true"],
                          capture_output=True).returncode == 0


@pytest.mark.skipif(not _unshare_available(), reason="needs unshare(1) with user namespaces")
@pytest.mark.parametrize("sandbox_setting, started", [("on", False), ("off", True)])
def test_serve_refuses_to_start_without_the_sandbox_unless_told(endpoint_dataset, sandbox_setting,
                                                                started):
    """In a user namespace that may create no further network namespaces, the workers
    cannot enter the sandbox: the server stops with the reason, unless CAONTO_SANDBOX=off."""
    script = ("from caonto.config import load; from caonto.engine.factory import open_engine; "
              "import sys; e = open_engine(load(), sys.argv[1]); print('started'); e.close()")
    env = dict(os.environ, PYTHONPATH=str(REPOSITORY / "src"), CAONTO_WORKERS="1",
               CAONTO_PAGE_WORKERS="0", CAONTO_SANDBOX=sandbox_setting)
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "sh", "-c",
         "echo 0 > /proc/sys/user/max_net_namespaces && echo 0 > "
         '/proc/sys/user/max_user_namespaces && exec "$0" "$@"',
         sys.executable, "-c", script, str(endpoint_dataset)],
        capture_output=True, text=True, env=env, timeout=120)
    assert ("started" in done.stdout) is started, done.stderr
    if not started:
        assert "CAONTO_SANDBOX=off" in done.stderr
