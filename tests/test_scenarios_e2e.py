"""Scenarios end to end: a real gunicorn with several workers, observed from a client's side."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from urllib.parse import urlencode

import pytest
import requests
from joserfc.errors import InvalidKeyIdError, UnsupportedAlgorithmError

from conftest import CI_REDIRECT, PROJECT_ROOT, pkce_pair, query_of, start_server
from redis_server import redis_url  # noqa: F401  (the session fixture)
from rp import verify_id_token

pytestmark = pytest.mark.e2e
CI_AUTH = ("ci", "ci-secret")
FRESH = 24  # requests on fresh connections: with 3 workers, every worker gets some


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(tmp_path_factory.mktemp("scenarios"), workers=3)
    yield live
    live.stop()


@pytest.fixture(autouse=True)
def clean(server):
    yield
    requests.delete(f"{server.base_url}/_mock/scenario", timeout=5)
    requests.delete(f"{server.base_url}/_mock/clock", timeout=5)
    requests.delete(f"{server.base_url}/_mock/next-login", timeout=5)


def fresh_statuses(url: str, n: int = FRESH) -> list[int]:
    """Each request on its own connection (no Session), so the kernel spreads them over workers."""
    return [requests.get(url, timeout=10, headers={"Connection": "close"}).status_code for _ in range(n)]


def worker_pids(server, line_part: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"\[(\d+)\] mock_bankid: " + re.escape(line_part), server.log())}


class RP:
    """A relying party speaking real HTTP: authorize, callback, token, verify."""

    def __init__(self, server) -> None:
        self.server = server
        self.http = requests.Session()
        self.verifier, challenge = pkce_pair()
        self.query = {"client_id": "ci", "redirect_uri": CI_REDIRECT, "response_type": "code",
                      "scope": "openid profile nnin_altsub", "state": "st-1", "nonce": "no-1",
                      "code_challenge": challenge, "code_challenge_method": "S256"}

    def authorize(self, **extra) -> requests.Response:
        url = f"{self.server.issuer}/precheck/auth?" + urlencode({**self.query, **extra})
        return self.http.get(url, allow_redirects=False, timeout=10)

    def login_page_submit(self, persona: str, scenario: str) -> requests.Response:
        page = self.authorize()
        assert page.status_code == 200 and 'name="scenario"' in page.text
        session = re.search(r'name="session" value="([^"]+)"', page.text).group(1)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return self.http.post(f"{self.server.issuer}/precheck/login", allow_redirects=False, timeout=10,
                              data={"session": session, "csrf_token": csrf, "persona": persona, "scenario": scenario})

    def token(self, code: str) -> requests.Response:
        return requests.post(f"{self.server.issuer}/protocol/openid-connect/token", auth=CI_AUTH, timeout=10,
                             data={"grant_type": "authorization_code", "code": code, "redirect_uri": CI_REDIRECT,
                                   "code_verifier": self.verifier})

    def verify(self, body: dict) -> dict:
        jwks = requests.get(f"{self.server.issuer}/protocol/openid-connect/certs", timeout=10).json()
        now = requests.get(f"{self.server.base_url}/_mock/clock", timeout=10).json()["now"]
        return verify_id_token(body["id_token"], jwks, issuer=self.server.issuer, client_id="ci", nonce="no-1",
                               access_token=body["access_token"], now=now)


def put(server, body) -> dict:
    response = requests.put(f"{server.base_url}/_mock/scenario", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


# --- server-wide: every worker obeys, clearing restores at once --------------------------------
def test_control_put_is_obeyed_by_every_worker_and_clearing_restores_at_once(server):
    discovery = server.discovery_url
    put(server, {"scenario": "outage"})
    assert fresh_statuses(discovery) == [503] * FRESH
    assert len(worker_pids(server, "GET /auth/realms/current/.well-known/openid-configuration 503")) >= 2
    assert requests.delete(f"{server.base_url}/_mock/scenario", timeout=10).status_code == 204
    assert fresh_statuses(discovery) == [200] * FRESH


def test_outage_answers_every_endpoint_with_503(server):
    rp = RP(server)
    put(server, {"scenario": "outage"})
    page = rp.authorize(login_hint="adult")
    assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")
    for url in (server.discovery_url, f"{server.issuer}/protocol/openid-connect/certs", f"{server.base_url}/userinfo"):
        response = requests.get(url, timeout=10, headers={"Authorization": "Bearer x"})
        assert response.status_code == 503 and response.json()["error"] == "temporarily_unavailable"
        assert response.headers["Retry-After"] == "30"
    token = rp.token("whatever")
    assert token.status_code == 503


def test_outage_for_seconds_ends_when_the_mock_clock_passes(server):
    put(server, {"scenario": "outage", "for_seconds": 30})
    assert fresh_statuses(server.discovery_url, 6) == [503] * 6
    requests.put(f"{server.base_url}/_mock/clock", json={"advance": 31}, timeout=10)
    assert fresh_statuses(server.discovery_url, 6) == [200] * 6


def test_start_scenario_from_the_environment(tmp_path):
    live = start_server(tmp_path, workers=2,
                        env={"MOCK_BANKID_SCENARIO": json.dumps({"scenario": "outage", "endpoints": ["jwks"]})})
    try:
        certs = f"{live.issuer}/protocol/openid-connect/certs"
        assert fresh_statuses(certs, 12) == [503] * 12
        assert requests.get(live.discovery_url, timeout=10).status_code == 200
        state = requests.get(f"{live.base_url}/_mock/scenario", timeout=10).json()["active"]
        assert state["scenario"] == "outage" and state["source"] == "start"
        requests.delete(f"{live.base_url}/_mock/scenario", timeout=10)
        assert fresh_statuses(certs, 12) == [200] * 12
    finally:
        live.stop()


def test_cli_sets_shows_and_clears_a_running_server(server):
    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "mock_bankid.cli", *args, "--url", server.base_url],
                              capture_output=True, text=True, timeout=30, cwd=PROJECT_ROOT)

    done = cli("scenario", "set", "outage", "-p", 'endpoints=["discovery"]', "--count", "3")
    assert done.returncode == 0, done.stderr
    assert "outage" in done.stdout and "3 requests left" in done.stdout
    assert fresh_statuses(server.discovery_url, 4) == [503, 503, 503, 200]
    assert cli("scenario", "set", "rate-limit", "--for", "60").returncode == 0
    assert "rate-limit" in cli("scenario", "show").stdout
    bad = cli("scenario", "set", "no-such-thing")
    assert bad.returncode == 1 and "unknown scenario" in bad.stderr and "Traceback" not in bad.stderr
    assert cli("scenario", "clear").returncode == 0
    assert cli("scenario", "show").stdout.strip() == "no scenario is on"


# --- per sign-in: queue, persona, login page panel --------------------------------------------
def test_next_login_queue_trap_is_refused_by_joserfc(server):
    rp = RP(server)
    requests.post(f"{server.base_url}/_mock/next-login", json={"persona": "adult", "scenario": "trap-unknown-kid"},
                  timeout=10).raise_for_status()
    code = query_of(rp.authorize().headers["Location"])["code"]
    body = rp.token(code).json()
    with pytest.raises(InvalidKeyIdError):
        rp.verify(body)
    rp2 = RP(server)  # the next sign-in is normal again
    code = query_of(rp2.authorize(login_hint="adult").headers["Location"])["code"]
    assert rp2.verify(rp2.token(code).json())["nonce"] == "no-1"


def test_server_wide_trap(server):
    put(server, {"scenario": "trap-alg-none"})
    rp = RP(server)
    code = query_of(rp.authorize(login_hint="adult").headers["Location"])["code"]
    with pytest.raises(UnsupportedAlgorithmError):
        rp.verify(rp.token(code).json())


def test_persona_with_a_scenario(server):
    rp = RP(server)
    response = rp.authorize(login_hint="scenario-cancel")
    params = query_of(response.headers["Location"])
    assert params["error"] == "access_denied" and params["state"] == "st-1" and "code" not in params


def test_login_page_panel(server):
    rp = RP(server)
    response = rp.login_page_submit("adult", "state-missing")
    params = query_of(response.headers["Location"])
    assert params["code"] and "state" not in params


def test_callback_replay(server):
    rp = RP(server)
    put(server, {"scenario": "callback-replay"})
    first = rp.authorize(login_hint="adult").headers["Location"]
    recorded = requests.get(f"{server.base_url}/_mock/last-callback", timeout=10).json()
    assert recorded["url"] == first
    code = query_of(recorded["url"])["code"]
    assert rp.token(code).status_code == 200
    again = rp.token(code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_session_timeout_by_advancing_the_clock(server):
    rp = RP(server)
    page = rp.authorize()
    session = re.search(r'name="session" value="([^"]+)"', page.text).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    requests.put(f"{server.base_url}/_mock/clock", json={"advance": 601}, timeout=10)
    late = rp.http.post(f"{server.issuer}/precheck/login", allow_redirects=False, timeout=10,
                        data={"session": session, "csrf_token": csrf, "persona": "adult"})
    assert late.status_code == 400 and "session_expired" in late.text and "Location" not in late.headers


# --- rate limit and network trouble -----------------------------------------------------------
def test_rate_limit_back_off_then_success(server):
    put(server, {"scenario": "rate-limit", "limit": 2, "window": 60, "endpoints": ["token"]})
    rp = RP(server)
    code = query_of(rp.authorize(login_hint="adult").headers["Location"])["code"]
    token_url = f"{server.issuer}/protocol/openid-connect/token"
    for _ in range(2):  # use up the window with two bad requests
        used = requests.post(token_url, auth=CI_AUTH, timeout=10, data={"grant_type": "refresh_token"})
        assert used.status_code == 400 and "X-RateLimit-Remaining" in used.headers
    attempts = []
    for _ in range(3):  # a client that honours Retry-After, with the mock clock instead of sleeping
        response = rp.token(code)
        attempts.append(response.status_code)
        if response.status_code != 429:
            break
        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"):
            assert name in response.headers
        assert response.headers["X-RateLimit-Remaining"] == "0"
        requests.put(f"{server.base_url}/_mock/clock", json={"advance": int(response.headers["Retry-After"])},
                     timeout=10)
    assert attempts == [429, 200]


def test_drop_connection_closes_without_a_response(server):
    put(server, {"scenario": "drop-connection", "endpoints": ["token"]})
    with pytest.raises(requests.ConnectionError):
        RP(server).token("x")
    assert requests.get(server.discovery_url, timeout=10).status_code == 200  # the rest still answers
    requests.delete(f"{server.base_url}/_mock/scenario", timeout=10)
    assert RP(server).token("x").status_code == 400  # answers again at once
    log = requests.get(f"{server.base_url}/_mock/requests", params={"path": "/token"}, timeout=10).json()["requests"]
    assert any(e["dropped"] and e["status"] == 0 for e in log)


@pytest.mark.parametrize("spec,url_of", [
    ({"scenario": "slow", "seconds": 3, "endpoints": ["discovery"]}, lambda s: s.discovery_url),
    ({"scenario": "slow-jwks", "seconds": 3}, lambda s: f"{s.issuer}/protocol/openid-connect/certs"),
])
def test_slow_answers_past_the_client_timeout(server, spec, url_of):
    put(server, spec)
    with pytest.raises(requests.Timeout):
        requests.get(url_of(server), timeout=0.5)
    requests.delete(f"{server.base_url}/_mock/scenario", timeout=10)
    assert requests.get(url_of(server), timeout=10).status_code == 200


def test_request_log_shows_what_the_client_sent(server):
    requests.delete(f"{server.base_url}/_mock/requests", timeout=10)
    rp = RP(server)
    code = query_of(rp.authorize(login_hint="adult").headers["Location"])["code"]
    rp.token(code)
    log = requests.get(f"{server.base_url}/_mock/requests", timeout=10).json()["requests"]
    token = [e for e in log if e["endpoint"] == "token.token"][-1]
    assert token["form"]["code"] == "[redacted]" and token["headers"]["Authorization"] == "Basic [redacted]"
    assert token["client_id"] == "ci" and code not in json.dumps(log) and "ci-secret" not in json.dumps(log)


@pytest.mark.redis
def test_redis_store_workers_obey_and_count_together(tmp_path, redis_url):
    """The same with the redis backend: state, counts and rate-limit windows are shared."""
    live = start_server(tmp_path, workers=3, env={"MOCK_BANKID_STORE": f"{redis_url}?prefix=scenarios-e2e"})
    try:
        base = live.base_url
        assert requests.put(f"{base}/_mock/scenario", timeout=10,
                            json={"scenario": "outage", "endpoints": ["discovery"], "count": 10}).status_code == 200
        assert fresh_statuses(live.discovery_url, 14) == [503] * 10 + [200] * 4
        requests.put(f"{base}/_mock/scenario", json={"scenario": "rate-limit", "limit": 3, "endpoints": ["token"]},
                     timeout=10)
        token_url = f"{live.issuer}/protocol/openid-connect/token"
        statuses = [requests.post(token_url, auth=CI_AUTH, data={"grant_type": "refresh_token"}, timeout=10,
                                  headers={"Connection": "close"}).status_code for _ in range(6)]
        assert statuses == [400, 400, 400, 429, 429, 429]
    finally:
        live.stop()


def _callback(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text[:300]
    return query_of(response.headers["Location"])


SIGN_IN_CASES = {  # scenario -> what the client observes
    "cancel": lambda rp, r: "error_description" not in _callback(r) and _callback(r)["error"] == "access_denied",
    "bankid-error": lambda rp, r: _callback(r)["error_description"] == "bankid_error_codes:C301",
    "server-error": lambda rp, r: _callback(r)["error"] == "server_error",
    "temporarily-unavailable": lambda rp, r: _callback(r)["error"] == "temporarily_unavailable",
    "state-mismatch": lambda rp, r: _callback(r)["state"] != "st-1",
    "state-missing": lambda rp, r: "state" not in _callback(r),
    "session-timeout": lambda rp, r: r.status_code == 400 and "session_expired" in r.text,
    "invalid-client": lambda rp, r: rp.token(_callback(r)["code"]).status_code == 401,
    "outage": lambda rp, r: rp.token(_callback(r)["code"]).status_code == 503,
}


@pytest.mark.parametrize("via", ["server", "queue", "panel"])
@pytest.mark.parametrize("name", list(SIGN_IN_CASES))
def test_each_sign_in_scenario_each_way(server, name, via):
    rp = RP(server)
    if via == "server":
        put(server, {"scenario": name})
        response = rp.authorize(login_hint="adult")
    elif via == "queue":
        requests.post(f"{server.base_url}/_mock/next-login", json={"persona": "adult", "scenario": name},
                      timeout=10).raise_for_status()
        response = rp.authorize()
    else:
        response = rp.login_page_submit("adult", name)
    if name == "outage" and via == "server":  # the whole server is down: authorize already answers 503
        assert response.status_code == 503 and "temporarily_unavailable" in response.text
        return
    assert SIGN_IN_CASES[name](rp, response)
