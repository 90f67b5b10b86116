"""Every ``CAONTO_*`` setting, declared once, read once, with one precedence.

``load(config)`` takes an explicit mapping (``create_app(config)``, command-line
options), then the environment, then each setting's default, and checks every value:
a bad one raises :class:`ConfigError`, whose message is one line naming the variable and
what it accepts. Nothing else in caonto reads the environment for a setting; whoever
needs one is handed the :class:`Settings` object. ``docs/endpoint.md``'s settings table
is checked against :data:`DECLARED` by the tests.
"""

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class ConfigError(ValueError):
    """A setting has a value caonto cannot use; ``str()`` is one line naming it."""


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable, e.g. CAONTO_MAX_ROWS
    parse: Callable[[str], Any]  # raises ValueError with what it accepts
    default: Any
    doc: str
    secret: bool = False  # never echoed in an error

    @property
    def field(self) -> str:
        return self.name.removeprefix("CAONTO_").lower()


# ---- value parsers: each raises ValueError("expected ...") -----------------------------------

def text(raw: str) -> str:
    return str(raw).strip()


def number(minimum: float = 0.0) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value) or value < minimum:
            raise ValueError(f"expected a number ≥ {minimum:g}")
        return value
    return parse


def whole(minimum: int = 0) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            raise ValueError(f"expected a whole number ≥ {minimum}") from None
        if value < minimum:
            raise ValueError(f"expected a whole number ≥ {minimum}")
        return value
    return parse


def choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = str(raw).strip().lower()
        if value not in options:
            raise ValueError("expected one of " + ", ".join(options))
        return value
    return parse


def on_off_auto(raw: str) -> str:
    value = str(raw).strip().lower()
    aliases = {"1": "on", "true": "on", "yes": "on", "0": "off", "false": "off", "no": "off",
               "": "auto"}
    value = aliases.get(value, value)
    if value not in ("on", "off", "auto"):
        raise ValueError("expected on, off or auto")
    return value


def credentials(raw: str) -> str:
    value = str(raw).strip()
    user, colon, _ = value.partition(":")
    if value and not (colon and user):
        raise ValueError("expected USER:PASSWORD, or nothing")
    return value


def memory(raw: str) -> int:
    value = whole(0)(raw)
    if 0 < value < 512:
        raise ValueError("expected 0 (no cap) or a whole number of MB ≥ 512")
    return value


# ---- the declaration -------------------------------------------------------------------------

DECLARED: tuple[Setting, ...] = (
    # what is served
    Setting("CAONTO_HOME", text, "", "directory holding ontology/, data/, shapes/, queries/; "
            "empty = the installed package's copy, else the source checkout"),
    Setting("CAONTO_BUILD_DIR", text, "", "where builds are cached; empty = build/ in a "
            "checkout, else ~/.cache/caonto"),
    Setting("CAONTO_DATASET", text, "", "N-Quads file to serve; empty = the built dataset"),
    Setting("CAONTO_DATASET_VERSION", text, "", "version shown for the dataset; empty = the "
            "build's (dev for a given file)"),
    Setting("CAONTO_REASONER", choice("fast", "owlrl"), "fast", "fast = caonto.reasoner; "
            "owlrl = the owlrl package, for every check (slow; for comparison)"),
    # queries
    Setting("CAONTO_QUERY_TIMEOUT", number(0.001), 10.0, "seconds per query or update, then "
            "its worker is killed"),
    Setting("CAONTO_MAX_ROWS", whole(1), 10_000, "rows (or triples) per answer; more is "
            "truncated and flagged"),
    Setting("CAONTO_MAX_ANSWER_BYTES", whole(1024), 33_554_432, "bytes per answer; more is "
            "truncated and flagged, like the row cap"),
    Setting("CAONTO_MAX_REQUEST_BYTES", whole(1024), 1_048_576, "request bodies and query "
            "strings; more is 413/414"),
    Setting("CAONTO_SERVICE_ALLOWLIST", text, "", "space-separated IRIs that SERVICE, FROM "
            "and LOAD may name"),
    Setting("CAONTO_WORKERS", whole(0), 0, "query worker processes; 0 = one per CPU (at least "
            "2, at most 8)"),
    Setting("CAONTO_PAGE_WORKERS", whole(0), 1, "further worker processes kept for the pages, "
            "so slow queries cannot starve them; 0 = pages share the query workers"),
    Setting("CAONTO_CLIENT_QUERIES", whole(0), 0, "queries one client address may run at once; "
            "0 = one fewer than the query workers (at least 1)"),
    Setting("CAONTO_QUEUE_WAIT", number(0), 5.0, "seconds a request may wait for a free worker "
            "before 503; evaluation time starts after the wait"),
    Setting("CAONTO_SANDBOX", choice("on", "off"), "on", "on = every worker that evaluates "
            "SPARQL or parses contributed RDF runs without network (it refuses to start "
            "otherwise); off = no OS-level refusal (see docs/security.md)"),
    Setting("CAONTO_WORKER_MEMORY_MB", memory, 4096, "address-space cap per worker (≥ 512); "
            "0 = no cap"),
    Setting("CAONTO_CACHE_MB", number(0), 32.0, "answers kept for repeated queries; 0 = no "
            "cache"),
    Setting("CAONTO_DISK_STORE", on_off_auto, "auto", "workers share one on-disk store: on, "
            "off, or auto (on when a copy per worker would exceed CAONTO_MEMORY_MB)"),
    Setting("CAONTO_MEMORY_MB", number(1), 2048.0, "memory the server may use; decides "
            "CAONTO_DISK_STORE=auto"),
    # the HTTP server
    Setting("CAONTO_THREADS", whole(1), 8, "waitress threads"),
    Setting("CAONTO_PROCESSES", whole(1), 1, "server processes sharing the port"),
    Setting("CAONTO_BASE_URL", text, "", "the server's public URL, for links and Location; "
            "empty = the address it listens on (never the Host header)"),
    Setting("CAONTO_NODE_MODULES", text, "", "where npm put YASGUI and vis-network; empty = "
            "the repository's node_modules"),
    # a remote store instead of the local workers
    Setting("CAONTO_STORE", text, "", "a remote SPARQL 1.1 query endpoint to serve from"),
    Setting("CAONTO_STORE_UPDATE", text, "", "that store's SPARQL 1.1 update endpoint (writes)"),
    Setting("CAONTO_STORE_GSP", text, "", "that store's Graph Store Protocol endpoint "
            "(contributed graphs)"),
    Setting("CAONTO_STORE_AUTHORIZATION", text, "", "an Authorization header value for the "
            "remote store (a secret: keep it off command lines)", secret=True),
    Setting("CAONTO_STORE_CREDENTIALS", credentials, "", "USER:PASSWORD for the remote store's "
            "HTTP Digest authentication (Virtuoso's -auth endpoints)", secret=True),
    # writes
    Setting("CAONTO_TOKENS", text, "", "writer tokens, 'TOKEN CONTRIBUTOR-IRI' separated by "
            "newlines or commas; none = writes off", secret=True),
    Setting("CAONTO_TOKENS_FILE", text, "", "a file of such entries, one a line"),
    Setting("CAONTO_CONTRIB_DIR", text, "", "where contributed graphs are stored; empty = "
            "var/contrib in a checkout, else under the build directory"),
)
BY_NAME = {setting.name: setting for setting in DECLARED}


@dataclass(frozen=True)
class Settings:
    home: str
    build_dir: str
    dataset: str
    dataset_version: str
    reasoner: str
    query_timeout: float
    max_rows: int
    max_answer_bytes: int
    max_request_bytes: int
    service_allowlist: str
    workers: int
    page_workers: int
    client_queries: int
    queue_wait: float
    sandbox: str
    worker_memory_mb: int
    cache_mb: float
    disk_store: str
    memory_mb: float
    threads: int
    processes: int
    base_url: str
    node_modules: str
    store: str
    store_update: str
    store_gsp: str
    store_authorization: str
    store_credentials: str
    tokens: str
    tokens_file: str
    contrib_dir: str

    @property
    def allowlist(self) -> frozenset[str]:
        return frozenset(self.service_allowlist.replace(",", " ").split())

    @property
    def cache_bytes(self) -> int:
        return int(self.cache_mb * 1024 * 1024)

    def with_changes(self, **changes) -> "Settings":
        """A copy with some settings replaced (by field name), checked like any value."""
        config = {f"CAONTO_{key.upper()}": value for key, value in changes.items()}
        return load({**self.as_config(), **config}, environ={})

    def as_config(self) -> dict[str, Any]:
        return {setting.name: getattr(self, setting.field) for setting in DECLARED}


def load(config: Mapping[str, Any] | None = None,
         environ: Mapping[str, str] | None = None) -> Settings:
    """Explicit ``config`` (keys ``CAONTO_*``), else ``environ`` (default: the process's
    environment), else the default. Raises ConfigError for an unknown key or a bad value."""
    environ = os.environ if environ is None else environ
    config = dict(config or {})
    unknown = sorted(key for key in config if key.startswith("CAONTO_") and key not in BY_NAME)
    if unknown:
        raise ConfigError(f"{unknown[0]} is not a caonto setting (see docs/endpoint.md)")
    values = {}
    for setting in DECLARED:
        if setting.name in config and config[setting.name] is not None:
            raw, origin = config[setting.name], "given"
        elif setting.name in environ:
            raw, origin = environ[setting.name], "environment"
        else:
            values[setting.field] = setting.default
            continue
        values[setting.field] = _parsed(setting, raw, origin)
    return Settings(**values)


def _parsed(setting: Setting, raw: Any, origin: str) -> Any:
    if isinstance(setting.default, str) and not isinstance(raw, str):
        raw = str(raw)
    try:
        return setting.parse(raw if isinstance(raw, str) else str(raw))
    except ValueError as error:
        shown = "(secret)" if setting.secret else repr(str(raw)[:60])
        raise ConfigError(f"{setting.name}={shown} ({origin}) is not valid: {error}") from None



def markdown_table() -> str:
    """The settings as the Markdown table in docs/endpoint.md (``python -m caonto.config``)."""
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    for setting in DECLARED:
        default = "(secret)" if setting.secret and setting.default else setting.default
        rows.append(f"| `{setting.name}` | `{default}` | {setting.doc} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
