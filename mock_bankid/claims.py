"""The one place that decides what goes into the ID token, the access token and userinfo.

Everything here is a pure function of a ``Grant`` (who signed in, for which client, with which
scopes) and the time, so the token endpoint, the refresh grant and the ``mock-bankid token``
command all mint the same tokens. Scenarios may change the result afterwards at the
``id_token_claims`` hook point; they never reach in here.

Claim names and values follow BankID's API v4 (see docs/differences.md for where we deviate).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

API_VERSION = 4

# acr_values (request) -> (acr claim, amr claim). BankID High is the default IDP.
IDPS: dict[str, tuple[str, list[str]]] = {
    "urn:bankid:bid": ("urn:bankid:bid;LOA=4", ["bid", "bid-mfa", "bid-app"]),
    "urn:bankid:bis": ("urn:bankid:bis;LOA=3", ["bis-mfa", "bis-bid"]),
}
DEFAULT_ACR_VALUE = "urn:bankid:bid"

# Scopes the provider knows, and the userinfo claims each one releases.
USERINFO_SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "given_name", "family_name", "birthdate", "updated_at"),
    "email": ("email",),
    "phone": ("phone_number",),
    "address": ("address",),
    "nnin": ("nnin",),
}
SUPPORTED_SCOPES = ("openid", "profile", "nnin_altsub", "nnin", "email", "phone", "address", "offline_access")
CLAIMS_SUPPORTED = (
    "iss", "sub", "aud", "azp", "exp", "iat", "nbf", "jti", "auth_time", "nonce", "acr", "amr", "sid",
    "at_hash", "typ", "api_ver", "bankid_altsub", "name", "given_name", "family_name", "birthdate",
    "updated_at", "nnin_altsub", "nnin", "email", "phone_number", "address", "pid",
)


@dataclass
class Grant:
    """Everything a token is made from; stored with the code, the session and refresh tokens."""

    client_id: str
    scope: list[str]
    persona: dict[str, Any]
    """``Persona.as_dict()``: id, nnin, names, birthdate (ISO), sub, bankid_altsub, ..."""
    acr: str
    amr: list[str]
    sid: str
    auth_time: int
    nonce: str | None = None
    pid_claim: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Grant:
        return cls(**data)


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: left half of SHA-256 of the ASCII token, base64url without padding."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def acr_for(acr_values: str | None) -> tuple[str, list[str]]:
    """The first supported value of a space-separated ``acr_values`` (BankID v3+ allows several)."""
    for value in (acr_values or "").split():
        if value in IDPS:
            acr, amr = IDPS[value]
            return acr, list(amr)
    acr, amr = IDPS[DEFAULT_ACR_VALUE]
    return acr, list(amr)


def _profile(persona: dict[str, Any], updated_at: int) -> dict[str, Any]:
    claims = {
        "name": f"{persona['given_name']} {persona['family_name']}".strip(),
        "given_name": persona["given_name"],
        "family_name": persona["family_name"],
        "updated_at": updated_at,
    }
    if persona.get("birthdate"):
        claims["birthdate"] = persona["birthdate"]
    return claims


def id_token_claims(
    grant: Grant, *, issuer: str, now: int, ttl: int, access_token: str | None = None
) -> dict[str, Any]:
    persona = grant.persona
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": grant.client_id,
        "azp": grant.client_id,
        "sub": persona["sub"],
        "iat": now,
        "exp": now + ttl,
        "nbf": 0,  # BankID sends 0 (Keycloak's "not before" policy)
        "jti": str(uuid.uuid4()),
        "auth_time": grant.auth_time,
        "typ": "ID",
        "acr": grant.acr,
        "amr": list(grant.amr),
        "sid": grant.sid,
        "api_ver": API_VERSION,
        "bankid_altsub": persona["bankid_altsub"],
    }
    if grant.nonce is not None:
        claims["nonce"] = grant.nonce
    if access_token is not None:
        claims["at_hash"] = at_hash(access_token)
    if "profile" in grant.scope:
        claims.update(_profile(persona, grant.auth_time))
    if "nnin_altsub" in grant.scope:
        claims["nnin_altsub"] = persona["nnin"]
    if grant.pid_claim:
        claims["pid"] = persona["nnin"]
    return claims


def access_token_claims(grant: Grant, *, issuer: str, now: int, ttl: int, jti: str) -> dict[str, Any]:
    """A self-contained JWT like BankID's; no nonce (removed in v4), no personal data beyond ids."""
    persona = grant.persona
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": ["tinfo"],
        "azp": grant.client_id,
        "client_id": grant.client_id,
        "typ": "Bearer",
        "iat": now,
        "exp": now + ttl,
        "jti": jti,
        "scope": " ".join(grant.scope),
        "allowed-origins": [],
    }
    if persona:
        claims.update(
            sub=persona["sub"],
            bankid_altsub=persona["bankid_altsub"],
            auth_time=grant.auth_time,
            acr=grant.acr,
            amr=list(grant.amr),
            sid=grant.sid,
        )
    else:  # client_credentials: the client itself is the subject
        claims["sub"] = grant.client_id
    return claims


def userinfo_claims(grant: Grant) -> dict[str, Any]:
    """Scope-filtered person data. ``sub`` equals the ID token's, as OIDC Core §5.3.2 requires."""
    persona = grant.persona
    available = dict(_profile(persona, grant.auth_time))
    available.update(
        email=persona.get("email"),
        phone_number=persona.get("phone_number"),
        address=persona.get("address"),
        nnin=persona.get("nnin"),
    )
    claims: dict[str, Any] = {"sub": persona["sub"]}
    for scope in grant.scope:
        for name in USERINFO_SCOPE_CLAIMS.get(scope, ()):
            if available.get(name) is not None:
                claims[name] = available[name]
    return claims
