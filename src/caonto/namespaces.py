"""The one prefix table for graphs, queries and output.

Terms live under ``/def/``, resources under ``/id/``, named graphs under ``/graph/``
of the persistent base, so each can be dereferenced on its own.
"""

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SDO, SH, SKOS, XSD

BASE = "https://w3id.org/caonto/"
CAO = Namespace(BASE + "def/")
CAOR = Namespace(BASE + "id/")
CAOG = Namespace(BASE + "graph/")
CAOSH = Namespace(BASE + "shapes/")
ORG = Namespace("http://www.w3.org/ns/org#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VANN = Namespace("http://purl.org/vocab/vann/")
WD = Namespace("http://www.wikidata.org/entity/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

ONTOLOGY_IRI = URIRef(BASE + "def")
GRAPH_ONTOLOGY = CAOG["ontology"]
GRAPH_ESSAY = CAOG["essay"]
GRAPH_RECORD = CAOG["record"]  # the record: statements from cited public sources
GRAPH_INFERRED = CAOG["inferred"]
ASSERTED_GRAPHS = (GRAPH_ONTOLOGY, GRAPH_ESSAY, GRAPH_RECORD)  # the curated graphs, without the closure
GRAPH_CONTRIB_LOG = CAOG["contrib-log"]  # who contributed which graph, and when
CONTRIB_GRAPH_PREFIX = BASE + "graph/contrib/"

PREFIXES: dict[str, str] = {
    "cao": str(CAO),
    "caor": str(CAOR),
    "caog": str(CAOG),
    "caosh": str(CAOSH),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "schema": str(SDO),
    "org": str(ORG),
    "foaf": str(FOAF),
    "vann": str(VANN),
    "sh": str(SH),
    "wd": str(WD),
    "unit": str(UNIT),
    "void": str(VOID),
    "sd": str(SD),
}


def bind_prefixes(graph: Graph) -> Graph:
    """Bind caonto's prefix table on ``graph`` (replacing rdflib's defaults) and return it."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph
