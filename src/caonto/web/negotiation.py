"""Content negotiation over the format registry: Accept headers with q-values."""

from caonto.formats import DEFAULT, Format, of_kind


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges with their q-values, best first; an absent header means ``*/*``.

    Malformed parameters are ignored rather than rejected: clients send odd headers.
    """
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
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        ranges.append((media, quality, specificity, position))
    ranges.sort(key=lambda r: (-r[1], -r[2], r[3]))
    return [(media, quality) for media, quality, _, _ in ranges]


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
    """
    candidates = of_kind(kind)
    for media_range, quality in parse_accept(accept):
        if quality <= 0:
            continue
        if media_range == "*/*" or media_range.endswith("/*"):
            default = DEFAULT[kind]
            if _matches(media_range, default.media_type) and not _refused(accept, default):
                return default
        # Own media types before aliases, so text/* means CSV rather than text/xml.
        for use_aliases in (False, True):
            for fmt in candidates:
                types = tuple(a for a in fmt.aliases if "/" in a) if use_aliases \
                    else (fmt.media_type,)
                if any(_matches(media_range, t) for t in types) and not _refused(accept, fmt):
                    return fmt
    return None


def _refused(accept: str | None, fmt: Format) -> bool:
    return any(media == fmt.media_type and quality <= 0 for media, quality in parse_accept(accept))
