"""The HTML pages: a page per resource and term, the ontology, the home page with the
network of relations, search, and the query UI (YASGUI) that ``/sparql`` shows a browser.
"""

import json
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import Blueprint, Response, abort, g, jsonify, render_template, request
from markupsafe import Markup

from caonto import formats as fmt
from caonto.namespaces import BASE, CAO, ONTOLOGY_IRI, PREFIXES
from caonto.resources import resource_paths
from caonto.web import describe as desc
from caonto.web import ontology_docs
from caonto.web.assets import assets_installed
from caonto.web.dereference import DATA_FORMATS
from caonto.web.errors import ApiError, render
from caonto.web.i18n import LANGUAGE_COOKIE, LANGUAGES, page_language, ui_text
from caonto.web.links import compact, data_url, href, iri_for_path, page_url, site_root
from caonto.web.negotiation import parse_accept
from caonto.web.reading import derived, run_select
from caonto.web.state import state

blueprint = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static/pages")


@blueprint.app_context_processor
def _template_helpers() -> dict:
    return {"href": href, "compact": compact, "LANGUAGES": LANGUAGES,
            "assets_installed": assets_installed}


@blueprint.after_app_request
def _remember_language(response: Response) -> Response:
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.blueprint == "pages":
        response.set_cookie(LANGUAGE_COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def _render(template: str, **context) -> Response:
    language = g.get("language") or page_language()
    body = render_template(template, lang=language, labels=derived().labels,
                           t=lambda key: ui_text(key, language), **context)
    response = Response(body, content_type="text/html; charset=utf-8")
    response.vary.update(("Accept-Language", "Cookie"))
    return response


@blueprint.app_errorhandler(404)
def _not_found(error) -> Response:
    """A browser gets a page in its language, with the way back; others the usual error."""
    best = parse_accept(request.headers.get("Accept"))
    if not best or best[0][0] not in ("text/html", "application/xhtml+xml"):
        return render(ApiError(404, error.description or "not found"))
    path = request.path
    missing = BASE + path.removeprefix("/page/").lstrip("/") if path.startswith(
        ("/page/", "/id/", "/def/")) else request.url
    response = _render("404.html", missing=missing,
                       switch=lambda code: request.base_url + f"?lang={code}")
    response.status_code = 404
    return response


def _alternates(iri: str) -> list[tuple[str, str, str]]:
    """(label, media type, URL) of each data document, for links and <link rel=alternate>."""
    names = {"turtle": "Turtle", "ntriples": "N-Triples", "jsonld": "JSON-LD",
             "rdfxml": "RDF/XML"}
    return [(names[n], fmt.BY_NAME[n].media_type, data_url(iri, fmt.BY_NAME[n]))
            for n in DATA_FORMATS]


def _definition(description: desc.Description, language: str) -> tuple[str, str] | None:
    """The resource's definition or comment in ``language`` (English as fallback); only
    a curated one: a contributed text stays in the facts, marked as contributed."""
    wanted = (str(PREFIXES["skos"]) + "definition", str(PREFIXES["rdfs"]) + "comment",
              str(PREFIXES["dcterms"]) + "description")
    texts = [(f.value.text, f.value.language) for f in description.outgoing
             if f.predicate in wanted and f.value.kind == "literal" and not f.contributed]
    for candidate in (language, "en", ""):
        for text, tag in texts:
            if tag == candidate:
                return text, tag
    return texts[0] if texts else None


@dataclass
class Layout:
    """Where a resource page shows what: each sentence quoted once (later mentions link
    to it), each curator note once (with the first quote of a sentence it concerns, else
    in the notes section), one chip per type name, inferred facts grouped by property."""

    chips: list = field(default_factory=list)
    stated_in: list = field(default_factory=list)  # sentence IRIs quoted in "Stated in"
    asserted: list = field(default_factory=list)  # (fact, [(quote|ref, sentence IRI)])
    asserted_in: list = field(default_factory=list)
    mentioned: list = field(default_factory=list)  # (quote|ref, sentence IRI)
    notes_at: dict = field(default_factory=dict)  # sentence IRI -> notes shown with it
    other_notes: list = field(default_factory=list)
    inferred: list = field(default_factory=list)  # (predicate, [values], incoming)
    inferred_count: int = 0


def layout(d: desc.Description, labels, language: str) -> Layout:
    plan = Layout()
    names = set()
    for fact in d.types:  # asserted before inferred: the asserted chip is kept
        name = labels.label(fact.value.text, language)[0].casefold()
        if name not in names:
            names.add(name)
            plan.chips.append(fact)
    quoted: set[str] = set()

    def place(sentence: str) -> tuple[str, str]:
        kind = "ref" if sentence in quoted else "quote"
        quoted.add(sentence)
        return kind, sentence

    plan.stated_in = [s for s in d.stated_in if s in d.sentences]
    for s in plan.stated_in:
        place(s)
    for facts, rows in ((d.outgoing, plan.asserted), (d.incoming, plan.asserted_in)):
        for fact in facts:
            if not fact.inferred:
                rows.append((fact, [place(s) for s in fact.sentences if s in d.sentences]))
    plan.mentioned = [place(s) for s in d.mentioned_in if s in d.sentences]
    order = plan.stated_in + [s for _, placed in plan.asserted + plan.asserted_in
                              for kind, s in placed if kind == "quote"] \
        + [s for kind, s in plan.mentioned if kind == "quote"]
    for note in d.notes:
        first = next((s for s in order if s in note.sentences), None)
        if first is None:
            plan.other_notes.append(note)
        else:
            plan.notes_at.setdefault(first, []).append(note)
    for facts, incoming in ((d.outgoing, False), (d.incoming, True)):
        groups: dict[str, list] = {}
        for fact in facts:
            if fact.inferred:
                groups.setdefault(fact.predicate, []).append(fact.value)
                plan.inferred_count += 1
        plan.inferred += [(p, values, incoming) for p, values in groups.items()]
    return plan


@blueprint.route("/page/<any(id, def):kind>/<path:rest>")
def page(kind: str, rest: str):
    iri = iri_for_path(kind, rest)
    description = desc.describe(run_select, iri)
    if not description.exists:
        abort(404, f"caonto says nothing about {iri}")
    language = page_language()
    labels = derived().labels
    return _render("resource.html", iri=iri, d=description,
                   plan=layout(description, labels, language),
                   names=labels.names_by_language(iri), title=labels.label(iri, language),
                   definition=_definition(description, language),
                   alternates=_alternates(iri), is_term=kind == "def",
                   switch=lambda code: page_url(iri, lang=code))


@blueprint.route("/page/def")
def ontology_page():
    language = page_language()
    docs = ontology_docs.read(run_select, derived().labels, language)
    return _render("ontology.html", iri=str(ONTOLOGY_IRI), docs=docs,
                   alternates=_alternates(str(ONTOLOGY_IRI)),
                   switch=lambda code: page_url(str(ONTOLOGY_IRI), lang=code))


@blueprint.route("/")
def home():
    language = page_language()
    labels = derived().labels
    tones = [(iri, labels.label(iri, language)) for iri in TONES]
    words = {key: ui_text(key, language) for key in (
        "member_of", "cooperates_within", "body_of_relation", "not_assessed", "network_loaded",
        "network_failed")}
    return _render("home.html", tones=tones, network_words=words,
                   network_query=network_query(language),
                   sparql_url=site_root() + "sparql",
                   switch=lambda code: site_root() + f"?lang={code}")


MAX_SEARCH_CHARACTERS = 200  # names are short; a longer text only costs time


@blueprint.route("/search")
def search():
    query = request.args.get("q", "")
    if len(query) > MAX_SEARCH_CHARACTERS:
        abort(400, f"search for at most {MAX_SEARCH_CHARACTERS} characters")
    language = page_language()
    state = derived()
    hits = state.index.search(query) if query.strip() else []
    results = [{"iri": h.iri, "href": href(h.iri), "label": state.labels.text(h.iri, language),
                "matched": h.name, "matchedLanguage": h.language, "exact": h.score < 10}
               for h in hits]
    wants_json = request.args.get("format") == "json" or (
        request.accept_mimetypes.best_match(["text/html", "application/json"])
        == "application/json")
    if wants_json:
        response = jsonify({"query": query, "results": results})
        response.vary.add("Accept")
        return response
    response = _render("search.html", query=query, results=results,
                       switch=lambda code: site_root() + "search?" + "&".join(
                           p for p in (f"q={quote(query)}" if query else "",
                                       f"lang={code}") if p))
    response.vary.add("Accept")
    return response


# -- the query UI (called by caonto.web.sparql for a browser's GET without a query) --------

def example_queries() -> list[dict]:
    """The example queries in ``queries/*.rq``: title and description from their leading
    ``# title:`` / ``# description:`` comments (file name and "" when missing)."""
    try:
        directory = resource_paths(state().settings).queries
    except FileNotFoundError:
        return []
    examples = []
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        fields = {"title": path.stem, "description": ""}
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            key, _, value = line.lstrip("# ").partition(":")
            if key.strip().lower() in fields and value.strip():
                fields[key.strip().lower()] = value.strip()
        examples.append({"name": path.name, **fields, "query": text})
    return examples


def render_query_ui(endpoint_url: str | None = None) -> Response:
    """The YASGUI page for ``/sparql``, pre-loaded with the example queries."""
    endpoint = endpoint_url or (site_root() + "sparql")
    return _render("sparql.html", endpoint=endpoint, examples=example_queries(),
                   switch=lambda code: endpoint + f"?lang={code}")


# -- the picture on the home page ---------------------------------------------------------------

TONES = [str(BASE) + f"id/tone-{t}" for t in ("positive", "negative", "mixed", "cautious",
                                               "neutral")]


def network_query(language: str) -> str:
    """The SPARQL the home page's script sends to /sparql to draw the network: one row per
    node (states, organisations, intergovernmental bodies) and one per link (bilateral
    relation with its assessments' tones, membership, cooperation within an organisation,
    body of a relation). ``language``
    must be one of LANGUAGES (it is written into the query)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")

    def labelled(var: str) -> str:
        # the name in the page's language, else English (skos:prefLabel before rdfs:label),
        # else the IRI
        optional = "    OPTIONAL {{ ?{v} {p} ?{v}{i} FILTER(LANG(?{v}{i}) = \"{code}\") }}\n"
        choices = [(p, code) for code in (language, "en") for p in ("skos:prefLabel", "rdfs:label")]
        names = ", ".join(f"?{var}{i}" for i in range(len(choices)))
        return ("".join(optional.format(v=var, p=p, i=i, code=code)
                        for i, (p, code) in enumerate(choices))
                + f"    BIND(COALESCE({names}, STR(?{var})) AS ?{var}Label)")

    return f"""PREFIX cao: <{CAO}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
# The relations network: nodes, then links, of the essay's states and organisations.
SELECT ?row ?node ?nodeLabel ?kind ?link ?linkLabel ?a ?b ?tone WHERE {{
  {{
    BIND("node" AS ?row)
    VALUES ?kind {{ cao:State cao:InternationalOrganization cao:IntergovernmentalBody }}
    ?node a ?kind .
{labelled("node")}
  }} UNION {{
    BIND("relation" AS ?row)
    ?link a cao:BilateralRelation ; cao:relationParty ?a, ?b .
    FILTER(STR(?a) < STR(?b))
    OPTIONAL {{ ?assessment cao:about ?link ; cao:tone ?tone . }}
{labelled("link")}
  }} UNION {{
    BIND("member" AS ?row)
    ?a cao:memberOf ?b . ?a a cao:State . ?b a cao:InternationalOrganization .
  }} UNION {{
    SELECT DISTINCT ?row ?a ?b WHERE {{
      BIND("within" AS ?row)
      ?cooperation cao:withinOrganization ?b ; cao:participant ?a . ?a a cao:State .
    }}
  }} UNION {{
    BIND("body" AS ?row)
    ?a cao:bodyOf ?link . ?link cao:relationParty ?b .
  }}
}}"""


def to_json(value) -> Markup:
    """JSON safe inside a <script> element (no closing tags, no HTML specials)."""
    text = json.dumps(value, ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return Markup(text)


blueprint.add_app_template_filter(to_json, "script_json")
