"""End to end with Node's openid-client 6 (``tests/node/flow.mjs``) against a real ``mock-bankid serve``.

openid-client is OpenID-certified and strict: exact issuer match, the RFC 9207 ``iss`` response
parameter, state, nonce, PKCE, and (with ``enableNonRepudiationChecks``) the ID token's and the
signed userinfo's signatures against ``jwks_uri``. CI installs it (scripts/setup-test: npm ci).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

NODE_DIR = Path(__file__).parent / "node"
NODE = shutil.which("node")

OPENID_CLIENT_MARKS = [
    pytest.mark.e2e,
    pytest.mark.node,
    pytest.mark.skipif(NODE is None, reason="node is not installed (scripts/setup-test installs nodejs)"),
    pytest.mark.skipif(not (NODE_DIR / "node_modules" / "openid-client").is_dir(),
                       reason="openid-client is not installed: `cd tests/node && npm ci` (scripts/setup-test does)"),
]
"""What every test driving openid-client 6 needs (test_e2e_par.py uses them too)."""
pytestmark = OPENID_CLIENT_MARKS

CI_REDIRECT = "http://127.0.0.1:5555/callback"


def run_flow(live_server, **args: Any) -> dict[str, Any]:
    args.setdefault("issuer", live_server.issuer)
    completed = subprocess.run([NODE, str(NODE_DIR / "flow.mjs"), json.dumps(args)], cwd=NODE_DIR,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.fixture(autouse=True)
def empty_queue(live_server):
    requests.delete(f"{live_server.base_url}/_mock/next-login", timeout=10)


def test_ci_client_json_userinfo(live_server):
    out = run_flow(live_server, client_id="ci", client_secret="ci-secret", redirect_uri=CI_REDIRECT,
                   scope="openid profile nnin_altsub email", login_hint="adult")
    assert out["ok"], out
    claims, info = out["claims"], out["userinfo"]
    assert claims["iss"] == live_server.issuer and claims["aud"] == "ci" and claims["nonce"] == out["nonce"]
    assert out["id_token_header"]["alg"] == "RS256"
    assert len(claims["pid"]) == 11 and claims["pid"] == claims["nnin_altsub"]
    assert info["sub"] == claims["sub"] and info["given_name"] == claims["given_name"]
    assert "@" in info["email"]  # scope email, consented (a headless sign-in consents to all)
    assert out["token_type"].lower() == "bearer" and 0 < out["expires_in"] <= 300


def test_drop_mobile_public_client(live_server):
    out = run_flow(live_server, client_id="drop-mobile", redirect_uri="drop://auth/callback",
                   metadata={"token_endpoint_auth_method": "none"}, login_hint="adult-25")
    assert out["ok"], out
    assert out["location"].startswith("drop://auth/callback?") and out["claims"]["aud"] == "drop-mobile"


def test_drop_web_confidential_client(live_server):
    out = run_flow(live_server, client_id="drop-web", client_secret="drop-web-secret",
                   redirect_uri="http://localhost:3000/api/auth/bankid/callback", login_hint="turns-18-today")
    assert out["ok"], out
    assert out["claims"]["aud"] == "drop-web" and len(out["claims"]["pid"]) == 11


def queue(live_server, persona: str = "adult") -> None:
    """Who signs in next: the strict profile refuses persona ids in login_hint."""
    queued = requests.post(f"{live_server.base_url}/_mock/next-login", json={"persona": persona}, timeout=10)
    assert queued.status_code == 201


def test_bankid_strict_es256_and_signed_userinfo(live_server):
    """Real-BankID shape: ES256 ID token, no pid, userinfo as application/jwt from TINFO, verified
    against jwks_uri (jose) with TINFO's issuer, as a BankID relying party must."""
    queue(live_server)
    out = run_flow(live_server, client_id="bankid-strict", client_secret="bankid-strict-secret",
                   redirect_uri=CI_REDIRECT, scope="openid profile nnin_altsub nnin", login_hint="",
                   metadata={"id_token_signed_response_alg": "ES256", "userinfo_signed_response_alg": "RS256"},
                   userinfo="jose", userinfo_issuer=live_server.base_url)
    assert out["ok"], out
    assert out["id_token_header"]["alg"] == "ES256"
    assert "pid" not in out["claims"] and len(out["claims"]["nnin_altsub"]) == 11
    info = out["userinfo"]
    assert info["sub"] == out["claims"]["sub"] and info["aud"] == "bankid-strict"
    assert info["iss"] == live_server.base_url  # TINFO's: the userinfo base URL, not the OIDC issuer
    # scope nnin, consented (headless): TINFO releases the number, the same as nnin_altsub
    assert info["exp"] > info["iat"] and info["nnin"] == out["claims"]["nnin_altsub"]


def test_openid_client_fetch_userinfo_refuses_tinfos_issuer(live_server):
    """What BankID's userinfo does to openid-client: fetchUserInfo insists iss is the OIDC issuer, TINFO's
    is not, so it throws. A relying party verifies the userinfo JWT itself (previous test) or reads
    the ID token; passing here means the same code fails at BankID."""
    queue(live_server)
    out = run_flow(live_server, client_id="bankid-strict", client_secret="bankid-strict-secret",
                   redirect_uri=CI_REDIRECT, login_hint="",
                   metadata={"id_token_signed_response_alg": "ES256", "userinfo_signed_response_alg": "RS256"})
    assert not out["ok"]
    assert out["error"]["code"] == "OAUTH_JWT_CLAIM_COMPARISON_FAILED" and '"iss"' in out["error"]["cause"], out


def test_bankid_strict_declared_rs256_refuses_the_es256_token(live_server):
    """A client that declares RS256 must not get through: the mock really signs ES256 for this client."""
    queue(live_server)
    out = run_flow(live_server, client_id="bankid-strict", client_secret="bankid-strict-secret",
                   redirect_uri=CI_REDIRECT, login_hint="", metadata={"id_token_signed_response_alg": "RS256"})
    assert not out["ok"]
    assert "alg" in json.dumps(out["error"]).lower(), out


def test_state_mismatch_is_rejected(live_server):
    out = run_flow(live_server, client_id="ci", client_secret="ci-secret", redirect_uri=CI_REDIRECT,
                   mode="state-mismatch")
    assert not out["ok"]
    assert "state" in json.dumps(out["error"]).lower(), out


def test_signature_is_really_checked(live_server):
    """With other keys behind jwks_uri the same flow fails: enableNonRepudiationChecks is in effect."""
    out = run_flow(live_server, client_id="ci", client_secret="ci-secret", redirect_uri=CI_REDIRECT,
                   mode="foreign-jwks")
    assert not out["ok"]
    assert "signature" in (out["error"]["message"] + str(out["error"].get("cause"))).lower(), out


def test_wrong_secret_is_invalid_client(live_server):
    out = run_flow(live_server, client_id="ci", client_secret="wrong", redirect_uri=CI_REDIRECT)
    assert not out["ok"]
    assert out["error"]["status"] == 401 and out["error"]["code"] == "OAUTH_WWW_AUTHENTICATE_CHALLENGE", out
