"""The synthetic graph used by tests and benchmarks: its graphs, its shape, determinism."""

import pyoxigraph as ox

from caonto.synthetic import generate

# two hops, as the benchmark's join query: state -> membership -> organisation's label
JOIN = """PREFIX cao: <https://w3id.org/caonto/def/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?state ?org ?label WHERE {
  ?state cao:hasMembership ?m . ?m cao:organization ?org . ?org rdfs:label ?label }"""


def test_synthetic_graph_has_the_served_graphs_and_the_queried_shape(tmp_path):
    path = tmp_path / "s.nq"
    counts = generate(2000, path)
    assert sum(counts.values()) >= 2000
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    assert {g.value for g in store.named_graphs()} == set(counts)
    joined = list(store.query(JOIN, use_default_graph_as_union=True))
    assert joined
    looked_up = store.query("SELECT * WHERE { <https://w3id.org/caonto/id/state-0-1> ?p ?o }",
                            use_default_graph_as_union=True)
    assert len(list(looked_up)) > 3
    assert generate(2000, tmp_path / "again.nq") == counts  # deterministic


def test_synthetic_inferred_graph_is_the_reasoners_closure(tmp_path):
    from rdflib import Dataset

    from caonto.inference import infer
    from caonto.namespaces import GRAPH_ESSAY, GRAPH_INFERRED, GRAPH_ONTOLOGY

    path = tmp_path / "s.nq"
    generate(2500, path)
    dataset = Dataset()
    dataset.parse(path, format="nquads")
    asserted = dataset.graph(GRAPH_ONTOLOGY) + dataset.graph(GRAPH_ESSAY)
    inferred = set(dataset.graph(GRAPH_INFERRED))
    assert inferred and inferred == set(infer(asserted))


def test_synthetic_graph_conforms_to_the_shapes(tmp_path):
    from rdflib import Dataset, Graph

    from caonto.validation import validate_graph

    path = tmp_path / "s.nq"
    generate(2000, path)
    dataset = Dataset()
    dataset.parse(path, format="nquads")
    union = Graph()
    for graph in dataset.graphs():
        union += graph
    report = validate_graph(union)
    assert report.conforms, [v.message for v in report.violations][:5]
