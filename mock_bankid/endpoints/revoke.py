"""Token revocation (RFC 7009) at ``{issuer}/protocol/openid-connect/revoke``.

The caller authenticates like at the token endpoint (public clients with their ``client_id``, as
RFC 7009 §5 allows). Revoking a refresh token revokes its whole family: the live refresh token and
the access tokens issued with it. Revoking an access token ends only that token. An unknown,
expired or already revoked token is a success (200) with nothing to do (§2.2); a live token of
*another* client is refused with ``unauthorized_client`` and left alone (§2.1). ``token_type_hint``
is only a hint (both kinds are looked up), but a hint naming a type this server cannot revoke
(anything but ``access_token`` and ``refresh_token``, the two RFC 7009 §4.1.2 registers) is
``unsupported_token_type`` (§2.2.1), as Keycloak, BankID's base, answers.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from mock_bankid.core import routes
from mock_bankid.core.errors import InvalidRequest, UnauthorizedClient, UnsupportedTokenType
from mock_bankid.http.web import require_form, routed
from mock_bankid.oidc import refresh
from mock_bankid.oidc.client_auth import authenticate_client
from mock_bankid.oidc.provider import provider
from mock_bankid.oidc.tokens import lookup_access_token, revoke_access_token

bp = Blueprint("revoke", __name__)

TOKEN_TYPE_HINTS = ("access_token", "refresh_token")
"""The token types revocation supports (RFC 7009 section 4.1.2)."""


@routed(bp, routes.REVOKE)
def revoke() -> Response:
    p = provider()
    require_form("revocation")
    client, _method = authenticate_client(p, request)
    token = request.form.get("token")
    if not token:
        raise InvalidRequest("token is required (RFC 7009 section 2.1).")
    hint = request.form.get("token_type_hint")
    if hint and hint not in TOKEN_TYPE_HINTS:
        raise UnsupportedTokenType(f"token_type_hint {hint!r}: this server revokes access_token and refresh_token "
                                   "only (RFC 7009 section 2.2.1).")
    record = refresh.peek(p, token)
    if record is not None:
        if record["client_id"] != client.client_id:
            raise UnauthorizedClient("The token was issued to another client (RFC 7009 section 2.1).")
        refresh.revoke_family(p, record["family"])
    else:
        found = lookup_access_token(p, token)
        if found is not None:
            claims, _ = found
            if claims.get("client_id") != client.client_id:
                raise UnauthorizedClient("The token was issued to another client (RFC 7009 section 2.1).")
            revoke_access_token(p, str(claims["jti"]))
    return Response("", status=200)
