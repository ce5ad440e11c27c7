"""Scenarios at unit level (Flask test client): each failure and trap, each way it can be chosen."""

from __future__ import annotations

import base64

import pytest
from conftest import FIXTURES, query_of
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    MissingClaimError,
    UnsupportedAlgorithmError,
)
from rp import (
    AtHashMismatch,
    FlaskRP,
    PermissionDigestMismatch,
    at_hash_of,
    unverified_claims,
    unverified_header,
    verify_id_token,
)

from mock_bankid.app import create_app
from mock_bankid.oidc.codes import CODE_NS, SCENARIO_MARK
from mock_bankid.scenarios import ENGINE_KEY, REGISTRY, ScenarioError, Scenarios
from mock_bankid.scenarios.builtin import BANKID_ERROR_CODES

NO_SCENARIO = {"active": None, "providers": {"bankid": {"active": None}, "vipps": {"active": None}}}
"""GET /_mock/scenario with nothing on: BankID's state as before Vipps, and each provider's."""

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
              "trap-future-iat", "trap-wrong-iss", "trap-wrong-aud", "trap-nonce", "trap-at-hash", "trap-missing-nnin",
              "trap-permission-digest"]


@pytest.fixture
def rp(client) -> FlaskRP:
    """The driver as this module uses it: the next-login queue by default (``via``), fixed state and nonce."""
    return FlaskRP(client, state="s1", nonce="n1")


# --- catalogue and control -------------------------------------------------------------------
def test_catalogue_has_every_runbook_name_and_trap(client):
    names = {s["name"] for s in client.get("/_mock/scenarios").get_json()["scenarios"]}
    assert set(RUNBOOK_NAMES) | set(TRAP_NAMES) <= names
    assert {"outage-30s", "rate-limit-strict"} <= names  # presets from fixtures/scenarios.toml


def test_control_rejects_unknown_names_and_bad_parameters(client):
    for body, words in [({"scenario": "nope"}, "unknown scenario"), ({"scenario": "slow", "seconds": 999}, "between"),
                        ({"scenario": "rate-limit", "limit": "many"}, "limit must be a whole number, not 'many'"),
                        ({"scenario": "outage", "colour": 1}, "no parameter colour"),
                        ({"scenario": "outage", "endpoints": ["nowhere"]}, "must be one of"),
                        ({"scenario": "outage", "for_seconds": -1}, "more than 0"), ({}, "name the scenario"),
                        ({"scenario": "outage", "count": 1.5}, "whole number"),
                        ({"scenario": "slow", "seconds": "NaN"}, "between"), ({"scenario": 5}, "name the scenario"),
                        ({"scenario": "outage", "params": "x"}, "params must be an object")]:
        response = client.put("/_mock/scenario", json=body)
        assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
        assert words in response.get_json()["error_description"], (body, response.get_json())
    assert client.get("/_mock/scenario").get_json() == NO_SCENARIO


def test_put_get_delete_and_clearing_restores_service_at_once(client, rp):
    state = rp.scenario({"scenario": "outage"})
    assert state["active"]["scenario"] == "outage" and state["active"]["source"] == "server"
    assert client.get(DISCOVERY).status_code == 503
    assert client.get("/_mock/health").status_code == 200  # the control surface never goes down
    assert client.delete("/_mock/scenario").status_code == 204
    assert client.get(DISCOVERY).status_code == 200
    assert client.get("/_mock/scenario").get_json() == NO_SCENARIO


def test_for_seconds_runs_on_the_mock_clock(client, rp):
    rp.scenario({"scenario": "outage-30s"})  # a preset: for_seconds = 30
    assert client.get("/_mock/scenario").get_json()["active"]["remaining_seconds"] == pytest.approx(30, abs=1)
    assert client.get(CERTS).status_code == 503
    client.put("/_mock/clock", json={"advance": 29})
    assert client.get(CERTS).status_code == 503
    client.put("/_mock/clock", json={"advance": 2})
    assert client.get(CERTS).status_code == 200
    assert client.get("/_mock/scenario").get_json() == NO_SCENARIO


def test_count_switches_off_after_that_many_matching_requests(client, rp):
    rp.scenario({"scenario": "outage", "endpoints": ["jwks"], "count": 2})
    assert client.get(DISCOVERY).status_code == 200  # not a matching request: not counted
    assert client.get("/_mock/scenario").get_json()["active"]["remaining_count"] == 2
    assert [client.get(CERTS).status_code for _ in range(3)] == [503, 503, 200]


def test_a_new_put_replaces_the_old_scenario(client, rp):
    rp.scenario({"scenario": "outage"})
    rp.scenario({"scenario": "outage", "endpoints": "token"})  # "a,b" strings work as lists
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
    (fixtures / "personas.toml").write_text(
        '[[persona]]\nid="a"\npurpose="p"\ngroup="adults"\nage=30\nscenario="cancle"\n')
    with pytest.raises(ScenarioError, match="personas: a: unknown scenario 'cancle'"):
        create_app(settings.with_(fixtures_dir=fixtures))


def test_a_timed_outage_says_when_it_ends(client, rp):
    rp.scenario({"scenario": "outage", "for_seconds": 90})
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
    for path in [*root.glob("endpoints/*.py"), root / "oidc" / "tokens.py", root / "app.py"]:
        if path.name == "scenario_control.py":
            continue
        text = path.read_text()
        for name in [*RUNBOOK_NAMES, *TRAP_NAMES]:
            if name != "cancel":  # the login page's Cancel button is the user's action, not a scenario
                assert f'"{name}"' not in text, (path, name)


def test_login_page_offers_the_per_sign_in_scenarios(rp):
    html = rp.login_page().html
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
def test_redirect_scenarios(rp, name, expected, via):
    if via == "server":
        rp.scenario({"scenario": name})
        response = rp.sign_in(via="hint").response
    else:
        response = rp.sign_in(scenario=name, via=via).response
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
def test_bankid_error_code_parameter(rp, via):
    spec = {"scenario": "bankid-error", "code": "C293"}
    if via == "server":
        rp.scenario(spec)
        response = rp.sign_in(via="hint").response
    else:
        response = rp.sign_in(scenario=spec, via="queue").response
    assert query_of(response.headers["Location"])["error_description"] == "bankid_error_codes:C293"


def test_bankid_error_takes_only_bankids_published_codes(client):
    """BankID's error codes are public (developer.bankid.no error codes): the scenario offers them,
    each with its category, and refuses a code BankID does not list."""
    assert BANKID_ERROR_CODES["C131"][0] == "4_BIMIN" and BANKID_ERROR_CODES["C302"][0] == "5_BIMREF"
    bad = client.post("/_mock/next-login",
                      json={"persona": "adult", "scenario": {"scenario": "bankid-error", "code": "C167"}})
    assert bad.status_code == 400 and "C131" in bad.get_json()["error_description"]
    listed = client.get("/_mock/scenarios").get_json()
    entry = next(s for s in (listed.get("scenarios", listed) if isinstance(listed, dict) else listed)
                 if s["name"] == "bankid-error")
    assert entry["choices"]["code"] == list(BANKID_ERROR_CODES) and "C302 5_BIMREF" in entry["summary"]


@pytest.mark.parametrize("via", ["server", "queue", "panel"])
def test_state_mismatch(rp, via):
    if via == "server":
        rp.scenario({"scenario": "state-mismatch"})
        response = rp.sign_in(via="hint").response
    else:
        response = rp.sign_in(scenario="state-mismatch", via=via).response
    params = query_of(response.headers["Location"])
    assert params["state"] != "s1" and params["code"]


def test_cancelled_sign_in_leaves_no_usable_code_or_session(rp):
    authz = rp.sign_in(scenario="cancel", via="queue")
    response = authz.response
    assert query_of(response.headers["Location"])["error"] == "access_denied"
    assert rp.authorize(login_hint=None).status == 200  # the login page again: no SSO session was made


@pytest.mark.parametrize("via", ["server", "queue", "panel"])
def test_session_timeout_page(rp, via):
    if via == "server":
        rp.scenario({"scenario": "session-timeout"})
        response = rp.sign_in(via="hint").response
    else:
        response = rp.sign_in(scenario="session-timeout", via=via).response
    assert response.status_code == 400 and "Location" not in response.headers
    assert b"session_expired" in response.data


def test_session_timeout_by_the_mock_clock(client, rp):
    """Without any scenario: the login page's 10-minute session runs out when the clock moves."""
    page = rp.login_page()
    client.put("/_mock/clock", json={"advance": 601})
    response = rp.submit_login(page, persona="adult").response
    assert response.status_code == 400 and b"session_expired" in response.data


@pytest.mark.parametrize("via", ["server", "queue"])
def test_callback_replay_offers_the_same_callback_again(client, rp, via):
    assert client.get("/_mock/last-callback").status_code == 404
    if via == "server":
        rp.scenario({"scenario": "callback-replay"})
        authz = rp.sign_in(via="hint")
        response = authz.response
    else:
        authz = rp.sign_in(scenario="callback-replay", via="queue")
        response = authz.response
    recorded = client.get("/_mock/last-callback").get_json()
    assert recorded["url"] == response.headers["Location"] and recorded["method"] == "GET"
    assert client.get("/_mock/last-callback?client_id=ci").get_json() == recorded
    code = recorded["params"]["code"]
    assert rp.redeem(code, authz.verifier).status_code == 200
    second = rp.redeem(code, authz.verifier)  # what an RP that does not guard its callback would do
    assert second.status_code == 400 and second.get_json()["error"] == "invalid_grant"


# --- failures at authorize and token ---------------------------------------------------------
def test_redirect_uri_mismatch_is_an_error_page(rp):
    rp.scenario({"scenario": "redirect-uri-mismatch"})
    response = rp.sign_in(via="hint").response
    assert response.status_code == 400 and "Location" not in response.headers
    assert b"redirect_uri_mismatch" in response.data


@pytest.mark.parametrize("via", ["server", "queue", "panel"])
@pytest.mark.parametrize("spec,status,error", [("invalid-client", 401, "invalid_client"),
                                               ("unauthorized-client", 400, "unauthorized_client")])
def test_invalid_client(rp, via, spec, status, error):
    if via == "server":
        rp.scenario({"scenario": spec})
        response = rp.redeem(rp.sign_in(via="hint"))
    else:
        response = rp.redeem(rp.sign_in(scenario=spec, via=via))
    assert response.status_code == status and response.get_json()["error"] == error
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
    if via != "server":  # only that sign-in: the next one works
        assert rp.redeem(rp.sign_in(via="hint")).status_code == 200


def test_outage_covers_every_endpoint(client, rp):
    authz = rp.sign_in(via="hint")
    code = authz.code
    rp.scenario({"scenario": "outage"})
    assert client.get(DISCOVERY).status_code == 503
    assert client.get(CERTS).status_code == 503
    page = rp.sign_in(via="hint").response
    assert page.status_code == 503 and page.mimetype == "text/html"
    token = rp.redeem(code, authz.verifier)
    assert token.status_code == 503 and token.get_json()["error"] == "temporarily_unavailable"
    assert token.headers["Retry-After"] == "30"
    assert client.get("/userinfo", headers={"Authorization": "Bearer x"}).status_code == 503
    client.delete("/_mock/scenario")
    assert rp.redeem(code, authz.verifier).status_code == 200  # the code survived the outage


def test_outage_for_one_sign_in_hits_its_token_request(rp):
    assert rp.redeem(rp.sign_in(scenario="outage", via="queue")).status_code == 503
    assert rp.redeem(rp.sign_in(via="hint")).status_code == 200


def test_rate_limit_headers_then_429_then_retry_after_works(client, rp):
    rp.scenario({"scenario": "rate-limit", "limit": 2, "window": 60, "endpoints": ["token"]})
    seen = []
    for _ in range(3):
        response = rp.redeem("x", None)  # no verifier: a 400 that still counts
        seen.append((response.status_code, response.headers.get("X-RateLimit-Remaining")))
        assert response.headers["X-RateLimit-Limit"] == "2"
    assert seen[:2] == [(400, "1"), (400, "0")] and seen[2] == (429, "0")
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= 60 and response.headers["X-RateLimit-Reset"] == str(retry)
    client.put("/_mock/clock", json={"advance": retry})
    assert rp.redeem(rp.sign_in(via="hint")).status_code == 200


def test_rate_limit_is_per_client(rp):
    rp.scenario({"scenario": "rate-limit", "limit": 1, "endpoints": ["authorize"]})
    assert rp.sign_in(via="hint").response.status_code == 302
    assert rp.sign_in(via="hint").response.status_code == 429
    rp.queue("adult")  # the strict profile takes no persona hint
    other = rp.authorize(client_id="bankid-strict", login_hint=None).response
    assert other.status_code == 302 and "code" in query_of(other.headers["Location"])


def test_slow_waits_then_answers(client, rp, monkeypatch):
    import mock_bankid.scenarios.builtin as builtin

    slept = []
    monkeypatch.setattr(builtin.time, "sleep", slept.append)
    rp.scenario({"scenario": "slow-jwks"})
    assert client.get(CERTS).status_code == 200 and slept == [5.0]
    assert client.get(DISCOVERY).status_code == 200 and slept == [5.0]
    rp.scenario({"scenario": "slow", "seconds": 12})
    assert rp.redeem(rp.sign_in(via="hint")).status_code == 200 and slept == [5.0, 12.0]
    client.delete("/_mock/scenario")
    assert rp.redeem(rp.sign_in(scenario="slow-token-12s", via="queue")).status_code == 200
    assert slept == [5.0, 12.0, 12.0]


def test_drop_connection_without_a_socket_says_so(rp):
    rp.scenario({"scenario": "drop-connection"})
    response = rp.redeem(rp.sign_in(via="hint"))
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
        fixed["at_hash"] = at_hash_of(access_token, "RS256")
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
    "trap-permission-digest": (PermissionDigestMismatch, None),
}
PAR_TRAPS = ("trap-permission-digest",)
"""Traps on a payment approval only (a pushed request): tests/test_par.py checks them."""


def check_trap(name: str, body: dict, jwks: dict, now: int, resign, nnin: str) -> None:
    """Refused for the intended reason, and the same token with only that defect fixed passes."""
    args = dict(issuer=ISSUER, client_id="ci", nonce="n1", access_token=body["access_token"], now=now,
                essential=("nnin_altsub",))
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
@pytest.mark.parametrize("name", [n for n in TRAP_REASONS if n not in PAR_TRAPS])
def test_traps_are_refused_for_their_own_reason(rp, trap_tools, name, via):
    state, resign, nnin = trap_tools
    if via == "server":
        rp.scenario({"scenario": name})
        response = rp.redeem(rp.sign_in(via="hint"))
    else:
        response = rp.redeem(rp.sign_in(scenario=name, via="queue"))
    assert response.status_code == 200, response.get_json()
    jwks, now = state()
    check_trap(name, response.get_json(), jwks, now, resign, nnin)
    if name == "trap-hs256":  # the algorithm-confusion attack really used the published key's kid
        assert unverified_header(response.get_json()["id_token"])["kid"] in {k["kid"] for k in jwks["keys"]}


def test_trap_on_the_login_panel_only_affects_that_sign_in(rp, trap_tools):
    state, resign, nnin = trap_tools
    trapped = rp.redeem(rp.sign_in(scenario="trap-wrong-aud", via="panel")).get_json()
    jwks, now = state()
    check_trap("trap-wrong-aud", trapped, jwks, now, resign, nnin)
    normal = rp.redeem(rp.sign_in(via="hint")).get_json()
    verify_id_token(normal["id_token"], jwks, issuer=ISSUER, client_id="ci", nonce="n1",
                    access_token=normal["access_token"], now=now)


def test_every_trap_is_covered():
    assert {n for n, d in REGISTRY.items() if d.kind == "trap" and d.uses is None} == set(TRAP_NAMES)
    assert set(TRAP_NAMES) <= set(TRAP_REASONS)


# --- request log and time -------------------------------------------------------------------
def test_request_log_redacts_secrets(client, rp):
    assert client.delete("/_mock/requests").status_code == 204
    authz = rp.sign_in(via="hint")
    rp.redeem(authz)
    client.get("/_mock/health")
    log = client.get("/_mock/requests").get_json()["requests"]
    assert [e["endpoint"] for e in log] == ["authorize.authorize", "token.token"]
    token = log[1]
    assert token["client_id"] == "ci" and token["status"] == 200 and token["method"] == "POST"
    assert token["form"]["code"] == "[redacted]" and token["form"]["code_verifier"] == "[redacted]"
    assert token["form"]["grant_type"] == "authorization_code"
    assert token["headers"]["Authorization"] == "Basic [redacted]"
    assert "ci-secret" not in str(log) and authz.verifier not in str(log)
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
    local = FlaskRP(client)
    body = local.redeem(local.sign_in(via="hint")).get_json()
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
def test_a_persona_switches_its_scenario_on(rp, via):
    response = rp.sign_in(persona="scenario-cancel", via=via).response
    assert query_of(response.headers["Location"])["error"] == "access_denied"


def test_a_trap_persona(rp, trap_tools, provider):
    state, resign, _nnin = trap_tools
    body = rp.redeem(rp.sign_in(persona="scenario-trap-missing-nnin", via="hint")).get_json()
    jwks, now = state()
    nnin = provider.personas.get("scenario-trap-missing-nnin", provider.today()).nnin
    check_trap("trap-missing-nnin", body, jwks, now, resign, nnin)


def test_next_login_queue_checks_the_scenario(client, rp):
    bad = client.post("/_mock/next-login", json={"persona": "adult", "scenario": "nope"})
    assert bad.status_code == 400 and "unknown scenario" in bad.get_json()["error_description"]
    wide = client.post("/_mock/next-login", json={"persona": "adult", "scenario": "rate-limit"})
    assert wide.status_code == 400 and "/_mock/scenario" in wide.get_json()["error_description"]
    ok = client.post("/_mock/next-login",
                     json={"persona": "adult", "scenario": {"scenario": "bankid-error", "code": "C131"}})
    assert ok.status_code == 201
    response = rp.authorize(login_hint=None).response
    assert query_of(response.headers["Location"])["error_description"] == "bankid_error_codes:C131"


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
    env = {"MOCK_BANKID_FIXTURES_DIR": str(FIXTURES)}
    as_json = json.loads(runner.invoke(cli, ["scenarios", "--json"], env=env).output)
    assert {s["name"]: s for s in as_json}["slow"]["params"] == {"seconds": 5.0, "endpoints": ["token"]}
    bad = runner.invoke(cli, ["scenario", "set", "outage", "-p", "nonsense"])
    assert bad.exit_code == 2 and "name=value" in bad.output


def test_only_a_sign_in_with_its_own_scenario_is_read_ahead_at_the_token_endpoint(rp, provider):
    """The token endpoint reads a code's record before redeeming it only to find a per-sign-in
    scenario: a code issued without one is marked as such, and its redemption reads nothing ahead."""
    reads: list[str] = []
    original = provider.store.get
    provider.store.get = lambda ns, key: reads.append(ns) or original(ns, key)
    plain = rp.sign_in(via="hint")
    assert not plain.code.startswith(SCENARIO_MARK)
    assert rp.redeem(plain).status_code == 200 and reads.count(CODE_NS) == 0
    with_scenario = rp.sign_in(scenario="outage", via="queue")
    assert with_scenario.code.startswith(SCENARIO_MARK)
    assert rp.redeem(with_scenario).status_code == 503 and reads.count(CODE_NS) == 1
