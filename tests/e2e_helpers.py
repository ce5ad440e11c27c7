"""What the end-to-end tests share: a relying party's view of a real mock-bankid over HTTP.

Nothing here imports the mock's own token code: the point of these tests is that an independent
relying party, using only the published discovery document and JWKS, accepts what the mock issues.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

SIGNING_ALGS = ["RS256", "ES256"]


@dataclass
class Discovered:
    """Discovery document and JWKS, fetched the way a relying party does."""

    config: dict[str, Any]
    jwks: dict[str, Any]

    @classmethod
    def fetch(cls, discovery_url: str) -> "Discovered":
        config = requests.get(discovery_url, timeout=10).json()
        jwks = requests.get(config["jwks_uri"], timeout=10).json()
        return cls(config, jwks)

    @property
    def key_set(self) -> KeySet:
        return KeySet.import_key_set(self.jwks)


def at_hash_of(access_token: str, alg: str) -> str:
    """OIDC Core §3.1.3.6, computed here on purpose (not mock_bankid.claims.at_hash)."""
    hash_name = {"256": "sha256", "384": "sha384", "512": "sha512"}[alg[-3:]]
    digest = hashlib.new(hash_name, access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def verify_id_token(id_token: str, jwks: dict[str, Any], *, issuer: str, client_id: str, nonce: str | None,
                    access_token: str | None = None, alg: str | None = None) -> dict[str, Any]:
    """Verify as an RP does: signature against the JWKS, then iss, aud, exp, nonce and at_hash."""
    token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=[alg] if alg else SIGNING_ALGS)
    assert token.header.get("kid") in {k["kid"] for k in jwks["keys"]}
    registry = JWTClaimsRegistry(
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        nonce={"essential": nonce is not None, **({"value": nonce} if nonce is not None else {})},
    )
    registry.validate(token.claims)  # raises on a wrong iss/aud/nonce or an expired token
    if access_token is not None:
        assert token.claims["at_hash"] == at_hash_of(access_token, token.header["alg"])
    return dict(token.claims)


def mock_today(base_url: str) -> str:
    """The mock's Oslo date; a relying party on the same machine would see the same day."""
    return requests.get(f"{base_url}/_mock/clock", timeout=10).json()["today"]
