"""What the shipped clients let relying-party libraries do, at unit level (Flask test client).

Redirect matching (localhost on any port for dev clients, exact for ``bankid-strict``), the
``login_hint`` method selectors and the claims they lead to, userinfo as a JWT when asked, and
CORS for browser clients. The libraries themselves run in tests/test_e2e_clients.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import FIXTURES
from joserfc import jwt
from rp import FlaskRP, public

from mock_bankid.app import create_app
from mock_bankid.bankid.login_hint import hinted_acr_value, requested_acr_values
from mock_bankid.core.settings import Settings
from mock_bankid.oidc.clients import client_from_dict

ISSUER_PATH = "/auth/realms/current"
AUTH = f"{ISSUER_PATH}/precheck/auth"
TOKEN = f"{ISSUER_PATH}/protocol/openid-connect/token"
REVOKE = f"{ISSUER_PATH}/protocol/openid-connect/revoke"
LOGOUT = f"{ISSUER_PATH}/protocol/openid-connect/logout"
DISCOVERY = f"{ISSUER_PATH}/.well-known/openid-configuration"
JWKS = f"{ISSUER_PATH}/protocol/openid-connect/certs"
BIS = ("urn:bankid:bis;LOA=3", ["bis-mfa", "bis-hwk"])
BID = ("urn:bankid:bid;LOA=4", ["bid", "bid-mfa", "bid-app", "bid-pwd"])


@pytest.fixture
def rp(client) -> FlaskRP:
    """The driver as this module uses it: no login_hint unless a test gives one; fixed state and nonce."""
    return FlaskRP(client, login_hint=None, state="s1", nonce="n1")


# --- redirect URIs ------------------------------------------------------------------------------
@pytest.mark.parametrize("client_id, uri", [
    ("drop-web", "http://localhost:3000/api/auth/callback/bankid-no"),
    ("drop-web", "http://localhost:4711/api/auth/callback/bankid-no"),
    ("drop-web", "http://localhost:4711/api/auth/bankid/callback"),
    ("drop-web", "http://localhost/api/auth/bankid/callback"),
    ("ci", "http://localhost:5555/callback"),  # registered as http://127.0.0.1/callback
    ("drop-spa", "http://localhost:40123/callback"),
    ("drop-mobile", "http://localhost:19006/auth/callback"),
    ("bankid-strict", "http://localhost:3000/api/auth/callback/bankid-no"),
    ("bankid-strict", "http://localhost:3000/api/auth/bankid/callback"),
])
def test_registered_callbacks_are_accepted(rp, client_id, uri):
    response = rp.authorize(client_id=client_id, redirect_uri=uri, login_hint="adult").response
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert response.headers["Location"].startswith(uri + "?")


@pytest.mark.parametrize("client_id, uri", [
    ("bankid-strict", "http://localhost:3001/api/auth/callback/bankid-no"),  # strict: exact, as BankID
    ("bankid-strict", "http://localhost/api/auth/bankid/callback"),
    ("drop-web", "http://localhost:4711/api/auth/callback/bankid-no/"),  # another path
    ("drop-web", "http://127.0.0.1:3000/api/auth/callback/bankid-no"),  # only localhost is extended
    ("drop-web", "https://localhost:3000/api/auth/callback/bankid-no"),  # another scheme
    ("drop-web", "http://user@localhost:3000/api/auth/callback/bankid-no"),
    ("drop-web", "http://localhost:99999/api/auth/callback/bankid-no"),
    ("drop-web", "http://localhost.evil.example:3000/api/auth/callback/bankid-no"),
])
def test_other_callbacks_are_refused_without_a_redirect(rp, client_id, uri):
    response = rp.authorize(client_id=client_id, redirect_uri=uri, login_hint="adult").response
    assert response.status_code == 400 and "Location" not in response.headers
    assert "redirect_uri_mismatch" in response.get_data(as_text=True)


def test_profile_must_be_dev_or_strict():
    with pytest.raises(ValueError, match="profile must be one of dev, strict"):
        client_from_dict({"client_id": "x", "redirect_uris": [], "profile": "lenient"})


# --- login_hint method selectors ---------------------------------------------------------------
@pytest.mark.parametrize("hint, value", [
    ("BID", "urn:bankid:bid"), ("BIS", "urn:bankid:bis"), ("bis", "urn:bankid:bis"), ("BIM", "urn:bankid:bid"),
    ("BID:12038500110", "urn:bankid:bid"), ("BIS:12038500110", "urn:bankid:bis"),
    ("BIM:48058567:070253", "urn:bankid:bid"), (":12038500110", None), ("", None), (None, None),
    ("adult", None), ("bisexual-persona", None), ("age:17", None), ('{"scheme":"nnin","value":"1"}', None),
])
def test_hinted_acr_value(hint, value):
    assert hinted_acr_value(hint) == value


def test_acr_values_win_over_the_legacy_login_hint():
    assert requested_acr_values("urn:bankid:bid", "BIS") == "urn:bankid:bid"
    assert requested_acr_values(None, "BIS") == "urn:bankid:bis"
    assert requested_acr_values("urn:other", "BIS") == "urn:bankid:bis"
    assert requested_acr_values(None, "adult") is None


def claims_after_login_page(rp: FlaskRP, **extra) -> dict:
    """The login page is shown (the hint names nobody), a persona is picked, the code redeemed."""
    done = rp.submit_login(rp.login_page(**extra), persona="adult")
    assert done.status == 302, done.text[:300]
    return rp.claims(rp.redeem(done).get_json()["id_token"])


@pytest.mark.parametrize("hint, expected", [("BIS", BIS), ("BID", BID), ("BIM", BID), ("", BID)])
def test_login_hint_selector_then_login_page_gives_the_methods_acr_and_amr(rp, hint, expected):
    claims = claims_after_login_page(rp, login_hint=hint or None)
    assert (claims["acr"], claims["amr"]) == expected


def test_bis_with_a_number_signs_that_person_in_with_biometrics(rp):
    claims = rp.claims(rp.tokens(login_hint="BIS:12038500110")["id_token"])
    assert claims["nnin_altsub"] == "12038500110"
    assert (claims["acr"], claims["amr"]) == BIS


def test_acr_values_decide_when_both_are_sent(rp):
    claims = rp.claims(rp.tokens(login_hint="BIS:12038500110", acr_values="urn:bankid:bid")["id_token"])
    assert claims["acr"] == BID[0]


def test_a_bankid_high_session_is_not_reused_for_a_biometrics_hint(rp):
    first = rp.claims(rp.tokens(login_hint="adult")["id_token"])
    assert first["acr"] == BID[0]
    response = rp.authorize(login_hint="BIS").response
    assert response.status_code == 200 and "<form" in response.get_data(as_text=True), "the login page, not SSO"
    response = rp.authorize(login_hint="BID").response
    assert response.status_code == 302, "a BankID High session serves a BankID High hint"


def test_access_token_and_introspection_carry_the_same_acr(rp):
    body = rp.tokens(login_hint="BIS:12038500110")
    access = rp.claims(body["access_token"])
    assert (access["acr"], access["amr"]) == BIS


# --- userinfo: JSON, or a signed JWT when asked ----------------------------------------------------
def userinfo(rp: FlaskRP, access_token: str, accept: str | None = None):
    return rp.userinfo(access_token, headers={"Accept": accept} if accept is not None else None)


@pytest.mark.parametrize("accept, signed", [
    (None, False), ("*/*", False), ("application/json", False), ("application/json, application/jwt", False),
    ("application/jwt", True), ("application/jwt, */*;q=0.1", True), ("application/json;q=0.5, application/jwt", True),
])
def test_drop_web_userinfo_is_a_jwt_when_the_request_prefers_one(rp, accept, signed):
    body = rp.tokens(client_id="drop-web", redirect_uri="http://localhost:3000/api/auth/callback/bankid-no")
    response = userinfo(rp, body["access_token"], accept)
    assert response.status_code == 200
    if not signed:
        assert response.mimetype == "application/json" and response.get_json()["sub"]
        return
    assert response.mimetype == "application/jwt"
    token = jwt.decode(response.get_data(as_text=True), rp.keyset(), algorithms=["RS256"])
    assert token.header["alg"] == "RS256"
    assert token.claims["aud"] == "drop-web" and token.claims["name"] and token.claims["exp"] > token.claims["iat"]
    assert token.claims["iss"].endswith(ISSUER_PATH)  # drop-web opts in to the OIDC issuer (default: TINFO's)


def test_authjs_shaped_request_gets_nnin_from_userinfo_after_consent(rp):
    """Auth.js's bankid-no provider as it asks: client_secret_post, Accept: application/jwt, here with
    scope nnin. The page asks consent for nnin; ticked, userinfo's JWT carries the number. A dev client
    without the opt-in gets TINFO's iss there, as from BankID."""
    redirect = "http://localhost:3000/api/auth/callback/bankid-no"
    page = rp.login_page(client_id="drop-web", redirect_uri=redirect, scope="openid profile nnin")
    assert 'data-consent="nnin"' in page.html
    body = rp.redeem(rp.submit_login(page, persona="adult", consent_asked="1", consent=["nnin"])).get_json()
    claims = jwt.decode(userinfo(rp, body["access_token"], "application/jwt").get_data(as_text=True),
                        rp.keyset()).claims
    assert claims["nnin"] == jwt.decode(body["id_token"], rp.keyset()).claims["pid"] and claims["iss"].endswith(
        ISSUER_PATH)
    refused = rp.login_page(client_id="drop-web", redirect_uri=redirect, scope="openid profile nnin", prompt="login")
    body = rp.redeem(rp.submit_login(refused, persona="adult", consent_asked="1")).get_json()
    assert "nnin" not in userinfo(rp, body["access_token"]).get_json()  # consent refused: nothing released
    ci = rp.tokens(client_id="ci", scope="openid profile email")
    signed = jwt.decode(userinfo(rp, ci["access_token"], "application/jwt").get_data(as_text=True), rp.keyset())
    assert not signed.claims["iss"].endswith(ISSUER_PATH)  # TINFO's: the userinfo base URL


def test_bankid_strict_userinfo_is_always_a_jwt(rp):
    body = rp.tokens(client_id="bankid-strict", redirect_uri="http://localhost:3000/api/auth/bankid/callback")
    assert userinfo(rp, body["access_token"], "application/json").mimetype == "application/jwt"


# --- CORS -----------------------------------------------------------------------------------------
def cors(response) -> str | None:
    return response.headers.get("Access-Control-Allow-Origin")


def preflight(client, path: str, origin: str, method: str = "POST", headers: str = "authorization"):
    return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                         "Access-Control-Request-Headers": headers})


@pytest.mark.parametrize("path", [DISCOVERY, JWKS])
def test_discovery_and_jwks_are_readable_from_any_origin(client, path):
    response = client.get(path, headers={"Origin": "https://any.example"})
    assert response.status_code == 200 and cors(response) == "*"
    answer = preflight(client, path, "https://any.example", "GET")
    assert cors(answer) == "*" and "GET" in answer.headers["Access-Control-Allow-Methods"]


def test_no_cors_headers_without_an_origin_or_elsewhere(client):
    assert cors(client.get(DISCOVERY)) is None
    assert cors(client.get(AUTH, headers={"Origin": "http://localhost:5173"})) is None
    assert cors(client.get("/_mock/personas", headers={"Origin": "http://localhost:5173"})) is None


@pytest.mark.parametrize("path, method", [(TOKEN, "POST"), ("/userinfo", "GET"), (REVOKE, "POST"), (LOGOUT, "GET")])
def test_preflight_for_a_registered_origin(client, path, method):
    answer = preflight(client, path, "http://localhost:5173", method)
    assert answer.status_code in (200, 204)
    assert cors(answer) == "http://localhost:5173"
    assert method in answer.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]
    assert "Origin" in answer.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in answer.headers


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://localhost.evil.example:5173",
                                    "http://localhost:5173/path", "https://localhost:5173", "http://[::1", ""])
def test_preflight_for_other_origins_gets_no_cors(client, origin):
    answer = preflight(client, TOKEN, origin)
    assert cors(answer) is None and "Access-Control-Allow-Methods" not in answer.headers


def test_token_response_for_the_clients_own_origin_only(client, rp):
    """drop-spa's redirect URIs admit http://127.0.0.1 (any port); drop-web's do not."""
    origin = "http://127.0.0.1:4000"
    authz = rp.authorize(client_id="drop-spa", redirect_uri="http://127.0.0.1:4000/callback", login_hint="adult")
    answer = rp.redeem(authz, auth=public("drop-spa"), headers={"Origin": origin})
    assert answer.status_code == 200 and cors(answer) == origin and "Origin" in answer.headers["Vary"]

    refused = rp.post("token", {"grant_type": "authorization_code", "code": "x"}, auth="drop-web",
                      headers={"Origin": origin})
    assert refused.status_code == 400 and cors(refused) is None, "drop-web is not registered for that origin"
    unknown = client.post(TOKEN, headers={"Origin": origin},
                          data={"grant_type": "authorization_code", "client_id": "nobody"})
    assert unknown.status_code == 401 and cors(unknown) == origin, "an invalid_client error is readable"


def test_userinfo_answers_the_access_tokens_clients_origin(client, rp):
    body = rp.tokens(client_id="drop-web", redirect_uri="http://localhost:3000/api/auth/bankid/callback")
    mine = rp.userinfo(body["access_token"], headers={"Origin": "http://localhost:3000"})
    assert mine.status_code == 200 and cors(mine) == "http://localhost:3000"
    assert "WWW-Authenticate" in mine.headers["Access-Control-Expose-Headers"]
    other = rp.userinfo(body["access_token"], headers={"Origin": "http://127.0.0.1:3000"})
    assert other.status_code == 200 and cors(other) is None
    bad = client.get("/userinfo", headers={"Authorization": "Bearer not.a.token", "Origin": "http://localhost:3000"})
    assert bad.status_code == 401 and cors(bad) == "http://localhost:3000"


def test_allowed_origins_in_clients_toml_replace_the_derived_ones(tmp_path, app):
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, fixtures)
    with (fixtures / "clients.toml").open("a") as fh:
        fh.write('\n[[client]]\nclient_id = "web-app"\nauth_methods = ["none"]\n'
                 'redirect_uris = ["http://localhost:5173/callback"]\nallowed_origins = ["https://app.example:8443"]\n')
    settings: Settings = app.extensions["mock_bankid"].settings
    c = create_app(settings.with_(fixtures_dir=fixtures, keys_dir=tmp_path / "keys")).test_client()
    form = {"grant_type": "authorization_code", "client_id": "web-app", "code": "x"}
    assert cors(c.post(TOKEN, data=form, headers={"Origin": "https://app.example:8443"})) == "https://app.example:8443"
    assert cors(c.post(TOKEN, data=form, headers={"Origin": "http://localhost:5173"})) is None


def test_a_huge_body_from_a_browser_is_a_clean_413(client):
    answer = client.post(TOKEN, headers={"Origin": "http://localhost:5173"},
                         data={"grant_type": "authorization_code", "code": "x" * (2 * 1024 * 1024)})
    assert answer.status_code == 413


def test_logout_answers_the_hinted_clients_origin(client, rp):
    body = rp.tokens(client_id="drop-web", redirect_uri="http://localhost:3000/api/auth/bankid/callback")
    answer = client.get(LOGOUT + "?" + urlencode({"id_token_hint": body["id_token"]}), headers={"Origin": "http://localhost:3000"})
    assert answer.status_code == 200 and cors(answer) == "http://localhost:3000"


def test_fixture_file_names_a_library_for_every_client():
    text = Path(FIXTURES / "clients.toml").read_text()
    for block in text.split("[[client]]")[1:]:
        if 'client_id = "ci-' in block:
            continue  # the JWT-auth test clients
        assert "fits" in block.lower(), block[:200]
