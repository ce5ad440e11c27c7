"""BankID's key set against a REAL ``mock-bankid serve`` (gunicorn, several workers): previous,
current and next key per algorithm, a JWKS cached for hours, and rotation.

A relying party built with Authlib fetches and caches the JWKS (as BankID tells it to: "cache all
keys", "take advantage of the max-age value"), the mock rotates, and the tokens every worker signs
afterwards verify with joserfc against that cached copy: the key that signs after a rotation was
already published as the next key.
"""

from __future__ import annotations

import re

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from conftest import pkce_pair, start_server
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

REDIRECT = "http://127.0.0.1:5555/callback"
MAX_AGE = 21600

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("keyset")


@pytest.fixture(scope="module")
def server(tmp):
    live = start_server(tmp, workers=3)
    yield live
    live.stop()


def fresh_get(url: str, **kw) -> requests.Response:
    """One request on a new connection, so gunicorn may hand it to any worker."""
    return requests.get(url, headers={"Connection": "close", **kw.pop("headers", {})}, timeout=10, **kw)


def sign_in(server) -> dict:
    """An authorization code flow by Authlib's OAuth2Session (a fresh session: any worker)."""
    doc = requests.get(server.discovery_url, timeout=5).json()
    session = OAuth2Session("ci", "ci-secret", redirect_uri=REDIRECT, code_challenge_method="S256",
                            token_endpoint_auth_method="client_secret_basic")
    verifier, _ = pkce_pair()
    url, state = session.create_authorization_url(doc["authorization_endpoint"], scope="openid profile",
                                                  nonce="keyset-n", code_verifier=verifier, login_hint="adult")
    response = requests.get(url, allow_redirects=False, timeout=5, headers={"Connection": "close"})
    assert response.status_code == 302, response.text[:300]
    return session.fetch_token(doc["token_endpoint"], authorization_response=response.headers["Location"],
                               code_verifier=verifier, state=state, headers={"Connection": "close"})


def verified(token: str, cached: KeySet, issuer: str) -> jwt.Token:
    decoded = jwt.decode(token, cached)  # raises on an unknown kid or a bad signature
    JWTClaimsRegistry(iss={"essential": True, "value": issuer}, aud={"essential": True, "value": "ci"}).validate(
        decoded.claims)
    return decoded


def states(server, alg: str) -> dict[str, str]:
    rows = requests.get(f"{server.base_url}/_mock/keys", timeout=5).json()["keys"]
    return {r["kid"]: r["state"] for r in rows if r["alg"] == alg and r["state"] != "retired"}


def test_a_jwks_cached_before_a_rotation_verifies_tokens_signed_after_it_on_every_worker(server):
    doc = requests.get(server.discovery_url, timeout=5).json()
    first = requests.get(doc["jwks_uri"], timeout=5)
    cache_control = first.headers["Cache-Control"]
    assert cache_control == f"public, max-age={MAX_AGE}, must-revalidate, no-transform"  # BankID's shape
    assert int(re.search(r"max-age=(\d+)", cache_control).group(1)) >= 3600  # hours, as BankID's
    etag = first.headers["ETag"]
    assert {fresh_get(doc["jwks_uri"], headers={"If-None-Match": etag}).status_code for _ in range(6)} == {304}
    cached = KeySet.import_key_set(first.json())  # the relying party's copy, kept for max-age

    before = states(server, "RS256")
    assert sorted(before.values()) == ["current", "next", "previous"]  # the three states, in GET /_mock/keys
    assert set(before) <= {k["kid"] for k in first.json()["keys"]}
    old_token = sign_in(server)
    assert verified(old_token["id_token"], cached, server.issuer).header["kid"] == next(
        k for k, v in before.items() if v == "current")

    rotated = requests.post(f"{server.base_url}/_mock/keys/rotate", json={"alg": "RS256"}, timeout=10)
    assert rotated.status_code == 201
    promoted, new_next = rotated.json()["kid"], rotated.json()["next"]
    assert before[promoted] == "next"  # published before the rotation: in the cached copy

    after = states(server, "RS256")
    assert after[promoted] == "current" and after[new_next] == "next"
    assert after[next(k for k, v in before.items() if v == "current")] == "previous"

    for _ in range(9):  # fresh connections: every worker signs with the promoted key
        token = sign_in(server)
        assert verified(token["id_token"], cached, server.issuer).header["kid"] == promoted
    for _ in range(6):  # and every worker publishes the new set (a changed ETag: a revalidation gets it)
        response = fresh_get(doc["jwks_uri"], headers={"If-None-Match": etag})
        assert response.status_code == 200 and {promoted, new_next} <= {k["kid"] for k in response.json()["keys"]}
    refreshed = KeySet.import_key_set(fresh_get(doc["jwks_uri"]).json())
    verified(old_token["id_token"], refreshed, server.issuer)  # the previous key still verifies what it signed


def test_a_restart_keeps_the_key_set(tmp_path):
    live = start_server(tmp_path, workers=2)
    try:
        requests.post(f"{live.base_url}/_mock/keys/rotate", json={"alg": "ES256"}, timeout=10).raise_for_status()
        jwks = requests.get(f"{live.issuer}/protocol/openid-connect/certs", timeout=5).json()
        keys = requests.get(f"{live.base_url}/_mock/keys", timeout=5).json()["keys"]
    finally:
        live.stop()
    again = start_server(tmp_path, workers=2)  # the same keys dir
    try:
        assert requests.get(f"{again.issuer}/protocol/openid-connect/certs", timeout=5).json() == jwks
        assert requests.get(f"{again.base_url}/_mock/keys", timeout=5).json()["keys"] == keys
        # previous, current and next for RS256 and ES256, then the fixed request-object encryption key
        assert [k["use"] for k in jwks["keys"]] == ["sig"] * 6 + ["enc"]
    finally:
        again.stop()
