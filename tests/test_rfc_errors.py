"""The error codes RFC 6750 and RFC 7009 define for misuse a client can really commit, each where
the protocol calls for it: ``insufficient_scope`` at userinfo, ``unsupported_token_type`` at
revocation. (``interaction_required`` is not among them: see ``errors.py``.)"""

from __future__ import annotations

import pytest
from rp import FlaskRP
from werkzeug.datastructures import WWWAuthenticate


@pytest.fixture
def rp(client) -> FlaskRP:
    return FlaskRP(client, scope="openid profile offline_access", state="s1", nonce="n1")


def test_userinfo_refuses_a_token_narrowed_without_openid_as_insufficient_scope(rp):
    body = rp.tokens()
    assert rp.userinfo(body["access_token"]).status_code == 200
    narrowed = rp.refresh(body["refresh_token"], scope="profile").get_json()
    assert narrowed["scope"] == "profile"
    response = rp.userinfo(narrowed["access_token"])
    assert response.status_code == 403
    assert response.get_json()["error"] == "insufficient_scope"
    challenge = WWWAuthenticate.from_header(response.headers["WWW-Authenticate"])
    assert challenge.type == "bearer"
    assert challenge["error"] == "insufficient_scope" and challenge["scope"] == "openid"
    assert challenge["error_description"] == response.get_json()["error_description"]
    # the same person's token with openid still works: the refusal is about the scope alone
    again = rp.refresh(narrowed["refresh_token"]).get_json()
    assert rp.userinfo(again["access_token"]).status_code == 200


@pytest.mark.parametrize("hint", ["id_token", "urn:ietf:params:oauth:token-type:jwt", "made-up"])
def test_revocation_refuses_a_token_type_it_cannot_revoke(rp, hint):
    body = rp.tokens()
    response = rp.revoke(body["refresh_token"], token_type_hint=hint)
    assert response.status_code == 400
    assert response.get_json()["error"] == "unsupported_token_type"
    assert hint[:8] in response.get_json()["error_description"]
    # nothing was revoked
    assert rp.introspect(body["refresh_token"]).get_json()["active"] is True


@pytest.mark.parametrize("hint", ["access_token", "refresh_token"])
def test_revocation_hints_are_only_hints(rp, hint):
    """A registered hint that names the other type still revokes (RFC 7009 section 2.1: extend the search)."""
    body = rp.tokens()
    wrong = "access_token" if hint == "refresh_token" else "refresh_token"
    assert rp.revoke(body[wrong], token_type_hint=hint).status_code == 200
    assert rp.introspect(body[wrong]).get_json() == {"active": False}
