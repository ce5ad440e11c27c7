"""Scenarios at unit level (Flask test client): each failure and trap, each way it can be chosen."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest
from joserfc.errors import (
    BadSignatureError, ExpiredTokenError, InvalidClaimError, InvalidKeyIdError, MissingClaimError,
    UnsupportedAlgorithmError,
)

from conftest import CI_REDIRECT, FIXTURES, pkce_pair, query_of
from mock_bankid.app import create_app
from mock_bankid.claims import at_hash
from mock_bankid.scenarios import ENGINE_KEY, REGISTRY, ScenarioError, Scenarios
from rp import AtHashMismatch, unverified_claims, unverified_header, verify_id_token

AUTH = "/auth/realms/current/precheck/auth"
LOGIN = "/auth/realms/current/precheck/login"
TOKEN = "/auth/realms/current/protocol/openid-connect/token"
CERTS = "/auth/realms/current/protocol/openid-connect/certs"
DISCOVERY = "/auth/realms/current/.well-known/openid-configuration"
ISSUER = "http://localhost:8080/auth/realms/current"
BASIC = {"Authorization": "Basic " + base64.b64encode(b"ci:ci-secret").decode()}

RUNBOOK_NAMES = ["outage", "invalid-client", "redirect-uri-mismatch", "state-mismatch", "state-missing",
                 "session-timeout", "callback-replay", "rate-limit", "slow", "drop-connection", "slow-jwks",
                 "cancel", "bankid-error", "server-error", "temporarily-unavailable"]
TRAP_NAMES = ["trap-unknown-kid", "trap-bad-signature", "trap-alg-none", "trap-hs256", "trap-expired",
              "trap-future-iat", "trap-wrong-iss", "trap-wrong-aud", "trap-nonce", "trap-at-hash", "trap-missing-nnin"]


@pytest.fixture(scope="module")
def shared_keys(tmp_path_factory):
    return tmp_path_factory.mktemp("keys")


@pytest.fixture
def settings(settings, shared_keys):
    """conftest's settings with one keys directory for the module: making keys is the slow part."""
    return settings.with_(keys_dir=shared_keys)


# --- a relying party on the test client ------------------------------------------------------
def auth_query(**extra) -> str:
    verifier, challenge = pkce_pair()
    q = {"client_id": "ci", "redirect_uri": CI_REDIRECT, "response_type": "code", "scope": "openid profile nnin_altsub",
         "state": "s1", "nonce": "n1", "code_challenge": challenge, "code_challenge_method": "S256", **extra}
    return verifier, AUTH + "?" + urlencode(q)


def sign_in(client, *, scenario=None, persona="adult", via="queue", **extra):
    """Start a sign-in; returns (authorize-or-login response, verifier). ``via``: queue, hint, panel."""
    verifier, url = auth_query(**({"login_hint": persona} if via == "hint" else {}), **extra)
    if via == "queue":
        body = {"persona": persona, **({"scenario": scenario} if scenario else {})}
        assert client.post("/_mock/next-login", json=body).status_code == 201
    if via == "panel":
        page = client.get(url)
        assert page.status_code == 200 and b'name="scenario"' in page.data
        html = page.get_data(as_text=True)
        session = html.split('name="session" value="')[1].split('"')[0]
        csrf = html.split('name="csrf_token" value="')[1].split('"')[0]
        response = client.post(LOGIN, data={"session": session, "csrf_token": csrf, "persona": persona,
                                            "scenario": scenario or ""})
        return response, verifier
    return client.get(url), verifier


def redeem(client, code, verifier, headers=BASIC):
    return client.post(TOKEN, data={"grant_type": "authorization_code", "code": code, "redirect_uri": CI_REDIRECT,
                                    "code_verifier": verifier}, headers=headers)


def tokens(client, **kw):
    response, verifier = sign_in(client, **kw)
    assert response.status_code == 302, response.get_data(as_text=True)
    return redeem(client, query_of(response.headers["Location"])["code"], verifier)


def put(client, body):
    response = client.put("/_mock/scenario", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- catalogue and control -------------------------------------------------------------------
def test_catalogue_has_every_runbook_name_and_trap(client):
    names = {s["name"] for s in client.get("/_mock/scenarios").get_json()["scenarios"]}
    assert set(RUNBOOK_NAMES) | set(TRAP_NAMES) <= names
    assert {"outage-30s", "rate-limit-strict"} <= names  # presets from fixtures/scenarios.toml


def test_control_rejects_unknown_names_and_bad_parameters(client):
    for body, words in [({"scenario": "nope"}, "unknown scenario"), ({"scenario": "slow", "seconds": 999}, "between"),
                        ({"scenario": "rate-limit", "limit": "many"}, "must be a int"),
                        ({"scenario": "outage", "colour": 1}, "no parameter colour"),
                        ({"scenario": "outage", "endpoints": ["nowhere"]}, "must be one of"),
                        ({"scenario": "outage", "for_seconds": -1}, "more than 0"), ({}, "name the scenario"),
                        ({"scenario": "outage", "count": 1.5}, "whole number"),
                        ({"scenario": "slow", "seconds": "NaN"}, "between"), ({"scenario": 5}, "name the scenario"),
                        ({"scenario": "outage", "params": "x"}, "params must be an object")]:
        response = client.put("/_mock/scenario", json=body)
        assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
        assert words in response.get_json()["error_description"], (body, response.get_json())
    assert client.get("/_mock/scenario").get_json() == {"active": None}


def test_put_get_delete_and_clearing_restores_service_at_once(client):
    state = put(client, {"scenario": "outage"})
    assert state["active"]["scenario"] == "outage" and state["active"]["source"] == "server"
    assert client.get(DISCOVERY).status_code == 503
    assert client.get("/_mock/health").status_code == 200  # the control surface never goes down
    assert client.delete("/_mock/scenario").status_code == 204
    assert client.get(DISCOVERY).status_code == 200
    assert client.get("/_mock/scenario").get_json() == {"active": None}


def test_for_seconds_runs_on_the_mock_clock(client):
    put(client, {"scenario": "outage-30s"})  # a preset: for_seconds = 30
    assert client.get("/_mock/scenario").get_json()["active"]["remaining_seconds"] == pytest.approx(30, abs=1)
    assert client.get(CERTS).status_code == 503
    client.put("/_mock/clock", json={"advance": 29})
    assert client.get(CERTS).status_code == 503
    client.put("/_mock/clock", json={"advance": 2})
    assert client.get(CERTS).status_code == 200
    assert client.get("/_mock/scenario").get_json() == {"active": None}


def test_count_switches_off_after_that_many_matching_requests(client):
    put(client, {"scenario": "outage", "endpoints": ["jwks"], "count": 2})
    assert client.get(DISCOVERY).status_code == 200  # not a matching request: not counted
    assert client.get("/_mock/scenario").get_json()["active"]["remaining_count"] == 2
    assert [client.get(CERTS).status_code for _ in range(3)] == [503, 503, 200]


def test_a_new_put_replaces_the_old_scenario(client):
    put(client, {"scenario": "outage"})
    put(client, {"scenario": "outage", "endpoints": "token"})  # "a,b" strings work as lists
    assert client.get(DISCOVERY).status_code == 200


def test_start_scenario_from_settings_and_clearable(settings):
    client = create_app(settings.with_(scenario='{"scenario": "outage", "endpoints": ["discovery"]}')).test_client()
    assert client.get(DISCOVERY).status_code == 503
    assert client.get("/_mock/scenario").get_json()["active"]["source"] == "start"
    client.delete("/_mock/scenario")
    assert client.get(DISCOVERY).status_code == 200


def test_bad_start_scenario_fails_at_start(settings):
    with pytest.raises(ScenarioError, match="MOCK_BANKID_SCENARIO"):
        create_app(settings.with_(scenario="no-such-scenario"))


def test_a_persona_naming_an_unknown_scenario_stops_the_start(tmp_path, settings):
    fixtures = tmp_path / "fx"
    fixtures.mkdir()
    (fixtures / "clients.toml").write_text((FIXTURES / "clients.toml").read_text())
    (fixtures / "personas.toml").write_text('[[persona]]\nid="a"\npurpose="p"\ngroup="adults"\nage=30\nscenario="cancle"\n')
    with pytest.raises(ScenarioError, match="personas: a: unknown scenario 'cancle'"):
        create_app(settings.with_(fixtures_dir=fixtures))


def test_a_timed_outage_says_when_it_ends(client):
    put(client, {"scenario": "outage", "for_seconds": 90})
    client.put("/_mock/clock", json={"advance": 50})
    assert client.get(CERTS).headers["Retry-After"] == "40"


def test_fixture_presets_are_checked(tmp_path, settings):
    fixtures = tmp_path / "fx"
    fixtures.mkdir()
    for name in ("clients.toml", "personas.toml"):
        (fixtures / name).write_text((FIXTURES / name).read_text())
    (fixtures / "scenarios.toml").write_text('[[preset]]\nname = "x"\nuses = "slow"\nparams = { seconds = 500 }\n')
    with pytest.raises(ScenarioError, match="between"):
        Scenarios.load(settings.with_(fixtures_dir=fixtures))
    (fixtures / "scenarios.toml").write_text('[[preset]]\nname = "x"\nuses = "outage-30s"\n')
    with pytest.raises(ScenarioError, match="built-in"):
        Scenarios.load(settings.with_(fixtures_dir=fixtures))


def test_endpoints_never_name_a_scenario():
    from pathlib import Path

    import mock_bankid

    root = Path(mock_bankid.__file__).parent
    for path in [*root.glob("endpoints/*.py"), root / "tokens.py", root / "app.py"]:
        if path.name == "scenario_control.py":
            continue
        text = path.read_text()
        for name in [*RUNBOOK_NAMES, *TRAP_NAMES]:
            if name != "cancel":  # the login page's Cancel button is the user's action, not a scenario
                assert f'"{name}"' not in text, (path, name)


def test_login_page_offers_the_per_sign_in_scenarios(client):
    _verifier, url = auth_query()
    html = client.get(url).get_data(as_text=True)
    assert 'value="cancel"' in html and 'value="trap-nonce"' in html
    assert 'value="rate-limit"' not in html  # server-wide only


# --- failures through the redirect, chosen each way -----------------------------------------
REDIRECT_CASES = [
    ("cancel", {"error": "access_denied", "state": "s1"}),
    ("bankid-error", {"error": "access_denied", "error_description": "bankid_error_codes:C301", "state": "s1"}),
    ("server-error", {"error": "server_error", "state": "s1"}),
    ("temporarily-unavailable", {"error": "temporarily_unavailable", "state": "s1"}),
    ("state-missing", {"code": ...}),
    ("session-timeout-redirect", {"error": "access_denied", "error_description": "bankid_error_codes:MOCK-T100",
                                  "state": "s1"}),
]


@pytest.mark.parametrize("via", ["server", "queue", "panel"])
@pytest.mark.parametrize("name,expected", REDIRECT_CASES, ids=[c[0] for c in REDIRECT_CASES])
def test_redirect_scenarios(client, name, expected, via):
    if via == "server":
        put(client, {"scenario": name})
        response, _ = sign_in(client, via="hint")
    else:
        response, _ = sign_in(client, scenario=name, via=via)
    assert response.status_code == 302
    params = query_of(response.headers["Location"])
    assert params["iss"] == ISSUER
    for key, value in expected.items():
        assert key in params and (value is ... or params[key] == value), params
    if "error" in expected:
        assert "code" not in params
    if name == "state-missing":
        assert "state" not in params
    if name == "cancel":  # BankID's cancel: error=access_denied&state=..., a description only with a BankID code
        assert "error_description" not in params


@pytest.mark.parametrize("via", ["server", "queue"])
def test_bankid_error_code_parameter(client, via):
    spec = {"scenario": "bankid-error", "code": "C167"}
    if via == "server":
        put(client, spec)
        response, _ = sign_in(client, via="hint")
    else:
        response, _ = sign_in(client, scenario=spec)
    assert query_of(response.headers["Location"])["error_description"] == "bankid_error_codes:C167"


@pytest.mark.parametrize("via", ["server", "queue", "panel"])
def test_state_mismatch(client, via):
    if via == "server":
        put(client, {"scenario": "state-mismatch"})
        response, _ = sign_in(client, via="hint")
    else:
        response, _ = sign_in(client, scenario="state-mismatch", via=via)
    params = query_of(response.headers["Location"])
    assert params["state"] != "s1" and params["code"]


def test_cancelled_sign_in_leaves_no_usable_code_or_session(client):
    response, verifier = sign_in(client, scenario="cancel")
    assert query_of(response.headers["Location"])["error"] == "access_denied"
    _v, url = auth_query()
    assert client.get(url).status_code == 200  # the login page again: no SSO session was made


@pytest.mark.parametrize("via", ["server", "queue", "panel"])
def test_session_timeout_page(client, via):
    if via == "server":
        put(client, {"scenario": "session-timeout"})
        response, _ = sign_in(client, via="hint")
    else:
        response, _ = sign_in(client, scenario="session-timeout", via=via)
    assert response.status_code == 400 and "Location" not in response.headers
    assert b"session_expired" in response.data


def test_session_timeout_by_the_mock_clock(client):
    """Without any scenario: the login page's 10-minute session runs out when the clock moves."""
    _v, url = auth_query()
    html = client.get(url).get_data(as_text=True)
    session = html.split('name="session" value="')[1].split('"')[0]
    csrf = html.split('name="csrf_token" value="')[1].split('"')[0]
    client.put("/_mock/clock", json={"advance": 601})
    response = client.post(LOGIN, data={"session": session, "csrf_token": csrf, "persona": "adult"})
    assert response.status_code == 400 and b"session_expired" in response.data


@pytest.mark.parametrize("via", ["server", "queue"])
def test_callback_replay_offers_the_same_callback_again(client, via):
    assert client.get("/_mock/last-callback").status_code == 404
    if via == "server":
        put(client, {"scenario": "callback-replay"})
        response, verifier = sign_in(client, via="hint")
    else:
        response, verifier = sign_in(client, scenario="callback-replay")
    recorded = client.get("/_mock/last-callback").get_json()
    assert recorded["url"] == response.headers["Location"] and recorded["method"] == "GET"
    assert client.get("/_mock/last-callback?client_id=ci").get_json() == recorded
    code = recorded["params"]["code"]
    assert redeem(client, code, verifier).status_code == 200
    second = redeem(client, code, verifier)  # what an RP that does not guard its callback would do
    assert second.status_code == 400 and second.get_json()["error"] == "invalid_grant"


# --- failures at authorize and token ---------------------------------------------------------
def test_redirect_uri_mismatch_is_an_error_page(client):
    put(client, {"scenario": "redirect-uri-mismatch"})
    response, _ = sign_in(client, via="hint")
    assert response.status_code == 400 and "Location" not in response.headers
    assert b"redirect_uri_mismatch" in response.data


@pytest.mark.parametrize("via", ["server", "queue", "panel"])
@pytest.mark.parametrize("spec,status,error", [("invalid-client", 401, "invalid_client"),
                                               ("unauthorized-client", 400, "unauthorized_client")])
def test_invalid_client(client, via, spec, status, error):
    if via == "server":
        put(client, {"scenario": spec})
        response = tokens(client, via="hint")
    else:
        response = tokens(client, scenario=spec, via=via)
    assert response.status_code == status and response.get_json()["error"] == error
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
    if via != "server":  # only that sign-in: the next one works
        assert tokens(client, via="hint").status_code == 200


def test_outage_covers_every_endpoint(client):
    response, verifier = sign_in(client, via="hint")
    code = query_of(response.headers["Location"])["code"]
    put(client, {"scenario": "outage"})
    assert client.get(DISCOVERY).status_code == 503
    assert client.get(CERTS).status_code == 503
    page, _ = sign_in(client, via="hint")
    assert page.status_code == 503 and page.mimetype == "text/html"
    token = redeem(client, code, verifier)
    assert token.status_code == 503 and token.get_json()["error"] == "temporarily_unavailable"
    assert token.headers["Retry-After"] == "30"
    assert client.get("/userinfo", headers={"Authorization": "Bearer x"}).status_code == 503
    client.delete("/_mock/scenario")
    assert redeem(client, code, verifier).status_code == 200  # the code survived the outage


def test_outage_for_one_sign_in_hits_its_token_request(client):
    assert tokens(client, scenario="outage").status_code == 503
    assert tokens(client, via="hint").status_code == 200


def test_rate_limit_headers_then_429_then_retry_after_works(client):
    put(client, {"scenario": "rate-limit", "limit": 2, "window": 60, "endpoints": ["token"]})
    seen = []
    for _ in range(3):
        response = client.post(TOKEN, data={"grant_type": "authorization_code", "code": "x",
                                            "redirect_uri": CI_REDIRECT}, headers=BASIC)
        seen.append((response.status_code, response.headers.get("X-RateLimit-Remaining")))
        assert response.headers["X-RateLimit-Limit"] == "2"
    assert seen[:2] == [(400, "1"), (400, "0")] and seen[2] == (429, "0")
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= 60 and response.headers["X-RateLimit-Reset"] == str(retry)
    client.put("/_mock/clock", json={"advance": retry})
    assert tokens(client, via="hint").status_code == 200


def test_rate_limit_is_per_client(client):
    put(client, {"scenario": "rate-limit", "limit": 1, "endpoints": ["authorize"]})
    assert sign_in(client, via="hint")[0].status_code == 302
    assert sign_in(client, via="hint")[0].status_code == 429
    _v, url = auth_query(client_id="bankid-strict")
    assert client.post("/_mock/next-login", json={"persona": "adult"}).status_code == 201
    other = client.get(url)
    assert other.status_code == 302 and "code" in query_of(other.headers["Location"])


def test_slow_waits_then_answers(client, monkeypatch):
    import mock_bankid.scenarios.builtin as builtin

    slept = []
    monkeypatch.setattr(builtin.time, "sleep", slept.append)
    put(client, {"scenario": "slow-jwks"})
    assert client.get(CERTS).status_code == 200 and slept == [5.0]
    assert client.get(DISCOVERY).status_code == 200 and slept == [5.0]
    put(client, {"scenario": "slow", "seconds": 12})
    assert tokens(client, via="hint").status_code == 200 and slept == [5.0, 12.0]
    client.delete("/_mock/scenario")
    assert tokens(client, scenario="slow-token-12s").status_code == 200 and slept == [5.0, 12.0, 12.0]


def test_drop_connection_without_a_socket_says_so(client):
    put(client, {"scenario": "drop-connection"})
    response = tokens(client, via="hint")
    assert response.status_code == 502 and "drop-connection" in response.get_json()["error_description"]


# --- traps ----------------------------------------------------------------------------------
def _fix_claims(name: str, claims: dict, now: int, access_token: str, nnin: str) -> dict:
    fixed = dict(claims)
    if name == "trap-expired":
        fixed.update(iat=now, exp=now + 300)
    elif name == "trap-future-iat":
        fixed["iat"] = now
    elif name == "trap-wrong-iss":
        fixed["iss"] = ISSUER
    elif name == "trap-wrong-aud":
        fixed.update(aud="ci", azp="ci")
    elif name.startswith("trap-nonce"):
        fixed["nonce"] = "n1"
    elif name == "trap-at-hash":
        fixed["at_hash"] = at_hash(access_token)
    elif name == "trap-missing-nnin":
        fixed.update(nnin_altsub=nnin, pid=nnin)
    return fixed


def _reason(exc: Exception) -> tuple[type, str | None]:
    return type(exc), getattr(exc, "claim", None)


TRAP_REASONS = {
    "trap-unknown-kid": (InvalidKeyIdError, None),
    "trap-bad-signature": (BadSignatureError, None),
    "trap-alg-none": (UnsupportedAlgorithmError, None),
    "trap-hs256": (UnsupportedAlgorithmError, None),
    "trap-expired": (ExpiredTokenError, "exp"),
    "trap-future-iat": (InvalidClaimError, "iat"),
    "trap-wrong-iss": (InvalidClaimError, "iss"),
    "trap-wrong-aud": (InvalidClaimError, "aud"),
    "trap-nonce": (InvalidClaimError, "nonce"),
    "trap-nonce-missing": (MissingClaimError, "nonce"),
    "trap-at-hash": (AtHashMismatch, None),
    "trap-missing-nnin": (MissingClaimError, "nnin_altsub"),
}


def check_trap(name: str, body: dict, jwks: dict, now: int, resign, nnin: str) -> None:
    """Refused for the intended reason, and the same token with only that defect fixed passes."""
    args = dict(issuer=ISSUER, client_id="ci", nonce="n1", access_token=body["access_token"], now=now)
    with pytest.raises(Exception) as caught:
        verify_id_token(body["id_token"], jwks, **args)
    assert _reason(caught.value) == TRAP_REASONS[name], (name, repr(caught.value))
    claims = unverified_claims(body["id_token"])
    fixed = resign(_fix_claims(name, claims, now, body["access_token"], nnin))
    verify_id_token(fixed, jwks, **args)


@pytest.fixture
def trap_tools(client, provider):
    def resign(claims):
        return provider.keys.sign(claims, alg="RS256")

    nnin = provider.personas.get("adult", provider.today()).nnin
    return lambda: (client.get(CERTS).get_json(), provider.now()), resign, nnin


@pytest.mark.parametrize("via", ["server", "queue"])
@pytest.mark.parametrize("name", list(TRAP_REASONS))
def test_traps_are_refused_for_their_own_reason(client, trap_tools, name, via):
    state, resign, nnin = trap_tools
    if via == "server":
        put(client, {"scenario": name})
        response = tokens(client, via="hint")
    else:
        response = tokens(client, scenario=name)
    assert response.status_code == 200, response.get_json()
    jwks, now = state()
    check_trap(name, response.get_json(), jwks, now, resign, nnin)
    if name == "trap-hs256":  # the algorithm-confusion attack really used the published key's kid
        assert unverified_header(response.get_json()["id_token"])["kid"] in {k["kid"] for k in jwks["keys"]}


def test_trap_on_the_login_panel_only_affects_that_sign_in(client, trap_tools):
    state, resign, nnin = trap_tools
    trapped = tokens(client, scenario="trap-wrong-aud", via="panel").get_json()
    jwks, now = state()
    check_trap("trap-wrong-aud", trapped, jwks, now, resign, nnin)
    normal = tokens(client, via="hint").get_json()
    verify_id_token(normal["id_token"], jwks, issuer=ISSUER, client_id="ci", nonce="n1",
                    access_token=normal["access_token"], now=now)


def test_every_trap_is_covered():
    assert {n for n, d in REGISTRY.items() if d.kind == "trap" and d.uses is None} == set(TRAP_NAMES)
    assert set(TRAP_NAMES) <= set(TRAP_REASONS)


# --- request log and time -------------------------------------------------------------------
def test_request_log_redacts_secrets(client):
    assert client.delete("/_mock/requests").status_code == 204
    response, verifier = sign_in(client, via="hint")
    redeem(client, query_of(response.headers["Location"])["code"], verifier)
    client.get("/_mock/health")
    log = client.get("/_mock/requests").get_json()["requests"]
    assert [e["endpoint"] for e in log] == ["authorize.authorize", "token.token"]
    token = log[1]
    assert token["client_id"] == "ci" and token["status"] == 200 and token["method"] == "POST"
    assert token["form"]["code"] == "[redacted]" and token["form"]["code_verifier"] == "[redacted]"
    assert token["form"]["grant_type"] == "authorization_code"
    assert token["headers"]["Authorization"] == "Basic [redacted]"
    assert "ci-secret" not in str(log) and verifier not in str(log)
    assert log[0]["query"]["nonce"] == "n1"


def test_request_log_keeps_the_last_n(settings):
    client = create_app(settings.with_(request_log_size=5)).test_client()
    for _ in range(30):
        client.get(DISCOVERY)
    assert len(client.get("/_mock/requests").get_json()["requests"]) == 5


def test_token_lifetime_per_client_and_expiry_by_clock(tmp_path, settings):
    fixtures = tmp_path / "fx"
    fixtures.mkdir()
    (fixtures / "personas.toml").write_text((FIXTURES / "personas.toml").read_text())
    (fixtures / "clients.toml").write_text((FIXTURES / "clients.toml").read_text().replace(
        'client_id = "ci"\n', 'client_id = "ci"\ntoken_ttl = 60\n'))
    client = create_app(settings.with_(fixtures_dir=fixtures)).test_client()
    body = tokens(client, via="hint").get_json()
    claims = unverified_claims(body["id_token"])
    assert body["expires_in"] == 60 and claims["exp"] - claims["iat"] == 60
    bearer = {"Authorization": "Bearer " + body["access_token"]}
    assert client.get("/userinfo", headers=bearer).status_code == 200
    client.put("/_mock/clock", json={"advance": 61})
    assert client.get("/userinfo", headers=bearer).status_code == 401


# --- personas whose purpose is a scenario ----------------------------------------------------
def test_fixture_personas_name_known_scenarios(app, provider):
    people = [p for p in provider.personas.all(provider.today()) if p.scenario]
    assert len(people) >= 5 and all(p.group == "edge" for p in people)
    for p in people:
        definition, _params, _activation = app.extensions[ENGINE_KEY].parse(p.scenario)
        assert definition.sign_in_points, p.id


@pytest.mark.parametrize("via", ["hint", "queue", "panel"])
def test_a_persona_switches_its_scenario_on(client, via):
    response, _ = sign_in(client, persona="scenario-cancel", via=via)
    assert query_of(response.headers["Location"])["error"] == "access_denied"


def test_a_trap_persona(client, trap_tools, provider):
    state, resign, _nnin = trap_tools
    body = tokens(client, persona="scenario-trap-missing-nnin", via="hint").get_json()
    jwks, now = state()
    nnin = provider.personas.get("scenario-trap-missing-nnin", provider.today()).nnin
    check_trap("trap-missing-nnin", body, jwks, now, resign, nnin)


def test_next_login_queue_checks_the_scenario(client):
    bad = client.post("/_mock/next-login", json={"persona": "adult", "scenario": "nope"})
    assert bad.status_code == 400 and "unknown scenario" in bad.get_json()["error_description"]
    wide = client.post("/_mock/next-login", json={"persona": "adult", "scenario": "rate-limit"})
    assert wide.status_code == 400 and "/_mock/scenario" in wide.get_json()["error_description"]
    ok = client.post("/_mock/next-login", json={"persona": "adult", "scenario": {"scenario": "bankid-error", "code": "X1"}})
    assert ok.status_code == 201
    response, _ = sign_in(client, via="none")
    assert query_of(response.headers["Location"])["error_description"] == "bankid_error_codes:X1"


# --- the CLI's catalogue (set/clear/show against a real server: test_scenarios_e2e.py) ---------
def test_cli_lists_the_catalogue():
    import json

    from click.testing import CliRunner

    from mock_bankid.cli import cli

    runner = CliRunner()
    listed = runner.invoke(cli, ["scenarios"], env={"MOCK_BANKID_FIXTURES_DIR": str(FIXTURES)})
    assert listed.exit_code == 0, listed.output
    lines = {line.split()[0]: line for line in listed.output.splitlines()}
    assert set(RUNBOOK_NAMES) | set(TRAP_NAMES) | {"outage-30s"} <= set(lines)
    assert "[server]" in lines["rate-limit"] and "[server/sign-in]" in lines["cancel"]
    as_json = json.loads(runner.invoke(cli, ["scenarios", "--json"], env={"MOCK_BANKID_FIXTURES_DIR": str(FIXTURES)}).output)
    assert {s["name"]: s for s in as_json}["slow"]["params"] == {"seconds": 5.0, "endpoints": ["token"]}
    bad = runner.invoke(cli, ["scenario", "set", "outage", "-p", "nonsense"])
    assert bad.exit_code == 2 and "name=value" in bad.output
