"""A directory of files that change all-or-nothing and survive a crash at any moment.

A commit is a set of file writes and deletions. It is first written as one journal
record (``journal``: a SHA-256 line, then JSON), fsynced and renamed into place — that
rename is the commit point. Then each file is written to a temporary name, fsynced and
renamed, deletions are unlinked, the directory is fsynced, and the record is removed.

On open, a record left by a crash is replayed whole (the writes are idempotent); a
record that fails its checksum was never committed and is discarded. So after any crash
the files hold either all of a commit or none of it.

Only one process may hold a directory: ``JournalDir`` takes an exclusive ``flock`` on
``lock`` and raises ``DirectoryBusy`` when another process has it.
"""

import base64
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

_RECORD = "journal"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class DirectoryBusy(RuntimeError):
    """Another process holds the directory's lock."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, payload: bytes) -> None:
    """Write ``payload`` to a temporary file, fsync it and rename it over ``path``.

    The caller fsyncs the directory (once for many files)."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def check_name(name: str) -> str:
    """``name`` if it is a plain file name we accept; ValueError otherwise (no paths)."""
    if not _SAFE_NAME.match(name) or name.endswith(".tmp") or name in (_RECORD, "lock"):
        raise ValueError(f"not an acceptable file name: {name!r}")
    return name


class JournalDir:
    """Files in ``root`` changed only through ``commit``; see the module docstring."""

    def __init__(self, root: Path, writable: bool = True):
        """Open ``root``; ``writable`` takes its lock (DirectoryBusy if held elsewhere) and
        finishes an interrupted commit. A read-only opening creates nothing, and finishes
        an interrupted commit only if the lock happens to be free."""
        self.root, self.writable, self._lock = Path(root), writable, None
        self.recovered = self._failed = ""
        if writable:
            if not self.root.is_dir():
                self.root.mkdir(parents=True)
                _fsync_dir(self.root.parent)  # the new directory's own entry, durably
        elif not self.root.is_dir():
            return
        try:
            self._take_lock()
        except DirectoryBusy:
            if writable:
                raise
            return
        self.recovered = self._recover()
        if not writable:
            self.close()

    def _take_lock(self) -> None:
        handle = open(self.root / "lock", "a+b")  # noqa: SIM115 — held until close()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DirectoryBusy(f"{self.root} is in use by another caonto server") from None
        self._lock = handle

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None

    def __enter__(self) -> "JournalDir":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def names(self) -> list[str]:
        """The committed files, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_file() and _SAFE_NAME.match(p.name)
                      and not p.name.endswith(".tmp") and p.name not in (_RECORD, "lock"))

    def read(self, name: str) -> bytes:
        return (self.root / check_name(name)).read_bytes()

    def commit(self, changes: Mapping[str, bytes | None]) -> None:
        """Apply ``changes`` (name → new content, or None to delete) all-or-nothing.

        Returns once everything is on disk. Raises ValueError for a bad name (before
        anything is written) and OSError when the disk refuses; after an OSError past
        the commit point the record stays and is replayed on the next open.
        """
        if not changes:
            return
        if self._lock is None:
            raise PermissionError(f"{self.root} was opened read-only (or closed)")
        if self._failed:
            raise OSError(f"{self.root}: an earlier commit failed half-applied ({self._failed});"
                          " restart to replay it before writing again")
        for name in changes:
            check_name(name)
        body = json.dumps({name: None if data is None else base64.b64encode(data).decode()
                           for name, data in sorted(changes.items())}).encode()
        record = hashlib.sha256(body).hexdigest().encode() + b"\n" + body
        _write_durably(self.root / _RECORD, record)
        _fsync_dir(self.root)  # the commit point: the record is durably in place
        try:
            self._apply(changes)
        except OSError as error:
            # The record stays for the next open; a new commit now would overwrite it.
            self._failed = str(error)
            raise

    def _apply(self, changes: Mapping[str, bytes | None]) -> None:
        for name, data in changes.items():
            path = self.root / name
            if data is None:
                path.unlink(missing_ok=True)
            else:
                _write_durably(path, data)
        _fsync_dir(self.root)
        (self.root / _RECORD).unlink()
        _fsync_dir(self.root)

    def _recover(self) -> str:
        """Finish or drop a commit interrupted by a crash; say which ("" when none)."""
        for stale in self.root.glob("*.tmp"):
            stale.unlink()
        path = self.root / _RECORD
        if not path.exists():
            return ""
        raw = path.read_bytes()
        digest, _, body = raw.partition(b"\n")
        if hashlib.sha256(body).hexdigest().encode() != digest:
            path.unlink()
            _fsync_dir(self.root)
            return "discarded"
        changes = {check_name(name): None if data is None else base64.b64decode(data)
                   for name, data in json.loads(body).items()}
        self._apply(changes)
        return "replayed"
