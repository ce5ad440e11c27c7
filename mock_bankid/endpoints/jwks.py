"""JWKS (``{issuer}/protocol/openid-connect/certs``): public signing keys only."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from mock_bankid.hooks import JwksContext
from mock_bankid.provider import provider

bp = Blueprint("jwks", __name__)


@bp.route("/protocol/openid-connect/certs", methods=["GET"])
def certs() -> Response:
    p = provider()
    ctx = JwksContext(jwks=p.keys.jwks())
    short_circuit = p.hooks.at(ctx)
    if short_circuit is not None:
        return short_circuit
    return jsonify(ctx.jwks)  # cached for web.JWKS_MAX_AGE (web.CACHE_POLICY)
