"""Pages for people and documents for machines: the Linked Data face of caonto.

Convention (303 See Other, as in "Cool URIs for the Semantic Web"): a resource or term
IRI ``/id/...`` or ``/def/...`` names a thing, not a document, so it answers
``303 See Other`` to a document about it: ``/page/<iri path>`` for HTML, or
``/data/<iri path>.<ext>`` (ttl, nt, jsonld, rdf) for RDF, chosen by ``Accept``
(``*/*`` and no header mean HTML) or by ``?format=`` (html, ttl, nt, jsonld, rdf, or a
media type), which wins. The redirect carries ``Vary: Accept``. Unknown IRIs are 404,
formats we cannot write 406. The persistent base ``https://w3id.org/caonto/`` maps to
the running server: an IRI's path after the base is the server path, and links and
``Location`` headers are absolute against ``CAONTO_BASE_URL`` when it is set.

Pages read the graph through the query engine (SPARQL with its timeout), so a failing
engine shows as a 503 page with the engine's message, never a stack trace.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
)
from markupsafe import Markup

from caonto.namespaces import BASE, CAO, ONTOLOGY_IRI, PREFIXES
from caonto.settings import resource_paths
from caonto.web import describe as desc
from caonto.web import formats as fmt
from caonto.web.labels import DEFAULT_LANGUAGE, LANGUAGES, LabelTable, ui_text
from caonto.web.search import SearchIndex

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/pages")

LANGUAGE_COOKIE = "caonto_lang"
_DATA_FORMATS = ("turtle", "ntriples", "jsonld", "rdfxml")  # what a data document offers
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Files the pages load from node_modules: public name -> path inside node_modules.
ASSETS = {
    "yasgui.min.js": "@triply/yasgui/build/yasgui.min.js",
    "yasgui.min.css": "@triply/yasgui/build/yasgui.min.css",
    "vis-network.min.js": "vis-network/standalone/umd/vis-network.min.js",
}


# -- the engine and what is derived from it once per dataset version -----------------------

def _engine():
    """The app's query engine (``QueryEngine``); 503 when the app has none."""
    engine = current_app.extensions.get("caonto.engine")
    if engine is None:
        abort(503, "the query engine is not running")
    return engine


def run_select(text: str) -> list[dict]:
    """Rows of a SELECT as dicts; engine errors become a 503 page with their message."""
    from caonto.store import QueryError  # the engine module; imported late to stay light

    try:
        names, rows = _engine().solutions(text)
    except QueryError as error:
        abort(503, f"the graph could not be read: {error}")
    return [dict(zip(names, row, strict=False)) for row in rows]


def _graph_document(text: str, chosen: fmt.Format) -> bytes:
    from caonto.store import QueryError

    try:
        return _engine().query(text, solutions_format=None, graph_format=chosen).body
    except QueryError as error:
        abort(503, f"the graph could not be read: {error}")


@dataclass
class _Derived:
    engine: object
    version: int
    labels: LabelTable
    index: SearchIndex


def derived() -> _Derived:
    """Labels and the search index, built once per dataset version and kept on the app.

    The version is the engine and its ``data_version``, which grows with every write.
    """
    engine = _engine()
    version = engine.data_version
    cached = current_app.extensions.get("caonto.pages")
    if cached is None or cached.engine is not engine or cached.version != version:
        labels = LabelTable.from_select(run_select)
        cached = _Derived(engine, version, labels, SearchIndex.from_labels(labels))
        current_app.extensions["caonto.pages"] = cached
    return cached


# -- language, links, assets ----------------------------------------------------------------

def page_language() -> str:
    """``?lang=`` beats the cookie, which beats Accept-Language; English at worst."""
    for candidate in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def _site_root() -> str:
    configured = current_app.config.get("CAONTO_BASE_URL")
    return (configured or request.url_root).rstrip("/") + "/"


def href(iri: str) -> str:
    """Where a browser goes for ``iri``: our server for caonto IRIs, the IRI elsewhere."""
    if iri.startswith(BASE):
        return _site_root() + quote(iri[len(BASE):], safe="/#?=&-._~")
    return iri


def iri_for_path(kind: str, rest: str) -> str:
    return BASE + kind + ("/" + rest if rest else "")


def _iri_path(iri: str) -> tuple[str, str]:
    """(kind, rest) of a caonto IRI: ``.../id/kazakhstan`` -> ("id", "kazakhstan")."""
    kind, _, rest = iri[len(BASE):].partition("/")
    return kind, rest


def page_url(iri: str, **params) -> str:
    kind, rest = _iri_path(iri)
    path = f"page/{kind}" + (f"/{rest}" if rest else "")
    query = "&".join(f"{k}={quote(str(v))}" for k, v in params.items() if v)
    return _site_root() + quote(path, safe="/-._~") + (f"?{query}" if query else "")


def data_url(iri: str, chosen: fmt.Format) -> str:
    kind, rest = _iri_path(iri)
    path = f"data/{kind}" + (f"/{rest}" if rest else "") + f".{chosen.extension}"
    return _site_root() + quote(path, safe="/-._~")


def node_modules() -> Path:
    """``CAONTO_NODE_MODULES``, else ``node_modules`` at the repository root."""
    configured = current_app.config.get("CAONTO_NODE_MODULES")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "node_modules"


def assets_installed() -> bool:
    root = node_modules()
    return all((root / path).is_file() for path in ASSETS.values())


def _compact(iri: str) -> str:
    """``cao:State`` for IRIs in a known namespace, the IRI otherwise."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


PAGE_SETTINGS = {
    "CAONTO_BASE_URL": "",  # the running server's URL for links and Location; "" = request's
    "CAONTO_NODE_MODULES": "",  # where npm put YASGUI and vis-network; "" = repository's
}


@bp.record_once
def _set_up(state) -> None:
    for key, default in PAGE_SETTINGS.items():  # same precedence: config, environment, default
        state.app.config.setdefault(key, os.environ.get(key, default))
    # caonto.web.discovery shows this view for a browser's GET /sparql without a query
    state.app.extensions["caonto.query_ui"] = render_query_ui


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"href": href, "compact": _compact, "LANGUAGES": LANGUAGES,
            "assets_installed": assets_installed}


@bp.after_app_request
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


@bp.route("/assets/<name>")
def asset(name: str):
    """A file of the npm packages, from the local node_modules (never a CDN)."""
    if name not in ASSETS:
        abort(404)
    path = node_modules() / ASSETS[name]
    if not path.is_file():
        abort(404, "the UI assets are not installed: run `make install` (it runs `npm ci`)")
    return send_file(path, max_age=3600)


# -- dereferencing ---------------------------------------------------------------------------

def _choose_representation() -> str | fmt.Format:
    """"html" or the RDF format for this request; 406 when nothing we write is acceptable."""
    offered = [fmt.BY_NAME[name] for name in _DATA_FORMATS]
    asked = request.args.get("format")
    if asked:
        if asked.strip().lower() in ("html", "text/html"):
            return "html"
        chosen = fmt.lookup(asked, fmt.GRAPH)
        if chosen is None or chosen.name not in _DATA_FORMATS:
            abort(406, f"format={asked} is not offered; use html, "
                       + ", ".join(f.extension for f in offered))
        return chosen
    for media_range, quality in fmt.parse_accept(request.headers.get("Accept")):
        if quality <= 0:
            continue
        if media_range in ("*/*", "text/*") or media_range in _HTML_TYPES:
            return "html"
        for candidate in offered:
            types = (candidate.media_type,) + tuple(a for a in candidate.aliases if "/" in a)
            if media_range in types or (media_range.endswith("/*")
                                        and candidate.media_type.startswith(media_range[:-1])):
                return candidate
    abort(406, "acceptable here: text/html, " + ", ".join(f.media_type for f in offered))


def _dereference(kind: str, rest: str) -> Response:
    iri = iri_for_path(kind, rest)
    if not desc.exists(run_select, iri):
        abort(404, f"caonto says nothing about {iri}")
    chosen = _choose_representation()
    if chosen == "html":
        location = page_url(iri, lang=request.args.get("lang"))
    else:
        location = data_url(iri, chosen)
    response = redirect(location, code=303)
    response.vary.add("Accept")
    return response


@bp.route("/id/<path:rest>")
def resource(rest: str):
    return _dereference("id", rest)


@bp.route("/def")
def ontology():
    return _dereference("def", "")


@bp.route("/def/<path:rest>")
def term(rest: str):
    return _dereference("def", rest)


@bp.route("/data/<any(id, def):kind>/<path:rest>")
def data_document(kind: str, rest: str):
    stem, _, extension = rest.rpartition(".")
    chosen = fmt.lookup(extension, fmt.GRAPH) if stem else None
    if chosen is None or chosen.name not in _DATA_FORMATS:
        abort(404, "a data document ends in .ttl, .nt, .jsonld or .rdf")
    return _data_response(iri_for_path(kind, stem), chosen)


@bp.route("/data/def.<extension>")
def ontology_document(extension: str):
    chosen = fmt.lookup(extension, fmt.GRAPH)
    if chosen is None or chosen.name not in _DATA_FORMATS:
        abort(404, "the ontology document ends in .ttl, .nt, .jsonld or .rdf")
    return _data_response(str(ONTOLOGY_IRI), chosen)


def _data_response(iri: str, chosen: fmt.Format) -> Response:
    if not desc.exists(run_select, iri):
        abort(404, f"caonto says nothing about {iri}")
    query = desc.ontology_query() if iri == str(ONTOLOGY_IRI) else desc.description_query(iri)
    response = Response(_graph_document(query, chosen), content_type=chosen.content_type)
    response.headers["Link"] = f'<{iri}>; rel="describes", <{page_url(iri)}>; rel="alternate"; ' \
                               'type="text/html"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# -- pages -------------------------------------------------------------------------------

def _alternates(iri: str) -> list[tuple[str, str, str]]:
    """(label, media type, URL) of each data document, for links and <link rel=alternate>."""
    names = {"turtle": "Turtle", "ntriples": "N-Triples", "jsonld": "JSON-LD",
             "rdfxml": "RDF/XML"}
    return [(names[n], fmt.BY_NAME[n].media_type, data_url(iri, fmt.BY_NAME[n]))
            for n in _DATA_FORMATS]


def _definition(description: desc.Description, language: str) -> tuple[str, str] | None:
    """The resource's definition or comment in ``language`` (English as fallback)."""
    wanted = (str(PREFIXES["skos"]) + "definition", str(PREFIXES["rdfs"]) + "comment",
              str(PREFIXES["dcterms"]) + "description")
    texts = [(f.value.text, f.value.language) for f in description.outgoing
             if f.predicate in wanted and f.value.kind == "literal"]
    for candidate in (language, "en", ""):
        for text, tag in texts:
            if tag == candidate:
                return text, tag
    return texts[0] if texts else None


@bp.route("/page/<any(id, def):kind>/<path:rest>")
def page(kind: str, rest: str):
    iri = iri_for_path(kind, rest)
    description = desc.describe(run_select, iri)
    if not description.exists:
        abort(404, f"caonto says nothing about {iri}")
    language = page_language()
    labels = derived().labels
    return _render("resource.html", iri=iri, d=description,
                   names=labels.names_by_language(iri), title=labels.label(iri, language),
                   definition=_definition(description, language),
                   alternates=_alternates(iri), is_term=kind == "def",
                   switch=lambda code: page_url(iri, lang=code))


@bp.route("/page/def")
def ontology_page():
    from caonto.web import ontology_docs

    language = page_language()
    docs = ontology_docs.read(run_select, derived().labels, language)
    return _render("ontology.html", iri=str(ONTOLOGY_IRI), docs=docs,
                   alternates=_alternates(str(ONTOLOGY_IRI)),
                   switch=lambda code: page_url(str(ONTOLOGY_IRI), lang=code))


@bp.route("/")
def home():
    language = page_language()
    labels = derived().labels
    tones = [(iri, labels.label(iri, language)) for iri in TONES]
    return _render("home.html", tones=tones,
                   network_query=network_query(language),
                   sparql_url=_site_root() + "sparql",
                   switch=lambda code: _site_root() + f"?lang={code}")


@bp.route("/search")
def search():
    query = request.args.get("q", "")
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
                       switch=lambda code: _site_root() + "search?" + "&".join(
                           p for p in (f"q={quote(query)}" if query else "",
                                       f"lang={code}") if p))
    response.vary.add("Accept")
    return response


# -- the query UI (called by caonto.web.sparql for a browser's GET without a query) --------

def example_queries() -> list[dict]:
    """The example queries in ``queries/*.rq``: title and description from their leading
    ``# title:`` / ``# description:`` comments (file name and "" when missing)."""
    try:
        directory = resource_paths().queries
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
    endpoint = endpoint_url or (_site_root() + "sparql")
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


bp.add_app_template_filter(to_json, "script_json")
