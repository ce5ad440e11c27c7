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
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

from conftest import CI_REDIRECT, FIXTURES, pkce_pair, query_of
from mock_bankid.app import create_app
from mock_bankid.claims import at_hash

ISSUER = "http://localhost:8080/auth/realms/current"
P = "/auth/realms/current"
AUTH = P + "/precheck/auth"
TOKEN = P + "/protocol/openid-connect/token"
INTROSPECT = P + "/protocol/openid-connect/token/introspect"
REVOKE = P + "/protocol/openid-connect/revoke"
LOGOUT = P + "/protocol/openid-connect/logout"
CERTS = P + "/protocol/openid-connect/certs"
KEYS_DIR = Path(__file__).parent / "keys"
RSA_KEY = RSAKey.import_key((KEYS_DIR / "ci-jwt-rs256.pem").read_text(), {"kid": "ch_2JLa-ll8NtWy_U_L0ccXAM0z2pJrQy1AeW7SJxjo"})
EC_KEY = ECKey.import_key((KEYS_DIR / "ci-jwt-es256.pem").read_text(), {"kid": "wRB1MBO29KaMAsfo_KLVMO-SvShDd7vRunzwGKID9Bs"})
OTHER_RSA_KEY = RSAKey.generate_key(2048, parameters={"kid": RSA_KEY.kid})  # same kid, wrong key
SECRET_JWT = "ci-secret-jwt-shared-secret-at-least-32-bytes"
CLIENT_SECRETS = {"ci": "ci-secret", "drop-web": "drop-web-secret", "bankid-strict": "bankid-strict-secret"}
REDIRECTS = {"drop-web": "http://localhost:3000/api/auth/bankid/callback", "drop-mobile": "drop://auth/callback"}


# --- fixtures: one set of provider keys per module, copied (key generation dominates setup time) ---
@pytest.fixture(scope="module")
def keys_template(tmp_path_factory) -> Path:
    from mock_bankid.keys import KeyManager

    path = tmp_path_factory.mktemp("keys-template") / "keys"
    KeyManager(path).ensure()
    return path


@pytest.fixture
def settings(settings, keys_template):
    shutil.copytree(keys_template, settings.keys_dir)
    return settings


# --- helpers ---------------------------------------------------------------------------------------
def basic(client_id: str, secret: str | None = None) -> dict[str, str]:
    secret = secret if secret is not None else CLIENT_SECRETS[client_id]
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def now(client) -> int:
    return int(client.get("/_mock/clock").get_json()["now"])


def assertion(client, client_id: str = "ci-jwt", *, key=None, alg: str = "RS256", kid: bool = True, **claims) -> dict:
    """The form fields of a client assertion; ``claims`` override (None removes a claim)."""
    t = now(client)
    body = {"iss": client_id, "sub": client_id, "aud": ISSUER, "iat": t, "exp": t + 60, "jti": str(uuid.uuid4())}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    if key is None:
        key = {"RS256": RSA_KEY, "PS256": RSA_KEY, "ES256": EC_KEY, "HS256": OctKey.import_key(SECRET_JWT)}[alg]
    header = {"alg": alg}
    if kid and key.kid:
        header["kid"] = key.kid
    return {
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": jwt.encode(header, body, key, algorithms=[alg]),
    }


def auth_for(client, client_id: str) -> tuple[dict, dict]:
    """(headers, form) that authenticate ``client_id`` the way it is registered."""
    if client_id == "ci-jwt":
        return {}, assertion(client)
    if client_id == "ci-secret-jwt":
        return {}, assertion(client, "ci-secret-jwt", alg="HS256")
    if client_id == "drop-mobile":
        return {}, {"client_id": "drop-mobile"}
    return basic(client_id), {}


def sign_in(client, *, client_id: str = "ci", scope: str = "openid profile nnin_altsub offline_access",
            login_hint: str | None = "adult", **extra) -> tuple[str, str, str]:
    """Authorize headlessly; returns (code, verifier, redirect_uri)."""
    redirect_uri = REDIRECTS.get(client_id, CI_REDIRECT)
    verifier, challenge = pkce_pair()
    if client_id == "bankid-strict" and login_hint:  # strict refuses mock login_hint forms: queue instead
        assert client.post("/_mock/next-login", json={"login_hint": login_hint}).status_code == 201
        login_hint = None
    q = {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code", "scope": scope,
         "state": "s1", "nonce": "n1", "code_challenge": challenge, "code_challenge_method": "S256",
         "login_hint": login_hint, **extra}
    response = client.get(AUTH + "?" + urlencode({k: v for k, v in q.items() if v is not None}))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return query_of(response.headers["Location"])["code"], verifier, redirect_uri


def tokens(client, client_id: str = "ci", **kw) -> dict:
    code, verifier, redirect_uri = sign_in(client, client_id=client_id, **kw)
    headers, form = auth_for(client, client_id)
    response = client.post(TOKEN, headers=headers, data={"grant_type": "authorization_code", "code": code,
                                                          "redirect_uri": redirect_uri, "code_verifier": verifier, **form})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def post(client, url: str, client_id: str = "ci", **form):
    headers, auth = auth_for(client, client_id)
    return client.post(url, headers=headers, data={**auth, **{k: v for k, v in form.items() if v is not None}})


def do_refresh(client, token: str, client_id: str = "ci", **form):
    return post(client, TOKEN, client_id, grant_type="refresh_token", refresh_token=token, **form)


def keyset(client) -> KeySet:
    return KeySet.import_key_set(client.get(CERTS).get_json())


def claims_of(client, token: str) -> dict:
    return dict(jwt.decode(token, keyset(client)).claims)


def userinfo_status(client, access_token: str) -> int:
    return client.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"}).status_code


def error_of(response, status: int = 400) -> str:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    return response.get_json()["error"]


# --- refresh tokens ---------------------------------------------------------------------------------
def test_refresh_token_only_with_offline_access(client):
    assert "refresh_token" not in tokens(client, scope="openid profile")
    body = tokens(client)
    assert body["refresh_token"] and body["refresh_expires_in"] == 1800


def test_refresh_rotates_and_keeps_the_identity(client):
    first = tokens(client)
    original = claims_of(client, first["id_token"])
    client.put("/_mock/clock", json={"advance": 120})
    response = do_refresh(client, first["refresh_token"])
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    second = response.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == "openid profile nnin_altsub offline_access"
    fresh = claims_of(client, second["id_token"])
    for name in ("sub", "sid", "acr", "amr", "auth_time", "aud", "iss", "azp", "bankid_altsub", "nnin_altsub"):
        assert fresh[name] == original[name], name
    assert fresh["iat"] == original["iat"] + 120 and fresh["exp"] == fresh["iat"] + 300
    assert fresh["jti"] != original["jti"] and "nonce" not in fresh
    assert fresh["at_hash"] == at_hash(second["access_token"])
    assert userinfo_status(client, second["access_token"]) == 200


def test_refresh_keeps_es256_for_a_strict_client(client):
    body = tokens(client, client_id="bankid-strict")
    again = do_refresh(client, body["refresh_token"], "bankid-strict").get_json()
    assert jwt.decode(again["id_token"], keyset(client)).header["alg"] == "ES256"


def test_reused_refresh_token_revokes_the_family(client):
    first = tokens(client)
    second = do_refresh(client, first["refresh_token"]).get_json()
    assert userinfo_status(client, second["access_token"]) == 200
    replay = do_refresh(client, first["refresh_token"])
    assert error_of(replay) == "invalid_grant" and "revoked" in replay.get_json()["error_description"]
    assert error_of(do_refresh(client, second["refresh_token"])) == "invalid_grant"
    assert userinfo_status(client, second["access_token"]) == 401
    assert userinfo_status(client, first["access_token"]) == 401


def test_refresh_token_of_another_client_is_invalid_grant_and_not_spent(client):
    body = tokens(client)
    assert error_of(do_refresh(client, body["refresh_token"], "bankid-strict")) == "invalid_grant"
    assert do_refresh(client, body["refresh_token"]).status_code == 200


def test_refresh_may_narrow_but_not_widen_the_scope(client):
    body = tokens(client)
    narrowed = do_refresh(client, body["refresh_token"], scope="openid offline_access").get_json()
    assert narrowed["scope"] == "openid offline_access"
    assert "given_name" not in claims_of(client, narrowed["id_token"])
    # the new refresh token still carries the original scope (RFC 6749 §6)
    full = do_refresh(client, narrowed["refresh_token"]).get_json()
    assert full["scope"] == "openid profile nnin_altsub offline_access"
    assert error_of(do_refresh(client, full["refresh_token"], scope="openid email")) == "invalid_scope"


def test_refresh_token_expires(client):
    body = tokens(client)
    client.put("/_mock/clock", json={"advance": 1801})
    assert error_of(do_refresh(client, body["refresh_token"])) == "invalid_grant"


@pytest.mark.parametrize("form, error", [({"refresh_token": None}, "invalid_request"),
                                         ({"refresh_token": "nope"}, "invalid_grant")])
def test_refresh_bad_requests(client, form, error):
    assert error_of(post(client, TOKEN, grant_type="refresh_token", **form)) == error


def test_refresh_survives_a_restart_with_sqlite(settings):
    sqlite = settings.with_(store="sqlite")
    c1 = create_app(sqlite).test_client()
    body = tokens(c1)
    c2 = create_app(sqlite).test_client()
    response = do_refresh(c2, body["refresh_token"])
    assert response.status_code == 200, response.get_json()
    assert error_of(do_refresh(c1, body["refresh_token"])) == "invalid_grant"


def test_replayed_code_also_revokes_its_refresh_token(client):
    code, verifier, redirect_uri = sign_in(client)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    body = client.post(TOKEN, headers=basic("ci"), data=form).get_json()
    assert error_of(client.post(TOKEN, headers=basic("ci"), data=form)) == "invalid_grant"
    assert error_of(do_refresh(client, body["refresh_token"])) == "invalid_grant"


# --- client credentials --------------------------------------------------------------------------------
def test_client_credentials_gives_a_client_token_without_identity(client):
    response = post(client, TOKEN, grant_type="client_credentials")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert "id_token" not in body and "refresh_token" not in body and "scope" not in body
    claims = claims_of(client, body["access_token"])
    assert claims["sub"] == "ci" and claims["client_id"] == "ci" and claims["typ"] == "Bearer"
    assert not {"bankid_altsub", "acr", "amr", "sid", "auth_time"} & set(claims)
    assert userinfo_status(client, body["access_token"]) == 401


def test_client_credentials_drops_identity_scopes_and_refuses_unregistered(client):
    body = post(client, TOKEN, grant_type="client_credentials", scope="openid profile").get_json()
    assert "scope" not in body and claims_of(client, body["access_token"])["scope"] == ""
    assert error_of(post(client, TOKEN, grant_type="client_credentials", scope="esign/b2b")) == "invalid_scope"


def test_client_credentials_not_registered(client):
    response = post(client, TOKEN, "drop-web", grant_type="client_credentials")
    assert error_of(response) == "unauthorized_client"


def test_client_credentials_keeps_registered_resource_scopes(tmp_path, settings):
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, fixtures)
    with (fixtures / "clients.toml").open("a") as fh:
        fh.write('\n[[client]]\nclient_id = "svc"\nclient_secret = "svc-secret"\nredirect_uris = []\n'
                 'scopes = ["openid", "reports:read"]\ngrant_types = ["client_credentials"]\n')
    c = create_app(settings.with_(fixtures_dir=fixtures)).test_client()
    body = c.post(TOKEN, headers=basic("svc", "svc-secret"), data={"grant_type": "client_credentials"}).get_json()
    assert body["scope"] == "reports:read"
    body = c.post(TOKEN, headers=basic("svc", "svc-secret"),
                  data={"grant_type": "client_credentials", "scope": "openid reports:read"}).get_json()
    assert body["scope"] == "reports:read"


# --- JWT client authentication ------------------------------------------------------------------------
@pytest.mark.parametrize("alg", ["RS256", "ES256"])
@pytest.mark.parametrize("aud", [ISSUER, ISSUER + "/protocol/openid-connect/token", [ISSUER, "other"]])
def test_private_key_jwt_works(client, alg, aud):
    response = client.post(TOKEN, data={"grant_type": "client_credentials", **assertion(client, alg=alg, aud=aud)})
    assert response.status_code == 200, response.get_json()
    assert claims_of(client, response.get_json()["access_token"])["sub"] == "ci-jwt"


def test_private_key_jwt_without_kid_tries_the_registered_keys(client):
    response = client.post(TOKEN, data={"grant_type": "client_credentials", **assertion(client, alg="ES256", kid=False)})
    assert response.status_code == 200, response.get_json()


def test_private_key_jwt_full_code_flow_and_refresh(client):
    body = tokens(client, client_id="ci-jwt")
    assert claims_of(client, body["id_token"])["aud"] == "ci-jwt"
    assert do_refresh(client, body["refresh_token"], "ci-jwt").status_code == 200


def test_client_secret_jwt_works(client):
    response = client.post(TOKEN, data={"grant_type": "client_credentials", **assertion(client, "ci-secret-jwt", alg="HS256")})
    assert response.status_code == 200, response.get_json()


def _misuse(client):
    t = now(client)
    other = OTHER_RSA_KEY
    return {
        "replayed jti": None,
        "expired": assertion(client, exp=t - 60, iat=t - 120),
        "exp too far ahead": assertion(client, exp=t + 3600),
        "no exp": assertion(client, exp=None),
        "no jti": assertion(client, jti=None),
        "wrong aud": assertion(client, aud="http://localhost:8080/auth/realms/other"),
        "no aud": assertion(client, aud=None),
        "iss is not sub": assertion(client, sub="ci"),
        "unknown client": assertion(client, "nobody", iss="nobody", sub="nobody"),
        "wrong key": assertion(client, key=other),
        "not future nbf": assertion(client, nbf=t + 600),
        "method not registered": assertion(client, "ci-jwt", alg="HS256", key=OctKey.import_key(SECRET_JWT)),
        "wrong secret": assertion(client, "ci-secret-jwt", alg="HS256", key=OctKey.import_key("x" * 40)),
        "alg none-ish": {**assertion(client), "client_assertion": "e30.e30."},
        "wrong type": {**assertion(client), "client_assertion_type": "urn:example:other"},
        "body client_id differs": {**assertion(client), "client_id": "ci"},
        "not a jwt": {**assertion(client), "client_assertion": "garbage"},
        "exp not a number": assertion(client, exp="soon"),
        "exp NaN": _nan_exp_assertion(client),
    }


def _nan_exp_assertion(client) -> dict:
    """Python's json reads NaN; an assertion with ``"exp": NaN`` must be refused, not crash."""
    header = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": RSA_KEY.kid}).encode()).rstrip(b"=")
    body = base64.urlsafe_b64encode(
        f'{{"iss":"ci-jwt","sub":"ci-jwt","aud":"{ISSUER}","jti":"{uuid.uuid4()}","exp":NaN}}'.encode()).rstrip(b"=")
    signing_input = header + b"." + body
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signature = RSA_KEY.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    token = (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()
    return {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": token}


MISUSE_CASES = ["replayed jti", "expired", "exp too far ahead", "no exp", "no jti", "wrong aud", "no aud",
                "iss is not sub", "unknown client", "wrong key", "not future nbf", "method not registered",
                "wrong secret", "alg none-ish", "wrong type", "body client_id differs", "not a jwt",
                "exp not a number", "exp NaN"]


@pytest.mark.parametrize("case", MISUSE_CASES)
def test_jwt_client_auth_misuse_is_invalid_client(client, case):
    form = _misuse(client)[case]
    if case == "replayed jti":
        form = assertion(client)
        assert client.post(TOKEN, data={"grant_type": "client_credentials", **form}).status_code == 200
    response = client.post(TOKEN, data={"grant_type": "client_credentials", **form})
    assert error_of(response, 401) == "invalid_client", case
    assert response.get_json()["error_description"]


def test_private_key_jwt_client_cannot_use_a_secret(client):
    response = client.post(TOKEN, headers=basic("ci-jwt", "anything"), data={"grant_type": "client_credentials"})
    assert error_of(response, 401) == "invalid_client"


def test_basic_and_assertion_together_is_invalid_request(client):
    response = client.post(TOKEN, headers=basic("ci"), data={"grant_type": "client_credentials", **assertion(client)})
    assert error_of(response) == "invalid_request"


class _JWKSHandler(BaseHTTPRequestHandler):
    jwks: dict = {}
    hits = 0

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
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
            fh.write(f'\n[[client]]\nclient_id = "ci-jwks-uri"\nauth_methods = ["private_key_jwt"]\nredirect_uris = []\n'
                     f'jwks_uri = "http://127.0.0.1:{server.server_port}/jwks.json"\ngrant_types = ["client_credentials"]\n'
                     '[[client]]\nclient_id = "ci-jwks-remote"\nauth_methods = ["private_key_jwt"]\nredirect_uris = []\n'
                     'jwks_uri = "http://keys.example.com/jwks.json"\ngrant_types = ["client_credentials"]\n'
                     '[[client]]\nclient_id = "ci-jwks-redirect"\nauth_methods = ["private_key_jwt"]\nredirect_uris = []\n'
                     f'jwks_uri = "http://127.0.0.1:{server.server_port}/redirect"\ngrant_types = ["client_credentials"]\n')
        c = create_app(settings.with_(fixtures_dir=fixtures)).test_client()
        ok = c.post(TOKEN, data={"grant_type": "client_credentials", **assertion(c, "ci-jwks-uri", key=key, alg="ES256")})
        assert ok.status_code == 200, ok.get_json()
        ps = c.post(TOKEN, data={"grant_type": "client_credentials", **assertion(c, "ci-jwks-uri", key=rsa, alg="PS256")})
        assert ps.status_code == 200, ps.get_json()
        # the client rotates its key: an unknown kid makes the mock fetch the jwks_uri again
        rotated = ECKey.generate_key("P-256", parameters={"kid": "uri-key-2"})
        _JWKSHandler.jwks = {"keys": [rotated.as_dict(private=False)]}
        again = c.post(TOKEN, data={"grant_type": "client_credentials", **assertion(c, "ci-jwks-uri", key=rotated, alg="ES256")})
        assert again.status_code == 200, again.get_json()
        assert _JWKSHandler.hits == 2
        remote = c.post(TOKEN, data={"grant_type": "client_credentials", **assertion(c, "ci-jwks-remote", key=key, alg="ES256")})
        assert error_of(remote, 401) == "invalid_client" and "loopback" in remote.get_json()["error_description"]
        moved = c.post(TOKEN, data={"grant_type": "client_credentials", **assertion(c, "ci-jwks-redirect", key=key, alg="ES256")})
        assert error_of(moved, 401) == "invalid_client" and "redirects" in moved.get_json()["error_description"]
    finally:
        server.shutdown()
        server.server_close()


# --- introspection -------------------------------------------------------------------------------------
def test_introspection_of_own_tokens(client):
    body = tokens(client)
    access = post(client, INTROSPECT, token=body["access_token"]).get_json()
    assert access["active"] is True and access["client_id"] == "ci"
    assert "token_type" not in access and "username" not in access  # BankID: the token's claims + active, client_id
    assert access["nnin_altsub"] == claims_of(client, body["id_token"])["nnin_altsub"]
    assert access["sub"] == claims_of(client, body["id_token"])["sub"] and access["exp"] > now(client)
    assert access["scope"] == "openid profile nnin_altsub offline_access"
    refresh = post(client, INTROSPECT, token=body["refresh_token"], token_type_hint="refresh_token").get_json()
    assert refresh["active"] is True and refresh["client_id"] == "ci" and refresh["sub"] == access["sub"]


def test_introspection_via_private_key_jwt(client):
    body = tokens(client, client_id="ci-jwt")
    assert post(client, INTROSPECT, "ci-jwt", token=body["access_token"]).get_json()["active"] is True


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
def test_introspection_of_someone_elses_token_is_inactive_not_an_error(client, which):
    body = tokens(client)
    response = post(client, INTROSPECT, "bankid-strict", token=body[which])
    assert response.status_code == 200 and response.get_json() == {"active": False}


def test_introspection_inactive_cases(client):
    body = tokens(client)
    assert post(client, INTROSPECT, token="garbage").get_json() == {"active": False}
    assert post(client, INTROSPECT, token=body["id_token"]).get_json() == {"active": False}
    client.put("/_mock/clock", json={"advance": 301})
    assert post(client, INTROSPECT, token=body["access_token"]).get_json() == {"active": False}
    assert post(client, INTROSPECT, token=body["refresh_token"]).get_json()["active"] is True


@pytest.mark.parametrize("headers, form, status, error", [
    ({}, {}, 401, "invalid_client"),
    ({}, {"client_id": "drop-mobile"}, 401, "invalid_client"),
    (basic("ci", "wrong"), {}, 401, "invalid_client"),
    (basic("ci"), {"token": None}, 400, "invalid_request"),
])
def test_introspection_needs_an_authenticated_client_and_a_token(client, headers, form, status, error):
    data = {"token": "x", **form}
    response = client.post(INTROSPECT, headers=headers, data={k: v for k, v in data.items() if v is not None})
    assert error_of(response, status) == error


# --- revocation ----------------------------------------------------------------------------------------
def test_revoking_a_refresh_token_ends_its_family(client):
    body = tokens(client)
    response = post(client, REVOKE, token=body["refresh_token"], token_type_hint="refresh_token")
    assert response.status_code == 200
    assert error_of(do_refresh(client, body["refresh_token"])) == "invalid_grant"
    assert userinfo_status(client, body["access_token"]) == 401
    assert post(client, INTROSPECT, token=body["access_token"]).get_json() == {"active": False}


def test_revoking_an_access_token(client):
    body = tokens(client)
    assert post(client, REVOKE, token=body["access_token"]).status_code == 200
    assert userinfo_status(client, body["access_token"]) == 401
    assert do_refresh(client, body["refresh_token"]).status_code == 200


def test_revoking_unknown_or_twice_is_fine(client):
    body = tokens(client)
    assert post(client, REVOKE, token="never-issued").status_code == 200
    assert post(client, REVOKE, token=body["refresh_token"]).status_code == 200
    assert post(client, REVOKE, token=body["refresh_token"]).status_code == 200


def test_revoking_another_clients_token_is_refused_and_harmless(client):
    body = tokens(client)
    assert error_of(post(client, REVOKE, "bankid-strict", token=body["refresh_token"])) == "unauthorized_client"
    assert error_of(post(client, REVOKE, "bankid-strict", token=body["access_token"])) == "unauthorized_client"
    assert userinfo_status(client, body["access_token"]) == 200
    assert do_refresh(client, body["refresh_token"]).status_code == 200


def test_public_client_revokes_its_refresh_token(client):
    body = tokens(client, client_id="drop-mobile", scope="openid nnin_altsub offline_access")
    assert post(client, REVOKE, "drop-mobile", token=body["refresh_token"]).status_code == 200
    assert error_of(do_refresh(client, body["refresh_token"], "drop-mobile")) == "invalid_grant"


def test_revocation_needs_client_authentication(client):
    assert error_of(client.post(REVOKE, data={"token": "x"}), 401) == "invalid_client"
    assert error_of(client.post(REVOKE, headers=basic("ci"), data={}), 400) == "invalid_request"


# --- logout ----------------------------------------------------------------------------------------------
def _prompt_none(client) -> dict:
    verifier, challenge = pkce_pair()
    q = {"client_id": "ci", "redirect_uri": CI_REDIRECT, "response_type": "code", "scope": "openid", "state": "s",
         "nonce": "n", "code_challenge": challenge, "code_challenge_method": "S256", "prompt": "none"}
    return query_of(client.get(AUTH + "?" + urlencode(q)).headers["Location"])


def test_logout_with_id_token_hint_redirects_with_state_and_ends_sso(client, provider):
    body = tokens(client)
    sid = claims_of(client, body["id_token"])["sid"]
    assert "code" in _prompt_none(client)
    response = client.get(LOGOUT + "?" + urlencode({"id_token_hint": body["id_token"], "state": "bye-1",
                                                    "post_logout_redirect_uri": "http://127.0.0.1:5555/logged-out"}))
    assert response.status_code == 302
    assert response.headers["Location"] == "http://127.0.0.1:5555/logged-out?state=bye-1"
    assert "mock_bankid_sso=;" in response.headers["Set-Cookie"]
    assert provider.store.get("sso", sid) is None
    assert _prompt_none(client)["error"] == "login_required"


def test_logout_by_post_with_client_id(client):
    tokens(client)
    response = client.post(LOGOUT, data={"client_id": "drop-web", "post_logout_redirect_uri": "http://localhost:3000/"})
    assert response.status_code == 302 and response.headers["Location"] == "http://localhost:3000/"
    assert _prompt_none(client)["error"] == "login_required"


def test_logout_accepts_an_expired_id_token_hint(client):
    body = tokens(client)
    client.put("/_mock/clock", json={"advance": 400})
    response = client.get(LOGOUT + "?" + urlencode({"id_token_hint": body["id_token"],
                                                    "post_logout_redirect_uri": "http://127.0.0.1/logged-out"}))
    assert response.status_code == 302


def test_logout_without_redirect_shows_a_signed_out_page(client):
    tokens(client)
    response = client.get(LOGOUT + "?ui_locales=en")
    assert response.status_code == 200 and "You are signed out" in response.get_data(as_text=True)
    assert _prompt_none(client)["error"] == "login_required"


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
def test_logout_errors_are_a_page_never_a_redirect(client, params, error):
    body = tokens(client)
    forged = jwt.encode({"alg": "RS256", "kid": "x"}, claims_of(client, body["id_token"]), RSA_KEY)
    swap = {"HINT": body["id_token"], "FORGED": forged, "ACCESS": body["access_token"]}
    params = {k: swap.get(v, v) for k, v in params.items()}
    response = client.get(LOGOUT + "?" + urlencode(params))
    assert response.status_code == 400 and "Location" not in response.headers
    assert error in response.get_data(as_text=True)
    assert "code" in _prompt_none(client)  # a refused logout ends nothing


# --- SSO session -----------------------------------------------------------------------------------------
def test_second_authorize_uses_the_session_like_bankid(client):
    first = tokens(client)
    client.put("/_mock/clock", json={"advance": 100})
    second = tokens(client, login_hint=None)
    a, b = claims_of(client, first["id_token"]), claims_of(client, second["id_token"])
    assert (b["sub"], b["sid"], b["auth_time"], b["acr"]) == (a["sub"], a["sid"], a["auth_time"], a["acr"])
    assert b["iat"] == a["iat"] + 100 and b["nonce"] == "n1"


def test_max_age_demands_a_fresh_sign_in(client):
    tokens(client)
    client.put("/_mock/clock", json={"advance": 100})
    code_or_page = lambda **kw: client.get(AUTH + "?" + urlencode(_auth_params(**kw)))  # noqa: E731
    assert code_or_page(max_age="200").status_code == 302
    assert code_or_page(max_age="50").status_code == 200  # the login page
    assert code_or_page(max_age="0").status_code == 200
    assert code_or_page(prompt="login").status_code == 200
    response = code_or_page(max_age="50", prompt="none")
    assert query_of(response.headers["Location"])["error"] == "login_required"


def test_session_of_another_idp_is_not_reused(client):
    tokens(client)
    assert client.get(AUTH + "?" + urlencode(_auth_params(acr_values="urn:bankid:bis"))).status_code == 200
    assert client.get(AUTH + "?" + urlencode(_auth_params(acr_values="urn:bankid:bid"))).status_code == 302


def test_sso_session_has_an_absolute_end(client):
    tokens(client)
    client.put("/_mock/clock", json={"advance": 1000})
    tokens(client, login_hint=None)  # reuse does not extend the session
    client.put("/_mock/clock", json={"advance": 801})
    assert _prompt_none(client)["error"] == "login_required"


def _auth_params(**extra) -> dict:
    _verifier, challenge = pkce_pair()
    return {"client_id": "ci", "redirect_uri": CI_REDIRECT, "response_type": "code", "scope": "openid",
            "state": "s", "nonce": "n", "code_challenge": challenge, "code_challenge_method": "S256", **extra}


# --- key rotation over HTTP ----------------------------------------------------------------------------------
def test_jwks_before_and_after_rotation(client, provider):
    before_jwks = keyset(client)
    old = tokens(client)
    old_kid = jwt.decode(old["id_token"], before_jwks).header["kid"]
    new_kid = provider.keys.rotate("RS256")
    after_jwks = client.get(CERTS).get_json()
    assert {old_kid, new_kid} <= {k["kid"] for k in after_jwks["keys"]}  # published before it signs
    assert jwt.decode(tokens(client)["id_token"], before_jwks).header["kid"] == old_kid  # still the old key
    client.put("/_mock/clock", json={"advance": 301})
    new = tokens(client)
    assert jwt.decode(new["id_token"], KeySet.import_key_set(after_jwks)).header["kid"] == new_kid
    jwt.decode(old["id_token"], KeySet.import_key_set(after_jwks))
    with pytest.raises(Exception):
        jwt.decode(new["id_token"], before_jwks)  # an RP must refetch on an unknown kid
    last_old = tokens(client, login_hint="adult")  # signed by the new key now; the old one signed until 300
    assert jwt.decode(last_old["id_token"], keyset(client)).header["kid"] == new_kid
    assert old_kid in {k["kid"] for k in client.get(CERTS).get_json()["keys"]}  # its tokens may still be live
    client.put("/_mock/clock", json={"advance": 300})
    assert old_kid not in {k["kid"] for k in client.get(CERTS).get_json()["keys"]}


# --- discovery ---------------------------------------------------------------------------------------------------
def test_discovery_lists_exactly_the_capabilities(client):
    doc = client.get(P + "/.well-known/openid-configuration").get_json()
    assert doc["grant_types_supported"] == ["authorization_code", "client_credentials", "refresh_token"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"}
    assert set(doc["token_endpoint_auth_signing_alg_values_supported"]) == {"RS256", "PS256", "ES256", "HS256"}
    assert "none" not in doc["introspection_endpoint_auth_methods_supported"]
    assert doc["introspection_endpoint"] == doc["token_introspection_endpoint"] == ISSUER + "/protocol/openid-connect/token/introspect"
    assert doc["revocation_endpoint"] == ISSUER + "/protocol/openid-connect/revoke"
    assert doc["end_session_endpoint"] == ISSUER + "/protocol/openid-connect/logout"
    assert "offline_access" in doc["scopes_supported"]
    for key in ("introspection_endpoint", "revocation_endpoint", "token_endpoint"):
        assert client.post(doc[key].replace("http://localhost:8080", "")).status_code != 404, key
    assert client.get(doc["end_session_endpoint"].replace("http://localhost:8080", "")).status_code == 200


# --- mint_for_tests and `mock-bankid token` ------------------------------------------------------------------------
def test_mint_for_tests_gives_what_the_token_endpoint_gives(client, provider):
    from mock_bankid.mint import mint_for_tests

    minted = mint_for_tests(provider, "age:17", scope="openid profile nnin_altsub offline_access", nonce="abc")
    claims = claims_of(client, minted["id_token"])
    assert claims == minted["claims"]["id_token"] and claims["nonce"] == "abc" and claims["aud"] == "ci"
    assert claims["at_hash"] == at_hash(minted["access_token"])
    assert minted["persona"]["nnin"] == claims["nnin_altsub"] and minted["refresh_token"]
    assert userinfo_status(client, minted["access_token"]) == 200
    assert do_refresh(client, minted["refresh_token"]).status_code == 200
    strict = mint_for_tests(provider, "adult", client_id="bankid-strict")
    assert jwt.decode(strict["id_token"], keyset(client)).header["alg"] == "ES256" and "pid" not in strict["claims"]["id_token"]
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
    assert claims_of(server, out["id_token"])["sub"] == out["persona"]["sub"]
    assert userinfo_status(server, out["access_token"]) == 200
    only = CliRunner().invoke(cli, ["token", "--persona", "adult", "--field", "access_token"])
    assert only.exit_code == 0 and only.output.count(".") == 2
    bad = CliRunner().invoke(cli, ["token", "--persona", "adult", "--client", "nope"])
    assert bad.exit_code == 1 and "unknown client" in bad.output and "Traceback" not in bad.output


# --- BankID's own single sign-on: an ID token as the hint ---------------------------------------------
def test_id_token_hint_signs_in_without_a_cookie_like_bankid(app, client):
    first = tokens(client)
    other_browser = app.test_client()
    for name in ("id_token_hint", "id_login_hint"):
        response = other_browser.get(AUTH + "?" + urlencode(_auth_params(**{name: first["id_token"]})))
        assert response.status_code == 302, name
        code = query_of(response.headers["Location"])["code"]
        grant = app.extensions["mock_bankid"].store.get("code", code)["grant"]
        original = claims_of(client, first["id_token"])
        assert (grant["persona"]["sub"], grant["sid"]) == (original["sub"], original["sid"])


def test_id_token_hint_rules(app, client):
    first = tokens(client)  # this browser's cookie session: adult
    forged = jwt.encode({"alg": "RS256", "kid": "x"}, claims_of(client, first["id_token"]), RSA_KEY)
    response = client.get(AUTH + "?" + urlencode(_auth_params(id_token_hint=forged)))
    assert query_of(response.headers["Location"])["error"] == "invalid_request"
    # a hint for someone else never signs in the cookie's person
    someone_else = tokens(app.test_client(), login_hint="under-18")
    response = client.get(AUTH + "?" + urlencode(_auth_params(id_token_hint=someone_else["id_token"])))
    code = query_of(response.headers["Location"])["code"]
    assert app.extensions["mock_bankid"].store.get("code", code)["grant"]["persona"]["id"] == "under-18"
    # an expired hint is no longer an active session (BankID: "a valid ID Token")
    client.put("/_mock/clock", json={"advance": 301})
    response = app.test_client().get(AUTH + "?" + urlencode(_auth_params(id_token_hint=first["id_token"], prompt="none")))
    assert query_of(response.headers["Location"])["error"] == "login_required"


def test_control_rotation_uses_the_servers_clock(client):
    """POST /_mock/keys/rotate publishes the new key at once and signs with it after activate_after,
    judged on the mock clock (so a shifted clock does not drop the old key early)."""
    client.put("/_mock/clock", json={"shift": 86400})
    old_kids = {k["kid"] for k in client.get("/_mock/keys").get_json()["keys"] if k["alg"] == "RS256"}
    response = client.post("/_mock/keys/rotate", json={"alg": "RS256", "activate_after": 60})
    assert response.status_code == 201
    new_kid = response.get_json()["kid"]
    published = {k["kid"] for k in client.get("/auth/realms/current/protocol/openid-connect/certs").get_json()["keys"]}
    assert new_kid in published and old_kids <= published
    states = {k["kid"]: k["state"] for k in client.get("/_mock/keys").get_json()["keys"]}
    assert states[new_kid] == "next"
    client.put("/_mock/clock", json={"advance": 61})
    states = {k["kid"]: k["state"] for k in client.get("/_mock/keys").get_json()["keys"]}
    assert states[new_kid] == "active"
    assert any(states[k] == "retiring" for k in old_kids)


@pytest.mark.parametrize("body", [{"alg": "HS256"}, {"activate_after": -1}, {"activate_after": "soon"}])
def test_control_rotation_rejects_bad_input(client, body):
    response = client.post("/_mock/keys/rotate", json=body)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
