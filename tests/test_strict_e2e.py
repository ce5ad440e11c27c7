"""The strict profile through real relying-party libraries against a real ``mock-bankid serve``.

openid-client 6 (``tests/node/strict.mjs``) and Authlib each judge what BankID's documentation
says they would see at BankID; the over-HTTP checks of the same items are in
``tests/test_strict_authorize.py`` and ``tests/test_strict_tokens.py``.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError as OAuth2Error
from authlib.integrations.requests_client import OAuth2Session

pytestmark = pytest.mark.e2e
NODE_DIR = Path(__file__).parent / "node"
NODE = shutil.which("node")
STRICT_REDIRECT = "http://127.0.0.1:5555/callback"  # registered exactly; nothing listens there


@pytest.fixture(autouse=True)
def empty_queue(live_server):
    requests.delete(f"{live_server.base_url}/_mock/next-login", timeout=10)
    yield
    requests.delete(f"{live_server.base_url}/_mock/next-login", timeout=10)


@pytest.mark.node
@pytest.mark.skipif(NODE is None or not (NODE_DIR / "node_modules" / "openid-client").is_dir(),
                    reason="node and openid-client (scripts/setup-test: npm ci) are needed")
def test_openid_client_sees_bankids_shapes_from_the_strict_client(live_server):
    args = {"issuer": live_server.issuer, "mock_base": live_server.base_url, "redirect_uri": STRICT_REDIRECT}
    done = subprocess.run([NODE, str(NODE_DIR / "strict.mjs"), json.dumps(args)], cwd=NODE_DIR,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["cancel"]["error"] == "access_denied" and out["cancel"]["description"] is None
    assert out["prompt_none"]["error"] == "login_required"
    assert out["persona_hint"]["error"] == "invalid_request" and "login_hint" in out["persona_hint"]["description"]
    assert out["request_object"] == {"status": 400, "location": None, "refused": True}
    assert out["refresh"] == {"typ": "Refresh", "rotated": True, "sub_same": True}
    i = out["introspection"]
    assert i["with_hint"]["active"] is True and i["with_hint"]["client_id"] == "bankid-strict"
    assert "username" not in i["with_hint"] and "token_type" not in i["with_hint"]
    assert i["with_hint"]["nnin_altsub"] == out["id_token"]["nnin_altsub"]
    assert i["without_hint"] == {"active": False} and i["refresh"] == {"active": False}
    assert out["id_token"]["amr"] == ["bid", "bid-mfa", "bid-app", "bid-pwd"]


def test_authlib_strict_refresh_and_introspection(live_server):
    """Authlib refreshes with BankID's JWT refresh token and introspects with token_type_hint=bid_access_token;
    without the hint, or for a refresh token, the strict client gets {"active": false}, as at BankID."""
    disc = requests.get(live_server.discovery_url, timeout=10).json()
    session = OAuth2Session("bankid-strict", "bankid-strict-secret", redirect_uri=STRICT_REDIRECT,
                            scope="openid profile offline_access", code_challenge_method="S256")
    verifier = secrets.token_urlsafe(48)
    url, state = session.create_authorization_url(disc["authorization_endpoint"], code_verifier=verifier,
                                                  nonce=secrets.token_urlsafe(8))
    queued = requests.post(f"{live_server.base_url}/_mock/next-login", json={"persona": "adult"}, timeout=10)
    assert queued.status_code == 201
    location = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    token = session.fetch_token(disc["token_endpoint"], authorization_response=location, code_verifier=verifier,
                                state=state)
    refreshed = session.refresh_token(disc["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"] and refreshed["refresh_token"].count(".") == 2
    endpoint = disc["introspection_endpoint"]
    active = session.introspect_token(endpoint, token=refreshed["access_token"],
                                      token_type_hint="bid_access_token").json()
    assert active["active"] is True and active["aud"] == "tinfo"
    assert active["resource_access"] == {"tinfo": {"roles": ["profile"]}}
    assert session.introspect_token(endpoint, token=refreshed["access_token"]).json() == {"active": False}
    assert session.introspect_token(endpoint, token=refreshed["refresh_token"],
                                    token_type_hint="bid_access_token").json() == {"active": False}
    with pytest.raises(OAuth2Error):  # the spent refresh token: reuse detection revoked the family
        session.refresh_token(disc["token_endpoint"], refresh_token=token["refresh_token"])
