"""Vipps Login's dialect of OpenID Connect (``oidc/dialect.py``): what its discovery, tokens and
userinfo say, and the rules its authorize endpoint adds (``state`` of at least 8 characters,
the query response mode, consent to every scope or none)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mock_bankid.keys.rotation import uuid_kid
from mock_bankid.oidc.grants import Grant
from mock_bankid.vipps import claims

DISCOVERY = {
    "response_types_supported": ["code"],
    "response_modes_supported": ["query"],
    "grant_types_supported": ["authorization_code"],
    "subject_types_supported": ["pairwise"],
    "id_token_signing_alg_values_supported": ["RS256"],
    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    "claims_parameter_supported": False,
    "request_parameter_supported": True,
    "request_uri_parameter_supported": True,
    "code_challenge_methods_supported": ["S256"],
    "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
}
"""The documented discovery sample's values (docs/fidelity-vipps.md); the rest the machinery fills."""
NOT_OFFERED = ("acr_values_supported", "userinfo_signing_alg_values_supported",
               "authorization_details_types_supported", "token_endpoint_auth_signing_alg_values_supported",
               "revocation_endpoint_auth_signing_alg_values_supported", "prompt_values_supported",
               "request_object_encryption_alg_values_supported", "request_object_encryption_enc_values_supported",
               "tls_client_certificate_bound_access_tokens", "require_pushed_authorization_requests",
               "authorization_response_iss_parameter_supported")
"""BankID's (Keycloak's) metadata Vipps's document does not carry."""


@dataclass(frozen=True)
class VippsDialect:
    name: str = "Vipps"
    supported_scopes: tuple[str, ...] = claims.SUPPORTED_SCOPES
    retired_scopes: tuple[str, ...] = ()
    claims_supported: tuple[str, ...] = claims.CLAIMS_SUPPORTED
    acr_values: tuple[str, ...] = ()
    consent_scopes: tuple[str, ...] = ()
    all_or_none_consent: bool = True
    """The consent screen lists every requested scope; the user accepts them all or cancels."""
    access_token_audience: str = claims.USERINFO_API_AUDIENCE
    authorization_detail_types: tuple[str, ...] = ()
    min_state_length: int = 8
    """"state ... must be at least 8 characters" (the Login API's authorize endpoint)."""
    response_modes: tuple[str, ...] = ("query",)
    token_ttl: int | None = claims.TOKEN_TTL
    signing_algs: tuple[str, ...] = ("RS256",)
    encryption_key: bool = False
    signed_userinfo: bool = False
    discovery_cache_control: str | None = "max-age=3600"
    """Vipps serves its discovery document cacheable for an hour."""
    sso_on_login_hint_only: bool = False

    @staticmethod
    def kid_of(thumbprint: str) -> str:
        return uuid_kid(thumbprint)

    def discovery(self, document: dict[str, Any]) -> dict[str, Any]:
        document = {key: value for key, value in document.items() if key not in NOT_OFFERED}
        return {**document, **DISCOVERY}

    @property
    def extra_token_claims(self) -> dict[str, Any]:
        return {}

    def check_authorization_details(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return items

    def describe_authorization_details(self, items: list[dict[str, Any]]) -> list[dict[str, str]]:
        return []

    def acr_for(self, acr_values: str | None, persona: dict[str, Any] | None = None) -> tuple[str, list[str]]:
        return "", []  # Vipps's ID token has neither acr nor amr

    def requested_acr_values(self, acr_values: str | None, hint: str | None) -> str | None:
        return None

    def id_token_claims(self, grant: Grant, *, issuer: str, now: int, ttl: int,
                        access_token: str | None = None) -> dict[str, Any]:
        return claims.id_token_claims(grant, issuer=issuer, now=now, ttl=ttl, access_token=access_token)

    def access_token_claims(self, grant: Grant, *, issuer: str, now: int, ttl: int, jti: str) -> dict[str, Any]:
        return claims.access_token_claims(grant, issuer=issuer, now=now, ttl=ttl, jti=jti)

    def userinfo_claims(self, grant: Grant) -> dict[str, Any]:
        return claims.userinfo_claims(grant)


VIPPS = VippsDialect()
