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

A read-only store cannot take writes; ``writable_copy`` gives a worker the in-memory
store it needs before it replays its first write (contributions), after which that
worker holds its own copy as before.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox

_MARKER = "caonto-source.json"


def _fingerprint(nquads: Path) -> dict:
    stat = nquads.stat()
    with open(nquads, "rb") as handle:
        head = hashlib.sha256(handle.read(1 << 20)).hexdigest()
    return {"file": nquads.name, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "head_sha256": head, "pyoxigraph": ox.__version__}


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
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
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


def writable_copy(nquads: Path) -> ox.Store:
    """An in-memory store loaded from ``nquads``: what a worker switches to before it
    applies a write, since the shared store is read-only."""
    store = ox.Store()
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    return store


if __name__ == "__main__":  # python -m caonto.engine.disk_store FILE.nq DIRECTORY (see prepare)
    prepare(Path(sys.argv[1]), Path(sys.argv[2]), in_subprocess=False)
