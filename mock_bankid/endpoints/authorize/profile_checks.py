"""Authorize checks that depend on the client's fidelity profile (mock_bankid/oidc/profiles.py) or its
registration: PAR required, ``authorization_details`` only through PAR, a number in ``login_hint``.

Each check has the signature of ``checks.CHECKS`` and raises a typed ``OAuthError`` that goes back
through the (already trusted) redirect URI. They ask the profile's named switch,
never the client id.
"""

from __future__ import annotations

import re

from mock_bankid.core import routes
from mock_bankid.core.errors import InvalidAuthorizationDetails, InvalidRequest, MethodNotAllowed
from mock_bankid.endpoints.authorize.request import AuthorizationRequest
from mock_bankid.oidc import authorization_details
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.provider import Provider
from mock_bankid.people.personas import PersonaError

DECLARED_PROMPTS = ("none", "login")
"""What discovery's ``prompt_values_supported`` says; the strict profile accepts only these."""
POST_REFUSED = (
    "The authorize endpoint takes GET only: BankID's authorize documentation says 'POST is not "
    "supported'. (This client has the strict profile; a dev client may POST: conveniences.post_authorize.)"
)


REQUEST_OBJECT_REFUSED = (
    "A request object (request, request_uri) carries the redirect_uri here, and it could not be read: "
    "push the request to the PAR endpoint or send a signed request object (discovery)."
)
NUMBER_HINT = re.compile(r"(?i)^\s*(?:bid|bis|nnin)?\s*:\s*[0-9]{11}\s*$|^\s*[0-9]{11}\s*$")
"""A national identity number in a ``login_hint`` as BankID takes it (``BID:<nnin>``, ``:<nnin>``)."""


def check_method(method: str, client: Client) -> None:
    """Strict: GET only. An error page (405, ``Allow: GET``), not a redirect: the request itself is wrong."""
    if method == "POST" and not client.profile.post_authorize:
        raise MethodNotAllowed(POST_REFUSED, headers={"Allow": "GET"}, redirect=False)


def check_request_object(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    """RFC 9126 §5: a client registered with ``require_pushed_authorization_requests`` must use PAR."""
    if client.require_pushed_authorization_requests and not req.pushed:
        raise InvalidRequest(
            f"Client {client.client_id!r} must push its authorization requests to "
            f"{routes.PAR.under_base} and send the request_uri it gets (require_pushed_authorization_requests, "
            "RFC 9126 section 5)."
        )


def check_authorization_details(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    """RFC 9396: BankID accepts ``authorization_details`` only in a pushed request; the dialect judges the items."""
    if req.authorization_details is None:
        return
    if not req.pushed:
        raise InvalidAuthorizationDetails(
            f"authorization_details is accepted only in a pushed authorization request ({routes.PAR.under_base}), "
            "as at BankID."
        )
    p.dialect.check_authorization_details(authorization_details.parse(req.authorization_details))


def check_declared_prompt(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    """Strict: only the prompt values discovery declares (a dev client's extras are ignored)."""
    if client.profile.undeclared_prompts:
        return
    undeclared = [v for v in req.prompt if v not in DECLARED_PROMPTS]
    if undeclared:
        raise InvalidRequest(
            f"Unsupported prompt value: {' '.join(undeclared)} (prompt_values_supported: "
            f"{', '.join(DECLARED_PROMPTS)})."
        )


def check_login_hint_form(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    """Strict: a login_hint may select the IDP (``BID``, ``BIS``, ``BIM``) but never name a person.

    BankID API v4 refuses a national identity number in a plain ``login_hint``; persona ids,
    ``nnin:`` and recipes are the mock's own. Who signs in comes from the login page or the
    next-login queue instead.
    """
    if client.profile.mock_login_hints or not req.login_hint:
        return
    if (req.pushed or req.encrypted) and (NUMBER_HINT.match(req.login_hint) or req.login_hint.lstrip().startswith("{")):
        return  # BankID API v4: a number may be pre-filled through PAR or an encrypted request object
    try:
        selector = p.personas.resolve(req.login_hint, p.today()) is None
    except PersonaError:
        selector = False  # not a selector either
    queue = f"POST {routes.NEXT_LOGIN_PUSH.under_base}"
    if not p.dialect.acr_values:  # a provider without BankID's selectors (Vipps) names nobody by a hint
        raise InvalidRequest(
            f"login_hint is not taken from this client (strict profile): {p.dialect.name}'s browser flow has no "
            f"login_hint, and persona ids and recipes are mock-only. Choose who signs in on the login page or "
            f"with {queue} and provider {p.name} in its body."
        )
    if not selector:
        raise InvalidRequest(
            "login_hint may only be BID, BIS or BIM for this client (strict profile): BankID API v4 refuses "
            f"a national identity number in a plain login_hint (push it to {routes.PAR.under_base}), and persona "
            f"ids and recipes are mock-only. Choose who signs in on the login page or with {queue}."
        )
