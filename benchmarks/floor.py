"""The floor for a Flask SPARQL endpoint: Flask + waitress + pyoxigraph, nothing else.

    python -m benchmarks.floor DATASET.nq PORT [THREADS]

One process holds the dataset in an in-memory pyoxigraph store and answers
``GET /sparql?query=`` in the request thread (default graph = the union of the named
graphs), as SPARQL JSON or, for CONSTRUCT/DESCRIBE, N-Triples. No timeout, no row cap,
no content negotiation, no cache, no pages: what any Flask + waitress endpoint over
pyoxigraph pays per request at least. benchmarks/run.py measures caonto against it.
"""

import sys

import pyoxigraph as ox
import waitress
from flask import Flask, Response, request


def create_app(dataset: str) -> Flask:
    store = ox.Store()
    store.bulk_load(path=dataset, format=ox.RdfFormat.N_QUADS)
    app = Flask(__name__)

    @app.get("/sparql")
    def sparql():
        text = request.args.get("query", "")
        try:
            result = store.query(text, use_default_graph_as_union=True)
        except SyntaxError as error:
            return Response(str(error), 400, mimetype="text/plain")
        if isinstance(result, ox.QueryTriples):
            return Response(ox.serialize(result, format=ox.RdfFormat.N_TRIPLES),
                            mimetype="application/n-triples")
        return Response(result.serialize(format=ox.QueryResultsFormat.JSON),
                        mimetype="application/sparql-results+json")

    return app


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: python -m benchmarks.floor DATASET.nq PORT [THREADS]")
    threads = int(sys.argv[3]) if len(sys.argv) == 4 else 8
    waitress.serve(create_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]),
                   threads=threads, ident="floor")
