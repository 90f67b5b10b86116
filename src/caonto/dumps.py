"""The dataset's dumps besides its N-Quads file: TriG (every named graph) and Turtle (the
union as one graph), each written from the N-Quads bytes and named by their SHA-256.

``caonto build`` writes them next to the N-Quads file. A server serves the ones that
belong to the bytes it serves (``Dumps``): it takes the build's where they match, and
writes the others in a background thread at start, never while a request waits. The
same N-Quads bytes give the same dump bytes (blank node labels are kept, Turtle's
triples are sorted).
"""

import hashlib
import logging
import os
import shutil
import threading
from pathlib import Path

import pyoxigraph as ox

from caonto.namespaces import PREFIXES

log = logging.getLogger(__name__)

SPDX = "http://spdx.org/rdf/terms#"
DCT = "http://purl.org/dc/terms/"
DUMP_PREFIXES = {**PREFIXES, "spdx": SPDX, "dcterms": DCT}
FORMATS = {"trig": ox.RdfFormat.TRIG, "ttl": ox.RdfFormat.TURTLE}  # besides "nq" itself


def render(nquads: Path, extension: str) -> bytes:
    """The dump ``extension`` ("trig" or "ttl") of the N-Quads file ``nquads``."""
    rdf_format = FORMATS[extension]
    quads = ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    if rdf_format.supports_datasets:
        return ox.serialize(quads, format=rdf_format, prefixes=DUMP_PREFIXES)
    triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
    return ox.serialize(triples, format=rdf_format, prefixes=DUMP_PREFIXES)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write(nquads: Path, target: Path, extension: str) -> str:
    """Write the dump to ``target`` (atomically: a reader sees all of it or none) and
    return its SHA-256."""
    payload = render(nquads, extension)
    temporary = target.with_name(f".incoming-{os.getpid()}-{threading.get_ident()}-{target.name}")
    temporary.write_bytes(payload)
    temporary.replace(target)
    return hashlib.sha256(payload).hexdigest()


class Dumps:
    """The dumps of one served N-Quads file (``nquads``, whose SHA-256 is ``sha256``):
    which are ready, where, and the SHA-256 of their bytes.

    Each lives in ``<nquads dir>/dumps/caonto-<sha256[:16]>.<ext>`` and never changes
    once there. ``built`` maps an extension to (file, SHA-256) of a dump ``caonto build``
    wrote from these same bytes, as its manifest says: it is linked (or copied) into
    place at once, and kept only if its bytes still have that SHA-256 (a later build may
    have replaced the file). ``start`` writes the rest in a background thread; until
    then ``ready`` says None for them."""

    def __init__(self, nquads: Path, sha256: str,
                 built: dict[str, tuple[Path, str]] | None = None):
        self.directory = nquads.parent / "dumps"
        self.directory.mkdir(parents=True, exist_ok=True)
        self._nquads, self._prefix = nquads, f"caonto-{sha256[:16]}"
        self._ready: dict[str, tuple[Path, str]] = {"nq": (nquads, sha256)}
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.failures: dict[str, str] = {}
        for extension in FORMATS:
            target, digest = self.path(extension), None
            source, expected = (built or {}).get(extension, (None, None))
            if not target.is_file() and source is not None and source.is_file():
                _link_or_copy(source, target)
                digest = file_sha256(target)
                if digest != expected:  # replaced since: not of our bytes
                    target.unlink()
            if target.is_file():  # from the build, or written by an earlier start
                self._ready[extension] = (target, digest or file_sha256(target))

    def path(self, extension: str) -> Path:
        return self.directory / f"{self._prefix}.{extension}"

    def ready(self, extension: str) -> tuple[Path, str] | None:
        """(file, SHA-256 of its bytes) once the dump is written, else None."""
        with self._lock:
            return self._ready.get(extension)

    def missing(self) -> list[str]:
        """The dumps not written yet (those that failed included)."""
        with self._lock:
            return [extension for extension in FORMATS if extension not in self._ready]

    def pending(self) -> list[str]:
        """The dumps still being written: missing, and not failed."""
        return [extension for extension in self.missing() if extension not in self.failures]

    def start(self) -> threading.Thread | None:
        """Write the missing dumps in a daemon thread (None when nothing is missing)."""
        if not self.missing():
            self._done.set()
            return None
        thread = threading.Thread(target=self._write_missing, name="caonto-dumps", daemon=True)
        thread.start()
        return thread

    def wait(self, timeout: float | None = None) -> bool:
        """Whether every dump was attempted within ``timeout`` seconds."""
        return self._done.wait(timeout)

    def _write_missing(self) -> None:
        try:
            for extension in self.missing():
                try:
                    digest = write(self._nquads, self.path(extension), extension)
                except Exception as error:  # noqa: BLE001 (logged; the dump stays unlisted)
                    self.failures[extension] = f"{type(error).__name__}: {error}"
                    log.error("writing the %s dump failed: %s", extension, error)
                    continue
                with self._lock:
                    self._ready[extension] = (self.path(extension), digest)
        finally:
            self._done.set()


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link when the file system allows (the build replaces its files by renaming,
    never in place, so the link keeps these bytes), else a copy; atomically."""
    temporary = target.with_name(f".incoming-{os.getpid()}-{target.name}")
    temporary.unlink(missing_ok=True)
    try:
        os.link(source, temporary)
    except OSError:
        shutil.copyfile(source, temporary)
    temporary.replace(target)
