"""Where caonto finds its ontology, data, shapes and queries, and where it writes.

The wheel carries these directories inside the package (``caonto/bundled/``, see
pyproject.toml); a source checkout or editable install reads them from the repository
root. The settings ``CAONTO_HOME``, ``CAONTO_BUILD_DIR`` and ``CAONTO_CONTRIB_DIR`` move
them (``caonto.config``).
"""

from dataclasses import dataclass
from pathlib import Path

from caonto import config

_PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class ResourcePaths:
    root: Path

    @property
    def ontology(self) -> Path:
        return self.root / "ontology"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def record(self) -> Path:
        return self.root / "data" / "record"

    @property
    def shapes(self) -> Path:
        return self.root / "shapes"

    @property
    def queries(self) -> Path:
        return self.root / "queries"


def source_checkout() -> Path | None:
    """The repository root when caonto runs from a source checkout, else None."""
    root = _PACKAGE_DIR.parent.parent  # src/caonto -> repository root
    return root if (root / "pyproject.toml").is_file() and (root / "ontology").is_dir() else None


def resource_paths(settings: config.Settings | None = None) -> ResourcePaths:
    """Locate the resource directories: CAONTO_HOME, then the wheel's copy, then the checkout.

    Raises FileNotFoundError naming the places it looked when none has an ontology/.
    """
    settings = settings or config.load()
    candidates = [Path(settings.home)] if settings.home else []
    candidates.append(_PACKAGE_DIR / "bundled")
    checkout = source_checkout()
    if checkout:
        candidates.append(checkout)
    for root in candidates:
        if (root / "ontology").is_dir():
            return ResourcePaths(root)
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"caonto resources (ontology/, data/, shapes/) not found in: {looked}")


def build_dir(settings: config.Settings | None = None) -> Path:
    """Directory for built artefacts (inferred graph, dumps): CAONTO_BUILD_DIR, else
    ``build/`` in a source checkout, else ``~/.cache/caonto``."""
    settings = settings or config.load()
    checkout = source_checkout()
    if settings.build_dir:
        path = Path(settings.build_dir)
    elif checkout:
        path = checkout / "build"
    else:
        path = Path.home() / ".cache" / "caonto"
    path.mkdir(parents=True, exist_ok=True)
    return path


def contrib_dir(settings: config.Settings | None = None) -> Path:
    """CAONTO_CONTRIB_DIR, else ``var/contrib`` in a source checkout, else under the build dir."""
    settings = settings or config.load()
    if settings.contrib_dir:
        return Path(settings.contrib_dir)
    checkout = source_checkout()
    return checkout / "var" / "contrib" if checkout else build_dir(settings) / "contrib"
