"""A configuration a user mistyped stops ``mock-bankid serve`` before it serves: one line on stderr
naming the setting, flag or file (and entry, and key), exit status 2, no traceback, no gunicorn
output (docs/cli.md, docs/settings.md). Each case runs the real command in a subprocess.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import LiveServer, free_port, start_server

from mock_bankid.core.settings import PROJECT_ROOT
from mock_bankid.people.personas import PersonaRegistry

FIXTURES = PROJECT_ROOT / "fixtures"


def serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
          fixtures: Path = FIXTURES) -> subprocess.CompletedProcess:
    full_env = {
        **os.environ,
        "MOCK_BANKID_KEYS_DIR": str(tmp_path / "keys"),
        "MOCK_BANKID_DATA_DIR": str(tmp_path / "data"),
        "MOCK_BANKID_FIXTURES_DIR": str(fixtures),
        "MOCK_BANKID_PORT": str(free_port()),
        "MOCK_BANKID_WORKERS": "1",
        "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        **(env or {}),
    }
    try:
        return subprocess.run([sys.executable, "-m", "mock_bankid.cli", "serve", *args], env=full_env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired as exc:  # it started serving: the mistake went unnoticed
        raise AssertionError(f"serve {args} {env} started instead of refusing:\n{exc.stderr}") from None


def refused(result: subprocess.CompletedProcess) -> str:
    """The one line ``serve`` printed, after checking it is all it printed and it exited 2."""
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines
    assert result.stdout == ""
    return lines[0]


def fixtures_with(tmp_path: Path, name: str, text: str, replace: str | None = None) -> Path:
    """A copy of fixtures/ whose ``name`` has ``text`` (with ``replace``: that text swapped for it)."""
    copy = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, copy)
    target = copy / name
    if replace is None:
        target.write_text(text, encoding="utf-8")
    else:
        original = target.read_text(encoding="utf-8")
        assert replace in original, f"{replace!r} no longer in fixtures/{name}"
        target.write_text(original.replace(replace, text, 1), encoding="utf-8")
    return copy


@pytest.mark.forks
@pytest.mark.parametrize("args,env,expected", [
    ([], {"MOCK_BANKID_AUTO_LOGIN": "nobody"}, "MOCK_BANKID_AUTO_LOGIN (--auto-login): unknown persona 'nobody'"),
    (["--auto-login", "adlt"], {}, "Did you mean adult"),
    (["--auto-login", "BID"], {}, "names an identity provider, not a person"),
    (["--port", "99999"], {}, "MOCK_BANKID_PORT (--port) must be 1-65535, not 99999"),
    (["--port", "0"], {}, "MOCK_BANKID_PORT (--port) must be 1-65535, not 0"),
    ([], {"MOCK_BANKID_PORT": "eighty"}, "MOCK_BANKID_PORT must be a whole number, not 'eighty'"),
    (["--workers", "-1"], {}, "MOCK_BANKID_WORKERS (--workers) must be 0"),
    ([], {"MOCK_BANKID_TLS": "maybe"}, "MOCK_BANKID_TLS must be true or false, not 'maybe'"),
    ([], {"MOCK_BANKID_SCENARIO": "outag"}, "MOCK_BANKID_SCENARIO"),
    ([], {"MOCK_BANKID_SCENARIO": '{"scenario": "bankid-error", "provider": "vipps"}'},
     "MOCK_BANKID_SCENARIO: bankid-error is for bankid only, not vipps"),
    (["--host", "0.0.0.0"], {}, "refusing to bind 0.0.0.0"),
    (["--host", "192.0.2.1", "--allow-public-bind"], {}, "cannot listen on 192.0.2.1:"),  # TEST-NET: not ours
    (["--base-url", "localhost:8080"], {}, "MOCK_BANKID_BASE_URL (--base-url) must be an http(s) URL"),
    ([], {"MOCK_BANKID_TOKEN_TTL": "0"}, "MOCK_BANKID_TOKEN_TTL must be more than 0, not 0"),
    ([], {"MOCK_BANKID_STORE": "bogus"}, "unknown store 'bogus'"),
    ([], {"MOCK_BANKID_REALM": "Bad_Name"}, "MOCK_BANKID_REALM must be 1-63 characters of a-z, 0-9 and '-'"),
    ([], {"MOCK_BANKID_FIXTURES_DIR": "/nonexistent"}, "/nonexistent/clients.toml: no such file (MOCK_BANKID_FIX"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_bad_setting_is_one_line_naming_it(tmp_path, args, env, expected):
    assert expected in refused(serve(tmp_path, *args, env=env))


@pytest.mark.forks
def test_a_data_dir_that_cannot_be_written_is_named_by_its_setting(tmp_path):
    (tmp_path / "a-file").write_text("not a directory")  # works as root too, unlike chmod
    line = refused(serve(tmp_path, env={"MOCK_BANKID_DATA_DIR": str(tmp_path / "a-file" / "data")}))
    assert line.startswith(f"Error: MOCK_BANKID_DATA_DIR: cannot write to {tmp_path / 'a-file' / 'data'}"), line


@pytest.mark.forks
def test_a_port_in_use_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = refused(serve(tmp_path, "--port", str(port)))
    assert f"127.0.0.1:{port} is already in use" in line and "MOCK_BANKID_PORT" in line


@pytest.mark.parametrize("name,text,replace,expected", [
    ("clients.toml", 'client_id = ci', 'client_id = "ci"', "clients.toml: not valid TOML: Invalid value (at line "),
    ("clients.toml", "redirect_uri = [", "redirect_uris = [",
     "clients.toml: client drop-web: unknown key 'redirect_uri' (did you mean 'redirect_uris'?)"),
    ("clients.toml", "[[clients]]", "[[client]]", "clients.toml: unknown key 'clients' (did you mean 'client'?)"),
    ("clients.toml", 'auth_methods = ["private_key_jtw"]', 'auth_methods = ["private_key_jwt"]',
     "clients.toml: client ci-jwt: unknown auth_methods ['private_key_jtw']"),
    ("clients.toml", 'pid_claim = "false"', "pid_claim = true",
     "clients.toml: client drop-web: pid_claim must be true or false, not 'false'"),
    ("personas.toml", "purpse =", "purpose =", "unknown key 'purpse' (did you mean 'purpose'?)"),
    ("personas.toml", "[[persona]\n", '[[persona]]\n', "personas.toml: not valid TOML: "),
    ("personas.toml", 'providers = ["vips"]', 'providers = ["vipps"]',
     "(id vipps-only): providers: unknown provider 'vips' (did you mean 'vipps'?). Known: bankid, vipps"),
    ("scenarios.toml", "\nfor_second = 30", "\nfor_seconds = 30",
     "scenarios.toml: preset outage-30s: unknown key 'for_second' (did you mean 'for_seconds'?)"),
    ("scenarios.toml", "name = outage-30s", 'name = "outage-30s"', "scenarios.toml: not valid TOML: Invalid value"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 15 else None)
@pytest.mark.forks
def test_a_fixture_mistake_names_the_file_the_entry_and_the_key(tmp_path, name, text, replace, expected):
    line = refused(serve(tmp_path, fixtures=fixtures_with(tmp_path, name, text, replace)))
    assert expected in line
    assert str(tmp_path / "fixtures" / name) in line  # the full path: which copy of the file
    if "not valid TOML" in expected:
        assert "(at line " in line and ", column " in line


def test_the_banner_says_where_the_mock_is_and_how_other_commands_find_it():
    from mock_bankid.cli.serve import banner
    from mock_bankid.core.settings import Settings

    text = banner(Settings(port=9191), workers=2)
    assert " console        http://localhost:9191/ " in text
    assert "start scenario" not in text
    assert "   export MOCK_BANKID_BASE_URL=http://localhost:9191\n" in text
    # Vipps Login is served beside BankID: its issuer (with Vipps's trailing slash) and discovery, said to be a mock
    vipps = "http://localhost:9191/access-management-1.0/access/"
    assert f" vipps issuer   {vipps}  (MOCK Vipps Login: not Vipps)\n" in text
    assert (" vipps discovery http://localhost:9191/access-management-1.0/access/.well-known/openid-configuration\n"
            in text)
    assert "a MOCK of the BankID OpenID Connect provider and of Vipps Login" in text


def test_a_fixed_number_that_is_not_valid_in_a_valid_group_warns(caplog):
    entry = {"id": "typo", "purpose": "p", "group": "adults", "nnin": "12038500111"}
    with caplog.at_level(logging.WARNING, logger="mock_bankid.people.personas"):
        PersonaRegistry.from_data({"persona": [entry]}, where="personas.toml")
        PersonaRegistry.from_data({"persona": [{**entry, "group": "malformed"}]}, where="personas.toml")
    assert [r.getMessage()[:69] for r in caplog.records] == [
        "personas.toml: persona typo (group adults): nnin '12038500111' is not"]


@pytest.mark.e2e
def test_token_warns_when_the_server_it_reaches_has_another_issuer(tmp_path):
    server = start_server(tmp_path, workers=1)  # issuer http://127.0.0.1:<port>/...
    try:
        def token(base_url: str) -> subprocess.CompletedProcess:
            env = {**server.env, "MOCK_BANKID_BASE_URL": base_url}
            return subprocess.run([sys.executable, "-m", "mock_bankid.cli", "token", "--persona", "adult",
                                   "--field", "id_token"], env=env, capture_output=True, text=True, timeout=60)

        same = token(server.base_url)
        assert same.returncode == 0 and same.stderr == "", same.stderr
        other = token(server.base_url.replace("127.0.0.1", "localhost"))
        assert other.returncode == 0 and other.stdout.count(".") == 2  # still minted, and said
        assert other.stderr.startswith(f"warning: the server at {other_base(server)} has issuer {server.issuer}, "
                                       "but these tokens carry http://localhost:"), other.stderr
    finally:
        server.stop()


def other_base(server: LiveServer) -> str:
    return server.issuer.replace("127.0.0.1", "localhost")


@pytest.mark.parametrize("raw, shown", [
    ("outage", " start scenario outage  (for every provider it is offered for)\n"),
    ('{"scenario": "outage", "provider": "vipps"}', ' start scenario {"scenario": "outage"}  (for vipps only)\n'),
    ('{"scenario": "bankid-error", "provider": "bankid", "for_seconds": 30}',
     ' start scenario {"scenario": "bankid-error", "for_seconds": 30}  (for bankid only)\n'),
])
def test_the_banner_shows_the_start_scenario_and_whose_it_is(raw, shown):
    from mock_bankid.cli.serve import banner
    from mock_bankid.core.settings import Settings

    assert shown in banner(Settings(port=9191, scenario=raw), workers=2)


def test_a_start_scenario_not_offered_for_its_provider_is_refused_as_the_control_call_refuses_it():
    from mock_bankid.scenarios.engine import ScenarioError, Scenarios

    with pytest.raises(ScenarioError, match=r"^bankid-error is for bankid only, not vipps$"):
        Scenarios(start='{"scenario": "bankid-error", "provider": "vipps"}')
    assert Scenarios(start='{"scenario": "bankid-error", "provider": "bankid"}').start_provider == "bankid"
