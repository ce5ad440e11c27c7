"""Vipps Login beside BankID: its layout, discovery, rules, tokens and userinfo (docs/vipps.md).

The Flask test client, one RP driver (``tests/rp``) told ``provider="vipps"``; ID tokens verified
with joserfc against the Vipps JWKS as a relying party would.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from rp.driver import VIPPS_ISSUER_PATH, FlaskRP, basic

pytestmark = pytest.mark.unit

BASE = "http://localhost:8080"
ISSUER = BASE + VIPPS_ISSUER_PATH


@pytest.fixture
def vipps(client) -> FlaskRP:
    return FlaskRP(client, provider="vipps")


def sign_in(rp: FlaskRP, persona: str = "adult", **params) -> dict:
    """A code flow with PKCE through the login page; returns the token response."""
    page = rp.login_page(**params)
    authz = rp.submit_login(page, persona=persona)
    assert authz.params.get("code"), (authz.status, authz.location, authz.text[:300])
    assert authz.params.get("iss") == ISSUER and authz.params.get("state") == authz.state
    response = rp.redeem(authz)
    assert response.status_code == 200, response.get_data(as_text=True)
    tokens = response.get_json()
    tokens["_nonce"] = authz.nonce
    return tokens


def verified(rp: FlaskRP, id_token: str, client_id: str, nonce: str | None) -> dict:
    jwks = rp.jwks()
    decoded = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    claims = decoded.claims
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": ISSUER}, aud={"essential": True, "value": client_id},
                          nonce={"essential": nonce is not None, "value": nonce}).validate(claims)
    assert decoded.header["kid"] in {k["kid"] for k in jwks["keys"]}
    return claims


def test_discovery_is_vippss_document(vipps, client):
    response = client.get(VIPPS_ISSUER_PATH + ".well-known/openid-configuration")
    doc = response.get_json()
    assert doc["issuer"] == ISSUER and doc["issuer"].endswith("/access/")
    assert doc["authorization_endpoint"] == ISSUER + "oauth2/auth"
    assert doc["token_endpoint"] == ISSUER + "oauth2/token"
    assert doc["jwks_uri"] == ISSUER + ".well-known/jwks.json"
    assert doc["revocation_endpoint"] == ISSUER + "oauth2/revoke"
    assert doc["end_session_endpoint"] == ISSUER + "oauth2/sessions/logout"
    assert doc["userinfo_endpoint"] == BASE + "/vipps-userinfo-api/userinfo"
    assert doc["response_types_supported"] == ["code"] and doc["response_modes_supported"] == ["query"]
    assert doc["subject_types_supported"] == ["pairwise"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
    assert set(doc["scopes_supported"]) == {"openid", "address", "name", "email", "phoneNumber", "nin", "birthDate"}
    assert doc["claims_parameter_supported"] is False and doc["request_parameter_supported"] is True
    assert "acr_values_supported" not in doc and "introspection_endpoint" not in doc
    assert "pushed_authorization_request_endpoint" not in doc
    assert doc["mock"] is True and "not Vipps" in doc["release"]
    assert response.headers["Cache-Control"] == "max-age=3600"


def test_bankid_discovery_is_unchanged_beside_it(client):
    doc = client.get("/auth/realms/current/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == BASE + "/auth/realms/current" and doc["subject_types_supported"] == ["public"]
    assert doc["userinfo_endpoint"] == BASE + "/userinfo"


def test_jwks_holds_rs256_keys_with_vippss_kid_shape(vipps):
    keys = vipps.jwks()["keys"]
    assert keys and {k["alg"] for k in keys} == {"RS256"} and {k["use"] for k in keys} == {"sig"}
    for key in keys:
        prefix, _, rest = key["kid"].partition(":")
        assert prefix == "public" and uuid.UUID(rest)
    bankid = FlaskRP(vipps.client).jwks()["keys"]
    assert not {k["kid"] for k in keys} & {k["kid"] for k in bankid}, "Vipps signs with keys of its own"


def test_code_flow_gives_an_id_token_without_the_number_and_userinfo_with_it(vipps):
    vipps.client_id, vipps.scope = "drop-web-vipps", "openid name phoneNumber birthDate nin"
    persona = vipps.client.get("/_mock/personas").get_json()
    adult = next(p for p in (persona["personas"] if isinstance(persona, dict) else persona) if p["id"] == "adult")
    tokens = sign_in(vipps, redirect_uri="http://localhost:3000/api/auth/vipps/callback")
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600 and "refresh_token" not in tokens
    claims = verified(vipps, tokens["id_token"], "drop-web-vipps", tokens["_nonce"])
    assert claims["aud"] == ["drop-web-vipps"] and uuid.UUID(claims["sub"])
    assert {"at_hash", "auth_time", "exp", "iat", "iss", "jti", "nonce", "rat", "sub"} <= set(claims)
    assert adult["nnin"] not in str(claims) and not {"nin", "nnin", "pid", "acr", "amr"} & set(claims)
    info = vipps.userinfo(tokens["access_token"]).get_json()
    assert info["sub"] == claims["sub"] and info["nin"] == adult["nnin"]
    assert re.fullmatch(r"47\d{8}", info["phone_number"]), info["phone_number"]
    assert info["birthdate"] == adult["birthdate"] and info["name"] and info["given_name"]


def test_a_client_without_nin_permission_gets_no_number(vipps):
    vipps.client_id = "drop-web-vipps-no-nin"
    refused = vipps.authorize(scope="openid name nin", redirect_uri="http://localhost:3000/api/auth/vipps/callback")
    assert refused.params.get("error") == "invalid_scope", refused.location
    assert "Vipps grants scopes per client" in refused.params["error_description"]
    vipps.scope = "openid name birthDate"
    tokens = sign_in(vipps, redirect_uri="http://localhost:3000/api/auth/vipps/callback")
    info = vipps.userinfo(tokens["access_token"]).get_json()
    assert "nin" not in info and info["name"]


def test_sub_is_pairwise_per_client_and_stable_per_person(vipps):
    subs = {}
    for client_id in ("drop-web-vipps", "drop-web-vipps-no-nin", "ci-vipps"):
        vipps.client_id, vipps.scope = client_id, "openid name"
        redirect = "http://127.0.0.1:5555/callback" if client_id == "ci-vipps" else \
            "http://localhost:3000/api/auth/vipps/callback"
        first = sign_in(vipps, redirect_uri=redirect, prompt="login")
        again = sign_in(vipps, redirect_uri=redirect, prompt="login")
        subs[client_id] = vipps.claims(first["id_token"])["sub"]
        assert vipps.claims(again["id_token"])["sub"] == subs[client_id]
    assert len(set(subs.values())) == 3


def test_state_must_have_eight_characters(vipps):
    short = vipps.authorize(state="1234567")
    assert short.params.get("error") == "invalid_request" and "8" in short.params.get("error_description", "")
    assert short.params.get("state") == "1234567"
    assert vipps.authorize(state="12345678").params.get("code")


def test_only_the_query_response_mode(vipps):
    answer = vipps.authorize(response_mode="fragment")
    assert "#" not in (answer.location or "") and answer.params.get("error") == "invalid_request"


def test_each_provider_knows_only_its_own_clients(vipps, client):
    assert vipps.authorize(client_id="ci", redirect_uri="http://127.0.0.1:5555/callback").status == 400
    bankid = FlaskRP(client)
    assert bankid.authorize(client_id="ci-vipps").status == 400
    wrong = vipps.redeem("x" * 20, "v" * 43, auth=basic("ci", "ci-secret"))
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "invalid_client"


def test_bankid_nnin_altsub_equals_vipps_nin_for_one_person(vipps, client):
    bankid = FlaskRP(client, scope="openid nnin_altsub")
    bankid_claims = bankid.claims(bankid.tokens("adult")["id_token"])
    vipps.scope = "openid nin"
    tokens = sign_in(vipps)
    assert vipps.userinfo(tokens["access_token"]).get_json()["nin"] == bankid_claims["nnin_altsub"]


def test_login_page_names_vipps_and_asks_consent_for_every_scope_at_once(vipps):
    vipps.scope = "openid name email nin"
    page = vipps.login_page(ui_locales="en")
    assert "Sign in with Vipps (mock)" in page.html and "this is not Vipps" in page.html
    consent = re.search(r'data-testid="consent-all">(.*?)</p>', page.html, re.S)
    assert consent and re.findall(r'data-consent="([^"]+)"', consent.group(1)) == ["name", "email", "nin"]
    assert 'type="checkbox" name="consent"' not in page.html, "all or none: no per-scope choice"
    cancelled = vipps.submit_login(page, action="cancel")
    assert cancelled.params.get("error") == "access_denied" and cancelled.params.get("state") == cancelled.state


def test_the_userinfo_api_is_json_and_refuses_bankid_tokens(vipps, client):
    tokens = sign_in(vipps)
    answer = vipps.userinfo(tokens["access_token"], headers={"Accept": "application/jwt"})
    assert answer.mimetype == "application/json"
    bankid_token = FlaskRP(client).tokens("adult")["access_token"]
    refused = vipps.userinfo(bankid_token)
    assert refused.status_code == 401


def test_revoke_and_logout_at_vippss_paths(vipps):
    tokens = sign_in(vipps)
    assert vipps.revoke(tokens["access_token"]).status_code == 200
    assert vipps.userinfo(tokens["access_token"]).status_code == 401
    logout = vipps.client.get(VIPPS_ISSUER_PATH + "oauth2/sessions/logout")
    assert logout.status_code in (200, 302, 303)


def test_a_person_signs_in_only_where_they_have_an_account(vipps, client):
    page = vipps.login_page()
    listed = set(re.findall(r'data-persona="([^"]+)"', page.html))
    assert {"vipps-only", "under-18-vipps", "adult"} <= listed and "bankid-only" not in listed
    refused = vipps.authorize(login_hint="bankid-only")
    assert refused.params.get("error") == "access_denied" and "no Vipps account" in refused.params["error_description"]
    bankid = FlaskRP(client)
    assert bankid.authorize(login_hint="vipps-only").params.get("error") == "access_denied"
    assert "vipps-only" not in set(re.findall(r'data-persona="([^"]+)"', bankid.login_page().html))
    assert vipps.authorize(login_hint="vipps-only").params.get("code")


@pytest.fixture
def strict(client) -> FlaskRP:
    return FlaskRP(client, provider="vipps", client_id="vipps-strict", login_hint=None)


def test_strict_matches_redirect_uris_exactly(strict):
    assert strict.authorize(redirect_uri="http://127.0.0.1:5555/callback").status == 200  # the login page
    assert strict.authorize(redirect_uri="http://127.0.0.1:5556/callback").status == 400  # a page, nothing sent
    assert strict.authorize(redirect_uri="http://localhost:3000/api/auth/vipps/callback/").status == 400


def test_strict_takes_no_mock_login_hint_and_no_post(strict):
    hinted = strict.authorize(login_hint="adult", redirect_uri="http://127.0.0.1:5555/callback")
    assert hinted.params.get("error") == "invalid_request" and "next-login" in hinted.params["error_description"]
    assert strict.authorize(method="POST").status in (400, 405)


def test_strict_signs_in_through_the_login_page_and_the_queue(strict):
    tokens = sign_in(strict, redirect_uri="http://127.0.0.1:5555/callback")
    assert strict.userinfo(tokens["access_token"]).get_json()["nin"]
    strict.queue("vipps-only")
    queued = strict.authorize(redirect_uri="http://127.0.0.1:5555/callback")
    assert queued.params.get("code"), queued.location


def test_the_app_flow_parameters_are_accepted_and_ignored(vipps):
    answer = vipps.authorize(requested_flow="automatic_return_from_vipps_app", final_redirect_is_app="false",
                             app_callback_uri="drop://vipps")
    assert answer.params.get("code"), answer.location


DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_guides_url_table_is_what_discovery_says(client):
    doc = client.get(VIPPS_ISSUER_PATH + ".well-known/openid-configuration").get_json()
    table = dict(re.findall(r"^\| (\w[\w ]*?) \| `([^`]+)`", (DOCS / "vipps.md").read_text(), re.M))
    urls = {name: value.replace("{issuer}", doc["issuer"]).split(" ")[0] for name, value in table.items()}
    assert urls["issuer"] == doc["issuer"]
    assert urls["discovery"] == doc["issuer"] + ".well-known/openid-configuration"
    for name, key in (("authorize", "authorization_endpoint"), ("token", "token_endpoint"), ("JWKS", "jwks_uri"),
                      ("revoke", "revocation_endpoint"), ("logout", "end_session_endpoint"),
                      ("userinfo", "userinfo_endpoint")):
        assert urls[name] == doc[key], name


def test_the_guides_client_table_is_the_fixture_file():
    clients = tomllib.loads((Path(__file__).resolve().parent.parent / "fixtures" / "clients.toml").read_text())
    vipps_clients = {c["client_id"]: c for c in clients["client"] if c.get("provider") == "vipps"}
    rows = re.findall(r"^\| `([\w-]+)` \| `([\w-]+)` \| (yes|no) \| (dev|strict) \|",
                      (DOCS / "vipps.md").read_text(), re.M)
    assert {row[0] for row in rows} == set(vipps_clients)
    for client_id, secret, nin, profile in rows:
        entry = vipps_clients[client_id]
        assert entry["client_secret"] == secret and ("nin" in entry["scopes"]) == (nin == "yes")
        assert entry.get("profile", "dev") == profile


@pytest.mark.parametrize("doc", ["fidelity.md", "fidelity-vipps.md"])
def test_every_test_a_fidelity_row_names_exists(doc):
    """"Held by" names tests as ``file.py: test_a, test_b``; each must be a test function in that file."""
    tests = Path(__file__).resolve().parent
    missing = []
    for row in re.findall(r"^\|.*\|([^|]*)\|\s*$", (DOCS / doc).read_text(), re.M):
        for file, names in re.findall(r"(test_\w+\.py): ([\w, ]+)", row):
            source = (tests / file).read_text() if (tests / file).exists() else ""
            missing += [f"{file}: {name}" for name in re.findall(r"test_\w+", names)
                        if not re.search(rf"^(?:async )?def {name}\(", source, re.M)]
    assert not missing, f"{doc} names tests that do not exist: {missing}"


def test_each_realm_has_its_own_vipps(client):
    """A realm is a world of its own: BankID at /auth/realms/<name> and Vipps at /vipps/<name>/...,
    each with its own queue; the home realm's Vipps is at Vipps's own paths."""
    w1, w2 = FlaskRP(client, provider="vipps", realm="w1", login_hint=None), \
        FlaskRP(client, provider="vipps", realm="w2", login_hint=None)
    doc = w1.discovery()
    assert doc["issuer"] == BASE + "/vipps/w1" + VIPPS_ISSUER_PATH
    assert doc["userinfo_endpoint"] == BASE + "/vipps/w1/vipps-userinfo-api/userinfo"
    w1.queue("vipps-only")
    w2.queue("adult-25")
    one, two = w1.authorized(), w2.authorized()
    t1, t2 = w1.redeem(one).get_json(), w2.redeem(two).get_json()
    assert w1.claims(t1["id_token"])["iss"] == doc["issuer"]
    people = {p["id"]: p for p in client.get("/_mock/personas").get_json()["personas"]}
    assert w1.userinfo(t1["access_token"]).get_json()["nin"] == people["vipps-only"]["nnin"]
    assert w2.userinfo(t2["access_token"]).get_json()["nin"] == people["adult-25"]["nnin"]
    home = FlaskRP(client, provider="vipps", login_hint=None)
    assert home.userinfo(t1["access_token"]).status_code == 401, "a realm's token is not the home Vipps's"
    assert home.authorize().status == 200, "the home Vipps's queue is untouched: the login page"
    assert client.delete("/_mock/realms/w1").status_code in (200, 204)
    assert w1.userinfo(t1["access_token"]).status_code == 401, "forgetting a realm forgets its Vipps too"


def test_the_vipps_login_page_shows_the_scenario_bar_with_a_console_link(vipps, client):
    """A scenario on for Vipps shows on its login page, which links to the console (the server's
    own page, not Vipps's)."""
    assert client.put("/_mock/scenario?provider=vipps", json={"scenario": "slow", "seconds": 0}).status_code == 200
    page = vipps.login_page()
    assert 'data-testid="scenario-bar"' in page.html and 'href="/_mock/console/' in page.html


def test_newcomer_findings_at_vipps_name_vipps(vipps, client):
    """Answers at Vipps speak of Vipps, and say why a BankID client or token is not Vipps's."""
    plain = vipps.authorize(code_challenge_method="plain")
    assert "BankID refuses" not in plain.params["error_description"]
    assert "No Vipps session" in vipps.authorize(prompt="none", login_hint=None).params["error_description"]
    acr = vipps.authorize(acr_values="urn:bankid:bis")
    assert acr.params.get("code"), "a provider without acr values ignores acr_values"
    bankid_client = vipps.authorize(client_id="drop-web", redirect_uri="http://localhost:3000/api/auth/vipps/callback")
    assert bankid_client.status == 400 and "registered with another provider (bankid)" in bankid_client.text
    bankid_token = FlaskRP(client).tokens("adult")["access_token"]
    wrong = vipps.userinfo(bankid_token)
    assert wrong.status_code == 401 and "BankID access token" in wrong.get_json()["error_description"]
    strict = FlaskRP(client, provider="vipps", client_id="vipps-strict")
    hinted = strict.authorize(login_hint="BID", redirect_uri="http://127.0.0.1:5555/callback")
    assert "provider vipps" in hinted.params["error_description"]
    page = vipps.login_page(ui_locales="en", prompt="login")
    assert "invalid ones too" not in page.html
    assert "scenario-bankid-error" not in page.html, "a persona whose scenario Vipps lacks is not offered"


def test_a_realms_vipps_answers_only_its_own_tokens(client):
    home = FlaskRP(client, provider="vipps")
    token = home.tokens("adult")["access_token"]
    w1 = FlaskRP(client, provider="vipps", realm="w1")
    assert w1.userinfo(token).status_code == 401
    assert client.get("/vipps/current/access-management-1.0/access/.well-known/openid-configuration").status_code == 404
    made = client.post("/_mock/realms", json={"realm": "w3"}).get_json()
    assert made["providers"]["vipps"]["issuer"] == BASE + "/vipps/w3" + VIPPS_ISSUER_PATH
    minted = client.post("/_mock/token", json={"persona": "adult", "provider": "vipps"}).get_json()
    assert minted["persona"]["sub"] == minted["claims"]["id_token"]["sub"]
