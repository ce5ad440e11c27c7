"""A correct relying party's ID token checks, with joserfc: what every trap must fail, one at a time.

Signature against the published JWKS with only the algorithms discovery advertises, then
iss, aud, exp, iat, nonce and the national identity number as essential claims, then at_hash.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from mock_bankid.claims import at_hash

ALLOWED_ALGS = ["RS256", "ES256"]


class AtHashMismatch(Exception):
    """at_hash does not match the access token (OIDC Core §3.1.3.8)."""


def verify_id_token(token: str, jwks: dict[str, Any], *, issuer: str, client_id: str, nonce: str | None,
                    access_token: str | None, now: int) -> dict[str, Any]:
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=ALLOWED_ALGS)
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
        "exp": {"essential": True},
        "iat": {"essential": True},
        "sub": {"essential": True},
        "nnin_altsub": {"essential": True},
    }
    if nonce is not None:
        options["nonce"] = {"essential": True, "value": nonce}
    JWTClaimsRegistry(now=now, leeway=0, **options).validate(decoded.claims)
    if access_token is not None and decoded.claims.get("at_hash") != at_hash(access_token):
        raise AtHashMismatch("at_hash does not match the access token")
    return decoded.claims


def unverified_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def unverified_header(token: str) -> dict[str, Any]:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
