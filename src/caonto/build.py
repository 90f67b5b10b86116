"""Build the served dataset once and keep it: ontology, essay data and their closure.

The result is one N-Quads file with three named graphs (``caog:ontology``,
``caog:essay``, ``caog:inferred``), its dumps in TriG and Turtle (``caonto.dumps``) and
a manifest with the SHA-256 of each. The manifest records a hash of every
input: the ontology, data and shape files, caonto's own source code and the versions of
the libraries that parse, infer and validate; a server start reuses a build whose inputs
did not change instead of recomputing inference and validation.

The same inputs give the same bytes: blank nodes are labelled from the content of their
file (``caonto.rdf_io.parse_bytes``) and the lines are sorted.

A running server never reads the build file itself but a frozen copy of it
(``freeze``): a later ``caonto build --force`` replaces the build file, and whatever the
server serves and the checksums it announces must stay the bytes it started with.
"""

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import owlrl
import pyoxigraph
import pyshacl
import rdflib
from rdflib import Dataset, Graph, URIRef

from caonto import __version__, config, dumps
from caonto.config import Settings
from caonto.namespaces import GRAPH_INFERRED, bind_prefixes
from caonto.pipeline import Asserted, check, load_asserted
from caonto.rdf_io import rdf_files
from caonto.resources import ResourcePaths, build_dir, resource_paths


class BuildError(RuntimeError):
    """The project's own data does not pass its checks; the message is the full report."""


@dataclass(frozen=True)
class BuiltDataset:
    nquads: Path
    sha256: str
    version: str
    triples_per_graph: dict[str, int]
    dumps: dict[str, tuple[Path, str]] = field(default_factory=dict)  # ext -> (file, SHA-256)


PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def code_digest(package: Path = PACKAGE_DIR) -> str:
    """SHA-256 over caonto's Python source (file names and contents, in order): a changed
    reasoner, parser or check must not reuse a closure built by the old one."""
    digest = hashlib.sha256()
    for file in sorted(package.rglob("*.py")):
        digest.update(str(file.relative_to(package)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def inputs_key(paths: ResourcePaths, package: Path = PACKAGE_DIR) -> str:
    """The build cache key: every input file, caonto's code, the libraries' versions."""
    digest = hashlib.sha256()
    for label in (__version__, code_digest(package), rdflib.__version__, owlrl.__version__,
                  pyshacl.__version__, pyoxigraph.__version__):
        digest.update(label.encode() + b"\0")
    for directory in (paths.ontology, paths.data, paths.record, paths.shapes):
        for file in rdf_files(directory) if directory.is_dir() else []:
            digest.update(str(file.relative_to(paths.root)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def assemble(asserted: Asserted, inferred: Graph | None = None,
             others: dict[str, Graph] | None = None) -> Dataset:
    """One dataset holding the asserted graphs under their names, the inferred graph
    (none when None), plus ``others`` by graph IRI (contributions)."""
    dataset = Dataset()
    bind_prefixes(dataset)
    named = list(asserted.named_graphs().items())
    if inferred is not None:
        named.append((GRAPH_INFERRED, inferred))
    named += [(URIRef(name), graph) for name, graph in (others or {}).items()]
    for name, graph in named:
        target = dataset.graph(name)
        for triple in graph:
            target.add(triple)
    return dataset


def build_dataset(force: bool = False, settings: Settings | None = None,
                  paths: ResourcePaths | None = None, out_dir: Path | None = None) -> BuiltDataset:
    """Return the built dataset, building it when its inputs changed (or ``force``).

    ``paths`` and ``out_dir`` default to what ``settings`` (default: the environment's)
    say. Raises RdfInputError for unparsable files and BuildError when the project's data
    is inconsistent or does not conform to its shapes.
    """
    settings = settings or config.load()
    paths = paths or resource_paths(settings)
    out_dir = out_dir or build_dir(settings)
    key = inputs_key(paths)
    out_dir.mkdir(parents=True, exist_ok=True)
    nquads = out_dir / f"caonto-{__version__}.nq"
    manifest_path = out_dir / f"caonto-{__version__}.json"
    if not force and nquads.is_file() and manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("inputs") == key:
            written = _dumps_of(nquads, manifest)
            if written is None:  # a build from before dumps were written with it
                written = _write_dumps(nquads)
                _write_atomically(manifest_path, _manifest_bytes({
                    **manifest, "dumps": {ext: sha for ext, (_, sha) in written.items()}}))
            return BuiltDataset(nquads, manifest["sha256"], __version__,
                                manifest["triples_per_graph"], written)

    asserted = load_asserted(paths)
    result = check(asserted)
    if result.inconsistencies:
        raise BuildError("\n".join(result.inconsistencies))
    if not result.report.conforms:
        raise BuildError(result.report.to_text())
    dataset = assemble(asserted, result.inferred)
    payload = dataset.serialize(format="nquads", encoding="utf-8")
    payload = b"".join(sorted(payload.splitlines(keepends=True)))  # stable diffs and checksums
    counts = {str(name): len(graph) for name, graph in asserted.named_graphs().items()}
    counts[str(GRAPH_INFERRED)] = len(result.inferred)
    sha = hashlib.sha256(payload).hexdigest()
    _write_atomically(nquads, payload)
    written = _write_dumps(nquads)
    _write_atomically(manifest_path, _manifest_bytes(
        {"inputs": key, "sha256": sha, "version": __version__, "triples_per_graph": counts,
         "dumps": {ext: digest for ext, (_, digest) in written.items()}}))
    return BuiltDataset(nquads, sha, __version__, counts, written)


def _manifest_bytes(manifest: dict) -> bytes:
    return json.dumps(manifest, indent=2).encode()


def _dump_path(nquads: Path, extension: str) -> Path:
    return nquads.with_suffix("." + extension)


def _write_dumps(nquads: Path) -> dict[str, tuple[Path, str]]:
    """The TriG and Turtle dumps of ``nquads``, written beside it: ext -> (file, SHA-256)."""
    return {extension: (_dump_path(nquads, extension),
                        dumps.write(nquads, _dump_path(nquads, extension), extension))
            for extension in dumps.FORMATS}


def _dumps_of(nquads: Path, manifest: dict) -> dict[str, tuple[Path, str]] | None:
    """The dumps the manifest lists, or None when one is not listed or not there."""
    listed = manifest.get("dumps") or {}
    found = {extension: (_dump_path(nquads, extension), listed.get(extension))
             for extension in dumps.FORMATS}
    if all(digest and path.is_file() for path, digest in found.values()):
        return found
    return None


def _write_atomically(path: Path, payload: bytes) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(payload)
    temporary.replace(path)


def freeze(source: Path, directory: Path, link: bool = False) -> tuple[Path, str]:
    """An unchanging copy of ``source`` in ``directory``, named by its SHA-256, and that
    SHA-256, computed from the copy's own bytes. With ``link``, a hard link when the file
    system allows: right for build files, which are replaced by renaming, never
    rewritten in place, so the link keeps the old bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".incoming-{os.getpid()}-{source.name}"
    temporary.unlink(missing_ok=True)
    try:
        if not link:
            raise OSError("copy asked for")
        os.link(source, temporary)
    except OSError:
        shutil.copyfile(source, temporary)
    digest = hashlib.sha256()
    with open(temporary, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    sha = digest.hexdigest()
    target = directory / f"caonto-{sha[:32]}.nq"
    if target.is_file():
        temporary.unlink()
    else:
        temporary.replace(target)
    return target, sha
