"""The layering of docs/architecture.md, read from the code with ``ast``.

A module may import its own layer and the layers below it, never one above; nothing
imports another module's ``_private`` names; an import inside a function carries a
comment saying why (start-up cost), so no cycle hides there.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "caonto"

# Lowest first. A module belongs to the first entry that is its name or a prefix of it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("caonto.config", "caonto.namespaces", "caonto.formats"),
    ("caonto.resources", "caonto.rdf_io", "caonto.sandbox", "caonto.replies"),
    ("caonto.reasoner", "caonto.inference", "caonto.validation", "caonto.vocabulary",
     "caonto.diagnosis", "caonto.pipeline", "caonto.incremental", "caonto.build",
     "caonto.dumps", "caonto.synthetic"),
    ("caonto.engine",),
    ("caonto.contrib", "caonto.publish"),
    ("caonto.web",),
    ("caonto.cli",),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int | None:
    if module == "caonto":
        return 0
    for index, members in enumerate(LAYERS):
        if any(module == m or module.startswith(m + ".") for m in members):
            return index
    return None


def _imports(path: Path):
    """(imported module, names, line, inside a function) for every caonto import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef,
                                                             ast.AsyncFunctionDef))]
    nested = {id(n) for f in functions for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("caonto"):
            names = [a.name for a in node.names]
            # "from caonto import config" imports the module caonto.config
            targets = [f"{node.module}.{n}" if f"{node.module}.{n}" in MODULES else node.module
                       for n in names]
            for target, name in zip(targets, names, strict=True):
                yield target, name, node.lineno, id(node) in nested
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("caonto"):
                    yield alias.name, "", node.lineno, id(node) in nested


def test_every_module_has_a_layer():
    assert [m for m in MODULES if layer_of(m) is None] == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_layer_above_its_own(module):
    own = layer_of(module)
    above = [(target, line) for target, _, line, _ in _imports(MODULES[module])
             if layer_of(target) is not None and layer_of(target) > own]
    assert above == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_private_names(module):
    private = [(target, name) for target, name, _, _ in _imports(MODULES[module])
               if name.startswith("_") and not name.startswith("__")]
    assert private == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_reads_private_attributes_of_another(module):
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("caonto"):
            aliases |= {a.asname or a.name for a in node.names
                        if f"{node.module}.{a.name}" in MODULES}
        elif isinstance(node, ast.Import):
            aliases |= {a.asname or a.name for a in node.names if a.name.startswith("caonto")}
    reached = [f"{n.value.id}.{n.attr}" for n in ast.walk(tree)
               if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
               and n.value.id in aliases and n.attr.startswith("_")
               and not n.attr.startswith("__")]
    assert reached == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_inside_functions_say_why(module):
    lines = MODULES[module].read_text(encoding="utf-8").splitlines()
    unexplained = [line for _, _, line, nested in _imports(MODULES[module])
                   if nested and "#" not in lines[line - 1]]
    assert unexplained == []


def test_the_engine_knows_nothing_of_the_web_or_the_command_line():
    for module, path in MODULES.items():
        if module.startswith("caonto.engine"):
            targets = {t for t, _, _, _ in _imports(path)}
            assert not {t for t in targets if t.startswith(("caonto.web", "caonto.cli"))}


def test_no_import_cycles_between_modules():
    graph = {m: {t for t, _, _, _ in _imports(p) if t in MODULES and t != m}
             for m, p in MODULES.items()}
    # A package's __init__ that lists its submodules (the CLI's table) is not a cycle
    # when the submodules import only what they need from it.
    state: dict[str, int] = {}
    cycles = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in graph[module]:
            if state.get(target) == 1:
                cycles.append(trail[trail.index(target):] + [target] if target in trail
                              else [module, target])
            elif target not in state:
                visit(target, trail + [target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_architecture_document_lists_every_module():
    text = (PACKAGE.parent.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [m for m in MODULES if m != "caonto" and f"`{m.removeprefix('caonto.')}`" not in text]
    assert missing == []
