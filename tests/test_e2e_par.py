"""PAR (RFC 9126) and payment approval (RFC 9396) end to end: openid-client 6 pushes its request
(``buildAuthorizationUrlWithPAR``) to a real ``mock-bankid serve`` and judges the answer; the ID
token's ``permission_digest`` is then checked with Authlib against the JWKS (third-party JOSE).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest
import requests
from authlib.jose import JsonWebKey, JsonWebToken
from test_e2e_node import CI_REDIRECT, OPENID_CLIENT_MARKS, queue, run_flow

pytestmark = OPENID_CLIENT_MARKS

NNIN = "01010012356"
STRICT = {"client_id": "bankid-strict", "client_secret": "bankid-strict-secret", "redirect_uri": CI_REDIRECT,
          "metadata": {"id_token_signed_response_alg": "ES256", "userinfo_signed_response_alg": "RS256"},
          "userinfo": "jose"}
STATEMENT = json.dumps({"type": "payment", "amount": {"value": "499.00", "currency": "NOK"},
                        "text": "Drop: overføring til sparekonto"}, separators=(",", ":")).encode()


@pytest.fixture(autouse=True)
def empty_queue(live_server):
    requests.delete(f"{live_server.base_url}/_mock/next-login", timeout=10)


def verified(live_server, token: str) -> dict:
    jwks = JsonWebKey.import_key_set(requests.get(f"{live_server.issuer}/protocol/openid-connect/certs",
                                                  timeout=10).json())
    claims = JsonWebToken(["RS256", "ES256"]).decode(token, jwks)
    claims.validate(now=int(time.time()))
    return dict(claims)


def test_dev_client_signs_in_through_par(live_server):
    out = run_flow(live_server, client_id="ci", client_secret="ci-secret", redirect_uri=CI_REDIRECT, par=True)
    assert out["ok"], out
    assert "request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A" in out["url"] and "nonce" not in out["url"]
    assert out["claims"]["aud"] == "ci" and out["claims"]["nonce"] == out["nonce"]


def test_strict_client_prefills_a_number_only_through_par(live_server):
    out = run_flow(live_server, **STRICT, par=True, login_hint=f"BID:{NNIN}", userinfo_issuer=live_server.base_url)
    assert out["ok"], out
    assert out["claims"]["nnin_altsub"] == NNIN and out["id_token_header"]["alg"] == "ES256"
    queue(live_server)  # were the hint ignored, this persona would sign in instead
    plain = run_flow(live_server, **STRICT, login_hint=f"BID:{NNIN}", userinfo_issuer=live_server.base_url)
    assert not plain["ok"] and plain["error"]["oauth_error"] == "invalid_request", plain
    requests.delete(f"{live_server.base_url}/_mock/next-login", timeout=10)


def test_payment_approval_digest_verified_by_a_third_party_library(live_server):
    permission = base64.urlsafe_b64encode(STATEMENT).rstrip(b"=").decode()
    queue(live_server)
    out = run_flow(live_server, client_id="ci", client_secret="ci-secret", redirect_uri=CI_REDIRECT, par=True,
                   login_hint="", authorization_details=[{"type": "payment.v1", "permission": permission}])
    assert out["ok"], out
    expected = base64.b64encode(hashlib.sha256(STATEMENT).digest()).decode()
    id_token_claims = out["claims"]
    assert id_token_claims["permission_digest"] == expected  # openid-client verified the token's signature
    access = verified(live_server, out["access_token"])  # and Authlib the access token's
    assert access["authorization_details"][0]["permission_digest"] == expected


def test_authorization_details_without_par_is_refused(live_server):
    permission = base64.urlsafe_b64encode(STATEMENT).rstrip(b"=").decode()
    out = run_flow(live_server, client_id="ci", client_secret="ci-secret", redirect_uri=CI_REDIRECT,
                   authorization_details=[{"type": "payment.v1", "permission": permission}])
    assert not out["ok"] and out["error"]["oauth_error"] == "invalid_authorization_details", out
