"""JWKS (``{issuer}/protocol/openid-connect/certs``): public signing keys only.

Cached for hours as BankID's (``routes.JWKS_MAX_AGE``), with an ETag so a client revalidating after
``must-revalidate`` gets a 304 while the key set is unchanged."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from mock_bankid.core import routes
from mock_bankid.http.cached_json import cached_json
from mock_bankid.http.web import routed
from mock_bankid.oidc.hooks import JwksContext
from mock_bankid.oidc.provider import Provider, provider

bp = Blueprint("jwks", __name__)


def published(p: Provider) -> dict[str, Any]:
    """The key set as the provider publishes it: the keys of its signing algorithms, and the
    encryption key if it takes encrypted request objects (``Dialect.signing_algs``, ``encryption_key``)."""
    jwks = p.keys.jwks()
    algs, enc = p.dialect.signing_algs, p.dialect.encryption_key
    return {**jwks, "keys": [k for k in jwks["keys"] if (k.get("use") == "enc" and enc) or k.get("alg") in algs]}


@routed(bp, routes.JWKS)
def certs() -> Response:
    p = provider()
    if not p.hooks.may_act("jwks"):  # cached for routes.JWKS_MAX_AGE too
        return cached_json(f"jwks:{p.name}", p.keys.jwks_version(), lambda: published(p))
    ctx = JwksContext(jwks=published(p))
    short_circuit = p.hooks.at(ctx)
    if short_circuit is not None:
        return short_circuit
    response = jsonify(ctx.jwks)  # cached for routes.JWKS_MAX_AGE (the route's cache headers)
    response.add_etag()
    response.make_conditional(request)  # 304 for a matching If-None-Match
    return response
