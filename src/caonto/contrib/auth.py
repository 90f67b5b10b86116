"""Bearer tokens for writers, each mapped to the contributor it identifies.

Tokens come from the ``CAONTO_TOKENS`` setting (entries separated by newlines or commas)
and/or the file named by ``CAONTO_TOKENS_FILE`` (one entry a line), each
entry ``TOKEN CONTRIBUTOR-IRI``, or ``TOKEN CONTRIBUTOR-IRI maintainer`` for a maintainer,
who may replace or delete graphs that others created. A ``#`` at the start of a word begins
a comment; one inside a word is part of it (``https://alice.example/profile#me`` is an
IRI, not an IRI and a comment). With no tokens at all, writes are off.

Tokens are compared with ``hmac.compare_digest`` against every configured token, so the
time taken does not tell how much of a guess was right or which entry it was near.
"""

import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from caonto.config import ConfigError

MIN_TOKEN_LENGTH = 16
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
_COMMENT = re.compile(r"(?:^|\s)#.*", re.DOTALL)


class AuthError(Exception):
    """A write that may not go ahead; ``status`` is 401 (who are you?) or 403 (writes off)."""

    def __init__(self, status: int, message: str, challenge: str | None = None):
        super().__init__(message)
        self.status, self.message, self.challenge = status, message, challenge


class TokenConfigError(ConfigError):
    """The token setting or file is malformed; the message names the entry."""


MAINTAINER = "maintainer"


@dataclass(frozen=True)
class Writer:
    """Who a token names: a contributor IRI, and whether they maintain the dataset."""

    iri: str
    maintainer: bool = False


@dataclass(frozen=True)
class Tokens:
    entries: tuple[tuple[bytes, Writer], ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    def contributor(self, authorization: str | None) -> str:
        """The contributor IRI for an ``Authorization`` header value; AuthError otherwise."""
        return self.writer(authorization).iri

    def writer(self, authorization: str | None) -> Writer:
        """Who an ``Authorization`` header value names; AuthError otherwise."""
        if not self.entries:
            raise AuthError(403, "writes are disabled on this server: no tokens are "
                                 "configured (the operator sets CAONTO_TOKENS or "
                                 "CAONTO_TOKENS_FILE)")
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError(401, "writes need a bearer token: send 'Authorization: Bearer "
                                 "<token>'", 'Bearer realm="caonto"')
        offered = token.strip().encode()
        found = None
        for secret, who in self.entries:  # no early exit: same work whichever matches
            if hmac.compare_digest(secret, offered):
                found = who
        if found is None:
            raise AuthError(401, "the bearer token is not valid on this server",
                            'Bearer realm="caonto", error="invalid_token"')
        return found


def parse_entries(text: str, source: str) -> list[tuple[bytes, Writer]]:
    """``TOKEN IRI [maintainer]`` entries from ``text``; TokenConfigError names a bad one
    (never its token)."""
    entries = []
    for number, raw in enumerate(re.split(r"[\n,]", text), 1):
        line = _COMMENT.sub("", raw).strip()  # one match: it runs to the end
        if not line:
            continue
        parts = line.split()
        if len(parts) not in (2, 3) or len(parts) == 3 and parts[2] != MAINTAINER:
            raise TokenConfigError(f"{source}, entry {number}: expected 'TOKEN CONTRIBUTOR-IRI' "
                                   f"or 'TOKEN CONTRIBUTOR-IRI {MAINTAINER}'")
        token, iri = parts[:2]
        if len(token) < MIN_TOKEN_LENGTH:
            raise TokenConfigError(f"{source}, entry {number}: tokens must have at least "
                                   f"{MIN_TOKEN_LENGTH} characters")
        if not _IRI.match(iri):
            raise TokenConfigError(f"{source}, entry {number}: {iri!r} is not an absolute IRI")
        entries.append((token.encode(), Writer(iri, len(parts) == 3)))
    return entries


def load_tokens(setting: str | None = None, file: str | Path | None = None) -> Tokens:
    """Tokens from the setting and the file (both optional). Raises TokenConfigError for a
    malformed entry and OSError when the file cannot be read."""
    entries = parse_entries(setting, "CAONTO_TOKENS") if setting else []
    if file:
        entries += parse_entries(Path(file).read_text(encoding="utf-8"), str(file))
    return Tokens(tuple(entries))
