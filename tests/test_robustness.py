"""Findings of a newcomer review, kept fixed: commands without test extras, deep JSON, base URL."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest

from mock_bankid.core.settings import PROJECT_ROOT, Settings

DEEP = "[" * 5000 + "]" * 5000
TOKEN = "/auth/realms/current/protocol/openid-connect/token"
AUTH = "/auth/realms/current/precheck/auth"
TEST_ONLY = ("requests", "authlib", "playwright", "stdnum", "hypothesis", "yaml", "pytest")


@pytest.mark.forks
def test_every_command_works_without_the_test_extras():
    """The Docker image and `make run` install no extras: no command may import a test library."""
    blocker = "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in TEST_ONLY)
    script = blocker + (
        "from mock_bankid.app import create_app\n"
        "from mock_bankid.cli import cli\n"
        "for args in (['--help'], ['serve', '--help'], ['health', '--help'], ['scenario', 'show', '--help'],"
        " ['token', '--help'], ['keys', 'list', '--help'], ['drill', '--help'],"
        " ['drill', '--start', 'http://127.0.0.1:1/', '--list']):\n"
        "    try:\n"
        "        cli.main(args=args, prog_name='mock-bankid', standalone_mode=False)\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code in (0, None), (args, exc.code)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Usage: mock-bankid" in result.stdout


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, "http://localhost:8080"),
        ({"MOCK_BANKID_PORT": "9090"}, "http://localhost:9090"),
        ({"MOCK_BANKID_PORT": "9443", "MOCK_BANKID_TLS": "true"}, "https://localhost:9443"),
        ({"MOCK_BANKID_PORT": "9090", "MOCK_BANKID_BASE_URL": "http://mock:1"}, "http://mock:1"),
    ],
)
def test_base_url_follows_the_port_for_every_command(env, expected):
    assert Settings.from_env(env).base_url == expected


def test_deep_json_in_a_client_assertion_is_invalid_client(client):
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    assertion = f"{b64(json.dumps({'alg': 'RS256'}).encode())}.{b64(DEEP.encode())}.{b64(b'sig')}"
    response = client.post(TOKEN, data={
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    })
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"


def test_deep_json_login_hint_is_an_invalid_request_redirect(rp):
    answer = rp.authorize(scope="openid", login_hint='{"scheme": "nnin", "value": ' + DEEP + "}")
    assert answer.status == 302
    assert answer.params["error"] == "invalid_request"


@pytest.mark.parametrize("method, path", [("PUT", "/_mock/clock"), ("POST", "/_mock/next-login"),
                                          ("PUT", "/_mock/scenario"), ("POST", "/_mock/keys/rotate")])
def test_deep_json_bodies_at_the_control_surface_are_400(client, method, path):
    response = client.open(path, method=method, data=DEEP, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_deep_json_scenario_in_the_queue_is_400(client):
    deep = "{" + '"a":' * 3000 + "1" + "}" * 3000
    response = client.post("/_mock/next-login", json={"persona": "adult", "scenario": deep})
    assert response.status_code == 400


def test_clock_answer_shows_the_new_time(client):
    before = client.get("/_mock/clock").get_json()["now"]
    after = client.put("/_mock/clock", json={"advance": 3600}).get_json()["now"]
    assert after - before >= 3600


def test_clock_refuses_booleans(client):
    assert client.put("/_mock/clock", json={"advance": True}).status_code == 400


@pytest.mark.parametrize("form, message", [
    ({"persona": "adult", "scenario": "no-such-scenario"}, "Unknown scenario"),
    ({"action": "number", "nnin": "1" * 33}, "At most 32"),
])
def test_login_form_refuses_what_it_cannot_honour(rp, form, message):
    response = rp.submit_login(rp.login_page(scope="openid"), **form).response
    assert response.status_code == 200 and "Location" not in response.headers
    assert message in response.get_data(as_text=True)


def test_an_installed_copy_uses_the_working_directory_and_its_shipped_fixtures(tmp_path, monkeypatch):
    """Outside a checkout keys/data go to the cwd (never site-packages) and fixtures come from the
    copy the wheel installs under <prefix>/share/mock-bankid/fixtures."""
    import mock_bankid.core.settings as settings_module

    site = tmp_path / "site-packages"
    (site / "mock_bankid").mkdir(parents=True)
    prefix = tmp_path / "prefix"
    shipped = prefix / "share" / "mock-bankid" / "fixtures"
    shipped.mkdir(parents=True)
    (shipped / "clients.toml").write_text("")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setattr(settings_module, "PROJECT_ROOT", site)
    monkeypatch.setattr(sys, "prefix", str(prefix))
    monkeypatch.chdir(work)
    s = Settings.from_env({})
    assert s.keys_dir == work / "keys" and s.data_dir == work / "data"
    assert s.fixtures_dir == shipped


def test_the_wheel_ships_every_fixture_file():
    import tomllib

    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    shipped = set(pyproject["tool"]["setuptools"]["data-files"]["share/mock-bankid/fixtures"])
    assert shipped == {f"fixtures/{p.name}" for p in (PROJECT_ROOT / "fixtures").glob("*.toml")}
