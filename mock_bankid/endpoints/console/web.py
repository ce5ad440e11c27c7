"""The console's blueprint and what every page of it shares: locale, CSRF, the control token, rendering.

One blueprint serves ``/`` (the home page) and ``/_mock/console/...`` (everything else), so the
pages that change state sit under ``/_mock`` with the JSON control API and behind the same
protections. Every state change is a POST form carrying a CSRF token (double submit: a random
value in an httpOnly, SameSite=Strict cookie and in the form); when the server needs a control
token (``control_token.py``) and the browser has none, the pages offer a form that sets it.

Refusals are raised as errors of the one family (``Refused``, an ``OAuthError``) and delivered
by ``web.render_error``, which hands them to ``error_page`` here (``web.ERROR_PAGES``): the
console's layout and language, the status and ``error`` code of the error.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, g, make_response, redirect, render_template, request
from flask import Response as PageResponse
from werkzeug.wrappers import Response

from mock_bankid import __version__
from mock_bankid.control import ops
from mock_bankid.core import routes
from mock_bankid.core.errors import OAuthError, StoreUnavailable
from mock_bankid.core.i18n import pick_locale
from mock_bankid.core.routes import Route
from mock_bankid.endpoints.console.texts import console_texts
from mock_bankid.http.control_token import COOKIE as CONTROL_COOKIE
from mock_bankid.http.control_token import control_token_ok
from mock_bankid.http.web import routed
from mock_bankid.oidc.provider import REALM_NAME, bind, home_provider, provider

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"
bp = Blueprint("console", __name__, static_folder=str(STATIC_DIR),
               static_url_path=routes.CONSOLE_STATIC.rule.partition("/<")[0])

CSRF_COOKIE = "mock_bankid_console_csrf"
LOCALE_COOKIE = "mock_bankid_console_locale"
LOCALES = ("nb", "en")
TOKEN_FORM_ENDPOINT = routes.CONSOLE_TOKEN_FORM.name


def base_path() -> str:
    return urlsplit(provider().settings.base_url).path.rstrip("/")


def href(route: Route) -> str:
    """The path of a page (or, for a route with a variable part, the part before it)."""
    return routes.path(route, provider().settings).partition("/<")[0]


def hrefs() -> dict[str, str]:
    """Every console route's ``href`` by view name: the templates' links and forms (``at.debugger``)."""
    return {route.view: href(route) for route in routes.all_of(bp.name)}


def console_path() -> str:
    """Where every console page but the home page lives (its cookies' path)."""
    return href(routes.CONSOLE_INDEX).rstrip("/")


def _secure() -> bool:
    return provider().settings.base_url.startswith("https")


# --- locale ----------------------------------------------------------------------------------
def locale() -> str:
    """As the login page chooses (``ui_locales``), remembered in a cookie; nn reads the nb pages."""
    if "console_locale" not in g:
        chosen = pick_locale(request.args.get("ui_locales") or request.cookies.get(LOCALE_COOKIE))
        g.console_locale = chosen if chosen in LOCALES else "nb"
    return g.console_locale


# --- errors ----------------------------------------------------------------------------------
class Refused(OAuthError):
    """A console request refused before it did anything (CSRF, control token, nothing to show).

    The page words it in the reader's language (``refused_<reason>`` in ``texts.py``); the
    description is the English text, within RFC 6749's character set like every description.
    """

    redirect = False

    def __init__(self, reason: str, status: int, error: str = "access_denied") -> None:
        super().__init__(console_texts("en")[f"refused_{reason}"], status=status)
        self.error = error
        self.reason = reason


def error_page(exc: OAuthError) -> PageResponse:
    """How the console shows an error nobody caught in a view (registered in ``web.ERROR_PAGES``)."""
    t = console_texts(locale())
    message = t[f"refused_{exc.reason}"] if isinstance(exc, Refused) else exc.description
    response = page("console/refused.html", status=exc.status, error=exc.error, message=message,
                    page_title=t["refused_title"])
    response.headers.update(exc.headers)
    return response


# --- CSRF ------------------------------------------------------------------------------------
def csrf_token() -> str:
    if "console_csrf" not in g:
        g.console_csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    return g.console_csrf


def csrf_ok() -> bool:
    cookie, form = request.cookies.get(CSRF_COOKIE, ""), request.form.get("csrf_token", "")
    return bool(cookie) and secrets.compare_digest(cookie.encode(), form.encode())


REALM_COOKIE = "mock_bankid_console_realm"


def chosen_realm() -> str:
    """The realm the console shows and acts on: ``?realm=`` (then remembered in a cookie), else the
    cookie's, else the home realm. A cookie naming no valid realm is ignored."""
    home = home_provider()
    asked = request.args.get("realm")
    if asked:
        return asked  # provider() refuses a bad one with a clear 400
    kept = request.cookies.get(REALM_COOKIE, "")
    return kept if kept and REALM_NAME.match(kept) else home.settings.realm


@bp.before_request
def _realm() -> None:
    """Bind the chosen realm before any view asks for ``provider()`` (links and forms need no parameter)."""
    name = chosen_realm()
    if not request.args.get("realm"):
        bind(home_provider().realm(name))


@bp.before_request
def _guard() -> None:
    """Refuse a POST without the CSRF token (403), or without the control token where one is needed (401)."""
    if request.method != "POST":
        return
    if not csrf_ok():
        raise Refused("csrf", 403)
    if request.endpoint != TOKEN_FORM_ENDPOINT and not control_token_ok(request):
        raise Refused("control_token", 401)


@bp.after_request
def _cookies(response: Response) -> Response:
    """Every console answer: its CSRF cookie, the chosen language, a tight CSP (no caching: its
    route's cache headers)."""
    if request.cookies.get(CSRF_COOKIE) != csrf_token():
        response.set_cookie(CSRF_COOKIE, csrf_token(), httponly=True, samesite="Strict", secure=_secure(),
                            path=console_path())
    if request.args.get("realm") and request.cookies.get(REALM_COOKIE) != request.args["realm"]:
        response.set_cookie(REALM_COOKIE, request.args["realm"], httponly=True, samesite="Lax", secure=_secure(),
                            path=base_path() or "/")
    if request.args.get("ui_locales") and request.cookies.get(LOCALE_COOKIE) != locale():
        response.set_cookie(LOCALE_COOKIE, locale(), httponly=True, samesite="Lax", secure=_secure(),
                            path=base_path() or "/", max_age=365 * 86400)
    if response.mimetype == "text/html":
        issuer = urlsplit(provider().issuer)
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; "
            f"img-src 'self'; form-action 'self' {issuer.scheme}://{issuer.netloc}; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- the scenario bar ------------------------------------------------------------------------
BAR_PAGES = frozenset({"login.html", "error.html", "logged_out.html"})
"""The provider's own pages that carry the bar too (not ``form_post.html``: it leaves at once)."""


def scenario_bar(loc: str, *, form: bool) -> dict[str, Any] | None:
    """What the bar says while a server-wide scenario is on: its name, what is left, how to switch it off.

    ``form``: a console page switches it off in place (a POST form with the console's CSRF); the
    login and error pages cannot see the console's CSRF cookie, so they link to the switchboard.
    """
    try:
        state = ops.scenario_state(provider())
    except StoreUnavailable:
        return None
    on = [(name, one["active"]) for name, one in state["providers"].items() if one["active"]]
    if not on:
        return None
    active = on[0][1]  # BankID's when it is on, else the first other provider's
    t = console_texts(loc if loc in LOCALES else "en" if loc.startswith("en") else "nb")
    left = []
    if active.get("remaining_seconds") is not None:
        left.append(t["bar_seconds_left"].format(seconds=max(0, round(active["remaining_seconds"]))))
    if active.get("count") is not None:
        left.append(t["bar_requests_left"].format(n=active.get("remaining_count", 0)))
    where = [name for name, one in on if one["scenario"] == active["scenario"]]
    return {"name": active["scenario"], "left": " · ".join(left), "form": form, "t": t,
            "providers": where if len(where) < len(state["providers"]) else [],
            "clear_action": href(routes.CONSOLE_SCENARIO_OFF),
            "switchboard": href(routes.CONSOLE_SWITCHBOARD) + "#scenario"}


def bar_on_provider_pages(template: str, loc: str) -> dict[str, Any]:
    return {"scenario_bar": scenario_bar(loc, form=False)} if template in BAR_PAGES else {}


# --- rendering -------------------------------------------------------------------------------
def page(template: str, status: int = 200, **context: Any) -> PageResponse:
    """A console page (Flask's response class, as ``web.ERROR_PAGES`` expects; redirects are werkzeug's)."""
    p = provider()
    loc = locale()
    t = console_texts(loc)
    context.setdefault("page_title", t["console_title"])
    context.setdefault("ok_message", t.get("ok_" + request.args.get("ok", ""), "") if request.args.get("ok") else "")
    html = render_template(
        template, t=t, locale=loc, version=__version__, issuer=p.issuer,
        csrf_token=csrf_token(), home=href(routes.CONSOLE_HOME), at=hrefs(), token_needed=not control_token_ok(request),
        here=request.path, scenario_bar=scenario_bar(loc, form=True), realm=p.settings.realm,
        home_realm=home_provider().settings.realm, **context,
    )
    return make_response(html, status)


def done(anchor: str = "", *, to: str = "", ok: str = "", error: str = "") -> Response:
    """After a successful POST: back to the page (303, so a reload does not repeat it)."""
    target = to or request.form.get("back") or href(routes.CONSOLE_SWITCHBOARD)
    if not target.startswith(console_path()) and target != href(routes.CONSOLE_HOME):  # never elsewhere
        target = href(routes.CONSOLE_SWITCHBOARD)
    query = (("&" if "?" in target else "?") + f"ok={ok}") if ok else ""
    return redirect(f"{target}{query}{'#' + anchor if anchor else ''}", code=303)


@routed(bp, routes.CONSOLE_TOKEN_FORM)
def control_token_form() -> Response:
    """Keep the control token in an httpOnly cookie for ``/_mock``, so every console form carries it."""
    token = request.form.get("token", "").strip()
    response = done(to=request.form.get("back", ""), ok="token_saved")
    if token:
        response.set_cookie(CONTROL_COOKIE, token, httponly=True, samesite="Strict", secure=_secure(),
                            path=href(routes.CONTROL_INDEX).rstrip("/"))
    else:
        response.delete_cookie(CONTROL_COOKIE, path=href(routes.CONTROL_INDEX).rstrip("/"))
    return response
