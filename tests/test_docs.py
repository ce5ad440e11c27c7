"""The docs stay true to the code: every setting, command, option and dependency has its line, every
relative link leads somewhere, and the README's copy-paste sign-in works against a real server.

A feature nobody can find is not done; a doc that names something gone is worse. These checks
read the code's own registries (``Settings`` fields, the click commands, ``pyproject.toml``,
the ``package.json`` files), so a new setting or option fails here until it is documented.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import click
import pytest
import requests
from click.testing import CliRunner

from mock_bankid.cli import cli
from mock_bankid.core.settings import ENV_PREFIX, PROJECT_ROOT, Settings, setting_fields

DOCS = PROJECT_ROOT / "docs"
README = PROJECT_ROOT / "README.md"


def _env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


# --- docs/settings.md ------------------------------------------------------------------------

def _settings_rows() -> dict[str, str]:
    """``MOCK_BANKID_X`` -> the default cell's first value, from the settings table."""
    rows: dict[str, str] = {}
    for line in (DOCS / "settings.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`MOCK_BANKID_"):
            continue
        names = re.findall(r"`(MOCK_BANKID_[A-Z_]+)`", cells[0])
        defaults = [part.strip() for part in cells[1].split(" / ")]
        if len(defaults) != len(names):
            defaults = [cells[1]] * len(names)  # one default for both ("(none)")
        for name, default in zip(names, defaults, strict=True):
            rows[name] = default
    return rows


def test_settings_doc_has_a_row_for_every_setting_and_no_other():
    rows = _settings_rows()
    fields = {_env_name(f.name) for f in setting_fields()}
    assert sorted(fields - rows.keys()) == [], "settings without a row in docs/settings.md"
    assert sorted(rows.keys() - fields) == [], "rows in docs/settings.md for settings that do not exist"


def test_settings_doc_states_the_real_defaults():
    defaults = Settings()
    rows = _settings_rows()
    checked = 0
    for f in setting_fields():
        cell = rows[_env_name(f.name)]
        value = getattr(defaults, f.name)
        shown = re.match(r"`([^`]*)`", cell)
        if isinstance(value, Path) or shown is None:
            continue  # directories depend on the installation (their own table); "(none)" is ""
        expected = str(value).lower() if isinstance(value, bool) else str(value)
        assert shown.group(1).replace("<port>", str(defaults.port)) == expected, f"{_env_name(f.name)}: {cell}"
        checked += 1
    assert checked >= 15


def test_default_directories_are_where_settings_md_says_for_a_checkout():
    s = Settings()
    assert (s.keys_dir, s.data_dir, s.fixtures_dir) == (
        PROJECT_ROOT / "keys", PROJECT_ROOT / "data", PROJECT_ROOT / "fixtures")


# --- docs/cli.md -----------------------------------------------------------------------------

def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found += _commands(command, path + " ")
    return found


def test_cli_doc_names_every_command_and_option():
    doc = (DOCS / "cli.md").read_text()
    missing = []
    for path, command in _commands(cli):
        if f"mock-bankid {path}" not in doc and f"`{path}" not in doc:
            missing.append(path)
        for param in command.params:
            if not isinstance(param, click.Option) or param.hidden or "--help" in param.opts:
                continue
            if not any(re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", doc) for opt in param.opts):
                missing.append(f"{path} {param.opts[-1]}")
    assert missing == [], "not in docs/cli.md"


def test_cli_doc_names_no_option_that_does_not_exist():
    options = {opt for _, command in _commands(cli) for p in command.params for opt in getattr(p, "opts", [])}
    options |= {"--help", "--version"}
    doc = (DOCS / "cli.md").read_text()
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", doc))
    assert sorted(named - options) == []


@pytest.mark.parametrize("args", [["health"], ["token", "--persona", "adult"], ["scenario", "show"],
                                  ["keys", "list"], ["personas"], ["serve"]], ids=" ".join)
def test_a_bad_setting_is_one_line_not_a_traceback(args, tmp_path):
    """docs/cli.md: a bad ``MOCK_BANKID_*`` value is one line on stderr and exit status 2."""
    env = {"MOCK_BANKID_TLS": "maybe", "MOCK_BANKID_KEYS_DIR": str(tmp_path / "keys"),
           "MOCK_BANKID_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit), result.exception  # handled, not a ValueError
    assert result.output.strip() == "Error: MOCK_BANKID_TLS must be true or false, not 'maybe'"


# --- docs/dependencies.md --------------------------------------------------------------------

def _requirement_name(spec: str) -> str:
    return re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0]


def test_dependencies_doc_explains_every_dependency():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    names = {_requirement_name(d) for d in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        names |= {_requirement_name(d) for d in extra}
    npm = [PROJECT_ROOT / "tests/node/package.json", *(PROJECT_ROOT / "tests/clients").glob("*/package.json")]
    for package_json in npm:
        names |= set(json.loads(package_json.read_text()).get("dependencies", {}))
    # the npm package has no runtime dependencies: what builds and tests it is all dev-only
    names |= set(json.loads((PROJECT_ROOT / "clients/typescript/package.json").read_text())["devDependencies"])
    doc = (DOCS / "dependencies.md").read_text().lower()

    def has_row(name: str) -> bool:  # first in its row, or one of a row's comma-separated packages
        return re.search(rf"^\| {re.escape(name.lower())}\b|, {re.escape(name.lower())}\b", doc, re.M) is not None

    undocumented = [n for n in sorted(names) if not has_row(n)]
    assert undocumented == [], "dependencies without a reason in docs/dependencies.md"


# --- links -----------------------------------------------------------------------------------

def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {_slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.M)}


DOC_FILES = sorted([README, *DOCS.glob("*.md"), *PROJECT_ROOT.glob("*.md"), PROJECT_ROOT / "bench" / "README.md",
                    PROJECT_ROOT / "clients" / "typescript" / "README.md"])


@pytest.mark.parametrize("doc", sorted(set(DOC_FILES)), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_relative_links_lead_somewhere(doc: Path):
    text = re.sub(r"```.*?```", "", doc.read_text(), flags=re.S)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto
        file_part, _, anchor = target.partition("#")
        linked = (doc.parent / file_part).resolve() if file_part else doc
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in _anchors(linked)):
            broken.append(target)
    assert broken == []


# --- the README's sign-in --------------------------------------------------------------------

def readme_block(marker: str) -> str:
    """The ```sh block that follows the HTML comment naming this test in README.md."""
    text = README.read_text()
    start = text.index(marker)
    match = re.compile(r"```sh\n(.*?)```", re.S).search(text, start)
    assert match is not None
    return match.group(1)


@pytest.mark.e2e
def test_the_readme_sign_in_works_against_a_real_server(live_server):
    """The copy-paste sign-in, byte for byte as the README has it, against ``mock-bankid serve``."""
    requests.delete(f"{live_server.base_url}/_mock/next-login", timeout=5)
    script = readme_block("<!-- tests/test_docs.py runs this sign-in -->")
    env = {"PATH": "/usr/bin:/bin", "MOCK_BANKID_BASE_URL": live_server.base_url}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    adult = requests.get(f"{live_server.base_url}/_mock/personas", timeout=5).json()
    adult = next(p for p in (adult["personas"] if isinstance(adult, dict) else adult) if p["id"] == "adult")
    out = done.stdout
    assert re.search(r"callback\?code=[\w-]+&state=s-1&iss=", out), out
    assert f'"nnin_altsub": "{adult["nnin"]}"' in out, out     # the ID token's claims
    assert '"nonce": "n-1"' in out
    userinfo = json.loads(out.strip().splitlines()[-1])           # the last line: userinfo
    assert userinfo["name"] == adult["name"]
