"""The record (caog:record): statements from cited public sources, kept apart from the essay.

Checks that every record statement cites a web page, a verbatim quote (copied exactly from
the research dossiers in data/record/dossiers/) and its language; that disagreeing sources
are kept side by side and never merged into one plain triple; that the record adds nothing
to the essay's own resources; that each discrepancy joins an essay claim, the sentence whose
words it copies and the record statements that differ; and the exact answers of the
competency queries 25-33, on pyoxigraph (the endpoint's engine) with named graphs and on
rdflib. The record survives every export format, owlrl and the CLI's stats.
"""

import json
import re
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from caonto import formats
from caonto.build import assemble
from caonto.namespaces import (
    ASSERTED_GRAPHS,
    BASE,
    CAO,
    CAOR,
    GRAPH_ESSAY,
    GRAPH_RECORD,
)
from caonto.rdf_io import parse_file, rdf_files, read_quads, serialize, to_rdflib
from caonto.resources import resource_paths
from caonto.validation import load_shapes
from tests import graphs

ROOT = Path(__file__).resolve().parent.parent
QUERIES = resource_paths().queries
DOSSIERS = resource_paths().record / "dossiers"
LINE = BASE + "id/essay/line-"
DATE_TYPES = {XSD.date, XSD.gYearMonth, XSD.gYear}
YEARS = [CAO[n] for n in ("year", "startYear", "endYear", "sinceYear", "signingYear")]
# Properties a subject has one value of; where the sources give several, no plain triple.
SINGLE = [CAO[n] for n in ("signingDate", "signingYear", "signingPlace", "startDate", "endDate",
                           "startYear", "endYear", "startMonth", "endMonth", "borderLength",
                           "membershipStatus", "annualQuantity", "headcount")]
NUMERIC = {str(XSD[n]) for n in ("decimal", "integer", "positiveInteger", "nonNegativeInteger")}
NOT_BACKED = {RDF.type, RDFS.label, SKOS.prefLabel, RDFS.comment, DCTERMS.source}


def record() -> Graph:
    return graphs.asserted().record


def essay() -> Graph:
    return graphs.asserted().data


def statements() -> list[URIRef]:
    return sorted(record().subjects(RDF.type, CAO.RecordStatement))


def value(statement: URIRef):
    g = record()
    return g.value(statement, CAO.statementValue) or g.value(statement, CAO.statementLiteral)


def spv(statement: URIRef) -> tuple:
    g = record()
    return g.value(statement, CAO.statementSubject), g.value(statement, CAO.statementProperty), \
        value(statement)


def deprecated(statement: URIRef) -> bool:
    return (statement, CAO.deprecated, Literal(True)) in record()


def short(term) -> str | Decimal | None:
    if term is None:
        return None
    text = term.value if isinstance(term, (ox.NamedNode, ox.Literal)) else str(term)
    for long, prefix in ((BASE + "id/", "caor:"), (BASE + "def/", "cao:"),
                         ("http://purl.org/dc/terms/", "dcterms:"),
                         ("http://www.w3.org/2004/02/skos/core#", "skos:"),
                         ("http://www.w3.org/2000/01/rdf-schema#", "rdfs:")):
        if text.startswith(long):
            return prefix + text[len(long):]
    datatype = getattr(term, "datatype", None)
    if isinstance(datatype, ox.NamedNode):
        datatype = datatype.value
    if datatype is not None and str(datatype) in NUMERIC:
        return Decimal(text)
    return text


# -- the dossiers: every quote is copied from them ------------------------------------------------

@cache
def dossier_quotes() -> dict[str, str]:
    """Source URL -> all quote text the dossiers give for it (escaped quotes undone)."""
    by_url: dict[str, str] = defaultdict(str)
    for path in sorted(DOSSIERS.glob("*.md")):
        url, field = None, None
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.startswith("### "):
                url, field = None, None
            elif line.startswith("- "):
                key, _, rest = line[2:].partition(": ")
                field = key
                if key == "source":
                    url = rest.strip()
                elif key.startswith("quote") and key != "quote language" and url:
                    by_url[url] += "\n" + rest.replace('\\"', '"')
            elif field and field.startswith("quote") and field != "quote language" and url:
                by_url[url] += "\n" + line.replace('\\"', '"')
    return dict(by_url)


def test_the_dossiers_are_finished_and_kept_with_the_data():
    names = sorted(p.name for p in DOSSIERS.glob("*.md"))
    assert names == ["memberships.md", "treaties-events.md"]
    for path in DOSSIERS.glob("*.md"):
        assert path.read_text(encoding="utf-8").rstrip().endswith("DONE"), path.name


def test_every_quote_is_copied_exactly_from_the_dossier_entry_of_its_source():
    quotes = dossier_quotes()
    g = record()
    for statement in statements():
        url = str(g.value(statement, DCTERMS.source))
        assert url in quotes, f"{statement}: {url} is not a source in the dossiers"
        for quote in g.objects(statement, CAO.quote):
            assert str(quote) in quotes[url], f"{statement}: not verbatim: {quote!r}"


# -- every record statement: one subject, property and value, one cited source ----------------

def test_the_record_holds_hundreds_of_statements_from_many_sources():
    assert len(statements()) >= 400
    assert len({record().value(s, DCTERMS.source) for s in statements()}) >= 90


def test_every_statement_cites_a_web_page_a_short_quote_and_its_language():
    g = record()
    for statement in statements():
        sources = list(g.objects(statement, DCTERMS.source))
        assert len(sources) == 1 and re.match(r"https?://", str(sources[0])), statement
        assert isinstance(sources[0], URIRef), statement
        quotes = list(g.objects(statement, CAO.quote))
        languages = list(g.objects(statement, DCTERMS.language))
        assert quotes and len(languages) == 1, statement
        for quote in quotes:
            assert quote.language == str(languages[0]), statement
            assert 0 < len(quote) <= 300, statement


def test_every_statement_has_one_subject_one_property_and_one_value():
    g = record()
    for statement in statements():
        for prop in (CAO.statementSubject, CAO.statementProperty):
            assert len(list(g.objects(statement, prop))) == 1, (statement, prop)
        values = [*g.objects(statement, CAO.statementValue),
                  *g.objects(statement, CAO.statementLiteral)]
        assert len(values) == 1, statement


def test_dates_are_typed_at_the_precision_the_source_gives():
    """A day is an xsd:date, a month an xsd:gYearMonth, a year a whole number (xsd:integer,
    as the essay's years are); only cao:asOf, a point in time, keeps xsd:gYear for a year."""
    g = record()
    precision = {"Date": XSD.date, "Month": XSD.gYearMonth, "Year": XSD.integer}
    seen = set()
    for statement in statements():
        _s, prop, val = spv(statement)
        name = str(prop).removeprefix(str(CAO))
        for suffix, datatype in precision.items():
            if name.endswith(suffix) and name != "date":
                assert val.datatype == datatype, statement
                seen.add(datatype)
        if prop == CAO.date:
            assert val.datatype == XSD.date, statement
        if isinstance(val, Literal) and val.datatype is None:
            assert val.language, f"{statement}: a plain string"
    for _s, p, o in g:
        if p in YEARS:
            assert o.datatype == XSD.integer, (p, o)
        if p in (CAO.startDate, CAO.endDate, CAO.signingDate):
            assert o.datatype == XSD.date, (p, o)
        if p in (CAO.startMonth, CAO.endMonth):
            assert o.datatype == XSD.gYearMonth, (p, o)
        if p == CAO.asOf:
            assert o.datatype in DATE_TYPES, (p, o)
    assert seen == set(precision.values())


def test_the_record_has_no_blank_nodes_so_builds_are_byte_reproducible():
    for graph in (record(), parse_file(ROOT / "ontology" / "caonto-record.ttl")):
        assert not [t for t in graph if any(isinstance(x, BNode) for x in t)]


# -- plain triples, disagreements and the essay's resources ---------------------------------------

def _record_resources() -> set[URIRef]:
    g = record()
    statement_like = {CAO.RecordStatement, CAO.Discrepancy, CAO.QuantityValue, CAO.MonetaryAmount}
    return {s for s, o in g.subject_objects(RDF.type) if o not in statement_like}


def test_every_plain_triple_of_the_record_is_backed_by_a_statement():
    g = record()
    backed = {spv(s) for s in statements() if not deprecated(s)}
    checked = 0
    for resource in _record_resources():
        for p, o in g.predicate_objects(resource):
            if p in NOT_BACKED:
                continue
            assert (resource, p, o) in backed, (resource, p, o)
            checked += 1
    assert checked >= 150


def test_no_plain_triple_where_sources_disagree_or_a_statement_is_deprecated():
    g = record()
    values: dict[tuple, set] = defaultdict(set)
    for statement in statements():
        s, p, v = spv(statement)
        if deprecated(statement):
            assert (s, p, v) not in g, statement
        else:
            values[(s, p)].add(v)
    disputed = [(s, p) for (s, p), vs in values.items() if p in SINGLE and len(vs) > 1]
    assert len(disputed) >= 8
    for s, p in disputed:
        assert (s, p, None) not in g, (s, p)


def test_the_record_adds_no_triple_to_the_essays_resources():
    essay_subjects = set(essay().subjects())
    assert not set(record().subjects()) & essay_subjects
    assert (None, CAO.statedIn, None) not in record()


def test_the_kazakh_kyrgyz_border_lengths_stay_with_their_own_sources():
    g = record()
    border = CAOR["border-kazakhstan-kyrgyzstan"]
    lengths = defaultdict(set)
    for statement in statements():
        s, p, v = spv(statement)
        if s == border and p == CAO.borderLength:
            lengths[g.value(v, CAO.numericValue).toPython()].add(str(g.value(statement, DCTERMS.source)))
    assert set(lengths) == {Decimal("1212"), Decimal("1241"), Decimal("1257.07"), Decimal("1051")}
    assert lengths[Decimal("1212")] == {"https://en.wikipedia.org/wiki/Kazakhstan%E2%80%93Kyrgyzstan_border"}
    assert len(lengths[Decimal("1241")]) == 2 and len(lengths[Decimal("1257.07")]) == 2
    # the essay's 729 km stays in the essay, as the essay states it
    quantity = essay().value(border, CAO.borderLength)
    assert essay().value(quantity, CAO.numericValue).toPython() == Decimal(729)


def test_deprecated_statements_are_kept_with_their_sources():
    g = record()
    kept = {spv(s) for s in statements() if deprecated(s)}
    cst = CAOR["treaty-collective-security-1992"]
    assert (cst, CAO.party, CAOR.turkmenistan) in kept
    assert (cst, CAO.signingDate, Literal("1992-09-15", datatype=XSD.date)) in kept
    assert (cst, CAO.party, CAOR.turkmenistan) not in g
    assert g.value(cst, CAO.signingDate) == Literal("1992-05-15", datatype=XSD.date)
    assert len(kept) == 4


def test_neighbours_are_not_invented():
    """Kazakhstan and Tajikistan share no border; no treaty or border says otherwise."""
    g = record()
    for border in g.subjects(RDF.type, CAO.Border):
        states = set(g.objects(border, CAO.borderOf))
        assert len(states) == 2 and CAOR.kazakhstan in states and CAOR.tajikistan not in states
    assert not list(g.triples((None, CAO.sharesBorderWith, None)))
    closed = graphs.closed()
    assert (CAOR.kazakhstan, CAO.sharesBorderWith, CAOR.tajikistan) not in closed


def test_no_wikidata_link_is_added_without_a_confirmed_number():
    assert (None, OWL.sameAs, None) not in record()
    for local in ("cica", "osh-region"):
        assert (CAOR[local], OWL.sameAs, None) not in essay()


# -- memberships --------------------------------------------------------------------------------

def _memberships(state: str) -> dict[str, list[URIRef]]:
    g = record()
    out: dict[str, list[URIRef]] = defaultdict(list)
    for m in g.subjects(CAO.member, CAOR[state]):
        out[str(g.value(m, CAO.organization)).removeprefix(str(CAOR))].append(m)
    return out


def test_turkmenistan_is_an_associate_member_of_the_cis_and_no_member_of_sco_or_csto():
    g = record()
    mine = _memberships("turkmenistan")
    assert set(mine) == {"cis"}
    current = [m for m in mine["cis"] if (m, CAO.endDate, None) not in g]
    assert [g.value(m, CAO.membershipStatus) for m in current] == [CAOR["status-associate-member"]]
    assert g.value(current[0], CAO.startDate) == Literal("2005-08-26", datatype=XSD.date)


def test_uzbekistan_left_the_collective_security_treaty_and_the_csto():
    g = record()
    csto = _memberships("uzbekistan")["csto"]
    assert len(csto) == 1
    assert g.value(csto[0], CAO.startDate) == Literal("2006-08-16", datatype=XSD.date)
    assert g.value(csto[0], CAO.endDate) == Literal("2012-12-19", datatype=XSD.date)
    ends = {v for st in statements() if not deprecated(st)
            for v in record().objects(st, CAO.endYear)
            if spv(st)[:2] == (CAOR["treaty-collective-security-1992"], CAO.party)}
    assert ends == {Literal(1999), Literal(1998)}


# -- names ------------------------------------------------------------------------------------------

def _label(resource: URIRef, lang: str) -> str:
    (name,) = [str(n) for n in record().objects(resource, RDFS.label) if n.language == lang]
    return name


# treaties whose title the dossiers quote (in the Kazakh ratification laws), and in which language
OFFICIAL_TITLES = {"kz-tm-delimitation-2001": "ru", "kz-tm-demarcation-2017": "ru",
                   "kz-tm-caspian-2021": "ru", "kz-tm-uz-trijunction-2017": "kk"}


def test_treaties_are_named_by_the_official_titles_the_dossiers_quote():
    dossiers = "\n".join(p.read_text(encoding="utf-8") for p in DOSSIERS.glob("*.md"))
    for slug, lang in OFFICIAL_TITLES.items():
        title = re.sub(r" \(\d{4}\)$", "", _label(CAOR[f"treaty-{slug}"], lang))
        # the dossiers quote the title inflected («Договоре между …», «договора между …»)
        first, rest = title.split(" ", 1)
        whole = re.escape(first[:-1]) + r"\w* " + re.escape(rest)
        assert re.search(whole, dossiers, re.IGNORECASE), (slug, title)


def test_numbers_in_names_are_written_as_each_language_writes_them():
    g = record()
    values = [*g.subjects(RDF.type, CAO.QuantityValue), *g.subjects(RDF.type, CAO.MonetaryAmount)]
    assert len(values) >= 20
    for value in values:
        number = (g.value(value, CAO.numericValue) or g.value(value, CAO.amountValue)).toPython()
        for lang in ("kk", "ru"):
            # "1,212" reads as a decimal in Kazakh and Russian: thousands are spaced (1 212),
            # the decimal mark is a comma (1 257,07), millions may be "млн"
            name = _label(value, lang)
            written = re.search(r"\d[\d ]*(,\d+)?", name).group().strip()
            read = Decimal(written.replace(" ", "").replace(",", "."))
            assert read * (10**6 if "млн" in name else 1) == number, (value, lang, name)
        if (value, CAO.isApproximate, Literal(True)) in g:
            assert g.value(value, CAO.valueQualifier) is not None, value


def test_russian_names_use_kyrgyzstan():
    """The essay's naming rule: «Кыргызстан», «казахстанско-кыргызский» (quotes keep the
    source's «Киргизия»)."""
    names = [str(n) for n in record().objects(None, RDFS.label) if n.language == "ru"]
    assert len(names) > 400
    assert not [n for n in names if "иргиз" in n]


# -- discrepancies -----------------------------------------------------------------------------------

def test_each_discrepancy_copies_the_words_of_a_sentence_that_states_the_claim():
    g, e = record(), essay()
    discrepancies = list(g.subjects(RDF.type, CAO.Discrepancy))
    assert len(discrepancies) == 11
    for d in discrepancies:
        claim, sentence = g.value(d, CAO.essayClaim), g.value(d, CAO.essaySentence)
        assert (claim, CAO.statedIn, sentence) in e, d
        assert str(g.value(d, CAO.essayWording)) in str(e.value(sentence, CAO.text)), d
        assert list(g.objects(d, CAO.recordStatement)), d


def test_every_curator_note_has_its_discrepancy_and_a_back_link_from_its_claim():
    g, e = record(), essay()
    notes = set(e.subjects(RDF.type, CAO.CuratorNote))
    cited = set(g.objects(None, CAO.curatorNote))
    assert notes and cited == notes
    for d in g.subjects(CAO.curatorNote, None):
        note, claim = g.value(d, CAO.curatorNote), g.value(d, CAO.essayClaim)
        assert (claim, CAO.curatorNote, note) in e, (claim, note)


# -- queries 25-34: exact answers on the served dataset ---------------------------------------------

@cache
def store(inference: bool) -> ox.Store:
    dataset = assemble(graphs.asserted(), graphs.inferred() if inference else None)
    result = ox.Store()
    result.load(dataset.serialize(format="nquads", encoding="utf-8"), format=ox.RdfFormat.N_QUADS)
    return result


def _text(name: str) -> str:
    return (QUERIES / name).read_text(encoding="utf-8")


def answer(name: str, inference: bool = False) -> set[tuple]:
    """Rows of a query as the endpoint answers it: with inference on the union of all graphs,
    without it on the asserted graphs only (GRAPH clauses pick caog:essay or caog:record)."""
    options = {"use_default_graph_as_union": True} if inference else \
        {"default_graph": [ox.NamedNode(str(g)) for g in ASSERTED_GRAPHS]}
    result = store(inference).query(_text(name), **options)
    names = [v.value for v in result.variables]
    return {tuple(short(row[n]) for n in names) for row in result}


def rdflib_answer(name: str) -> set[tuple]:
    dataset = Dataset(default_union=True)
    for graph_name, graph in graphs.asserted().named_graphs().items():
        target = dataset.graph(graph_name)
        for triple in graph:
            target.add(triple)
    result = dataset.query(_text(name))
    return {tuple(short(row[v]) for v in result.vars) for row in result}


RECORD_QUERIES = sorted(p.name for p in QUERIES.glob("*.rq") if 25 <= int(p.name[:2]) <= 34)


def test_record_queries_are_numbered_25_to_34_with_title_and_description():
    assert len(RECORD_QUERIES) >= 7
    for name in RECORD_QUERIES:
        first, second, *_ = _text(name).splitlines()
        assert first.startswith("# title: ") and second.startswith("# description: "), name
        assert "PREFIX cao: <https://w3id.org/caonto/def/>" in _text(name), name


M, A = "caor:status-member", "caor:status-associate-member"
MEMBERSHIPS = {
    ("caor:kazakhstan", "caor:cica", "caor:membership-kazakhstan-cica", M, None, None),
    ("caor:kazakhstan", "caor:cis", "caor:membership-kazakhstan-cis", M, "1991-12-21", None),
    ("caor:kazakhstan", "caor:csto", "caor:membership-kazakhstan-csto", M, "2002-10-07", None),
    ("caor:kazakhstan", "caor:sco", "caor:membership-kazakhstan-sco", M, "2001-06-15", None),
    ("caor:kyrgyzstan", "caor:cica", "caor:membership-kyrgyzstan-cica", M, None, None),
    ("caor:kyrgyzstan", "caor:cis", "caor:membership-kyrgyzstan-cis", M, "1991-12-21", None),
    ("caor:kyrgyzstan", "caor:csto", "caor:membership-kyrgyzstan-csto", M, "2002-10-07", None),
    ("caor:kyrgyzstan", "caor:sco", "caor:membership-kyrgyzstan-sco", None, "2001-06-15", None),
    ("caor:tajikistan", "caor:cica", "caor:membership-tajikistan-cica", M, Decimal(1999), None),
    ("caor:tajikistan", "caor:cis", "caor:membership-tajikistan-cis", M, "1991-12-21", None),
    ("caor:tajikistan", "caor:csto", "caor:membership-tajikistan-csto", M, "2002-10-07", None),
    ("caor:tajikistan", "caor:sco", "caor:membership-tajikistan-sco", None, "2001-06-15", None),
    ("caor:turkmenistan", "caor:cis", "caor:membership-turkmenistan-cis-1991", None, "1991-12-21",
     "2005-08-26"),
    ("caor:turkmenistan", "caor:cis", "caor:membership-turkmenistan-cis-associate", A, "2005-08-26",
     None),
    ("caor:uzbekistan", "caor:cica", "caor:membership-uzbekistan-cica", M, None, None),
    ("caor:uzbekistan", "caor:cis", "caor:membership-uzbekistan-cis", M, "1991-12-21", None),
    ("caor:uzbekistan", "caor:csto", "caor:membership-uzbekistan-csto-2006", M, "2006-08-16",
     "2012-12-19"),
    ("caor:uzbekistan", "caor:sco", "caor:membership-uzbekistan-sco", None, "2001-06-15", None),
}

MEMBER_OF = {(f"caor:{s}", f"caor:{o}") for s in ("kazakhstan", "kyrgyzstan", "tajikistan", "uzbekistan")
             for o in ("cis", "sco", "csto", "cica")} - {("caor:uzbekistan", "caor:csto")} | {
    ("caor:uzbekistan", "caor:csto"), ("caor:turkmenistan", "caor:cis")}


def _treaty(slug: str, name: str, others: list[str], border: str | None) -> set[tuple]:
    return {(f"caor:treaty-{slug}", name, f"caor:{o}", border and f"caor:border-{border}")
            for o in others}


TREATIES_OF_KAZAKHSTAN = (
    _treaty("alma-ata-protocol-1991",
            "Protocol to the Agreement on the Establishment of the CIS (Alma-Ata, 1991)",
            ["kyrgyzstan", "tajikistan", "turkmenistan", "uzbekistan"], None)
    | _treaty("collective-security-1992", "Collective Security Treaty (Tashkent, 1992)",
              ["kyrgyzstan", "tajikistan", "uzbekistan"], None)
    | _treaty("csto-charter-2002", "Charter of the Collective Security Treaty Organization (2002)",
              ["kyrgyzstan", "tajikistan"], None)
    | _treaty("kz-kg-demarcation-2017",
              "Treaty on the demarcation of the Kazakh–Kyrgyz state border (2017)", ["kyrgyzstan"],
              "kazakhstan-kyrgyzstan")
    | _treaty("kz-kg-state-border-2001", "Treaty on the Kazakh–Kyrgyz State Border (2001)",
              ["kyrgyzstan"], "kazakhstan-kyrgyzstan")
    | _treaty("kz-kg-supreme-interstate-council-2007",
              "Kazakh–Kyrgyz agreement setting up the Supreme Interstate Council (2007)",
              ["kyrgyzstan"], None)
    | _treaty("kz-tm-caspian-2021",
              "Treaty on the Kazakh–Turkmen state border and fishing zones in the Caspian Sea (2021)",
              ["turkmenistan"], "kazakhstan-turkmenistan")
    | _treaty("kz-tm-delimitation-2001",
              "Treaty on the delimitation and demarcation of the Kazakh–Turkmen state border (2001)",
              ["turkmenistan"], "kazakhstan-turkmenistan")
    | _treaty("kz-tm-demarcation-2017",
              "Agreement on the demarcation of the Kazakh–Turkmen state border (2017)",
              ["turkmenistan"], "kazakhstan-turkmenistan")
    | _treaty("kz-tm-uz-trijunction-2017",
              "Treaty on the junction point of the borders of Kazakhstan, Turkmenistan and "
              "Uzbekistan (2017)", ["turkmenistan", "uzbekistan"], None)
    | _treaty("kz-uz-demarcation-2022",
              "Treaty on the demarcation of the Kazakh–Uzbek state border (2022)", ["uzbekistan"],
              "kazakhstan-uzbekistan")
    | _treaty("kz-uz-state-border-2001", "Kazakh–Uzbek state border agreement (16 November 2001)",
              ["uzbekistan"], "kazakhstan-uzbekistan")
    | _treaty("kz-uz-state-border-2002",
              "Kazakh–Uzbek agreement completing the border (9 September 2002)", ["uzbekistan"],
              "kazakhstan-uzbekistan"))

TREND = "https://en.trend.az/casia/kazakhstan/3765272.html"
ISLWORLD = ("https://russia-islworld.ru/novosti//senat-uzbekistana-odobril-dogovor-o-demarkacii-"
            "granicy-s-kazahstanom-2023-06-23-34031/")
QALAMPIR = ("https://qalampir.uz/en/news/uzbek-k-ozok-chegarasini-belgilashga-oid-shartnoma-"
            "ratifikatsiya-k-ilindi-85293")
DZEN = "https://dzen.ru/a/ZCLC7jNUg3GvK4yi"
CASPIAN = "https://www.caspiannews.com/news-detail/kazakh-uzbek-leaders-sign-border-agreement-2022-12-23-9/"
PROSUD = "https://prosud.kz/news/dogovor-o-demarkacii-granicy-s-uzbekistanom-ratificiroval-kazahstan"
UZ22 = "caor:treaty-kz-uz-demarcation-2022"
SIGNING = {
    *{(UZ22, "cao:signatory", f"caor:{p}", s) for p in ("kassym-jomart-tokayev", "shavkat-mirziyoyev")
      for s in (TREND, ISLWORLD)},
    *{(UZ22, "cao:signingDate", "2022-12-21", s) for s in (TREND, ISLWORLD, QALAMPIR)},
    *{(UZ22, "cao:signingDate", "2022-12-22", s) for s in (DZEN, CASPIAN)},
    *{(UZ22, "cao:signingPlace", "caor:tashkent", s) for s in (DZEN, PROSUD, CASPIAN)},
}

KABAR = ("http://kabar.kg/eng/news/presidents-of-kyrgyzstan-and-kazakhstan-sign-treaty-on-demarcation-"
         "of-state-border-2/")
SPUTNIK = ("https://news.rambler.ua/other/38741857-vizit-zheenbekova-v-rk-strany-zavershat-"
           "yuridicheskoe-oformlenie-granits")
ZAKONPRAVO = ("https://zakonpravo.kz/en/zakony/zakon-o-ratifikatsii-dogovora-mezhdu-respublikoy-"
              "kazahstan-i-kyrgyzskoy-respublikoy-o-demarkatsii-kazahstansko-kyrgyzskoy-"
              "gosudarstvennoy-granitsy")
KAZINFORM = "https://www.inform.kz/en/kazakh-kyrgyz-border-to-be-internationally-formalized_a3389447"
WIKI_EN = "https://en.wikipedia.org/wiki/Kazakhstan%E2%80%93Kyrgyzstan_border"
WIKI_PT = "https://pt.m.wikipedia.org./wiki/Fronteira_Cazaquist%C3%A3o-Quirguist%C3%A3o"
LINE3_WORDS = ("Бұл мемлекеттер ТМД, ШЫҰ, ҰҚКШ (ұйымдық қауіпсіздік келісім шарты), АСӨКШ "
               "(Азиядағы сенім мен өзара келісім шарты) ұйымдары шеңберінде")
LINE37_WORDS = "2003, 2010 жылдардағы екі мәрте болған «қызғалдақ революциялары»"
LINE42_WORDS = "қазақ-қырғыз қатынастарында түсінбеушіліктер мен мәнді қайшылақтар жоқ"
LINE13_WORDS = "әр жылда бірнеше миллиард АҚШ доллары көлеміндегі қаржыларын өз елдеріне аударып отырды"
D = "caor:discrepancy-"

# (discrepancy, line, essay's value, record statement's subject, property, value, source)
DEPARTURES = {
    *{(D + "border-length", 38, Decimal(729), "caor:border-kazakhstan-kyrgyzstan",
       "cao:borderLength", Decimal(n), s)
      for n, s in (("1212", WIKI_EN), ("1241", KABAR), ("1241", SPUTNIK), ("1257.07", ZAKONPRAVO),
                   ("1257.07", KAZINFORM), ("1051", WIKI_PT))},
    (D + "tulip-revolution-date", 37, Decimal(2003), "caor:tulip-revolution-2003", "cao:startDate",
     "2005-03-22", "https://en.wikipedia.org/wiki/Tulip_Revolution"),
    (D + "tulip-revolution-date", 37, Decimal(2003), "caor:tulip-revolution-2003", "cao:endDate",
     "2005-04-11", "https://en.wikipedia.org/wiki/Tulip_Revolution"),
    (D + "revolution-2010-name", 37, LINE37_WORDS, "caor:tulip-revolution-2003", "rdfs:label",
     "Tulip Revolution", "https://en.wikipedia.org/wiki/Tulip_Revolution"),
    (D + "revolution-2010-name", 37, LINE37_WORDS, "caor:tulip-revolution-2003", "skos:altLabel",
     "First Kyrgyz Revolution", "https://en.wikipedia.org/wiki/Tulip_Revolution"),
    (D + "clashes-2003", 17, Decimal(2003), "caor:osh-clashes-2010", "cao:startDate", "2010-05-19",
     "https://en.wikipedia.org/wiki/2010_South_Kyrgyzstan_ethnic_clashes"),
    (D + "clashes-2003", 17, Decimal(2003), "caor:osh-clashes-2010", "cao:startDate", "2010-06-10",
     "https://en.fergana.agency/photos/119070"),
    (D + "clashes-2003", 17, Decimal(2003), "caor:osh-clashes-2010", "cao:startDate", "2010-06-10",
     "https://www.arabnews.com/node/348286"),
    (D + "csto-name", 3, "ҰҚКШ (ұйымдық қауіпсіздік келісім шарты)", "caor:csto", "skos:prefLabel",
     "Collective Security Treaty Organization", "http://tass.com/russia/687141"),
    (D + "cica-name", 3, "АСӨКШ (Азиядағы сенім мен өзара келісім шарты)", "caor:cica",
     "skos:altLabel", "СВМДА",
     "https://turkmenportal.com/blog/37604/turkmenistan-obrel-status-nablyudatelya-v-svmda"),
    (D + "cica-name", 3, "АСӨКШ (Азиядағы сенім мен өзара келісім шарты)", "caor:cica",
     "dcterms:description",
     "an interstate dialogue platform for the elaboration of confidence building measures",
     "https://www.akorda.kz/en/events/astana_kazakhstan/participation_in_events/"
     "today-president-nursultan-nazarbayev-participates-in-the-cica-summit"),
    (D + "memberships-line-03", 3, LINE3_WORDS, "caor:turkmenistan", "cao:notMemberOf", "caor:sco",
     "https://byjusexamprep.com/upsc-exam/why-is-turkmenistan-not-a-member-of-sco"),
    (D + "memberships-line-03", 3, LINE3_WORDS, "caor:turkmenistan", "cao:notMemberOf", "caor:csto",
     "https://ria.ru/20050827/41237040.html"),
    (D + "memberships-line-03", 3, LINE3_WORDS, "caor:turkmenistan", "cao:observerOf", "caor:cica",
     "https://turkmenportal.com/blog/37604/turkmenistan-obrel-status-nablyudatelya-v-svmda"),
    (D + "memberships-line-03", 3, LINE3_WORDS, "caor:membership-turkmenistan-cis-associate",
     "cao:membershipStatus", A, "https://en-academic.com/dic.nsf/enwiki/11724396"),
    (D + "memberships-line-03", 3, LINE3_WORDS, "caor:membership-uzbekistan-csto-2006",
     "cao:endDate", "2012-12-19", "http://tass.com/russia/687141"),
    *{(D + "dushanbe-participants", 30, "4 мемлекет президенттерінің", "caor:dushanbe-summit-2000",
       "cao:participant", f"caor:{s}", "https://www.rferl.org/a/1094163.html")
      for s in ("kazakhstan", "kyrgyzstan", "tajikistan", "uzbekistan")},
    (D + "border-closure-2010", 42, LINE42_WORDS, "caor:kz-kg-border-closure-2010", "cao:startDate",
     "2010-04-07", "https://news.afnfn.com/news/i/138516"),
    (D + "border-closure-2010", 42, LINE42_WORDS, "caor:kz-kg-border-closure-2010", "cao:startDate",
     "2010-04-06", "https://regnum.ru/news/1285420.html"),
    (D + "border-closure-2010", 42, LINE42_WORDS, "caor:kz-kg-border-closure-2010", "cao:endDate",
     "2010-05-20", "https://rus.azattyk.org/amp/3234546.html"),
    (D + "border-closure-2010", 42, LINE42_WORDS, "caor:kz-kg-border-closure-2010", "cao:endDate",
     "2010-05-20", "http://kazworld.info/?p=9333"),
    *{(D + "labour-migrants", 11, Decimal(1000000), "caor:labour-migration-to-kazakhstan",
       "cao:headcount", Decimal(n), s)
      for n, s in ((500000, "http://old.cacianalyst.org/?q=node/4848"),
                   (300000, "https://iwpr.net/global-voices/amnesty-illegal-migrants-proves-hit"),
                   (164586, "https://iwpr.net/global-voices/kazakstan-migrant-workers-face-deportation"),
                   (950000, "https://ratel.kz/outlook/kazahstan_sidit_na_porohovoj_bochke_s_migrantami"))},
    (D + "remittances", 13, LINE13_WORDS, "caor:remittances-kazakhstan-uzbekistan",
     "cao:annualQuantity", Decimal(588000000),
     "https://timesca.com/kazakhstan-replaces-russia-as-destination-for-uzbek-migrants"),
    (D + "remittances", 13, LINE13_WORDS, "caor:remittances-kazakhstan-uzbekistan",
     "cao:annualQuantity", Decimal(357000000),
     "https://ehokg.info/v-uzbekistan-bylo-perevedeno-bolee-shesti-milliardov-dollarov"),
}

KG_BORDER = "caor:border-kazakhstan-kyrgyzstan"
CLOSURE = "caor:kz-kg-border-closure-2010"
KG01, KG17 = "caor:treaty-kz-kg-state-border-2001", "caor:treaty-kz-kg-demarcation-2017"
BORDER_RECORD_ONLY = {
    (KG_BORDER, "cao:borderLength", Decimal(1051), Decimal(1)),
    (KG_BORDER, "cao:borderLength", Decimal(1212), Decimal(1)),
    (KG_BORDER, "cao:borderLength", Decimal(1241), Decimal(2)),
    (KG_BORDER, "cao:borderLength", Decimal("1257.07"), Decimal(2)),
    (CLOSURE, "cao:endDate", "2010-05-20", Decimal(4)),
    (CLOSURE, "cao:participant", "caor:kazakhstan", Decimal(7)),
    (CLOSURE, "cao:place", KG_BORDER, Decimal(6)),
    (CLOSURE, "cao:startDate", "2010-04-06", Decimal(1)),
    (CLOSURE, "cao:startDate", "2010-04-07", Decimal(3)),
    (CLOSURE, "cao:startMonth", "2010-04", Decimal(1)),
    (KG17, "dcterms:subject", KG_BORDER, Decimal(2)),
    (KG17, "cao:party", "caor:kazakhstan", Decimal(3)),
    (KG17, "cao:party", "caor:kyrgyzstan", Decimal(3)),
    (KG17, "cao:signatory", "caor:nursultan-nazarbayev", Decimal(1)),
    (KG17, "cao:signatory", "caor:sooronbay-jeenbekov", Decimal(1)),
    (KG17, "cao:signingDate", "2017-12-25", Decimal(3)),
    (KG17, "cao:signingPlace", "caor:astana", Decimal(3)),
    (KG01, "dcterms:subject", KG_BORDER, Decimal(1)),
    (KG01, "cao:party", "caor:kazakhstan", Decimal(2)),
    (KG01, "cao:party", "caor:kyrgyzstan", Decimal(2)),
    (KG01, "cao:signatory", "caor:askar-akayev", Decimal(1)),
    (KG01, "cao:signingDate", "2001-12-15", Decimal(1)),
    (KG01, "cao:signingPlace", "caor:astana", Decimal(1)),
    (KG01, "cao:signingYear", Decimal(2003), Decimal(2)),
}

TURKMENISTAN = {
    ("caor:cica", "cao:observerOf", s) for s in (
        "https://astanatimes.com/2024/12/kazakhstan-concludes-transformative-cica-chairmanship-with-"
        "institutional-milestones",
        "https://en.inform.kz/news/turkmenistan-joins-cica-as-observer-state_a3990052/",
        "https://theicaf.org/icaf/2022/02/09/kazakhstans-chairmanship-in-the-cica",
        "https://turkmenportal.com/blog/37604/turkmenistan-obrel-status-nablyudatelya-v-svmda")} | {
    ("caor:cis", A, s) for s in (
        "http://theasian.asia/?p=105144", "http://www.turkmenistan.ru/en/node/4271",
        "https://en-academic.com/dic.nsf/enwiki/11724396",
        "https://milligosun.gov.tm/habar/garassyz-dowletlerin-arkalasygy-we-turkmenistan-EAbDQthWO7",
        "https://ria.ru/20050827/41237040.html", "https://www.rferl.org/a/1061002.html",
        "https://www.trend.az/azerbaijan/politics/1683309.html")} | {
    ("caor:csto", "cao:notMemberOf", "https://ria.ru/20050827/41237040.html"),
    ("caor:sco", "cao:notMemberOf",
     "https://byjusexamprep.com/upsc-exam/why-is-turkmenistan-not-a-member-of-sco")}

DISAGREEMENTS = {
    (KG_BORDER, "cao:borderLength", Decimal(n), Decimal(k))
    for n, k in (("1051", 1), ("1212", 1), ("1241", 2), ("1257.07", 2))} | {
    ("caor:border-kazakhstan-turkmenistan", "cao:borderLength", Decimal(n), Decimal(1))
    for n in ("413", "437", "458.263")} | {
    ("caor:border-kazakhstan-uzbekistan", "cao:borderLength", Decimal(n), Decimal(k))
    for n, k in (("1200", 1), ("2203", 1), ("2330", 1), ("2333", 1), ("2356", 2),
                 ("2356.666", 2), ("2400", 1), ("2440", 1))} | {
    ("caor:cica", "cao:startDate", "1992-10-05", Decimal(1)),
    ("caor:cica", "cao:startDate", "1999-09-14", Decimal(1)),
    (CLOSURE, "cao:startDate", "2010-04-06", Decimal(1)),
    (CLOSURE, "cao:startDate", "2010-04-07", Decimal(3)),
    ("caor:osh-clashes-2010", "cao:startDate", "2010-05-19", Decimal(1)),
    ("caor:osh-clashes-2010", "cao:startDate", "2010-06-10", Decimal(2)),
    (UZ22, "cao:signingDate", "2022-12-21", Decimal(3)),
    (UZ22, "cao:signingDate", "2022-12-22", Decimal(2)),
}


def _columns(rows: set[tuple], *indexes: int) -> set[tuple]:
    return {tuple(row[i] for i in indexes) for row in rows}


def test_25_memberships_of_each_state():
    assert answer("25-memberships-by-state.rq") == MEMBERSHIPS


def test_26_member_of_is_inferred_from_the_memberships_only():
    assert answer("26-member-of-inferred.rq", inference=True) == MEMBER_OF
    assert not answer("26-member-of-inferred.rq", inference=False)


def test_27_treaties_of_kazakhstan():
    assert answer("27-treaties-of-kazakhstan.rq") == TREATIES_OF_KAZAKHSTAN


def test_28_who_signed_when_and_where_with_every_source():
    assert answer("28-treaty-signing.rq") == SIGNING


def test_29_every_departure_of_the_essay_from_the_record():
    rows = answer("29-essay-versus-record.rq")
    # discrepancy, claim, sentence, line, essayValue, subject, property, recordValue, source, note
    assert _columns(rows, 0, 3, 4, 5, 6, 7, 8) == {
        (d, Decimal(line), ev, s, p, v, src) for d, line, ev, s, p, v, src in DEPARTURES}
    for row in rows:
        assert row[2] == f"caor:essay/line-{int(row[3]):02d}"
    notes = {row[0]: row[9] for row in rows}
    assert notes[D + "border-length"] == "caor:note-border-length"
    assert notes[D + "dushanbe-participants"] == "caor:note-dushanbe-summit"
    assert notes[D + "border-closure-2010"] is None and notes[D + "labour-migrants"] is None
    assert {notes[d] for d in notes} - {None} == {
        f"caor:note-{n}" for n in ("border-length", "tulip-revolution-date", "revolution-2010-name",
                                   "clashes-2003", "csto-abbreviation", "cica-name",
                                   "memberships-line-03", "dushanbe-summit")}


def test_30_the_record_only_view_of_the_kazakh_kyrgyz_border():
    rows = answer("30-kazakh-kyrgyz-border-record-only.rq")
    assert rows == BORDER_RECORD_ONLY
    assert Decimal(729) not in {row[2] for row in rows}


def test_31_organisations_turkmenistan_is_not_a_full_member_of():
    assert answer("31-turkmenistan-not-full-member.rq") == TURKMENISTAN
    assert _columns(TURKMENISTAN, 0) == {("caor:cis",), ("caor:sco",), ("caor:csto",), ("caor:cica",)}


def test_32_where_the_sources_disagree():
    assert answer("32-sources-disagree.rq") == DISAGREEMENTS


def test_33_the_essay_only_view_of_the_kazakh_kyrgyz_border():
    assert answer("33-kazakh-kyrgyz-border-essay-only.rq") == {
        (KG_BORDER, Decimal(729), "km", "caor:essay/line-38", Decimal(38), "caor:note-border-length")}


def test_from_one_graph_gives_the_essay_only_or_the_record_only_view():
    query = """PREFIX cao: <https://w3id.org/caonto/def/>
        SELECT DISTINCT ?length FROM <%s> WHERE {
          { <%s> cao:borderLength ?q } UNION
          { ?s cao:statementSubject <%s> ; cao:statementProperty cao:borderLength ; cao:statementValue ?q }
          ?q cao:numericValue ?length }"""
    border = str(CAOR["border-kazakhstan-kyrgyzstan"])
    for graph, lengths in ((GRAPH_ESSAY, {Decimal(729)}),
                           (GRAPH_RECORD, {Decimal(n) for n in ("1212", "1241", "1257.07", "1051")})):
        rows = store(False).query(query % (graph, border, border))
        assert {short(row["length"]) for row in rows} == lengths, graph


@pytest.mark.parametrize("name", [n for n in RECORD_QUERIES if "-inferred" not in n])
def test_rdflib_gives_the_same_rows_as_the_endpoint_engine(name: str):
    assert rdflib_answer(name) == answer(name)


def test_every_record_query_has_an_exact_answer_test():
    tested = {n.split("_", 2)[1] for n in globals() if re.match(r"test_\d\d_", n)}
    assert tested == {name[:2] for name in RECORD_QUERIES}


# -- the record survives export, reasoning, validation and the CLI -----------------------------------

@pytest.mark.parametrize("fmt", sorted(f.name for f in formats.of_kind(formats.GRAPH)))
def test_every_export_format_carries_the_record_unchanged(fmt: str):
    dataset = assemble(graphs.asserted())
    payload = serialize(dataset, formats.BY_NAME[fmt])
    quads = list(read_quads(payload, formats.BY_NAME[fmt], base_iri=BASE))
    triples = {(to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)) for q in quads}
    assert set(record()) <= triples
    if formats.BY_NAME[fmt].is_quads:
        in_record = {(to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))
                     for q in quads if str(getattr(q.graph_name, "value", "")) == str(GRAPH_RECORD)}
        assert in_record == set(record())
        in_essay = {(to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))
                    for q in quads if str(getattr(q.graph_name, "value", "")) == str(GRAPH_ESSAY)}
        assert not in_essay & in_record - {t for t in in_record if t[1] == RDF.type}


def test_owl_rl_closure_keeps_statements_apart_from_what_they_state():
    closed = graphs.closed()
    assert (CAOR.turkmenistan, CAO.memberOf, CAOR.cis) in closed
    assert (CAOR.turkmenistan, CAO.memberOf, CAOR.sco) not in closed
    assert (CAOR.turkmenistan, CAO.observerOf, CAOR.cica) not in closed  # a statement, not a fact
    assert (CAOR["treaty-collective-security-1992"], CAO.party, CAOR.turkmenistan) not in closed
    assert not [s for s in statements() if (s, RDF.type, CAO.Treaty) in closed]


def test_owlrl_itself_finds_the_record_consistent_and_derives_the_same_closure():
    from caonto.inference import infer

    assert set(infer(graphs.asserted().union(), reasoner="owlrl")) == set(graphs.inferred())


def test_the_shapes_loader_reads_the_record_shapes():
    shapes = load_shapes()
    assert (URIRef(BASE + "shapes/RecordStatementShape"), None, None) in shapes
    assert {p.name for p in rdf_files(resource_paths().shapes)} >= {"caonto-shapes.ttl",
                                                                    "caonto-record-shapes.ttl"}


def test_record_datatype_properties_stay_in_the_rl_datatype_map():
    ontology = parse_file(ROOT / "ontology" / "caonto-record.ttl")
    ranges = {r for p in ontology.subjects(RDF.type, OWL.DatatypeProperty)
              for r in ontology.objects(p, RDFS.range)}
    # all in OWL 2 RL's datatype map (xsd:date and xsd:gYear are not: the shapes check those)
    assert ranges and ranges <= {RDFS.Literal, RDF.PlainLiteral, XSD.boolean, XSD.integer}


def test_stats_counts_the_record():
    result = subprocess.run([sys.executable, "-m", "caonto.cli", "stats", "--format", "json"],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["graphs"][str(GRAPH_RECORD)] == len(record())
    assert stats["graphs"][str(GRAPH_ESSAY)] == len(essay())
    sources = {record().value(s, DCTERMS.source) for s in statements()}
    claims = {c for c in essay().subjects(CAO.statedIn, None)
              if (None, CAO.statementSubject, c) in record() or (None, CAO.essayClaim, c) in record()}
    assert stats["record"] == {
        "statements": len(statements()), "sourced": len(statements()), "pages": len(sources),
        "deprecated": 4, "discrepancies": 11, "claims": len(claims)}
    assert len(claims) == 10


def test_the_documented_counts_and_not_found_list_match_the_data():
    doc = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    section = doc.split("\n## The record", 1)[1]
    g = record()
    numbers = re.search(r"In numbers: (\d+) record statements from (\d+) source pages.*?; (\d+)\s+"
                        r"memberships; (\d+) treaties; (\d+) discrepancies", section, re.S)
    assert numbers, "the numbers paragraph of 'The record'"
    assert tuple(int(n) for n in numbers.groups()) == (
        len(statements()), len({g.value(s, DCTERMS.source) for s in statements()}),
        len(set(g.subjects(RDF.type, CAO.Membership))), len(set(g.subjects(RDF.type, CAO.Treaty))),
        len(set(g.subjects(RDF.type, CAO.Discrepancy))))
    not_found = section.split("### Not found", 1)[1]
    for fact in ("Wikidata items of CICA and of Osh Region", "Turkmenistan never signed",
                 "nearly 1 million labour migrants"):
        assert fact in not_found, fact
    documented = set(re.findall(r"`(caor:discrepancy-[a-z0-9-]+)`", section))
    assert documented == {"caor:" + str(d).removeprefix(str(CAOR))
                          for d in g.subjects(RDF.type, CAO.Discrepancy)}
