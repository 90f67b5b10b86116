"""A scratch Virtuoso Open-Source 7 instance on loopback, for the tests and benchmarks.

``start_virtuoso(directory)`` writes an ini file for a fresh database in ``directory``,
sets a random DBA password (the database is created with ``dba``/``dba``, so it is
changed in a first run that exits before listening), starts ``virtuoso-t -f`` on two free
127.0.0.1 ports (SQL and HTTP), waits until ``/sparql`` answers, and creates a user who
may only write through SPARQL (``SPARQL_UPDATE``), with a random password, for the
HTTP Digest endpoints. Debian's ``virtuoso-opensource-7-bin`` provides the binaries
(scripts/install-virtuoso.sh).
"""

import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.processes import stop_process

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")
MISSING = None if VIRTUOSO and ISQL else (
    "virtuoso-t / isql-vt are not installed (scripts/install-virtuoso.sh)")
USER = "caonto"

_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
DirsAllowed = {dir}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 20
MaxClientConnections = 20

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Virtuoso:
    process: subprocess.Popen
    directory: Path
    http_port: int
    password: str  # USER's
    started_s: float  # from launch to the first SPARQL answer, user created

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        return self.base + "/sparql"

    @property
    def update_url(self) -> str:
        return self.base + "/sparql-auth"  # HTTP Digest

    @property
    def gsp_url(self) -> str:
        return self.base + "/sparql-graph-crud-auth"  # HTTP Digest

    @property
    def credentials(self) -> str:
        return f"{USER}:{self.password}"

    def stop(self) -> None:
        stop_process(self.process, grace=30)


def start_virtuoso(directory: Path, buffers: int = 20_000, limit: float = 120) -> Virtuoso:
    """A running instance with a fresh database in ``directory``. ``buffers`` are 8 kB
    pages of cache: 20 000 (160 MB) suits the essay; replacing a 200k-triple graph
    needs about 100 000, or Virtuoso stalls on lock waits. Raises RuntimeError when it
    does not come up within ``limit`` seconds (the message ends with its log)."""
    if MISSING:
        raise RuntimeError(MISSING)
    began = time.monotonic()
    directory.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = _free_port(), _free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(_INI.format(dir=directory, sql_port=sql_port, http_port=http_port,
                               buffers=buffers, dirty=buffers * 3 // 4), encoding="utf-8")
    dba = secrets.token_hex(8)  # isql-vt refuses DBA passwords longer than 16 characters
    subprocess.run([VIRTUOSO, "-f", "-c", str(ini), "+pwdold", "dba", "+pwddba", dba,
                    "+checkpoint-only"], cwd=directory, check=True, capture_output=True,
                   timeout=limit)
    log = open(directory / "virtuoso.out", "wb")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen([VIRTUOSO, "-f", "-c", str(ini)], cwd=directory, stdout=log,
                               stderr=subprocess.STDOUT)
    log.close()
    instance = Virtuoso(process, directory, http_port, secrets.token_hex(12), 0.0)
    try:
        _wait(instance, began + limit)
        sql = (f"DB.DBA.USER_CREATE('{USER}', '{instance.password}');\n"
               f'GRANT SPARQL_UPDATE TO "{USER}";\n')
        done = subprocess.run([ISQL, f"127.0.0.1:{sql_port}", "dba", dba], input=sql.encode(),
                              capture_output=True, timeout=60)
        if done.returncode != 0 or b"Error" in done.stdout + done.stderr:
            raise RuntimeError("creating the SPARQL user failed: "
                               + (done.stdout + done.stderr).decode(errors="replace")[-500:])
    except BaseException:
        instance.stop()
        raise
    instance.started_s = time.monotonic() - began
    return instance


def _wait(instance: Virtuoso, deadline: float) -> None:
    url = instance.query_url + "?query=ASK%7B%7D"
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    log = (instance.directory / "virtuoso.log")
    tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
    raise RuntimeError(f"Virtuoso did not answer at {url} (exit code "
                       f"{instance.process.poll()}):\n{tail}")
