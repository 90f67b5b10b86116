"""The journal directory and the per-graph TriG files, on real files."""

import hashlib
import json
import re
from datetime import datetime, timezone

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from caonto.contrib.journal import DirectoryBusy, JournalDir
from caonto.contrib.storage import GraphMeta, GraphStorage, StorageError, contributed_graph_name, to_trig
from tests.contrib_samples import ALICE, BOB, CONTRIB, membership


def write_record(root, changes: dict, corrupt: bool = False) -> None:
    """A journal record as a crash after the commit point (or during its write) leaves it."""
    import base64

    body = json.dumps({k: None if v is None else base64.b64encode(v).decode()
                       for k, v in changes.items()}).encode()
    digest = hashlib.sha256(body).hexdigest().encode()
    (root / "journal").write_bytes(digest + b"\n" + (body[:-5] if corrupt else body))


def test_commit_writes_and_deletes_all_files(tmp_path):
    with JournalDir(tmp_path) as journal:
        assert journal.recovered == ""  # nothing to recover
        journal.commit({"a.trig": b"A", "b.trig": b"B"})
        journal.commit({"a.trig": None, "b.trig": b"B2"})
        assert journal.names() == ["b.trig"]
        assert journal.read("b.trig") == b"B2"
    assert not (tmp_path / "journal").exists()


def test_a_committed_record_is_replayed_whole_on_open(tmp_path):
    (tmp_path / "old.trig").write_bytes(b"old")
    (tmp_path / "half.trig").write_bytes(b"new-half")  # the crash came mid-apply
    (tmp_path / "x.trig.tmp").write_bytes(b"junk")
    write_record(tmp_path, {"half.trig": b"new-half", "other.trig": b"new-other",
                            "old.trig": None})
    with JournalDir(tmp_path) as journal:
        assert journal.recovered == "replayed"
        assert journal.names() == ["half.trig", "other.trig"]
        assert journal.read("other.trig") == b"new-other"
    assert not list(tmp_path.glob("*.tmp")) and not (tmp_path / "journal").exists()


def test_a_torn_record_is_moved_aside_logged_and_nothing_changes(tmp_path, caplog):
    (tmp_path / "keep.trig").write_bytes(b"keep")
    write_record(tmp_path, {"keep.trig": None, "new.trig": b"new"}, corrupt=True)
    torn = (tmp_path / "journal").read_bytes()
    with JournalDir(tmp_path) as journal:
        assert journal.recovered == "discarded"
        assert journal.names() == ["keep.trig"]
    aside = list((tmp_path / "rejected").iterdir())
    assert [p.read_bytes() for p in aside] == [torn]  # kept for a human to look at
    assert not (tmp_path / "journal").exists()
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [(
        "WARNING", f"{tmp_path / 'journal'} failed its checksum, so it was never committed (a "
                   f"crash while it was written); moved it to {aside[0]}, no file changed")]


def test_torn_records_are_each_kept_under_the_utc_time_they_were_found(tmp_path, monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Asia/Almaty")  # a local time that is not UTC
    time.tzset()
    try:
        for change in ({"a.trig": b"A"}, {"b.trig": b"B"}):
            write_record(tmp_path, change, corrupt=True)
            with JournalDir(tmp_path) as journal:
                assert journal.recovered == "discarded"
    finally:
        monkeypatch.undo()
        time.tzset()
    aside = sorted(p.name for p in (tmp_path / "rejected").iterdir())
    assert len(aside) == 2 and all(re.fullmatch(r"journal-\d{8}T\d{6}\.\d{6}Z", n) for n in aside)
    found = datetime.strptime(aside[0], "journal-%Y%m%dT%H%M%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs(datetime.now(timezone.utc) - found).total_seconds() < 3600  # UTC, not +5 h


def test_a_checksummed_record_that_is_not_caontos_is_a_one_line_storage_error(tmp_path):
    body = b'{"a.trig": "not base64!"}'
    (tmp_path / "journal").write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    with pytest.raises(StorageError) as caught:
        JournalDir(tmp_path)
    message = str(caught.value)
    assert "\n" not in message and str(tmp_path / "journal") in message
    assert (tmp_path / "journal").exists()  # left for a human to look at


@pytest.mark.parametrize("body, problem", [
    (b'{"a.trig": "QUJD!"}', "cannot be read"),  # b"ABC" if the "!" were skipped
    (b'["a.trig"]', "not a JSON object"),
    (b'{"../a.trig": null}', "not an acceptable file name: '../a.trig'"),
])
def test_a_checksummed_record_with_bad_content_is_refused_not_guessed_at(tmp_path, body, problem):
    (tmp_path / "journal").write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    for writable in (False, True):
        with pytest.raises(StorageError, match=problem) as caught:
            JournalDir(tmp_path, writable)
        assert str(caught.value).startswith(f"{tmp_path / 'journal'}: ")
    assert [p.name for p in tmp_path.iterdir() if p.name != "lock"] == ["journal"]


def test_a_record_is_one_checksum_line_then_json_that_may_span_lines(tmp_path):
    body = json.dumps({"a.trig": "QQ==", "gone.trig": None}, indent=1).encode()
    (tmp_path / "gone.trig").write_bytes(b"old")
    (tmp_path / "journal").write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    with JournalDir(tmp_path) as journal:
        assert journal.recovered == "replayed" and journal.names() == ["a.trig"]
    assert (tmp_path / "a.trig").read_bytes() == b"A" and not (tmp_path / "gone.trig").exists()


def test_reading_a_missing_file_names_it(tmp_path):
    import errno

    with JournalDir(tmp_path) as journal, pytest.raises(FileNotFoundError) as caught:
        journal.read("absent.trig")
    assert caught.value.errno == errno.ENOENT
    assert caught.value.strerror == "No such file or directory"
    assert caught.value.filename == str(tmp_path / "absent.trig")


def test_a_read_only_opening_shows_a_pending_commit_and_changes_nothing(tmp_path):
    import errno

    (tmp_path / "gone.trig").write_bytes(b"old")
    (tmp_path / "new.trig.tmp").write_bytes(b"ne")  # the crash came mid-write
    write_record(tmp_path, {"gone.trig": None, "new.trig": b"new"})
    record = (tmp_path / "journal").read_bytes()
    reader = JournalDir(tmp_path, writable=False)
    assert reader.pending and reader.names() == ["new.trig"] and reader.recovered == ""
    assert reader.read("new.trig") == b"new"
    with pytest.raises(FileNotFoundError) as caught:
        reader.read("gone.trig")
    assert (caught.value.errno, caught.value.strerror, caught.value.filename) == (
        errno.ENOENT, "deleted by a committed change", str(tmp_path / "gone.trig"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gone.trig", "journal", "new.trig.tmp"]
    assert (tmp_path / "journal").read_bytes() == record


def test_a_read_only_opening_of_a_missing_directory_creates_nothing(tmp_path):
    reader = JournalDir(tmp_path / "absent", writable=False)
    assert reader.names() == [] and not reader.pending and reader.recovered == ""
    assert not (tmp_path / "absent").exists()


def test_a_writable_opening_creates_the_directory_and_its_parents(tmp_path):
    with JournalDir(tmp_path / "var" / "contrib") as journal:
        journal.commit({"a.trig": b"A"})
    assert (tmp_path / "var" / "contrib" / "a.trig").read_bytes() == b"A"


def test_a_graph_file_with_a_bad_date_is_a_one_line_storage_error(tmp_path):
    when = datetime(2026, 11, 25, tzinfo=timezone.utc)
    data = to_trig(CONTRIB + "d", Graph().parse(data=membership("d"), format="turtle"),
                   GraphMeta((ALICE,), when, when))
    body = data.split(b"\n", 1)[1].replace(b"2026-11-25T00:00:00+00:00", b"2026-13-45T00:00:00")
    (tmp_path / "d.trig").write_bytes(
        b"# sha256 " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    with GraphStorage(tmp_path) as storage, pytest.raises(StorageError) as caught:
        storage.load()
    assert "\n" not in str(caught.value) and str(tmp_path / "d.trig") in str(caught.value)
    assert "2026-13-45" in str(caught.value)


def test_a_flipped_byte_that_keeps_the_syntax_is_caught_by_the_file_checksum(tmp_path):
    when = datetime(2026, 11, 25, tzinfo=timezone.utc)
    with GraphStorage(tmp_path) as storage:
        storage.commit({CONTRIB + "f": (Graph().parse(data=membership("f"), format="turtle"),
                                        GraphMeta((ALICE,), when, when, ALICE))})
        assert CONTRIB + "f" in storage.load()
    path = tmp_path / "f.trig"
    path.write_bytes(path.read_bytes().replace(b"2001-06-15", b"2001-06-16"))  # still valid
    with GraphStorage(tmp_path) as storage, pytest.raises(StorageError, match="checksum"):
        storage.load()


def test_one_writer_per_directory(tmp_path):
    first = JournalDir(tmp_path)
    with pytest.raises(DirectoryBusy, match=f"^{re.escape(str(tmp_path))} is in use by another"):
        JournalDir(tmp_path)
    reader = JournalDir(tmp_path, writable=False)  # readers may still look
    with pytest.raises(PermissionError, match=f"^{re.escape(str(tmp_path))} was opened read-only"):
        reader.commit({"a.trig": b"A"})
    first.close()
    JournalDir(tmp_path).close()


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "journal", "lock", "x.tmp", ""])
def test_unsafe_names_are_refused_before_anything_is_written(tmp_path, name):
    with JournalDir(tmp_path) as journal:
        with pytest.raises(ValueError):
            journal.commit({"fine.trig": b"F", name: b"X"})
        assert journal.names() == []


def test_graph_names_outside_the_prefix_or_unsafe_are_refused():
    assert contributed_graph_name(CONTRIB + "my-graph.v2") == "my-graph.v2"
    for bad in ("https://w3id.org/caonto/graph/essay", CONTRIB + "a/b", CONTRIB + "",
                CONTRIB + "..", CONTRIB + "x y"):
        with pytest.raises(ValueError):
            contributed_graph_name(bad)


def test_trig_files_round_trip_content_blank_nodes_and_provenance(tmp_path):
    content = Graph().parse(data=membership("rt"), format="turtle")
    node = BNode()
    content.add((URIRef("https://w3id.org/caonto/id/membership-rt"),
                 URIRef("https://w3id.org/caonto/def/curatorNote"), node))
    content.add((node, URIRef("http://www.w3.org/2000/01/rdf-schema#comment"),
                 Literal("Қазақ тілі", lang="kk")))
    when = datetime(2026, 11, 25, 18, 0, tzinfo=timezone.utc)
    meta = GraphMeta((ALICE, BOB), when, when)
    with GraphStorage(tmp_path) as storage:
        storage.commit({CONTRIB + "rt": (content, meta)})
        text = (tmp_path / "rt.trig").read_text(encoding="utf-8")
        assert "Қазақ тілі" in text and "prov:wasAttributedTo" in text  # readable as it is
        loaded_content, loaded_meta = storage.load()[CONTRIB + "rt"]
    assert isomorphic(loaded_content, content)
    assert loaded_meta == meta


def test_a_file_holding_another_graph_is_an_error(tmp_path):
    when = datetime(2026, 11, 25, tzinfo=timezone.utc)
    data = to_trig(CONTRIB + "one", Graph().parse(data=membership("x"), format="turtle"),
                   GraphMeta((ALICE,), when, when))
    (tmp_path / "two.trig").write_bytes(data)
    with GraphStorage(tmp_path) as storage, pytest.raises(StorageError):
        storage.load()


def test_a_commit_refused_past_its_commit_point_stands_and_finishes_once_it_can(tmp_path,
                                                                                caplog):
    with JournalDir(tmp_path) as journal:
        (tmp_path / "blocked.trig").mkdir()  # renaming a file over a directory fails
        journal.commit({"a.trig": b"A", "blocked.trig": b"B"})  # committed: no error
        [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
        assert warning.getMessage().startswith("committed, but not yet written to the files "
                                               "(the next write retries): ")
        assert str(tmp_path / "blocked.trig") in warning.getMessage()
        record = (tmp_path / "journal").read_bytes()  # kept for replay
        assert journal.pending and journal.names() == ["a.trig", "blocked.trig"]
        assert journal.read("blocked.trig") == b"B"
        with pytest.raises(OSError) as caught:  # it must finish before another commit
            journal.commit({"c.trig": b"C"})
        assert str(tmp_path / "blocked.trig") in str(caught.value)
        assert (tmp_path / "journal").read_bytes() == record and not (tmp_path / "c.trig").exists()
        (tmp_path / "blocked.trig").rmdir()  # the operator clears the way; no restart
        journal.commit({"c.trig": b"C"})
        assert not journal.pending and not (tmp_path / "journal").exists()
        assert {p.name: p.read_bytes() for p in tmp_path.glob("*.trig")} == {
            "a.trig": b"A", "blocked.trig": b"B", "c.trig": b"C"}


def test_a_write_that_cannot_start_names_the_file_it_was_for(tmp_path):
    import shutil

    root = tmp_path / "contrib"
    with JournalDir(root) as journal:
        shutil.rmtree(root)  # removed from under the server
        with pytest.raises(FileNotFoundError) as caught:
            journal.commit({"a.trig": b"A"})
        assert caught.value.filename == str(root / "journal")  # not its temporary name


def test_a_closed_directory_takes_no_more_commits(tmp_path):
    journal = JournalDir(tmp_path)
    journal.close()
    with pytest.raises(PermissionError, match="closed"):
        journal.commit({"a.trig": b"A"})
    assert [p.name for p in tmp_path.iterdir()] == ["lock"]


def test_an_unreadable_record_stops_the_opening_names_it_and_frees_the_lock(tmp_path):
    import errno

    (tmp_path / "journal").mkdir()
    with pytest.raises(OSError) as caught:
        JournalDir(tmp_path)
    assert (caught.value.errno, caught.value.filename) == (errno.EISDIR, str(tmp_path / "journal"))
    (tmp_path / "journal").rmdir()
    JournalDir(tmp_path).close()  # the failed opening let go of the lock


def test_deleting_a_file_that_is_not_there_is_done_at_once(tmp_path):
    with JournalDir(tmp_path) as journal:
        journal.commit({"never.trig": None})
        assert not journal.pending and not (tmp_path / "journal").exists()


def test_a_deletion_refused_past_its_commit_point_is_retried_and_named(tmp_path):
    import errno

    with JournalDir(tmp_path) as journal:
        (tmp_path / "d.trig").mkdir()  # unlinking a directory fails
        journal.commit({"d.trig": None})  # committed: no error
        assert journal.pending
        with pytest.raises(OSError) as caught:
            journal.commit({"c.trig": b"C"})
        assert caught.value.errno == errno.EISDIR
        assert caught.value.filename == str(tmp_path / "d.trig")
        (tmp_path / "d.trig").rmdir()
        journal.commit({"c.trig": b"C"})
        assert not journal.pending and journal.names() == ["c.trig"]


def test_a_directory_fsync_refused_at_the_commit_point_commits_nothing(tmp_path, monkeypatch):
    import errno
    import os
    import stat

    real_fsync = os.fsync

    def failing_for_directories(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    with JournalDir(tmp_path) as journal:
        journal.commit({"a.trig": b"A"})
        monkeypatch.setattr(os, "fsync", failing_for_directories)
        with pytest.raises(OSError) as caught:
            journal.commit({"a.trig": b"B", "b.trig": b"B"})
        assert (caught.value.errno, caught.value.filename) == (errno.EIO, str(tmp_path))
        assert not journal.pending and journal.read("a.trig") == b"A"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.trig", "lock"]


def test_the_fsync_reaches_the_file_data_and_the_directory(tmp_path, monkeypatch):
    import os

    synced = []
    real_fsync = os.fsync

    def spy(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    with JournalDir(tmp_path) as journal:
        journal.commit({"a.trig": b"A"})
    assert str(tmp_path / "journal.tmp") in synced  # the record's data, before its rename
    assert str(tmp_path / "a.trig.tmp") in synced  # the file's data, before its rename
    assert synced.count(str(tmp_path)) >= 2  # the commit point, and the applied files


# ---- a full disk: a real, small filesystem ---------------------------------------------

@pytest.fixture()
def small_disk(tmp_path):
    """A 256 KiB tmpfs mounted for this test (as root; skipped otherwise)."""
    import os
    import subprocess

    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk, leave: int):
    """Fill ``disk`` up, then free about ``leave`` bytes; returns the filler file."""
    import os

    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
    os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def test_a_full_disk_refuses_before_the_commit_point_and_writes_resume_when_freed(small_disk):
    import errno

    root = small_disk / "contrib"
    with JournalDir(root) as journal:
        journal.commit({"a.trig": b"A"})
        filler = fill(small_disk, leave=0)
        with pytest.raises(OSError) as caught:
            journal.commit({"a.trig": b"B" * 20000})
        assert caught.value.errno == errno.ENOSPC and str(root / "journal") in str(caught.value)
        assert journal.names() == ["a.trig"] and journal.read("a.trig") == b"A"
        assert not list(root.glob("*.tmp")) and not (root / "journal").exists()
        filler.unlink()  # space freed: the same process writes again
        journal.commit({"a.trig": b"B" * 20000})
        assert (root / "a.trig").read_bytes() == b"B" * 20000


def test_a_full_disk_past_the_commit_point_keeps_the_commit_and_survives_a_restart(small_disk):
    import errno

    root = small_disk / "contrib"
    payload = bytes(range(256)) * 200  # 51 200 bytes; its record takes 4/3 of that
    JournalDir(root).close()
    filler = fill(small_disk, leave=100 * 1024)  # room for the record, not also the file
    with JournalDir(root) as journal:
        journal.commit({"big.trig": payload})  # durable in the record: it stands
        assert journal.pending and journal.read("big.trig") == payload
    with JournalDir(root) as journal:  # a restart on the still-full disk works too
        assert journal.pending and journal.names() == ["big.trig"]
        with pytest.raises(OSError) as caught:
            journal.commit({"small.trig": b"S"})
        assert caught.value.errno == errno.ENOSPC and str(root / "big.trig") in str(caught.value)
        filler.unlink()
        journal.commit({"small.trig": b"S"})
        assert not journal.pending
    assert (root / "big.trig").read_bytes() == payload and (root / "small.trig").read_bytes() == b"S"
