"""Web helpers shared by the endpoints and the scenarios: pages, errors, response delivery, cache policy.

- ``render_page``: the server-rendered Jinja pages (every one says it is a mock);
- one renderer per surface for the one error family (``errors.OAuthError``): ``error_json``,
  ``error_redirect``, ``error_page``; ``render_error`` picks JSON or page by the route's surface for errors
  nobody caught (the app's error handler), or hands it to the page renderer a browser surface
  registered in ``ERROR_PAGES`` (the console, which words errors in its own layout and language);
- ``authorization_response``: the answer to the client's redirect URI in each response mode
  (``query``, ``fragment``, ``form_post``), for codes and errors alike;
- ``routed``: a view registered from its declaration in the route table (``core/routes.py``);
- ``apply_cache_policy``: the caching headers the route table gives each route, applied once in
  ``app.py`` instead of by hand in every view;
- ``require_form``: the form-encoded body the token-style endpoints insist on.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, Response, make_response, redirect, render_template, request
from flask.blueprints import BlueprintSetupState

from mock_bankid import __version__
from mock_bankid.core import routes
from mock_bankid.core.errors import InsufficientScope, InvalidRequest, InvalidToken, OAuthError
from mock_bankid.core.i18n import DEFAULT_LOCALE, texts
from mock_bankid.core.routes import Route
from mock_bankid.oidc.provider import provider

RESPONSE_MODES = ("query", "fragment", "form_post")
"""OAuth 2.0 Multiple Response Types / Form Post: what authorize answers in (and discovery says)."""
NO_STORE = dict(routes.NO_STORE)
ERROR_PAGES: dict[str, Callable[[OAuthError], Response]] = {}
"""Blueprint name -> its own error page, for a browser surface above this layer (the console
registers one in ``endpoints/console``); ``render_error`` prefers it."""
_View = TypeVar("_View", bound=Callable[..., Any])


def routed(bp: Blueprint, route: Route) -> Callable[[_View], _View]:
    """``@routed(bp, routes.TOKEN)``: register the view as the route table declares it (rule,
    methods, endpoint name), so its path is written only in ``core/routes.py``."""
    if route.blueprint != bp.name:
        raise ValueError(f"{route.name} is not a route of blueprint {bp.name!r}")

    def register(view: _View) -> _View:
        def add(state: BlueprintSetupState) -> None:
            # The app registers a blueprint once per provider that serves its routes
            # (``app.mount_blueprints``, option ``provider``); each gets the rule of its layout.
            rule = route.rule_for(state.options.get("provider", routes.HOME_PROVIDER))
            if rule is not None:
                state.add_url_rule(rule, route.view, view, methods=list(route.methods))

        bp.record(add)
        return view

    return register


PAGE_EXTRAS: list[Callable[[str, str], Mapping[str, Any]]] = []
"""Callables ``(template, locale) -> context`` a layer above adds to every page ``render_page``
renders (the console's scenario bar on the login and error pages)."""


def apply_cache_policy(response: Response) -> Response:
    """The route's ``cache`` headers, where the view set none of its own."""
    route = routes.named(request.endpoint)
    if route is not None:
        for name, value in route.cache:
            response.headers.setdefault(name, value)
    return response


def render_page(template: str, locale: str, **context: Any) -> str:
    for extra in PAGE_EXTRAS:
        context = {**extra(template, locale), **context}
    return render_template(template, t=texts(locale, provider().name), locale=locale, version=__version__,
                           issuer=provider().issuer, **context)


def error_page(exc: OAuthError, locale: str = DEFAULT_LOCALE) -> Response:
    """The HTML error page (an untrusted client or redirect URI: it says why nothing went back)."""
    html = render_page("error.html", locale, error=exc.error, description=exc.description, untrusted=exc.untrusted)
    response = make_response(html, exc.status)
    response.headers.update(exc.headers)
    response.headers.update(NO_STORE)
    return response


def error_json(exc: OAuthError) -> Response:
    """RFC 6749 section 5.2 JSON; userinfo's ``invalid_token`` and ``insufficient_scope`` also get
    their RFC 6750 section 3 challenge."""
    response = make_response(exc.as_dict(), exc.status)
    response.headers.update(exc.headers)
    if isinstance(exc, (InvalidToken, InsufficientScope)) and "WWW-Authenticate" not in response.headers:
        scope = f', scope="{exc.scope}"' if isinstance(exc, InsufficientScope) and exc.scope else ""
        response.headers["WWW-Authenticate"] = (
            f'Bearer realm="mock-bankid", error="{exc.error}", error_description="{exc.description}"{scope}'
        )
    response.headers.update(NO_STORE)
    return response


def error_redirect(exc: OAuthError, redirect_uri: str, mode: str, state: str | None, locale: str) -> Response:
    """RFC 6749 section 4.1.2.1: the error back to a trusted redirect URI, ``state`` and ``iss`` echoed."""
    params = exc.as_dict()
    if state is not None:
        params["state"] = state
    params["iss"] = provider().issuer
    return authorization_response(redirect_uri, params, mode, locale)


def render_error(exc: OAuthError) -> Response:
    """An error no view delivered itself: a page where a browser asked, JSON elsewhere."""
    blueprint = request.blueprint or ""
    if blueprint in ERROR_PAGES:
        return ERROR_PAGES[blueprint](exc)
    route = routes.named(request.endpoint)
    if route is not None and route.surface == "browser":
        return error_page(exc)
    return error_json(exc)


def authorization_url(redirect_uri: str, params: Mapping[str, str], mode: str) -> str:
    """Where a ``query`` or ``fragment`` response sends the browser (``form_post``: the URI itself)."""
    if mode == "form_post":
        return redirect_uri
    separator = "#" if mode == "fragment" else ("&" if "?" in redirect_uri else "?")
    return redirect_uri + separator + urlencode(params)


def authorization_response(redirect_uri: str, params: Mapping[str, str], mode: str, locale: str) -> Response:
    """Deliver an authorization response in ``query``, ``fragment`` or ``form_post`` mode."""
    response: Response
    if mode == "form_post":
        nonce = secrets.token_urlsafe(16)
        html = render_page("form_post.html", locale, action=redirect_uri, params=dict(params), script_nonce=nonce)
        response = make_response(html, 200)
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'"
        )
    else:
        response = make_response(redirect(authorization_url(redirect_uri, params, mode), code=302))
    response.headers.update(NO_STORE)
    return response


def require_form(what: str) -> None:
    if request.mimetype != "application/x-www-form-urlencoded":
        raise InvalidRequest(f"The {what} request must be application/x-www-form-urlencoded.")
