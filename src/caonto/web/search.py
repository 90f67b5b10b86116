"""Kazakh-aware search over the names of resources and terms, in kk, en and ru.

Two keys are kept for every name:

* the *exact* key: NFC, then Unicode case-folding, which already pairs the Kazakh
  letters (Қ/қ, Ө/ө, Ү/ү, Ұ/ұ, Ә/ә, І/і, Ң/ң, Ғ/ғ, Һ/һ); ``ё`` is folded to ``е``;
* the *plain* key: the exact key with the Kazakh-only letters replaced by the Russian
  letters people type on a keyboard without them (қ→к, ө→о, ү→у, ұ→у, ә→а, і→и, ң→н,
  ғ→г, һ→х). The Latin ``i`` that is often typed for ``і`` inside a Cyrillic word is
  read as ``и`` too.

* the *Latin* key: the name spelt in Latin letters and reduced to a skeleton on which
  the usual spellings agree: Cyrillic is transliterated, marks are dropped (Özbekstan),
  ``kh``, ``q`` and ``x`` read as ``k``, ``y`` as ``i``, ``zh``/``dzh`` as ``j``, and
  doubled letters as one. So "Kazakhstan", "kazakstan", "Qazaqstan" and "Қазақстан"
  share ``kazakstan``; "Kyrgyzstan", "Qyrgyzstan" and "Қырғызстан" share ``kirgizstan``.

We chose to match on all three keys: a query written with Kazakh letters matches the exact
key, a query typed without them ("казакстан") still finds "Қазақстан" through the plain
key, and a Latin spelling or transliteration ("Qazaqstan") through the Latin key. Exact
matches rank above plain ones, and plain above Latin, so nothing is lost for careful
typists.
The plain key conflates a few words (e.g. "ал"/"әл"); with a few hundred names that is
harmless, and the ranking keeps the exact reading first.

A name matches when every word of the query is the start of one of its words (or, for
queries of three letters and more, occurs inside it). The index is a list scanned in
full: the graph has hundreds of names, not millions. The pages build it once per dataset
version, with the label table (``caonto.web.reading.derived``); a query never fails, an
empty one finds nothing.
"""

import re
import unicodedata
from dataclasses import dataclass

from caonto.web.labels import LabelTable

_PLAIN = str.maketrans({"қ": "к", "ө": "о", "ү": "у", "ұ": "у", "ә": "а", "і": "и",
                        "ң": "н", "ғ": "г", "һ": "х", "ё": "е"})
_WORD = re.compile(r"\w+", re.UNICODE)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def exact_key(text: str) -> str:
    """NFC, case-folded, ``ё``→``е``, runs of blanks and punctuation reduced to one space."""
    folded = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    return " ".join(_WORD.findall(folded))


_LATIN = str.maketrans({
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e",
    "ж": "j", "з": "z", "и": "i", "й": "i", "і": "i", "к": "k", "қ": "k", "л": "l",
    "м": "m", "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "k", "һ": "h", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu",
    "я": "ia", "ı": "i"})
# Latin spellings of the same sounds, reduced to one (longest first).
_LATIN_VARIANTS = (("dzh", "j"), ("kh", "k"), ("zh", "j"), ("dj", "j"), ("q", "k"),
                   ("x", "k"), ("y", "i"), ("w", "v"), ("c", "k"))
_DOUBLED = re.compile(r"(.)\1+")


def latin_key(text: str) -> str:
    """The exact key spelt in Latin letters and reduced to a skeleton (see above)."""
    spelt = exact_key(text).translate(_LATIN)
    spelt = "".join(c for c in unicodedata.normalize("NFD", spelt)
                    if not unicodedata.combining(c))
    for variant, common in _LATIN_VARIANTS:
        spelt = spelt.replace(variant, common)
    return _DOUBLED.sub(r"\1", spelt)


def plain_key(text: str) -> str:
    """The exact key with Kazakh-only letters mapped to the letters typed without them."""
    words = []
    for word in exact_key(text).split():
        if _CYRILLIC.search(word):
            word = word.replace("i", "и")  # Latin i typed for Kazakh і
        words.append(word.translate(_PLAIN))
    return " ".join(words)


@dataclass(frozen=True)
class Entry:
    iri: str
    name: str
    language: str
    exact: str
    plain: str
    latin: str


@dataclass(frozen=True)
class Hit:
    iri: str
    name: str  # the name that matched
    language: str
    score: int  # lower is better


def _match_score(query: str, key: str) -> int | None:
    """0 whole name, 1 name starts with query, 2 every word a word-prefix, 3 inside; None."""
    if not query:
        return None
    if key == query:
        return 0
    if key.startswith(query):
        return 1
    words = key.split()
    if all(any(w.startswith(q) for w in words) for q in query.split()):
        return 2
    if len(query) >= 3 and query in key:
        return 3
    return None


class SearchIndex:
    """Names of every IRI that has one, ready to match; build with ``from_labels``."""

    def __init__(self, entries: list[Entry]):
        self.entries = entries

    @classmethod
    def from_labels(cls, labels: LabelTable) -> "SearchIndex":
        entries = [Entry(iri, n.text, n.language, exact_key(n.text), plain_key(n.text),
                         latin_key(n.text))
                   for iri, names in labels.names.items() for n in names]
        return cls(entries)

    def search(self, query: str, limit: int = 50) -> list[Hit]:
        """Best hit per IRI, best first (exact, then plain, then Latin; then score, name)."""
        exact_q, plain_q, latin_q = exact_key(query), plain_key(query), latin_key(query)
        best: dict[str, Hit] = {}
        for entry in self.entries:
            score = _match_score(exact_q, entry.exact)
            if score is None:
                plain = _match_score(plain_q, entry.plain)
                score = None if plain is None else plain + 10
            if score is None:
                latin = _match_score(latin_q, entry.latin)
                score = None if latin is None else latin + 20
            if score is None:
                continue
            hit = Hit(entry.iri, entry.name, entry.language, score)
            current = best.get(entry.iri)
            if current is None or (score, len(entry.name)) < (current.score, len(current.name)):
                best[entry.iri] = hit
        ranked = sorted(best.values(), key=lambda h: (h.score, len(h.name), h.name, h.iri))
        return ranked[:limit]
