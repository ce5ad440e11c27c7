"""The error codes RFC 6750 and RFC 7009 define for misuse a client can really commit, each where
the protocol calls for it: ``insufficient_scope`` at userinfo, ``unsupported_token_type`` at
revocation. (``interaction_required`` is not among them: see ``errors.py``.)"""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest
from conftest import CI_REDIRECT, pkce_pair, query_of
from werkzeug.datastructures import WWWAuthenticate

P = "/auth/realms/current"
AUTH = P + "/precheck/auth"
TOKEN = P + "/protocol/openid-connect/token"
REVOKE = P + "/protocol/openid-connect/revoke"
INTROSPECT = P + "/protocol/openid-connect/token/introspect"
BASIC = {"Authorization": "Basic " + base64.b64encode(b"ci:ci-secret").decode()}


@pytest.fixture(scope="module")
def shared_keys(tmp_path_factory):
    return tmp_path_factory.mktemp("keys")


@pytest.fixture
def settings(settings, shared_keys):
    return settings.with_(keys_dir=shared_keys)


def tokens(client) -> dict:
    verifier, challenge = pkce_pair()
    q = {"client_id": "ci", "redirect_uri": CI_REDIRECT, "response_type": "code",
         "scope": "openid profile offline_access", "state": "s1", "nonce": "n1", "code_challenge": challenge,
         "code_challenge_method": "S256", "login_hint": "adult"}
    code = query_of(client.get(AUTH + "?" + urlencode(q)).headers["Location"])["code"]
    response = client.post(TOKEN, headers=BASIC, data={"grant_type": "authorization_code", "code": code,
                                                       "redirect_uri": CI_REDIRECT, "code_verifier": verifier})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def userinfo(client, access_token: str):
    return client.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def test_userinfo_refuses_a_token_narrowed_without_openid_as_insufficient_scope(client):
    body = tokens(client)
    assert userinfo(client, body["access_token"]).status_code == 200
    narrowed = client.post(TOKEN, headers=BASIC, data={"grant_type": "refresh_token", "scope": "profile",
                                                       "refresh_token": body["refresh_token"]}).get_json()
    assert narrowed["scope"] == "profile"
    response = userinfo(client, narrowed["access_token"])
    assert response.status_code == 403
    assert response.get_json()["error"] == "insufficient_scope"
    challenge = WWWAuthenticate.from_header(response.headers["WWW-Authenticate"])
    assert challenge.type == "bearer"
    assert challenge["error"] == "insufficient_scope" and challenge["scope"] == "openid"
    assert challenge["error_description"] == response.get_json()["error_description"]
    # the same person's token with openid still works: the refusal is about the scope alone
    again = client.post(TOKEN, headers=BASIC, data={"grant_type": "refresh_token",
                                                    "refresh_token": narrowed["refresh_token"]}).get_json()
    assert userinfo(client, again["access_token"]).status_code == 200


@pytest.mark.parametrize("hint", ["id_token", "urn:ietf:params:oauth:token-type:jwt", "made-up"])
def test_revocation_refuses_a_token_type_it_cannot_revoke(client, hint):
    body = tokens(client)
    response = client.post(REVOKE, headers=BASIC, data={"token": body["refresh_token"], "token_type_hint": hint})
    assert response.status_code == 400
    assert response.get_json()["error"] == "unsupported_token_type"
    assert hint[:8] in response.get_json()["error_description"]
    # nothing was revoked
    assert client.post(INTROSPECT, headers=BASIC, data={"token": body["refresh_token"]}).get_json()["active"] is True


@pytest.mark.parametrize("hint", ["access_token", "refresh_token"])
def test_revocation_hints_are_only_hints(client, hint):
    """A registered hint that names the other type still revokes (RFC 7009 section 2.1: extend the search)."""
    body = tokens(client)
    wrong = "access_token" if hint == "refresh_token" else "refresh_token"
    assert client.post(REVOKE, headers=BASIC, data={"token": body[wrong], "token_type_hint": hint}).status_code == 200
    assert client.post(INTROSPECT, headers=BASIC, data={"token": body[wrong]}).get_json() == {"active": False}
