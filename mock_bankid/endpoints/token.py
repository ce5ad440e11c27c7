"""Token endpoint (``{issuer}/protocol/openid-connect/token``): client authentication, then a grant.

Grants are looked up in ``GRANT_TYPES`` by ``grant_type``; each takes the authenticated client and
returns the JSON body. Errors are ``OAuthError`` and become RFC 6749 §5.2 JSON in ``app.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from mock_bankid.bankid.claims import Grant
from mock_bankid.core import routes
from mock_bankid.core.errors import InvalidGrant, InvalidRequest, InvalidScope, UnauthorizedClient, UnsupportedGrantType
from mock_bankid.http.web import routed
from mock_bankid.oidc import codes, refresh
from mock_bankid.oidc.client_auth import authenticate_client
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.grants import client_credentials_scopes, client_grant, parse_scopes
from mock_bankid.oidc.hooks import TokenContext
from mock_bankid.oidc.provider import Provider, provider
from mock_bankid.oidc.tokens import issue_tokens

bp = Blueprint("token", __name__)

GrantHandler = Callable[[Provider, Client], dict[str, Any]]
GRANT_TYPES: dict[str, GrantHandler] = {}
"""grant_type -> its handler (discovery advertises these keys)."""


def grant_type(name: str) -> Callable[[GrantHandler], GrantHandler]:
    def register(func: GrantHandler) -> GrantHandler:
        GRANT_TYPES[name] = func
        return func

    return register


@routed(bp, routes.TOKEN)
def token() -> Response:
    p = provider()
    if request.mimetype != "application/x-www-form-urlencoded":
        raise InvalidRequest("The token request must be application/x-www-form-urlencoded.")
    name = request.form.get("grant_type", "")
    sign_in = codes.sign_in_extra(p, request.form.get("code", "")) if name == "authorization_code" else None
    short_circuit = p.hooks.at(TokenContext(client_id=request.form.get("client_id"), grant_type=name, sign_in=sign_in))
    if short_circuit is not None:
        return short_circuit
    client, _method = authenticate_client(p, request)
    if not name:
        raise InvalidRequest("grant_type is required.")
    handler = GRANT_TYPES.get(name)
    if handler is None:
        raise UnsupportedGrantType(f"grant_type {name!r} is not supported.")
    if name not in client.grant_types:
        raise UnauthorizedClient(f"Client {client.client_id!r} is not registered for grant_type {name}.")
    return jsonify(handler(p, client))


@grant_type("authorization_code")
def authorization_code(p: Provider, client: Client) -> dict[str, Any]:
    code = request.form.get("code")
    if not code:
        raise InvalidRequest("code is required.")
    return codes.redeem(p, code, client, redirect_uri=request.form.get("redirect_uri"),
                        code_verifier=request.form.get("code_verifier")).body


@grant_type("refresh_token")
def refresh_token(p: Provider, client: Client) -> dict[str, Any]:
    """RFC 6749 §6 with rotation: the old token is spent, a replayed one revokes its whole family.

    The new ID token keeps ``sub``, ``sid``, ``acr``, ``amr`` and ``auth_time`` and gets a new
    ``iat``/``exp`` (BankID resets ``iat`` on refresh); it has no ``nonce`` (OIDC Core §12.2).
    """
    token = request.form.get("refresh_token")
    if not token:
        raise InvalidRequest("refresh_token is required.")
    live = p.store.get(refresh.REFRESH_NS, token)
    if live is not None:
        # Checked before use, so another client cannot burn a token it does not own.
        if live["client_id"] != client.client_id:
            raise InvalidGrant("The refresh token was issued to another client.")
        if refresh.family_revoked(p, live["family"]):
            raise InvalidGrant("Refresh token revoked.")
    # Whoever takes the token first has used it legitimately and gets its tokens, even if a
    # concurrent replay revokes the family a moment later (the new refresh token then fails).
    record = refresh.take(p, token)
    if record is None:
        family = refresh.spent_family(p, token)
        if family is not None:
            refresh.revoke_family(p, family)
            raise InvalidGrant("Refresh token already used: it and every token issued with it are revoked.")
        raise InvalidGrant("Refresh token not valid (unknown, expired or revoked).")
    grant = Grant.from_dict(record["grant"])
    requested = request.form.get("scope")
    token_grant = grant
    if requested is not None:
        scope = parse_scopes(requested)
        extra = [s for s in scope if s not in grant.scope]
        if extra:
            raise InvalidScope(f"Scope not granted originally: {' '.join(extra)} (RFC 6749 section 6).")
        token_grant = dataclasses.replace(grant, scope=scope)
    token_grant = dataclasses.replace(token_grant, nonce=None)
    return refresh.issue_with_refresh(p, client, grant, token_grant=token_grant, family=record["family"]).body


@grant_type("client_credentials")
def client_credentials(p: Provider, client: Client) -> dict[str, Any]:
    """RFC 6749 §4.4: an access token about the client itself (``sub`` = client id), no ID token.

    Identity scopes (``openid``, ``profile``, ...) are dropped (RFC 6749 §3.3 lets the server
    narrow the scope; BankID's own examples send ``openid`` here); scopes the client is not
    registered for are ``invalid_scope``.
    """
    if client.is_public:
        raise UnauthorizedClient("client_credentials needs a confidential client (RFC 6749 section 4.4).")
    scope = client_credentials_scopes(client, request.form.get("scope"))
    return issue_tokens(p, client, client_grant(client, scope, p.now()), id_token=False).body
