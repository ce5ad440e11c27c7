"""Authorize checks that depend on the client's fidelity profile (mock_bankid/oidc/profiles.py), plus the
refusal of request objects, which the mock does not support in any profile.

Each check has the signature of ``checks.CHECKS`` and raises a typed ``OAuthError`` that goes back
through the (already trusted) redirect URI. They ask the profile's named switch,
never the client id.
"""

from __future__ import annotations

from mock_bankid.core import routes
from mock_bankid.core.errors import InvalidRequest, MethodNotAllowed, RequestNotSupported, RequestUriNotSupported
from mock_bankid.endpoints.authorize.request import AuthorizationRequest
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
    "Request objects (request, request_uri) are not supported by mock-bankid (discovery: "
    "request_parameter_supported false): send client_id, redirect_uri and the other parameters in the query."
)


def check_method(method: str, client: Client) -> None:
    """Strict: GET only. An error page (405, ``Allow: GET``), not a redirect: the request itself is wrong."""
    if method == "POST" and not client.profile.post_authorize:
        raise MethodNotAllowed(POST_REFUSED, headers={"Allow": "GET"}, redirect=False)


def check_request_object(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    """OIDC Core §6: a provider that does not take request objects says so instead of ignoring one.

    Discovery says ``request_parameter_supported: false`` and ``request_uri_parameter_supported:
    false``; silently dropping ``request=...`` would let a client believe its signed parameters
    were honoured.
    """
    if req.request_object:
        raise RequestNotSupported(
            "Request objects (the request parameter) are not supported by mock-bankid: send the "
            "parameters in the query (discovery: request_parameter_supported false)."
        )
    if req.request_uri:
        raise RequestUriNotSupported(
            "request_uri is not supported by mock-bankid (discovery: request_uri_parameter_supported false)."
        )


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
    try:
        selector = p.personas.resolve(req.login_hint, p.today()) is None
    except PersonaError:
        selector = False  # not a selector either
    if not selector:
        raise InvalidRequest(
            "login_hint may only be BID, BIS or BIM for this client (strict profile): BankID API v4 refuses "
            "a national identity number in a plain login_hint, and persona ids, numbers and recipes are "
            f"mock-only. Choose who signs in on the login page or with POST {routes.NEXT_LOGIN_PUSH.under_base}."
        )
