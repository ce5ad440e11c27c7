"""Token endpoint (``{issuer}/protocol/openid-connect/token``): client authentication, then a grant.

Grants are looked up in ``GRANTS`` by ``grant_type``; each takes the authenticated client and
returns the JSON body. Errors are ``OAuthError`` and become RFC 6749 §5.2 JSON in ``app.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any, Callable

from flask import Blueprint, Response, jsonify, request

from mock_bankid.claims import Grant
from mock_bankid.client_auth import authenticate_client
from mock_bankid.clients import Client
from mock_bankid.endpoints.authorize import CODE_NS
from mock_bankid.errors import InvalidGrant, InvalidRequest, UnauthorizedClient, UnsupportedGrantType
from mock_bankid.provider import Provider, provider
from mock_bankid.tokens import ACCESS_NS, issue_tokens

bp = Blueprint("token", __name__)

USED_CODE_NS = "code-used"
USED_CODE_TTL = 600
PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")

GrantHandler = Callable[[Provider, Client], dict[str, Any]]
GRANTS: dict[str, GrantHandler] = {}


def grant_type(name: str) -> Callable[[GrantHandler], GrantHandler]:
    def register(func: GrantHandler) -> GrantHandler:
        GRANTS[name] = func
        return func

    return register


@bp.route("/protocol/openid-connect/token", methods=["POST"])
def token() -> Response:
    p = provider()
    if request.mimetype != "application/x-www-form-urlencoded":
        raise InvalidRequest("The token request must be application/x-www-form-urlencoded.")
    name = request.form.get("grant_type", "")
    short_circuit = p.scenarios.at("token", {"client_id": request.form.get("client_id"), "grant_type": name})
    if short_circuit is not None:
        return short_circuit
    client, _method = authenticate_client(p, request)
    if not name:
        raise InvalidRequest("grant_type is required.")
    handler = GRANTS.get(name)
    if handler is None:
        raise UnsupportedGrantType(f"grant_type {name!r} is not supported.")
    if name not in client.grant_types:
        raise UnauthorizedClient(f"Client {client.client_id!r} is not registered for grant_type {name}.")
    response = jsonify(handler(p, client))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@grant_type("authorization_code")
def authorization_code(p: Provider, client: Client) -> dict[str, Any]:
    code = request.form.get("code")
    if not code:
        raise InvalidRequest("code is required.")
    record = p.store.take(CODE_NS, code)
    if record is None:
        used = p.store.get(USED_CODE_NS, code)
        if used is not None:
            _revoke_issued(p, used)
            raise InvalidGrant("Code already used; the tokens it issued have been revoked.")
        raise InvalidGrant("Code not valid (unknown, expired or already used).")
    grant = Grant.from_dict(record["grant"])
    if grant.client_id != client.client_id:
        raise InvalidGrant("The code was issued to another client.")
    if request.form.get("redirect_uri") != record["redirect_uri"]:
        raise InvalidGrant("Incorrect redirect_uri: it must equal the one sent to the authorize endpoint.")
    _check_pkce(record, request.form.get("code_verifier"))
    issued = issue_tokens(p, client, grant)
    p.store.put(USED_CODE_NS, code, {"access_jti": issued.access_claims["jti"]}, USED_CODE_TTL)
    return issued.body


def _check_pkce(record: dict[str, Any], verifier: str | None) -> None:
    challenge = record.get("code_challenge")
    if challenge is None:
        if verifier is not None:
            raise InvalidGrant("code_verifier sent, but the authorization request had no code_challenge.")
        return
    if verifier is None:
        raise InvalidRequest("code_verifier is required: the authorization request used PKCE.")
    if not PKCE_VERIFIER.match(verifier):
        raise InvalidGrant("code_verifier must be 43 to 128 characters of [A-Z a-z 0-9 - . _ ~] (RFC 7636).")
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    if not hmac.compare_digest(computed, challenge):
        raise InvalidGrant("PKCE verification failed: code_verifier does not match code_challenge.")


def _revoke_issued(p: Provider, used: dict[str, Any]) -> None:
    """RFC 6749 §4.1.2: a replayed code SHOULD revoke the tokens issued from it."""
    if used.get("access_jti"):
        p.store.delete(ACCESS_NS, used["access_jti"])
