"""What Vipps Login's tokens and userinfo say, from the person behind a sign-in.

Sources (docs/fidelity-vipps.md): the Login API's core concepts (the example ID token: ``at_hash,
aud`` as an array, ``auth_time, exp, iat, iss, jti, nonce, rat, sub``; no national identity number)
and the Userinfo API (what each scope releases, ``phone_number`` without ``+``, ``address`` with
empty strings when the user has none). ``sub`` is pairwise: a UUID per person per merchant.
"""

from __future__ import annotations

import uuid
from typing import Any

from mock_bankid.oidc.grants import Grant, at_hash

SUPPORTED_SCOPES = ("openid", "name", "email", "phoneNumber", "address", "birthDate", "nin")
"""The Login API's scopes (``nin``: the current name of the national identity number scope; older
documents say ``nnin``, see docs/fidelity-vipps.md)."""
CLAIMS_SUPPORTED = ("sub", "iss", "aud", "exp", "iat", "auth_time", "jti", "nonce", "rat", "at_hash", "sid",
                    "name", "given_name", "family_name", "email", "email_verified", "phone_number",
                    "phone_number_verified", "address", "other_addresses", "birthdate", "nin")
USERINFO_API_AUDIENCE = "vipps-userinfo-api"
"""``aud`` of the mock's access tokens (Vipps's are opaque; see docs/fidelity-vipps.md)."""
TOKEN_TTL = 3600
"""The Login API's token sample: ``expires_in: 3599``, its ID token one hour from ``iat``."""
_PAIRWISE = uuid.UUID("6f1b7c1e-5c7b-4f8e-9a55-7669707073a1")
"""The namespace of the mock's pairwise subjects (any fixed UUID: the same everywhere, forever)."""
ADDRESS_FIELDS = ("street_address", "postal_code", "region", "country", "formatted", "address_type")


def pairwise_sub(persona: dict[str, Any], client_id: str) -> str:
    """The person's ``sub`` at this merchant: a UUID per person per client, stable across sign-ins."""
    return str(uuid.uuid5(_PAIRWISE, f"{client_id}\n{persona['nnin']}"))


def id_token_claims(grant: Grant, *, issuer: str, now: int, ttl: int,
                    access_token: str | None = None) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "aud": [grant.client_id],
        "auth_time": grant.auth_time,
        "exp": now + ttl,
        "iat": now,
        "iss": issuer,
        "jti": str(uuid.uuid4()),
        "rat": int(grant.extra.get("requested_at", grant.auth_time)),
        "sid": grant.sid,
        "sub": pairwise_sub(grant.persona, grant.client_id),
    }
    if grant.nonce is not None:
        claims["nonce"] = grant.nonce
    if access_token is not None:
        claims["at_hash"] = at_hash(access_token)
    return dict(sorted(claims.items()))


def access_token_claims(grant: Grant, *, issuer: str, now: int, ttl: int, jti: str) -> dict[str, Any]:
    """The access token the userinfo API reads; a JWT here so every worker can check it (Vipps's is
    an opaque Hydra token: a client must not read it, and the docs say so)."""
    claims: dict[str, Any] = {"iss": issuer, "aud": USERINFO_API_AUDIENCE, "typ": "Bearer",
                              "client_id": grant.client_id, "iat": now, "exp": now + ttl, "jti": jti,
                              "scope": " ".join(grant.scope)}
    if grant.persona:
        claims.update(sub=pairwise_sub(grant.persona, grant.client_id), auth_time=grant.auth_time, sid=grant.sid)
    else:
        claims["sub"] = grant.client_id
    return claims


def _phone(number: str | None) -> str | None:
    """``4712345678``: country code and number, no ``+`` (the Userinfo API's format)."""
    return number.lstrip("+").replace(" ", "") if number else None


def _address(persona: dict[str, Any]) -> dict[str, str]:
    """Every field present, an empty string where the person has none (as the Userinfo API answers)."""
    raw = persona.get("address") or {}
    found = {
        "street_address": raw.get("street_address", ""),
        "postal_code": raw.get("postal_code", ""),
        "region": raw.get("region") or raw.get("locality", ""),
        "country": raw.get("country", ""),
        "formatted": raw.get("formatted", ""),
        "address_type": raw.get("address_type", "home" if raw else ""),
    }
    return {name: str(found[name] or "") for name in ADDRESS_FIELDS}


def userinfo_claims(grant: Grant) -> dict[str, Any]:
    """What the Userinfo API answers for the scopes granted (all the user consented to)."""
    persona = grant.persona
    claims: dict[str, Any] = {"sub": pairwise_sub(persona, grant.client_id)}
    scope = set(grant.scope)
    if "name" in scope:
        claims.update(name=f"{persona['given_name']} {persona['family_name']}".strip(),
                      given_name=persona["given_name"], family_name=persona["family_name"])
    if "email" in scope and persona.get("email"):
        claims.update(email=persona["email"], email_verified=True)
    if "phoneNumber" in scope and persona.get("phone_number"):
        claims.update(phone_number=_phone(persona["phone_number"]), phone_number_verified=True)
    if "address" in scope:
        claims.update(address=_address(persona), other_addresses=[])
    if "birthDate" in scope and persona.get("birthdate"):
        claims["birthdate"] = persona["birthdate"]
    if "nin" in scope:
        claims["nin"] = persona["nnin"]
    if grant.sid:
        claims["sid"] = grant.sid
    return claims

