"""Named hook points the endpoints and token minting pass through, each with its own typed context.

Core and domain code (``tokens.mint_id_token``, every endpoint) calls ``provider.hooks.at(ctx)``
with the context of its point, without knowing who listens; the scenario engine registers itself
with ``add`` when it is attached (``Scenarios.attach``). So the layers import one way: nothing
below ``scenarios/`` imports it, and this module imports no endpoint (the authorization request
is seen through ``AuthorizationRequestView``). With nothing registered every hook is a no-op.

One context class per point, so a hook can only read what its point knows and can only change
what the caller reads back: frozen contexts are for looking (and answering with a response or
an error), mutable ones name the fields the caller uses after the hook has run.

| point                  | context                      | a hook may change                |
|------------------------|------------------------------|----------------------------------|
| ``request``            | ``RequestContext``           | nothing                          |
| ``authorize``          | ``AuthorizeContext``         | nothing                          |
| ``authorize_redirect`` | ``AuthorizeRedirectContext`` | ``params`` (in place), ``error`` |
| ``token``              | ``TokenContext``             | nothing                          |
| ``id_token_claims``    | ``IdTokenClaimsContext``     | ``claims``                       |
| ``id_token``           | ``IdTokenContext``           | ``token``                        |
| ``jwks``               | ``JwksContext``              | ``jwks``                         |
| ``discovery``          | ``DiscoveryContext``         | ``document``                     |
| ``userinfo``           | ``UserinfoContext``          | nothing                          |
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from flask import Response

from mock_bankid.core import routes
from mock_bankid.core.errors import OAuthError
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.grants import Grant


class AuthorizationRequestView(Protocol):
    """What a hook may read of the authorization request, read-only.

    ``endpoints/authorize/request.AuthorizationRequest`` is one; a Protocol keeps this layer from
    importing the endpoint, and keeps a hook from changing what the authorize checks saw.
    """

    @property
    def client_id(self) -> str: ...
    @property
    def redirect_uri(self) -> str: ...
    @property
    def response_type(self) -> str: ...
    @property
    def response_mode(self) -> str: ...
    @property
    def scope(self) -> Sequence[str]: ...
    @property
    def state(self) -> str | None: ...
    @property
    def nonce(self) -> str | None: ...
    @property
    def acr_values(self) -> str | None: ...
    @property
    def prompt(self) -> Sequence[str]: ...
    @property
    def login_hint(self) -> str | None: ...
    @property
    def locale(self) -> str: ...
    def reply_mode(self) -> str:
        """The response mode the answer goes back in (``query`` if the requested one is unknown)."""
        ...


class HookContext:
    """What every context has: its point, and the sign-in it serves where one is known."""

    point: ClassVar[str]

    def sign_in_extra(self) -> Mapping[str, Any] | None:
        """``Grant.extra`` of the sign-in this hook serves (it names a per-sign-in scenario), or None."""
        return None


class _ForSignIn(HookContext):
    grant: Grant

    def sign_in_extra(self) -> Mapping[str, Any] | None:
        return self.grant.extra


@dataclass(frozen=True)
class RequestContext(HookContext):
    """Every request, before routing (``app.py``); answering here answers any endpoint."""

    point: ClassVar[str] = "request"
    endpoint: str | None
    """Flask's endpoint name (``token.token``), None for a URL no route matches."""
    path: str

    @property
    def blueprint(self) -> str:
        """The endpoint's blueprint (``discovery``, ``jwks``, ``authorize``, ``token``, ...), or ``""``;
        the same for every provider's registration of it (Vipps's ``vipps_token`` is ``token``)."""
        route = routes.named(self.endpoint)
        if route is not None:
            return route.blueprint
        endpoint = self.endpoint or ""
        return endpoint.split(".", 1)[0] if "." in endpoint else ""


@dataclass(frozen=True)
class AuthorizeContext(HookContext):
    """Authorize, once the client and its redirect URI are trusted and before the other checks."""

    point: ClassVar[str] = "authorize"
    request: AuthorizationRequestView
    client: Client


@dataclass
class AuthorizeRedirectContext(_ForSignIn):
    """The answer about to go back to the client after a sign-in (its code is issued)."""

    point: ClassVar[str] = "authorize_redirect"
    params: dict[str, str]
    """``code``, ``state``, ``iss``: change in place; authorize sends what is here."""
    client: Client
    grant: Grant
    request: AuthorizationRequestView
    error: OAuthError | None = None
    """Set to send this error to the client instead of the code (the code and session are cancelled)."""


@dataclass(frozen=True)
class TokenContext(HookContext):
    """The token endpoint, before client authentication and the grant."""

    point: ClassVar[str] = "token"
    client_id: str | None
    """The form's ``client_id`` (not yet authenticated; None with HTTP Basic)."""
    grant_type: str
    sign_in: Mapping[str, Any] | None
    """``Grant.extra`` of the sign-in the request continues, if its grant type finds it before client
    authentication (``GrantType.sign_in``; ``authorization_code``: the code's, peeked at, not redeemed)."""

    def sign_in_extra(self) -> Mapping[str, Any] | None:
        return self.sign_in


@dataclass
class IdTokenClaimsContext(_ForSignIn):
    """The ID token's claims before signing (every ID token: code, refresh, minted for tests)."""

    point: ClassVar[str] = "id_token_claims"
    claims: dict[str, Any]
    """What is signed: change it (in place or replace it)."""
    grant: Grant
    client: Client


@dataclass
class IdTokenContext(_ForSignIn):
    """The signed ID token, before it is handed out."""

    point: ClassVar[str] = "id_token"
    token: str
    """What is handed out: replace it."""
    claims: dict[str, Any]
    """The claims that were signed (changing them changes nothing)."""
    grant: Grant
    client: Client


@dataclass
class JwksContext(HookContext):
    """The published key set, before it is sent."""

    point: ClassVar[str] = "jwks"
    jwks: dict[str, Any]


@dataclass
class DiscoveryContext(HookContext):
    """The discovery document, before it is sent."""

    point: ClassVar[str] = "discovery"
    document: dict[str, Any]


@dataclass(frozen=True)
class UserinfoContext(_ForSignIn):
    """Userinfo, once the access token is valid and before the claims are built."""

    point: ClassVar[str] = "userinfo"
    grant: Grant


CONTEXTS: tuple[type[HookContext], ...] = (
    RequestContext, AuthorizeContext, AuthorizeRedirectContext, TokenContext, IdTokenClaimsContext, IdTokenContext,
    JwksContext, DiscoveryContext, UserinfoContext,
)
HOOK_POINTS: tuple[str, ...] = tuple(context.point for context in CONTEXTS)
"""Every hook point, in the order a sign-in passes them."""

Runner = Callable[[HookContext], "Response | None"]
"""Runs at ``ctx.point`` with its ``ctx`` (which it may change where the context says); a response
answers the request."""
ActsAt = Callable[[str], bool]
"""Whether a runner might act at a point now (False: it certainly does nothing there)."""


class Hooks:
    def __init__(self) -> None:
        self._runners: list[Runner] = []
        self._checks: list[ActsAt | None] = []

    def add(self, runner: Runner, *, acts_at: ActsAt | None = None) -> None:
        """Register ``runner``; ``acts_at`` lets an endpoint serve a precomputed answer while the
        runner would do nothing at its point (a runner without it is assumed to act anywhere)."""
        self._runners.append(runner)
        self._checks.append(acts_at)

    def may_act(self, point: str) -> bool:
        """False if no runner would act at ``point`` now: its context need not even be built."""
        return any(check is None or check(point) for check in self._checks)

    def at(self, ctx: HookContext) -> Response | None:
        """Run every registered runner at ``ctx.point``; the first response wins."""
        for runner in self._runners:
            result = runner(ctx)
            if result is not None:
                return result
        return None
