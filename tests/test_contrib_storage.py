"""The journal directory and the per-graph TriG files, on real files."""

import hashlib
import json
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


def test_a_torn_record_is_discarded_and_nothing_changes(tmp_path):
    (tmp_path / "keep.trig").write_bytes(b"keep")
    write_record(tmp_path, {"keep.trig": None, "new.trig": b"new"}, corrupt=True)
    with JournalDir(tmp_path) as journal:
        assert journal.recovered == "discarded"
        assert journal.names() == ["keep.trig"]


def test_one_writer_per_directory(tmp_path):
    first = JournalDir(tmp_path)
    with pytest.raises(DirectoryBusy):
        JournalDir(tmp_path)
    reader = JournalDir(tmp_path, writable=False)  # readers may still look
    with pytest.raises(PermissionError):
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


def test_after_a_half_applied_commit_no_new_commit_can_overwrite_its_record(tmp_path):
    with JournalDir(tmp_path) as journal:
        (tmp_path / "blocked.trig").mkdir()  # renaming a file over a directory fails
        with pytest.raises(OSError):
            journal.commit({"a.trig": b"A", "blocked.trig": b"B"})
        assert (tmp_path / "journal").exists()  # kept for replay
        with pytest.raises(OSError, match="restart"):
            journal.commit({"c.trig": b"C"})
        assert not (tmp_path / "c.trig").exists()
