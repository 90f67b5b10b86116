"""Content negotiation over the format registry: Accept headers with q-values.

Bounded and linear: a header longer than MAX_ACCEPT_BYTES or with more than
MAX_ACCEPT_RANGES media ranges is refused (AcceptTooLarge; the app answers 400 before
any view runs), and a header is parsed once per negotiation. Clients repeat the same
header on every request, so the last NEGOTIATED_HEADERS verdicts are kept (each key is
at most MAX_ACCEPT_BYTES long: about 1 MiB at most).
"""

from functools import lru_cache

from caonto.formats import DEFAULT, Format, of_kind

MAX_ACCEPT_BYTES = 4096
MAX_ACCEPT_RANGES = 64
NEGOTIATED_HEADERS = 256


class AcceptTooLarge(ValueError):
    """The Accept header is longer, or has more ranges, than a client needs."""


def check_accept(header: str | None) -> None:
    """Raise AcceptTooLarge when ``header`` is past the limits."""
    if header and (len(header) > MAX_ACCEPT_BYTES
                   or header.count(",") >= MAX_ACCEPT_RANGES):
        raise AcceptTooLarge(f"the Accept header may have at most {MAX_ACCEPT_RANGES} media "
                             f"ranges in {MAX_ACCEPT_BYTES} bytes")


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges with their q-values, best first; an absent header means ``*/*``.

    Malformed parameters are ignored rather than rejected: clients send odd headers.
    Raises AcceptTooLarge past the limits.
    """
    check_accept(header)
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges = []
    for position, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        quality = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                quality = _quality(value.strip())
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        ranges.append((media, quality, specificity, position))
    ranges.sort(key=lambda r: (-r[1], -r[2], r[3]))
    return [(media, quality) for media, quality, _, _ in ranges]


def _quality(value: str) -> float:
    """RFC 9110 qvalue: 0 to 1 with at most three decimals; anything else counts as 0."""
    if len(value) > 5:
        return 0.0
    try:
        number = float(value)
    except ValueError:
        return 0.0
    return min(max(number, 0.0), 1.0) if number == number else 0.0  # NaN is not a q


def _matches(media_range: str, media_type: str) -> bool:
    if media_range == "*/*":
        return True
    if media_range.endswith("/*"):
        return media_type.startswith(media_range[:-1])
    return media_range == media_type


def negotiate(accept: str | None, kind: str) -> Format | None:
    """The best format of ``kind`` for an Accept header, or None when nothing acceptable.

    A wildcard picks the kind's default (JSON results, Turtle graphs); an explicit media
    type beats a wildcard of equal q; an alias (application/json) counts as explicit.
    Raises AcceptTooLarge past the limits (checked before the cache is consulted).
    """
    check_accept(accept)
    return _negotiate(accept, kind)


def _best_format(accept: str | None, kind: str) -> Format | None:
    ranges = parse_accept(accept)
    refused = {media for media, quality in ranges if quality <= 0}
    candidates = [fmt for fmt in of_kind(kind) if fmt.media_type not in refused]
    for media_range, quality in ranges:
        if quality <= 0:
            continue
        if media_range.endswith("/*"):  # */* too
            default = DEFAULT[kind]
            if _matches(media_range, default.media_type) and default.media_type not in refused:
                return default
        # Own media types before aliases, so text/* means CSV rather than text/xml.
        for use_aliases in (False, True):
            for fmt in candidates:
                types = tuple(a for a in fmt.aliases if "/" in a) if use_aliases \
                    else (fmt.media_type,)
                if any(_matches(media_range, t) for t in types):
                    return fmt
    return None


# Wrapped rather than decorated: mutmut leaves decorated functions unmutated, and this is
# the module's whole verdict.
_negotiate = lru_cache(maxsize=NEGOTIATED_HEADERS)(_best_format)
