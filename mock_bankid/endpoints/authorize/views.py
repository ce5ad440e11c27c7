"""The two routes: ``{issuer}/precheck/auth`` (GET and POST) and the login form's POST."""

from __future__ import annotations

from flask import Blueprint, Response, request

from mock_bankid.core import routes
from mock_bankid.core.errors import OAuthError, StoreUnavailable
from mock_bankid.endpoints.authorize import login, profile_checks
from mock_bankid.endpoints.authorize.checks import CHECKS, check_client, check_redirect_uri
from mock_bankid.endpoints.authorize.login import login_page
from mock_bankid.endpoints.authorize.request import AuthorizationRequest
from mock_bankid.endpoints.authorize.subject import choose_subject, error_redirect
from mock_bankid.http.web import error_page, routed
from mock_bankid.oidc.hooks import AuthorizeContext
from mock_bankid.oidc.provider import provider

bp = Blueprint("authorize", __name__)


@routed(bp, routes.AUTHORIZE)
def authorize() -> Response:
    p = provider()
    req = AuthorizationRequest.from_params(request.form if request.method == "POST" else request.args)
    trusted = False
    try:
        client = check_client(req, p)
        check_redirect_uri(req, client)
        profile_checks.check_method(request.method, client)
        trusted = True
        short_circuit = p.hooks.at(AuthorizeContext(request=req, client=client))
        if short_circuit is not None:
            return short_circuit
        for check in CHECKS:
            check(req, client, p)
        response = choose_subject(req, client, p)
    except StoreUnavailable:
        raise  # the mock's own outage: a page naming the store (app.py), not the client's error
    except OAuthError as exc:
        # Only to a redirect URI both checks trusted, and only errors that may go there.
        if trusted and exc.redirect:
            return error_redirect(req, exc)
        return error_page(exc, req.locale)
    return response if response is not None else login_page(req, client, p)


@routed(bp, routes.LOGIN)
def login_submit() -> Response:
    return login.submit()
