"""Display names for IRIs, chosen by language, read from the store once per dataset version.

Order for a wanted language L: ``skos:prefLabel@L``, ``rdfs:label@L``, then the same two
in the fallback languages (en, kk, ru), then any untagged label, then the IRI's local
name. A missing name never fails: the local name is always there.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from caonto.web.i18n import DEFAULT_LANGUAGE, LANGUAGES

Select = Callable[[str], list[dict]]  # SELECT text -> rows (see caonto.web.describe)

_FALLBACK = ("en", "kk", "ru", "")
_SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
_SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_SCHEMA_NAME = "https://schema.org/name"
_NAME_PREDICATES = (_SKOS_PREF, _RDFS_LABEL, _SKOS_ALT, _SCHEMA_NAME)
_RANK = {_SKOS_PREF: 0, _RDFS_LABEL: 1}


def local_name(iri: str) -> str:
    """The part of ``iri`` after its last ``/`` or ``#`` (the whole IRI if there is none)."""
    tail = iri.rstrip("/#").replace("#", "/").rsplit("/", 1)[-1]
    return tail or iri


@dataclass(frozen=True)
class Name:
    text: str
    language: str  # "" for an untagged literal
    predicate: str


@dataclass
class LabelTable:
    """Every name of every IRI in the store: enough for pages and the search index."""

    names: dict[str, list[Name]] = field(default_factory=dict)

    @classmethod
    def from_select(cls, select: Select) -> "LabelTable":
        """Read all names (all graphs) with one query; raises what ``select`` raises."""
        values = " ".join(f"<{p}>" for p in _NAME_PREDICATES)
        rows = select(
            f"SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?p {{ {values} }} "
            f"GRAPH ?g {{ ?s ?p ?o }} FILTER(isIRI(?s) && isLiteral(?o)) }}")
        table = cls()
        for row in rows:
            literal = row["o"]
            table.names.setdefault(row["s"].value, []).append(
                Name(literal.value, (literal.language or "").lower(), row["p"].value))
        for names in table.names.values():
            names.sort(key=lambda n: (_RANK.get(n.predicate, 2), n.language, n.text))
        return table

    def find(self, iri: str, language: str) -> Name | None:
        """The best name of ``iri`` in ``language`` alone (prefLabel before label), or None."""
        for name in self.names.get(iri, ()):
            if name.language == language and name.predicate in _RANK:
                return name
        return None

    def label(self, iri: str, language: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
        """(text, language tag of the text) for display; local name with tag "" at worst."""
        for candidate in (language, *_FALLBACK):
            name = self.find(iri, candidate)
            if name:
                return name.text, name.language
        return local_name(iri), ""

    def text(self, iri: str, language: str = DEFAULT_LANGUAGE) -> str:
        return self.label(iri, language)[0]

    def names_by_language(self, iri: str) -> dict[str, str]:
        """The preferred name in each of kk, en, ru that exists (for the page's name block)."""
        found = {}
        for language in LANGUAGES:
            name = self.find(iri, language)
            if name:
                found[language] = name.text
        return found
