"""BankID's dialect of OpenID Connect (``oidc/dialect.py``): the one object the app hands the machinery."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mock_bankid.bankid import claims, login_hint, permissions
from mock_bankid.keys.rotation import thumbprint_kid
from mock_bankid.oidc.authorization_details import of_grant
from mock_bankid.oidc.grants import Grant


@dataclass(frozen=True)
class BankIDDialect:
    name: str = "BankID"
    supported_scopes: tuple[str, ...] = claims.SUPPORTED_SCOPES
    retired_scopes: tuple[str, ...] = claims.RETIRED_SCOPES
    claims_supported: tuple[str, ...] = (*claims.CLAIMS_SUPPORTED, "permission_digest")
    acr_values: tuple[str, ...] = tuple(claims.IDPS)
    consent_scopes: tuple[str, ...] = claims.CONSENT_SCOPES
    access_token_audience: str = claims.ACCESS_TOKEN_AUDIENCE
    authorization_detail_types: tuple[str, ...] = permissions.TYPES
    all_or_none_consent: bool = False
    min_state_length: int = 0
    response_modes: tuple[str, ...] = ("query", "fragment", "form_post")
    token_ttl: int | None = None
    signing_algs: tuple[str, ...] = ("RS256", "ES256")
    encryption_key: bool = True
    signed_userinfo: bool = True
    discovery_cache_control: str | None = None

    @staticmethod
    def kid_of(thumbprint: str) -> str:
        return thumbprint_kid(thumbprint)

    def discovery(self, document: dict[str, Any]) -> dict[str, Any]:
        return document

    def check_authorization_details(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return permissions.check(items)

    def describe_authorization_details(self, items: list[dict[str, Any]]) -> list[dict[str, str]]:
        return permissions.describe(items)

    @property
    def extra_token_claims(self) -> dict[str, Any]:
        return {"api_ver": claims.API_VERSION}

    def acr_for(self, acr_values: str | None, persona: dict[str, Any] | None = None) -> tuple[str, list[str]]:
        return claims.acr_for(acr_values, persona)

    def requested_acr_values(self, acr_values: str | None, hint: str | None) -> str | None:
        return login_hint.requested_acr_values(acr_values, hint)

    def id_token_claims(self, grant: Grant, *, issuer: str, now: int, ttl: int,
                        access_token: str | None = None) -> dict[str, Any]:
        body = claims.id_token_claims(grant, issuer=issuer, now=now, ttl=ttl, access_token=access_token)
        return {**body, **permissions.id_token_claims(of_grant(grant.extra))}

    def access_token_claims(self, grant: Grant, *, issuer: str, now: int, ttl: int, jti: str) -> dict[str, Any]:
        body = claims.access_token_claims(grant, issuer=issuer, now=now, ttl=ttl, jti=jti)
        return {**body, **permissions.access_token_claims(of_grant(grant.extra))}

    def userinfo_claims(self, grant: Grant) -> dict[str, Any]:
        return claims.userinfo_claims(grant)


BANKID = BankIDDialect()
