"""Userinfo (``{base}/userinfo``; BankID serves it from its own host): GET with a Bearer token.

Answers JSON, or a signed JWT (``application/jwt``) for clients registered with
``userinfo_signed_response_alg`` as BankID's TINFO does. BankID does not support POST here.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, make_response, request

from mock_bankid.claims import userinfo_claims
from mock_bankid.errors import InvalidToken
from mock_bankid.provider import provider
from mock_bankid.tokens import read_access_token

bp = Blueprint("userinfo", __name__)


@bp.route("/userinfo", methods=["GET"])
def userinfo() -> Response:
    p = provider()
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer " or not header[7:].strip():
        raise InvalidToken("Send the access token as Authorization: Bearer <token>.", status=401)
    _claims, grant = read_access_token(p, header[7:].strip())
    if not grant.persona:
        raise InvalidToken("This access token is about a client (client_credentials), not a person: no userinfo.")
    short_circuit = p.hooks.at("userinfo", {"grant": grant})
    if short_circuit is not None:
        return short_circuit
    body = userinfo_claims(grant)
    client = p.clients.get(grant.client_id)
    if client is not None and client.userinfo_signed_response_alg:
        signed = dict(body, iss=p.issuer, aud=client.client_id, iat=p.now())
        response = make_response(p.keys.sign(signed, alg=client.userinfo_signed_response_alg, typ="JWT"))
        response.mimetype = "application/jwt"
    else:
        response = jsonify(body)
    return response
