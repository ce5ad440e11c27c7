"""Token introspection (RFC 7662) at ``{issuer}/protocol/openid-connect/token/introspect``.

The caller authenticates like at the token endpoint (a public client may not introspect). A token
is ``active`` only if it is live (signature, issuer, expiry, not revoked) **and** was issued to the
calling client; anything else, including someone else's token, is ``{"active": false}``, never an
error (RFC 7662 §2.2). ``token_type_hint`` is only a hint: both kinds are tried.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from mock_bankid import refresh
from mock_bankid.claims import Grant
from mock_bankid.client_auth import authenticate_client
from mock_bankid.errors import InvalidClient, InvalidRequest
from mock_bankid.provider import Provider, provider
from mock_bankid.tokens import lookup_access_token
from mock_bankid.web import require_form

bp = Blueprint("introspect", __name__)


@bp.route("/protocol/openid-connect/token/introspect", methods=["POST"])
def introspect() -> Response:
    p = provider()
    require_form("introspection")
    client, method = authenticate_client(p, request)
    if method == "none":
        raise InvalidClient("Introspection needs client authentication; a public client cannot introspect.")
    token = request.form.get("token")
    if not token:
        raise InvalidRequest("token is required (RFC 7662 section 2.1).")
    return jsonify(describe(p, token, client.client_id))


def describe(p: Provider, token: str, client_id: str) -> dict[str, Any]:
    """The RFC 7662 answer for ``token`` as seen by ``client_id``."""
    found = lookup_access_token(p, token)
    if found is not None:
        claims, _record = found
        if claims.get("client_id") != client_id:
            return {"active": False}
        body: dict[str, Any] = {"active": True, **claims, "token_type": "Bearer"}
        if "bankid_altsub" in claims:
            body["username"] = claims["bankid_altsub"]
        return body
    record = refresh.peek(p, token)
    if record is None or record["client_id"] != client_id:
        return {"active": False}
    grant = Grant.from_dict(record["grant"])
    body = {
        "active": True,
        "typ": "Refresh",
        "client_id": client_id,
        "scope": " ".join(grant.scope),
        "iss": p.issuer,
        "iat": record["iat"],
        "exp": record["exp"],
        "sub": grant.persona.get("sub", client_id),
        "sid": grant.sid,
        "azp": client_id,
    }
    if grant.persona.get("bankid_altsub"):
        body["username"] = grant.persona["bankid_altsub"]
    return body
