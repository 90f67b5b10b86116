"""Where caonto finds its ontology, data, shapes and queries, and where it writes builds.

The wheel carries these directories inside the package (``caonto/bundled/``, see
pyproject.toml); a source checkout or editable install reads them from the repository
root. ``CAONTO_HOME`` overrides both, ``CAONTO_BUILD_DIR`` moves the build cache.
"""

import os
from dataclasses import dataclass
from pathlib import Path

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


def _source_checkout_root() -> Path | None:
    root = _PACKAGE_DIR.parent.parent  # src/caonto -> repository root
    return root if (root / "pyproject.toml").is_file() and (root / "ontology").is_dir() else None


def resource_paths() -> ResourcePaths:
    """Locate the resource directories: CAONTO_HOME, then the wheel's copy, then the checkout.

    Raises FileNotFoundError naming the places it looked when none has an ontology/.
    """
    candidates = []
    if os.environ.get("CAONTO_HOME"):
        candidates.append(Path(os.environ["CAONTO_HOME"]))
    candidates.append(_PACKAGE_DIR / "bundled")
    checkout = _source_checkout_root()
    if checkout:
        candidates.append(checkout)
    for root in candidates:
        if (root / "ontology").is_dir():
            return ResourcePaths(root)
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"caonto resources (ontology/, data/, shapes/) not found in: {looked}")


def build_dir() -> Path:
    """Directory for built artefacts (inferred graph, dumps): CAONTO_BUILD_DIR, else
    ``build/`` in a source checkout, else ``~/.cache/caonto``."""
    if os.environ.get("CAONTO_BUILD_DIR"):
        path = Path(os.environ["CAONTO_BUILD_DIR"])
    elif _source_checkout_root():
        path = _source_checkout_root() / "build"  # type: ignore[operator]
    else:
        path = Path.home() / ".cache" / "caonto"
    path.mkdir(parents=True, exist_ok=True)
    return path
