"""The mock's login page: pick a persona or type any number (no JavaScript needed), or cancel.

When the request asks for scopes that need the user's consent (BankID: ``nnin``, ``email``, ``phone``,
``address``; "consent handling takes place on a per scope basis", developer.bankid.no consent-handling),
the page shows one checkbox each, ticked; an unticked scope is left out of the grant, so userinfo
releases nothing for it. Sign-ins without the page (the queue, ``login_hint``, auto-login) consent to
everything the client may ask for.

The pending authorization request waits in namespace ``auth`` (owned here) for
``auth_session_ttl``, BankID's 10 minutes; the form is CSRF-checked with a double-submit cookie.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict
from urllib.parse import urlsplit

from flask import Response, make_response, request

from mock_bankid.core import routes
from mock_bankid.core.errors import (
    AccessDenied,
    InvalidClient,
    InvalidRequest,
    OAuthError,
    SessionExpired,
    StoreUnavailable,
)
from mock_bankid.endpoints.authorize.request import AuthorizationRequest
from mock_bankid.endpoints.authorize.subject import error_redirect, sign_in
from mock_bankid.http.web import error_page, render_page
from mock_bankid.oidc import authorization_details, sessions
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.provider import Provider, provider
from mock_bankid.people.personas import PersonaError
from mock_bankid.scenarios import engine

AUTH_NS = "auth"  # a login page waiting for the user (BankID's 10-minute session)
CSRF_COOKIE = "mock_bankid_csrf"
MAX_TYPED_NUMBER = 32  # the login page's free-text number field; malformed on purpose is fine, huge is not


MAX_QUERY = 100


def matches(persona: dict, query: str) -> bool:
    """The login page's search: every word in the id, name, number, kind, age or purpose."""
    text = " ".join(str(persona.get(k) or "") for k in ("id", "name", "nnin", "kind", "age", "purpose")).lower()
    return all(word in text for word in query.lower().split())


def login_page(req: AuthorizationRequest, client: Client, p: Provider, message: str = "",
               session_id: str = "", query: str = "") -> Response:
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    if not session_id:
        session_id = secrets.token_urlsafe(24)
        p.store.put(AUTH_NS, session_id, {"request": asdict(req), "csrf": csrf}, p.settings.auth_session_ttl)
    today = p.today()
    groups: dict[str, list[dict]] = {"adults": [], "minors": [], "edge": [], "malformed": []}
    query = query.strip()[:MAX_QUERY]
    offered = engine().login_panel()
    unoffered = {d.name for d in engine().definitions.values()} - {d.name for d in offered}
    for persona in p.personas.all(today):
        if not persona.has(p.name) or persona.scenario in unoffered:
            continue  # no account with this provider, or a scenario it does not have: not on its page
        shown = {"id": persona.id, "name": persona.name, "nnin": persona.nnin, "age": persona.age(today),
                 "kind": persona.kind, "purpose": persona.purpose_in(req.locale)}
        if not query or matches(shown, query):
            groups.setdefault(persona.group, []).append(shown)
    html = render_page(
        "login.html",
        req.locale,
        action=routes.url(routes.LOGIN, p.settings),
        client_name=client.display_name,
        groups=[(g, items) for g, items in groups.items() if items],
        session_id=session_id,
        csrf_token=csrf,
        message=message,
        query=query,
        scenarios=offered,
        approvals=(p.dialect.describe_authorization_details(authorization_details.parse(req.authorization_details))
                   if req.authorization_details else []),
        consent=[scope for scope in req.scope if scope in p.dialect.consent_scopes],
        consent_all=[scope for scope in req.scope if scope != "openid"] if p.dialect.all_or_none_consent else [],
    )
    response = make_response(html, 200)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'unsafe-inline'; form-action {form_action_sources(req.redirect_uri)}; "
        "frame-ancestors 'none'"
    )
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="Lax", path=sessions.cookie_path(p),
                        secure=sessions.secure_cookies(p))
    return response


SAFE_HOST = re.compile(r"^[a-z0-9.\-]+$|^[0-9a-f:.]+$")


def form_action_sources(redirect_uri: str) -> str:
    """CSP ``form-action`` for the login page: itself and where its POST redirects to.

    Chromium applies ``form-action`` to the redirect that answers a form POST, so ``'self'`` alone
    blocks the 302 to the client's redirect URI. Only a checked ``scheme://host[:port]`` is echoed
    (custom schemes as ``scheme:``), so nothing from the request can add CSP directives.
    """
    parts = urlsplit(redirect_uri)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        try:
            host, port = parts.hostname or "", parts.port
        except ValueError:
            return "'self'"
        if not SAFE_HOST.match(host):
            return "'self'"
        host = f"[{host}]" if ":" in host else host
        return f"'self' {scheme}://{host}" + (f":{port}" if port is not None else "")
    if re.fullmatch(r"[a-z][a-z0-9+.\-]*", scheme):
        return f"'self' {scheme}:"
    return "'self'"


def submit() -> Response:
    """The login form: a persona, a typed number, or Cancel (CSRF-checked)."""
    p = provider()
    session_id = request.form.get("session", "")
    record = p.store.get(AUTH_NS, session_id) if session_id else None
    if record is None:
        return error_page(SessionExpired(
            f"The {p.dialect.name} login session has expired or is unknown (it lasts "
            f"{p.settings.auth_session_ttl // 60} minutes). Start again from the service you came from.",
        ))
    req = AuthorizationRequest(**record["request"])
    csrf_form, csrf_cookie = request.form.get("csrf_token", ""), request.cookies.get(CSRF_COOKIE, "")
    if not (secrets.compare_digest(csrf_form, record["csrf"]) and secrets.compare_digest(csrf_cookie, record["csrf"])):
        return error_page(InvalidRequest("The login form was not submitted from this browser (CSRF check failed).",
                                         status=403, redirect=False), req.locale)
    client = p.clients.get(req.client_id)
    if client is None:  # the fixtures changed under a waiting login
        return error_page(InvalidClient("The client is no longer registered.", status=400, untrusted=True), req.locale)

    action = request.form.get("action", "")
    scenario = request.form.get("scenario") or None
    if scenario is not None and scenario not in {d.name for d in engine().login_panel()}:
        return login_page(req, client, p, message=f"Unknown scenario {scenario!r} for one sign-in.",
                          session_id=session_id)
    if action == "search":  # a search needs no script: the page again, with the matching personas only
        return login_page(req, client, p, session_id=session_id, query=request.form.get("q", ""))
    if action == "cancel":
        p.store.delete(AUTH_NS, session_id)
        return error_redirect(req, AccessDenied())  # BankID: error=access_denied&state=..., no description
    try:
        if action == "number":
            number = request.form.get("nnin", "").strip()
            if len(number) > MAX_TYPED_NUMBER:
                return login_page(req, client, p, session_id=session_id,
                                  message=f"At most {MAX_TYPED_NUMBER} characters, please.")
            persona = p.personas.resolve(f"nnin:{number}", p.today()) if number else None
        else:
            persona = p.personas.get(request.form.get("persona", ""), p.today())
    except PersonaError as exc:
        return login_page(req, client, p, message=str(exc), session_id=session_id)
    if persona is None:
        return login_page(req, client, p, message="Choose a persona or type a number.", session_id=session_id)
    p.store.delete(AUTH_NS, session_id)
    if request.form.get("consent_asked"):  # the user's consent, per scope (a declined scope is not granted)
        given = set(request.form.getlist("consent"))
        req.scope = [s for s in req.scope if s not in p.dialect.consent_scopes or s in given]
    try:
        return sign_in(req, client, p, persona, scenario=scenario)
    except StoreUnavailable:
        raise  # the mock's own outage: a page naming the store (app.py), not the client's error
    except OAuthError as exc:  # a scenario answered instead (e.g. BankID's timeout page)
        return error_redirect(req, exc) if exc.redirect else error_page(exc, req.locale)
