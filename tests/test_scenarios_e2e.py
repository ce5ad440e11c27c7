"""Scenarios end to end: a real gunicorn with several workers, observed from a client's side."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from conftest import PROJECT_ROOT, pkce_pair, query_of, start_server
from joserfc.errors import InvalidKeyIdError, UnsupportedAlgorithmError
from rp import Authorization, HttpRP

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


def rp_on(server) -> HttpRP:
    """The driver as a browser with a cookie jar plus its relying party; no login_hint unless given."""
    return HttpRP(server, browser=requests.Session(), state="st-1", nonce="no-1", login_hint=None)


def put(server, body) -> dict:
    return rp_on(server).scenario(body)


# --- server-wide: every worker obeys, clearing restores at once --------------------------------
def test_control_put_is_obeyed_by_every_worker_and_clearing_restores_at_once(server):
    discovery = server.discovery_url
    put(server, {"scenario": "outage"})
    line = "GET /auth/realms/current/.well-known/openid-configuration 503"
    # Which worker accepts a connection is the kernel's choice; ask in concurrent rounds until at least
    # two workers have answered (every answer, from whichever worker, must already be the outage).
    for _ in range(10):
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert list(pool.map(lambda _i: fresh_statuses(discovery, 1)[0], range(FRESH))) == [503] * FRESH
        if len(worker_pids(server, line)) >= 2:
            break
    assert len(worker_pids(server, line)) >= 2
    assert requests.delete(f"{server.base_url}/_mock/scenario", timeout=10).status_code == 204
    assert fresh_statuses(discovery) == [200] * FRESH


def test_outage_answers_every_endpoint_with_503(server):
    rp = rp_on(server)
    put(server, {"scenario": "outage"})
    page = rp.authorize(login_hint="adult").response
    assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")
    for url in (server.discovery_url, f"{server.issuer}/protocol/openid-connect/certs", f"{server.base_url}/userinfo"):
        response = requests.get(url, timeout=10, headers={"Authorization": "Bearer x"})
        assert response.status_code == 503 and response.json()["error"] == "temporarily_unavailable"
        assert response.headers["Retry-After"] == "30"
    token = rp.redeem("whatever", pkce_pair()[0])
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


def test_bankid_outage_with_vipps_up_over_real_http_across_workers(server):
    """The runbook's fallback: BankID is down, Vipps Login serves, on every worker; set by the CLI."""
    vipps_discovery = f"{server.base_url}/access-management-1.0/access/.well-known/openid-configuration"
    done = subprocess.run([sys.executable, "-m", "mock_bankid.cli", "scenario", "set", "outage", "--provider", "bankid",
                           "--url", server.base_url], capture_output=True, text=True, timeout=30, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("bankid: outage (server)")  # says whose
    assert fresh_statuses(server.discovery_url, 12) == [503] * 12
    assert fresh_statuses(vipps_discovery, 12) == [200] * 12
    state = requests.get(f"{server.base_url}/_mock/scenario", timeout=10).json()
    assert state["providers"]["bankid"]["active"]["scenario"] == "outage"
    assert state["providers"]["vipps"]["active"] is None
    vipps = HttpRP(server, browser=requests.Session(), provider="vipps")
    authz = vipps.sign_in("adult")
    tokens = vipps.redeem(authz)
    assert tokens.status_code == 200, tokens.text
    assert vipps.userinfo(tokens.json()["access_token"]).json()["nin"]
    shown = subprocess.run([sys.executable, "-m", "mock_bankid.cli", "scenario", "show", "--url", server.base_url],
                           capture_output=True, text=True, timeout=30, cwd=PROJECT_ROOT)
    assert shown.stdout.splitlines()[0].startswith("bankid: outage") and "vipps: no scenario is on" in shown.stdout


# --- per sign-in: queue, persona, login page panel --------------------------------------------
def test_next_login_queue_trap_is_refused_by_joserfc(server):
    rp = rp_on(server)
    authz = rp.sign_in("adult", via="queue", scenario="trap-unknown-kid")
    body = rp.redeem(authz).json()
    with pytest.raises(InvalidKeyIdError):
        rp.verify(body, authz, essential=("nnin_altsub",))
    rp2 = rp_on(server)  # the next sign-in is normal again
    authz = rp2.sign_in("adult")
    assert rp2.verify(rp2.redeem(authz).json(), authz, essential=("nnin_altsub",))["nonce"] == "no-1"


def test_server_wide_trap(server):
    put(server, {"scenario": "trap-alg-none"})
    rp = rp_on(server)
    authz = rp.sign_in("adult")
    with pytest.raises(UnsupportedAlgorithmError):
        rp.verify(rp.redeem(authz).json(), authz, essential=("nnin_altsub",))


def test_persona_with_a_scenario(server):
    params = rp_on(server).sign_in("scenario-cancel").params
    assert params["error"] == "access_denied" and params["state"] == "st-1" and "code" not in params


def test_login_page_panel(server):
    params = rp_on(server).sign_in("adult", via="panel", scenario="state-missing").params
    assert params["code"] and "state" not in params


def test_callback_replay(server):
    rp = rp_on(server)
    put(server, {"scenario": "callback-replay"})
    first = rp.sign_in("adult")
    recorded = requests.get(f"{server.base_url}/_mock/last-callback", timeout=10).json()
    assert recorded["url"] == first.location
    code = query_of(recorded["url"])["code"]
    assert rp.redeem(code, first.verifier).status_code == 200
    again = rp.redeem(code, first.verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_session_timeout_by_advancing_the_clock(server):
    rp = rp_on(server)
    page = rp.login_page()
    rp.advance(601)
    late = rp.submit_login(page, persona="adult").response
    assert late.status_code == 400 and "session_expired" in late.text and "Location" not in late.headers


# --- rate limit and network trouble -----------------------------------------------------------
def test_rate_limit_back_off_then_success(server):
    # A window shorter than the code's 60 s lifetime: waiting it out (Retry-After) must not expire the code.
    put(server, {"scenario": "rate-limit", "limit": 2, "window": 30, "endpoints": ["token"]})
    rp = rp_on(server)
    authz = rp.authorized(login_hint="adult")
    for _ in range(2):  # use up the window with two bad requests
        used = rp.post("token", grant_type="refresh_token")
        assert used.status_code == 400 and "X-RateLimit-Remaining" in used.headers
    attempts = []
    for _ in range(3):  # a client that honours Retry-After, with the mock clock instead of sleeping
        response = rp.redeem(authz)
        attempts.append(response.status_code)
        if response.status_code != 429:
            break
        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"):
            assert name in response.headers
        assert response.headers["X-RateLimit-Remaining"] == "0"
        rp.advance(int(response.headers["Retry-After"]))
    assert attempts == [429, 200]


def test_drop_connection_closes_without_a_response(server):
    put(server, {"scenario": "drop-connection", "endpoints": ["token"]})
    with pytest.raises(requests.ConnectionError):
        rp_on(server).redeem("x", pkce_pair()[0])
    assert requests.get(server.discovery_url, timeout=10).status_code == 200  # the rest still answers
    requests.delete(f"{server.base_url}/_mock/scenario", timeout=10)
    assert rp_on(server).redeem("x", pkce_pair()[0]).status_code == 400  # answers again at once
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
    rp = rp_on(server)
    authz = rp.authorized(login_hint="adult")
    code = authz.code
    rp.redeem(authz)
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
        rp = HttpRP(live)
        statuses = [rp.post("token", grant_type="refresh_token", headers={"Connection": "close"}).status_code
                    for _ in range(6)]
        assert statuses == [400, 400, 400, 429, 429, 429]
    finally:
        live.stop()


def _callback(authz: Authorization) -> dict[str, str]:
    assert authz.status == 302, authz.text[:300]
    return authz.params


SIGN_IN_CASES = {  # scenario -> what the client observes
    "cancel": lambda rp, a: "error_description" not in _callback(a) and _callback(a)["error"] == "access_denied",
    "bankid-error": lambda rp, a: _callback(a)["error_description"] == "bankid_error_codes:C301",
    "server-error": lambda rp, a: _callback(a)["error"] == "server_error",
    "temporarily-unavailable": lambda rp, a: _callback(a)["error"] == "temporarily_unavailable",
    "state-mismatch": lambda rp, a: _callback(a)["state"] != "st-1",
    "state-missing": lambda rp, a: "state" not in _callback(a),
    "session-timeout": lambda rp, a: a.status == 400 and "session_expired" in a.text,
    "invalid-client": lambda rp, a: _callback(a) and rp.redeem(a).status_code == 401,
    "outage": lambda rp, a: _callback(a) and rp.redeem(a).status_code == 503,
}


@pytest.mark.parametrize("via", ["server", "queue", "panel"])
@pytest.mark.parametrize("name", list(SIGN_IN_CASES))
def test_each_sign_in_scenario_each_way(server, name, via):
    rp = rp_on(server)
    if via == "server":
        put(server, {"scenario": name})
        authz = rp.sign_in("adult")
    else:
        authz = rp.sign_in("adult", via=via, scenario=name)
    if name == "outage" and via == "server":  # the whole server is down: authorize already answers 503
        assert authz.status == 503 and "temporarily_unavailable" in authz.text
        return
    assert SIGN_IN_CASES[name](rp, authz)
