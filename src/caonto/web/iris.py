"""IRIs that come from clients or from contributed data: checked before they reach a
SPARQL text, a link or a header.

``is_iri`` accepts an absolute IRI as RFC 3987 spells its characters: a scheme, then
only unreserved, reserved and non-ASCII letters (``ucschar``/``iprivate``) and
well-formed %-escapes. That set excludes everything SPARQL's IRIREF forbids (spaces,
controls, ``<>"{}|^`\\``), so ``iri_ref`` can write ``<iri>`` into a query and the
query reads exactly that IRI: nothing a client sends can close the brackets. U+FFFD,
which stands for bytes that were not UTF-8, is not an IRI character either. Linear
time: one regular expression without backtracking choices.

``linkable`` says whether a page may make the IRI a link: only http and https, so
``javascript:`` or ``data:`` IRIs in contributed data are shown as text, never followed.
"""

import re

_IRI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:"
    r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2}"
    "|[\u00a0-\ud7ff\ue000-\ufdcf\ufdf0-\uffef\U00010000-\U000efffd])*")
MAX_IRI_LENGTH = 4096


def is_iri(text: object) -> bool:
    """Whether ``text`` is an absolute IRI (at most MAX_IRI_LENGTH characters)."""
    return (isinstance(text, str) and 0 < len(text) <= MAX_IRI_LENGTH
            and _IRI.fullmatch(text) is not None)


def iri_ref(iri: str) -> str:
    """``<iri>`` for a SPARQL text; ValueError when ``iri`` is not an IRI."""
    if not is_iri(iri):
        raise ValueError(f"not an IRI: {iri[:80]!r}")
    return f"<{iri}>"


def linkable(iri: str) -> bool:
    """Whether a page may link to ``iri``: an http(s) IRI, nothing else."""
    return is_iri(iri) and iri.lower().startswith(("http://", "https://"))
