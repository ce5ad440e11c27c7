"""A grant type is one module: the recipe in ``mock_bankid/oidc/grant_types/__init__.py``, done here.

``TokenExchange`` below is a toy RFC 8693 token exchange: one class and one ``register`` call, from
this test module. Registered, it is in discovery, in the served OpenAPI enum and in what
clients.toml may list; a client registered for it gets tokens over HTTP, one that is not gets
``unauthorized_client``. It is unregistered afterwards, so no other test sees it.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from rp import FlaskRP, basic

import mock_bankid
from mock_bankid.app import create_app
from mock_bankid.core.errors import InvalidGrant, InvalidRequest, InvalidToken
from mock_bankid.oidc import BUILT_IN, grant_types
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.grant_types import Form, GrantType, register, unregister
from mock_bankid.oidc.provider import Provider
from mock_bankid.oidc.tokens import issue_tokens, read_access_token

ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
EXCHANGER = basic("exchanger", "exchanger-secret")


class TokenExchange(GrantType):
    """RFC 8693, minimal: a live access token of this mock (``subject_token``) for a new access token
    about the same sign-in, issued to the exchanging client (no actor, audience or resource)."""

    name = "urn:ietf:params:oauth:grant-type:token-exchange"

    def handle(self, p: Provider, client: Client, form: Form) -> dict[str, Any]:
        if form.get("subject_token_type") != ACCESS_TOKEN_TYPE:
            raise InvalidRequest(f"subject_token_type must be {ACCESS_TOKEN_TYPE}.")
        try:
            _claims, grant = read_access_token(p, form.get("subject_token", ""))
        except InvalidToken as exc:
            raise InvalidGrant(f"subject_token: {exc.description}") from None
        exchanged = dataclasses.replace(grant, client_id=client.client_id)
        return {**issue_tokens(p, client, exchanged, id_token=False).body, "issued_token_type": ACCESS_TOKEN_TYPE}


@pytest.fixture
def exchange(tmp_path: Path, settings):
    """The app with ``TokenExchange`` registered and a client ``exchanger`` registered for it."""
    register(TokenExchange())
    try:
        fixtures = tmp_path / "fixtures"
        shutil.copytree(FIXTURES, fixtures)
        with (fixtures / "clients.toml").open("a") as fh:
            fh.write(f'\n[[client]]\nclient_id = "exchanger"\nclient_secret = "exchanger-secret"\n'
                     f'redirect_uris = []\ngrant_types = ["{TokenExchange.name}"]\n')
        yield FlaskRP(create_app(settings.with_(fixtures_dir=fixtures)).test_client())
    finally:
        unregister(TokenExchange.name)
    assert TokenExchange.name not in grant_types.names()


def exchange_form(subject_token: str) -> dict[str, str]:
    return {"grant_type": TokenExchange.name, "subject_token": subject_token, "subject_token_type": ACCESS_TOKEN_TYPE}


def test_a_registered_grant_type_is_advertised(exchange):
    assert TokenExchange.name in exchange.discovery()["grant_types_supported"]
    doc = exchange.client.get("/_mock/openapi.json").get_json()
    token = next(item["post"] for item in doc["paths"].values() if item.get("post", {}).get("operationId") == "token")
    enum = token["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]["grant_type"]
    assert enum["enum"] == sorted([TokenExchange.name, *(g.name for g in BUILT_IN)])


def test_a_client_registered_for_it_gets_tokens(exchange):
    subject = exchange.tokens("adult")["access_token"]
    response = exchange.post("token", exchange_form(subject), auth=EXCHANGER)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["issued_token_type"] == ACCESS_TOKEN_TYPE and "id_token" not in body
    claims = exchange.claims(body["access_token"])
    assert claims["client_id"] == "exchanger" and claims["sub"] == exchange.claims(subject)["sub"]
    assert exchange.userinfo(body["access_token"]).status_code == 200


def test_its_own_rules_refuse_with_oauth_errors(exchange):
    response = exchange.post("token", exchange_form("not-a-token"), auth=EXCHANGER)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"
    response = exchange.post("token", {**exchange_form("x"), "subject_token_type": "id_token"}, auth=EXCHANGER)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_a_client_not_registered_for_it_is_unauthorized(exchange):
    subject = exchange.tokens("adult")["access_token"]
    response = exchange.post("token", exchange_form(subject), auth="ci")
    assert response.status_code == 400 and response.get_json()["error"] == "unauthorized_client"


def test_unregistered_it_is_unknown_everywhere(rp, tmp_path, settings):
    assert TokenExchange.name not in rp.discovery()["grant_types_supported"]
    response = rp.post("token", exchange_form("x"))
    assert response.status_code == 400 and response.get_json()["error"] == "unsupported_grant_type"
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, fixtures)
    with (fixtures / "clients.toml").open("a") as fh:
        fh.write(f'\n[[client]]\nclient_id = "x"\nredirect_uris = []\ngrant_types = ["{TokenExchange.name}"]\n')
    with pytest.raises(ValueError, match="client x: unknown grant_types"):
        create_app(settings.with_(fixtures_dir=fixtures))


def test_a_name_is_registered_once():
    with pytest.raises(ValueError, match="already registered"):
        register(type(BUILT_IN[0])())


def test_each_built_in_grant_type_is_its_own_module():
    for grant_type in BUILT_IN:
        assert type(grant_type).__module__ == f"mock_bankid.oidc.grant_types.{grant_type.name}"
    assert grant_types.names() == tuple(sorted(g.name for g in BUILT_IN))


def test_the_token_endpoint_names_no_grant_type():
    """It only routes: a rule about one grant type belongs in that grant type's module."""
    text = (Path(mock_bankid.__file__).parent / "endpoints" / "token.py").read_text()
    assert not [g.name for g in BUILT_IN if f'"{g.name}"' in text]
