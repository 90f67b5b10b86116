"""A directory of files that change all-or-nothing and survive a crash at any moment.

A commit is a set of file writes and deletions. It is first written as one journal
record (``journal``: a SHA-256 line, then JSON), fsynced and renamed into place — that
rename is the commit point. Then each file is written to a temporary name, fsynced and
renamed, deletions are unlinked, the directory is fsynced, and the record is removed.

On open, a record left by a crash is replayed whole (the writes are idempotent); a
record that fails its checksum was never committed: it is moved aside to
``rejected/journal-<time>`` and a warning says so. So after any crash the files hold
either all of a commit or none of it.

When the disk refuses a write (full, read-only) before the commit point, the commit
fails and nothing changed. Past the commit point the commit stands: its record stays,
``names``/``read`` already show its changes, and the next commit (or open) finishes it
before doing anything else, so writes resume as soon as the disk has room again. Every
error names the path it concerns.

Only one process may hold a directory: ``JournalDir`` takes an exclusive ``flock`` on
``lock`` and raises ``DirectoryBusy`` when another process has it.
"""

import base64
import binascii
import fcntl
import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

log = logging.getLogger(__name__)

_RECORD = "journal"
_REJECTED = "rejected"  # a subdirectory: records that failed their checksum
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")

Changes = Mapping[str, bytes | None]


class DirectoryBusy(RuntimeError):
    """Another process holds the directory's lock."""


class StorageError(RuntimeError):
    """A file in the directory cannot be read back as what it should hold; the message is
    one line naming the file."""


def _naming(error: OSError, path: Path) -> OSError:
    """``error`` with ``path`` in its message (fsync and write errors carry none)."""
    return OSError(error.errno, error.strerror or str(error), str(path))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as error:
        raise _naming(error, path) from None


def _write_durably(path: Path, payload: bytes) -> None:
    """Write ``payload`` to a temporary file, fsync it and rename it over ``path``; on
    failure remove the temporary file (it would hold on to the space) and name ``path``.

    The caller fsyncs the directory (once for many files)."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise _naming(error, path) from None


def _encode(changes: Changes) -> bytes:
    body = json.dumps({name: None if data is None else base64.b64encode(data).decode()
                       for name, data in sorted(changes.items())}).encode()
    return hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def _decode(raw: bytes, source: Path) -> dict[str, bytes | None] | None:
    """The changes of a record; None when it fails its checksum (it was never committed);
    StorageError when it passes but does not hold what caonto writes."""
    digest, _, body = raw.partition(b"\n")
    if hashlib.sha256(body).hexdigest().encode() != digest:
        return None
    try:
        entries = json.loads(body)
        if not isinstance(entries, dict):
            raise ValueError("not a JSON object")
        return {check_name(name): None if data is None else base64.b64decode(data, validate=True)
                for name, data in entries.items()}
    except (ValueError, TypeError, binascii.Error) as error:
        raise StorageError(f"{source}: the journal record passes its checksum but cannot "
                           f"be read ({error}); move it aside to start") from None


def check_name(name: str) -> str:
    """``name`` if it is a plain file name we accept; ValueError otherwise (no paths)."""
    if not _SAFE_NAME.match(name) or name.endswith(".tmp") or name in (_RECORD, "lock"):
        raise ValueError(f"not an acceptable file name: {name!r}")
    return name


class JournalDir:
    """Files in ``root`` changed only through ``commit``; see the module docstring."""

    def __init__(self, root: Path, writable: bool = True):
        """Open ``root``; ``writable`` takes its lock (DirectoryBusy if held elsewhere) and
        finishes an interrupted commit. A read-only opening creates and changes nothing:
        it reads an interrupted commit's record and shows its changes."""
        self.root, self.writable, self._lock = Path(root), writable, None
        self.recovered = ""
        self._pending: dict[str, bytes | None] = {}  # committed, not yet in the files
        if writable:
            if not self.root.is_dir():
                self.root.mkdir(parents=True)
                _fsync_dir(self.root.parent)  # the new directory's own entry, durably
            self._take_lock()
            try:
                self.recovered = self._recover()
            except BaseException:
                self.close()
                raise
        elif self.root.is_dir():
            raw = self._record_bytes()
            self._pending = (_decode(raw, self.root / _RECORD) or {}) if raw else {}

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
        """The committed files, sorted (a commit not yet applied to the files included)."""
        present = set()
        if self.root.is_dir():
            present = {p.name for p in self.root.iterdir()
                       if p.is_file() and _SAFE_NAME.match(p.name)
                       and not p.name.endswith(".tmp") and p.name not in (_RECORD, "lock")}
        for name, data in self._pending.items():
            (present.discard if data is None else present.add)(name)
        return sorted(present)

    def read(self, name: str) -> bytes:
        if name in self._pending:
            data = self._pending[name]
            if data is None:
                raise FileNotFoundError(2, "deleted by a committed change", str(self.root / name))
            return data
        path = self.root / check_name(name)
        try:
            return path.read_bytes()
        except OSError as error:
            raise _naming(error, path) from None

    @property
    def pending(self) -> bool:
        """Whether a committed change still waits to be written to the files."""
        return bool(self._pending)

    def commit(self, changes: Changes) -> None:
        """Apply ``changes`` (name → new content, or None to delete) all-or-nothing.

        Returns once the change is durable. Raises ValueError for a bad name (before
        anything is written) and OSError, naming the path, when the disk refuses before
        the commit point — then nothing changed. A refusal after the commit point is
        logged and the commit stands (see the module docstring).
        """
        if not changes:
            return
        if self._lock is None:
            raise PermissionError(f"{self.root} was opened read-only (or closed)")
        for name in changes:
            check_name(name)
        self.finish_pending()
        record = self.root / _RECORD
        _write_durably(record, _encode(changes))
        try:
            _fsync_dir(self.root)  # the commit point: the record is durably in place
        except OSError:
            record.unlink(missing_ok=True)  # not known to be durable: not committed
            raise
        self._pending = dict(changes)
        self.finish_pending(raise_errors=False)

    def finish_pending(self, raise_errors: bool = True) -> None:
        """Write a committed change that the disk refused earlier into the files."""
        if not self._pending:
            return
        try:
            self._apply(self._pending)
        except OSError as error:
            if raise_errors:
                raise
            log.warning("committed, but not yet written to the files (the next write "
                        "retries): %s", error)
            return
        self._pending = {}

    def _apply(self, changes: Changes) -> None:
        for name, data in changes.items():
            path = self.root / name
            if data is None:
                try:
                    path.unlink(missing_ok=True)
                except OSError as error:
                    raise _naming(error, path) from None
            else:
                _write_durably(path, data)
        _fsync_dir(self.root)
        (self.root / _RECORD).unlink()
        _fsync_dir(self.root)

    def _record_bytes(self) -> bytes | None:
        path = self.root / _RECORD
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise _naming(error, path) from None

    def _recover(self) -> str:
        """Finish or set aside a commit interrupted by a crash; say which ("" when none)."""
        for stale in self.root.glob("*.tmp"):
            stale.unlink()
        raw = self._record_bytes()
        if raw is None:
            return ""
        changes = _decode(raw, self.root / _RECORD)
        if changes is None:
            aside = self.root / _REJECTED / datetime.now(timezone.utc).strftime(
                "journal-%Y%m%dT%H%M%S.%fZ")
            aside.parent.mkdir(exist_ok=True)
            os.replace(self.root / _RECORD, aside)
            _fsync_dir(self.root)
            log.warning("%s failed its checksum, so it was never committed (a crash while "
                        "it was written); moved it to %s, no file changed",
                        self.root / _RECORD, aside)
            return "discarded"
        self._pending = changes
        self.finish_pending(raise_errors=False)
        return "replayed"
