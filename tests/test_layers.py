"""The package's import graph: acyclic, one way through the layers, endpoints independent.

Read from the source with ``ast`` (every import, at any depth), so a cycle cannot hide in a
function-level import. Layers, lowest first (a module imports only its own layer or lower):

core → store, keys, people → oidc → bankid (a provider) → http → scenarios → control → endpoints → app, serving,
the CLI, the drill and the pytest plugin.

A new module goes into ``LAYERS`` below; the failure message says so.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mock_bankid

PACKAGE = Path(mock_bankid.__file__).parent
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("mock_bankid", "core")),
    ("foundations", ("store", "keys", "people")),
    ("oidc", ("oidc",)),  # provider-neutral: what a provider says comes through oidc/dialect.py
    ("providers", ("bankid", "vipps")),
    ("http", ("http",)),
    ("scenarios", ("scenarios",)),
    ("control", ("control",)),  # what /_mock does, shared by its JSON endpoints and the console
    ("endpoints", ("endpoints",)),
    ("outside", ("app", "serving", "pytest_plugin", "cli", "drill")),  # drill: a client of a running mock
]
LAZY_IMPORTS_ALLOWED = ("mock_bankid.cli",)
"""The CLI imports inside its commands so ``mock-bankid --help`` starts fast; nothing else may."""


def module_name(path: Path) -> str:
    parts = ("mock_bankid", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    top = module.split(".")[1] if "." in module else "mock_bankid"
    for rank, (_name, members) in enumerate(LAYERS):
        if top in members:
            return rank
    raise AssertionError(f"{module} is in no layer: add {top!r} to LAYERS in tests/test_layers.py")


def imports_of(module: str) -> list[tuple[str, bool]]:
    """``(imported module, at module level?)`` for every import of a mock_bankid module."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    top_level = {id(node) for node in tree.body}
    for node in tree.body:  # `if TYPE_CHECKING:` and `try:` blocks at the top still count as top level
        if isinstance(node, (ast.If, ast.Try)):
            top_level |= {id(child) for child in ast.walk(node)}
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                targets.append(candidate if candidate in MODULES else base)
        for target in targets:
            if target == "mock_bankid" or target.startswith("mock_bankid."):
                found.append((target, id(node) in top_level))
    return found


GRAPH = {module: sorted({target for target, _ in imports_of(module) if target != module}) for module in MODULES}


def find_cycle() -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in GRAPH.get(module, []):
            if state.get(target) == 1:
                return [*stack[stack.index(target):], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[module] = 2
        return None

    for module in GRAPH:
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_the_graph_is_read():
    assert len(MODULES) > 40
    assert "mock_bankid.oidc.codes" in GRAPH["mock_bankid.endpoints.authorize.subject"]
    assert "mock_bankid.endpoints.authorize.views" in GRAPH["mock_bankid.endpoints.authorize"]


def test_the_package_has_no_import_cycle():
    cycle = find_cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_endpoints_never_import_other_endpoints():
    bad = []
    for module, targets in GRAPH.items():
        if module.startswith("mock_bankid.endpoints."):
            own = ".".join(module.split(".")[:3])
            bad += [f"{module} -> {t}" for t in targets
                    if t.startswith("mock_bankid.endpoints") and not t.startswith(own)]
    assert not bad, "\n".join(bad)


def test_layers_import_one_way():
    bad = [f"{module} ({LAYERS[layer_of(module)][0]}) -> {target} ({LAYERS[layer_of(target)][0]})"
           for module, targets in GRAPH.items() for target in targets if layer_of(target) > layer_of(module)]
    assert not bad, "imports up the layers:\n" + "\n".join(bad)


def test_no_function_level_imports_of_the_package():
    bad = [f"{module} -> {target}" for module in MODULES if not module.startswith(LAZY_IMPORTS_ALLOWED)
           for target, top in imports_of(module) if not top]
    assert not bad, "function-level imports (a cycle hiding?):\n" + "\n".join(bad)
