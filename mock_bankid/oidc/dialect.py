"""What the OIDC machinery asks of the provider it serves: its dialect of OpenID Connect.

The machinery (codes, sessions, tokens, refresh, grant types, the endpoints) is the same for every
provider; what a provider's tokens and answers *say* is not: BankID's claims and ``acr``/``amr``,
its scopes, its ``login_hint`` method selectors, its access-token audience. A provider package
(``mock_bankid/bankid/``) implements this protocol and the app hands it to the ``Provider``
(``Provider.dialect``), so nothing below asks which provider it is serving.
"""

from __future__ import annotations

from typing import Any, Protocol

from mock_bankid.oidc.grants import Grant


class Dialect(Protocol):
    @property
    def name(self) -> str:
        """The provider's name in messages and docs, e.g. ``BankID``."""

    @property
    def supported_scopes(self) -> tuple[str, ...]:
        """Scopes about a person a client may ask for (discovery's ``scopes_supported``)."""

    @property
    def retired_scopes(self) -> tuple[str, ...]:
        """Scopes still accepted that release nothing any more (the console's debugger does not offer them)."""

    @property
    def claims_supported(self) -> tuple[str, ...]: ...

    @property
    def consent_scopes(self) -> tuple[str, ...]:
        """Scopes the user consents to one by one on the login page (a declined one is not granted)."""

    @property
    def acr_values(self) -> tuple[str, ...]:
        """``acr_values`` the provider understands, the default first (discovery's ``acr_values_supported``)."""

    @property
    def access_token_audience(self) -> str:
        """``aud`` of access and refresh tokens: the resource server that serves userinfo."""

    @property
    def all_or_none_consent(self) -> bool:
        """True: the login page lists every requested scope and the user accepts all or cancels
        (Vipps); False: ``consent_scopes`` are consented to one by one (BankID)."""

    @property
    def min_state_length(self) -> int:
        """The shortest ``state`` authorize accepts (0: any)."""

    @property
    def response_modes(self) -> tuple[str, ...]:
        """The response modes authorize accepts (discovery's ``response_modes_supported``)."""

    @property
    def token_ttl(self) -> int | None:
        """The provider's own ID and access token lifetime (None: the ``token_ttl`` setting's)."""

    @property
    def signing_algs(self) -> tuple[str, ...]:
        """The algorithms its ID tokens may be signed with: the JWKS publishes these keys only."""

    @property
    def signed_userinfo(self) -> bool:
        """Whether userinfo answers a signed JWT to a request that prefers one (``Accept: application/jwt``)."""

    @property
    def encryption_key(self) -> bool:
        """Whether its JWKS publishes the request-object encryption key (``use=enc``)."""

    def kid_of(self, thumbprint: str) -> str:
        """A signing key's ``kid`` from its RFC 7638 thumbprint (``keys/rotation.py``)."""

    def discovery(self, document: dict[str, Any]) -> dict[str, Any]:
        """The discovery document as this provider publishes it, from the machinery's."""

    @property
    def discovery_cache_control(self) -> str | None:
        """Its discovery's ``Cache-Control`` when not the route table's (BankID's)."""

    @property
    def extra_token_claims(self) -> dict[str, Any]:
        """Claims the provider puts into every token it signs, refresh tokens too (BankID: ``api_ver``)."""

    def acr_for(self, acr_values: str | None, persona: dict[str, Any] | None = None) -> tuple[str, list[str]]:
        """The ``acr`` claim and ``amr`` list a sign-in by ``persona`` (``Persona.as_dict()``) that
        asked for ``acr_values`` gets: how the person signs in may change ``amr``."""

    def requested_acr_values(self, acr_values: str | None, login_hint: str | None) -> str | None:
        """What a request asks for: ``acr_values``, or what its ``login_hint`` selects."""

    @property
    def authorization_detail_types(self) -> tuple[str, ...]:
        """RFC 9396 types ``authorization_details`` may name (discovery: ``authorization_details_types_supported``)."""

    def check_authorization_details(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The items as approved (what the tokens carry), or ``InvalidAuthorizationDetails``."""

    def describe_authorization_details(self, items: list[dict[str, Any]]) -> list[dict[str, str]]:
        """What the login page shows the person to approve: ``type``, ``amount``, ``text``, ``statement``."""

    def id_token_claims(self, grant: Grant, *, issuer: str, now: int, ttl: int,
                        access_token: str | None = None) -> dict[str, Any]: ...

    def access_token_claims(self, grant: Grant, *, issuer: str, now: int, ttl: int, jti: str) -> dict[str, Any]: ...

    def userinfo_claims(self, grant: Grant) -> dict[str, Any]: ...
