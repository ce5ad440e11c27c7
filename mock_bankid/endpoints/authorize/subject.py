"""Who signs in, and the sign-in itself: a code, an SSO session and the answer to the client.

The order (``choose_subject``): the next-login queue, then ``login_hint``, then (unless
``prompt=login``) the SSO session named by ``id_token_hint`` or the cookie, then auto-login; else
the login page.
"""

from __future__ import annotations

import uuid

from flask import Response, request

from mock_bankid.core.errors import AccessDenied, InvalidRequest, LoginRequired, OAuthError
from mock_bankid.endpoints.authorize.request import AuthorizationRequest
from mock_bankid.http import web
from mock_bankid.http.web import authorization_response
from mock_bankid.oidc import authorization_details, codes, login_queue, sessions
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.grants import sign_in_grant
from mock_bankid.oidc.hooks import AuthorizeRedirectContext
from mock_bankid.oidc.provider import Provider
from mock_bankid.oidc.tokens import read_id_token_hint
from mock_bankid.people.personas import Persona, PersonaError


def choose_subject(req: AuthorizationRequest, client: Client, p: Provider) -> Response | None:
    """Who signs in: queued login, login_hint, SSO session, auto-login; None: the login page."""
    today = p.today()
    queued = login_queue.pop(p)
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
        if req.id_token_hint and (req.id_login_hint or client.profile.id_token_hint_sso):
            # BankID reuses a session for id_login_hint only; OIDC's id_token_hint too in dev
            session = sessions.hinted(p, read_id_token_hint(p, req.id_token_hint))
        elif req.id_token_hint:  # strict: "single sign-on is not supported" (BankID session-handling)
            session = None
        else:  # strict: no cookie SSO, as BankID ("single sign-on is not supported")
            session = sessions.current(p, request) if client.profile.sso_cookie else None
        if session is not None and _fresh_enough(req, session, p) and _same_idp(req, session, p):
            return sign_in(req, client, p, None, session=session)
        if p.settings.auto_login:
            try:  # checked at start (Provider.check_auto_login); a recipe can still fail on a moved clock
                persona = p.personas.resolve(p.settings.auto_login, today)
            except PersonaError as exc:
                raise InvalidRequest(f"MOCK_BANKID_AUTO_LOGIN: {exc}") from None
            if persona is not None:
                return sign_in(req, client, p, persona)
    if "none" in req.prompt:
        raise LoginRequired(f"No {p.dialect.name} session: the user must sign in (prompt=none was requested).")
    return None


def _fresh_enough(req: AuthorizationRequest, session: dict, p: Provider) -> bool:
    """OIDC Core §3.1.2.1 ``max_age``: re-authenticate when the sign-in is older than it.

    ``max_age=0`` always re-authenticates (as Keycloak, BankID's base, treats it: like prompt=login).
    """
    if req.max_age is None:
        return True
    max_age = int(req.max_age)
    return max_age > 0 and p.now() - int(session["auth_time"]) <= max_age


def _same_idp(req: AuthorizationRequest, session: dict, p: Provider) -> bool:
    """A session counts only for the IDP it was made with (BankID High vs biometrics)."""
    wanted = p.dialect.requested_acr_values(req.acr_values, req.login_hint)
    if not wanted:
        return True
    acr = str(session.get("acr", ""))
    return any(acr.startswith(value + ";") or acr == value for value in wanted.split())


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
        assert persona is not None
        if not persona.has(p.name):  # as the person would: they have no such account, so they cancel
            raise AccessDenied(f"The person {persona.id} has no {p.dialect.name} account "
                               f"(providers: {', '.join(persona.providers)}).")
        persona_data, sid, auth_time = persona.as_dict(), str(uuid.uuid4()), now
        acr, amr = p.dialect.acr_for(p.dialect.requested_acr_values(req.acr_values, req.login_hint), persona_data)
        expires_at = now + p.settings.sso_session_ttl
    details = (p.dialect.check_authorization_details(authorization_details.parse(req.authorization_details))
               if req.authorization_details else None)
    grant = sign_in_grant(client, req.scope, persona_data, acr=acr, amr=amr, sid=sid, auth_time=auth_time,
                          nonce=req.nonce, scenario=scenario, authorization_details=details)
    code = codes.issue(p, grant, redirect_uri=req.redirect_uri, code_challenge=req.code_challenge,
                       code_challenge_method=req.code_challenge_method)
    session_ttl = sessions.start(p, sid, persona=persona_data, auth_time=auth_time, acr=acr, amr=amr,
                                 expires_at=expires_at)
    params: dict[str, str] = {"code": code}
    if req.state is not None:
        params["state"] = req.state
    params["iss"] = p.issuer
    ctx = AuthorizeRedirectContext(params=params, client=client, grant=grant, request=req)
    try:
        short_circuit = p.hooks.at(ctx)
    except OAuthError:  # e.g. the user is left on BankID's timeout page
        _cancel(p, code, sid)
        raise
    error = ctx.error
    if short_circuit is not None or error is not None:
        _cancel(p, code, sid)
        if short_circuit is not None:
            return short_circuit
        assert error is not None
        return web.error_redirect(error, req.redirect_uri, req.reply_mode(), ctx.params.get("state"), req.locale)
    response = authorization_response(req.redirect_uri, ctx.params, req.reply_mode(), req.locale)
    if client.profile.sso_cookie:  # strict: no cookie SSO, as BankID ("single sign-on is not supported")
        sessions.set_cookie(response, p, sid, session_ttl)
    return response


def _cancel(p: Provider, code: str, sid: str) -> None:
    """A scenario answered instead of the sign-in: its code and session must not work either."""
    codes.cancel(p, code)
    sessions.end(p, sid)


def error_redirect(req: AuthorizationRequest, exc: OAuthError) -> Response:
    return web.error_redirect(exc, req.redirect_uri, req.reply_mode(), req.state, req.locale)
