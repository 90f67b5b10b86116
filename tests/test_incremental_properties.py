"""Random sequences of writes — graphs added to, trimmed, replaced and deleted — checked
incrementally give, after every step, exactly what the full ``pipeline.check`` gives on
the would-be dataset: the verdict, the violations, the inconsistencies, the inferred
graph, and the inferred change the write reports.

The base is the ontology with the essay's states, organisations and region (their own
triples from data/entities.ttl) and the shape fixtures' small essay and sentence, so a
full check takes a second, not the whole essay's eight. Contributions are pieces built
from those resources and the ontology's terms, chosen so that inferences and findings
happen: memberships (inverse properties, a property chain), borders, transitive
``cao:locatedIn`` and the chain through ``cao:place``, symmetric and irreflexive
``cao:sharesBorderWith``, domains and ranges, disjoint classes, a contributor's subclass
of ``cao:State``, ``owl:sameAs`` among caonto's IRIs and to Wikidata, missing labels,
missing sources, undescribed resources and misused properties, and flows whose amounts
are typed in another graph (the shapes read a value's type through ``sh:class``).
"""

from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from rdflib import Graph

from caonto.incremental import SnapshotChecker
from caonto.namespaces import CAOR
from caonto.pipeline import Asserted, check, load_asserted
from caonto.rdf_io import parse_files
from tests.contrib_samples import PREFIXES

ROOT = Path(__file__).resolve().parents[1]
BASE_RESOURCES = ("kazakhstan", "uzbekistan", "kyrgyzstan", "tajikistan", "sco", "cis",
                  "central-asia")
GRAPHS = [f"https://w3id.org/caonto/graph/contrib/p{k}" for k in range(3)]
SOURCE = "dcterms:source <https://example.org/source>"
STATES = ["kazakhstan", "uzbekistan", "kyrgyzstan", "newland"]
PLACES = [*STATES, "central-asia", "region-a", "city-a", "city-b", "atlantis"]
FLOWS = ["LabourMigrationFlow", "Flow", "RemittanceFlow"]


@cache
def base() -> Asserted:
    project = load_asserted()
    entities = parse_files([ROOT / "data" / "entities.ttl"])
    data = Graph().parse(ROOT / "tests" / "shapes" / "base.ttl")
    for s, p, o in entities:
        if s in {CAOR[name] for name in BASE_RESOURCES}:
            data.add((s, p, o))
    return Asserted(ontology=project.ontology, data=data)


def _labels(name: str) -> str:
    return f'rdfs:label "{name}"@en , "{name} kk"@kk , "{name} ru"@ru'


def piece(kind: str, a: int, b: int) -> str:
    """One contribution fragment in Turtle; ``a`` and ``b`` pick its resources."""
    state, other = STATES[a % len(STATES)], STATES[b % len(STATES)]
    place, org = PLACES[b % len(PLACES)], ("sco", "cis")[b % 2]
    pieces = {
        "membership": f"""caor:m-{a}-{b} a cao:Membership ; {_labels(f"m {a} {b}")} ;
            cao:member caor:{state} ; cao:organization caor:{org} ; {SOURCE} .""",
        "unsourced membership": f"""caor:m-{a}-{b} a cao:Membership ; {_labels("m")} ;
            cao:member caor:{state} ; cao:organization caor:{org} .""",
        "newland": f"caor:newland a cao:State ; {_labels('Newland')} ; {SOURCE} .",
        "unlabelled state": f"caor:{state} a cao:State ; {SOURCE} .",
        "border": f"""caor:border-{a}-{b} a cao:Border ; {_labels("border")} ;
            cao:borderOf caor:{state} , caor:{other} ; cao:statedIn caor:t-line-1 ; {SOURCE} .""",
        "shares border": f"caor:{state} cao:sharesBorderWith caor:{other} .",
        "city": f"""caor:city-{"ab"[a % 2]} a cao:City ; {_labels("city")} ;
            cao:locatedIn caor:{place} ; {SOURCE} .""",
        "region": f"""caor:region-a a cao:Region ; {_labels("region")} ;
            cao:locatedIn caor:{state} ; {SOURCE} .""",
        "event": f"""caor:event-{a} a cao:Event ; {_labels("event")} ;
            cao:place caor:{place} ; cao:statedIn caor:t-line-1 ; {SOURCE} .""",
        "disjoint clash": f"caor:{state} a cao:City .",
        "polity class": "<https://example.org/Polity> rdfs:subClassOf cao:State .",
        "polity": f"caor:{place} a <https://example.org/Polity> .",
        "alias": f"caor:atlantis owl:sameAs caor:{state} .",
        "wikidata": f"caor:{state} owl:sameAs <http://www.wikidata.org/entity/Q{a}> .",
        "misused property": f'caor:{state} cao:signingDate "2001-06-15"^^xsd:date .',
        "restated inference": f"caor:{state} a cao:Place .",  # the base infers it
        # the shapes read the type of a flow's amount (sh:class, sh:or of sh:class):
        # writes typing or untyping an amount change the verdict on the flow
        "flow": f"""caor:flow-{a % 2} a cao:{FLOWS[a % len(FLOWS)]} ; {_labels("flow")} ;
            cao:origin caor:{state} ; cao:destination caor:{other} ;
            cao:annualQuantity caor:amount-{b % 2} ; {SOURCE} .""",
        "people": f"caor:amount-{b % 2} a cao:QuantityValue ; cao:numericValue {a + 1} .",
        "money": f"""caor:amount-{b % 2} a cao:MonetaryAmount ; cao:amountValue {a + 1} ;
            cao:currency "USD" .""",
    }
    return PREFIXES + "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n" + pieces[kind]


KINDS = ["membership", "unsourced membership", "newland", "unlabelled state", "border",
         "shares border", "city", "region", "event", "disjoint clash", "polity class",
         "polity", "alias", "wikidata", "misused property", "restated inference", "flow",
         "people", "money"]


def parsed(kind: str, a: int, b: int) -> Graph:
    return Graph().parse(data=piece(kind, a, b), format="turtle")


pieces = st.builds(parsed, st.sampled_from(KINDS), st.integers(0, 9), st.integers(0, 9))
graph_iris = st.sampled_from(GRAPHS)


class _Snapshot:
    def __init__(self, graphs: dict):
        self.graphs = graphs


def summary(result):
    violations = sorted(((v.focus_node, v.result_path, v.value, v.message, v.severity,
                          v.source_shape) for v in result.report.violations), key=repr)
    return result.ok, result.report.conforms, result.inconsistencies, violations


class Writes(RuleBasedStateMachine):
    """The gateway's sequence: a write from the accepted snapshot, checked both ways;
    accepted writes become the next snapshot."""

    def __init__(self):
        super().__init__()
        self.snapshot = _Snapshot({})
        self.checks = SnapshotChecker(base)
        self.published = set(check(base()).inferred)  # the accepted inferred graph
        self.steps = 0

    def write(self, changes: dict, dry_run: bool = False) -> None:
        changes = {iri: content for iri, content in changes.items()  # as the gateway does
                   if set(content or ()) != set(self.content(iri))}
        if not changes:
            return
        graphs = dict(self.snapshot.graphs)
        for iri, content in changes.items():
            if content is None or len(content) == 0:
                graphs.pop(iri, None)
            else:
                graphs[iri] = content
        full = check(base(), *graphs.values())
        quick = self.checks.check(self.snapshot, graphs, changes, dry_run=dry_run)
        assert summary(quick) == summary(full)
        assert quick.incremental  # every piece is within the fast reasoner's rules
        if full.inconsistencies:
            return
        assert set(quick.inferred) == set(full.inferred)
        if full.ok:
            after = set(full.inferred)
            assert quick.inferred_added == after - self.published
            assert quick.inferred_removed == self.published - after
            if dry_run:  # tried and put back: the next write starts from the same state
                return
            self.snapshot, self.published = _Snapshot(graphs), after
            self.checks.accepted(self.snapshot)
            self.steps += 1

    def content(self, iri) -> Graph:
        return self.snapshot.graphs.get(iri, Graph())

    @initialize()
    def graphs_that_lean_on_each_other(self):
        # Newland described in one graph and used in another (a membership, a city in it,
        # an event in the city), and so is a labour migration flow's number of people:
        # removing from either changes what the other needs.
        self.write({GRAPHS[0]: parsed("newland", 0, 0) + parsed("people", 0, 0)})
        self.write({GRAPHS[1]: parsed("membership", 3, 0) + parsed("city", 0, 3)
                    + parsed("event", 0, 6) + parsed("flow", 0, 0)})
        assert len(self.snapshot.graphs) == 2  # both accepted

    def held(self, index: int) -> str:
        """One of the graphs the snapshot holds, picked by ``index``."""
        iris = sorted(self.snapshot.graphs)
        return iris[index % len(iris)]

    def has_graphs(self) -> bool:
        return bool(self.snapshot.graphs)

    @rule(iri=graph_iris, more=pieces)
    def add(self, iri, more):
        self.write({iri: self.content(iri) + more})

    @precondition(has_graphs)
    @rule(index=st.integers(0, 9), which=st.integers(0, 99), dry_run=st.booleans())
    def take_out_a_subjects_triples(self, index, which, dry_run):
        iri = self.held(index)
        subjects = sorted({s for s, _, _ in self.content(iri)}, key=str)
        gone = subjects[which % len(subjects)]
        kept = Graph()
        for triple in self.content(iri):
            if triple[0] != gone:
                kept.add(triple)
        self.write({iri: kept}, dry_run)

    @precondition(has_graphs)
    @rule(index=st.integers(0, 9), which=st.integers(0, 99))
    def take_out_one_triple(self, index, which):
        iri = self.held(index)
        content = sorted(self.content(iri), key=lambda t: tuple(map(str, t)))
        trimmed = self.content(iri) + Graph()
        trimmed.remove(content[which % len(content)])
        self.write({iri: trimmed})

    @precondition(has_graphs)
    @rule(index=st.integers(0, 9), new=pieces, dry_run=st.booleans())
    def replace(self, index, new, dry_run):
        self.write({self.held(index): new}, dry_run)

    @precondition(has_graphs)
    @rule(index=st.integers(0, 9), dry_run=st.booleans())
    def delete(self, index, dry_run):
        self.write({self.held(index): None}, dry_run)

    @precondition(has_graphs)
    @rule(index=st.integers(0, 9), destination=graph_iris)
    def move_a_graph(self, index, destination):  # one write changing two graphs
        source = self.held(index)
        if source != destination:
            self.write({source: None,
                        destination: self.content(source) + self.content(destination)})

    @invariant()
    def the_checker_follows_the_accepted_snapshot(self):
        held = self.checks._checker
        assert held is None or set(held.inferred_graph()) == self.published


TestWrites = Writes.TestCase
TestWrites.settings = settings(max_examples=6, stateful_step_count=8, deadline=None,
                               derandomize=True, database=None,
                               suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])
