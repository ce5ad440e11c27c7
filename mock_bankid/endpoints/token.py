"""Token endpoint (``{issuer}/protocol/openid-connect/token``): what every grant type shares.

The content type, the ``token`` hook, client authentication, then the grant type named by
``grant_type`` from the registry (``mock_bankid/oidc/grant_types/``; one module each), which the
client must be registered for; its body is the JSON answer. Errors are ``OAuthError`` and become
RFC 6749 section 5.2 JSON in ``app.py``.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from mock_bankid.core import routes
from mock_bankid.core.errors import InvalidRequest, UnauthorizedClient, UnsupportedGrantType
from mock_bankid.http.web import routed
from mock_bankid.oidc import grant_types
from mock_bankid.oidc.client_auth import authenticate_client
from mock_bankid.oidc.hooks import TokenContext
from mock_bankid.oidc.provider import provider

bp = Blueprint("token", __name__)


@routed(bp, routes.TOKEN)
def token() -> Response:
    p = provider()
    if request.mimetype != "application/x-www-form-urlencoded":
        raise InvalidRequest("The token request must be application/x-www-form-urlencoded.")
    name = request.form.get("grant_type", "")
    grant_type = grant_types.get(name)
    sign_in = grant_type.sign_in(p, request.form) if grant_type is not None else None
    short_circuit = p.hooks.at(TokenContext(client_id=request.form.get("client_id"), grant_type=name, sign_in=sign_in))
    if short_circuit is not None:
        return short_circuit
    client, _method = authenticate_client(p, request)
    if not name:
        raise InvalidRequest("grant_type is required.")
    if grant_type is None:
        raise UnsupportedGrantType(f"grant_type {name!r} is not supported.")
    if name not in client.grant_types:
        raise UnauthorizedClient(f"Client {client.client_id!r} is not registered for grant_type {name}.")
    return jsonify(grant_type.handle(p, client, request.form))
