"""Minting and reading tokens: the token endpoint, refresh and ``mint.py`` share this.

Access tokens are signed JWTs like BankID's, and each one is also recorded in the store under its
``jti`` (namespace ``access``) with the grant it came from, so userinfo can serve the persona's
data and revocation can end it before it expires.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from mock_bankid.core import jsontools
from mock_bankid.core.errors import InvalidRequest, InvalidToken
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.grants import Grant
from mock_bankid.oidc.hooks import IdTokenClaimsContext, IdTokenContext
from mock_bankid.oidc.provider import Provider

ACCESS_NS = "access"
ACCESS_TOKEN_ALG = "ES256"  # noqa: S105 - an algorithm name, not a password
"""BankID signs every token ES256 since API v3. Access tokens are for resource servers (our userinfo,
introspection), not for the client, so they follow BankID even where a client's ID tokens are RS256;
it also spares one RSA signature per token response."""


def token_ttl(p: Provider, client: Client) -> int:
    return client.token_ttl or p.dialect.token_ttl or p.settings.token_ttl


def mint_access_token(p: Provider, client: Client, grant: Grant, *,
                      family: str | None = None) -> tuple[str, dict[str, Any]]:
    """Sign and record an access token; ``family`` ties it to a refresh-token family (revoked with it)."""
    now, ttl = p.now(), token_ttl(p, client)
    jti = str(uuid.uuid4())
    claims = p.dialect.access_token_claims(grant, issuer=p.issuer, now=now, ttl=ttl, jti=jti)
    algs = p.dialect.signing_algs
    token = p.keys.sign(claims, alg=ACCESS_TOKEN_ALG if ACCESS_TOKEN_ALG in algs else algs[0], typ="JWT")
    record: dict[str, Any] = {"grant": grant.to_dict()}
    if family:
        record["family"] = family
    p.store.put(ACCESS_NS, jti, record, ttl)
    return token, claims


def mint_id_token(p: Provider, client: Client, grant: Grant, access_token: str | None) -> str:
    now, ttl = p.now(), token_ttl(p, client)
    claims = p.dialect.id_token_claims(grant, issuer=p.issuer, now=now, ttl=ttl, access_token=access_token)
    before = IdTokenClaimsContext(claims=claims, grant=grant, client=client)
    p.hooks.at(before)
    token = p.keys.sign(before.claims, alg=client.id_token_signed_response_alg, typ="JWT")
    signed = IdTokenContext(token=token, claims=before.claims, grant=grant, client=client)
    p.hooks.at(signed)
    return signed.token


@dataclass
class Issued:
    body: dict[str, Any]
    """The JSON body of a successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3)."""
    access_claims: dict[str, Any]
    family: str | None = None
    """The refresh-token family the tokens belong to, if a refresh token came with them."""


def issue_tokens(
    p: Provider, client: Client, grant: Grant, *, id_token: bool = True, family: str | None = None
) -> Issued:
    access_token, access_claims = mint_access_token(p, client, grant, family=family)
    body: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": token_ttl(p, client),
    }
    if grant.scope:
        body["scope"] = " ".join(grant.scope)
    if id_token and "openid" in grant.scope:
        body["id_token"] = mint_id_token(p, client, grant, access_token)
    return Issued(body, access_claims)


def revoke_access_token(p: Provider, jti: str) -> None:
    p.store.delete(ACCESS_NS, jti)


def revoke_family_access(p: Provider, family: str) -> int:
    """End every access token of a refresh-token family; returns how many."""
    ended = 0
    for jti, record in p.store.items(ACCESS_NS):
        if record.get("family") == family:
            p.store.delete(ACCESS_NS, jti)
            ended += 1
    return ended


def read_id_token_hint(p: Provider, hint: str) -> dict[str, Any]:
    """The claims of an ID token this provider signed (expired or not: a hint names a past
    sign-in), for ``id_token_hint`` at authorize and logout; else ``InvalidRequest``."""
    try:
        claims = dict(jwt.decode(hint, p.keys.key_set()).claims)
    except (JoseError, ValueError, TypeError):
        raise InvalidRequest("id_token_hint is not an ID token signed by this provider's published keys.") from None
    if claims.get("iss") != p.issuer or claims.get("typ", "ID") != "ID":  # Vipps's ID tokens have no typ
        raise InvalidRequest("id_token_hint is not an ID token from this issuer.")
    return claims


def provider_of_token(p: Provider, token: str) -> Provider:
    """The provider of the realm whose issuer a token names (``iss``, read unverified: the
    caller verifies the token against that realm), else ``p``. For ``{base}/userinfo``, which
    every realm shares."""
    try:
        payload = token.split(".")[1]
        claims = jsontools.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode())
        issuer = claims.get("iss") if isinstance(claims, dict) else None
    except (IndexError, ValueError, binascii.Error, RecursionError):
        return p
    found = p.realms.by_issuer(issuer) if p.realms is not None and isinstance(issuer, str) else None
    return found or p


def read_access_token(p: Provider, token: str) -> tuple[dict[str, Any], Grant]:
    """Verify a bearer token as a resource server would, then find its grant in the store."""
    try:
        decoded = jwt.decode(token, p.keys.key_set())
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidToken(f"The access token could not be verified ({type(exc).__name__}).") from None
    claims = decoded.claims
    if claims.get("iss") != p.issuer or claims.get("typ") != "Bearer":
        raise InvalidToken("The token is not an access token from this issuer.")
    if int(claims.get("exp", 0)) <= p.now():
        raise InvalidToken("The access token has expired.")
    record = p.store.get(ACCESS_NS, str(claims.get("jti", "")))
    if record is None:
        raise InvalidToken("The access token has been revoked or is unknown.")
    return claims, Grant.from_dict(record["grant"])


def lookup_access_token(p: Provider, token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``(claims, store record)`` of a live access token of ours, else None (never raises).

    For introspection and revocation, where an unknown, expired or revoked token is an answer
    (``active: false``; a no-op), not an error.
    """
    if token.count(".") != 2:
        return None
    try:
        claims, _grant = read_access_token(p, token)
    except InvalidToken:
        return None
    record = p.store.get(ACCESS_NS, str(claims.get("jti", "")))
    return (claims, record) if record is not None else None
