"""End to end against a REAL ``mock-bankid serve`` (gunicorn, several workers, SQLite store):
Node's openid-client 6 and Python's Authlib drive refresh, client credentials, introspection,
revocation and JWT client authentication, and openid-client verifies tokens across a key rotation.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign
from conftest import PROJECT_ROOT, start_server
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from rp import ASSERTION_TYPE, HttpRP, pkce_pair

NODE_DIR = Path(__file__).parent / "node"
KEYS_DIR = Path(__file__).parent / "keys"
REDIRECT = "http://127.0.0.1:5555/callback"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(tmp_path_factory.mktemp("protocol"), workers=2)
    yield live
    live.stop()


@pytest.mark.node
def test_openid_client_6_drives_the_whole_protocol(tmp_path_factory):
    if shutil.which("node") is None or not (NODE_DIR / "node_modules" / "openid-client").is_dir():
        pytest.fail("needs node and `npm ci` in tests/node: run scripts/setup-test (make test does)")
    tmp = tmp_path_factory.mktemp("node-protocol")
    live = start_server(tmp, workers=2)  # its own server: this test moves the clock and rotates keys
    try:
        rotate = [sys.executable, "-m", "mock_bankid.cli", "keys", "rotate", "--keys-dir", str(tmp / "keys")]
        env = {"KEYS_DIR": str(KEYS_DIR), "MOCK_BASE": live.base_url, "ROTATE_CMD": json.dumps(rotate),
               "PATH": live.env["PATH"], "PYTHONPATH": str(PROJECT_ROOT)}
        run = subprocess.run(["node", "protocol.mjs", live.issuer], cwd=NODE_DIR, env=env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, f"{run.stderr}\n--- server log ---\n{live.log()[-3000:]}"
        out = json.loads(run.stdout)
    finally:
        live.stop()

    assert out["discovery"]["grant_types"] == ["authorization_code", "client_credentials", "refresh_token"]
    assert {"private_key_jwt", "client_secret_jwt"} <= set(out["discovery"]["auth_methods"])

    r = out["refresh"]
    for claim in ("sub", "sid", "acr", "amr", "auth_time"):
        assert r["second"][claim] == r["first"][claim], claim
    assert r["second"]["iat"] >= r["first"]["iat"] and r["second"]["nonce"] is None
    assert r["rotated"] and r["refresh_expires_in"] == 1800
    assert r["reuse"]["error"] == "invalid_grant" and r["after_reuse"]["error"] == "invalid_grant"
    assert r["userinfo_after_reuse"]["status"] == 401

    cc = out["client_credentials"]
    assert cc["has_id_token"] is False and cc["token_type"].lower() == "bearer"
    assert cc["introspected"]["active"] is True and cc["introspected"]["sub"] == "ci-jwt"
    assert cc["es256"] is None and cc["client_secret_jwt"] == "ci-secret-jwt"

    i = out["introspection"]
    assert i["own_access"]["active"] is True and i["own_access"]["sub"] == r["first"]["sub"]
    assert i["own_refresh"]["active"] is True and i["own_refresh"]["client_id"] == "ci-jwt"
    # BankID's introspection serves resource servers: another client's live token is active (api/introspect)
    assert i["other_client"]["active"] is True and i["other_client"]["client_id"] == "ci-jwt"

    v = out["revocation"]
    assert v["refresh_after"]["error"] == "invalid_grant" and v["access_after"] is False
    assert v["unknown_token"]["error"] is None

    m = out["misuse"]
    for case in ("replayed_jti", "expired", "wrong_aud", "long_lived"):
        assert m[case]["error"] == "invalid_client" and m[case]["status"] == 401, (case, m[case])
    assert m["wrong_client_refresh"]["error"] == "invalid_grant"

    k = out["rotation"]
    assert k["before_kid"] != k["new_kid"]  # signed by the promoted next key ...
    assert k["jwks_refetched"] == 0  # ... and verified against the JWKS openid-client cached before the rotation
    assert k["cache_control"] == "public, max-age=21600, must-revalidate, no-transform"
    assert k["new_sub_same"] is True


# --- Authlib ------------------------------------------------------------------------------------------
def _authlib_session(server, client_id: str, **kw):
    doc = requests.get(server.discovery_url, timeout=5).json()
    return OAuth2Session(client_id, redirect_uri=REDIRECT, **kw), doc


class ShortPrivateKeyJWT(PrivateKeyJWT):
    """Authlib's PrivateKeyJWT signs for 3600 s; the mock (like a careful provider) wants <= 300 s."""

    def sign(self, auth, token_endpoint):
        return private_key_jwt_sign(auth.client_secret, client_id=auth.client_id,
                                    token_endpoint=token_endpoint, alg=self.alg, expires_in=60)


def _authlib_code_flow(server, session, doc, scope="openid profile offline_access") -> dict:
    verifier, _ = pkce_pair()
    url, state = session.create_authorization_url(doc["authorization_endpoint"], scope=scope, nonce="authlib-n",
                                                  code_verifier=verifier, login_hint="adult")
    response = requests.get(url, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text[:300]
    return session.fetch_token(doc["token_endpoint"], authorization_response=response.headers["Location"],
                               code_verifier=verifier, state=state)


def test_authlib_refresh_client_credentials_introspection_revocation(server):
    session, doc = _authlib_session(server, "ci", client_secret="ci-secret", code_challenge_method="S256",
                                    token_endpoint_auth_method="client_secret_basic")
    token = _authlib_code_flow(server, session, doc)
    keys = KeySet.import_key_set(requests.get(doc["jwks_uri"], timeout=5).json())
    first = jwt.decode(token["id_token"], keys).claims
    refreshed = session.refresh_token(doc["token_endpoint"], refresh_token=token["refresh_token"])
    second = jwt.decode(refreshed["id_token"], keys).claims
    assert (second["sub"], second["sid"], second["acr"]) == (first["sub"], first["sid"], first["acr"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    replay = session.post(doc["token_endpoint"], auth=("ci", "ci-secret"), withhold_token=True,
                          data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"

    cc = session.fetch_token(doc["token_endpoint"], grant_type="client_credentials")
    assert "id_token" not in cc and jwt.decode(cc["access_token"], keys).claims["sub"] == "ci"

    fresh = _authlib_code_flow(server, session, doc)
    active = session.introspect_token(doc["introspection_endpoint"], token=fresh["access_token"]).json()
    assert active["active"] is True and active["client_id"] == "ci"
    assert session.revoke_token(doc["revocation_endpoint"], token=fresh["refresh_token"],
                                token_type_hint="refresh_token").status_code == 200
    after = session.introspect_token(doc["introspection_endpoint"], token=fresh["access_token"]).json()
    assert after == {"active": False}


def test_authlib_private_key_jwt(server):
    key = RSAKey.import_key((KEYS_DIR / "ci-jwt-rs256.pem").read_text())  # as Authlib users load it: no kid
    session, doc = _authlib_session(server, "ci-jwt", client_secret=key, code_challenge_method="S256",
                                    token_endpoint_auth_method="private_key_jwt")
    session.register_client_auth_method(ShortPrivateKeyJWT(doc["token_endpoint"]))
    token = _authlib_code_flow(server, session, doc)
    assert token["refresh_token"]
    refreshed = session.refresh_token(doc["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    cc = session.fetch_token(doc["token_endpoint"], grant_type="client_credentials")
    assert cc["access_token"]

    # Authlib's own default (a one-hour assertion) is refused with a message that says why.
    default = requests.post(doc["token_endpoint"], timeout=5, data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": private_key_jwt_sign(key, client_id="ci-jwt", token_endpoint=doc["token_endpoint"]),
    })
    assert default.status_code == 401 and default.json()["error"] == "invalid_client"
    assert "at most 300 s" in default.json()["error_description"]


def test_logout_over_http_ends_the_session(server):
    browser = requests.Session()
    rp = HttpRP(server, browser=browser, scope="openid", login_hint=None)
    assert rp.authorize(login_hint="adult").status == 302
    assert "code" in rp.authorize(prompt="none").params
    out = browser.get(rp.endpoint("logout"), allow_redirects=False, params={
        "client_id": "ci", "post_logout_redirect_uri": "http://127.0.0.1:9/logged-out", "state": "x"})
    assert out.status_code == 302 and out.headers["Location"] == "http://127.0.0.1:9/logged-out?state=x"
    assert rp.authorize(prompt="none").params["error"] == "login_required"
