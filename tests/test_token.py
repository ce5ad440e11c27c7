"""The token endpoint at unit level: client authentication, code rules, PKCE, and the tokens."""

from __future__ import annotations

import pytest
from joserfc import jwt
from rp import FlaskRP, at_hash_of, basic, public, secret_post

TOKEN = "/auth/realms/current/protocol/openid-connect/token"
ISSUER = "http://localhost:8080/auth/realms/current"
DROP_WEB_REDIRECT = "http://localhost:3000/api/auth/bankid/callback"


@pytest.fixture
def rp(client) -> FlaskRP:
    return FlaskRP(client, state="s1", nonce="n1")


def test_code_flow_issues_verifiable_tokens(rp):
    response = rp.redeem(rp.authorize())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    assert response.headers["Cache-Control"] == "no-store"
    keys = rp.keyset()
    idt = jwt.decode(body["id_token"], keys)
    claims = idt.claims
    assert idt.header["kid"] and idt.header["alg"] == "RS256"
    assert claims["iss"] == ISSUER and claims["aud"] == "ci" and claims["azp"] == "ci"
    assert claims["nonce"] == "n1"
    assert claims["exp"] - claims["iat"] == 300
    assert claims["at_hash"] == at_hash_of(body["access_token"], "RS256")
    assert claims["typ"] == "ID" and claims["acr"] == "urn:bankid:bid;LOA=4"
    assert isinstance(claims["amr"], list) and claims["amr"][0] == "bid"
    assert len(claims["nnin_altsub"]) == 11 and claims["pid"] == claims["nnin_altsub"]
    assert claims["birthdate"] and claims["given_name"] and claims["name"]
    for name in ("sub", "jti", "sid", "bankid_altsub", "api_ver", "nbf"):
        assert name in claims
    access = jwt.decode(body["access_token"], keys).claims
    assert access["typ"] == "Bearer" and access["sub"] == claims["sub"] and "nonce" not in access


def test_client_secret_post_works_for_ci(rp):
    response = rp.redeem(rp.authorize(), auth=secret_post("ci"))
    assert response.status_code == 200


def test_drop_web_may_use_client_secret_post_as_auth_js_does(rp):
    authz = rp.authorize(client_id="drop-web", redirect_uri=DROP_WEB_REDIRECT)
    response = rp.redeem(authz, auth=secret_post("drop-web"))
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_client_may_not_use_a_method_it_is_not_registered_for(rp):
    authz = rp.authorize(client_id="ci-secret-jwt")
    response = rp.redeem(authz, auth=secret_post("ci-secret-jwt"))
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert "not registered for client_secret_post" in response.get_json()["error_description"]


def test_wrong_secret_is_invalid_client_with_basic_challenge(rp):
    response = rp.redeem(rp.authorize(), auth=basic("ci", "wrong"))
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_public_client_without_secret(rp):
    authz = rp.authorize(client_id="drop-mobile", redirect_uri="drop://auth/callback", scope="openid nnin_altsub")
    response = rp.redeem(authz, auth=public("drop-mobile"))
    assert response.status_code == 200, response.get_json()
    assert "pid" in jwt.decode(response.get_json()["id_token"], rp.keyset()).claims


def test_confidential_client_cannot_act_public(rp):
    response = rp.redeem(rp.authorize(), auth=public("ci"))
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"


def test_code_works_once_and_replay_revokes_the_access_token(rp):
    authz = rp.authorize()
    first = rp.redeem(authz).get_json()
    assert rp.userinfo(first["access_token"]).status_code == 200
    second = rp.redeem(authz)
    assert second.status_code == 400 and second.get_json()["error"] == "invalid_grant"
    assert rp.userinfo(first["access_token"]).status_code == 401


def test_code_expires(client, rp):
    authz = rp.authorize()
    client.put("/_mock/clock", json={"advance": 61})
    response = rp.redeem(authz)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "form, error",
    [
        ({"redirect_uri": "http://127.0.0.1:5556/callback"}, "invalid_grant"),
        ({"code_verifier": None}, "invalid_request"),
        ({"code_verifier": "x" * 43}, "invalid_grant"),
        ({"code_verifier": "short"}, "invalid_grant"),
        ({"code": "not-a-code"}, "invalid_grant"),
        ({"code": None}, "invalid_request"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": None}, "invalid_request"),
    ],
)
def test_token_errors(rp, form, error):
    authz = rp.authorize()
    data = {"code": authz.code, "code_verifier": authz.verifier, **form}
    response = rp.redeem(data.pop("code"), data.pop("code_verifier"), **data)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == error and body["error_description"]


def test_code_of_another_client_is_invalid_grant(rp):
    authz = rp.sign_in(client_id="bankid-strict")
    response = rp.redeem(authz.code, authz.verifier, auth="ci")
    assert response.get_json()["error"] == "invalid_grant"


def test_grant_type_not_registered_is_unauthorized_client(rp):
    response = rp.post("token", {"grant_type": "client_credentials"}, auth="drop-web")
    assert response.status_code == 400
    assert response.get_json()["error"] in ("unauthorized_client", "unsupported_grant_type")


def test_json_body_is_refused(client):
    response = client.post(TOKEN, json={"grant_type": "authorization_code"},
                           headers={"Authorization": "Basic Y2k6Y2ktc2VjcmV0"})  # ci:ci-secret
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_strict_client_gets_no_pid_es256_and_signed_userinfo(rp):
    response = rp.redeem(rp.sign_in(client_id="bankid-strict", scope="openid profile nnin_altsub nnin email"))
    body = response.get_json()
    idt = jwt.decode(body["id_token"], rp.keyset())
    assert idt.header["alg"] == "ES256"
    assert "pid" not in idt.claims and len(idt.claims["nnin_altsub"]) == 11
    info = rp.userinfo(body["access_token"])
    assert info.mimetype == "application/jwt"
    claims = jwt.decode(info.get_data(as_text=True), rp.keyset()).claims
    assert claims["sub"] == idt.claims["sub"] and claims["aud"] == "bankid-strict"
    # TINFO's own issuer (the userinfo base URL), and an expiry: that of the access token
    assert claims["iss"] == "http://localhost:8080" != ISSUER
    access = jwt.decode(body["access_token"], rp.keyset()).claims
    assert claims["exp"] == access["exp"] and claims["iat"] <= claims["exp"]
    # headless: the user consented to nnin and email, which BankID's userinfo (TINFO) releases
    assert claims["nnin"] == idt.claims["nnin_altsub"] and claims["email"] and claims["given_name"] == idt.claims[
        "given_name"]


@pytest.mark.parametrize("scope, released", [
    ("openid email", {"email"}), ("openid phone address nnin", {"phone_number", "address", "nnin"})])
def test_userinfo_releases_the_consent_scopes(rp, scope, released):
    """BankID's consent service is "planned to be discontinued" (developer.bankid.no upcoming-changes,
    newer than important-updates-04-2025's "by the end of 2025"); "nnin scope can be used to ask user
    for consent". A headless sign-in consents to all, in every profile."""
    body = rp.redeem(rp.authorize(scope=scope)).get_json()
    info = rp.userinfo(body["access_token"]).get_json()
    assert set(info) == {"sub"} | released
    if "address" in info:  # BankID's parts only: a persona's address also has Vipps's region
        assert set(info["address"]) == {"formatted", "street_address", "postal_code", "locality", "country"}


def test_the_login_page_asks_consent_per_scope_and_userinfo_releases_only_what_was_given(rp):
    page = rp.login_page(client_id="bankid-strict", scope="openid profile nnin email phone")
    for scope in ("nnin", "email", "phone"):
        assert f'data-consent="{scope}"' in page.html
    assert 'data-consent="profile"' not in page.html  # profile needs no consent
    body = rp.redeem(rp.submit_login(page, persona="adult", consent_asked="1", consent=["nnin"])).get_json()
    idt = jwt.decode(body["id_token"], rp.keyset()).claims
    info = jwt.decode(rp.userinfo(body["access_token"]).get_data(as_text=True), rp.keyset()).claims
    assert len(info["nnin"]) == 11 and info["sub"] == idt["sub"]
    assert "email" not in info and "phone_number" not in info and info["given_name"] == idt["given_name"]
    assert body["scope"].split() == ["openid", "profile", "nnin"]  # declined scopes are not granted


def test_userinfo_is_scope_filtered(rp):
    body = rp.redeem(rp.authorize(scope="openid profile")).get_json()
    info = rp.userinfo(body["access_token"]).get_json()
    assert set(info) == {"sub", "name", "given_name", "family_name", "birthdate", "updated_at"}


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer not-a-jwt", "Basic abc"])
def test_userinfo_without_valid_token_is_401(client, header):
    response = client.get("/userinfo", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"] == "invalid_token"


def test_userinfo_rejects_expired_token(client, rp):
    body = rp.redeem(rp.authorize()).get_json()
    client.put("/_mock/clock", json={"advance": 301})
    assert rp.userinfo(body["access_token"]).status_code == 401


def test_userinfo_post_is_not_supported(client):
    assert client.post("/userinfo").status_code == 405


def test_jwks_has_only_public_keys(client):
    response = client.get("/auth/realms/current/protocol/openid-connect/certs")
    keys = response.get_json()["keys"]
    assert keys and all(k["kid"] and k["use"] == ("enc" if k is keys[-1] else "sig") and k["alg"] for k in keys)
    assert not any(set(k) & {"d", "p", "q", "dp", "dq", "qi"} for k in keys)
    assert "max-age" in response.headers["Cache-Control"]


def test_discovery_says_mock_and_matches_routes(client):
    doc = client.get("/auth/realms/current/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == ISSUER
    assert doc["authorization_endpoint"] == ISSUER + "/precheck/auth"
    assert doc["jwks_uri"] == ISSUER + "/protocol/openid-connect/certs"
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert "MOCK" in doc["release"] and doc["mock"] is True
    for key in ("token_endpoint", "jwks_uri", "userinfo_endpoint"):
        path = doc[key].replace("http://localhost:8080", "")
        method = client.post if key == "token_endpoint" else client.get
        assert method(path).status_code != 404, key


def test_unknown_path_is_json_404_not_a_stack_trace(client):
    response = client.get("/nope")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
