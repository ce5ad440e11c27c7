"""Authorize endpoint (``{issuer}/precheck/auth``, GET and POST) and the login page behind it.

The request is judged in two stages, as BankID does:

1. ``TRUST_CHECKS``: the client and the redirect URI. Until both pass, nothing is sent to the
   redirect URI: failures render an HTML error page (``UntrustedRedirect``).
2. ``CHECKS``: small named checks, in order, each raising a typed ``OAuthError`` that goes back to
   the client in its chosen ``response_mode`` with ``state`` echoed.

Then someone signs in (``choose_subject``) or the login page is shown.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, make_response, redirect, render_template, request
from werkzeug.datastructures import MultiDict

from mock_bankid import __version__
from mock_bankid.claims import SUPPORTED_SCOPES, Grant, acr_for, IDPS
from mock_bankid.clients import Client
from mock_bankid.errors import (
    AccessDenied,
    InvalidRequest,
    InvalidScope,
    LoginRequired,
    OAuthError,
    StoreUnavailable,
    UnauthorizedClient,
    UnsupportedResponseType,
    UntrustedRedirect,
)
from mock_bankid.i18n import pick_locale, texts
from mock_bankid.numbers import whole_number
from mock_bankid.personas import Persona, PersonaError
from mock_bankid.provider import Provider, provider
from mock_bankid.tokens import read_id_token_hint

bp = Blueprint("authorize", __name__)

AUTH_NS = "auth"  # a login page waiting for the user (BankID's 10-minute session)
CODE_NS = "code"
SSO_NS = "sso"
NEXT_LOGIN_NS = "next-login"
SSO_COOKIE = "mock_bankid_sso"
CSRF_COOKIE = "mock_bankid_csrf"
RESPONSE_MODES = ("query", "fragment", "form_post")
PROMPTS = {"none", "login", "consent", "select_account"}
PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url SHA-256, no padding
CANCEL_CODE = "bankid_error_codes:MOCK-C100"
"""BankID sends ``access_denied`` with ``bankid_error_codes:<code>``; its cancel code is not
public, so the mock uses its own, recognisably fake one."""
MAX_TYPED_NUMBER = 32  # the login page's free-text number field; malformed on purpose is fine, huge is not
SINGLE_VALUED = (
    "client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "nonce",
    "code_challenge", "code_challenge_method", "acr_values", "ui_locales", "prompt", "max_age", "login_hint",
    "id_token_hint", "id_login_hint",
)


@dataclass
class AuthorizationRequest:
    """The parsed parameters; stored as-is while the login page waits."""

    client_id: str = ""
    redirect_uri: str = ""
    response_type: str = ""
    response_mode: str = "query"
    scope: list[str] = field(default_factory=list)
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    acr_values: str | None = None
    ui_locales: str | None = None
    prompt: list[str] = field(default_factory=list)
    max_age: str | None = None
    login_hint: str | None = None
    id_token_hint: str | None = None
    """``id_token_hint`` or BankID's ``id_login_hint``: an ID token of a live session to sign in with."""
    duplicated: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: MultiDict) -> "AuthorizationRequest":
        get = lambda name: params.get(name) or None  # noqa: E731 - empty equals absent (RFC 6749 §3.1)
        return cls(
            client_id=params.get("client_id", ""),
            redirect_uri=params.get("redirect_uri", ""),
            response_type=params.get("response_type", ""),
            response_mode=params.get("response_mode") or "query",
            scope=(params.get("scope") or "").split(),
            state=get("state"),
            nonce=get("nonce"),
            code_challenge=get("code_challenge"),
            code_challenge_method=get("code_challenge_method"),
            acr_values=get("acr_values"),
            ui_locales=get("ui_locales"),
            prompt=(params.get("prompt") or "").split(),
            max_age=get("max_age"),
            login_hint=get("login_hint"),
            id_token_hint=get("id_token_hint") or get("id_login_hint"),
            duplicated=[name for name in SINGLE_VALUED if len(params.getlist(name)) > 1],
        )

    @property
    def locale(self) -> str:
        return pick_locale(self.ui_locales)

    def reply_mode(self) -> str:
        """Where errors go: the requested mode if it is one we speak, else ``query``."""
        return self.response_mode if self.response_mode in RESPONSE_MODES else "query"


Check = Callable[[AuthorizationRequest, Client, Provider], None]


# --- stage 1: can the redirect URI be trusted? ---------------------------------------------
def check_client(req: AuthorizationRequest, p: Provider) -> Client:
    if not req.client_id:
        raise UntrustedRedirect("invalid_request", "The request has no client_id.")
    if "client_id" in req.duplicated or "redirect_uri" in req.duplicated:
        raise UntrustedRedirect("invalid_request", "client_id and redirect_uri must each be sent once.")
    client = p.clients.get(req.client_id)
    if client is None:
        raise UntrustedRedirect(
            "invalid_client", f"Unknown client_id {req.client_id!r}. Register it in fixtures/clients.toml."
        )
    return client


def check_redirect_uri(req: AuthorizationRequest, client: Client) -> None:
    if not req.redirect_uri:
        raise UntrustedRedirect("invalid_request", "The request has no redirect_uri (BankID requires one).")
    if not client.redirect_uri_allowed(req.redirect_uri):
        raise UntrustedRedirect(
            "invalid_request",
            f"redirect_uri_mismatch: {req.redirect_uri!r} is not registered for client {client.client_id!r}. "
            "BankID requires an exact match with a registered redirect URI. "
            f"Registered: {', '.join(client.redirect_uris)} (fixtures/clients.toml).",
        )


# --- stage 2: named checks, each answered through the redirect -------------------------------
def check_duplicates(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if req.duplicated:
        raise InvalidRequest(f"Parameters sent more than once: {', '.join(req.duplicated)}.")


def check_response_mode(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if req.response_mode not in RESPONSE_MODES:
        raise InvalidRequest(f"response_mode must be one of {', '.join(RESPONSE_MODES)}.")


def check_response_type(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if not req.response_type:
        raise InvalidRequest("response_type is required (BankID API v4).")
    if req.response_type != "code":
        raise UnsupportedResponseType("BankID supports only the authorization code flow: response_type=code.")
    if "authorization_code" not in client.grant_types:
        raise UnauthorizedClient(f"Client {client.client_id!r} is not registered for the authorization code flow.")


def check_scope(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if "openid" not in req.scope:
        raise InvalidScope("scope must contain openid.")
    unknown = [s for s in req.scope if s not in SUPPORTED_SCOPES]
    if unknown:
        raise InvalidScope(f"Unsupported scope: {' '.join(unknown)}.")
    not_allowed = [s for s in req.scope if s not in client.scopes]
    if not_allowed:
        raise InvalidScope(
            f"Client {client.client_id!r} is not registered for scope: {' '.join(not_allowed)} "
            "(BankID grants scopes per client; see scopes in fixtures/clients.toml)."
        )


def check_pkce(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if req.code_challenge is None:
        if req.code_challenge_method:
            raise InvalidRequest("code_challenge_method was sent without code_challenge.")
        if client.require_pkce or client.is_public:
            relax = "" if client.is_public else " To relax this for a test client set require_pkce = false in fixtures/clients.toml."
            raise InvalidRequest(f"PKCE is required (BankID API v4): send code_challenge with code_challenge_method=S256.{relax}")
        return
    if (req.code_challenge_method or "plain") != "S256":
        raise InvalidRequest("code_challenge_method must be S256; BankID refuses plain PKCE.")
    if not PKCE_CHALLENGE.match(req.code_challenge):
        raise InvalidRequest("code_challenge must be the base64url SHA-256 of the verifier (43 characters).")


def check_state(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if req.state is None and client.require_state:
        raise InvalidRequest(
            "state is required (BankID API v4). To relax this for a test client set require_state = false."
        )


def check_nonce(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if req.nonce is None and client.require_nonce:
        raise InvalidRequest(
            "nonce is required (BankID API v4). To relax this for a test client set require_nonce = false."
        )


def check_acr_values(req: AuthorizationRequest, client: Client, p: Provider) -> None:
    if req.acr_values and not any(v in IDPS for v in req.acr_values.split()):
        raise InvalidRequest(f"acr_values must name {' or '.join(IDPS)}.")


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
            raise InvalidRequest(f"max_age must be a whole number of seconds (ASCII digits, at most {MAX_AGE_LIMIT}).") from None


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
    check_acr_values,
    check_prompt,
    check_max_age,
    check_login_hint,
    check_id_token_hint,
]


# --- the endpoint --------------------------------------------------------------------------
@bp.route("/precheck/auth", methods=["GET", "POST"])
def authorize() -> Response:
    p = provider()
    req = AuthorizationRequest.from_params(request.form if request.method == "POST" else request.args)
    try:
        client = check_client(req, p)
        check_redirect_uri(req, client)
    except UntrustedRedirect as exc:
        return error_page(exc.error, exc.description, exc.status, req.locale, untrusted=True)

    ctx: dict[str, Any] = {"request": req, "client": client}
    short_circuit = p.scenarios.at("authorize", ctx)
    if short_circuit is not None:
        return short_circuit
    try:
        for check in CHECKS:
            check(req, client, p)
        return choose_subject(req, client, p)
    except StoreUnavailable:
        raise  # the mock's own outage: a page naming the store (app.py), not the client's error
    except OAuthError as exc:
        return error_redirect(req, client, exc)


def choose_subject(req: AuthorizationRequest, client: Client, p: Provider) -> Response:
    """Who signs in: queued login, login_hint, SSO session, auto-login, else the login page."""
    today = p.today()
    queued = p.store.pop(NEXT_LOGIN_NS)
    if queued is not None:
        try:
            persona = p.personas.resolve(queued["selector"], today)
        except PersonaError as exc:  # the fixtures changed after it was queued
            raise InvalidRequest(f"queued next login: {exc}") from None
        if persona is not None:
            return sign_in(req, client, p, persona, scenario=queued.get("scenario"))
    if req.login_hint:
        persona = p.personas.resolve(req.login_hint, today)
        if persona is not None:
            return sign_in(req, client, p, persona)
    if "login" not in req.prompt:
        session = hinted_session(req, p) if req.id_token_hint else current_sso_session(p)
        if session is not None and _fresh_enough(req, session, p) and _same_idp(req, session):
            return sign_in(req, client, p, None, session=session)
        if p.settings.auto_login:
            persona = p.personas.resolve(p.settings.auto_login, today)
            if persona is not None:
                return sign_in(req, client, p, persona)
    if "none" in req.prompt:
        raise LoginRequired("No BankID session: the user must sign in (prompt=none was requested).")
    return login_page(req, client, p)


def _fresh_enough(req: AuthorizationRequest, session: dict, p: Provider) -> bool:
    """OIDC Core §3.1.2.1 ``max_age``: re-authenticate when the sign-in is older than it.

    ``max_age=0`` always re-authenticates (as Keycloak, BankID's base, treats it: like prompt=login).
    """
    if req.max_age is None:
        return True
    max_age = int(req.max_age)
    return max_age > 0 and p.now() - int(session["auth_time"]) <= max_age


def _same_idp(req: AuthorizationRequest, session: dict) -> bool:
    """A session counts only for the IDP it was made with (BankID High vs biometrics)."""
    if not req.acr_values:
        return True
    acr = str(session.get("acr", ""))
    return any(acr.startswith(value + ";") or acr == value for value in req.acr_values.split())


def hinted_session(req: AuthorizationRequest, p: Provider) -> dict | None:
    """BankID's single sign-on: an unexpired ID token names a live session (its ``sid``) to reuse.

    The cookie session counts only if it is that person's; a hint for someone else never
    signs in whoever the cookie belongs to.
    """
    claims = read_id_token_hint(p, req.id_token_hint or "")
    if int(claims.get("exp", 0)) <= p.now():
        return None
    sid = str(claims.get("sid", ""))
    session = p.store.get(SSO_NS, sid) if sid else None
    if session is None or session["persona"].get("sub") != claims.get("sub"):
        return None
    return dict(session, sid=sid)


def current_sso_session(p: Provider) -> dict | None:
    sid = request.cookies.get(SSO_COOKIE)
    if not sid:
        return None
    session = p.store.get(SSO_NS, sid)
    return dict(session, sid=sid) if session else None


def sign_in(
    req: AuthorizationRequest,
    client: Client,
    p: Provider,
    persona: Persona | None,
    *,
    session: dict | None = None,
    scenario: str | None = None,
) -> Response:
    """Issue a code for ``persona`` (or the SSO session's person) and send the browser back."""
    now = p.now()
    if session is not None:
        # SSO: the person, sid, auth_time, acr and amr of the original sign-in; the session keeps
        # its absolute end (BankID sessions do not slide).
        persona_data, sid, auth_time = session["persona"], session["sid"], int(session["auth_time"])
        acr, amr = session["acr"], list(session["amr"])
        expires_at = int(session.get("expires_at", auth_time + p.settings.sso_session_ttl))
    else:
        persona_data, sid, auth_time = persona.as_dict(), str(uuid.uuid4()), now
        acr, amr = acr_for(req.acr_values)
        expires_at = now + p.settings.sso_session_ttl
    session_ttl = max(1, expires_at - now)
    grant = Grant(
        client_id=client.client_id,
        scope=list(dict.fromkeys(req.scope)),
        persona=persona_data,
        acr=acr,
        amr=amr,
        sid=sid,
        auth_time=auth_time,
        nonce=req.nonce,
        pid_claim=client.pid_claim,
        extra={"scenario": scenario or persona_data.get("scenario")} if (scenario or persona_data.get("scenario")) else {},
    )
    code = secrets.token_urlsafe(32)
    p.store.put(
        CODE_NS,
        code,
        {
            "grant": grant.to_dict(),
            "redirect_uri": req.redirect_uri,
            "code_challenge": req.code_challenge,
            "code_challenge_method": req.code_challenge_method,
        },
        p.settings.code_ttl,
    )
    p.store.put(
        SSO_NS,
        sid,
        {"persona": persona_data, "auth_time": auth_time, "acr": acr, "amr": amr, "expires_at": expires_at},
        session_ttl,
    )
    params: dict[str, str] = {"code": code}
    if req.state is not None:
        params["state"] = req.state
    params["iss"] = p.issuer
    ctx: dict[str, Any] = {"params": params, "client": client, "grant": grant, "request": req}
    short_circuit = p.scenarios.at("authorize_redirect", ctx)
    if short_circuit is not None:  # e.g. the user is left on a BankID page: no redirect, no SSO cookie
        return short_circuit
    response = respond(req.redirect_uri, ctx["params"], req.reply_mode(), req.locale)
    response.set_cookie(
        SSO_COOKIE, sid, max_age=session_ttl, httponly=True, samesite="Lax",
        secure=p.settings.base_url.startswith("https"), path=_cookie_path(p),
    )
    return response


def error_redirect(req: AuthorizationRequest, client: Client, exc: OAuthError) -> Response:
    params = exc.as_dict()
    if req.state is not None:
        params["state"] = req.state
    params["iss"] = provider().issuer
    return respond(req.redirect_uri, params, req.reply_mode(), req.locale)


def respond(redirect_uri: str, params: dict[str, str], mode: str, locale: str) -> Response:
    """Deliver an authorization response in ``query``, ``fragment`` or ``form_post`` mode."""
    if mode == "form_post":
        nonce = secrets.token_urlsafe(16)
        html = render_page("form_post.html", locale, action=redirect_uri, params=params, script_nonce=nonce)
        response = make_response(html, 200)
        response.headers["Content-Security-Policy"] = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'"
    else:
        separator = "#" if mode == "fragment" else ("&" if "?" in redirect_uri else "?")
        response = redirect(redirect_uri + separator + urlencode(params), code=302)
    response.headers["Cache-Control"] = "no-store"
    return response


def _cookie_path(p: Provider) -> str:
    from urllib.parse import urlsplit

    return urlsplit(p.issuer).path or "/"


# --- the login page ------------------------------------------------------------------------
def login_page(req: AuthorizationRequest, client: Client, p: Provider, message: str = "", session_id: str = "") -> Response:
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    if not session_id:
        session_id = secrets.token_urlsafe(24)
        p.store.put(AUTH_NS, session_id, {"request": asdict(req), "csrf": csrf}, p.settings.auth_session_ttl)
    today = p.today()
    groups: dict[str, list[dict]] = {"adults": [], "minors": [], "edge": [], "malformed": []}
    for persona in p.personas.all(today):
        groups.setdefault(persona.group, []).append(
            {"id": persona.id, "name": persona.name, "nnin": persona.nnin, "age": persona.age(today),
             "kind": persona.kind, "purpose": persona.purpose}
        )
    html = render_page(
        "login.html",
        req.locale,
        action=f"{p.issuer}/precheck/login",
        client_name=client.display_name,
        groups=[(g, items) for g, items in groups.items() if items],
        session_id=session_id,
        csrf_token=csrf,
        message=message,
        scenarios=getattr(p.scenarios, "login_panel", lambda: [])(),
    )
    response = make_response(html, 200)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'unsafe-inline'; form-action {form_action_sources(req.redirect_uri)}; "
        "frame-ancestors 'none'"
    )
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="Lax", path=_cookie_path(p),
                        secure=p.settings.base_url.startswith("https"))
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


@bp.route("/precheck/login", methods=["POST"])
def login_submit() -> Response:
    p = provider()
    session_id = request.form.get("session", "")
    record = p.store.get(AUTH_NS, session_id) if session_id else None
    if record is None:
        return error_page(
            "session_expired",
            "The BankID login session has expired or is unknown (it lasts "
            f"{p.settings.auth_session_ttl // 60} minutes). Start again from the service you came from.",
            400,
            "nb",
        )
    req = AuthorizationRequest(**record["request"])
    csrf_form, csrf_cookie = request.form.get("csrf_token", ""), request.cookies.get(CSRF_COOKIE, "")
    if not (secrets.compare_digest(csrf_form, record["csrf"]) and secrets.compare_digest(csrf_cookie, record["csrf"])):
        return error_page("invalid_request", "The login form was not submitted from this browser (CSRF check failed).", 403, req.locale)
    client = p.clients.get(req.client_id)
    if client is None:  # the fixtures changed under a waiting login
        return error_page("invalid_client", "The client is no longer registered.", 400, req.locale, untrusted=True)

    action = request.form.get("action", "")
    scenario = request.form.get("scenario") or None
    if scenario is not None and scenario not in {d.name for d in p.scenarios.login_panel()}:
        return login_page(req, client, p, message=f"Unknown scenario {scenario!r} for one sign-in.", session_id=session_id)
    if action == "cancel":
        p.store.delete(AUTH_NS, session_id)
        return error_redirect(req, client, AccessDenied(CANCEL_CODE))
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
    return sign_in(req, client, p, persona, scenario=scenario)


def render_page(template: str, locale: str, **context: Any) -> str:
    p = provider()
    return render_template(template, t=texts(locale), locale=locale, version=__version__, issuer=p.issuer, **context)


def error_page(error: str, description: str, status: int, locale: str, *, untrusted: bool = False) -> Response:
    html = render_page("error.html", locale, error=error, description=description, untrusted=untrusted)
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    return response
