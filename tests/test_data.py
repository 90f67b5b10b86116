"""The essay data: exact sentences, full coverage, provenance, names, links and sanity rules."""

import re
from decimal import Decimal

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from caonto.namespaces import CAO, CAOR, WD
from caonto.resources import resource_paths
from tests import graphs

# The essay as published, shipped with the data (data/source/).
ESSAY_FILE = resource_paths().data / "source" / "essay.kk.txt"
LINE = "https://w3id.org/caonto/id/essay/line-"
ENTITY_CLASSES = (CAO.State, CAO.InternationalOrganization, CAO.City, CAO.Region, CAO.Office,
                  CAO.IntergovernmentalBody, CAO.Person)
FACT_CLASSES = (CAO.Border, CAO.Aid, CAO.HumanitarianAid, CAO.Flow, CAO.LabourMigrationFlow,
                CAO.RemittanceFlow, CAO.Event, CAO.Summit, CAO.StateVisit, CAO.Uprising,
                CAO.InterethnicConflict, CAO.PoliticalCrisis, CAO.Cooperation,
                CAO.BorderDelimitation, CAO.Policy, CAO.NeutralityPolicy, CAO.MultiVectorPolicy,
                CAO.ClosedSocietyPolicy, CAO.AssistancePolicy, CAO.ForeignPolicyPriority,
                CAO.AgendaItem, CAO.BilateralRelation, CAO.Assessment, CAO.Claim,
                CAO.RelationalClaim, CAO.CausalClaim, CAO.IntendedCooperation)


def _essay_lines() -> list[str]:
    """The source lines, from the copy shipped with the data."""
    return ESSAY_FILE.read_text(encoding="utf-8").split("\n")


def _data():
    return graphs.asserted().data


def _sentences() -> dict[URIRef, tuple[int, int, Literal]]:
    data = _data()
    found = {}
    for sentence in data.subjects(RDF.type, CAO.Sentence):
        start = data.value(sentence, CAO.startLine)
        end = data.value(sentence, CAO.endLine)
        found[sentence] = (int(start), int(end), data.value(sentence, CAO.text))
    return found


def _typed(*classes) -> set:
    data = _data()
    return {s for c in classes for s in data.subjects(RDF.type, c)}


def _langs(subject, predicate) -> set[str]:
    return {o.language for o in _data().objects(subject, predicate) if isinstance(o, Literal)}


# -- the sentences ---------------------------------------------------------------------------

def test_sentence_texts_equal_the_essay_lines_byte_for_byte():
    """Normalisation: trailing whitespace stripped (line 2 ends in U+00A0); 40–41 joined by ' '."""
    lines = _essay_lines()
    for sentence, (start, end, text) in _sentences().items():
        expected = " ".join(lines[n - 1].rstrip() for n in range(start, end + 1))
        assert text.language == "kk", sentence
        assert str(text).encode("utf-8") == expected.encode("utf-8"), sentence


def test_every_content_line_is_in_exactly_one_sentence():
    covered = [n for start, end, _ in _sentences().values() for n in range(start, end + 1)]
    assert sorted(covered) == list(range(1, 45))
    assert len(_sentences()) == 43  # 44 lines; 40–41 are one sentence


def test_sentence_iris_line_numbers_and_the_joined_sentence():
    sentences = _sentences()
    for sentence, (start, end, _) in sentences.items():
        assert str(sentence) == f"{LINE}{start:02d}"
        assert end == (41 if start == 40 else start)
    assert URIRef(f"{LINE}41") not in sentences


def test_line_numbers_are_positive_integers():
    data = _data()
    for predicate in (CAO.startLine, CAO.endLine):
        for value in data.objects(None, predicate):
            assert value.datatype == XSD.positiveInteger


def test_every_sentence_has_an_english_translation_and_belongs_to_the_essay():
    data = _data()
    for sentence in _sentences():
        assert _langs(sentence, CAO.translation) == {"en"}, sentence
        assert (sentence, URIRef("http://purl.org/dc/terms/isPartOf"), CAOR.essay) in data
        assert (CAOR.essay, URIRef("http://purl.org/dc/terms/hasPart"), sentence) in data


def test_every_sentence_is_cited_by_a_fact_or_an_assessment():
    """So no statement of the essay is left out."""
    data = _data()
    uncited = [s for s in _sentences() if (None, CAO.statedIn, s) not in data]
    assert not uncited


# -- the essay and its author --------------------------------------------------------------

def test_the_essay_has_a_supplied_title_its_author_and_language():
    """The essay has no title: the one caonto supplies is a cao:descriptiveTitle, not a dcterms:title."""
    data = _data()
    dcterms = "http://purl.org/dc/terms/"
    assert (CAOR.essay, URIRef(dcterms + "title"), None) not in data
    assert _langs(CAOR.essay, CAO.descriptiveTitle) == {"en", "kk", "ru"}
    assert data.value(CAOR.essay, URIRef(dcterms + "creator")) == CAOR["sayin-borbasov"]
    assert str(data.value(CAOR.essay, URIRef(dcterms + "language"))) == "kk"
    assert "supplied by caonto" in str(data.value(CAOR.essay, RDFS.comment))


def test_the_author_is_the_signature_of_lines_45_to_47():
    lines = _essay_lines()
    data = _data()
    author = CAOR["sayin-borbasov"]
    assert (author, RDF.type, CAO.Person) in data
    assert Literal(lines[44].rstrip(" ,"), lang="kk") in set(data.objects(author, SKOS.prefLabel))
    assert set(data.objects(author, CAO.academicDegree)) == {
        Literal("doctor of political science", lang="en"),
        Literal(lines[45].rstrip(" ,"), lang="kk")}
    assert set(data.objects(author, CAO.academicTitle)) == {
        Literal("professor", lang="en"), Literal(lines[46].strip(), lang="kk")}


# -- names and links -----------------------------------------------------------------------

def test_every_entity_is_named_in_kazakh_english_and_russian():
    entities = _typed(*ENTITY_CLASSES)
    assert len(entities) >= 20
    for entity in entities:
        assert {"kk", "en", "ru"} <= _langs(entity, RDFS.label), entity
        assert {"kk", "en", "ru"} <= _langs(entity, SKOS.prefLabel), entity


def test_states_carry_the_essays_nominative_kazakh_names():
    data = _data()
    expected = {"kazakhstan": "Қазақстан", "uzbekistan": "Өзбекстан",
                "turkmenistan": "Түркіменстан", "kyrgyzstan": "Қырғызстан",
                "tajikistan": "Тәжікстан", "afghanistan": "Ауғанстан",
                "united-states": "Америка Құрама Штаттары"}
    for local, name in expected.items():
        assert Literal(name, lang="kk") in set(data.objects(CAOR[local], SKOS.prefLabel)), local
    # the essay's abbreviation stays findable, as the alternative name
    assert Literal("АҚШ", lang="kk") in set(data.objects(CAOR["united-states"], SKOS.altLabel))


def test_abbreviations_are_alt_labels():
    data = _data()
    alt = {str(o) for o in data.objects(None, SKOS.altLabel)}
    assert {"ТМД", "ШЫҰ", "ҰҚКШ", "АСӨКШ", "CIS", "СНГ", "ШОС", "ОДКБ", "СВМДА"} <= alt


def test_every_resource_has_english_and_kazakh_labels():
    data = _data()
    for subject in set(data.subjects(RDF.type, None)):
        if isinstance(subject, BNode) and (subject, RDFS.label, None) not in data:
            continue
        assert {"en", "kk"} <= _langs(subject, RDFS.label), subject


def test_same_as_links_are_wikidata_entity_iris():
    links = list(_data().subject_objects(OWL.sameAs))
    assert links
    for _subject, target in links:
        assert re.fullmatch(r"http://www\.wikidata\.org/entity/Q[1-9][0-9]*", str(target)), target


def test_only_the_verified_wikidata_links_are_made():
    """A wrong QID is worse than none: this is the exact list the curators checked."""
    verified = {"kazakhstan": "Q232", "uzbekistan": "Q265", "turkmenistan": "Q874",
                "kyrgyzstan": "Q813", "tajikistan": "Q863", "afghanistan": "Q889",
                "united-states": "Q30", "cis": "Q7779", "sco": "Q485207", "csto": "Q318693",
                "tashkent": "Q269", "dushanbe": "Q9365", "central-asia": "Q27275"}
    assert set(_data().subject_objects(OWL.sameAs)) == {
        (CAOR[local], WD[qid]) for local, qid in verified.items()}


def test_every_caonto_resource_used_is_described_somewhere():
    """Catches typos: an object caor:… that nothing types or labels."""
    everything = graphs.asserted().union()
    for obj in set(_data().objects()):
        if isinstance(obj, URIRef) and str(obj).startswith(str(CAOR)):
            assert (obj, RDF.type, None) in everything or (obj, RDFS.label, None) in everything, obj


# -- provenance --------------------------------------------------------------------------

def test_every_fact_and_assessment_cites_sentences():
    data = _data()
    facts = _typed(*FACT_CLASSES)
    assert len(facts) >= 40
    for fact in facts:
        cited = set(data.objects(fact, CAO.statedIn))
        assert cited and all(str(s).startswith(LINE) for s in cited), fact


def test_assessments_are_the_authors_with_tone_and_texts():
    data = _data()
    assessments = _typed(CAO.Assessment)
    assert len(assessments) >= 20
    for assessment in assessments:
        assert data.value(assessment, CAO.assessedBy) == CAOR["sayin-borbasov"]
        assert str(data.value(assessment, CAO.tone)).startswith(str(CAOR) + "tone-")
        assert _langs(assessment, CAO.assessmentText) == {"en", "kk"}
        assert (assessment, CAO.about, None) in data


def test_curator_notes_concern_sentences_but_are_not_stated_in_them():
    data = _data()
    notes = _typed(CAO.CuratorNote)
    assert len(notes) >= 6
    for note in notes:
        assert (note, CAO.statedIn, None) not in data
        assert (note, CAO.concernsSentence, None) in data
        assert (note, CAO.recordReference, None) in data
        assert (note, CAO.about, None) in data
        assert _langs(note, CAO.noteText) == {"en"}
        assert data.value(note, URIRef("http://purl.org/dc/terms/creator")) == CAOR["caonto-team"]


def test_the_border_note_records_the_reference_length_and_keeps_the_essays_729():
    data = _data()
    note = CAOR["note-border-length"]
    assert "1,212 km" in str(data.value(note, CAO.noteText))
    length = data.value(CAOR["border-kazakhstan-kyrgyzstan"], CAO.borderLength)
    assert data.value(length, CAO.numericValue).toPython() == Decimal(729)


# -- what the essay does not say ------------------------------------------------------------

def test_line_3_records_no_memberships():
    data = _data()
    assert not list(data.subjects(RDF.type, CAO.Membership))
    assert not list(data.triples((None, CAO.memberOf, None)))


def test_the_dushanbe_meeting_names_no_participants():
    assert (CAOR["dushanbe-summit-2000"], CAO.participant, None) not in _data()


def test_remittances_carry_no_invented_number():
    data = _data()
    amount = data.value(CAOR["remittances-from-kazakhstan"], CAO.annualQuantity)
    assert (amount, CAO.amountValue, None) not in data
    assert (amount, CAO.numericValue, None) not in data
    assert data.value(amount, CAO.isApproximate).toPython() is True
    assert _langs(amount, CAO.magnitudeDescription) == {"en", "kk"}


def test_bilateral_relations_and_borders_have_exactly_two_states():
    data = _data()
    for relation in _typed(CAO.BilateralRelation):
        assert len(set(data.objects(relation, CAO.relationParty))) == 2, relation
    for border in _typed(CAO.Border):
        assert len(set(data.objects(border, CAO.borderOf))) == 2, border
    assert len(_typed(CAO.BilateralRelation)) == 3


def test_no_state_is_its_own_neighbour():
    closed = graphs.closed()
    assert not [s for s, o in closed.subject_objects(CAO.sharesBorderWith) if s == o]


def test_kazakhstan_does_not_share_a_border_with_tajikistan():
    closed = graphs.closed()
    assert (CAOR.kazakhstan, CAO.sharesBorderWith, CAOR.tajikistan) not in closed
    assert (CAOR.tajikistan, CAO.sharesBorderWith, CAOR.kazakhstan) not in closed
    assert (CAOR.kyrgyzstan, CAO.sharesBorderWith, CAOR.kazakhstan) in closed


# -- datatypes ---------------------------------------------------------------------------

def test_dates_and_years_are_typed():
    """Years are whole numbers (xsd:integer), so that `cao:year 2010` matches."""
    data = _data()
    for predicate, datatype in ((CAO.year, XSD.integer), (CAO.sinceYear, XSD.integer),
                                (CAO.date, XSD.date)):
        values = list(data.objects(None, predicate))
        assert values, predicate
        assert all(v.datatype == datatype for v in values), predicate


def test_whole_quantities_are_positive_integers():
    """Every number the essay prints is whole: 729, 20300000, 1000000 and 10 (years, twice)."""
    data = _data()
    values = [*data.objects(None, CAO.numericValue), *data.objects(None, CAO.amountValue)]
    assert sorted(v.toPython() for v in values) == [10, 10, 729, 1000000, 20300000]
    for value in values:
        assert value.datatype == XSD.integer and value.toPython() > 0


def test_the_data_directory_holds_only_turtle():
    suffixes = {p.suffix for p in resource_paths().data.iterdir() if p.is_file()}
    assert suffixes == {".ttl"}
