"""Discovery: the SPARQL Service Description, the VoID description and the data dumps.

Links use the server's own address (``caonto.web.links.site_root``: CAONTO_BASE_URL,
else where it listens), never the client's Host header. Dumps are named by version (``/dumps/caonto-<v>.nq``),
carry their SHA-256 in ``Repr-Digest`` and in ``….sha256`` files. They are written by
``caonto build`` or in the background at start (``caonto.dumps``), never here: a dump not
written yet is not described, and its URL answers 503 with Retry-After. They hold the
dataset the server started with; contributions accepted since are not in them.
"""

import base64
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, abort, request, send_file

from caonto import formats as fmt
from caonto.dumps import DCT, DUMP_PREFIXES, SPDX
from caonto.namespaces import CAO, CAOR, GRAPH_ESSAY, GRAPH_INFERRED, GRAPH_ONTOLOGY
from caonto.web.errors import ApiError
from caonto.web.links import site_root
from caonto.web.negotiation import negotiate, parse_accept
from caonto.web.state import state
from caonto.web.views import render_query_ui

blueprint = Blueprint("discovery", __name__)

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
RDFS_SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"
DATASET_IRI = str(CAOR["dataset"])
LICENSE = "https://creativecommons.org/licenses/by/4.0/"  # as the ontology's dcterms:license
PUBLISHER = str(CAOR["caonto-team"])
OWL_RL_REGIME = "http://www.w3.org/ns/entailment/OWL-RL"
OWL_RL_PROFILE = "http://www.w3.org/ns/owl-profile/RL"
DUMP_KINDS = {  # extension -> (what it holds, pyoxigraph format)
    "nq": ("all named graphs", ox.RdfFormat.N_QUADS),
    "trig": ("all named graphs", ox.RdfFormat.TRIG),
    "ttl": ("the union of all graphs as one graph", ox.RdfFormat.TURTLE),
}
_PREFIXES = DUMP_PREFIXES


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _lit(value, datatype: str | None = None, lang: str | None = None) -> ox.Literal:
    if datatype:
        return ox.Literal(str(value), datatype=_n(datatype))
    return ox.Literal(str(value), language=lang) if lang else ox.Literal(str(value))


def _integer(value: int) -> ox.Literal:
    return _lit(value, "http://www.w3.org/2001/XMLSchema#integer")


def _graph_counts() -> dict[str, int]:
    cache, engine = state().cache, state().engine
    version = engine.data_version  # contributions change the counts
    if cache.get("counts_version") != version:
        _, rows = engine.solutions(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        cache["counts"] = {g.value: int(n.value) for g, n in rows}
        cache["counts_version"] = version
    return cache["counts"]


def _partitions() -> tuple[list, list]:
    """(class, instances) and (property, triples) over the default graph, per data version."""
    cache, engine = state().cache, state().engine
    version = engine.data_version
    if cache.get("partitions_version") != version:
        _, classes = engine.solutions(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } "
            "GROUP BY ?c ORDER BY ?c")
        _, properties = engine.solutions(
            "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p")
        cache["partitions"] = ([(c.value, int(n.value)) for c, n in classes],
                               [(p.value, int(n.value)) for p, n in properties])
        cache["partitions_version"] = version
    return cache["partitions"]


def _modified() -> str:
    """When the served data last changed: the dataset file's time (a write replaces it)."""
    seconds = state().dataset.nquads.stat().st_mtime
    return datetime.fromtimestamp(seconds, timezone.utc).date().isoformat()


# ---- dumps ---------------------------------------------------------------------------

def _dump_name(extension: str) -> str:
    return f"caonto-{state().dataset.version}.{extension}"


def ready_dumps() -> list[tuple[str, str, Path, str]]:
    """(extension, what it holds, file, SHA-256) of each dump written so far: only
    these are described and linked. Nothing is written here (``caonto.dumps``)."""
    dumps = state().dumps
    return [(extension, what, *found) for extension, (what, _) in DUMP_KINDS.items()
            if (found := dumps.ready(extension)) is not None]


@blueprint.route("/dumps/", endpoint="dumps")
def dumps_index() -> Response:
    root = site_root()
    lines = [f"{root}dumps/{_dump_name(ext)}  sha256 {digest}  ({what})"
             for ext, what, _, digest in ready_dumps()]
    pending = [_dump_name(ext) for ext in state().dumps.pending()]
    if pending:
        lines.append(f"(being written, listed once ready: {', '.join(pending)})")
    return Response("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@blueprint.route("/dumps/<name>", endpoint="dump")
def dump(name: str) -> Response:
    version = state().dataset.version
    prefix = f"caonto-{version}."
    extension = name[len(prefix):] if name.startswith(prefix) else ""
    checksum = extension.endswith(".sha256")
    extension = extension.removesuffix(".sha256")
    if extension not in DUMP_KINDS:
        abort(404, description=f"no dump named {name}; see /dumps/ for the current ones")
    found = state().dumps.ready(extension)
    if found is None and extension in state().dumps.failures:  # the server's log says why
        raise ApiError(503, f"the dump {_dump_name(extension)} could not be written")
    if found is None:
        raise ApiError(503, f"the dump {_dump_name(extension)} is being written; try again "
                            "shortly", headers={"Retry-After": "10"})
    path, digest = found
    if checksum:
        return Response(f"{digest}  {_dump_name(extension)}\n",
                        content_type="text/plain; charset=utf-8")
    _, rdf_format = DUMP_KINDS[extension]
    response = send_file(path, mimetype=rdf_format.media_type,
                         download_name=name, etag=digest, conditional=True, max_age=3600)
    b64 = base64.b64encode(bytes.fromhex(digest)).decode()
    response.headers["Repr-Digest"] = f"sha-256=:{b64}:"
    return response


# ---- descriptions ---------------------------------------------------------------------

def _dataset_triples(root: str) -> list[ox.Triple]:
    dataset, counts = _n(DATASET_IRI), _graph_counts()
    triples = [
        ox.Triple(dataset, _n(RDF_TYPE), _n(VOID + "Dataset")),
        ox.Triple(dataset, _n(DCT + "title"), _lit("caonto: Central Asian international "
                                                   "relations", lang="en")),
        ox.Triple(dataset, _n(DCT + "hasVersion"), _lit(state().dataset.version)),
        ox.Triple(dataset, _n(VOID + "sparqlEndpoint"), _n(root + "sparql")),
        ox.Triple(dataset, _n(VOID + "uriSpace"), _lit(str(CAOR))),
        ox.Triple(dataset, _n(VOID + "vocabulary"), _n(str(CAO))),
        ox.Triple(dataset, _n(VOID + "triples"), _integer(sum(counts.values()))),
        ox.Triple(dataset, _n(DCT + "license"), _n(LICENSE)),
        ox.Triple(dataset, _n(DCT + "publisher"), _n(PUBLISHER)),
        ox.Triple(dataset, _n(DCT + "modified"),
                  _lit(_modified(), "http://www.w3.org/2001/XMLSchema#date")),
    ]
    classes, properties = _partitions()
    for cls, entities in classes:
        partition = ox.BlankNode()
        triples += [ox.Triple(dataset, _n(VOID + "classPartition"), partition),
                    ox.Triple(partition, _n(VOID + "class"), _n(cls)),
                    ox.Triple(partition, _n(VOID + "entities"), _integer(entities))]
    for prop, count in properties:
        partition = ox.BlankNode()
        triples += [ox.Triple(dataset, _n(VOID + "propertyPartition"), partition),
                    ox.Triple(partition, _n(VOID + "property"), _n(prop)),
                    ox.Triple(partition, _n(VOID + "triples"), _integer(count))]
    for extension, what, _, digest in ready_dumps():
        rdf_format = DUMP_KINDS[extension][1]
        url = _n(f"{root}dumps/{_dump_name(extension)}")
        checksum = ox.BlankNode()
        triples += [
            ox.Triple(dataset, _n(VOID + "dataDump"), url),
            ox.Triple(url, _n(DCT + "format"), _lit(rdf_format.media_type)),
            ox.Triple(url, _n(DCT + "description"), _lit(what, lang="en")),
            ox.Triple(url, _n(SPDX + "checksum"), checksum),
            ox.Triple(checksum, _n(RDF_TYPE), _n(SPDX + "Checksum")),
            ox.Triple(checksum, _n(SPDX + "algorithm"), _n(SPDX + "checksumAlgorithm_sha256")),
            ox.Triple(checksum, _n(SPDX + "checksumValue"),
                      _lit(digest, "http://www.w3.org/2001/XMLSchema#hexBinary")),
        ]
    for graph, count in sorted(counts.items()):
        subset = _n(graph)
        triples += [ox.Triple(dataset, _n(VOID + "subset"), subset),
                    ox.Triple(subset, _n(RDF_TYPE), _n(VOID + "Dataset")),
                    ox.Triple(subset, _n(VOID + "triples"), _integer(count))]
    return triples


_INFERENCE_NOTE = (
    f"The default graph is the union of all named graphs: the ontology ({GRAPH_ONTOLOGY}), the essay "
    f"data ({GRAPH_ESSAY}), the OWL 2 RL closure ({GRAPH_INFERRED}) and any contributed graphs, so "
    f"answers follow the OWL 2 RL entailment regime ({OWL_RL_REGIME}). Add the parameter "
    "inference=false to query without the closure: the default graph is then the union of "
    f"every graph except {GRAPH_INFERRED}, which is also hidden from GRAPH patterns. default-graph-uri "
    "and named-graph-uri replace this dataset as the SPARQL 1.1 Protocol says."
)


def _service_triples(root: str) -> list[ox.Triple]:
    service, default_dataset, default_graph = _n(root + "sparql"), ox.BlankNode(), ox.BlankNode()
    update = _n(root + "update")
    triples = [
        # writes: SPARQL 1.1 Update at /update (with a token), described as its own service
        ox.Triple(update, _n(RDF_TYPE), _n(SD + "Service")),
        ox.Triple(update, _n(SD + "endpoint"), update),
        ox.Triple(update, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Update")),
        ox.Triple(update, _n(RDFS_COMMENT), _lit(
            "SPARQL 1.1 Update for contributed graphs; needs Authorization: Bearer <token>. "
            "Queries go to " + root + "sparql.", lang="en")),
        ox.Triple(service, _n(RDFS_SEE_ALSO), update),
        # the default graph holds the OWL 2 RL closure; inference=false leaves it out
        ox.Triple(service, _n(SD + "defaultEntailmentRegime"), _n(OWL_RL_REGIME)),
        ox.Triple(service, _n(SD + "defaultSupportedEntailmentProfile"), _n(OWL_RL_PROFILE)),
        ox.Triple(service, _n(RDF_TYPE), _n(SD + "Service")),
        ox.Triple(service, _n(SD + "endpoint"), service),
        ox.Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
        ox.Triple(service, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")),
        ox.Triple(service, _n(SD + "feature"), _n(SD + "BasicFederatedQuery"))
        if state().engine.allowlist else None,
        ox.Triple(service, _n(RDFS_COMMENT), _lit(_INFERENCE_NOTE, lang="en")),
        ox.Triple(service, _n(SD + "defaultDataset"), default_dataset),
        ox.Triple(default_dataset, _n(RDF_TYPE), _n(SD + "Dataset")),
        ox.Triple(default_dataset, _n(DCT + "source"), _n(DATASET_IRI)),
        ox.Triple(default_dataset, _n(SD + "defaultGraph"), default_graph),
        ox.Triple(default_graph, _n(RDF_TYPE), _n(SD + "Graph")),
        ox.Triple(default_dataset, _n(SD + "defaultEntailmentRegime"), _n(OWL_RL_REGIME)),
        ox.Triple(default_graph, _n(VOID + "triples"), _integer(sum(_graph_counts().values()))),
    ]
    triples += [ox.Triple(service, _n(SD + "resultFormat"), _n(f.w3c)) for f in fmt.FORMATS]
    for graph, count in sorted(_graph_counts().items()):
        named, described = ox.BlankNode(), ox.BlankNode()
        triples += [ox.Triple(default_dataset, _n(SD + "namedGraph"), named),
                    ox.Triple(named, _n(RDF_TYPE), _n(SD + "NamedGraph")),
                    ox.Triple(named, _n(SD + "name"), _n(graph)),
                    ox.Triple(named, _n(SD + "graph"), described),
                    ox.Triple(described, _n(RDF_TYPE), _n(SD + "Graph")),
                    ox.Triple(described, _n(VOID + "triples"), _integer(count))]
    return [t for t in triples if t is not None] + _dataset_triples(root)


def _rdf_response(triples: list[ox.Triple]) -> Response:
    wanted = request.args.get("format")
    chosen = (fmt.lookup(wanted, fmt.GRAPH) if wanted
              else negotiate(request.headers.get("Accept"), fmt.GRAPH))
    if chosen is None:
        offered = ", ".join(f.media_type for f in fmt.of_kind(fmt.GRAPH))
        raise ApiError(406, f"this description is RDF: {offered}")
    body = fmt.write_triples(triples, chosen, prefixes=_PREFIXES)
    response = Response(body, content_type=chosen.content_type)
    response.headers["Vary"] = "Accept"
    return response


def _prefers_html() -> bool:
    best = parse_accept(request.headers.get("Accept"))
    return bool(best) and best[0][0] in ("text/html", "application/xhtml+xml")


def service_description_response() -> Response:
    """GET /sparql without a query: the query UI for browsers, else the description."""
    if _prefers_html():
        return render_query_ui()
    return _rdf_response(_service_triples(site_root()))


@blueprint.route("/void", endpoint="void")
def void() -> Response:
    return _rdf_response(_dataset_triples(site_root()))

