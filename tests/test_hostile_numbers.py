"""Input that used to give a 5xx (issue 12.3): numbers parsed once, with bounds, where they enter,
and header bytes that are not ASCII. Each case must be a 4xx in the spec's shape."""

from __future__ import annotations

import base64
import json
import time
import uuid
from urllib.parse import urlencode

import pytest
from conftest import CI_REDIRECT, pkce_pair, query_of

AUTH = "/auth/realms/current/precheck/auth"
TOKEN = "/auth/realms/current/protocol/openid-connect/token"
INTROSPECT = "/auth/realms/current/protocol/openid-connect/token/introspect"
REVOKE = "/auth/realms/current/protocol/openid-connect/revoke"
ISSUER = "http://localhost:8080/auth/realms/current"
SECRET_JWT_CLIENT = "ci-secret-jwt"
SECRET_JWT_SECRET = "ci-secret-jwt-shared-secret-at-least-32-bytes"  # published in fixtures/clients.toml
HUGE = int("1" + "0" * 400)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.mark.parametrize("path", [TOKEN, INTROSPECT, REVOKE])
def test_non_ascii_bytes_in_basic_authorization_are_invalid_client(client, path):
    raw = "Basic \xe6\xf8\xe5=="  # latin-1 bytes as WSGI hands them over
    response = client.post(path, data={"grant_type": "client_credentials", "token": "x"},
                           headers={"Authorization": raw})
    assert response.status_code == 401, response.data
    assert response.json["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def _authorize(client, **extra):
    _verifier, challenge = pkce_pair()
    q = {"client_id": "ci", "redirect_uri": CI_REDIRECT, "response_type": "code", "scope": "openid",
         "state": "s1", "nonce": "n1", "code_challenge": challenge, "code_challenge_method": "S256", **extra}
    return client.get(AUTH + "?" + urlencode(q))


@pytest.mark.parametrize("max_age", ["\u00b2", "\u0663", "9" * 5000, "1" * 30, "-1", " 5", "5 ", "+5", "1_000"],
                         ids=["superscript-2", "arabic-3", "5000-digits", "30-digits", "negative", "lead-space",
                              "trail-space", "plus", "underscore"])
def test_odd_max_age_with_a_live_sso_session_is_invalid_request(client, max_age):
    assert _authorize(client, login_hint="adult").status_code == 302  # leaves an SSO session cookie
    response = _authorize(client, max_age=max_age)
    assert response.status_code == 302, response.data[:300]
    assert query_of(response.headers["Location"])["error"] == "invalid_request"


def test_plain_max_age_still_works_with_an_sso_session(client):
    assert _authorize(client, login_hint="adult").status_code == 302
    response = _authorize(client, max_age="3600")
    assert "code" in query_of(response.headers["Location"])


def _assertion(**claims) -> str:
    now = int(time.time())
    body = {"iss": SECRET_JWT_CLIENT, "sub": SECRET_JWT_CLIENT, "aud": ISSUER, "jti": uuid.uuid4().hex,
            "exp": now + 60, "iat": now, **claims}
    # joserfc refuses to encode such numbers itself: sign the JSON text by hand, as an attacker would.
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=")
    import hashlib
    import hmac
    signing_input = header + b"." + payload
    mac = hmac.new(SECRET_JWT_SECRET.encode(), signing_input, hashlib.sha256).digest()
    sig = base64.urlsafe_b64encode(mac).rstrip(b"=")
    return (signing_input + b"." + sig).decode()


def test_the_hand_signed_assertion_is_accepted_when_its_numbers_are_ordinary(client):
    response = client.post(TOKEN, data={"grant_type": "client_credentials", "client_assertion": _assertion(),
                                        "client_assertion_type": ASSERTION_TYPE})
    assert response.status_code == 200, response.data


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", [HUGE, -HUGE, 1e308], ids=["1e400", "-1e400", "1e308"])
def test_a_signed_client_assertion_with_a_huge_time_is_invalid_client(client, claim, value):
    response = client.post(TOKEN, data={"grant_type": "client_credentials",
                                        "client_assertion": _assertion(**{claim: value}),
                                        "client_assertion_type": ASSERTION_TYPE})
    assert response.status_code == 401, response.data
    assert response.json["error"] == "invalid_client"


@pytest.mark.parametrize("body", [
    '{"shift": 1%s}' % ("0" * 400), '{"advance": 1%s}' % ("0" * 400), '{"shift": -1%s}' % ("0" * 400),
    '{"shift": "1%s"}' % ("0" * 400), '{"shift": 1%s}' % ("0" * 5000), '{"shift": "\u00b2"}', '{"shift": 1e400}',
])
def test_clock_with_a_huge_number_is_400(client, body):
    response = client.put("/_mock/clock", data=body, content_type="application/json")
    assert response.status_code == 400, response.data
    assert response.json["error"] == "invalid_request"


@pytest.mark.parametrize("body", [
    '{"activate_after": 1%s}' % ("0" * 400), '{"activate_after": "1%s"}' % ("0" * 400), '{"activate_after": 1e400}',
    '{"activate_after": 1%s}' % ("0" * 5000),
])
def test_key_rotation_with_a_huge_number_is_400(client, body):
    response = client.post("/_mock/keys/rotate", data=body, content_type="application/json")
    assert response.status_code == 400, response.data
    assert response.json["error"] == "invalid_request"
