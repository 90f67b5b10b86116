"""``caonto export --with-contributions`` writes the stored contributed graphs too."""

from datetime import datetime, timezone

from rdflib import Dataset, Graph, URIRef

from caonto.cli import main
from caonto.contrib.storage import GRAPH_CONTRIB_LOG, GraphMeta, GraphStorage
from tests.contrib_samples import ALICE, CONTRIB, membership, triples


def test_export_with_contributions_adds_each_graph_and_the_log(tmp_path, monkeypatch):
    directory = tmp_path / "contrib"
    when = datetime(2026, 11, 25, tzinfo=timezone.utc)
    with GraphStorage(directory) as storage:
        storage.commit({CONTRIB + "ex": (Graph().parse(data=membership("ex"), format="turtle"),
                                         GraphMeta((ALICE,), when, when))})
    monkeypatch.setenv("CAONTO_CONTRIB_DIR", str(directory))
    out = tmp_path / "all.nq"
    assert main(["export", "--with-contributions", "--format", "nq", "-o", str(out)]) == 0
    dataset = Dataset()
    dataset.parse(out, format="nquads")
    assert set(dataset.graph(URIRef(CONTRIB + "ex"))) == triples(membership("ex"))
    assert (URIRef(CONTRIB + "ex"), None, URIRef(ALICE)) in dataset.graph(GRAPH_CONTRIB_LOG)
    plain = tmp_path / "plain.nq"
    assert main(["export", "--format", "nq", "-o", str(plain)]) == 0
    assert CONTRIB.encode() not in plain.read_bytes()
