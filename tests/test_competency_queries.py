"""The competency questions in queries/: each one's exact answer on the project's data.

Queries run with rdflib on ontology/*.ttl + data/*.ttl. The two whose names end in
"-inferred" need the OWL-RL closure (a property chain, a symmetric property) and run on
ontology + data + closure; the others on the asserted graphs only. Every query also runs on
pyoxigraph, the endpoint's engine, and must give the same rows there.
"""

from decimal import Decimal

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from caonto.namespaces import BASE, WD
from caonto.rdf_io import rdf_files
from caonto.resources import resource_paths
from tests import graphs
from tests.test_essay_claims import EXPECTED as CLAIMS_EXPECTED

QUERIES = resource_paths().queries
# The essay as published, shipped with the data (data/source/).
ESSAY_FILE = resource_paths().data / "source" / "essay.kk.txt"

_SHORT = ((BASE + "id/", "caor:"), (BASE + "def/", "cao:"), (str(WD), "wd:"))
_NUMERIC = {XSD.decimal, XSD.integer, XSD.double, XSD.positiveInteger, XSD.nonNegativeInteger}


def _value(term):
    """A readable Python value: caor:/cao:/wd: names, numbers, booleans, other text as str."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        for long, short in _SHORT:
            if str(term).startswith(long):
                return short + str(term)[len(long):]
        return str(term)
    if isinstance(term, Literal) and term.datatype in _NUMERIC:
        return Decimal(str(term))
    if isinstance(term, Literal) and term.datatype == XSD.boolean:
        return term.toPython()
    return str(term)


def _text(name: str) -> str:
    return (QUERIES / name).read_text(encoding="utf-8")


def _answer(name: str, columns: tuple[str, ...] | None = None) -> set[tuple]:
    graph = graphs.closed() if "-inferred" in name else graphs.asserted().union()
    result = graph.query(_text(name))
    names = columns or tuple(str(v) for v in result.vars)
    return {tuple(_value(row[c]) for c in names) for row in result}


def _essay_line(number: int) -> str:
    lines = ESSAY_FILE.read_text(encoding="utf-8").split("\n")
    return lines[number - 1].rstrip()


def _line(n: int) -> str:
    return f"caor:essay/line-{n:02d}"


COOPERATION = "caor:cooperation-in-organisations"


EXPECTED: dict[str, set[tuple]] = {
    "01-kazakhstan-borders.rq": {
        ("caor:kyrgyzstan", "Kyrgyzstan", Decimal(729), "km", _line(38),
         "caor:note-border-length")},
    "02-kazakhstan-aid.rq": {
        ("caor:humanitarian-aid-2010", "caor:kyrgyzstan", Decimal(2010), Decimal(20300000), "USD",
         f"caor:aid-{item}", name)
        for item, name in (("diesel-fuel", "diesel fuel"), ("food", "food"),
                           ("construction-materials", "construction materials"),
                           ("coal", "coal"), ("consumer-goods", "other consumer goods"))},
    "04-labour-migration.rq": {
        ("caor:labour-migration-to-kazakhstan", f"caor:{origin}", "caor:kazakhstan", Decimal(2000),
         Decimal(1000000), True, f"caor:sector-{sector}")
        for origin in ("uzbekistan", "kyrgyzstan", "tajikistan")
        for sector in ("construction", "agriculture", "services")},
    "05-events-in-kyrgyzstan.rq": {
        ("caor:kyrgyz-political-crisis", "cao:PoliticalCrisis", None, "caor:kyrgyzstan"),
        ("caor:tulip-revolution-2003", "cao:Uprising", Decimal(2003), "caor:kyrgyzstan"),
        ("caor:tulip-revolution-2010", "cao:Uprising", Decimal(2010), "caor:kyrgyzstan"),
        ("caor:clashes-kyrgyzstan-2003", "cao:Event", Decimal(2003), "caor:kyrgyzstan"),
        ("caor:osh-clashes-2010", "cao:InterethnicConflict", Decimal(2010), "caor:osh-region")},
    "06-curator-notes.rq": {
        ("caor:note-border-length", "caor:border-kazakhstan-kyrgyzstan", _line(38),
         "https://en.wikipedia.org/wiki/Kazakhstan%E2%80%93Kyrgyzstan_border"),
        ("caor:note-border-length", "caor:border-kazakhstan-kyrgyzstan", _line(38),
         "http://kabar.kg/eng/news/presidents-of-kyrgyzstan-and-kazakhstan-sign-treaty-on-"
         "demarcation-of-state-border-2/"),
        ("caor:note-tulip-revolution-date", "caor:tulip-revolution-2003", _line(37),
         "https://en.wikipedia.org/wiki/Tulip_Revolution"),
        ("caor:note-tulip-revolution-date", "caor:tulip-revolution-2003", _line(17),
         "https://en.wikipedia.org/wiki/Tulip_Revolution"),
        ("caor:note-revolution-2010-name", "caor:tulip-revolution-2010", _line(37),
         "https://en.wikipedia.org/wiki/Tulip_Revolution"),
        ("caor:note-revolution-2010-name", "caor:tulip-revolution-2010", _line(37),
         "https://en.wikipedia.org/wiki/2010_Kyrgyz_Revolution"),
        ("caor:note-clashes-2003", "caor:clashes-kyrgyzstan-2003", _line(17),
         "https://en.wikipedia.org/wiki/2010_South_Kyrgyzstan_ethnic_clashes"),
        ("caor:note-csto-abbreviation", COOPERATION, _line(3), "wd:Q318693"),
        ("caor:note-csto-abbreviation", "caor:csto", _line(3), "wd:Q318693"),
        ("caor:note-cica-name", COOPERATION, _line(3),
         "http://mfa.kz/en/content-view/svmda"),
        ("caor:note-cica-name", "caor:cica", _line(3), "http://mfa.kz/en/content-view/svmda"),
        ("caor:note-memberships-line-03", COOPERATION, _line(3), "wd:Q318693"),
        ("caor:note-memberships-line-03", COOPERATION, _line(3), "wd:Q485207"),
        ("caor:note-memberships-line-03", COOPERATION, _line(3), "http://tass.com/russia/687141"),
        ("caor:note-dushanbe-summit", "caor:dushanbe-summit-2000", _line(30),
         "https://www.rferl.org/a/1094163.html")},
    "07-threats.rq": {
        ("caor:threat-unemployment", "unemployment-driven hardship", _line(12)),
        ("caor:threat-radical-islamist-opposition", "radical Islamist opposition", _line(15)),
        ("caor:threat-terrorism", "terrorism", _line(16)),
        ("caor:threat-terrorism", "terrorism", _line(22)),
        ("caor:threat-religious-extremism", "religious extremism", _line(22)),
        ("caor:threat-terrorism", "terrorism", _line(29)),
        ("caor:threat-religious-extremism", "religious extremism", _line(29)),
        ("caor:threat-transnational-organised-crime", "transnational organised crime", _line(29)),
        ("caor:threat-drug-trafficking", "drug trafficking", _line(29)),
        ("caor:threat-illegal-arms-trade", "illegal arms trade", _line(29)),
        ("caor:threat-afghan-conflict-spillover", "spread of the Afghan conflict", _line(31))},
    "08-dushanbe-summit.rq": {
        ("caor:dushanbe-summit-2000", "2000-06-14", "caor:dushanbe", f"caor:{topic}", name, kind)
        for topic, name, kind in (
            ("agenda-economic-integration", "strengthening Central Asian economic integration",
             "cao:AgendaItem"),
            ("agenda-water-energy-resources", "effective use of water and energy resources",
             "cao:AgendaItem"),
            ("agenda-afghan-spillover-measures",
             "measures against the spread of Afghanistan's political struggle to Central Asia",
             "cao:AgendaItem"),
            ("threat-afghan-conflict-spillover", "spread of the Afghan conflict", "cao:Threat"))},
    "09-policies-by-state.rq": {
        ("caor:kazakhstan", "caor:policy-kazakhstan-central-asia-cooperation",
         "cao:ForeignPolicyPriority",
         "Kazakhstan: cooperation, partnership and peace with its Central Asian neighbours"),
        ("caor:kazakhstan", "caor:policy-kazakhstan-assistance-kyrgyzstan", "cao:AssistancePolicy",
         "Kazakhstan's policy of assisting Kyrgyzstan"),
        ("caor:kazakhstan", "caor:policy-kazakhstan-central-asian-union",
         "cao:ForeignPolicyPriority",
         "Kazakhstan's aim of a single union in Central Asia"),
        ("caor:kazakhstan", "caor:policy-kazakhstan-kyrgyzstan-relations",
         "cao:ForeignPolicyPriority",
         "Kazakhstan: equal, friendly and cooperative relations with Kyrgyzstan"),
        ("caor:turkmenistan", "caor:policy-turkmenistan-neutrality", "cao:NeutralityPolicy",
         "Turkmenistan's policy of neutrality"),
        ("caor:tajikistan", "caor:policy-tajikistan-multi-vector", "cao:Policy",
         "Tajikistan's foreign policy, called multi-vector by the author"),
        ("caor:uzbekistan", "caor:policy-uzbekistan-closed-society", "cao:Policy",
         "Uzbekistan's domestic course, called building a closed society by the author"),
        ("caor:uzbekistan", "caor:policy-uzbekistan-support-us-counterterrorism", "cao:Policy",
         "Uzbekistan's support for US anti-terrorist activity in Afghanistan and Tajikistan")},
    "10-kazakh-kyrgyz-councils.rq": {
        ("caor:kz-kg-supreme-interstate-council",
         "Kazakhstan–Kyrgyzstan Supreme Interstate Council", None, None),
        ("caor:kz-kg-intergovernmental-council", "Kazakhstan–Kyrgyzstan Intergovernmental Council",
         "caor:office-pm-kazakhstan", "caor:kazakhstan"),
        ("caor:kz-kg-intergovernmental-council", "Kazakhstan–Kyrgyzstan Intergovernmental Council",
         "caor:office-pm-kyrgyzstan", "caor:kyrgyzstan"),
        ("caor:kz-kg-council-of-foreign-ministries",
         "Council of the Foreign Ministries of Kazakhstan and Kyrgyzstan", None, None)},
    "11-cooperation-organisations.rq": {
        (COOPERATION, "caor:cis", "Commonwealth of Independent States", None),
        (COOPERATION, "caor:sco", "Shanghai Cooperation Organisation", None),
        (COOPERATION, "caor:csto", "Collective Security Treaty Organization",
         "caor:note-csto-abbreviation"),
        (COOPERATION, "caor:cica",
         "Conference on Interaction and Confidence Building Measures in Asia",
         "caor:note-cica-name")},
    "12-remittances.rq": {
        ("caor:remittances-from-kazakhstan", "caor:kazakhstan", f"caor:{destination}", "USD",
         "several billion", True, _line(13))
        for destination in ("uzbekistan", "kyrgyzstan", "tajikistan")},
    "15-state-names.rq": {
        ("caor:kazakhstan", "Kazakhstan", "Қазақстан", "Казахстан", "wd:Q232"),
        ("caor:uzbekistan", "Uzbekistan", "Өзбекстан", "Узбекистан", "wd:Q265"),
        ("caor:turkmenistan", "Turkmenistan", "Түркіменстан", "Туркменистан", "wd:Q874"),
        ("caor:kyrgyzstan", "Kyrgyzstan", "Қырғызстан", "Кыргызстан", "wd:Q813"),
        ("caor:tajikistan", "Tajikistan", "Тәжікстан", "Таджикистан", "wd:Q863"),
        ("caor:afghanistan", "Afghanistan", "Ауғанстан", "Афганистан", "wd:Q889"),
        ("caor:united-states", "United States", "Америка Құрама Штаттары",
         "Соединённые Штаты Америки", "wd:Q30")},
    "16-aid-given-inferred.rq": {("caor:kazakhstan", "caor:kyrgyzstan")},
    "17-assessment-tones.rq": {
        ("caor:tone-negative", "negative", Decimal(14)),
        ("caor:tone-positive", "positive", Decimal(9)),
        ("caor:tone-cautious", "cautious", Decimal(4)),
        ("caor:tone-neutral", "neutral", Decimal(1))},
    "18-kyrgyzstan-neighbours-inferred.rq": {("caor:kazakhstan",)},
}

def _assessment(n: int) -> str:
    return f"caor:assessment-line-{n:02d}"


# Queries whose rows carry whole sentences: the key columns are compared exactly, and the
# Kazakh text of each row is compared with the essay file itself.
RELATION_ASSESSMENTS = {
    ("caor:relation-kazakhstan-uzbekistan", "Kazakhstan–Uzbekistan relations", _assessment(n),
     f"caor:tone-{tone}", _line(n))
    for n, tone in ((24, "cautious"), (25, "cautious"), (26, "positive"), (27, "positive"),
                    (28, "positive"))} | {
    ("caor:relation-kazakhstan-kyrgyzstan", "Kazakhstan–Kyrgyzstan relations", _assessment(n),
     "caor:tone-positive", _line(n)) for n in (38, 42, 44)} | {
    ("caor:relation-kyrgyzstan-uzbekistan", "Kyrgyzstan–Uzbekistan relations", _assessment(n),
     f"caor:tone-{tone}", _line(n))
    for n, tone in ((17, "negative"), (18, "negative"), (19, "positive"), (20, "negative"))}


# Queries 25-34 ask about the record (caog:record) and name its graphs: tests/test_record.py
# answers them on a dataset with named graphs.
RECORD_QUERIES = {p.name for p in QUERIES.glob("*.rq") if 25 <= int(p.name[:2]) <= 34}


def test_every_query_file_has_a_title_a_description_prefixes_and_an_expected_answer():
    files = sorted(p.name for p in QUERIES.glob("*.rq") if p.name not in RECORD_QUERIES)
    assert len(files) >= 15
    assert set(files) == set(EXPECTED) | {"03-relation-assessments.rq", "13-kazakhstan-agenda.rq",
                                         "14-sentences-mentioning-uzbekistan.rq"} | set(CLAIMS_EXPECTED)
    for name in files:
        first, second, *_ = _text(name).splitlines()
        assert first.startswith("# title: ") and len(first) > 12, name
        assert second.startswith("# description: ") and len(second) > 30, name
        assert "PREFIX cao: <https://w3id.org/caonto/def/>" in _text(name), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_query_gives_its_exact_answer(name):
    assert _answer(name) == EXPECTED[name]


def test_relation_assessments_with_their_sentences():
    keys = ("relation", "relationName", "assessment", "tone", "sentence")
    assert _answer("03-relation-assessments.rq", keys) == RELATION_ASSESSMENTS
    full = _answer("03-relation-assessments.rq", (*keys, "kazakh", "judgement"))
    for *_, sentence, kazakh, judgement in full:
        assert kazakh == _essay_line(int(sentence[-2:]))
        assert judgement and judgement[0].isupper()


def test_agenda_items_kazakhstan_raised():
    answer = _answer("13-kazakhstan-agenda.rq")
    assert {row[:3] for row in answer} == {
        ("caor:agenda-transboundary-rivers",
         "fair and environmentally sound use of transnational rivers", _line(9)),
        ("caor:agenda-free-movement",
         "a legal basis for citizens' free movement between Central Asian states", _line(10))}
    assert {row[3].split()[1] for row in answer} == {"put", "proposed"}


def test_sentences_that_speak_of_uzbekistan():
    answer = _answer("14-sentences-mentioning-uzbekistan.rq")
    assert {(row[0], row[1]) for row in answer} == {
        (Decimal(n), _line(n)) for n in (2, 5, 11, 15, 17, 19, 20, 24, 25, 27)}
    for line, _sentence, kazakh, _english in answer:
        assert kazakh == _essay_line(int(line))


def test_the_queries_without_inference_do_not_depend_on_it():
    """On the closed graph (what the endpoint serves) the other questions answer the same."""
    for name in sorted(EXPECTED):
        if "-inferred" in name:
            continue
        result = graphs.closed().query(_text(name))
        answer = {tuple(_value(row[v]) for v in result.vars) for row in result}
        assert answer == EXPECTED[name], name


def test_the_inferred_questions_have_no_answer_without_inference():
    for name in ("16-aid-given-inferred.rq", "18-kyrgyzstan-neighbours-inferred.rq"):
        assert not list(graphs.asserted().union().query(_text(name))), name


def _ox_value(term):
    """Oxigraph writes decimals canonically (729 for 729.0): compare values, not spellings."""
    if term is None:
        return None
    if isinstance(term, ox.Literal) and term.datatype.value in {str(d) for d in _NUMERIC}:
        return Decimal(term.value)
    return term.value


def _to_ox(term):
    if term is None:
        return None
    if isinstance(term, Literal):
        datatype = ox.NamedNode(str(term.datatype)) if term.datatype else None
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=datatype)
    return ox.NamedNode(str(term))


def _oxigraph_store() -> ox.Store:
    store = ox.Store()
    paths = resource_paths()
    for file in [*rdf_files(paths.ontology), *rdf_files(paths.data)]:
        store.load(path=str(file), format=ox.RdfFormat.TURTLE)
    return store


def test_the_endpoint_engine_gives_the_same_rows():
    store = _oxigraph_store()
    for path in sorted(QUERIES.glob("*.rq")):
        if "-inferred" in path.name or path.name in RECORD_QUERIES:
            continue
        ours = graphs.asserted().union().query(path.read_text(encoding="utf-8"))
        expected = sorted((tuple(_ox_value(_to_ox(row[v])) for v in ours.vars) for row in ours),
                          key=repr)
        theirs = store.query(path.read_text(encoding="utf-8"))
        names = [v.value for v in theirs.variables]
        got = sorted((tuple(_ox_value(row[n]) for n in names) for row in theirs), key=repr)
        assert got == expected, path.name
