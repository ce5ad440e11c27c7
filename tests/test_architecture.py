"""docs/architecture.md is held to the code: its layer table to ``LAYERS`` and the files on disk,
its ownership table to who really writes each store namespace, its recipes to files that exist.

So the document cannot drift again: a new module, a moved one, or a second writer of a namespace
fails here with the line to change.
"""

from __future__ import annotations

import re

import pytest

from mock_bankid.core.settings import PROJECT_ROOT
from tests.test_layers import LAYERS, MODULES, PACKAGE

DOC = PROJECT_ROOT / "docs" / "architecture.md"
TEXT = DOC.read_text(encoding="utf-8")
MAX_TOP_LEVEL_MODULES = 8
MAX_MODULE_LINES = 400

pytestmark = pytest.mark.unit


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", TEXT, re.S | re.M)
    assert match, f"docs/architecture.md has no section '## {title}'"
    return match.group(1)


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the first Markdown table in ``text``, cells stripped of backticks."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip().replace("`", "") for cell in row.strip("|").split("|")] for row in rows[2:]]


def members_on_disk(member: str) -> set[str]:
    """What a LAYERS member holds: a package's modules and subpackages (``name/``), or the module itself."""
    path = PACKAGE / member
    if member == "mock_bankid":
        return {"__init__"}
    if path.is_dir():
        return ({p.stem for p in path.glob("*.py") if p.stem != "__init__"}
                | {f"{p.name}/" for p in path.iterdir() if p.is_dir() and (p / "__init__.py").exists()})
    return {member}


# --- the layers ----------------------------------------------------------------------------------
LAYER_ROWS = table_rows(section("Layers, importing one way only"))


def test_the_layer_table_is_layers_in_order():
    documented = [(row[0], row[1].rstrip("/")) for row in LAYER_ROWS]
    expected = [(name, member) for name, members in LAYERS for member in members]
    assert documented == expected, (
        "the table in '## Layers, importing one way only' must list tests/test_layers.py's LAYERS, one row "
        f"per member, in order:\n{expected}"
    )


def test_the_layer_table_lists_every_module_that_exists_and_no_other():
    wrong = []
    for row in LAYER_ROWS:
        member = row[1].rstrip("/")
        listed = set(row[2].split()) if len(row) > 2 else set()
        actual = members_on_disk(member)
        if listed != actual:
            wrong.append(f"{member}: documented {sorted(listed)}, on disk {sorted(actual)}")
    assert not wrong, "fix the modules column of docs/architecture.md's layer table:\n" + "\n".join(wrong)


def test_the_package_top_stays_small_and_modules_short():
    top = [p.name for p in PACKAGE.glob("*.py")]
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    long = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them by concern): {long}"


# --- who owns what --------------------------------------------------------------------------------
OWNER_ROWS = table_rows(section("Who owns what"))
NS_CONSTANT = re.compile(r"^([A-Z][A-Z0-9_]*_NS)\s*(?::\s*\w+\s*)?=\s*\"([^\"]+)\"", re.M)
STORE_WRITE = re.compile(r"\bstore\.(put|push|add|incr|delete|take|pop|clear|trim)\(\s*([\w.]+|\"[^\"]+\")")


def namespace_constants() -> dict[str, tuple[str, str]]:
    """``CONSTANT -> (namespace, defining module)`` over the package."""
    found = {}
    for module, path in MODULES.items():
        for name, value in NS_CONSTANT.findall(path.read_text(encoding="utf-8")):
            found[name] = (value, module)
    return found


def writers() -> dict[str, set[str]]:
    """``namespace -> modules that write it`` (a store write whose namespace is a constant or a literal)."""
    constants = namespace_constants()
    found: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        for _op, arg in STORE_WRITE.findall(path.read_text(encoding="utf-8")):
            name = arg.rsplit(".", 1)[-1]
            namespace = arg.strip('"') if arg.startswith('"') else constants.get(name, (None, None))[0]
            if namespace:
                found.setdefault(namespace, set()).add(module)
    return found


def owned() -> dict[str, str]:
    table = {}
    for row in OWNER_ROWS:
        owner = "mock_bankid." + row[1].removesuffix(".py").replace("/", ".")
        for namespace in row[2].replace(",", " ").split():
            table[namespace] = owner
    return table


def test_every_owner_in_the_table_is_a_module():
    missing = sorted({owner for owner in owned().values() if owner not in MODULES})
    assert not missing, f"docs/architecture.md names owners that are not modules: {missing}"


def test_only_the_owner_writes_its_namespace():
    table, found = owned(), writers()
    wrong = [f"{ns}: owned by {table[ns]}, written by {sorted(mods - {table[ns]})}"
             for ns, mods in found.items() if ns in table and mods - {table[ns]}]
    assert not wrong, "one owner per kind of state:\n" + "\n".join(wrong)


def test_every_namespace_written_has_an_owner_in_the_table():
    unowned = sorted(set(writers()) - set(owned()))
    assert not unowned, f"add a row to '## Who owns what' for: {unowned}"


# --- the recipes ----------------------------------------------------------------------------------
def test_the_recipes_name_files_that_exist():
    recipes = section("How to add things")
    named = set(re.findall(r"`((?:mock_bankid|tests|fixtures|docs)/[\w/.-]+\.(?:py|toml|md|json))`", recipes))
    assert len(named) >= 8, "each recipe lists the files it touches"
    missing = sorted(n for n in named if not (PROJECT_ROOT / n).exists() and "<" not in n)
    assert not missing, f"docs/architecture.md's recipes name files that do not exist: {missing}"
    for title in ("a grant type", "an endpoint", "a provider", "a scenario"):
        assert re.search(rf"^### Adding {title}$", recipes, re.M), f"no recipe 'Adding {title}'"


def test_the_doc_names_no_module_that_does_not_exist():
    """Every ``mock_bankid/....py`` path the document writes is a file."""
    named = set(re.findall(r"mock_bankid/[\w/]+\.py", TEXT))
    missing = sorted(n for n in named if not (PROJECT_ROOT / n).exists())
    assert not missing, missing


def test_docs_name_no_module_of_the_old_flat_layout():
    """No page points at a module where it was before the packages (e.g. ``mock_bankid/claims.py``)."""
    stale = []
    for page in [PROJECT_ROOT / "README.md", PROJECT_ROOT / "CONTRIBUTING.md", *(PROJECT_ROOT / "docs").glob("*.md")]:
        for path in set(re.findall(r"mock_bankid/[\w/]+\.py", page.read_text(encoding="utf-8"))):
            if not (PROJECT_ROOT / path).exists():
                stale.append(f"{page.name}: {path}")
    assert not stale, sorted(stale)
