"""Contributions: validated, atomic, durable writes to named graphs under ``caog:contrib/``.

- ``journal``  — a directory of files changed all-or-nothing (write-ahead record, fsync).
- ``storage``  — one TriG file per contributed graph, with its provenance.
- ``auth``     — bearer tokens mapped to contributor IRIs.
- ``update``   — SPARQL Update run against a scratch copy, and what it changed.
- ``gateway``  — validate (``caonto.pipeline.check``), persist, then publish; one lock.

The HTTP side is ``caonto.web.contrib``.
"""
