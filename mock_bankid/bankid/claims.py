"""The one place that decides what goes into the ID token, the access token and userinfo.

Everything here is a pure function of a ``Grant`` (who signed in, for which client, with which
scopes) and the time, so the token endpoint, the refresh grant and the ``mock-bankid token``
command all mint the same tokens. Scenarios may change the result afterwards at the
``id_token_claims`` hook point; they never reach in here.

Claim names and values follow BankID's API v4 (see docs/differences.md for where we deviate).
"""

from __future__ import annotations

import calendar
import hashlib
import uuid
from typing import Any

from mock_bankid.oidc.grants import Grant, at_hash

API_VERSION = 4

# acr_values (request) -> (acr claim, amr claim of the usual sign-in). BankID High: the amr of
# developer.bankid.no "Identity Providers" for the BankID app; a code-device user gets ``bid-otp`` in
# place of ``bid-app`` (``BID_METHOD_AMR``). Biometrics: ``["bis-mfa", "bis-hwk"]``; a person without
# biometrics steps up through BankID High (``bis-bid`` plus that sign-in's ``bid-*`` values, which
# "only appear when bis-bid is also present", developer.bankid.no "Understanding authentication methods").
IDPS: dict[str, tuple[str, list[str]]] = {
    "urn:bankid:bid": ("urn:bankid:bid;LOA=4", ["bid", "bid-mfa", "bid-app", "bid-pwd"]),
    "urn:bankid:bis": ("urn:bankid:bis;LOA=3", ["bis-mfa", "bis-hwk"]),
}
BID_METHOD_AMR = {"app": "bid-app", "otp": "bid-otp"}
"""A persona's ``method`` (fixtures/personas.toml) -> the ``amr`` value of its BankID High sign-in."""
DEFAULT_ACR_VALUE = "urn:bankid:bid"

# Scopes the provider knows, and the userinfo claims each one releases. BankID's newest word
# (developer.bankid.no upcoming-changes): the consent service behind email, phone, address and nnin
# "is planned to be discontinued", to be replaced by a Data Sharing service that keeps using the
# userinfo endpoint, and "nnin scope can be used to ask user for consent". So userinfo still releases
# them, each only after the user's consent (CONSENT_SCOPES; the login page asks, per scope, as
# "consent handling takes place on a per scope basis", consent-handling), and only to a client
# registered for the scope (BankID grants nnin per client).
USERINFO_SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "given_name", "family_name", "birthdate", "updated_at"),
    "email": ("email",),
    "phone": ("phone_number",),
    "address": ("address",),
    "nnin": ("nnin",),
}
CONSENT_SCOPES = ("nnin", "email", "phone", "address")
ADDRESS_FIELDS = ("formatted", "street_address", "postal_code", "locality", "country")
"""The parts of BankID's ``address`` claim; a persona's address also has Vipps's ``region``."""
TINFO_SCOPES = ("profile", "email", "phone", "address", "nnin")
"""Scopes that are TINFO's (the userinfo resource server): its roles in the access token."""
RETIRED_SCOPES = tuple(s for s in TINFO_SCOPES if s not in USERINFO_SCOPE_CLAIMS)
"""Accepted, but BankID releases nothing for them since the end of 2025 (above)."""
ACCESS_TOKEN_AUDIENCE = "tinfo"  # noqa: S105 - an audience, not a secret
SUPPORTED_SCOPES = ("openid", "profile", "nnin_altsub", "nnin", "email", "phone", "address", "offline_access")
CLAIMS_SUPPORTED = (
    "iss", "sub", "aud", "azp", "exp", "iat", "nbf", "jti", "auth_time", "nonce", "acr", "amr", "sid",
    "at_hash", "typ", "api_ver", "bankid_altsub", "name", "given_name", "family_name", "birthdate",
    "updated_at", "nnin_altsub",
)
"""What BankID's tokens carry. ``pid`` is not here: BankID never sends it; it is the mock's per-client
addition for the Drop clients (``pid_claim``), and discovery shows BankID's list to every client."""
CERT_ISSUED_FROM = calendar.timegm((2023, 1, 1, 0, 0, 0))
CERT_ISSUED_SPAN = 2 * 365 * 86400


def acr_for(acr_values: str | None, persona: dict[str, Any] | None = None) -> tuple[str, list[str]]:
    """``acr`` and ``amr`` for the first supported value of a space-separated ``acr_values`` (BankID
    v3+ allows several), as ``persona`` signs in: its ``method`` (app or code device) and whether it
    has biometrics (without them a biometrics sign-in is a step-up through BankID High)."""
    wanted = next((v for v in (acr_values or "").split() if v in IDPS), DEFAULT_ACR_VALUE)
    acr, amr = IDPS[wanted]
    persona = persona or {}
    bid = ["bid-mfa", BID_METHOD_AMR.get(str(persona.get("method") or "app"), "bid-app"), "bid-pwd"]
    if wanted == "urn:bankid:bid":
        return acr, ["bid", *bid]
    if persona.get("biometrics", True) is False:
        return acr, ["bis-mfa", "bis-bid", *bid]
    return acr, list(amr)


def certificate_issued_at(persona: dict[str, Any]) -> int:
    """``updated_at``: when the person's BankID certificate was issued (BankID: "Epoc time of issuing
    time of associated BankID certificate"), stable per person and never before their birth.

    A mock has no certificate, so the time is derived from ``bankid_altsub`` (a day in 2023-2024):
    the same persona always shows the same ``updated_at``, however often it signs in.
    """
    digest = hashlib.sha256(str(persona.get("bankid_altsub") or persona.get("sub") or "").encode()).digest()
    issued = CERT_ISSUED_FROM + int.from_bytes(digest[:4], "big") % CERT_ISSUED_SPAN
    born = persona.get("birthdate")
    if born:
        try:
            year, month, day = (int(x) for x in str(born)[:10].split("-"))
            issued = max(issued, calendar.timegm((year, month, day, 0, 0, 0)) + 86400)
        except ValueError:
            pass
    return issued


def _profile(persona: dict[str, Any], updated_at: int) -> dict[str, Any]:
    """``updated_at`` in epoch **milliseconds**, as BankID's examples show it (ID token
    ``1292982190000``, userinfo ``1519992419860``; CONF id-token and api/userinfo), not OIDC's seconds."""
    claims = {
        "name": f"{persona['given_name']} {persona['family_name']}".strip(),
        "given_name": persona["given_name"],
        "family_name": persona["family_name"],
        "updated_at": updated_at * 1000,
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
        claims.update(_profile(persona, certificate_issued_at(persona)))
    if "nnin_altsub" in grant.scope:
        claims["nnin_altsub"] = persona["nnin"]
    if grant.pid_claim:
        claims["pid"] = persona["nnin"]
    return claims


def access_token_claims(grant: Grant, *, issuer: str, now: int, ttl: int, jti: str) -> dict[str, Any]:
    """A self-contained JWT like BankID's; no nonce (removed in v4), no personal data beyond ids.

    ``aud`` is the resource server (``tinfo``, a string as in BankID's examples), and the scopes it
    serves are its roles in ``resource_access`` and ``realm_access`` (Keycloak's shape, which BankID's
    access-token documentation shows).
    """
    persona = grant.persona
    roles = [s for s in grant.scope if s in TINFO_SCOPES]
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": ACCESS_TOKEN_AUDIENCE,
        "azp": grant.client_id,
        "client_id": grant.client_id,
        "typ": "Bearer",
        "iat": now,
        "exp": now + ttl,
        "jti": jti,
        "scope": " ".join(grant.scope),
        "allowed-origins": [],
        "api_ver": API_VERSION,  # "new claim in ID and Access tokens" (BankID API versions, v2)
        "realm_access": {"roles": roles},
        "resource_access": {ACCESS_TOKEN_AUDIENCE: {"roles": roles}},
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
    """Scope-filtered person data. ``sub`` equals the ID token's, as OIDC Core §5.3.2 requires.

    ``profile`` releases the name, birth date and ``updated_at``; the consent scopes their claim
    (``USERINFO_SCOPE_CLAIMS``) when the user consented (a declined scope is not in the grant).
    """
    persona = grant.persona
    available = dict(_profile(persona, certificate_issued_at(persona)))
    available.update(email=persona.get("email"), phone_number=persona.get("phone_number"),
                     address=_address(persona.get("address")), nnin=persona.get("nnin"))
    claims: dict[str, Any] = {"sub": persona["sub"]}
    for scope in grant.scope:
        for name in USERINFO_SCOPE_CLAIMS.get(scope, ()):
            if available.get(name) is not None:
                claims[name] = available[name]
    return claims


def _address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    """BankID's ``address`` claim: the persona's address with BankID's parts only (``ADDRESS_FIELDS``)."""
    if not address:
        return None
    return {k: address[k] for k in ADDRESS_FIELDS if k in address}
