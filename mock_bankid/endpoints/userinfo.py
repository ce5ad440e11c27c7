"""Userinfo (``{base}/userinfo``; BankID serves it from its own host): GET with a Bearer token.

Answers a signed JWT (``application/jwt``) as BankID's TINFO does for clients registered with
``userinfo_signed_response_alg``, and (RS256) for any client whose request prefers
``Accept: application/jwt`` (Auth.js's BankID provider); plain JSON otherwise, which generic
libraries expect. BankID does not support POST here.

The signed answer has ``aud`` = the client and expires with the access token it answered (``exp``).
Its ``iss`` is, for a strict client, TINFO's: the userinfo base URL (the resource server, not the
OIDC issuer; BankID's userinfo documentation: "iss: the TINFO resource server"), so a library that
insists on ``iss`` being the OIDC issuer (openid-client's ``fetchUserInfo``) fails there exactly as
it would at BankID. A dev client gets the OIDC issuer (profile switch ``userinfo_oidc_issuer``).

Userinfo is an OpenID Connect resource (OIDC Core section 5.3): a person's token without the
``openid`` scope (a refresh that narrowed it away) is ``insufficient_scope``, 403 (RFC 6750 section 3.1).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, make_response, request

from mock_bankid.core import routes
from mock_bankid.core.errors import InsufficientScope, InvalidToken
from mock_bankid.http.web import routed
from mock_bankid.oidc.hooks import UserinfoContext
from mock_bankid.oidc.provider import Provider, bind, provider
from mock_bankid.oidc.tokens import provider_of_token, read_access_token

bp = Blueprint("userinfo", __name__)


@routed(bp, routes.USERINFO)
def userinfo() -> Response:
    p = provider()
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer " or not header[7:].strip():
        raise InvalidToken("Send the access token as Authorization: Bearer <token>.", status=401)
    token = header[7:].strip()
    owner = provider_of_token(p, token)
    if owner.name != p.name:
        raise InvalidToken(f"This is a {owner.dialect.name} access token; this userinfo endpoint is "
                           f"{p.dialect.name}'s.", status=401)
    if p.name == routes.HOME_PROVIDER:  # {base}/userinfo answers every realm's BankID tokens
        p = bind(owner)
    access, grant = read_access_token(p, token)
    if not grant.persona:
        raise InvalidToken("This access token is about a client (client_credentials), not a person: no userinfo.")
    if "openid" not in grant.scope:
        raise InsufficientScope("Userinfo needs an access token with scope openid (OIDC Core section 5.3); this one "
                                f"has scope {' '.join(grant.scope) or '(none)'}.", scope="openid")
    short_circuit = p.hooks.at(UserinfoContext(grant=grant))
    if short_circuit is not None:
        return short_circuit
    body = p.dialect.userinfo_claims(grant)
    client = p.clients.get(grant.client_id)
    alg = (client.userinfo_signed_response_alg if client is not None else None) or _jwt_if_asked(p)
    if client is not None and alg:
        iss = p.issuer if client.profile.userinfo_oidc_issuer else tinfo_issuer(p)
        signed = dict(body, iss=iss, aud=client.client_id, iat=p.now(), exp=int(access["exp"]))
        response = make_response(p.keys.sign(signed, alg=alg, typ="JWT"))
        response.mimetype = "application/jwt"
    else:
        response = jsonify(body)
    return response


def tinfo_issuer(p: Provider) -> str:
    """The userinfo resource server's own identifier: the base URL userinfo is served under."""
    return routes.channel_base(routes.USERINFO.channel, p.settings) + routes.mount_path(
        routes.USERINFO.mount, p.settings.realm)


def _jwt_if_asked(p: Provider) -> str | None:
    """RS256 when the request prefers a JWT over JSON (``Accept: application/jwt``) and the provider
    signs userinfo (BankID's TINFO; Vipps's Userinfo API answers JSON only), else None."""
    if not p.dialect.signed_userinfo:
        return None
    best = request.accept_mimetypes.best_match(["application/json", "application/jwt"])
    return "RS256" if best == "application/jwt" else None
