"""The route table: every endpoint of the mock declared once, with the facts the rest of the code reads.

One ``Route`` per Flask view says its path (relative to its mount), methods, surface (errors as
JSON or as a page), CORS policy, cache headers, which parameters the request log redacts, its
discovery metadata keys, which channel's base URL reaches it and the name scenarios pick it by.
Who reads it:

- ``app.py`` mounts each blueprint (``mount_path``: the one place the issuer's path is made) and
  ``http/web.routed`` registers each view from its ``Route``;
- ``http/web.py`` (error surface, cache headers), ``http/cors.py``, ``http/requestlog.py``
  (redacted names), ``endpoints/discovery.py`` (endpoint URLs), ``oidc/jwt_client_auth.py``
  (accepted audiences), ``scenarios/builtin.py`` (endpoint names), ``serving/fast_path.py`` (via
  ``app.py``), ``endpoints/openapi.py`` and ``Settings`` (issuer, userinfo and ``/_mock`` URLs).

Pure data and string arithmetic: no Flask, so every layer may import it. ``tests/test_routes.py``
fails when a path in this table is written in any other module, or a rule of ``create_app()`` is
not declared here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import quote, urlsplit

Mount = Literal["issuer", "base", "control"]
"""Where a path is relative to: the issuer (``{base}/auth/realms/<realm>``), the base URL, or
``{base}/_mock`` (the mock's own control surface)."""
Surface = Literal["json", "browser"]
"""Who reads the errors: a program (RFC 6749 JSON) or a person's browser (a page)."""
Cors = Literal["none", "any", "client"]
"""``any``: every origin (public metadata); ``client``: the registered origins of the client the
request names (``http/cors.py``); ``none``: no CORS headers."""
ProviderName = Literal["bankid", "vipps"]
"""Which provider a URL belongs to: each has its own URL layout on the same server."""
Channel = Literal["front", "back", "userinfo"]
"""Which base URL a client uses: the browser's (``base_url``), the servers' (``backchannel_base_url``),
or userinfo's own host (``userinfo_base_url``, else the back channel's), as BankID's TINFO."""



class Settings(Protocol):
    """What URLs are made of (``core/settings.Settings``, which reads this module)."""

    @property
    def base_url(self) -> str: ...
    @property
    def backchannel_base_url(self) -> str: ...
    @property
    def userinfo_base_url(self) -> str: ...
    @property
    def realm(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def home_realm(self) -> str: ...


PROVIDERS: tuple[ProviderName, ...] = ("bankid", "vipps")
"""Every provider the server speaks for; the first is the home provider (BankID's layout, realms)."""
HOME_PROVIDER = PROVIDERS[0]
ISSUER_MOUNT = "/auth/realms/{realm}"
ISSUER_MOUNTS: dict[str, str] = {"bankid": ISSUER_MOUNT, "vipps": "/access-management-1.0/access"}
"""Each provider's issuer mount (BankID's names the realm)."""
REALM_HOSTS: dict[str, str] = {"vipps": "/vipps/{realm}"}
"""Where another provider's layout starts for a realm other than the home one, as if it were that
provider's host: Vipps's issuer in realm ``w1`` is ``{base}/vipps/w1/access-management-1.0/access/``
and its userinfo ``{base}/vipps/w1/vipps-userinfo-api/userinfo``."""
ISSUER_TAILS: dict[str, str] = {"bankid": "", "vipps": "/"}
"""What the issuer identifier adds to its mount: Vipps's issuer ends in a slash (its discovery says
so, and clients compare the issuer as a string)."""
REALM_VARIABLE = "<realm>"
"""The issuer mount's realm as a Flask URL variable: every realm is an issuer of its own (``app.py``
binds the request to it)."""
CONTROL_MOUNT = "/_mock"

NO_STORE: tuple[tuple[str, str], ...] = (("Cache-Control", "no-store"),)
JWKS_MAX_AGE = 6 * 3600
"""Hours, as BankID's JWKS (``public, max-age=23269, must-revalidate, no-transform``, DEV
key-rotation). Safe because the JWKS always holds the next key: a copy cached before a rotation
still verifies what the promoted key signs (``keys/rotation.py``)."""
CLIENT_CREDENTIALS = frozenset({"client_secret", "client_assertion"})
"""What a client authenticates with at the token-style endpoints (HTTP Basic is a header)."""


@dataclass(frozen=True)
class Route:
    """One Flask view: ``name`` is its endpoint name, ``blueprint.view``."""

    name: str
    path: str
    """Relative to ``mount``; Flask's ``<converter:name>`` for a variable part."""
    methods: tuple[str, ...]
    mount: Mount
    surface: Surface = "json"
    channel: Channel = "front"
    cors: Cors = "none"
    cache: tuple[tuple[str, str], ...] = ()
    """Headers every answer gets unless the view set them (``http/web.apply_cache_policy``)."""
    redacts: frozenset[str] = frozenset()
    """Parameters it takes whose values the request log replaces (``http/requestlog.py`` redacts
    every route's names on every route, and names shaped like a secret besides)."""
    discovery: tuple[str, ...] = ()
    """Discovery metadata keys whose value is this endpoint's URL."""
    client_auth: bool = False
    """It authenticates the client: its URLs are accepted as a client assertion's ``aud``."""
    elsewhere: tuple[tuple[str, str], ...] = ()
    """``(provider, path)`` for each other provider that serves this view at its own path (relative
    to that provider's mount): Vipps's ``oauth2/token`` is BankID's token view at Vipps's layout."""
    hook: str = ""
    """The name scenarios use for it: an entry of a server-wide scenario's ``endpoints``, its
    blueprint's name (and, for discovery, JWKS, token and userinfo, the hook point of its own
    context in ``oidc/hooks.py``, which ``serving/fast_path.py`` asks about)."""

    @property
    def blueprint(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def view(self) -> str:
        return self.name.split(".", 1)[1]

    def path_for(self, provider: str) -> str | None:
        """Its path for ``provider`` (None: that provider does not serve it)."""
        if provider == HOME_PROVIDER:
            return self.path
        return dict(self.elsewhere).get(provider)

    @property
    def providers(self) -> tuple[str, ...]:
        """The providers that serve it, the home provider first."""
        return (HOME_PROVIDER, *(name for name, _path in self.elsewhere))

    @property
    def under_base(self) -> str:
        """Its path under the base URL, the realm written ``<realm>`` as in its Flask rule: for
        messages, and for URLs of the routes outside the issuer (``mock-bankid scenario``, the drill)."""
        return mount_path(self.mount, REALM_VARIABLE) + self.path

    def filled(self, **values: str) -> str:
        """``under_base`` with its variable parts given (``REALMS_DELETE.filled(name="w1")``)."""
        return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: quote(values[m.group(1)], safe=""), self.under_base)

    @property
    def rule(self) -> str:
        """The Flask rule within its blueprint, whose mount may be the base URL (the console's)."""
        return self.rule_for(HOME_PROVIDER) or ""

    def rule_for(self, provider: str) -> str | None:
        """The Flask rule of ``provider``'s registration of its blueprint (None: not served there)."""
        path = self.path_for(provider)
        if path is None:
            return None
        if self.mount == blueprint_mount(self.blueprint):
            return path
        return mount_path(self.mount, "", provider) + path

    def endpoint(self, provider: str = HOME_PROVIDER, in_realm: bool = False) -> str:
        """Its Flask endpoint name as ``provider`` serves it: another provider's registration of a
        blueprint is named ``<provider>_<blueprint>``, and ``<provider>realm_<blueprint>`` for the
        realms other than the home one (``REALM_HOSTS``); "" when ``provider`` does not serve it."""
        if self.path_for(provider) is None:
            return ""
        if provider == HOME_PROVIDER:
            return self.name
        return f"{provider}realm_{self.name}" if in_realm else f"{provider}_{self.name}"

    def endpoints(self) -> tuple[tuple[str, str, bool], ...]:
        """``(endpoint, provider, in_realm)`` for every registration of its view."""
        return tuple((self.endpoint(provider, in_realm), provider, in_realm) for provider in self.providers
                     for in_realm in ((False,) if provider == HOME_PROVIDER else (False, True)))


def _r(name: str, path: str, *methods: str, mount: Mount = "issuer", vipps: str | None = None,
       **facts: Any) -> Route:
    """A route; ``vipps``: its path in Vipps Login's layout, when Vipps serves it too."""
    elsewhere = (("vipps", vipps),) if vipps is not None else ()
    return Route(name, path, methods, mount, elsewhere=elsewhere, **facts)


# --- the provider: what clients call ------------------------------------------------------
DISCOVERY = _r("discovery.openid_configuration", "/.well-known/openid-configuration", "GET",
               vipps="/.well-known/openid-configuration", cors="any",
               cache=(("Cache-Control", "no-cache, must-revalidate, no-transform, no-store"),), hook="discovery")
AUTHORIZE = _r("authorize.authorize", "/precheck/auth", "GET", "POST", vipps="/oauth2/auth",
               surface="browser", cache=NO_STORE,
               redacts=frozenset({"id_token_hint", "id_login_hint"}), discovery=("authorization_endpoint",),
               hook="authorize")
PAR = _r("authorize.par", "/protocol/openid-connect/ext/par/request", "POST", channel="back", cors="client",
         cache=NO_STORE, redacts=CLIENT_CREDENTIALS | {"request"},
         discovery=("pushed_authorization_request_endpoint",), client_auth=True)
"""RFC 9126 (PAR). Keycloak's path (BankID runs Keycloak); BankID's own path is an inference. In the
authorize blueprint because it validates a request as authorize does (its checks and request parsing)."""
LOGIN = _r("authorize.login_submit", "/precheck/login", "POST", vipps="/oauth2/auth/login",
           surface="browser", cache=NO_STORE,
           redacts=frozenset({"session", "csrf_token"}), hook="authorize")
TOKEN = _r("token.token", "/protocol/openid-connect/token", "POST", vipps="/oauth2/token",
           channel="back", cors="client",
           cache=(("Cache-Control", "no-store"), ("Pragma", "no-cache")),  # RFC 6749 section 5.1
           redacts=CLIENT_CREDENTIALS | {"assertion", "code", "code_verifier", "refresh_token", "subject_token",
                                         "actor_token"},
           discovery=("token_endpoint",), client_auth=True, hook="token")
JWKS = _r("jwks.certs", "/protocol/openid-connect/certs", "GET", vipps="/.well-known/jwks.json",
          channel="back", cors="any",
          cache=(("Cache-Control", f"public, max-age={JWKS_MAX_AGE}, must-revalidate, no-transform"),),
          discovery=("jwks_uri",), hook="jwks")
INTROSPECT = _r("introspect.introspect", "/protocol/openid-connect/token/introspect", "POST", channel="back",
                cache=NO_STORE, redacts=CLIENT_CREDENTIALS | {"token"},
                discovery=("introspection_endpoint", "token_introspection_endpoint"),  # the second: BankID's older name
                client_auth=True)
REVOKE = _r("revoke.revoke", "/protocol/openid-connect/revoke", "POST", vipps="/oauth2/revoke",
            channel="back", cors="client",
            cache=NO_STORE, redacts=CLIENT_CREDENTIALS | {"token"}, discovery=("revocation_endpoint",),
            client_auth=True)
LOGOUT = _r("logout.logout", "/protocol/openid-connect/logout", "GET", "POST", vipps="/oauth2/sessions/logout",
            surface="browser", cors="client",
            cache=NO_STORE, redacts=frozenset({"id_token_hint", "id_login_hint"}),
            discovery=("end_session_endpoint",))
USERINFO = _r("userinfo.userinfo", "/userinfo", "GET", mount="base", vipps="/vipps-userinfo-api/userinfo",
              channel="userinfo", cors="client",
              cache=NO_STORE, redacts=frozenset({"access_token"}), discovery=("userinfo_endpoint",), hook="userinfo")

# --- the control surface: JSON for tests, under {base}/_mock --------------------------------
_HEALTH, _NEXT_LOGIN, _CLOCK, _KEYS, _SCENARIO, _REQUESTS = (
    "/health", "/next-login", "/clock", "/keys", "/scenario", "/requests")
CONTROL_INDEX = _r("control.index", "/", "GET", mount="control")
HEALTH = _r("control.health", _HEALTH, "GET", mount="control")
READY = _r("control.ready", "/ready", "GET", mount="control")
PERSONAS = _r("control.personas", "/personas", "GET", mount="control")
NEXT_LOGIN_PUSH = _r("control.next_login_push", _NEXT_LOGIN, "POST", mount="control")
NEXT_LOGIN_LIST = _r("control.next_login_list", _NEXT_LOGIN, "GET", mount="control")
NEXT_LOGIN_CLEAR = _r("control.next_login_clear", _NEXT_LOGIN, "DELETE", mount="control")
CLOCK_GET = _r("control.clock_get", _CLOCK, "GET", mount="control")
CLOCK_SET = _r("control.clock_set", _CLOCK, "PUT", "POST", mount="control")
CLOCK_RESET = _r("control.clock_reset", _CLOCK, "DELETE", mount="control")
KEYS_LIST = _r("control.keys_list", _KEYS, "GET", mount="control")
KEYS_ROTATE = _r("control.keys_rotate", f"{_KEYS}/rotate", "POST", mount="control")
REALMS_LIST = _r("control.realms_list", "/realms", "GET", mount="control")
REALMS_CREATE = _r("control.realms_create", "/realms", "POST", mount="control")
REALMS_DELETE = _r("control.realms_delete", "/realms/<name>", "DELETE", mount="control")
MINT = _r("control.token_mint", "/token", "POST", mount="control")
SCENARIOS = _r("scenario_control.catalogue", "/scenarios", "GET", mount="control", cache=NO_STORE)
SCENARIO_GET = _r("scenario_control.scenario_get", _SCENARIO, "GET", mount="control", cache=NO_STORE)
SCENARIO_SET = _r("scenario_control.scenario_set", _SCENARIO, "PUT", "POST", mount="control", cache=NO_STORE)
SCENARIO_CLEAR = _r("scenario_control.scenario_clear", _SCENARIO, "DELETE", mount="control", cache=NO_STORE)
REQUESTS_GET = _r("scenario_control.requests_get", _REQUESTS, "GET", mount="control", cache=NO_STORE)
REQUESTS_CLEAR = _r("scenario_control.requests_clear", _REQUESTS, "DELETE", mount="control", cache=NO_STORE)
LAST_CALLBACK = _r("scenario_control.last_callback", "/last-callback", "GET", mount="control", cache=NO_STORE)
OPENAPI = _r("openapi.openapi", "/openapi.json", "GET", mount="control")

# --- the console: pages for people, at / and under {base}/_mock/console ---------------------
_C = "/console"


def _page(name: str, path: str, *methods: str, mount: Mount = "control") -> Route:
    """A console page: a browser's, never cached, its forms carrying a CSRF token."""
    return Route(name, path, methods, mount, surface="browser", cache=NO_STORE, redacts=frozenset({"csrf_token"}))


CONSOLE_HOME = _page("console.home", "/", "GET", mount="base")
FAVICON = Route("console.favicon", "/favicon.ico", ("GET",), "base", surface="browser")  # cached a day by its view
CONSOLE_INDEX = _page("console.console_index", f"{_C}/", "GET")
CONSOLE_STATIC = _page("console.static", f"{_C}/static/<path:filename>", "GET")
CONSOLE_DEBUGGER = _page("console.debugger", f"{_C}/debugger", "GET")
CONSOLE_DEBUGGER_START = _page("console.start", f"{_C}/debugger/start", "POST")
CONSOLE_DEBUGGER_CALLBACK = _page("console.callback", f"{_C}/debugger/callback", "GET")
CONSOLE_SWITCHBOARD = _page("console.switchboard", f"{_C}/switchboard", "GET")
CONSOLE_SCENARIO_ON = _page("console.scenario_on", f"{_C}/scenario", "POST")
CONSOLE_SCENARIO_OFF = _page("console.scenario_off", f"{_C}/scenario/clear", "POST")
CONSOLE_CLOCK = _page("console.clock", f"{_C}/clock", "POST")
CONSOLE_KEYS_ROTATE = _page("console.keys_rotate", f"{_C}/keys/rotate", "POST")
CONSOLE_NEXT_LOGIN = _page("console.next_login", f"{_C}/next-login", "POST")
CONSOLE_NEXT_LOGIN_CLEAR = _page("console.next_login_clear", f"{_C}/next-login/clear", "POST")
CONSOLE_PERSONAS = _page("console.personas", f"{_C}/personas", "GET")
CONSOLE_PERSONA = _page("console.persona", f"{_C}/personas/<persona_id>", "GET")
CONSOLE_REQUESTS = _page("console.requests_page", f"{_C}/requests", "GET")
CONSOLE_REQUESTS_CLEAR = _page("console.requests_clear", f"{_C}/requests/clear", "POST")
CONSOLE_TOKEN_FORM = _page("console.control_token_form", f"{_C}/control-token", "POST")

ROUTES: tuple[Route, ...] = tuple(value for value in dict(globals()).values() if isinstance(value, Route))
"""Every route, in the order declared (discovery lists its endpoints in this order)."""
BY_NAME: dict[str, Route] = {name: route for route in ROUTES for name, _provider, _in_realm in route.endpoints()}
"""Flask endpoint name -> its route: what a request's ``request.endpoint`` looks up."""
PROVIDER_OF: dict[str, str] = {name: provider for route in ROUTES for name, provider, _in_realm in route.endpoints()}
"""Flask endpoint name -> the provider whose layout it is."""


def named(name: str | None) -> Route | None:
    """The route a request was routed to (``request.endpoint``), None when it matched none."""
    return BY_NAME.get(name or "")


def provider_of(endpoint: str | None) -> str:
    """The provider whose URL a request was routed to (the home provider for every ``/_mock`` URL)."""
    return PROVIDER_OF.get(endpoint or "", HOME_PROVIDER)


def served_by(provider: str) -> tuple[Route, ...]:
    """The routes ``provider`` serves, in table order."""
    return tuple(route for route in ROUTES if route.path_for(provider) is not None)


def blueprint_mount(blueprint: str) -> Mount:
    """Where a blueprint is mounted: its routes' mount; the base URL when they mix it with
    ``control`` (the console, at ``/`` and under ``/_mock/console``)."""
    mounts = {route.mount for route in ROUTES if route.blueprint == blueprint}
    return mounts.pop() if len(mounts) == 1 else "base"


def mount_path(mount: Mount, realm: str, provider: str = HOME_PROVIDER, in_realm: bool = False) -> str:
    """A mount's path under the base URL's path: the one place an issuer's path is made.
    ``in_realm``: for a realm other than the home one (another provider's ``REALM_HOSTS``)."""
    host = REALM_HOSTS[provider].format(realm=realm) if in_realm and provider in REALM_HOSTS else ""
    if mount == "issuer":
        return host + ISSUER_MOUNTS[provider].format(realm=realm)
    return CONTROL_MOUNT if mount == "control" else host


def in_other_realm(settings: Settings) -> bool:
    """Whether the settings are a realm's other than the home one (``Realms`` sets ``home_realm``)."""
    return bool(settings.home_realm) and settings.realm != settings.home_realm


def issuer(settings: Settings) -> str:
    """The issuer identifier of the settings' provider and realm."""
    provider = settings.provider
    return (settings.base_url.rstrip("/") + mount_path("issuer", settings.realm, provider, in_other_realm(settings))
            + ISSUER_TAILS[provider])


def channel_base(channel: Channel, settings: Settings) -> str:
    """The base URL (no trailing slash) a client uses for this channel."""
    back = (settings.backchannel_base_url or settings.base_url).rstrip("/")
    if channel == "userinfo":
        return (settings.userinfo_base_url or back).rstrip("/")
    return back if channel == "back" else settings.base_url.rstrip("/")


def _path_in(route: Route, settings: Settings) -> str:
    provider = settings.provider
    path = route.path_for(provider)
    if path is None and route.mount != "issuer":  # the server's own pages and /_mock: one for every provider
        provider, path = HOME_PROVIDER, route.path
    if path is None:
        raise LookupError(f"{route.name} is not served by {provider}")
    return mount_path(route.mount, settings.realm, provider, in_other_realm(settings)) + path


def url(route: Route, settings: Settings, channel: Channel | None = None) -> str:
    """The absolute URL of ``route`` on its own channel (or on ``channel``), in the settings'
    provider's layout and realm."""
    return channel_base(channel or route.channel, settings) + _path_in(route, settings)


def path(route: Route, settings: Settings) -> str:
    """The path of ``route`` under the browser's base URL, in the settings' realm (for links and cookies)."""
    return urlsplit(settings.base_url).path.rstrip("/") + _path_in(route, settings)


def redacted_names() -> frozenset[str]:
    """Every name any route declares a secret (``http/requestlog.py`` redacts these everywhere)."""
    return frozenset().union(*(route.redacts for route in ROUTES))


def scenario_endpoints() -> list[str]:
    """The names a server-wide scenario's ``endpoints`` may list, in table order."""
    return list(dict.fromkeys(route.hook for route in ROUTES if route.hook))


def all_of(blueprint: str) -> tuple[Route, ...]:
    return tuple(route for route in ROUTES if route.blueprint == blueprint)




def _check(table: tuple[Route, ...]) -> None:
    """A mistake in the table fails at import, naming the route."""
    for route in table:
        if route.blueprint != "console" and blueprint_mount(route.blueprint) != route.mount:
            raise AssertionError(f"{route.name}: a blueprint's routes share one mount (only the console mixes)")
        if route.hook and route.hook != route.blueprint:
            raise AssertionError(f"{route.name}: hook {route.hook!r} must be its blueprint's name")


_check(ROUTES)
