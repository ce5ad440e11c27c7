"""The rest of the protocol at unit level (Flask test client, mock clock): refresh, client
credentials, JWT client authentication, introspection, revocation, logout, SSO, key rotation,
discovery and ``mint_for_tests``. Every misuse must get the RFC's error code.
"""

from __future__ import annotations

import base64
import json
import shutil
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from conftest import FIXTURES
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey
from rp import ASSERTION_TYPE, CI_JWT_RSA, NO_AUTH, SECRETS, Authorization, FlaskRP, at_hash_of, basic

from mock_bankid.app import create_app

ISSUER = "http://localhost:8080/auth/realms/current"
P = "/auth/realms/current"
AUTH = P + "/precheck/auth"
TOKEN = P + "/protocol/openid-connect/token"
INTROSPECT = P + "/protocol/openid-connect/token/introspect"
REVOKE = P + "/protocol/openid-connect/revoke"
LOGOUT = P + "/protocol/openid-connect/logout"
CERTS = P + "/protocol/openid-connect/certs"
OTHER_RSA_KEY = RSAKey.generate_key(2048, parameters={"kid": CI_JWT_RSA.kid})  # same kid, wrong key
SCOPE = "openid profile nnin_altsub offline_access"


def rp_on(client) -> FlaskRP:
    """The driver as this module uses it: offline_access by default, fixed state and nonce."""
    return FlaskRP(client, scope=SCOPE, state="s1", nonce="n1")


@pytest.fixture
def rp(client) -> FlaskRP:
    return rp_on(client)


def bare(rp: FlaskRP, **extra) -> Authorization:
    """An authorization request without a login_hint: the SSO session answers it (a code) or the login page."""
    return rp.authorize(scope="openid", login_hint=None, state="s", nonce="n", **extra)


def client_credentials(rp: FlaskRP, client_id: str = "ci-jwt", **assertion):
    """The client_credentials grant authenticated by a client assertion alone (``assertion``: its overrides)."""
    return rp.post("token", rp.client_assertion(client_id, **assertion), auth=NO_AUTH, grant_type="client_credentials")


def error_of(response, status: int = 400) -> str:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    return response.get_json()["error"]


# --- refresh tokens ---------------------------------------------------------------------------------
def test_refresh_token_only_with_offline_access(rp):
    assert "refresh_token" not in rp.tokens(scope="openid profile")
    body = rp.tokens()
    assert body["refresh_token"] and body["refresh_expires_in"] == 1800


def test_refresh_rotates_and_keeps_the_identity(client, rp):
    first = rp.tokens()
    original = rp.claims(first["id_token"])
    client.put("/_mock/clock", json={"advance": 120})
    response = rp.refresh(first["refresh_token"])
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    second = response.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == "openid profile nnin_altsub offline_access"
    fresh = rp.claims(second["id_token"])
    for name in ("sub", "sid", "acr", "amr", "auth_time", "aud", "iss", "azp", "bankid_altsub", "nnin_altsub"):
        assert fresh[name] == original[name], name
    # the clock moved 120 s; real time moves on too, and may cross a second between the two
    assert 120 <= fresh["iat"] - original["iat"] <= 121 and fresh["exp"] == fresh["iat"] + 300
    assert fresh["jti"] != original["jti"] and "nonce" not in fresh
    assert fresh["at_hash"] == at_hash_of(second["access_token"], "RS256")
    assert rp.userinfo(second["access_token"]).status_code == 200


def test_refresh_keeps_es256_for_a_strict_client(rp):
    body = rp.tokens(client_id="bankid-strict")
    again = rp.refresh(body["refresh_token"], auth="bankid-strict").get_json()
    assert jwt.decode(again["id_token"], rp.keyset()).header["alg"] == "ES256"


def test_reused_refresh_token_revokes_the_family(rp):
    first = rp.tokens()
    second = rp.refresh(first["refresh_token"]).get_json()
    assert rp.userinfo(second["access_token"]).status_code == 200
    replay = rp.refresh(first["refresh_token"])
    assert error_of(replay) == "invalid_grant" and "revoked" in replay.get_json()["error_description"]
    assert error_of(rp.refresh(second["refresh_token"])) == "invalid_grant"
    assert rp.userinfo(second["access_token"]).status_code == 401
    assert rp.userinfo(first["access_token"]).status_code == 401


def test_refresh_token_of_another_client_is_invalid_grant_and_not_spent(rp):
    body = rp.tokens()
    assert error_of(rp.refresh(body["refresh_token"], auth="bankid-strict")) == "invalid_grant"
    assert rp.refresh(body["refresh_token"]).status_code == 200


def test_refresh_may_narrow_but_not_widen_the_scope(rp):
    body = rp.tokens()
    narrowed = rp.refresh(body["refresh_token"], scope="openid offline_access").get_json()
    assert narrowed["scope"] == "openid offline_access"
    assert "given_name" not in rp.claims(narrowed["id_token"])
    # the new refresh token still carries the original scope (RFC 6749 §6)
    full = rp.refresh(narrowed["refresh_token"]).get_json()
    assert full["scope"] == "openid profile nnin_altsub offline_access"
    assert error_of(rp.refresh(full["refresh_token"], scope="openid email")) == "invalid_scope"


def test_refresh_token_expires(client, rp):
    body = rp.tokens()
    client.put("/_mock/clock", json={"advance": 1801})
    assert error_of(rp.refresh(body["refresh_token"])) == "invalid_grant"


@pytest.mark.parametrize("form, error", [({"refresh_token": None}, "invalid_request"),
                                         ({"refresh_token": "nope"}, "invalid_grant")])
def test_refresh_bad_requests(rp, form, error):
    assert error_of(rp.post("token", grant_type="refresh_token", **form)) == error


def test_refresh_survives_a_restart_with_sqlite(settings):
    sqlite = settings.with_(store="sqlite")
    c1 = create_app(sqlite).test_client()
    body = rp_on(c1).tokens()
    c2 = create_app(sqlite).test_client()
    response = rp_on(c2).refresh(body["refresh_token"])
    assert response.status_code == 200, response.get_json()
    assert error_of(rp_on(c1).refresh(body["refresh_token"])) == "invalid_grant"


def test_replayed_code_also_revokes_its_refresh_token(rp):
    authz = rp.authorize()
    body = rp.redeem(authz).get_json()
    assert error_of(rp.redeem(authz)) == "invalid_grant"
    assert error_of(rp.refresh(body["refresh_token"])) == "invalid_grant"


# --- client credentials --------------------------------------------------------------------------------
def test_client_credentials_gives_a_client_token_without_identity(rp):
    response = rp.post("token", grant_type="client_credentials")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert "id_token" not in body and "refresh_token" not in body and "scope" not in body
    claims = rp.claims(body["access_token"])
    assert claims["sub"] == "ci" and claims["client_id"] == "ci" and claims["typ"] == "Bearer"
    assert not {"bankid_altsub", "acr", "amr", "sid", "auth_time"} & set(claims)
    assert rp.userinfo(body["access_token"]).status_code == 401


def test_client_credentials_drops_identity_scopes_and_refuses_unregistered(rp):
    body = rp.post("token", grant_type="client_credentials", scope="openid profile").get_json()
    assert "scope" not in body and rp.claims(body["access_token"])["scope"] == ""
    assert error_of(rp.post("token", grant_type="client_credentials", scope="esign/b2b")) == "invalid_scope"


def test_client_credentials_not_registered(rp):
    response = rp.post("token", auth="drop-web", grant_type="client_credentials")
    assert error_of(response) == "unauthorized_client"


def test_client_credentials_keeps_registered_resource_scopes(tmp_path, settings):
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, fixtures)
    with (fixtures / "clients.toml").open("a") as fh:
        fh.write('\n[[client]]\nclient_id = "svc"\nclient_secret = "svc-secret"\nredirect_uris = []\n'
                 'scopes = ["openid", "reports:read"]\ngrant_types = ["client_credentials"]\n')
    c = create_app(settings.with_(fixtures_dir=fixtures)).test_client()
    svc = basic("svc", "svc-secret")
    body = FlaskRP(c).post("token", auth=svc, grant_type="client_credentials").get_json()
    assert body["scope"] == "reports:read"
    body = FlaskRP(c).post("token", auth=svc, grant_type="client_credentials", scope="openid reports:read").get_json()
    assert body["scope"] == "reports:read"


# --- JWT client authentication ------------------------------------------------------------------------
@pytest.mark.parametrize("alg", ["RS256", "ES256"])
@pytest.mark.parametrize("aud", [ISSUER, ISSUER + "/protocol/openid-connect/token", [ISSUER, "other"]])
def test_private_key_jwt_works(client, rp, alg, aud):
    response = client_credentials(rp, alg=alg, aud=aud)
    assert response.status_code == 200, response.get_json()
    assert rp.claims(response.get_json()["access_token"])["sub"] == "ci-jwt"


def test_private_key_jwt_without_kid_tries_the_registered_keys(client, rp):
    response = client_credentials(rp, alg="ES256", kid=False)
    assert response.status_code == 200, response.get_json()


def test_private_key_jwt_full_code_flow_and_refresh(rp):
    body = rp.tokens(client_id="ci-jwt")
    assert rp.claims(body["id_token"])["aud"] == "ci-jwt"
    assert rp.refresh(body["refresh_token"], auth="ci-jwt").status_code == 200


def test_client_secret_jwt_works(client, rp):
    response = client_credentials(rp, "ci-secret-jwt", alg="HS256")
    assert response.status_code == 200, response.get_json()


def _misuse(rp):
    t = rp.now()
    other = OTHER_RSA_KEY
    shared_secret = OctKey.import_key(SECRETS["ci-secret-jwt"])
    return {
        "replayed jti": None,
        "expired": rp.client_assertion(exp=t - 60, iat=t - 120),
        "exp too far ahead": rp.client_assertion(exp=t + 3600),
        "no exp": rp.client_assertion(exp=None),
        "no jti": rp.client_assertion(jti=None),
        "wrong aud": rp.client_assertion(aud="http://localhost:8080/auth/realms/other"),
        "no aud": rp.client_assertion(aud=None),
        "iss is not sub": rp.client_assertion(sub="ci"),
        "unknown client": rp.client_assertion("nobody", iss="nobody", sub="nobody"),
        "wrong key": rp.client_assertion(key=other),
        "not future nbf": rp.client_assertion(nbf=t + 600),
        "method not registered": rp.client_assertion(alg="HS256", key=shared_secret),
        "wrong secret": rp.client_assertion("ci-secret-jwt", alg="HS256", key=OctKey.import_key("x" * 40)),
        "alg none-ish": {**rp.client_assertion(), "client_assertion": "e30.e30."},
        "wrong type": {**rp.client_assertion(), "client_assertion_type": "urn:example:other"},
        "body client_id differs": {**rp.client_assertion(), "client_id": "ci"},
        "not a jwt": {**rp.client_assertion(), "client_assertion": "garbage"},
        "exp not a number": rp.client_assertion(exp="soon"),
        "exp NaN": _nan_exp_assertion(),
    }


def _nan_exp_assertion() -> dict:
    """Python's json reads NaN; an assertion with ``"exp": NaN`` must be refused, not crash."""
    header = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": CI_JWT_RSA.kid}).encode()).rstrip(b"=")
    body = base64.urlsafe_b64encode(
        f'{{"iss":"ci-jwt","sub":"ci-jwt","aud":"{ISSUER}","jti":"{uuid.uuid4()}","exp":NaN}}'.encode()).rstrip(b"=")
    signing_input = header + b"." + body
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signature = CI_JWT_RSA.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    token = (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": token}


MISUSE_CASES = ["replayed jti", "expired", "exp too far ahead", "no exp", "no jti", "wrong aud", "no aud",
                "iss is not sub", "unknown client", "wrong key", "not future nbf", "method not registered",
                "wrong secret", "alg none-ish", "wrong type", "body client_id differs", "not a jwt",
                "exp not a number", "exp NaN"]


@pytest.mark.parametrize("case", MISUSE_CASES)
def test_jwt_client_auth_misuse_is_invalid_client(client, rp, case):
    form = _misuse(rp)[case]
    if case == "replayed jti":
        form = rp.client_assertion()
        assert client.post(TOKEN, data={"grant_type": "client_credentials", **form}).status_code == 200
    response = client.post(TOKEN, data={"grant_type": "client_credentials", **form})
    assert error_of(response, 401) == "invalid_client", case
    assert response.get_json()["error_description"]


def test_private_key_jwt_client_cannot_use_a_secret(rp):
    response = rp.post("token", auth=basic("ci-jwt", "anything"), grant_type="client_credentials")
    assert error_of(response, 401) == "invalid_client"


def test_basic_and_assertion_together_is_invalid_request(rp):
    response = rp.post("token", {"grant_type": "client_credentials", **rp.client_assertion()}, auth="ci")
    assert error_of(response) == "invalid_request"


class _JWKSHandler(BaseHTTPRequestHandler):
    jwks: ClassVar[dict] = {}
    hits = 0

    def do_GET(self) -> None:
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://keys.example.com/jwks.json")
            self.end_headers()
            return
        type(self).hits += 1
        data = json.dumps(type(self).jwks).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.serves
def test_private_key_jwt_with_a_loopback_jwks_uri(tmp_path, settings):
    key = ECKey.generate_key("P-256", parameters={"kid": "uri-key-1"})
    rsa = RSAKey.generate_key(2048, parameters={"kid": "uri-rsa"})  # no "alg": usable for RS256 and PS256
    _JWKSHandler.jwks = {"keys": [key.as_dict(private=False), rsa.as_dict(private=False)]}
    _JWKSHandler.hits = 0
    server = HTTPServer(("127.0.0.1", 0), _JWKSHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        fixtures = tmp_path / "fixtures"
        shutil.copytree(FIXTURES, fixtures)
        with (fixtures / "clients.toml").open("a") as fh:
            port = server.server_port
            for client_id, uri in (("ci-jwks-uri", f"http://127.0.0.1:{port}/jwks.json"),
                                   ("ci-jwks-remote", "http://keys.example.com/jwks.json"),
                                   ("ci-jwks-redirect", f"http://127.0.0.1:{port}/redirect")):
                fh.write(f'\n[[client]]\nclient_id = "{client_id}"\nauth_methods = ["private_key_jwt"]\n'
                         f'redirect_uris = []\njwks_uri = "{uri}"\ngrant_types = ["client_credentials"]\n')
        c = create_app(settings.with_(fixtures_dir=fixtures)).test_client()
        ok = client_credentials(FlaskRP(c), "ci-jwks-uri", key=key, alg="ES256")
        assert ok.status_code == 200, ok.get_json()
        ps = client_credentials(FlaskRP(c), "ci-jwks-uri", key=rsa, alg="PS256")
        assert ps.status_code == 200, ps.get_json()
        # the client rotates its key: an unknown kid makes the mock fetch the jwks_uri again
        rotated = ECKey.generate_key("P-256", parameters={"kid": "uri-key-2"})
        _JWKSHandler.jwks = {"keys": [rotated.as_dict(private=False)]}
        again = client_credentials(FlaskRP(c), "ci-jwks-uri", key=rotated, alg="ES256")
        assert again.status_code == 200, again.get_json()
        assert _JWKSHandler.hits == 2
        remote = client_credentials(FlaskRP(c), "ci-jwks-remote", key=key, alg="ES256")
        assert error_of(remote, 401) == "invalid_client" and "loopback" in remote.get_json()["error_description"]
        moved = client_credentials(FlaskRP(c), "ci-jwks-redirect", key=key, alg="ES256")
        assert error_of(moved, 401) == "invalid_client" and "redirects" in moved.get_json()["error_description"]
    finally:
        server.shutdown()
        server.server_close()


# --- introspection -------------------------------------------------------------------------------------
def test_introspection_of_own_tokens(rp):
    body = rp.tokens()
    access = rp.introspect(token=body["access_token"]).get_json()
    assert access["active"] is True and access["client_id"] == "ci"
    assert "token_type" not in access and "username" not in access  # BankID: the token's claims + active, client_id
    assert access["nnin_altsub"] == rp.claims(body["id_token"])["nnin_altsub"]
    assert access["sub"] == rp.claims(body["id_token"])["sub"] and access["exp"] > rp.now()
    assert access["scope"] == "openid profile nnin_altsub offline_access"
    refresh = rp.introspect(token=body["refresh_token"], token_type_hint="refresh_token").get_json()
    assert refresh["active"] is True and refresh["client_id"] == "ci" and refresh["sub"] == access["sub"]


def test_introspection_via_private_key_jwt(rp):
    body = rp.tokens(client_id="ci-jwt")
    assert rp.introspect(auth="ci-jwt", token=body["access_token"]).get_json()["active"] is True


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
def test_introspection_of_someone_elses_token_is_inactive_not_an_error(rp, which):
    body = rp.tokens()
    response = rp.introspect(auth="bankid-strict", token=body[which])
    assert response.status_code == 200 and response.get_json() == {"active": False}


def test_introspection_inactive_cases(client, rp):
    body = rp.tokens()
    assert rp.introspect(token="garbage").get_json() == {"active": False}
    assert rp.introspect(token=body["id_token"]).get_json() == {"active": False}
    client.put("/_mock/clock", json={"advance": 301})
    assert rp.introspect(token=body["access_token"]).get_json() == {"active": False}
    assert rp.introspect(token=body["refresh_token"]).get_json()["active"] is True


@pytest.mark.parametrize("auth, form, status, error", [
    (NO_AUTH, {}, 401, "invalid_client"),
    (NO_AUTH, {"client_id": "drop-mobile"}, 401, "invalid_client"),
    (basic("ci", "wrong"), {}, 401, "invalid_client"),
    (basic("ci"), {"token": None}, 400, "invalid_request"),
])
def test_introspection_needs_an_authenticated_client_and_a_token(rp, auth, form, status, error):
    response = rp.post("introspect", {"token": "x", **form}, auth=auth)
    assert error_of(response, status) == error


# --- revocation ----------------------------------------------------------------------------------------
def test_revoking_a_refresh_token_ends_its_family(rp):
    body = rp.tokens()
    response = rp.revoke(token=body["refresh_token"], token_type_hint="refresh_token")
    assert response.status_code == 200
    assert error_of(rp.refresh(body["refresh_token"])) == "invalid_grant"
    assert rp.userinfo(body["access_token"]).status_code == 401
    assert rp.introspect(token=body["access_token"]).get_json() == {"active": False}


def test_revoking_an_access_token(rp):
    body = rp.tokens()
    assert rp.revoke(token=body["access_token"]).status_code == 200
    assert rp.userinfo(body["access_token"]).status_code == 401
    assert rp.refresh(body["refresh_token"]).status_code == 200


def test_revoking_unknown_or_twice_is_fine(rp):
    body = rp.tokens()
    assert rp.revoke(token="never-issued").status_code == 200
    assert rp.revoke(token=body["refresh_token"]).status_code == 200
    assert rp.revoke(token=body["refresh_token"]).status_code == 200


def test_revoking_another_clients_token_is_refused_and_harmless(rp):
    body = rp.tokens()
    assert error_of(rp.revoke(auth="bankid-strict", token=body["refresh_token"])) == "unauthorized_client"
    assert error_of(rp.revoke(auth="bankid-strict", token=body["access_token"])) == "unauthorized_client"
    assert rp.userinfo(body["access_token"]).status_code == 200
    assert rp.refresh(body["refresh_token"]).status_code == 200


def test_public_client_revokes_its_refresh_token(rp):
    body = rp.tokens(client_id="drop-mobile", scope="openid nnin_altsub offline_access")
    assert rp.revoke(auth="drop-mobile", token=body["refresh_token"]).status_code == 200
    assert error_of(rp.refresh(body["refresh_token"], auth="drop-mobile")) == "invalid_grant"


def test_revocation_needs_client_authentication(client, rp):
    assert error_of(client.post(REVOKE, data={"token": "x"}), 401) == "invalid_client"
    assert error_of(rp.revoke(None, auth="ci"), 400) == "invalid_request"


# --- logout ----------------------------------------------------------------------------------------------
def test_logout_with_id_token_hint_redirects_with_state_and_ends_sso(client, rp, provider):
    body = rp.tokens()
    sid = rp.claims(body["id_token"])["sid"]
    assert "code" in bare(rp, prompt="none").params
    response = client.get(LOGOUT + "?" + urlencode({"id_token_hint": body["id_token"], "state": "bye-1",
                                                    "post_logout_redirect_uri": "http://127.0.0.1:5555/logged-out"}))
    assert response.status_code == 302
    assert response.headers["Location"] == "http://127.0.0.1:5555/logged-out?state=bye-1"
    assert "mock_bankid_sso=;" in response.headers["Set-Cookie"]
    assert provider.store.get("sso", sid) is None
    assert bare(rp, prompt="none").params["error"] == "login_required"


def test_logout_by_post_with_client_id(client, rp):
    rp.tokens()
    response = client.post(LOGOUT, data={"client_id": "drop-web", "post_logout_redirect_uri": "http://localhost:3000/"})
    assert response.status_code == 302 and response.headers["Location"] == "http://localhost:3000/"
    assert bare(rp, prompt="none").params["error"] == "login_required"


def test_logout_accepts_an_expired_id_token_hint(client, rp):
    body = rp.tokens()
    client.put("/_mock/clock", json={"advance": 400})
    response = client.get(LOGOUT + "?" + urlencode({"id_token_hint": body["id_token"],
                                                    "post_logout_redirect_uri": "http://127.0.0.1/logged-out"}))
    assert response.status_code == 302


def test_logout_without_redirect_shows_a_signed_out_page(client, rp):
    rp.tokens()
    response = client.get(LOGOUT + "?ui_locales=en")
    assert response.status_code == 200 and "You are signed out" in response.get_data(as_text=True)
    assert bare(rp, prompt="none").params["error"] == "login_required"


@pytest.mark.parametrize("params, error", [
    ({"client_id": "ci", "post_logout_redirect_uri": "http://evil.example/"}, "invalid_request"),
    ({"client_id": "ci", "post_logout_redirect_uri": "http://127.0.0.1/logged-out/extra"}, "invalid_request"),
    ({"post_logout_redirect_uri": "http://127.0.0.1/logged-out"}, "invalid_request"),
    ({"client_id": "nobody", "post_logout_redirect_uri": "http://127.0.0.1/logged-out"}, "invalid_client"),
    ({"id_token_hint": "not.a.token"}, "invalid_request"),
    ({"id_token_hint": "HINT", "client_id": "drop-web"}, "invalid_request"),
    ({"id_token_hint": "FORGED"}, "invalid_request"),
    ({"id_token_hint": "ACCESS"}, "invalid_request"),
])
def test_logout_errors_are_a_page_never_a_redirect(client, rp, params, error):
    body = rp.tokens()
    forged = jwt.encode({"alg": "RS256", "kid": "x"}, rp.claims(body["id_token"]), CI_JWT_RSA)
    swap = {"HINT": body["id_token"], "FORGED": forged, "ACCESS": body["access_token"]}
    params = {k: swap.get(v, v) for k, v in params.items()}
    response = client.get(LOGOUT + "?" + urlencode(params))
    assert response.status_code == 400 and "Location" not in response.headers
    assert error in response.get_data(as_text=True)
    assert "code" in bare(rp, prompt="none").params  # a refused logout ends nothing


# --- SSO session -----------------------------------------------------------------------------------------
def test_second_authorize_uses_the_session_like_bankid(client, rp):
    first = rp.tokens()
    client.put("/_mock/clock", json={"advance": 100})
    second = rp.tokens(login_hint=None)
    a, b = rp.claims(first["id_token"]), rp.claims(second["id_token"])
    assert (b["sub"], b["sid"], b["auth_time"], b["acr"]) == (a["sub"], a["sid"], a["auth_time"], a["acr"])
    assert 100 <= b["iat"] - a["iat"] <= 101 and b["nonce"] == "n1"  # (+1: a real second may pass)


def test_max_age_demands_a_fresh_sign_in(client, rp):
    rp.tokens()
    client.put("/_mock/clock", json={"advance": 100})
    assert bare(rp, max_age="200").status == 302
    assert bare(rp, max_age="50").status == 200  # the login page
    assert bare(rp, max_age="0").status == 200
    assert bare(rp, prompt="login").status == 200
    assert bare(rp, max_age="50", prompt="none").params["error"] == "login_required"


def test_session_of_another_idp_is_not_reused(rp):
    rp.tokens()
    assert bare(rp, acr_values="urn:bankid:bis").status == 200
    assert bare(rp, acr_values="urn:bankid:bid").status == 302


def test_sso_session_has_an_absolute_end(client, rp):
    rp.tokens()
    client.put("/_mock/clock", json={"advance": 1000})
    rp.tokens(login_hint=None)  # reuse does not extend the session
    client.put("/_mock/clock", json={"advance": 801})
    assert bare(rp, prompt="none").params["error"] == "login_required"


# --- key rotation over HTTP ----------------------------------------------------------------------------------
def test_jwks_before_and_after_rotation(client, rp, provider):
    """As BankID's: a JWKS cached before a rotation holds the key that signs after it (the next
    key), and still verifies what the old key signed; the JWKS is cached for hours, with an ETag."""
    response = client.get(CERTS)
    assert response.headers["Cache-Control"] == "public, max-age=21600, must-revalidate, no-transform"
    etag = response.headers["ETag"]
    assert client.get(CERTS, headers={"If-None-Match": etag}).status_code == 304
    before_jwks = rp.keyset()
    old = rp.tokens()
    old_kid = jwt.decode(old["id_token"], before_jwks).header["kid"]
    new_kid = provider.keys.rotate("RS256")
    assert new_kid in {k["kid"] for k in response.get_json()["keys"]}  # published before the rotation
    after = client.get(CERTS, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    new = rp.tokens()
    assert jwt.decode(new["id_token"], before_jwks).header["kid"] == new_kid  # the cached copy verifies it
    jwt.decode(old["id_token"], KeySet.import_key_set(after.get_json()))  # the previous key stays published
    assert old_kid in {k["kid"] for k in after.get_json()["keys"]}


# --- discovery ---------------------------------------------------------------------------------------------------
def test_discovery_lists_exactly_the_capabilities(client):
    doc = client.get(P + "/.well-known/openid-configuration").get_json()
    assert doc["grant_types_supported"] == ["authorization_code", "client_credentials", "refresh_token"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"}  # BankID's: no none
    assert set(doc["token_endpoint_auth_signing_alg_values_supported"]) == {"RS256", "PS256", "ES256", "HS256"}
    assert "none" not in doc["introspection_endpoint_auth_methods_supported"]
    introspection = ISSUER + "/protocol/openid-connect/token/introspect"
    assert doc["introspection_endpoint"] == doc["token_introspection_endpoint"] == introspection
    assert doc["revocation_endpoint"] == ISSUER + "/protocol/openid-connect/revoke"
    assert doc["end_session_endpoint"] == ISSUER + "/protocol/openid-connect/logout"
    assert "offline_access" in doc["scopes_supported"]
    for key in ("introspection_endpoint", "revocation_endpoint", "token_endpoint"):
        assert client.post(doc[key].replace("http://localhost:8080", "")).status_code != 404, key
    assert client.get(doc["end_session_endpoint"].replace("http://localhost:8080", "")).status_code == 200


# --- mint_for_tests and `mock-bankid token` ------------------------------------------------------------------------
def test_mint_for_tests_gives_what_the_token_endpoint_gives(rp, provider):
    from mock_bankid.oidc.mint import mint_for_tests

    minted = mint_for_tests(provider, "age:17", scope="openid profile nnin_altsub offline_access", nonce="abc")
    claims = rp.claims(minted["id_token"])
    assert claims == minted["claims"]["id_token"] and claims["nonce"] == "abc" and claims["aud"] == "ci"
    assert claims["at_hash"] == at_hash_of(minted["access_token"], "RS256")
    assert minted["persona"]["nnin"] == claims["nnin_altsub"] and minted["refresh_token"]
    assert rp.userinfo(minted["access_token"]).status_code == 200
    assert rp.refresh(minted["refresh_token"]).status_code == 200
    strict = mint_for_tests(provider, "adult", client_id="bankid-strict")
    assert jwt.decode(strict["id_token"], rp.keyset()).header["alg"] == "ES256"
    assert "pid" not in strict["claims"]["id_token"]
    for bad in ({"persona_id": "nobody-at-all"}, {"persona_id": "adult", "client_id": "nope"},
                {"persona_id": "adult", "scope": "openid nnin", "client_id": "drop-mobile"}):
        with pytest.raises(ValueError):
            mint_for_tests(provider, **bad)


def test_cli_token_is_accepted_by_a_server_with_the_same_settings(tmp_path, settings, monkeypatch):
    from mock_bankid.cli import cli

    for name, value in {"KEYS_DIR": settings.keys_dir, "DATA_DIR": settings.data_dir, "STORE": "sqlite",
                        "BASE_URL": settings.base_url, "FIXTURES_DIR": FIXTURES}.items():
        monkeypatch.setenv(f"MOCK_BANKID_{name}", str(value))
    result = CliRunner().invoke(cli, ["token", "--persona", "adult", "--scope", "openid profile"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["claims"]["id_token"]["given_name"] and out["claims"]["access_token"]["azp"] == "ci"
    server = create_app(settings.with_(store="sqlite")).test_client()
    assert rp_on(server).claims(out["id_token"])["sub"] == out["persona"]["sub"]
    assert rp_on(server).userinfo(out["access_token"]).status_code == 200
    only = CliRunner().invoke(cli, ["token", "--persona", "adult", "--field", "access_token"])
    assert only.exit_code == 0 and only.output.count(".") == 2
    bad = CliRunner().invoke(cli, ["token", "--persona", "adult", "--client", "nope"])
    assert bad.exit_code == 1 and "unknown client" in bad.output and "Traceback" not in bad.output


# --- BankID's own single sign-on: an ID token as the hint ---------------------------------------------
def test_id_token_hint_signs_in_without_a_cookie_like_bankid(app, rp):
    first = rp.tokens()
    other_browser = app.test_client()
    for name in ("id_token_hint", "id_login_hint"):
        answer = bare(rp_on(other_browser), **{name: first["id_token"]})
        assert answer.status == 302, name
        code = answer.code
        grant = app.extensions["mock_bankid"].store.get("code", code)["grant"]
        original = rp.claims(first["id_token"])
        assert (grant["persona"]["sub"], grant["sid"]) == (original["sub"], original["sid"])


def test_id_token_hint_rules(app, client, rp):
    first = rp.tokens()  # this browser's cookie session: adult
    forged = jwt.encode({"alg": "RS256", "kid": "x"}, rp.claims(first["id_token"]), CI_JWT_RSA)
    assert bare(rp, id_token_hint=forged).params["error"] == "invalid_request"
    # a hint for someone else never signs in the cookie's person
    someone_else = rp_on(app.test_client()).tokens(login_hint="under-18")
    code = bare(rp, id_token_hint=someone_else["id_token"]).code
    assert app.extensions["mock_bankid"].store.get("code", code)["grant"]["persona"]["id"] == "under-18"
    # an expired hint is no longer an active session (BankID: "a valid ID Token")
    client.put("/_mock/clock", json={"advance": 301})
    answer = bare(rp_on(app.test_client()), id_token_hint=first["id_token"], prompt="none")
    assert answer.params["error"] == "login_required"


def test_control_rotation_uses_the_servers_clock(client):
    """POST /_mock/keys/rotate promotes the next key (published before the rotation) and signs with
    it after activate_after, judged on the mock clock (so a shifted clock does not drop a key early)."""
    client.put("/_mock/clock", json={"shift": 86400})
    before = {k["kid"]: k["state"] for k in client.get("/_mock/keys").get_json()["keys"] if k["alg"] == "RS256"}
    assert sorted(before.values()) == ["current", "next", "previous"]
    response = client.post("/_mock/keys/rotate", json={"alg": "RS256", "activate_after": 60})
    assert response.status_code == 201
    body = response.get_json()
    new_kid, new_next = body["kid"], body["next"]
    assert before[new_kid] == "next" and new_next not in before
    published = {k["kid"] for k in client.get("/auth/realms/current/protocol/openid-connect/certs").get_json()["keys"]}
    assert set(before) | {new_next} <= published
    states = {k["kid"]: k["state"] for k in client.get("/_mock/keys").get_json()["keys"]}
    assert states[new_kid] == "next" and states[new_next] == "next"
    client.put("/_mock/clock", json={"advance": 61})
    states = {k["kid"]: k["state"] for k in client.get("/_mock/keys").get_json()["keys"]}
    old_current = next(k for k, v in before.items() if v == "current")
    old_previous = next(k for k, v in before.items() if v == "previous")
    assert (states[new_kid], states[old_current], states[new_next]) == ("current", "previous", "next")
    assert states[old_previous] == "retired"  # it stopped signing a (shifted) day ago


@pytest.mark.parametrize("body", [{"alg": "HS256"}, {"activate_after": -1}, {"activate_after": "soon"}])
def test_control_rotation_rejects_bad_input(client, body):
    response = client.post("/_mock/keys/rotate", json=body)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
