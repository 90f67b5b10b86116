"""Linked Data dereferencing: IRIs answer 303 See Other to a document about them.

Convention (as in "Cool URIs for the Semantic Web"): a resource or term IRI ``/id/...``
or ``/def/...`` names a thing, not a document, so it answers ``303 See Other`` to
``/page/<iri path>`` for HTML, or ``/data/<iri path>.<ext>`` (ttl, nt, jsonld, rdf) for
RDF, chosen by ``Accept`` (``*/*`` and no header mean HTML) or by ``?format=`` (html,
ttl, nt, jsonld, rdf, or a media type), which wins. The redirect carries ``Vary:
Accept``. Unknown IRIs are 404, formats we cannot write 406.
"""

from flask import Blueprint, Response, abort, redirect, request

from caonto import formats as fmt
from caonto.namespaces import ONTOLOGY_IRI
from caonto.web import describe as desc
from caonto.web.links import data_url, iri_for_path, page_url
from caonto.web.negotiation import parse_accept
from caonto.web.reading import graph_document, run_select

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


@blueprint.route("/id/<path:rest>")
def resource(rest: str):
    return _dereference("id", rest)


@blueprint.route("/def")
def ontology():
    return _dereference("def", "")


@blueprint.route("/def/<path:rest>")
def term(rest: str):
    return _dereference("def", rest)


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
