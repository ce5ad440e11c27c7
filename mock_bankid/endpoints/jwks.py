"""JWKS (``{issuer}/protocol/openid-connect/certs``): public signing keys only."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from mock_bankid.provider import provider

bp = Blueprint("jwks", __name__)
JWKS_MAX_AGE = 300  # one rotation grace period: a cached copy never misses a signing key


@bp.route("/protocol/openid-connect/certs", methods=["GET"])
def certs() -> Response:
    p = provider()
    ctx = {"jwks": p.keys.jwks()}
    short_circuit = p.scenarios.at("jwks", ctx)
    if short_circuit is not None:
        return short_circuit
    response = jsonify(ctx["jwks"])
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    return response
