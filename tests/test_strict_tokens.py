"""Token, userinfo and introspection shapes as BankID documents them (Flask test client, over HTTP).

Shapes are the same in every profile unless said otherwise (docs/fidelity.md); the strict client
``bankid-strict`` is used where the profile matters.
"""

from __future__ import annotations

import base64
import json

import pytest
from conftest import CI_REDIRECT
from joserfc import jwt
from joserfc.jwk import KeySet
from rp import FlaskRP
from test_token import ISSUER

from mock_bankid.oidc.clients import Client, client_from_dict
from mock_bankid.oidc.profiles import PROFILES
from mock_bankid.oidc.provider import EXTENSION_KEY


def rp_of(client, client_id: str = "ci") -> FlaskRP:
    return FlaskRP(client, client_id=client_id, scope="openid profile nnin_altsub offline_access",
                   state="s1", nonce="n1")


def keys(client) -> KeySet:
    return rp_of(client).keyset()


def sign_in(client, client_id="ci", **extra) -> dict:
    """The driver's sign-in and redeem (the strict client's hint goes through the queue)."""
    return rp_of(client, client_id).tokens(client_id=client_id, **extra)


def introspect(client, client_id, token, **form):
    return rp_of(client).introspect(token, auth=client_id, **form)


@pytest.mark.parametrize("persona, acr_values, acr, amr", [
    ("adult", "urn:bankid:bid", "urn:bankid:bid;LOA=4", ["bid", "bid-mfa", "bid-app", "bid-pwd"]),
    ("code-device", "urn:bankid:bid", "urn:bankid:bid;LOA=4", ["bid", "bid-mfa", "bid-otp", "bid-pwd"]),
    ("adult", "urn:bankid:bis", "urn:bankid:bis;LOA=3", ["bis-mfa", "bis-hwk"]),
    # no biometrics: a step-up through BankID High, whose bid-* values come only with bis-bid
    ("code-device", "urn:bankid:bis", "urn:bankid:bis;LOA=3", ["bis-mfa", "bis-bid", "bid-mfa", "bid-otp", "bid-pwd"]),
])
def test_acr_and_amr_as_documented(client, persona, acr_values, acr, amr):
    body = sign_in(client, "bankid-strict", acr_values=acr_values, login_hint=persona)
    for token in (body["id_token"], body["access_token"]):  # "Both ID and access tokens carry acr and amr"
        claims = jwt.decode(token, keys(client)).claims
        assert claims["acr"] == acr and claims["amr"] == amr
    assert "bid" not in amr[1:] or acr.endswith("LOA=4")  # bid (LoA High) only for BankID High
    assert not any(v.startswith("bid-") for v in amr) or "bis-bid" in amr or acr.endswith("LOA=4")


def test_api_ver_is_in_id_access_and_refresh_tokens(client):
    body = sign_in(client, "bankid-strict")
    for name in ("id_token", "access_token", "refresh_token"):  # "new claim in ID and Access tokens"
        assert jwt.decode(body[name], keys(client)).claims["api_ver"] == 4, name


def test_access_token_audience_is_tinfo_with_its_roles(client):
    body = sign_in(client, "bankid-strict", scope="openid profile nnin_altsub")
    access = jwt.decode(body["access_token"], keys(client)).claims
    assert access["aud"] == "tinfo" and access["typ"] == "Bearer" and access["azp"] == "bankid-strict"
    assert access["resource_access"] == {"tinfo": {"roles": ["profile"]}}
    assert access["realm_access"] == {"roles": ["profile"]} and "nonce" not in access


def test_updated_at_is_the_certificate_issue_time_stable_per_person(client):
    first = jwt.decode(sign_in(client, "bankid-strict")["id_token"], keys(client)).claims
    client.put("/_mock/clock", json={"advance": 86400 * 30})
    later = jwt.decode(sign_in(client, "bankid-strict")["id_token"], keys(client)).claims
    assert first["updated_at"] == later["updated_at"] > 10**12  # epoch milliseconds, as BankID's examples
    assert first["updated_at"] % 1000 == 0 and first["updated_at"] // 1000 < first["iat"] < later["iat"]
    assert first["updated_at"] // 1000 != first["auth_time"]
    other = jwt.decode(sign_in(client, "bankid-strict", login_hint="adult-25")["id_token"], keys(client)).claims
    assert other["updated_at"] != first["updated_at"]  # one per persona


def test_refresh_token_is_a_jwt_of_type_refresh_and_reuse_still_revokes(client):
    body = sign_in(client, "bankid-strict")
    token = jwt.decode(body["refresh_token"], keys(client))
    assert token.header["alg"] == "ES256"
    claims = token.claims
    assert claims["typ"] == "Refresh" and claims["iss"] == ISSUER and claims["azp"] == "bankid-strict"
    assert claims["sub"] == jwt.decode(body["id_token"], keys(client)).claims["sub"] and claims["nbf"] == 0
    assert "nonce" not in claims and "session_state" not in claims
    rp = rp_of(client, "bankid-strict")
    rotated = rp.refresh(body["refresh_token"]).get_json()
    assert rotated["refresh_token"] != body["refresh_token"]
    assert rp.refresh(body["refresh_token"]).get_json()["error"] == "invalid_grant"  # reuse
    again = rp.refresh(rotated["refresh_token"])
    assert again.get_json()["error"] == "invalid_grant"  # the whole family is revoked


def test_a_forged_refresh_token_is_unknown(client):
    body = sign_in(client, "bankid-strict")
    head, _payload, sig = body["refresh_token"].split(".")
    claims = jwt.decode(body["refresh_token"], keys(client)).claims
    edited = base64.urlsafe_b64encode(json.dumps({**claims, "azp": "ci"}).encode()).rstrip(b"=").decode()
    response = rp_of(client, "bankid-strict").refresh(f"{head}.{edited}.{sig}")
    assert response.get_json()["error"] == "invalid_grant"


# --- introspection -------------------------------------------------------------------------------
def test_strict_introspection_wants_bid_access_token_and_answers_with_bankids_fields(client):
    body = sign_in(client, "bankid-strict")
    idt = jwt.decode(body["id_token"], keys(client)).claims
    access = jwt.decode(body["access_token"], keys(client)).claims
    got = introspect(client, "bankid-strict", body["access_token"], token_type_hint="bid_access_token").get_json()
    assert got == {"active": True, **access, "nnin_altsub": idt["nnin_altsub"]}  # exactly: no username/token_type
    for hint in ({}, {"token_type_hint": "access_token"}):
        assert introspect(client, "bankid-strict", body["access_token"], **hint).get_json() == {"active": False}


def test_strict_does_not_introspect_refresh_tokens(client):
    body = sign_in(client, "bankid-strict")
    for hint in ("bid_access_token", "refresh_token"):
        got = introspect(client, "bankid-strict", body["refresh_token"], token_type_hint=hint)
        assert got.status_code == 200 and got.get_json() == {"active": False}


def test_dev_keeps_refresh_introspection_and_any_hint(client):
    body = sign_in(client, "ci")
    assert introspect(client, "ci", body["access_token"]).get_json()["active"] is True
    got = introspect(client, "ci", body["refresh_token"], token_type_hint="refresh_token").get_json()
    assert got["active"] is True and got["typ"] == "Refresh" and "username" not in got


def test_introspection_answers_for_another_clients_token(client):
    """BankID's introspection serves resource servers: a token issued to ``ci`` is active for
    ``bankid-strict``, with ``nnin_altsub`` for an eligible caller "regardless of" the token's client."""
    body = sign_in(client, "ci")
    access = jwt.decode(body["access_token"], keys(client)).claims
    got = introspect(client, "bankid-strict", body["access_token"], token_type_hint="bid_access_token").get_json()
    assert got["active"] is True and got["client_id"] == "ci" and got["sub"] == access["sub"]
    assert "nnin_altsub" in got
    assert introspect(client, "bankid-strict", "not-a-token", token_type_hint="bid_access_token").get_json() == {
        "active": False}


# --- refresh tokens --------------------------------------------------------------------------------
def test_strict_issues_a_refresh_token_without_offline_access_dev_only_with_it(client):
    """BankID (Keycloak): every sign-in of a client provisioned for refresh gets one (session-handling);
    dev keeps OIDC Core section 11 (``refresh_only_with_offline_access``)."""
    strict = sign_in(client, "bankid-strict", scope="openid profile")
    assert strict["refresh_token"] and jwt.decode(strict["refresh_token"], keys(client)).claims["typ"] == "Refresh"
    assert rp_of(client, "bankid-strict").refresh(strict["refresh_token"]).get_json()["access_token"]
    assert "refresh_token" not in sign_in(client, "ci", scope="openid profile")
    assert sign_in(client, "ci")["refresh_token"]  # with offline_access


# --- clients and discovery -------------------------------------------------------------------------
def test_discovery_lists_only_what_bankid_supports(client):
    doc = client.get("/auth/realms/current/.well-known/openid-configuration").get_json()
    for key in ("token_endpoint_auth_methods_supported", "introspection_endpoint_auth_methods_supported",
                "revocation_endpoint_auth_methods_supported"):
        assert set(doc[key]) == {"client_secret_basic", "client_secret_post", "client_secret_jwt",
                                 "private_key_jwt"}, key
    assert "pid" not in doc["claims_supported"] and "nnin_altsub" in doc["claims_supported"]
    assert doc["tls_client_certificate_bound_access_tokens"] is False
    assert doc["pushed_authorization_request_endpoint"].endswith("/protocol/openid-connect/ext/par/request")


def test_a_strict_public_client_is_refused_at_start_up_naming_it():
    entry = {"client_id": "strict-app", "redirect_uris": ["https://app.example/cb"], "auth_methods": ["none"],
             "profile": "strict"}
    with pytest.raises(ValueError, match=r"client strict-app: a strict client cannot be public"):
        client_from_dict(entry, source="clients.toml", strict=True)
    assert client_from_dict({**entry, "conveniences": {"public_clients": True}}).is_public
    assert client_from_dict({**entry, "profile": "dev"}).is_public  # dev keeps the mobile/SPA clients


def test_a_public_client_made_in_code_with_the_switch_off_gets_invalid_client(client):
    """Past the start-up check (a client registered in code): the token endpoint refuses ``none``."""
    clients = client.application.extensions[EXTENSION_KEY].clients
    clients.add(Client(client_id="strict-public", redirect_uris=(CI_REDIRECT,), auth_methods=("none",),
                       profile=PROFILES["strict"]))
    response = client.post("/auth/realms/current/protocol/openid-connect/token",
                           data={"grant_type": "authorization_code", "code": "x", "client_id": "strict-public",
                                 "redirect_uri": CI_REDIRECT, "code_verifier": "v" * 43})
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"
    assert "public_clients" in response.get_json()["error_description"]


def test_jwks_publishes_an_encryption_key_after_the_signing_keys(client):
    """BankID's JWKS also holds RSA keys (``use: enc``, RSA-OAEP-256) to encrypt request objects to;
    ``jwks_uri_enc`` (login_hint encryption) is deprecated and not offered. The key comes last, so a
    client that takes the first RSA key (or filters on ``use``) still gets a signing key."""
    keys_ = client.get("/auth/realms/current/protocol/openid-connect/certs").get_json()["keys"]
    enc = [k for k in keys_ if k["use"] == "enc"]
    assert [(k["kty"], k["alg"]) for k in enc] == [("RSA", "RSA-OAEP-256")]
    assert keys_[-1]["use"] == "enc" and next(k for k in keys_ if k["kty"] == "RSA")["use"] == "sig"
    body = sign_in(client, "ci")  # RS256 ID token
    assert jwt.decode(body["id_token"], KeySet.import_key_set({"keys": keys_})).claims["aud"] == "ci"
    doc = client.get("/auth/realms/current/.well-known/openid-configuration").get_json()
    assert "jwks_uri_enc" not in doc
