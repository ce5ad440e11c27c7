"""The one ID token check every test uses: a correct relying party's, written with joserfc.

Signature against the published JWKS (only the algorithms discovery advertises, and a ``kid`` the
JWKS has), then iss, aud, exp, iat and sub as essential claims, the nonce when one was sent, any
further claims the caller needs (``essential``), and at_hash computed here from the access token.

Nothing here imports mock_bankid: the point is that an independent relying party, knowing only the
discovery document and the JWKS, accepts what the mock issues and refuses what its traps break.
Each check fails with joserfc's own error (or :class:`AtHashMismatch`) so a test can tell which.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

SIGNING_ALGS = ["RS256", "ES256"]
ALLOWED_ALGS = SIGNING_ALGS  # the older name, for branches still using it


class AtHashMismatch(AssertionError):
    """at_hash does not match the access token (OIDC Core §3.1.3.8)."""


class PermissionDigestMismatch(AssertionError):
    """``permission_digest`` is not the SHA-256 of the statement the client asked the person to approve."""


def permission_digest_of(statement: bytes) -> str:
    """BankID's ``permission_digest``: SHA-256 of the permission statement, base64. Computed here on purpose."""
    return base64.b64encode(hashlib.sha256(statement).digest()).decode("ascii")


def at_hash_of(access_token: str, alg: str) -> str:
    """OIDC Core §3.1.3.6, computed here on purpose (not mock_bankid.bankid.claims.at_hash)."""
    hash_name = {"256": "sha256", "384": "sha384", "512": "sha512"}[alg[-3:]]
    digest = hashlib.new(hash_name, access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def verify_id_token(id_token: str, jwks: dict[str, Any], *, issuer: str, client_id: str, nonce: str | None,
                    access_token: str | None = None, now: int | float | None = None, alg: str | None = None,
                    essential: tuple[str, ...] = (), statement: bytes | None = None) -> dict[str, Any]:
    """Verify as an RP does and return the claims; raise at the first check that fails.

    ``nonce=None`` for tokens that carry none (refresh, client credentials); ``now`` is the time to
    judge exp and iat by (the mock's clock when a test moved it; the real time otherwise);
    ``alg`` pins one algorithm (a client registered for ES256 accepts nothing else); ``statement``:
    the payment statement the client pushed, whose digest the token must carry.
    """
    decoded = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=[alg] if alg else SIGNING_ALGS)
    if decoded.header.get("kid") not in {k.get("kid") for k in jwks["keys"]}:
        raise AssertionError(f"ID token kid {decoded.header.get('kid')!r} is not in the JWKS")
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
        "exp": {"essential": True},
        "iat": {"essential": True},
        "sub": {"essential": True},
        **{name: {"essential": True} for name in essential},
    }
    if nonce is not None:
        options["nonce"] = {"essential": True, "value": nonce}
    JWTClaimsRegistry(now=None if now is None else int(now), leeway=0, **options).validate(decoded.claims)
    if access_token is not None and decoded.claims.get("at_hash") != at_hash_of(access_token, decoded.header["alg"]):
        raise AtHashMismatch("at_hash does not match the access token")
    if statement is not None and decoded.claims.get("permission_digest") != permission_digest_of(statement):
        raise PermissionDigestMismatch("permission_digest is not the SHA-256 of the statement sent")
    return dict(decoded.claims)


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a JWS without checking anything: for building a fixed copy of a trap token."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def unverified_header(token: str) -> dict[str, Any]:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


@dataclass
class Discovered:
    """Discovery document and JWKS, fetched the way a relying party does (for the library-driven tests)."""

    config: dict[str, Any]
    jwks: dict[str, Any]

    @classmethod
    def fetch(cls, discovery_url: str, verify: str | bool = True) -> Discovered:
        config = requests.get(discovery_url, timeout=10, verify=verify).json()
        jwks = requests.get(config["jwks_uri"], timeout=10, verify=verify).json()
        return cls(config, jwks)

    @property
    def key_set(self) -> KeySet:
        return KeySet.import_key_set(self.jwks)


def mock_today(base_url: str) -> str:
    """The mock's Oslo date; a relying party on the same machine would see the same day."""
    return requests.get(f"{base_url}/_mock/clock", timeout=10).json()["today"]
