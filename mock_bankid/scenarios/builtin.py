"""The runbook's failures as built-in scenarios (traps are in ``traps.py``).

Each is data plus one small apply function. Server-wide ones mostly act at the ``request`` hook
and pick their endpoints by blueprint name (``ALL_ENDPOINTS``: the ``hook`` names of the route
table, ``core/routes.py``); per-sign-in ones act where the sign-in is known.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import secrets
import socket
import time
from typing import Any

from flask import Response, request

from mock_bankid.core import routes
from mock_bankid.core.errors import (
    AccessDenied,
    InvalidClient,
    InvalidRequest,
    OAuthError,
    ServerError,
    SessionExpired,
    TemporarilyUnavailable,
    UnauthorizedClient,
)
from mock_bankid.core.request_notes import notes
from mock_bankid.http.web import authorization_url
from mock_bankid.oidc.authorization_details import of_grant
from mock_bankid.oidc.client_auth import BASIC_CHALLENGE, request_client_id
from mock_bankid.oidc.hooks import AuthorizeContext, AuthorizeRedirectContext, RequestContext
from mock_bankid.scenarios import callbacks
from mock_bankid.scenarios.definitions import REGISTRY, Call, preset, scenario

BANKID_ONLY = ("bankid",)
"""A scenario about something only BankID has (its error codes, payment approval, login session)."""

ALL_ENDPOINTS = routes.scenario_endpoints()
"""The routes' ``hook`` names (``core/routes.py``): what a scenario's ``endpoints`` may list."""
ENDPOINT_CHOICES = tuple(ALL_ENDPOINTS)
MAX_DELAY = 120
RATELIMIT_NS = "ratelimit"
TIMEOUT_CODE = "bankid_error_codes:MOCK-T100"
"""The mock's own, recognisably fake code for a BankID session that ran out (BankID's table lists no
code for it)."""
BANKID_ERROR_CODES: dict[str, tuple[str, str]] = {
    # code: (category, what BankID's table says). BankID's "Error codes" page (developer.bankid.no
    # bankid-oidc-provider/resources/error-codes; older copies on confluence.bankidnorge.no pdoidcl and
    # bidbax.atlassian.net PDOIDCL): categories 1_GEN generic, 2_API API error, 3_COM communication,
    # 4_BIMIN / 5_BIMREF BankID on mobile (C codes; "C*: any other BIM related error" is 1_GEN).
    "C131": ("4_BIMIN", "A process is already running at this telephone number."),
    "C293": ("4_BIMIN", "Another BankID on Mobile session has already started towards the same phone number."),
    "C302": ("5_BIMREF", "Timeout from the mobile service provider."),
    "C301": ("1_GEN", "Any other BIM related error (C*); the code of BankID's error-handling example."),
    "4096": ("1_GEN", "Unexpected script error."),
    "4097": ("1_GEN", "Phone number or birthdate unexpectedly missing after input validation."),
    "4098": ("1_GEN", "No IDP has been selected for mobile."),
    "4099": ("1_GEN", "Invalid IDP selected for mobile."),
    "4100": ("1_GEN", "Method selected, but the IDP argument is missing."),
    "4101": ("1_GEN", "Failed to get session when handling error from IDP during initialization."),
    "12288": ("1_GEN", "BID helper did not load."),
    "12289": ("1_GEN", "BID callback gave error."),
}
"""The ``bankid_error_codes`` values BankID publishes, with their categories: ``bankid-error`` takes these."""


# --- helpers -------------------------------------------------------------------------------
def blueprint_of(call: Call) -> str:
    """At ``request``: the endpoint's blueprint; elsewhere ``""``."""
    return call.ctx.blueprint if isinstance(call.ctx, RequestContext) else ""


def hits(call: Call, endpoints: list[str]) -> bool:
    """At ``request``: the blueprint is listed. At a sign-in point: the point's endpoint is listed."""
    if call.point == "request":
        return blueprint_of(call) in endpoints
    return call.point in endpoints


def redirect_error(call: Call, error: OAuthError) -> None:
    """Send ``error`` to the client instead of the code, state echoed (RFC 6749 section 4.1.2.1).

    Authorize then cancels the sign-in's code and session: it did not complete.
    """
    call.context(AuthorizeRedirectContext).error = error


# --- outage --------------------------------------------------------------------------------
@scenario(
    name="outage", group="provider",
    summary_nb="Leverandøren er nede: 503 fra discovery, JWKS, authorize (feilside), token og userinfo",
    summary="The provider is down: 503 from discovery, JWKS, authorize (error page), token and userinfo",
    points=("request",), sign_in_points=("token", "userinfo"),
    params={"endpoints": list(ALL_ENDPOINTS), "retry_after": 30},
    choices={"endpoints": ENDPOINT_CHOICES}, limits={"retry_after": (0, 86400)},
)
def outage(call: Call) -> Response | None:
    if not hits(call, call.params["endpoints"]) or not call.consume():
        return None
    retry_after = call.params["retry_after"]
    until = (call.active.entry or {}).get("until")
    if until is not None:  # a timed outage knows when it ends (on the mock clock)
        retry_after = max(1, math.ceil(until - call.provider.clock.now()))
    headers = {"Retry-After": retry_after} if retry_after else {}
    raise TemporarilyUnavailable(f"{call.provider.dialect.name} is unavailable (mock-bankid scenario: outage).",
                                 status=503, headers=headers)


# --- invalid credentials after a rotation -------------------------------------------------
@scenario(
    name="invalid-client", group="client",
    summary_nb="Token-endepunktet avviser klienten som om hemmeligheten var rotert",
    summary="The token endpoint refuses the client as if its secret had been rotated",
    points=("token",), sign_in_points=("token",),
    params={"error": "invalid_client"}, choices={"error": ("invalid_client", "unauthorized_client")},
)
def invalid_client(call: Call) -> Response | None:
    if not call.consume():
        return None
    if call.params["error"] == "unauthorized_client":
        raise UnauthorizedClient(
            "The client is not authorized for this request (mock-bankid scenario: invalid-client)."
        )
    raise InvalidClient(
        "Client authentication failed: the client secret was rotated (mock-bankid scenario: invalid-client).",
        headers=BASIC_CHALLENGE,
    )


# --- callback URL mismatch -----------------------------------------------------------------
@scenario(
    name="redirect-uri-mismatch", group="client",
    summary_nb="Den registrerte redirect-URI-en er endret (f.eks. nytt domene): authorize viser en feilside",
    summary="The registered redirect URI changed (e.g. a domain move): authorize shows an error page",
    points=("authorize",),
    params={"registered": "https://new-domain.example/api/auth/bankid/callback"},
)
def redirect_uri_mismatch(call: Call) -> Response | None:
    if not call.consume():
        return None
    ctx = call.context(AuthorizeContext)
    req, client = ctx.request, ctx.client
    raise InvalidRequest(
        f"redirect_uri_mismatch: {req.redirect_uri!r} is not registered for client {client.client_id!r} "
        f"(registered now: {call.params['registered']!r}; mock-bankid scenario: redirect-uri-mismatch). "
        "BankID requires an exact match with a registered redirect URI.",
        redirect=False,
    )


# --- state lost ----------------------------------------------------------------------------
@scenario(
    name="state-mismatch", group="session",
    summary_nb="Callbacken har en annen state enn den klienten sendte",
    summary="The callback carries a state other than the one the client sent",
    points=("authorize_redirect",), sign_in_points=("authorize_redirect",),
    params={"value": ""},
)
def state_mismatch(call: Call) -> None:
    params = call.context(AuthorizeRedirectContext).params
    if call.consume():
        params["state"] = call.params["value"] or "altered-" + secrets.token_urlsafe(12)


@scenario(
    name="state-missing", group="session",
    summary_nb="Callbacken kommer uten state",
    summary="The callback arrives without state",
    points=("authorize_redirect",), sign_in_points=("authorize_redirect",),
)
def state_missing(call: Call) -> None:
    params = call.context(AuthorizeRedirectContext).params
    if call.consume():
        params.pop("state", None)


@scenario(
    name="session-timeout", group="session",
    summary_nb="BankIDs innloggingsøkt på 10 minutter går ut før brukeren er ferdig",
    summary="BankID's 10-minute login session runs out before the user finishes",
    points=("authorize_redirect",), sign_in_points=("authorize_redirect",),
    params={"mode": "page"}, choices={"mode": ("page", "redirect")}, providers=BANKID_ONLY,
)
def session_timeout(call: Call) -> Response | None:
    """``page``: the user is left on BankID's timeout page (the client hears nothing);
    ``redirect``: the client gets ``access_denied`` with a timeout code."""
    if not call.consume():
        return None
    ttl = call.provider.settings.auth_session_ttl
    if call.params["mode"] == "redirect":
        redirect_error(call, AccessDenied(TIMEOUT_CODE))
        return None
    raise SessionExpired(
        f"The BankID login session has expired (it lasts {ttl // 60} minutes). Start again from the service "
        "you came from. (mock-bankid scenario: session-timeout)",
    )


@scenario(
    name="callback-replay", group="session",
    summary_nb=f"Samme callback leveres to ganger: GET {routes.LAST_CALLBACK.under_base} gir den for en ny levering",
    summary=f"The same callback is delivered twice: GET {routes.LAST_CALLBACK.under_base} gives it for a second "
            "delivery",
    points=("authorize_redirect",), sign_in_points=("authorize_redirect",),
)
def callback_replay(call: Call) -> None:
    """The browser delivers the callback once; the test delivers it again from ``/_mock/last-callback``."""
    if not call.consume():
        return None
    ctx = call.context(AuthorizeRedirectContext)
    req = ctx.request
    mode = req.reply_mode()
    params = dict(ctx.params)
    url = authorization_url(req.redirect_uri, params, mode)
    record = {"url": url, "method": "POST" if mode == "form_post" else "GET", "response_mode": mode,
              "redirect_uri": req.redirect_uri, "params": params, "client_id": ctx.client.client_id,
              "at": call.provider.now()}
    callbacks.record(call.provider, record)
    return None


# --- rate limiting -------------------------------------------------------------------------
@scenario(
    name="rate-limit", group="rate-limits",
    summary_nb="En begrenser med faste tidsvinduer på authorize og token: 429 med X-RateLimit-* og Retry-After",
    summary="A fixed-window limiter at authorize and token: 429 with X-RateLimit-* and Retry-After",
    points=("request",),
    params={"limit": 5, "window": 60, "endpoints": ["authorize", "token"], "key": "client"},
    choices={"endpoints": ENDPOINT_CHOICES, "key": ("client", "address")},
    limits={"limit": (1, 1_000_000), "window": (1, 86400)},
)
def rate_limit(call: Call) -> Response | None:
    endpoint = blueprint_of(call)
    if endpoint not in call.params["endpoints"] or not call.consume():
        return None
    p = call.provider
    limit, window = call.params["limit"], call.params["window"]
    now = p.clock.now()
    window_start = int(now // window * window)
    who = (request_client_id() if call.params["key"] == "client" else "") or f"addr:{request.remote_addr}"
    # The counters belong to this switching-on (the entry's id): cleared and set again within one
    # window, the scenario starts fresh instead of with the old run's requests already counted.
    run = (call.active.entry or {}).get("id", "")
    used = p.store.incr(RATELIMIT_NS, f"{run}:{endpoint}:{who}:{window}:{window_start}", window + 1)
    reset = max(1, window_start + window - int(now))
    headers = {"X-RateLimit-Limit": limit, "X-RateLimit-Remaining": max(0, limit - used), "X-RateLimit-Reset": reset}
    if used <= limit:
        notes().headers.update({name: str(value) for name, value in headers.items()})
        return None
    headers["Retry-After"] = reset
    raise TemporarilyUnavailable(
        f"Too many requests: {limit} per {window} s for {who} at {endpoint}; retry in {reset} s.",
        status=429, headers=headers,
    )


# --- network trouble -----------------------------------------------------------------------
@scenario(
    name="slow", group="provider",
    summary_nb="Svarer sent (etter klientens tidsavbrudd): venter `seconds` sekunder på de valgte endepunktene",
    summary="Answer late (past a client's timeout): sleeps `seconds` at the chosen endpoints",
    points=("request",), sign_in_points=("token", "userinfo"),
    params={"seconds": 5.0, "endpoints": ["token"]},
    choices={"endpoints": ENDPOINT_CHOICES}, limits={"seconds": (0, MAX_DELAY)},
)
def slow(call: Call) -> None:
    if hits(call, call.params["endpoints"]) and call.consume():
        time.sleep(call.params["seconds"])  # a network delay is wall-clock time, not the mock's clock
    return None


REGISTRY["slow-jwks"] = dataclasses.replace(preset(
    "slow-jwks", "slow", "The JWKS answers late: sleeps `seconds` at the JWKS endpoint only",
    {"seconds": 5.0, "endpoints": ["jwks"]},
    summary_nb="JWKS svarer sent: venter `seconds` sekunder bare på JWKS-endepunktet",
), sign_in_points=())  # no sign-in fetches the JWKS: server-wide only


@scenario(
    name="drop-connection", group="provider",
    summary_nb="Lukker TCP-forbindelsen uten noe HTTP-svar på de valgte endepunktene",
    summary="Close the TCP connection without any HTTP response at the chosen endpoints",
    points=("request",), sign_in_points=("token", "userinfo"),
    params={"endpoints": ["token"]}, choices={"endpoints": ENDPOINT_CHOICES},
)
def drop_connection(call: Call) -> Response | None:
    if not hits(call, call.params["endpoints"]) or not call.consume():
        return None
    sock = request.environ.get("gunicorn.socket")
    if sock is None:  # the Werkzeug test client has no socket to close: say so clearly instead
        raise ServerError("mock-bankid scenario drop-connection: no socket to close here "
                          "(only under `mock-bankid serve` does the connection really drop).", status=502)
    notes().dropped = True
    with contextlib.suppress(OSError):  # already closed by the client: nothing left to drop
        sock.shutdown(socket.SHUT_RDWR)
    # gunicorn's write of this response fails quietly on the closed socket (EPIPE/ENOTCONN).
    response = Response(b"", status=204)
    response.headers["Connection"] = "close"
    return response


# --- user cancels and BankID's own errors, through the redirect ------------------------------
def _redirect_scenario(name: str, group: str, summary: str, summary_nb: str, error: type[OAuthError], description: str,
                       **extra: Any) -> None:
    def apply(call: Call) -> None:
        if call.consume():
            redirect_error(call, error(description.format(provider=call.provider.dialect.name, **call.params)))
        return None

    apply.__name__ = name.replace("-", "_")
    scenario(name=name, group=group, summary=summary, summary_nb=summary_nb, points=("authorize_redirect",),
             sign_in_points=("authorize_redirect",), **extra)(apply)


_redirect_scenario(
    "cancel", "session", "The user presses Cancel: error=access_denied&state=... (no error_description)",
    "Brukeren trykker Avbryt: error=access_denied&state=... (ingen error_description)", AccessDenied, "")


@scenario(
    name="payment-refused", group="session",
    summary="The person refuses the payment on the approval page: error=access_denied (only a sign-in that "
            "asked for one, authorization_details)",
    summary_nb="Personen avviser betalingen ved godkjenning: error=access_denied (bare innlogging med "
               "authorization_details)",
    points=("authorize_redirect",), sign_in_points=("authorize_redirect",), providers=BANKID_ONLY,
)
def payment_refused(call: Call) -> None:
    """What BankID sends when the person cancels the approval: ``access_denied``, no description."""
    ctx = call.context(AuthorizeRedirectContext)
    if of_grant(ctx.grant.extra) and call.consume():
        redirect_error(call, AccessDenied())


_redirect_scenario(
    "bankid-error", "provider",
    "BankID fails with one of its published error codes (categories: "
    + ", ".join(f"{code} {cat}" for code, (cat, _) in BANKID_ERROR_CODES.items())
    + "): access_denied, bankid_error_codes:<code>",
    "BankID feiler med en av sine publiserte feilkoder: access_denied, bankid_error_codes:<kode>", AccessDenied,
    "bankid_error_codes:{code}", params={"code": "C301"}, choices={"code": tuple(BANKID_ERROR_CODES)},
    providers=BANKID_ONLY)
_redirect_scenario(
    "server-error", "provider", "The provider answers the callback with error=server_error",
    "Leverandøren svarer callbacken med error=server_error", ServerError,
    "{provider} could not complete the request (mock-bankid scenario: server-error).")
_redirect_scenario(
    "temporarily-unavailable", "provider", "The provider answers the callback with error=temporarily_unavailable",
    "Leverandøren svarer callbacken med error=temporarily_unavailable", TemporarilyUnavailable,
    "{provider} is temporarily unavailable (mock-bankid scenario).")
