"""JWKS (``{issuer}/protocol/openid-connect/certs``): public signing keys only.

Cached for hours as BankID's (``routes.JWKS_MAX_AGE``), with an ETag so a client revalidating after
``must-revalidate`` gets a 304 while the key set is unchanged."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from mock_bankid.core import routes
from mock_bankid.http.cached_json import cached_json
from mock_bankid.http.web import routed
from mock_bankid.oidc.hooks import JwksContext
from mock_bankid.oidc.provider import provider

bp = Blueprint("jwks", __name__)


@routed(bp, routes.JWKS)
def certs() -> Response:
    p = provider()
    if not p.hooks.may_act("jwks"):
        return cached_json("jwks", p.keys.jwks_version(), p.keys.jwks)  # cached for routes.JWKS_MAX_AGE too
    ctx = JwksContext(jwks=p.keys.jwks())
    short_circuit = p.hooks.at(ctx)
    if short_circuit is not None:
        return short_circuit
    response = jsonify(ctx.jwks)  # cached for routes.JWKS_MAX_AGE (the route's cache headers)
    response.add_etag()
    response.make_conditional(request)  # 304 for a matching If-None-Match
    return response
