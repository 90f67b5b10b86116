"""What a resource's page and data document say about it, read from the store by SPARQL.

A fact is one triple touching the resource (outgoing or incoming). It is *asserted* when
it is in any graph but ``caog:inferred``, *inferred* when it is only there, and
*contributed* when only contributed graphs (``caog:contrib/…``) assert it: pages mark it
so, and never show it as the resource's own definition. Its
provenance is the essay sentences reached by ``cao:statedIn`` from the resource itself
(outgoing facts) or from the other node of the triple (when that node is a fact object:
a border, an aid transfer, an assessment ...); a fact with neither, such as
``kazakhstan sharesBorderWith kyrgyzstan``, takes the sentences of a fact object linking
both its ends (the border). Curator notes are those about the resource, attached to it,
or concerning a sentence shown on the page. A fact in a contributed graph carries that
graph, who contributed it and when (from ``caog:contrib-log``), and the
``dcterms:source`` its nodes cite there.

Queries go through a ``Select``: a function from SELECT text to rows (dicts of variable
name to pyoxigraph term or None). The server passes one backed by its query engine
(timeouts and all), tests one backed by a plain ``pyoxigraph.Store``. Functions here
raise whatever that function raises; an IRI the store does not know gives an empty
``Description`` (``exists`` is False), never an error. Every IRI goes into the SPARQL
text through ``iri_ref``, which refuses (ValueError) anything that is not an IRI, so a
crafted path cannot add patterns to a query.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from caonto.namespaces import CAO, CAOG, CONTRIB_GRAPH_PREFIX, GRAPH_INFERRED, GRAPH_ONTOLOGY, WD
from caonto.web.iris import iri_ref

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
_NAME_PREDICATES = {
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#altLabel",
}
_STATED_IN = str(CAO.statedIn)
_MENTIONS = str(CAO.mentions)
_WIKIDATA = str(WD)
_INFERRED = str(GRAPH_INFERRED)
_CONTRIB_LOG = str(CAOG["contrib-log"])
_SOURCE = "http://purl.org/dc/terms/source"
_ROW_LIMIT = 2000  # a class page lists its instances; nothing here has more


@dataclass(frozen=True)
class Value:
    """One RDF term for display: an IRI, a literal or a blank node with its own facts."""

    kind: str  # "iri" | "literal" | "bnode"
    text: str  # the IRI, the lexical form, or the blank node's id
    language: str = ""
    datatype: str = ""
    facts: tuple["Fact", ...] = ()


@dataclass(frozen=True)
class Sentence:
    iri: str
    text: str  # Kazakh original
    translation: str  # English
    start_line: int | None
    end_line: int | None


@dataclass(frozen=True)
class Note:
    iri: str
    text: str
    record: tuple[str, ...]  # where the record can be checked (Wikidata)
    sentences: tuple[str, ...]  # IRIs of the sentences the note concerns


@dataclass(frozen=True)
class Fact:
    predicate: str
    value: Value
    inferred: bool
    sentences: tuple[str, ...] = ()  # sentence IRIs, details in Description.sentences
    contributed: bool = False  # asserted by contributed graphs only
    contributed_in: tuple[str, ...] = ()  # contributed graphs holding it (Description.contributions)
    cited: tuple[str, ...] = ()  # the dcterms:source its nodes give in those graphs


@dataclass(frozen=True)
class Contribution:
    graph: str
    contributors: tuple[str, ...]
    created: str  # xsd:dateTime lexical forms
    modified: str


@dataclass
class Description:
    iri: str
    exists: bool = False
    types: list[Fact] = field(default_factory=list)
    outgoing: list[Fact] = field(default_factory=list)
    incoming: list[Fact] = field(default_factory=list)  # value = the subject
    stated_in: list[str] = field(default_factory=list)
    mentioned_in: list[str] = field(default_factory=list)
    wikidata: list[str] = field(default_factory=list)
    sentences: dict[str, Sentence] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    contributions: dict[str, Contribution] = field(default_factory=dict)

    def notes_for(self, sentence_iri: str) -> list[Note]:
        return [n for n in self.notes if sentence_iri in n.sentences]


def _value(term) -> Value:
    if isinstance(term, ox.Literal):
        return Value("literal", term.value, term.language or "", term.datatype.value)
    if isinstance(term, ox.BlankNode):
        return Value("bnode", term.value)
    return Value("iri", term.value)


Row = dict[str, object]
Select = Callable[[str], list[Row]]


def select_from_store(store: ox.Store) -> Select:
    """A ``Select`` over an in-process store (all graphs visible through GRAPH ?g)."""
    def select(text: str) -> list[Row]:
        result = store.query(text, use_default_graph_as_union=True)
        names = [v.value for v in result.variables]
        return [{n: row[n] for n in names} for row in result]
    return select


def _facts_by_graph(rows, key) -> dict[tuple, set[str]]:
    """Group rows by ``key(row)``, collecting the graphs each triple is in."""
    grouped: dict[tuple, set[str]] = {}
    for row in rows:
        grouped.setdefault(key(row), set()).add(row["g"].value)
    return grouped


def _is_inferred(graphs: set[str]) -> bool:
    return graphs == {_INFERRED}


def _is_contributed(graphs: set[str]) -> bool:
    asserting = graphs - {_INFERRED}
    return bool(asserting) and all(g.startswith(CONTRIB_GRAPH_PREFIX) for g in asserting)


def _blank_facts(select: Select, iri: str) -> dict[str, tuple[Fact, ...]]:
    """Facts of the blank nodes hanging off ``iri`` (quantities, amounts), one level deep."""
    rows = select(f"""SELECT ?b ?p ?o ?g WHERE {{
        GRAPH ?g0 {{ {iri_ref(iri)} ?p0 ?b }} FILTER(isBlank(?b)) GRAPH ?g {{ ?b ?p ?o }}
    }} LIMIT {_ROW_LIMIT}""")
    grouped = _facts_by_graph(rows, lambda r: (r["b"].value, r["p"].value, _value(r["o"])))
    nested: dict[str, list[Fact]] = {}
    for (blank, predicate, value), graphs in grouped.items():
        nested.setdefault(blank, []).append(Fact(predicate, value, _is_inferred(graphs)))
    return {b: tuple(sorted(f, key=lambda x: (x.predicate, x.value.text)))
            for b, f in nested.items()}


def _sentences_of(select: Select, iri: str) -> dict[str, set[str]]:
    """For the resource and each node next to it: the sentences it is ``statedIn``."""
    rows = select(f"""SELECT DISTINCT ?n ?sentence WHERE {{
        {{ BIND({iri_ref(iri)} AS ?n) GRAPH ?g {{ ?n <{_STATED_IN}> ?sentence }} }}
        UNION {{ GRAPH ?g1 {{ {iri_ref(iri)} ?p ?n }} GRAPH ?g {{ ?n <{_STATED_IN}> ?sentence }} }}
        UNION {{ GRAPH ?g1 {{ ?n ?p {iri_ref(iri)} }} GRAPH ?g {{ ?n <{_STATED_IN}> ?sentence }} }}
    }}""")
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["n"].value, set()).add(row["sentence"].value)
    return found


def _bridging_sentences(select: Select, iri: str) -> dict[str, set[str]]:
    """For each node an asserted fact of ``iri`` points at: the sentences of a fact object
    that links both (the border behind ``sharesBorderWith``)."""
    rows = select(f"""SELECT DISTINCT ?o ?sentence WHERE {{
        GRAPH ?g1 {{ {iri_ref(iri)} ?p ?o }} FILTER(isIRI(?o) && ?g1 != <{_INFERRED}>)
        GRAPH ?g2 {{ ?n ?x {iri_ref(iri)} }} GRAPH ?g3 {{ ?n ?y ?o }}
        GRAPH ?g4 {{ ?n <{_STATED_IN}> ?sentence }}
    }} LIMIT {_ROW_LIMIT}""")
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["o"].value, set()).add(row["sentence"].value)
    return found


def _contributions(select: Select, graphs: set[str]) -> dict[str, Contribution]:
    if not graphs:
        return {}
    values = " ".join(f"<{g}>" for g in sorted(graphs))
    rows = select(f"""SELECT ?graph
        (GROUP_CONCAT(DISTINCT STR(?who); separator=" ") AS ?contributors)
        (MIN(STR(?c)) AS ?created) (MAX(STR(?m)) AS ?modified) WHERE {{
        VALUES ?graph {{ {values} }}
        GRAPH <{_CONTRIB_LOG}> {{ ?graph <http://www.w3.org/ns/prov#wasAttributedTo> ?who ;
            <http://purl.org/dc/terms/created> ?c ; <http://www.w3.org/ns/prov#generatedAtTime> ?m }}
    }} GROUP BY ?graph""")
    return {row["graph"].value: Contribution(
        row["graph"].value, tuple(sorted(row["contributors"].value.split())),
        row["created"].value, row["modified"].value) for row in rows}


def _cited_sources(select: Select, iri: str) -> dict[tuple[str, str], set[str]]:
    """(node, contributed graph) -> the dcterms:source it gives there, for ``iri`` and the
    nodes next to it."""
    rows = select(f"""SELECT DISTINCT ?n ?g ?source WHERE {{
        {{ BIND({iri_ref(iri)} AS ?n) }} UNION {{ GRAPH ?g1 {{ {iri_ref(iri)} ?p ?n }} }}
        UNION {{ GRAPH ?g1 {{ ?n ?p {iri_ref(iri)} }} }}
        GRAPH ?g {{ ?n <{_SOURCE}> ?source }}
        FILTER(STRSTARTS(STR(?g), "{CONTRIB_GRAPH_PREFIX}"))
    }} LIMIT {_ROW_LIMIT}""")
    found: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        found.setdefault((row["n"].value, row["g"].value), set()).add(row["source"].value)
    return found


def _sentence_details(select: Select, iris: set[str]) -> dict[str, Sentence]:
    if not iris:
        return {}
    values = " ".join(iri_ref(i) for i in sorted(iris))
    rows = select(f"""SELECT ?s (SAMPLE(?t) AS ?text) (SAMPLE(?tr) AS ?translation)
        (MIN(?sl) AS ?start) (MAX(?el) AS ?end) WHERE {{
        VALUES ?s {{ {values} }}
        OPTIONAL {{ GRAPH ?g1 {{ ?s <{CAO.text}> ?t }} }}
        OPTIONAL {{ GRAPH ?g2 {{ ?s <{CAO.translation}> ?tr }} }}
        OPTIONAL {{ GRAPH ?g3 {{ ?s <{CAO.startLine}> ?sl }} }}
        OPTIONAL {{ GRAPH ?g4 {{ ?s <{CAO.endLine}> ?el }} }}
    }} GROUP BY ?s""")
    details = {}
    for row in rows:
        start, end = row["start"], row["end"]
        details[row["s"].value] = Sentence(
            row["s"].value,
            row["text"].value if row["text"] else "",
            row["translation"].value if row["translation"] else "",
            int(start.value) if start else None,
            int(end.value) if end else None)
    return details


def curator_notes(select: Select) -> list[Note]:
    """Every curator note with what it concerns; there are few, so all are read."""
    rows = select(f"""SELECT ?note ?text
        (GROUP_CONCAT(DISTINCT STR(?s); separator=" ") AS ?sentences)
        (GROUP_CONCAT(DISTINCT STR(?r); separator=" ") AS ?records) WHERE {{
        GRAPH ?g {{ ?note a <{CAO.CuratorNote}> }}
        OPTIONAL {{ GRAPH ?g1 {{ ?note <{CAO.noteText}> ?text }} }}
        OPTIONAL {{ GRAPH ?g2 {{ ?note <{CAO.concernsSentence}> ?s }} }}
        OPTIONAL {{ GRAPH ?g3 {{ ?note <{CAO.recordReference}> ?r }} }}
    }} GROUP BY ?note ?text ORDER BY ?note""")
    return [Note(row["note"].value, row["text"].value if row["text"] else "",
                 tuple(row["records"].value.split()), tuple(row["sentences"].value.split()))
            for row in rows]


def _notes_attached(select: Select, iri: str) -> set[str]:
    rows = select(f"""SELECT DISTINCT ?note WHERE {{
        {{ GRAPH ?g {{ ?note <{CAO.about}> {iri_ref(iri)} }} }}
        UNION {{ GRAPH ?g {{ {iri_ref(iri)} <{CAO.curatorNote}> ?note }} }}
        GRAPH ?g2 {{ ?note a <{CAO.CuratorNote}> }} }}""")
    return {row["note"].value for row in rows}


def describe(select: Select, iri: str) -> Description:
    """Everything the page of ``iri`` shows; see the module docstring for the rules."""
    out_rows = select(f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {iri_ref(iri)} ?p ?o }} }} "
                              f"LIMIT {_ROW_LIMIT}")
    outgoing = _facts_by_graph(out_rows, lambda r: (r["p"].value, _value(r["o"])))
    in_rows = select(f"SELECT ?s ?p ?g WHERE {{ GRAPH ?g {{ ?s ?p {iri_ref(iri)} }} }} "
                             f"LIMIT {_ROW_LIMIT}")
    incoming = _facts_by_graph(in_rows, lambda r: (r["p"].value, _value(r["s"])))
    result = Description(iri, exists=bool(outgoing or incoming))
    if not result.exists:
        return result
    blanks = _blank_facts(select, iri)
    sentences_of = _sentences_of(select, iri)
    own = sentences_of.get(iri, set())
    bridging = _bridging_sentences(select, iri)
    contributed_graphs = {g for graphs in (*outgoing.values(), *incoming.values()) for g in graphs
                   if g.startswith(CONTRIB_GRAPH_PREFIX)}
    cited = _cited_sources(select, iri) if contributed_graphs else {}

    def provenance(graphs: set[str], *nodes: str) -> dict:
        mine = tuple(sorted(g for g in graphs if g.startswith(CONTRIB_GRAPH_PREFIX)))
        sources = {src for g in mine for n in nodes for src in cited.get((n, g), ())}
        return {"contributed_in": mine, "cited": tuple(sorted(sources))}

    for (predicate, value), graphs in outgoing.items():
        inferred = _is_inferred(graphs)
        contributed = _is_contributed(graphs)
        if predicate == _RDF_TYPE:
            result.types.append(Fact(predicate, value, inferred, contributed=contributed))
        elif predicate == _STATED_IN:
            result.stated_in.append(value.text)
        elif predicate in _NAME_PREDICATES:
            continue  # shown in the names block
        elif predicate == _OWL_SAME_AS and value.text.startswith(_WIKIDATA):
            result.wikidata.append(value.text)
        else:
            if value.kind == "bnode":
                value = Value("bnode", value.text, facts=blanks.get(value.text, ()))
            linked = sentences_of.get(value.text, set()) if value.kind != "literal" else set()
            if not (own | linked) and not inferred:
                linked = bridging.get(value.text, set())
            result.outgoing.append(Fact(predicate, value, inferred, tuple(sorted(own | linked)),
                                        contributed, **provenance(graphs, iri, value.text)))
    for (predicate, value), graphs in incoming.items():
        if predicate == _MENTIONS:
            result.mentioned_in.append(value.text)
            continue
        sentences = tuple(sorted(sentences_of.get(value.text, set())))
        result.incoming.append(Fact(predicate, value, _is_inferred(graphs), sentences,
                                    _is_contributed(graphs), **provenance(graphs, value.text)))
    result.contributions = _contributions(select, contributed_graphs)

    for record in _records_in(result):
        if record.startswith(_WIKIDATA) and record not in result.wikidata:
            result.wikidata.append(record)
    shown = set(result.stated_in) | set(result.mentioned_in)
    for fact in result.outgoing + result.incoming:
        shown.update(fact.sentences)
    if iri in _sentence_set(select, iri):
        shown.add(iri)  # a sentence's own page shows its notes too
    result.sentences = _sentence_details(select, shown)
    attached = _notes_attached(select, iri)
    result.notes = [n for n in curator_notes(select)
                    if n.iri in attached or shown.intersection(n.sentences)]
    for listing in (result.types, result.outgoing, result.incoming):
        listing.sort(key=lambda f: (f.inferred, f.predicate, f.value.text))
    result.stated_in.sort()
    result.mentioned_in.sort()
    result.wikidata.sort()
    return result


def _records_in(result: Description) -> list[str]:
    return [f.value.text for f in result.outgoing
            if f.value.kind == "iri" and f.predicate == str(CAO.recordReference)]


def _sentence_set(select: Select, iri: str) -> set[str]:
    rows = select(f"""SELECT ?s WHERE {{ BIND({iri_ref(iri)} AS ?s)
        GRAPH ?g {{ ?s a <{CAO.Sentence}> }} }}""")
    return {row["s"].value for row in rows}


# -- the data document (RDF) -------------------------------------------------------------

_PROVENANCE_PREDICATES = (_RDF_TYPE, CAO.text, CAO.translation, CAO.startLine, CAO.endLine,
                          CAO.noteText, CAO.concernsSentence, CAO.recordReference, CAO.about)


def description_query(iri: str) -> str:
    """One CONSTRUCT for the data document of ``iri``, over the default graph (the union,
    inferred triples included): its triples both ways, its blank nodes one level deep,
    and its provenance: the sentences its facts are stated in (text, translation, lines)
    and the curator notes about it or about those sentences."""
    keep = " ".join(f"<{p}>" for p in _PROVENANCE_PREDICATES)
    return f"""CONSTRUCT {{ {iri_ref(iri)} ?p ?o . ?s ?q {iri_ref(iri)} . ?b ?bp ?bo . ?n ?np ?no . }}
WHERE {{
  {{ {iri_ref(iri)} ?p ?o }}
  UNION {{ ?s ?q {iri_ref(iri)} }}
  UNION {{ {iri_ref(iri)} ?p0 ?b FILTER(isBlank(?b)) ?b ?bp ?bo }}
  UNION {{
    {{ SELECT DISTINCT ?sentence WHERE {{
        {{ {iri_ref(iri)} <{_STATED_IN}> ?sentence }}
        UNION {{ {iri_ref(iri)} ?x ?y . ?y <{_STATED_IN}> ?sentence }}
        UNION {{ ?y ?x {iri_ref(iri)} . ?y <{_STATED_IN}> ?sentence }}
        UNION {{ BIND({iri_ref(iri)} AS ?sentence) {iri_ref(iri)} a <{CAO.Sentence}> }} }} }}
    {{ BIND(?sentence AS ?n) }} UNION {{ ?n <{CAO.concernsSentence}> ?sentence }}
    VALUES ?np {{ {keep} }} ?n ?np ?no
  }}
  UNION {{
    {{ ?n <{CAO.about}> {iri_ref(iri)} }} UNION {{ {iri_ref(iri)} <{CAO.curatorNote}> ?n }}
    ?n a <{CAO.CuratorNote}> . VALUES ?np {{ {keep} }} ?n ?np ?no
  }}
}}"""


def ontology_query() -> str:
    """The whole ontology graph: what a machine gets for the ontology IRI."""
    return f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{ ?s ?p ?o }} }}"


def exists(select: Select, iri: str) -> bool:
    """Whether the store says anything with ``iri`` as subject or object."""
    return bool(select(f"SELECT ?p WHERE {{ {{ {iri_ref(iri)} ?p ?o }} UNION {{ ?s ?p {iri_ref(iri)} }} }} "
                       "LIMIT 1"))
