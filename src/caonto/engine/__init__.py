"""Query engines over the served dataset, and nothing of the web.

- ``interface`` — the :class:`~caonto.engine.interface.Engine` protocol, its errors,
  ``DatasetChoice`` and ``Answer``.
- ``guard``     — refuses SERVICE, LOAD and FROM that would read remote or file resources.
- ``results``   — answers as bytes, capped in rows, with truncation marks.
- ``worker``    — the worker process that holds the data and evaluates.
- ``pool``      — the local engine: a pool of workers with a timeout that kills.
- ``cache``     — answers kept for repeated queries.
- ``disk_store``— one on-disk store shared by the workers.
- ``remote``    — the engine over a remote SPARQL 1.1 store.
- ``local``     — in-process queries for the command line.
- ``factory``   — the engine the settings ask for.
"""
