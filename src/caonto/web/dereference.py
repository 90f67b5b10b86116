"""Linked Data dereferencing: IRIs answer 303 See Other to a document about them.

Convention (as in "Cool URIs for the Semantic Web"): a resource or term IRI ``/id/...``
or ``/def/...`` names a thing, not a document, so it answers ``303 See Other`` to
``/page/<iri path>`` for HTML, or ``/data/<iri path>.<ext>`` (ttl, nt, jsonld, rdf) for
RDF, chosen by ``Accept`` (``*/*`` and no header mean HTML) or by ``?format=`` (html,
ttl, nt, jsonld, rdf, or a media type), which wins. The redirect carries ``Vary:
Accept``. Unknown IRIs are 404, formats we cannot write 406.

The other IRIs the service mints dereference too: a named graph ``/graph/...`` (303 to
its Graph Store Protocol document), the VoID dataset ``/id/dataset`` (303 to ``/void``),
the ontology's version IRI ``/releases/<version>/def`` (as ``/def``), the shapes
``/shapes/`` (the shapes document; each shape 303 to it) and the truncation mark
``/def/truncated-result`` (a short explanation).
"""

from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, abort, redirect, request

from caonto import formats as fmt
from caonto.engine.results import TRUNCATION_DOC
from caonto.namespaces import BASE, CAOG, CAOR, CAOSH, ONTOLOGY_IRI, PREFIXES
from caonto.rdf_io import to_oxigraph
from caonto.validation import load_shapes
from caonto.web import describe as desc
from caonto.web.links import data_url, iri_for_path, page_url, site_root
from caonto.web.negotiation import negotiate, parse_accept
from caonto.web.reading import graph_document, run_select
from caonto.web.state import state

blueprint = Blueprint("dereference", __name__)

DATA_FORMATS = ("turtle", "ntriples", "jsonld", "rdfxml")  # what a data document offers
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _choose_representation() -> str | fmt.Format:
    """"html" or the RDF format for this request; 406 when nothing we write is acceptable."""
    offered = [fmt.BY_NAME[name] for name in DATA_FORMATS]
    asked = request.args.get("format")
    if asked:
        if asked.strip().lower() in ("html", "text/html"):
            return "html"
        chosen = fmt.lookup(asked, fmt.GRAPH)
        if chosen is None or chosen.name not in DATA_FORMATS:
            abort(406, f"format={asked} is not offered; use html, "
                       + ", ".join(f.extension for f in offered))
        return chosen
    for media_range, quality in parse_accept(request.headers.get("Accept")):
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


def _see_other(location: str) -> Response:
    response = redirect(location, code=303)
    response.vary.add("Accept")
    return response


@blueprint.route("/id/<path:rest>")
def resource(rest: str):
    if iri_for_path("id", rest) == str(CAOR["dataset"]):  # the dataset VoID describes
        return _see_other(site_root() + "void")
    return _dereference("id", rest)


@blueprint.route("/def")
@blueprint.route("/def/")  # the namespace (VoID's void:vocabulary) names the ontology too
def ontology():
    return _dereference("def", "")


TRUNCATION_TEXT = (
    "{iri}\n\nA mark in a SPARQL answer of caonto's endpoint: the answer was cut at the "
    "server's row limit (CAONTO_MAX_ROWS, here {limit} rows or triples), so it holds only "
    "the first rows. The response also says so in its headers (X-Caonto-Truncated: true, "
    "and a Warning). To get everything, page with LIMIT and OFFSET, or download a dump "
    "from {root}dumps/.\n")


@blueprint.route("/def/<path:rest>")
def term(rest: str):
    if iri_for_path("def", rest) == TRUNCATION_DOC:
        text = TRUNCATION_TEXT.format(iri=TRUNCATION_DOC, limit=state().engine.max_rows,
                                      root=site_root())
        return Response(text, content_type="text/plain; charset=utf-8")
    return _dereference("def", rest)


@blueprint.route("/releases/<version>/def")
def ontology_version(version: str):
    """The ontology's version IRI: the current version is the ontology itself."""
    iri = f"{BASE}releases/{version}/def"
    if not run_select(f"SELECT ?o WHERE {{ <{ONTOLOGY_IRI}> "
                      f"<http://www.w3.org/2002/07/owl#versionIRI> <{iri}> }} LIMIT 1"):
        abort(404, f"{iri} is not the version of the ontology served here; see {ONTOLOGY_IRI}")
    return _dereference("def", "")


@blueprint.route("/graph/<path:rest>")
def named_graph(rest: str):
    """A named graph: 303 to its Graph Store Protocol document (/store?graph=...)."""
    iri = f"{CAOG}{rest}"
    if not run_select(f"SELECT ?s WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }} LIMIT 1"):
        abort(404, f"there is no graph <{iri}>; /void lists the graphs served")
    return _see_other(site_root() + "store?graph=" + quote(iri, safe=":/"))


@blueprint.route("/shapes/")
def shapes_document():
    """The SHACL shapes every piece of data must satisfy, in the format asked for."""
    chosen = _shapes_format()
    triples = [ox.Triple(*(to_oxigraph(term) for term in triple)) for triple in load_shapes()]
    body = fmt.write_triples(triples, chosen, prefixes=PREFIXES)
    response = Response(body, content_type=chosen.content_type)
    response.vary.add("Accept")
    return response


@blueprint.route("/shapes/<name>")
def shape(name: str):
    if (CAOSH[name], None, None) not in load_shapes():
        abort(404, f"there is no shape {CAOSH[name]}; {CAOSH} lists them")
    return _see_other(site_root() + "shapes/")


def _shapes_format() -> fmt.Format:
    asked = request.args.get("format")
    chosen = fmt.lookup(asked, fmt.GRAPH) if asked else negotiate(
        request.headers.get("Accept"), fmt.GRAPH)
    if chosen is None or chosen.name not in DATA_FORMATS:
        chosen = fmt.BY_NAME["turtle"]  # browsers too: Turtle shows as text
    return chosen


@blueprint.route("/data/<any(id, def):kind>/<path:rest>")
def data_document(kind: str, rest: str):
    stem, _, extension = rest.rpartition(".")
    chosen = fmt.lookup(extension, fmt.GRAPH) if stem else None
    if chosen is None or chosen.name not in DATA_FORMATS:
        abort(404, "a data document ends in .ttl, .nt, .jsonld or .rdf")
    return _data_response(iri_for_path(kind, stem), chosen)


@blueprint.route("/data/def.<extension>")
def ontology_document(extension: str):
    chosen = fmt.lookup(extension, fmt.GRAPH)
    if chosen is None or chosen.name not in DATA_FORMATS:
        abort(404, "the ontology document ends in .ttl, .nt, .jsonld or .rdf")
    return _data_response(str(ONTOLOGY_IRI), chosen)


def _data_response(iri: str, chosen: fmt.Format) -> Response:
    if not desc.exists(run_select, iri):
        abort(404, f"caonto says nothing about {iri}")
    query = desc.ontology_query() if iri == str(ONTOLOGY_IRI) else desc.description_query(iri)
    response = Response(graph_document(query, chosen), content_type=chosen.content_type)
    response.headers["Link"] = f'<{iri}>; rel="describes", <{page_url(iri)}>; rel="alternate"; ' \
                               'type="text/html"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
