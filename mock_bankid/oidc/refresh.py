"""Refresh tokens: signed JWTs with ``typ: Refresh`` as BankID's, rotated on every use, with
reuse detection by token family.

The JWT is for the relying party to read (BankID documents its claims); the mock itself never
trusts what it says: the store record under the exact token string is the truth, so a forged or
edited token is simply unknown.

Store namespaces (all survive a restart with the SQLite or Redis store):

- ``refresh`` (key: the token): the grant it carries, its ``family``, ``client_id``, ``iat``, ``exp``.
  Valid for ``settings.refresh_token_ttl`` from issue; every rotation starts a new period.
- ``refresh-used`` (key: a spent token): its family. A spent token presented again means it
  leaked, so the whole family is revoked (OAuth 2.0 Security BCP §4.14.2).
- ``refresh-family`` (key: family id): ``{"revoked": true}`` once revoked; the family's live refresh
  token and every access token it produced stop working.

Refresh tokens are issued only when the scope has ``offline_access`` and the client is registered
for the ``refresh_token`` grant. They are offline tokens: logging out of the SSO session does not end
them; the revocation endpoint does.
"""

from __future__ import annotations

import uuid
from typing import Any

from mock_bankid.core.errors import InvalidGrant
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.grants import Grant
from mock_bankid.oidc.provider import Provider
from mock_bankid.oidc.tokens import Issued, issue_tokens, revoke_family_access

REFRESH_NS = "refresh"
USED_NS = "refresh-used"
FAMILY_NS = "refresh-family"
OFFLINE_SCOPE = "offline_access"
REFRESH_TOKEN_ALG = "ES256"  # noqa: S105 - BankID signs every token ES256 (API v3+)


def wants_refresh_token(client: Client, grant: Grant) -> bool:
    """A client registered for the grant gets a refresh token: with ``offline_access`` in dev (OIDC
    Core section 11), with every sign-in in strict, as BankID's Keycloak issues one
    (``refresh_only_with_offline_access``)."""
    if "refresh_token" not in client.grant_types:
        return False
    return OFFLINE_SCOPE in grant.scope or not client.profile.refresh_only_with_offline_access


def issue_refresh_token(p: Provider, client: Client, grant: Grant, family: str | None = None) -> tuple[str, str]:
    """Store a new refresh token for ``grant``; returns ``(token, family)``."""
    ttl = p.settings.refresh_token_ttl
    family = family or str(uuid.uuid4())
    now = p.now()
    token = p.keys.sign(refresh_token_claims(p, client, grant, now, ttl), alg=REFRESH_TOKEN_ALG, typ="JWT")
    p.store.put(
        REFRESH_NS,
        token,
        {"grant": grant.to_dict(), "family": family, "client_id": client.client_id, "iat": now, "exp": now + ttl},
        ttl,
    )
    return token, family


def refresh_token_claims(p: Provider, client: Client, grant: Grant, now: int, ttl: int) -> dict[str, Any]:
    """BankID's refresh-token payload (``typ: Refresh``); no nonce or session_state (gone in API v4)."""
    claims: dict[str, Any] = {
        "iss": p.issuer,
        "aud": p.dialect.access_token_audience,
        "typ": "Refresh",
        "azp": client.client_id,
        "sub": grant.persona.get("sub", client.client_id),
        "sid": grant.sid,
        "auth_time": grant.auth_time,
        "scope": " ".join(grant.scope),
        "iat": now,
        "nbf": 0,
        "exp": now + ttl,
        "jti": str(uuid.uuid4()),
        **p.dialect.extra_token_claims,
    }
    return claims


def peek(p: Provider, token: str) -> dict[str, Any] | None:
    """The live record of ``token`` (not spent, not expired, family not revoked), without using it."""
    record = p.store.get(REFRESH_NS, token)
    if record is None or family_revoked(p, record["family"]):
        return None
    return record


def _take(p: Provider, token: str) -> dict[str, Any] | None:
    """Atomically use ``token`` (of N racers exactly one gets the record) and mark it spent."""
    record = p.store.take(REFRESH_NS, token)
    if record is not None:
        p.store.put(USED_NS, token, {"family": record["family"], "client_id": record["client_id"]},
                    p.settings.refresh_token_ttl)
    return record


def redeem(p: Provider, client: Client, token: str) -> tuple[Grant, str]:
    """Use ``token`` for ``client`` (the ``refresh_token`` grant): ``(its grant, its family)``, else
    ``InvalidGrant``. A spent token presented again revokes its whole family.

    The owner and the family are checked before the token is used, so another client cannot burn
    a token it does not own. Whoever takes the token first has used it legitimately and gets its
    tokens, even if a concurrent replay revokes the family a moment later (the new refresh token
    then fails).
    """
    live = p.store.get(REFRESH_NS, token)
    if live is not None:
        if live["client_id"] != client.client_id:
            raise InvalidGrant("The refresh token was issued to another client.")
        if family_revoked(p, live["family"]):
            raise InvalidGrant("Refresh token revoked.")
    record = _take(p, token)
    if record is None:
        family = _spent_family(p, token)
        if family is not None:
            revoke_family(p, family)
            raise InvalidGrant("Refresh token already used: it and every token issued with it are revoked.")
        raise InvalidGrant("Refresh token not valid (unknown, expired or revoked).")
    return Grant.from_dict(record["grant"]), record["family"]


def _spent_family(p: Provider, token: str) -> str | None:
    """The family of a token that was already used, if it is remembered."""
    used = p.store.get(USED_NS, token)
    return used["family"] if used else None


def family_revoked(p: Provider, family: str) -> bool:
    entry = p.store.get(FAMILY_NS, family)
    return bool(entry and entry.get("revoked"))


def revoke_family(p: Provider, family: str) -> int:
    """Revoke a family: its live refresh token and the access tokens it issued. Returns how many ended."""
    p.store.put(FAMILY_NS, family, {"revoked": True}, p.settings.refresh_token_ttl)
    ended = 0
    for key, record in p.store.items(REFRESH_NS):
        if record.get("family") == family:
            p.store.delete(REFRESH_NS, key)
            ended += 1
    return ended + revoke_family_access(p, family)


def issue_with_refresh(p: Provider, client: Client, grant: Grant, *, token_grant: Grant | None = None,
                       family: str | None = None) -> Issued:
    """Tokens for ``token_grant`` (default ``grant``) plus, if the grant asks for one, a refresh token.

    The refresh token carries ``grant`` (its full original scope, RFC 6749 §6); the access and
    ID token may carry a narrower ``token_grant``.
    """
    token_grant = token_grant or grant
    if not wants_refresh_token(client, grant):
        return issue_tokens(p, client, token_grant)
    family = family or str(uuid.uuid4())
    issued = issue_tokens(p, client, token_grant, family=family)
    token, _ = issue_refresh_token(p, client, grant, family)
    issued.body["refresh_token"] = token
    issued.body["refresh_expires_in"] = p.settings.refresh_token_ttl
    issued.family = family
    return issued
