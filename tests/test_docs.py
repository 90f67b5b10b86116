"""The commands in README.md and docs/*.md work as written.

Every ``sh`` block is run, line by line in one shell per block, in a scratch directory
holding the files the docs name (``my-data.ttl``, ``membership.ttl`` from the docs' own
Turtle, ``my.nq``, ``queries/``), with ``caonto`` from this environment. Commands that
talk to ``http://127.0.0.1:8000`` get a real ``caonto serve`` started by the test (on a
free port, with a writer token); ``caonto serve`` itself is started, must answer, and is
stopped. Inline ``python3 …`` commands are run too. What cannot run offline or in a test
is listed in ``NOT_RUN`` with the reason, and the test checks that list stays true.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPOSITORY, free_port, running_server, stop_process, wait_until_serving

pytestmark = pytest.mark.slow

DOCUMENTS = [REPOSITORY / "README.md", *sorted((REPOSITORY / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent
TOKEN = "docs-test-token-0123456789"

# Commands (by how they start) that are not run here, and why.
NOT_RUN = {
    "make ": "builds a virtual environment and runs the whole suite or a server from it; "
             "CI runs `make test` itself",
    "pip install": "downloads packages",
    "python3 -m benchmarks": "a benchmark of minutes (make bench, make bench-scale)",
    "python3 -m caonto.cli": "names the module in the architecture table; the blocks run the "
                             "same program as caonto",
    "caonto publish --to GSP_URL": "needs a Graph Store (tests/test_remote.py runs it against "
                                   "Oxigraph's server)",
    "caonto serve --store QUERY_URL": "needs a remote store (tests/test_remote.py)",
}


def _logical_lines(block: str) -> list[str]:
    lines, current = [], ""
    for raw in block.splitlines():
        current += raw
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        if current.strip() and not current.strip().startswith("#"):
            lines.append(current.strip())
        current = ""
    return lines


def shell_blocks() -> list[tuple[str, list[str]]]:
    found = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for match in re.finditer(r"```(?:sh|bash|shell)\n(.*?)```", text, re.S):
            found.append((document.name, _logical_lines(match.group(1))))
    return found


def inline_commands() -> list[tuple[str, str]]:
    return [(d.name, m.group(1)) for d in DOCUMENTS
            for m in re.finditer(r"`(python3 -[cm] [^`]+)`", d.read_text(encoding="utf-8"))]


def _normalised(command: str) -> str:
    return command.replace(".venv/bin/caonto", "caonto")


def not_run(command: str) -> str | None:
    command = _normalised(command)
    return next((why for start, why in NOT_RUN.items() if command.startswith(start)), None)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    from caonto.build import build_dataset

    root = tmp_path_factory.mktemp("docs")
    (root / "queries").symlink_to(REPOSITORY / "queries")
    contributing = (REPOSITORY / "docs" / "contributing-data.md").read_text(encoding="utf-8")
    turtle = re.search(r"`membership\.ttl`:\s*```turtle\n(.*?)```", contributing, re.S).group(1)
    (root / "membership.ttl").write_text(turtle, encoding="utf-8")
    (root / "my-data.ttl").write_text(turtle, encoding="utf-8")
    build = root / "build"
    build.mkdir()
    built = build_dataset(out_dir=build)
    shutil.copy(built.nquads, root / "my.nq")
    return root


def _environment(workspace: Path, port: int | None = None, writes: bool = True) -> dict:
    # this checkout's code, whatever directory the commands run in
    path = os.pathsep.join([str(REPOSITORY / "src"), *(
        str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)])
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONPATH=path, CAONTO_BUILD_DIR=str(workspace / "build"), TOKEN=TOKEN,
               CAONTO_CONTRIB_DIR=str(workspace / "contrib"), CAONTO_WORKERS="1")
    if writes:  # only the one shared server takes the contributions directory
        env["CAONTO_TOKENS"] = f"{TOKEN} https://example.org/people/docs"
    if port:
        env["CAONTO_BASE_URL"] = f"http://127.0.0.1:{port}/"
    return env


@pytest.fixture(scope="module")
def server(workspace):
    port = free_port()
    argv = [str(BIN / "caonto"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}/"
    with running_server(argv, base + "sparql?query=ASK%7B%7D", workspace / "serve.log",
                        _environment(workspace, port)):
        yield port


def test_every_command_not_run_here_is_listed_with_a_reason():
    commands = [c for _, lines in shell_blocks() for c in lines] + \
        [c for _, c in inline_commands()]
    skipped = [c for c in commands if not_run(c)]
    assert skipped, "the list of commands not run has gone stale"
    for start in NOT_RUN:
        assert any(_normalised(c).startswith(start) for c in commands), \
            f"NOT_RUN lists {start!r}, which no document has any more"


def _run_block(lines: list[str], workspace: Path, port: int) -> None:
    script = ["set -e"]
    for line in lines:
        if not_run(line):
            continue
        line = _normalised(line).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        line = re.sub(r"(^|; |&& )curl ", r"\1curl --fail-with-body -sS ", line)
        script.append(line)
    result = subprocess.run(["bash", "-c", "\n".join(script)], cwd=workspace, text=True,
                            capture_output=True, env=_environment(workspace, port), timeout=600)
    assert result.returncode == 0, "\n".join(script) + "\n" + result.stdout[-2000:] + \
        result.stderr[-2000:]


def _serve_once(command: str, workspace: Path) -> None:
    """Start a documented ``caonto serve``, wait until it answers, stop it."""
    port = free_port()
    argv = _normalised(command).split("#")[0].split()
    argv = [str(BIN / "caonto")] + [a for a in argv[1:]]
    if "--port" in argv:
        argv[argv.index("--port") + 1] = str(port)
    else:
        argv += ["--port", str(port)]
    with open(workspace / f"serve-{port}.log", "wb") as log:
        process = subprocess.Popen(argv, cwd=workspace,
                                   env=_environment(workspace, port, writes=False),
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D", process)
        finally:
            stop_process(process)


BLOCKS = shell_blocks()


@pytest.mark.parametrize("index", range(len(BLOCKS)),
                         ids=[f"{name}-{i}" for i, (name, _) in enumerate(BLOCKS)])
def test_the_documented_commands_succeed(index, workspace, server):
    _name, lines = BLOCKS[index]
    serving = [c for c in lines if _normalised(c).startswith("caonto serve") and not not_run(c)]
    for command in serving:
        _serve_once(command, workspace)
    _run_block([c for c in lines if c not in serving], workspace, server)


@pytest.mark.parametrize("document, command",
                         [(d, c) for d, c in inline_commands() if not not_run(c)])
def test_the_inline_python_commands_succeed(document, command, workspace):
    result = subprocess.run(["bash", "-c", command], cwd=workspace, text=True,
                            capture_output=True, env=_environment(workspace), timeout=300)
    assert result.returncode == 0, (document, command, result.stderr)


def test_the_documented_truncation_example_truncates(workspace, server):
    [line] = [c for _, lines in BLOCKS for c in lines if c.endswith("# truncation headers")]
    command = line.replace("$E", f"http://127.0.0.1:{server}/sparql")
    result = subprocess.run(["bash", "-c", command], cwd=workspace, text=True,
                            capture_output=True, env=_environment(workspace), timeout=120)
    assert result.returncode == 0, result.stderr
    assert "x-caonto-truncated: true" in result.stdout.lower(), result.stdout
