"""The application factory: ``create_app(settings)`` wires blueprints, hooks and error handling."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from mock_bankid import __version__
from mock_bankid.bankid.dialect import BANKID
from mock_bankid.core import routes
from mock_bankid.core.errors import OAuthError, StoreUnavailable, UnknownRealm
from mock_bankid.core.settings import Settings
from mock_bankid.endpoints import (
    authorize,
    console,
    control,
    discovery,
    introspect,
    jwks,
    logout,
    openapi,
    revoke,
    scenario_control,
    token,
    userinfo,
)
from mock_bankid.http import control_token, cors, requestlog
from mock_bankid.http.web import apply_cache_policy, render_error
from mock_bankid.oidc.client_auth import request_client_id
from mock_bankid.oidc.dialect import Dialect
from mock_bankid.oidc.hooks import RequestContext
from mock_bankid.oidc.provider import EXTENSION_KEY, REALM_NAME, Provider, bind_path_provider, bind_path_realm
from mock_bankid.oidc.provider import provider as current_provider
from mock_bankid.scenarios import ENGINE_KEY, Scenarios
from mock_bankid.serving.fast_path import KEY as FAST_DOCUMENTS_KEY
from mock_bankid.serving.fast_path import FastDocuments
from mock_bankid.store import Store
from mock_bankid.vipps.dialect import VIPPS

log = logging.getLogger("mock_bankid")

BLUEPRINTS = [discovery.bp, authorize.bp, token.bp, jwks.bp, introspect.bp, revoke.bp, logout.bp, userinfo.bp,
              control.bp, scenario_control.bp, openapi.bp, console.bp]
"""Every blueprint, in registration order; each is mounted where its routes say (``core/routes.py``)."""
FAST_DOCUMENTS = (routes.DISCOVERY, routes.JWKS)
"""Replayed below Flask for plain GETs (``serving/fast_path.py``), keyed by their hook point."""


def mount_blueprints(app: Flask, settings: Settings) -> None:
    """Register every blueprint under its mount's path.

    The one place a mount becomes a URL prefix: the base URL's path, then the mount's
    (``routes.mount_path``: ``/auth/realms/<realm>`` for every realm's issuer, bound to the request
    in ``create_app``'s ``_realm_in_path``; ``/_mock``; or nothing).
    """
    base_path = urlsplit(settings.base_url).path.rstrip("/")
    for bp in BLUEPRINTS:
        mount = routes.blueprint_mount(bp.name)
        prefix = base_path + routes.mount_path(mount, routes.REALM_VARIABLE)
        app.register_blueprint(bp, url_prefix=prefix or None)
        for other in routes.PROVIDERS[1:]:  # Vipps: the same views again, at its layout's paths
            if any(route.path_for(other) is not None for route in routes.all_of(bp.name)):
                for in_realm, name in ((False, f"{other}_{bp.name}"), (True, f"{other}realm_{bp.name}")):
                    prefix = base_path + routes.mount_path(mount, routes.REALM_VARIABLE, other, in_realm)
                    app.register_blueprint(bp, name=name, url_prefix=prefix or None, provider=other)


OTHER_PROVIDERS: dict[str, Dialect] = {"vipps": VIPPS}
"""The providers served beside the home one (BankID), each at its own URL layout (``core/routes.py``)."""


def create_app(settings: Settings | None = None, *, store: Store | None = None, dialect: Dialect = BANKID,
               others: dict[str, Dialect] | None = None) -> Flask:
    """The app serving ``settings``; ``dialect`` is what its tokens say (BankID's unless a test gives
    another), ``others`` the providers beside it (default: ``OTHER_PROVIDERS``)."""
    settings = control_token.ensure_control_token(settings or Settings.from_env())
    app = Flask(__name__, static_folder=None)  # the console serves mock_bankid/static (routes.CONSOLE_STATIC)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # no request needs more; refuse big bodies early
    assert isinstance(app.json, DefaultJSONProvider)  # Flask's own, unless someone replaced it
    app.json.sort_keys = False  # keep discovery in a readable order
    # Werkzeug's routing redirects (/_mock -> /_mock/, //x -> /x) build an absolute Location from the
    # Host header, so Host: evil.example became a redirect there. Match those paths directly instead:
    # every URL the mock hands out comes from the configured base URL, never from Host.
    app.url_map.strict_slashes = False
    app.url_map.merge_slashes = False
    provider = Provider.build(settings, dialect, store=store, others=OTHER_PROVIDERS if others is None else others)
    scenarios = Scenarios.attach(provider)
    app.extensions[EXTENSION_KEY] = provider
    app.extensions[ENGINE_KEY] = scenarios

    mount_blueprints(app, settings)
    console.register(provider)
    scenarios.init_app(app)
    requestlog.init_app(app, provider)
    cors.init_app(app, provider)  # browser clients on other origins (mock_bankid/http/cors.py)
    control_token.init_app(app, settings)  # before the scenario hook: refused changes never reach it

    @app.url_value_preprocessor
    def _realm_in_path(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if routes.provider_of(endpoint) != routes.HOME_PROVIDER:
            bind_path_provider(routes.provider_of(endpoint))
            if values and values.get("realm") == settings.realm:  # the home realm's is at the provider's own paths
                raise UnknownRealm(f"The home realm's {routes.provider_of(endpoint)} is at "
                                   f"{routes.issuer(replace(settings, provider=routes.provider_of(endpoint)))}",
                                   untrusted=True)
        if values and "realm" in values:
            name = values.pop("realm")
            if name != settings.realm and not REALM_NAME.match(name):
                raise UnknownRealm("No such realm: a realm name is 1-63 characters of a-z, 0-9 and '-'.",
                                   untrusted=True)
            bind_path_realm(name)

    @app.before_request
    def _before() -> Response | None:
        if settings.log_requests:
            g.started = time.perf_counter()
        if not provider.hooks.may_act("request"):  # nearly always: no context to build, nothing to run
            return None
        return current_provider().hooks.at(RequestContext(endpoint=request.endpoint, path=request.path))

    @app.after_request
    def _after(response: Response) -> Response:
        response.headers.setdefault("X-Mock-BankID", "true; not-for-production")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        apply_cache_policy(response)
        if settings.log_requests:
            elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
            log.info("%s %s %s %.1fms client=%s", request.method, request.path, response.status_code,
                     elapsed, _logged_client_id())
        return response

    @app.errorhandler(OAuthError)
    def _oauth_error(exc: OAuthError) -> Response:
        return render_error(exc)

    @app.errorhandler(StoreUnavailable)
    def _store_unavailable(exc: StoreUnavailable) -> Response:
        # An outage, not a bug: one line in the log (no traceback), a 503 that names the store --
        # JSON at the JSON endpoints, a page in the browser, as every other error.
        log.warning("store unavailable: %s", exc.description)
        return render_error(StoreUnavailable(
            f"mock-bankid's store is unavailable ({exc.description}). Retry when it is back.",
            headers={"Retry-After": 1},
        ))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        response = jsonify({"error": _http_error_code(exc.code or 500), "error_description": exc.description})
        response.status_code = exc.code or 500
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(RecursionError)
    def _too_deep(exc: RecursionError) -> Response:
        # Input nested deeper than any parser here accepts (JSON inside a JWT, say): bad input, not a bug.
        response = jsonify({"error": "invalid_request", "error_description": "The input is nested too deeply."})
        response.status_code = 400
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error in mock-bankid %s", __version__)
        response = jsonify({"error": "server_error",
                            "error_description": "Unexpected error in mock-bankid; see its log."})
        response.status_code = 500
        return response

    documents = FastDocuments(app.wsgi_app, provider, scenarios, {
        routes.path(route, settings): (route.hook, route.name) for route in FAST_DOCUMENTS  # the home realm's
    })
    app.wsgi_app = documents  # type: ignore[method-assign]
    app.extensions[FAST_DOCUMENTS_KEY] = documents  # and by serve's worker from its event loop
    return app


def _logged_client_id() -> str:
    """Only the id: the secret, the query string and the body are never logged."""
    return (request_client_id() or "-")[:100].replace("\n", " ").replace("\r", " ")


def _http_error_code(status: int) -> str:
    return {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(
        status, "invalid_request" if status < 500 else "server_error"
    )
