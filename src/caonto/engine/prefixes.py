"""The prefixes a query may use without declaring them, and the ones it forgot.

The endpoint predeclares caonto's prefix table (``caonto.namespaces.PREFIXES``: cao,
caor, caog, caosh, rdf, rdfs, owl, xsd, skos, dcterms, prov, schema, org, foaf, …), as
the command line does and as Virtuoso, GraphDB and Wikidata's service predeclare
theirs; a query's own ``PREFIX`` wins. The local engine hands the table to pyoxigraph;
a remote store gets ``PREFIX`` lines for the predeclared prefixes a query uses.

For any other prefix, ``undeclared`` finds it so that the error can name it and give
the ``PREFIX`` line to add (with the namespace when it is a well-known one).
"""

import re

from caonto.namespaces import PREFIXES

PREDECLARED: dict[str, str] = dict(PREFIXES)

# A lexical reading, enough to find prefixed names (never used to decide safety: that is
# caonto.engine.guard's real parse). Every alternative consumes a whole run, so the scan
# is linear: a run of digits, dots or letters without a colon is one ``run`` token.
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKEN = re.compile(r'''
    (?P<comment>\#[^\n\r]*)
  | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
               |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<pname>[^\W\d_]?[\w.-]*:[\w.:%\\-]*)
  | (?P<word>[^\W\d][\w]*)
  | (?P<run>[\w.-]+)
  | (?P<other>\S)
''', re.VERBOSE | re.UNICODE)


def sparql_tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) of the tokens outside comments and strings; SPARQL 1.1 §19.2
    codepoint escapes are replaced first, as the parser does."""
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text)
            if m.lastgroup not in ("comment", "string")]


_FORMS = ("select", "ask", "construct", "describe")


def query_form(text: str) -> str | None:
    """"select", "ask", "construct" or "describe": the first form keyword outside strings,
    comments and IRIs (the prologue has none); None when there is none (an update)."""
    for kind, value in sparql_tokens(text):
        if kind == "word" and value.lower() in _FORMS:
            return value.lower()
    return None


# Namespaces people often use in queries, beyond the predeclared ones: named in the
# error so the PREFIX line can be copied.
WELL_KNOWN: dict[str, str] = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "time": "http://www.w3.org/2006/time#",
    "qudt": "http://qudt.org/schema/qudt/",
    "wdt": "http://www.wikidata.org/prop/direct/",
    "p": "http://www.wikidata.org/prop/",
    "ps": "http://www.wikidata.org/prop/statement/",
    "pq": "http://www.wikidata.org/prop/qualifier/",
    "wikibase": "http://wikiba.se/ontology#",
    "bd": "http://www.bigdata.com/rdf#",
}


def _declared_and_used(text: str) -> tuple[set[str], list[str]]:
    tokens = sparql_tokens(text)
    declared, used = set(), []
    for i, (kind, value) in enumerate(tokens):
        if kind != "pname":
            continue
        prefix = value.split(":", 1)[0]
        if i > 0 and tokens[i - 1][0] == "word" and tokens[i - 1][1].upper() == "PREFIX":
            declared.add(prefix)
        elif prefix != "_" and prefix not in used:  # _: is a blank node label
            used.append(prefix)
    return declared, used


def undeclared(text: str) -> list[str]:
    """Prefixes ``text`` uses that it neither declares nor gets predeclared, in order."""
    declared, used = _declared_and_used(text)
    return [p for p in used if p not in declared and p not in PREDECLARED]


def declarations_for(text: str) -> str:
    """``PREFIX`` lines for the predeclared prefixes ``text`` uses without declaring."""
    declared, used = _declared_and_used(text)
    return "".join(f"PREFIX {p}: <{PREDECLARED[p]}>\n" for p in used
                   if p not in declared and p in PREDECLARED)


def missing_prefix_message(prefixes: list[str]) -> str:
    """The error for undeclared prefixes, with the PREFIX lines to add."""
    lines = [f"PREFIX {p}: <{WELL_KNOWN.get(p, 'namespace IRI')}>" for p in prefixes]
    named = ", ".join(f"{p}:" for p in prefixes)
    return (f"the prefix {named} is not declared; add this line before the query:\n"
            if len(prefixes) == 1 else
            f"the prefixes {named} are not declared; add these lines before the query:\n") \
        + "\n".join(lines) + "\n(the endpoint predeclares " \
        + ", ".join(f"{p}:" for p in PREDECLARED) + ")"
