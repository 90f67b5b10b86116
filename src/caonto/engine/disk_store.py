"""One on-disk pyoxigraph store shared by every query worker, instead of a copy each.

Measured at 1M triples (benchmarks/scale-results.md): an in-memory pyoxigraph store
holds ~600 MB, and ``caonto serve`` has one per worker, so memory grows with the
worker count. The same data on disk is ~180 MB of RocksDB files; a worker that opens it
with ``Store.read_only`` grows by tens of MB, and the operating system shares the file
pages between workers.

``prepare`` builds the store once, next to the N-Quads file (``<file>.oxigraph/``), and
reuses it while the file is unchanged (size, mtime and a SHA-256 of the first MiB are
recorded), so a restart does not reload anything. The store is built in a temporary
directory and renamed into place, so a crash mid-build leaves no half store behind.

Writes keep the workers on shared storage. A read-only RocksDB store must not be open
while another process writes it, so no worker ever reads the store that takes the
writes. One writer process (a worker started with ``writer``) owns a read-write copy,
``work/``; after each accepted write it makes a checkpoint, ``v<N>/`` (``Store.backup``:
hard links to RocksDB's immutable files, cheap), and the workers' write log carries
only ``Version(N, path)``: a worker reopens the newest checkpoint before its next
request. A checkpoint is announced only once it is complete, so no worker sees a write
half applied. ``Versions`` keeps one engine's directories and deletes each checkpoint
once no worker reads it.

Nothing here outlives the engine: the journal of contributions is what is durable, and
at start the gateway republishes it, so the writer starts from the prepared store (or,
after the writer itself failed, from the newest checkpoint). Directories left by an
engine that crashed are removed by the next one that starts.
"""

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from caonto.rdf_io import load_nquads

_MARKER = "caonto-source.json"


def _fingerprint(nquads: Path) -> dict:
    stat = nquads.stat()
    with open(nquads, "rb") as handle:
        head = hashlib.sha256(handle.read(1 << 20)).hexdigest()
    return {"file": nquads.name, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "head_sha256": head, "pyoxigraph": ox.__version__,
            "blank_nodes": "as written"}  # stores prepared before kept no labels


def location_for(nquads: Path) -> Path:
    return nquads.with_name(nquads.name + ".oxigraph")


def is_current(directory: Path, nquads: Path) -> bool:
    """Whether ``directory`` holds a complete store built from ``nquads`` as it is now."""
    marker = directory / _MARKER
    try:
        return json.loads(marker.read_text()) == _fingerprint(nquads)
    except (OSError, ValueError):
        return False


def prepare(nquads: Path, directory: Path | None = None, in_subprocess: bool = True) -> Path:
    """The on-disk store for ``nquads``, built now unless a current one exists.

    The bulk load needs about as much memory as an in-memory store while it sorts; it
    runs in a short-lived child process (``in_subprocess``) so the server does not keep
    that peak. Raises OSError when the directory cannot be written or the build fails.
    """
    nquads = Path(nquads)
    directory = Path(directory) if directory else location_for(nquads)
    if is_current(directory, nquads):
        return directory
    if in_subprocess:
        done = subprocess.run([sys.executable, "-m", "caonto.engine.disk_store", str(nquads),
                               str(directory)], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
        if done.returncode != 0 or not is_current(directory, nquads):
            raise OSError(f"building the on-disk store {directory} failed: "
                          f"{(done.stderr.strip().splitlines() or ['no message'])[-1]}")
        return directory
    building = directory.with_name(directory.name + f".building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    store = ox.Store(str(building))
    load_nquads(store, nquads)
    store.optimize()
    store.flush()
    del store  # closes RocksDB before the directory moves
    (building / _MARKER).write_text(json.dumps(_fingerprint(nquads)))
    if directory.exists():
        shutil.rmtree(directory)
    building.rename(directory)
    return directory


def open_read_only(directory: Path) -> ox.Store:
    """A read-only handle on a prepared store (many processes may hold one)."""
    return ox.Store.read_only(str(directory))


@dataclass(frozen=True)
class Version:
    """A write-log entry for workers on the shared store: from now on read checkpoint
    ``number``, complete at ``path``, which holds every write accepted so far."""
    number: int
    path: str


def newest(entries: list) -> Version | None:
    """The last checkpoint among a worker's pending log entries (the others are older)."""
    versions = [entry for entry in entries if isinstance(entry, Version)]
    return versions[-1] if versions else None


def open_writable(source: Path, work: Path) -> ox.Store:
    """The writer's store: a fresh checkpoint of ``source`` (the prepared store or the
    newest version) at ``work``, opened read-write. Whatever ``work`` held is dropped:
    a write that failed half way may have left it there."""
    shutil.rmtree(work, ignore_errors=True)
    ox.Store.read_only(str(source)).backup(str(work))
    return ox.Store(str(work))


def replace_graphs(store: ox.Store, graphs: dict) -> None:
    """Make named graphs equal to N-Triples bytes (None drops one), writing only the
    quads that differ: RocksDB rewrites nothing else, so a checkpoint after the write
    adds files the size of the change, not of the graph (the inferred graph, published
    whole after every contribution, changes by a few triples).

    The two sides are compared as lines in pyoxigraph's own N-Triples form, so the
    same triple spelt differently compares equal."""
    for iri, data in graphs.items():
        name = ox.NamedNode(iri)
        if not data:
            store.remove_graph(name)
            continue
        old = set(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name).splitlines())
        new = set(ox.serialize(ox.parse(data, format=ox.RdfFormat.N_TRIPLES),
                               format=ox.RdfFormat.N_TRIPLES).splitlines())
        removed, added = b"\n".join(old - new), b"\n".join(new - old)
        del old, new
        for t in ox.parse(removed, format=ox.RdfFormat.N_TRIPLES):
            store.remove(ox.Quad(t.subject, t.predicate, t.object, name))
        store.extend(ox.Quad(t.subject, t.predicate, t.object, name)
                     for t in ox.parse(added, format=ox.RdfFormat.N_TRIPLES))


def checkpoint(store: ox.Store, target: Path) -> None:
    """Make ``target`` a complete, independent copy of ``store`` as it is now (RocksDB
    flushes first, then hard-links its immutable files). Raises OSError."""
    store.backup(str(target))


class Versions:
    """One engine's write directories, ``<file>.oxigraph-writes/<id>/``: ``lock`` (held
    while the engine runs), ``work/`` (the writer's store) and ``v<N>/`` checkpoints.

    At most one checkpoint per worker it last read, one per worker it was last sent,
    and the newest exist at once (``retain``); each holds hard links to the files it
    shares with the others, so together they take the store's size plus what the
    writes and RocksDB's compactions rewrote since the oldest of them."""

    def __init__(self, base: Path):
        self.base = Path(base)
        parent = self.base.with_name(self.base.name + "-writes")
        parent.mkdir(exist_ok=True)
        _remove_abandoned(parent)
        self.root = parent / uuid.uuid4().hex
        self.root.mkdir()
        # Locked before it gets the name another engine's sweep looks for.
        self._lock_file = open(self.root / "lock.new", "w")  # noqa: SIM115 (held until close)
        fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        (self.root / "lock.new").rename(self.root / "lock")
        self.work = self.root / "work"
        self.count = 0
        self._deleting = threading.Lock()

    def next_path(self) -> tuple[int, Path]:
        """The number and directory of the next checkpoint (not created yet)."""
        self.count += 1
        return self.count, self.root / f"v{self.count:08d}"

    def retain(self, keep: set[str]) -> None:
        """Delete every checkpoint whose path is not in ``keep``, except the last one
        handed out by ``next_path``, which may be being made right now."""
        with self._deleting:
            for directory in self.root.glob("v*"):
                if str(directory) not in keep and int(directory.name[1:]) < self.count:
                    shutil.rmtree(directory, ignore_errors=True)

    def checkpoints(self) -> list[Path]:
        return sorted(self.root.glob("v*"))

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self._lock_file.close()


def _remove_abandoned(parent: Path) -> None:
    """Remove the directories of engines that are gone: their lock is free."""
    for root in parent.iterdir():
        try:
            handle = os.open(root / "lock", os.O_RDONLY)
        except OSError:
            continue  # no lock yet: an engine being set up
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a running engine's
        finally:
            os.close(handle)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":  # python -m caonto.engine.disk_store FILE.nq DIRECTORY (see prepare)
    prepare(Path(sys.argv[1]), Path(sys.argv[2]), in_subprocess=False)
