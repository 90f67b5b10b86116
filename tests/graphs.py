"""The project's graphs, loaded and closed once per test session (inference is slow)."""

from functools import cache

from rdflib import Graph

from caonto.namespaces import PREFIXES
from caonto.pipeline import Asserted, check, load_asserted


@cache
def asserted() -> Asserted:
    return load_asserted()


@cache
def inferred() -> Graph:
    """The OWL-RL closure of ontology + essay data (raises if inconsistent)."""
    from caonto.inference import infer

    return infer(asserted().union())


@cache
def closed() -> Graph:
    """Ontology + essay data + their closure: what the endpoint serves."""
    return asserted().union(inferred())


@cache
def project_check():
    return check(asserted())


# PREFIX lines for every prefix in caonto's table, for the tests' own queries.
PROLOGUE = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
