"""Token introspection (RFC 7662) at ``{issuer}/protocol/openid-connect/token/introspect``.

The caller authenticates like at the token endpoint (a public client may not introspect). An access
token is ``active`` when it is live (signature, issuer, expiry, not revoked), whichever client it was
issued to: BankID's introspection serves resource servers, which check tokens issued to other
clients, and answers ``nnin_altsub`` to an eligible one "regardless of ... the OIDC client in question"
(developer.bankid.no api/introspect). Anything else is ``{"active": false}``, never an error
(RFC 7662 §2.2); a refresh token (dev only) only for the client it was issued to.

The answer is BankID's: the access token's claims plus ``active``, ``client_id`` and, for a client
registered for ``nnin_altsub``, ``nnin_altsub`` (developer.bankid.no api/introspect); no
``username`` or ``token_type``. The profile decides the rest: a dev client may also introspect its
refresh tokens and send any ``token_type_hint``; a strict one gets ``{"active": false}`` for a
refresh token (BankID "does not support introspection of Refresh Tokens") and for a hint other
than ``bid_access_token`` (which BankID's hint "must contain").
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from mock_bankid.core import routes
from mock_bankid.core.errors import InvalidClient, InvalidRequest
from mock_bankid.http.web import require_form, routed
from mock_bankid.oidc import refresh
from mock_bankid.oidc.client_auth import authenticate_client
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.grants import Grant
from mock_bankid.oidc.provider import Provider, provider
from mock_bankid.oidc.tokens import lookup_access_token

bp = Blueprint("introspect", __name__)
BID_ACCESS_TOKEN = "bid_access_token"  # noqa: S105 - a token type name, not a secret


@routed(bp, routes.INTROSPECT)
def introspect() -> Response:
    p = provider()
    require_form("introspection")
    client, method = authenticate_client(p, request)
    if method == "none":
        raise InvalidClient("Introspection needs client authentication; a public client cannot introspect.")
    token = request.form.get("token")
    if not token:
        raise InvalidRequest("token is required (RFC 7662 section 2.1).")
    if request.form.get("token_type_hint") != BID_ACCESS_TOKEN and not client.profile.any_token_type_hint:
        return jsonify({"active": False})
    return jsonify(describe(p, token, client))


def describe(p: Provider, token: str, client: Client) -> dict[str, Any]:
    """The RFC 7662 answer for ``token`` as seen by ``client``."""
    client_id = client.client_id
    found = lookup_access_token(p, token)
    if found is not None:
        claims, access_record = found
        body: dict[str, Any] = {"active": True, **claims}
        nnin = Grant.from_dict(access_record["grant"]).persona.get("nnin")
        if nnin and "nnin_altsub" in client.scopes:  # "eligible resource servers", whatever the ID token had
            body["nnin_altsub"] = nnin
        return body
    if not client.profile.refresh_introspection:
        return {"active": False}
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
    return body
