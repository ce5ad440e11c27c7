"""The authorize checks, in two stages, as BankID judges a request.

1. ``check_client`` and ``check_redirect_uri``: until both pass nothing is sent to the redirect
   URI; failures render an HTML error page.
2. ``CHECKS``: small named checks, in order, each raising a typed ``OAuthError`` that goes back to
   the client in its chosen ``response_mode`` with ``state`` echoed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mock_bankid.core.errors import (
    InvalidClient,
    InvalidRequest,
    InvalidScope,
    RequestNotSupported,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from mock_bankid.core.numbers import whole_number
from mock_bankid.endpoints.authorize import profile_checks
from mock_bankid.endpoints.authorize.request import PROMPTS, AuthorizationRequest
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.grants import check_scopes
from mock_bankid.oidc.provider import Provider, provider
from mock_bankid.oidc.tokens import read_id_token_hint
from mock_bankid.people.personas import PersonaError

PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url SHA-256, no padding
Check = Callable[[AuthorizationRequest, Client, Provider], None]


# --- stage 1: can the redirect URI be trusted? ---------------------------------------------
def check_client(req: AuthorizationRequest, p: Provider) -> Client:
    if not req.client_id:
        raise InvalidRequest("The request has no client_id.", untrusted=True)
    if "client_id" in req.duplicated or "redirect_uri" in req.duplicated:
        raise InvalidRequest("client_id and redirect_uri must each be sent once.", untrusted=True)
    client = p.clients.get(req.client_id)
    if client is None:
        raise InvalidClient(
            f"{p.clients.unknown(req.client_id)}.", status=400, untrusted=True
        )
    return client


def check_redirect_uri(req: AuthorizationRequest, client: Client) -> None:
    if not req.redirect_uri:
        if req.request_object or req.request_uri:  # JAR puts redirect_uri inside: nowhere to send the refusal
            raise RequestNotSupported(profile_checks.REQUEST_OBJECT_REFUSED, untrusted=True)
        raise InvalidRequest(f"The request has no redirect_uri ({provider().dialect.name} requires one).",
                             untrusted=True)
    if not client.redirect_uri_allowed(req.redirect_uri):
        raise InvalidRequest(
            f"redirect_uri_mismatch: {req.redirect_uri!r} is not registered for client {client.client_id!r}. "
            f"{provider().dialect.name} requires an exact match with a registered redirect URI. "
            f"Registered: {', '.join(client.redirect_uris)} (fixtures/clients.toml).",
            untrusted=True,
        )


# --- stage 2: named checks, each answered through the redirect -------------------------------
def check_duplicates(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if req.duplicated:
        raise InvalidRequest(f"Parameters sent more than once: {', '.join(req.duplicated)}.")


def check_response_mode(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    modes = p.dialect.response_modes
    if req.response_mode not in modes:
        raise InvalidRequest(f"response_mode must be {' or '.join(modes)}.")


def check_response_type(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if not req.response_type:
        raise InvalidRequest(f"response_type is required ({p.dialect.name}).")
    if req.response_type != "code":
        raise UnsupportedResponseType(
            f"{p.dialect.name} supports only the authorization code flow: response_type=code.")
    if "authorization_code" not in client.grant_types:
        raise UnauthorizedClient(f"Client {client.client_id!r} is not registered for the authorization code flow.")


def check_scope(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if "openid" not in req.scope:
        raise InvalidScope("scope must contain openid.")
    check_scopes(client, req.scope, known=p.dialect.supported_scopes, provider_name=p.dialect.name)


def check_pkce(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if req.code_challenge is None:
        if req.code_challenge_method:
            raise InvalidRequest("code_challenge_method was sent without code_challenge.")
        if client.require_pkce or client.is_public:
            relax = "" if client.is_public else (
                " To relax this for a test client set require_pkce = false in fixtures/clients.toml."
            )
            raise InvalidRequest(
                f"PKCE is required ({p.dialect.name}): send code_challenge with code_challenge_method=S256.{relax}"
            )
        return
    if (req.code_challenge_method or "plain") != "S256":
        raise InvalidRequest("code_challenge_method must be S256: the mock refuses plain PKCE, as BankID does "
                             "(Vipps documents plain too; docs/fidelity-vipps.md).")
    if not PKCE_CHALLENGE.match(req.code_challenge):
        raise InvalidRequest("code_challenge must be the base64url SHA-256 of the verifier (43 characters).")


def check_state(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if req.state is None and client.require_state:
        raise InvalidRequest(
            f"state is required ({p.dialect.name}). To relax this for a test client set require_state = false."
        )
    shortest = p.dialect.min_state_length
    if req.state is not None and len(req.state) < shortest:
        raise InvalidRequest(f"state must be at least {shortest} characters ({p.dialect.name}).")


def check_nonce(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if req.nonce is None and client.require_nonce:
        raise InvalidRequest(
            f"nonce is required ({p.dialect.name}). To relax this for a test client set require_nonce = false."
        )


def check_acr_values(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    known = p.dialect.acr_values
    if not known:  # a provider without acr values (Vipps) ignores the parameter, as OIDC lets it
        return
    if req.acr_values and not any(v in known for v in req.acr_values.split()):
        raise InvalidRequest(f"acr_values must name {' or '.join(known)}.")


def check_prompt(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    unknown = [v for v in req.prompt if v not in PROMPTS]
    if unknown:
        raise InvalidRequest(f"Unsupported prompt value: {' '.join(unknown)}.")
    if "none" in req.prompt and len(req.prompt) > 1:
        raise InvalidRequest("prompt=none cannot be combined with other values.")


MAX_AGE_LIMIT = 2**31 - 1
"""Keycloak (BankID's base) reads max_age as a Java int; more is no number it would accept."""


def check_max_age(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if req.max_age is not None:
        try:
            whole_number(req.max_age, maximum=MAX_AGE_LIMIT)
        except ValueError:
            raise InvalidRequest(
                f"max_age must be a whole number of seconds (ASCII digits, at most {MAX_AGE_LIMIT})."
            ) from None


def check_login_hint(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if req.login_hint:
        try:
            p.personas.resolve(req.login_hint, p.today())
        except PersonaError as exc:
            raise InvalidRequest(f"login_hint: {exc}") from None


def check_id_token_hint(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if req.id_token_hint:
        read_id_token_hint(p, req.id_token_hint)


CHECKS: list[Check] = [
    check_duplicates,
    check_response_mode,
    check_response_type,
    check_scope,
    check_pkce,
    check_state,
    check_nonce,
    profile_checks.check_request_object,
    profile_checks.check_authorization_details,
    check_acr_values,
    profile_checks.check_declared_prompt,
    check_prompt,
    check_max_age,
    profile_checks.check_login_hint_form,
    check_login_hint,
    check_id_token_hint,
]
