"""The control surface needs a token once the mock is reachable by others (issue 12.10).

Loopback stays open; bound to another address every state change under /_mock needs
MOCK_BANKID_CONTROL_TOKEN as a Bearer header or the ``mock_bankid_control`` cookie."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests
from conftest import start_server

from mock_bankid.app import create_app
from mock_bankid.cli.serve import banner
from mock_bankid.http.control_token import CONTROL_COOKIE, TOKEN_FORM_ENDPOINT

TOKEN = "test-control-token-123"
CHANGES = [("POST", "/_mock/next-login", {"persona": "adult"}), ("PUT", "/_mock/clock", {"shift": 60}),
           ("DELETE", "/_mock/clock", None), ("PUT", "/_mock/scenario", {"scenario": "outage"}),
           ("DELETE", "/_mock/scenario", None), ("DELETE", "/_mock/requests", None),
           ("POST", "/_mock/keys/rotate", {}), ("DELETE", "/_mock/next-login", None)]


@pytest.fixture
def public_client(settings):
    return create_app(settings.with_(host="0.0.0.0", control_token=TOKEN)).test_client()


@pytest.mark.parametrize(("method", "path", "body"), CHANGES)
def test_state_changes_without_the_token_are_401(public_client, method, path, body):
    response = public_client.open(path, method=method, json=body)
    assert response.status_code == 401, response.data
    assert response.json["error"] == "invalid_token"
    assert "MOCK_BANKID_CONTROL_TOKEN" in response.json["error_description"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = public_client.open(path, method=method, json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), CHANGES)
def test_state_changes_with_the_token_work(public_client, method, path, body):
    response = public_client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 300, response.data


def test_only_the_consoles_token_form_is_reachable_without_the_token(public_client):
    """The web console's form that stores the token (``console.control_token_form``) must answer
    without one -- it is how a browser gets it; the console's other forms still need it, and the
    refusal is the console's page, not JSON."""
    assert TOKEN_FORM_ENDPOINT == "console.control_token_form"
    public_client.get("/_mock/console/switchboard")  # sets the console's CSRF cookie
    csrf = public_client.get_cookie("mock_bankid_console_csrf", path="/_mock/console").value
    refused = public_client.post("/_mock/console/next-login/clear", data={"csrf_token": csrf})
    assert refused.status_code == 401 and refused.mimetype == "text/html"
    saved = public_client.post("/_mock/console/control-token", data={"csrf_token": csrf, "token": TOKEN})
    assert saved.status_code == 303, saved.data
    assert public_client.get_cookie(CONTROL_COOKIE, path="/_mock").value == TOKEN
    assert public_client.post("/_mock/console/next-login/clear", data={"csrf_token": csrf}).status_code == 303
    assert public_client.post("/_mock/next-login", json={"persona": "adult"}).status_code == 201


def test_the_cookie_works_too(public_client):
    public_client.set_cookie(CONTROL_COOKIE, TOKEN)
    assert public_client.post("/_mock/next-login", json={"persona": "adult"}).status_code == 201


def test_reading_needs_no_token(public_client):
    for path in ("/_mock/", "/_mock/health", "/_mock/ready", "/_mock/personas", "/_mock/clock", "/_mock/scenario"):
        assert public_client.get(path).status_code == 200, path


def test_the_sign_in_surface_needs_no_token(public_client):
    assert public_client.get("/auth/realms/current/.well-known/openid-configuration").status_code == 200


def test_loopback_stays_open(client):
    assert client.post("/_mock/next-login", json={"persona": "adult"}).status_code == 201


def test_a_token_is_generated_when_unset_and_shown_in_the_banner(settings):
    app = create_app(settings.with_(host="0.0.0.0"))
    generated = app.extensions["mock_bankid"].settings.control_token
    assert len(generated) >= 24
    text = banner(app.extensions["mock_bankid"].settings, 2)
    assert generated in text
    assert app.test_client().put("/_mock/clock", json={"shift": 1}).status_code == 401
    assert app.test_client().put("/_mock/clock", json={"shift": 1},
                                 headers={"Authorization": f"Bearer {generated}"}).status_code == 200


@pytest.mark.e2e
def test_served_publicly_the_cli_sends_the_token_and_the_log_never_shows_it(tmp_path):
    server = start_server(tmp_path, workers=2, args=["--host", "0.0.0.0", "--allow-public-bind"],
                          env={"MOCK_BANKID_CONTROL_TOKEN": TOKEN})
    try:
        base = server.base_url
        assert requests.put(f"{base}/_mock/clock", json={"shift": 5}, timeout=5).status_code == 401
        cli = [sys.executable, "-m", "mock_bankid.cli", "scenario"]
        without = {k: v for k, v in server.env.items() if k != "MOCK_BANKID_CONTROL_TOKEN"}
        refused = subprocess.run([*cli, "set", "outage", "--url", base], env=without, capture_output=True, text=True,
                                 timeout=30)
        assert refused.returncode != 0 and "401" in refused.stderr
        done = subprocess.run([*cli, "set", "outage", "--url", base], env=server.env, capture_output=True, text=True,
                              timeout=30)
        assert done.returncode == 0, done.stderr
        assert requests.get(f"{base}/_mock/scenario", timeout=5).json()["active"]["scenario"] == "outage"
        assert subprocess.run([*cli, "clear", "--url", base], env=server.env, capture_output=True,
                              timeout=30).returncode == 0
        requests.get(server.discovery_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        log = requests.get(f"{base}/_mock/requests", timeout=5).text
        assert TOKEN not in log
        assert f"control token  {TOKEN}" in server.log()
        assert server.log().count(TOKEN) == 1  # the banner, nowhere else
    finally:
        server.stop()
