"""Pushed authorization requests (RFC 9126), request objects (RFC 9101) and BankID's payment
approval (RFC 9396 ``authorization_details``), at unit level over the Flask test client.

Tokens are checked with Authlib's JOSE (a third-party library), not with the mock's own joserfc.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import uuid
from urllib.parse import urlencode

import pytest
from authlib.jose import JsonWebEncryption, JsonWebKey, JsonWebToken
from conftest import CI_REDIRECT, pkce_pair, query_of
from joserfc import jwt
from joserfc.jwk import RSAKey
from rp import ASSERTION_TYPE, CI_JWT_RSA, PermissionDigestMismatch, permission_digest_of, verify_id_token

from mock_bankid.oidc.clients import client_from_dict

ISSUER = "http://localhost:8080/auth/realms/current"
REALM = "/auth/realms/current"
PAR = f"{REALM}/protocol/openid-connect/ext/par/request"
AUTH = f"{REALM}/precheck/auth"
TOKEN = f"{REALM}/protocol/openid-connect/token"
CI = ("ci", "ci-secret")
STRICT = ("bankid-strict", "bankid-strict-secret")
NNIN = "01010012356"  # a valid test number without a persona: the mock signs in a person made from it
STATEMENT = {"type": "payment", "amount": {"value": "1250.00", "currency": "NOK"},
             "text": "Betaling til Drop AS, faktura 4711", "creditor": "Drop AS"}


def basic(pair: tuple[str, str]) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{pair[0]}:{pair[1]}".encode()).decode()}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def statement_param(statement: dict = STATEMENT) -> tuple[str, bytes]:
    raw = json.dumps(statement, separators=(",", ":")).encode()
    return b64url(raw), raw


def auth_params(client_id: str = "ci", **overrides) -> tuple[dict[str, str], str]:
    verifier, challenge = pkce_pair()
    base = {"client_id": client_id, "redirect_uri": CI_REDIRECT, "response_type": "code",
            "scope": "openid profile nnin_altsub", "state": "st-1", "nonce": "n-1",
            "code_challenge": challenge, "code_challenge_method": "S256", **overrides}
    return {k: v for k, v in base.items() if v is not None}, verifier


def push(client, pair=CI, **overrides):
    params, verifier = auth_params(pair[0], **overrides)
    return client.post(PAR, data=params, headers=basic(pair)), verifier


def authorize(client, client_id: str, request_uri: str):
    return client.get(AUTH + "?" + urlencode({"client_id": client_id, "request_uri": request_uri}))


def queue(client, persona: str = "adult") -> None:
    assert client.post("/_mock/next-login", json={"persona": persona}).status_code == 201


def redeem(client, location: str, verifier: str, pair=CI) -> dict:
    q = query_of(location)
    assert "code" in q, q
    response = client.post(TOKEN, data={"grant_type": "authorization_code", "code": q["code"],
                                        "redirect_uri": CI_REDIRECT, "code_verifier": verifier},
                           headers=basic(pair))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def verified(client, token: str, **expected) -> dict:
    """Claims of ``token`` verified by Authlib against the mock's JWKS."""
    jwks = JsonWebKey.import_key_set(client.get(f"{REALM}/protocol/openid-connect/certs").get_json())
    claims = JsonWebToken(["RS256", "ES256"]).decode(token, jwks)
    claims.validate(now=int(time.time()))
    for name, value in expected.items():
        assert claims[name] == value, (name, claims[name])
    return dict(claims)


# --- discovery ------------------------------------------------------------------------------
def test_discovery_lists_par_and_request_objects(client):
    doc = client.get(f"{REALM}/.well-known/openid-configuration").get_json()
    assert doc["pushed_authorization_request_endpoint"] == "http://localhost:8080" + PAR
    assert doc["require_pushed_authorization_requests"] is False
    assert doc["request_parameter_supported"] is True and "RS256" in doc["request_object_signing_alg_values_supported"]
    assert "none" not in doc["request_object_signing_alg_values_supported"]
    assert doc["authorization_details_types_supported"] == ["payment.v1"]
    assert "permission_digest" in doc["claims_supported"]


# --- PAR ------------------------------------------------------------------------------------
def test_par_then_authorize_signs_in(client):
    response, verifier = push(client)
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:") and 60 <= body["expires_in"] <= 90
    queue(client)
    answer = authorize(client, "ci", body["request_uri"])
    assert answer.status_code == 302 and query_of(answer.headers["Location"])["state"] == "st-1"
    tokens = redeem(client, answer.headers["Location"], verifier)
    verified(client, tokens["id_token"], iss=ISSUER, aud="ci", nonce="n-1")


def test_request_uri_works_once_for_its_client_and_expires(client):
    uri = push(client)[0].get_json()["request_uri"]
    queue(client)
    assert authorize(client, "ci", uri).status_code == 302
    again = authorize(client, "ci", uri)
    assert again.status_code == 400 and "invalid_request_uri" in again.text  # a page: no trusted redirect
    other = push(client)[0].get_json()["request_uri"]
    assert authorize(client, "drop-web", other).status_code == 400
    assert authorize(client, "ci", other).status_code == 400  # spent by the wrong client's try
    late = push(client)[0].get_json()["request_uri"]
    client.put("/_mock/clock", json={"advance": 91})
    assert authorize(client, "ci", late).status_code == 400
    assert authorize(client, "ci", "https://rp.example/request.jwt").status_code == 400  # never fetched


def test_par_authenticates_the_client_as_the_token_endpoint(client):
    response, _ = push(client, pair=("ci", "wrong"))
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"
    params, _ = auth_params()
    assert client.post(PAR, data=params).status_code == 401  # ci is confidential: no auth, no push
    assert client.post(PAR, data={**params, "client_secret": "ci-secret"}).status_code == 201  # client_secret_post


@pytest.mark.parametrize("overrides, error", [
    ({"redirect_uri": "https://evil.example/cb"}, "invalid_request"),
    ({"scope": "profile"}, "invalid_scope"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"request_uri": "urn:ietf:params:oauth:request_uri:x"}, "invalid_request"),
    ({"authorization_details": "not json"}, "invalid_authorization_details"),
    ({"authorization_details": '[{"type":"card.v9","permission":"e30"}]'}, "invalid_authorization_details"),
    ({"authorization_details": '[{"type":"payment.v1","permission":"bm90IGpzb24"}]'}, "invalid_authorization_details"),
])
def test_par_judges_the_request_as_authorize_does(client, overrides, error):
    response, _ = push(client, **overrides)
    assert response.status_code == 400 and response.get_json()["error"] == error, response.get_json()


def test_require_pushed_authorization_requests_per_client(app, client):
    p = app.extensions["mock_bankid"]
    p.clients.add(client_from_dict({"client_id": "par-only", "client_secret": "s", "redirect_uris": [CI_REDIRECT],
                                    "require_pushed_authorization_requests": True}))
    params, _ = auth_params("par-only")
    plain = client.get(AUTH + "?" + urlencode(params))
    assert plain.status_code == 302 and query_of(plain.headers["Location"])["error"] == "invalid_request"
    uri = push(client, pair=("par-only", "s"))[0].get_json()["request_uri"]
    queue(client)
    assert "code" in query_of(authorize(client, "par-only", uri).headers["Location"])


# --- strict: a number in login_hint only through PAR ---------------------------------------
@pytest.mark.parametrize("hint", [f"BID:{NNIN}", f":{NNIN}", json.dumps({"scheme": "nnin", "value": NNIN})])
def test_strict_takes_a_number_in_login_hint_only_through_par(client, hint):
    params, _ = auth_params(STRICT[0], login_hint=hint)
    plain = client.get(AUTH + "?" + urlencode(params))
    assert query_of(plain.headers["Location"])["error"] == "invalid_request"
    response, verifier = push(client, pair=STRICT, login_hint=hint)
    assert response.status_code == 201, response.get_json()
    answer = authorize(client, STRICT[0], response.get_json()["request_uri"])
    tokens = redeem(client, answer.headers["Location"], verifier, pair=STRICT)
    verified(client, tokens["id_token"], nnin_altsub=NNIN, aud=STRICT[0])


def test_strict_still_refuses_persona_ids_through_par(client):
    response, _ = push(client, pair=STRICT, login_hint="adult")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


# --- request objects (RFC 9101) -------------------------------------------------------------
def signed(claims: dict, secret: str = "ci-secret", alg: str = "HS256") -> str:
    header = {"alg": alg, "typ": "oauth-authz-req+jwt"}
    return JsonWebToken([alg]).encode(header, claims, secret).decode()


def test_request_object_at_authorize_and_through_par(client):
    params, verifier = auth_params()
    token = signed({**params, "iss": "ci", "aud": ISSUER, "exp": int(time.time()) + 60})
    queue(client)
    answer = client.get(AUTH + "?" + urlencode({"client_id": "ci", "request": token, "state": "ignored"}))
    assert answer.status_code == 302 and query_of(answer.headers["Location"])["state"] == "st-1"
    redeem(client, answer.headers["Location"], verifier)
    response = client.post(PAR, data={"request": token}, headers=basic(CI))
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("claims, secret, alg", [
    ({}, "wrong-secret", "HS256"),
    ({"client_id": "drop-web"}, "ci-secret", "HS256"),
    ({"aud": "https://elsewhere.example"}, "ci-secret", "HS256"),
    ({"exp": 1000}, "ci-secret", "HS256"),
])
def test_bad_request_objects_are_refused(client, claims, secret, alg):
    params, _ = auth_params()
    token = signed({**params, **claims}, secret, alg)
    answer = client.get(AUTH + "?" + urlencode({"client_id": "ci", "request": token}))
    assert answer.status_code == 400 and "invalid_request_object" in answer.text
    response = client.post(PAR, data={"request": token}, headers=basic(CI))
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request_object"


def test_unsigned_request_object_is_refused(client):
    params, _ = auth_params()
    token = b64url(b'{"alg":"none"}') + "." + b64url(json.dumps(params).encode()) + "."
    response = client.post(PAR, data={"request": token}, headers=basic(CI))
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request_object"


# --- payment approval (RAR) -----------------------------------------------------------------
def details(permission: str) -> str:
    return json.dumps([{"type": "payment.v1", "permission": permission}])


def test_authorization_details_only_in_par(client):
    params, _ = auth_params(authorization_details=details(statement_param()[0]))
    answer = client.get(AUTH + "?" + urlencode(params))
    assert query_of(answer.headers["Location"])["error"] == "invalid_authorization_details"


def test_login_page_shows_the_statement_and_cancel_refuses(client):
    permission, _ = statement_param()
    uri = push(client, authorization_details=details(permission))[0].get_json()["request_uri"]
    page = authorize(client, "ci", uri)
    assert page.status_code == 200
    assert "1250.00 NOK" in page.text and "faktura 4711" in page.text and 'data-testid="approval"' in page.text
    session = re.search(r'name="session" value="([^"]+)"', page.text)[1]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    client.set_cookie("mock_bankid_csrf", csrf, domain="localhost")
    answer = client.post(f"{REALM}/precheck/login", data={"session": session, "csrf_token": csrf, "action": "cancel"})
    assert query_of(answer.headers["Location"]) == {"error": "access_denied", "state": "st-1", "iss": ISSUER}


def test_approved_payment_carries_the_digest(client):
    permission, raw = statement_param()
    response, verifier = push(client, authorization_details=details(permission))
    queue(client)
    answer = authorize(client, "ci", response.get_json()["request_uri"])
    tokens = redeem(client, answer.headers["Location"], verifier)
    expected = base64.b64encode(hashlib.sha256(raw).digest()).decode()
    verified(client, tokens["id_token"], permission_digest=expected)
    access = verified(client, tokens["access_token"])
    assert access["authorization_details"] == [{"type": "payment.v1", "permission": permission,
                                                "permission_digest": expected}]


# --- scenarios: a refused approval and a digest that is not the statement's -------------------
def pay(client, *, scenario: str | None = None, statement: dict = STATEMENT):
    permission, raw = statement_param(statement)
    response, verifier = push(client, authorization_details=details(permission))
    body = {"persona": "adult", **({"scenario": scenario} if scenario else {})}
    assert client.post("/_mock/next-login", json=body).status_code == 201
    return authorize(client, "ci", response.get_json()["request_uri"]), verifier, raw


def test_payment_refused_answers_access_denied_only_for_a_payment(client):
    answer, _, _ = pay(client, scenario="payment-refused")
    assert query_of(answer.headers["Location"]) == {"error": "access_denied", "state": "st-1", "iss": ISSUER}
    assert client.put("/_mock/scenario", json={"scenario": "payment-refused"}).status_code == 200
    response, _ = push(client)  # a sign-in without a payment is not refused
    queue(client)
    assert "code" in query_of(authorize(client, "ci", response.get_json()["request_uri"]).headers["Location"])


def test_trap_permission_digest_is_caught_by_a_correct_rp_and_missed_by_a_defective_one(client):
    jwks = client.get(f"{REALM}/protocol/openid-connect/certs").get_json()
    answer, verifier, raw = pay(client, scenario="trap-permission-digest")
    trapped = redeem(client, answer.headers["Location"], verifier)
    args = dict(issuer=ISSUER, client_id="ci", nonce="n-1", access_token=trapped["access_token"])
    with pytest.raises(PermissionDigestMismatch):
        verify_id_token(trapped["id_token"], jwks, **args, statement=raw)  # the RP compares with what it sent
    claims = verify_id_token(trapped["id_token"], jwks, **args)  # a defective RP: a valid token otherwise
    assert claims["permission_digest"] != permission_digest_of(raw)
    answer, verifier, raw = pay(client)  # the next payment is honest again
    honest = redeem(client, answer.headers["Location"], verifier)
    verify_id_token(honest["id_token"], jwks, issuer=ISSUER, client_id="ci", nonce="n-1",
                    access_token=honest["access_token"], statement=raw)


# --- other client kinds -----------------------------------------------------------------------
def test_private_key_jwt_client_pushes_with_an_assertion_and_a_request_object(client):
    """ci-jwt authenticates with a client assertion and signs its request object with the same registered key."""
    params, _ = auth_params("ci-jwt")
    now = int(time.time())
    body = {**params, "iss": "ci-jwt", "aud": ISSUER, "exp": now + 60}
    request_object = jwt.encode({"alg": "RS256", "kid": CI_JWT_RSA.kid}, body, CI_JWT_RSA)
    assertion = jwt.encode({"alg": "RS256", "kid": CI_JWT_RSA.kid}, {
        "iss": "ci-jwt", "sub": "ci-jwt", "aud": ISSUER, "exp": now + 60, "jti": str(uuid.uuid4())}, CI_JWT_RSA)
    response = client.post(PAR, data={"request": request_object, "client_assertion": assertion,
                                      "client_assertion_type": ASSERTION_TYPE})
    assert response.status_code == 201, response.get_json()
    queue(client)
    answer = authorize(client, "ci-jwt", response.get_json()["request_uri"])
    assert "code" in query_of(answer.headers["Location"])
    forged = jwt.encode({"alg": "RS256"}, body, RSAKey.generate_key(2048))
    refused = client.get(AUTH + "?" + urlencode({"client_id": "ci-jwt", "request": forged}))
    assert refused.status_code == 400 and "invalid_request_object" in refused.text


def test_a_public_client_pushes_with_its_client_id(client):
    params, _ = auth_params("drop-mobile", redirect_uri="drop://auth/callback")
    response = client.post(PAR, data=params)
    assert response.status_code == 201, response.get_json()
    queue(client)
    answer = authorize(client, "drop-mobile", response.get_json()["request_uri"])
    assert answer.headers["Location"].startswith("drop://auth/callback?code=")


# --- encrypted request objects (a nested JWT to the JWKS's use=enc key) ----------------------
def encrypted(client, inner: str, enc: str = "A256GCM") -> str:
    """Encrypted with Authlib (a third-party JOSE library) to the key the JWKS publishes for it."""
    jwks = client.get(f"{REALM}/protocol/openid-connect/certs").get_json()
    enc_jwk = next(k for k in jwks["keys"] if k.get("use") == "enc")
    assert enc_jwk["alg"] == "RSA-OAEP-256"
    key = JsonWebKey.import_key(enc_jwk)
    header = {"alg": "RSA-OAEP-256", "enc": enc, "kid": enc_jwk["kid"], "cty": "JWT"}
    return JsonWebEncryption().serialize_compact(header, inner.encode(), key).decode()


def test_discovery_lists_request_object_encryption(client):
    doc = client.get(f"{REALM}/.well-known/openid-configuration").get_json()
    assert doc["request_object_encryption_alg_values_supported"] == ["RSA-OAEP-256"]
    assert "A256GCM" in doc["request_object_encryption_enc_values_supported"]


@pytest.mark.parametrize("enc", ["A256GCM", "A128CBC-HS256"])
def test_strict_takes_a_number_in_an_encrypted_request_object(client, enc):
    params, verifier = auth_params(STRICT[0], login_hint=f"BID:{NNIN}")
    inner = signed({**params, "iss": STRICT[0], "aud": ISSUER}, secret=STRICT[1])
    answer = client.get(AUTH + "?" + urlencode({"client_id": STRICT[0], "request": encrypted(client, inner, enc)}))
    assert answer.status_code == 302, answer.text[:500]
    tokens = redeem(client, answer.headers["Location"], verifier, pair=STRICT)
    verified(client, tokens["id_token"], nnin_altsub=NNIN)
    signed_only = client.get(AUTH + "?" + urlencode({"client_id": STRICT[0], "request": inner}))
    assert query_of(signed_only.headers["Location"])["error"] == "invalid_request"  # readable on the way: refused


def test_an_encrypted_request_object_must_decrypt_and_hold_a_signed_one(client):
    params, _ = auth_params()
    unsigned = b64url(b'{"alg":"none"}') + "." + b64url(json.dumps({**params}).encode()) + "."
    garbled = encrypted(client, signed(params))[:-8] + "AAAAAAAA"
    for token in (encrypted(client, unsigned), garbled):
        answer = client.get(AUTH + "?" + urlencode({"client_id": "ci", "request": token}))
        assert answer.status_code == 400 and "invalid_request_object" in answer.text
