"""The debugger: a built-in relying party that signs in through the login page and shows what came back.

The browser leg is the real one: the debugger's form POSTs here, the browser is sent to the
authorize endpoint with state, nonce and a PKCE S256 challenge, signs in on the login page (or is
signed in by a login_hint / the next-login queue), and comes back to the debugger's redirect URI.
The back-channel leg (discovery, token with HTTP Basic and the code verifier, JWKS, userinfo) goes
through this same WSGI application in-process, as HTTP requests built by Werkzeug's client: the
whole stack runs (client authentication, scenarios, the request log), but no socket is needed, so
it works whatever address the server is reachable at from inside (Docker, TLS, one worker).

The client (``mock-bankid-console``) is registered in code with exactly one redirect URI, this
server's own ``{base}/_mock/console/debugger/callback``: it can never send a code elsewhere.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from flask import current_app, redirect, request
from werkzeug.wrappers import Response

from mock_bankid.control import ops
from mock_bankid.core import jsontools, routes
from mock_bankid.core.errors import InvalidRequest
from mock_bankid.core.i18n import TEXTS as LOGIN_LOCALES
from mock_bankid.core.settings import Settings
from mock_bankid.endpoints.console import checks
from mock_bankid.endpoints.console.texts import console_texts
from mock_bankid.endpoints.console.web import Refused, bp, href, locale, page
from mock_bankid.http.web import routed
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.provider import Provider, provider
from mock_bankid.people.personas import PersonaError
from mock_bankid.scenarios import engine

CLIENT_ID = "mock-bankid-console"
CLIENT_SECRET = "mock-bankid-console-secret"  # noqa: S105 - a published dev secret, like the fixtures'
"""Published on purpose, like every fixture client's: the redirect URI is what protects the code."""
FLOW_NS = "console-flow"
RESULT_NS = "console-result"
RESULT_TTL = 3600
FLOW_COOKIE = "mock_bankid_console_flow"
SEEN_COOKIE = "mock_bankid_console_seen"
"""Short hashes of the last ``SEEN_KEPT`` SSO sessions (``sid``) the debugger signed in with in this
browser: a result with one of them reused a session (a timestamp cannot tell within one second)."""
SEEN_KEPT = 5
DEFAULT_SCOPES = ("openid", "profile", "nnin_altsub")
PROMPTS = ("", "login", "consent", "select_account", "none")
MAX_SELECTOR = 200


def redirect_uri(settings: Settings) -> str:
    return routes.url(routes.CONSOLE_DEBUGGER_CALLBACK, settings)


def console_client(settings: Settings, scopes: tuple[str, ...]) -> Client:
    """The debugger's client: confidential (HTTP Basic), every scope, refresh tokens, real-BankID claims."""
    return Client(
        client_id=CLIENT_ID, name="mock-bankid console (debugger)", client_secret=CLIENT_SECRET,
        auth_methods=("client_secret_basic",), redirect_uris=(redirect_uri(settings),),
        scopes=scopes, grant_types=("authorization_code", "refresh_token"), pid_claim=False,
    )


# --- the form --------------------------------------------------------------------------------
def _form_page(status: int = 200, *, values: dict[str, Any] | None = None, **context: Any) -> Response:
    p = provider()
    today = p.today()
    chosen = values or {"persona": request.args.get("persona", ""), "scopes": list(DEFAULT_SCOPES),
                        "ui_locales": locale()}
    result = None
    rid = request.args.get("result", "")
    if rid:
        result = p.store.get(RESULT_NS, rid)
        if result is None:
            context.setdefault("error_message", console_texts(locale())["result_gone"])
    here_host = urlsplit(request.host_url).netloc
    return page(
        "console/debugger.html", status=status, active="debugger",
        page_title=console_texts(locale())["nav_debugger"], personas=p.personas.for_provider(p.name, today),
        today=today, sign_in_scenarios=engine().login_panel(p.name), idps=list(p.dialect.acr_values),
        scopes=tuple(s for s in p.dialect.supported_scopes if s not in p.dialect.retired_scopes),
        retired_scopes=p.dialect.retired_scopes,
        prompts=PROMPTS, ui_locales=list(LOGIN_LOCALES), chosen=chosen, result=result,
        client_id=CLIENT_ID, redirect=redirect_uri(p.settings),
        other_host=here_host != urlsplit(p.settings.base_url).netloc, base_url=p.settings.base_url,
        scenario=ops.scenario_state(p), describe=describe, **context,
    )


@routed(bp, routes.CONSOLE_DEBUGGER)
def debugger() -> Response:
    return _form_page()


@routed(bp, routes.CONSOLE_DEBUGGER_START)
def start() -> Response:
    """Make state, nonce and a PKCE pair, remember them for this browser, and go to authorize."""
    p = provider()
    form = request.form
    values: dict[str, Any] = {
        "persona": form.get("persona", "").strip(), "selector": form.get("selector", "").strip()[:MAX_SELECTOR],
        "scenario": form.get("scenario", "").strip(), "scopes": form.getlist("scope"),
        "acr_values": form.get("acr_values", "").strip(), "prompt": form.get("prompt", "").strip(),
        "ui_locales": form.get("ui_locales", "").strip(),
        "payment_amount": form.get("payment_amount", "").strip()[:12],
        "payment_text": form.get("payment_text", "").strip()[:140],
    }
    who: str = values["selector"] or values["persona"]
    t = console_texts(locale())  # the console's own words, in the reader's language (not OAuth descriptions)
    if "openid" not in values["scopes"]:
        return _form_page(400, values=values, error_message=t["need_openid"])
    if values["scenario"] and not who:
        return _form_page(400, values=values, error_message=t["need_persona_for_scenario"])
    try:
        if values["scenario"]:
            # The same call as POST /_mock/next-login: the queue carries the per-sign-in scenario.
            ops.queue_next_login(p, {"selector": who, "scenario": values["scenario"]})
        elif who and not p.personas.require(who, p.today()).has(p.name):  # a message, not an error redirect
            raise PersonaError(f"{who} has no {p.dialect.name} account: the debugger signs in at {p.dialect.name}")
    except InvalidRequest as exc:
        return _form_page(400, values=values, error_message=exc.description)
    except PersonaError as exc:
        return _form_page(400, values=values, error_message=str(exc))

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    flow = {"state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16), "verifier": verifier,
            "values": values, "started": p.now(), "started_wall": time.time()}
    params = {
        "client_id": CLIENT_ID, "redirect_uri": redirect_uri(p.settings), "response_type": "code",
        "scope": " ".join(values["scopes"]), "state": flow["state"], "nonce": flow["nonce"],
        "code_challenge": challenge, "code_challenge_method": "S256",
    }
    for name in ("acr_values", "prompt", "ui_locales"):
        if values[name]:
            params[name] = values[name]
    if who and not values["scenario"]:
        params["login_hint"] = who
    query = params
    if values["payment_amount"]:
        amount = {"value": values["payment_amount"], "currency": "NOK"}
        statement = json.dumps({"type": "payment", "amount": amount, "text": values["payment_text"] or "-"}).encode()
        params["authorization_details"] = json.dumps(
            [{"type": "payment.v1", "permission": base64.urlsafe_b64encode(statement).rstrip(b"=").decode()}])
        flow["digest"] = base64.b64encode(hashlib.sha256(statement).digest()).decode()
        pushed = backchannel("POST", routes.url(routes.PAR, p.settings), data=params,
                             headers={"Authorization": f"Basic {_basic()}"})
        body = pushed["body"] if isinstance(pushed["body"], dict) else {}
        if pushed["status"] != 201 or not body.get("request_uri"):  # e.g. an amount the statement cannot hold
            return _form_page(400, values=values, error_message=f"PAR {pushed['status']}: {body.get('error')}")
        query = {"client_id": CLIENT_ID, "request_uri": body["request_uri"]}
    flow["sent"] = dict(params)
    flow_id = secrets.token_urlsafe(24)
    p.store.put(FLOW_NS, flow_id, flow, p.settings.auth_session_ttl)
    response = redirect(f"{routes.url(routes.AUTHORIZE, p.settings)}?{urlencode(query, quote_via=quote)}", code=303)
    response.set_cookie(FLOW_COOKIE, flow_id, httponly=True, samesite="Lax", path=href(routes.CONSOLE_DEBUGGER),
                        secure=p.settings.base_url.startswith("https"), max_age=p.settings.auth_session_ttl)
    return response


# --- the callback ----------------------------------------------------------------------------
@routed(bp, routes.CONSOLE_DEBUGGER_CALLBACK)
def callback() -> Response:
    p = provider()
    flow_id = request.cookies.get(FLOW_COOKIE, "")
    flow = p.store.get(FLOW_NS, flow_id) if flow_id else None
    if flow is None:
        raise Refused("no_flow", 400, error="invalid_request")
    p.store.delete(FLOW_NS, flow_id)  # one callback per sign-in: a replayed one finds nothing
    seen = [h for h in request.cookies.get(SEEN_COOKIE, "").split(".") if h][:SEEN_KEPT]
    result = run(p, flow, request.args.to_dict(), seen_sessions=seen)
    rid = secrets.token_urlsafe(24)
    p.store.put(RESULT_NS, rid, result, RESULT_TTL)
    response = redirect(f"{href(routes.CONSOLE_DEBUGGER)}?result={rid}#result", code=303)
    response.delete_cookie(FLOW_COOKIE, path=href(routes.CONSOLE_DEBUGGER))
    sid = ((result.get("id_token") or {}).get("claims") or {}).get("sid")
    if isinstance(sid, str) and sid:
        kept = [session_tag(sid), *(h for h in seen if h != session_tag(sid))][:SEEN_KEPT]
        response.set_cookie(SEEN_COOKIE, ".".join(kept), httponly=True, samesite="Lax",
                            path=href(routes.CONSOLE_DEBUGGER),
                            secure=p.settings.base_url.startswith("https"), max_age=p.settings.sso_session_ttl)
    return response


def _basic() -> str:
    return base64.b64encode(f"{quote(CLIENT_ID, safe='')}:{quote(CLIENT_SECRET, safe='')}".encode()).decode()


def session_tag(sid: str) -> str:
    """A session id as the debugger remembers it: a short one-way tag (the sid is what the SSO cookie holds)."""
    return hashlib.sha256(sid.encode()).hexdigest()[:16]


def backchannel(method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    """One back-channel call through this app in-process (a fresh app context: its own ``g``)."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    began = time.perf_counter()
    with current_app.app_context():
        response = current_app.test_client().open(target, method=method, **kwargs)
        text = response.get_data(as_text=True)
        content_type = response.headers.get("Content-Type", "")
        status = response.status_code
    body: Any = text
    if content_type.startswith("application/json"):
        with contextlib.suppress(ValueError):  # a broken JSON answer is shown as the text it was
            body = jsontools.loads(text)
    return {"method": method, "url": url, "status": status, "content_type": content_type, "body": body,
            "ms": round((time.perf_counter() - began) * 1000, 1)}


def _token_view(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    decoded = checks.decode_unverified(raw)
    return {"raw": raw, "header": decoded[0] if decoded else None, "claims": decoded[1] if decoded else None}


def run(p: Provider, flow: dict[str, Any], callback: dict[str, str], *,
        seen_sessions: list[str] | None = None) -> dict[str, Any]:
    """Everything a relying party does after the callback, each step and check recorded."""
    result: dict[str, Any] = {"sent": flow["sent"], "values": flow["values"], "callback": callback,
                              "seen_sessions": list(seen_sessions or ()),
                              "steps": [], "checks": [], "at": p.now(), "started": flow["started"],
                              "browser_ms": round((time.time() - flow.get("started_wall", time.time())) * 1000)}
    listed: list[checks.Check] = [
        checks.Check("state", callback.get("state") == flow["state"], "",
                     {"got": callback.get("state"), "want": flow["state"]}),
        checks.Check("callback_iss", callback.get("iss") == p.issuer, "",
                     {"got": callback.get("iss"), "want": p.issuer}),
    ]
    result["checks"] = listed
    if "error" in callback or "code" not in callback:
        result["error"] = {"error": callback.get("error", "no code"),
                           "description": callback.get("error_description", "")}
        return _finish(result)
    if not listed[0].ok:
        result["error"] = {"error": "state",
                           "description": "The callback's state is not the one sent: a client stops here."}
        return _finish(result)

    discovery = backchannel("GET", routes.url(routes.DISCOVERY, p.settings))
    result["steps"].append(discovery)
    config = discovery["body"] if discovery["status"] == 200 and isinstance(discovery["body"], dict) else None
    if config is None:
        result["error"] = {"error": "discovery", "description": f"discovery answered {discovery['status']}"}
        return _finish(result)
    basic = _basic()
    token = backchannel("POST", config["token_endpoint"], headers={"Authorization": f"Basic {basic}"}, data={
        "grant_type": "authorization_code", "code": callback["code"],
        "redirect_uri": redirect_uri(p.settings), "code_verifier": flow["verifier"]})
    result["steps"].append(_redacted_step(token))
    body = token["body"] if isinstance(token["body"], dict) else {}
    token_ok = (token["status"] == 200 and bool(body.get("id_token"))
                and str(body.get("token_type", "")).lower() == "bearer")
    listed.append(checks.Check("token", token_ok, "", {"status": token["status"], "error": body.get("error"),
                                                     "description": body.get("error_description")}))
    if not token_ok:
        result["error"] = {"error": body.get("error") or f"HTTP {token['status']}",
                           "description": body.get("error_description") or ""}
        return _finish(result)
    result["id_token"] = _token_view(body["id_token"])
    result["access_token"] = _token_view(body.get("access_token"))
    result["refresh_token"] = body.get("refresh_token")
    result["token_response"] = {k: v for k, v in body.items() if k not in ("id_token", "access_token", "refresh_token")}

    jwks_step = backchannel("GET", config["jwks_uri"])
    result["steps"].append(jwks_step)
    jwks = jwks_step["body"] if jwks_step["status"] == 200 and isinstance(jwks_step["body"], dict) else None
    allowed = [a for a in config.get("id_token_signing_alg_values_supported", [])
               if a != "none" and not a.startswith("HS")]  # a client pins asymmetric algs
    listed.extend(checks.id_token_checks(
        body["id_token"], jwks=jwks, allowed_algs=allowed, issuer=p.issuer, client_id=CLIENT_ID,
        nonce=flow["nonce"], access_token=body.get("access_token"), now=p.now(), today=p.today()))
    if flow.get("digest"):  # a payment approval: the digest must be the statement's (trap-permission-digest)
        got, want = ((result["id_token"] or {}).get("claims") or {}).get("permission_digest"), flow["digest"]
        listed.append(checks.Check("permission_digest", got == want, "", {"got": got, "want": want}))
    if body.get("access_token"):
        userinfo = backchannel("GET", config["userinfo_endpoint"],
                               headers={"Authorization": f"Bearer {body['access_token']}"})
        result["steps"].append(_redacted_step(userinfo))
        shown = userinfo["body"]
        if isinstance(shown, str) and userinfo["content_type"].startswith("application/jwt"):
            decoded = checks.decode_unverified(shown.strip())
            shown = decoded[1] if decoded else shown
        result["userinfo"] = {"status": userinfo["status"], "body": shown}
        listed.append(checks.userinfo_check(userinfo["status"], shown, (result["id_token"] or {}).get("claims")))
    return _finish(result)


def _redacted_step(step: dict[str, Any]) -> dict[str, Any]:
    """A step as shown in the list of calls: its tokens are shown decoded above, not twice here."""
    shown = dict(step)
    if isinstance(shown["body"], dict):
        tokens = ("id_token", "access_token", "refresh_token")
        shown["body"] = {k: ("…" if k in tokens else v) for k, v in shown["body"].items()}
    return shown


STEP_CHECKS = {
    "callback": ("state", "callback_iss"),
    "token": ("token", "iss", "aud", "exp", "iat", "nonce", "at_hash", "age", "permission_digest"),
    "jwks": ("signature",),
    "userinfo": ("userinfo",),
}
"""Which checks belong to which step of the timeline (the ID token's claims are judged as the
token response arrives; its signature once the JWKS is fetched)."""


def how_signed_in(result: dict[str, Any]) -> str:
    """``sso`` (an earlier session was reused: no login page), ``queue``, ``login_hint`` or ``page``."""
    claims = (result.get("id_token") or {}).get("claims") or {}
    auth_time, sid = claims.get("auth_time"), claims.get("sid")
    if isinstance(sid, str) and session_tag(sid) in result.get("seen_sessions", ()):
        return "sso"  # a session the debugger signed in with before, in this browser
    if isinstance(auth_time, (int, float)) and auth_time < int(result["started"]):
        return "sso"  # authenticated before this sign-in began (e.g. by another client)
    if result["values"].get("scenario"):
        return "queue"
    return "login_hint" if result["sent"].get("login_hint") else "page"


def timeline(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The sign-in's steps in order (authorize, login, callback, discovery, token, JWKS, userinfo):
    each with its HTTP status, how long it took and the checks made on what it returned."""
    by_key = {c["key"]: c for c in result["checks"]}
    callback, sent = result["callback"], result["sent"]
    asked = " ".join(f"{k}={sent[k]}" for k in ("scope", "prompt", "login_hint", "acr_values") if k in sent)
    steps: list[dict[str, Any]] = [
        {"key": "authorize", "status": None, "ms": None, "checks": [], "ok": "error" not in callback,
         "note": callback.get("error", asked)},
        {"key": "login", "status": None, "ms": result["browser_ms"], "checks": [],
         "ok": None if "error" in callback else True, "note": result.get("signed_in_by", "")},
    ]
    steps.append({"key": "callback", "status": None, "ms": None, "note": "code" if "code" in callback else "",
                  "checks": [by_key[k] for k in STEP_CHECKS["callback"] if k in by_key]})
    names = {"openid-configuration": "discovery", "token": "token", "certs": "jwks", "userinfo": "userinfo"}
    for step in result["steps"]:
        path = urlsplit(step["url"]).path
        key = next((v for k, v in names.items() if path.endswith(k)), path)
        steps.append({"key": key, "status": step["status"], "ms": step.get("ms"), "note": f"{step['method']} {path}",
                      "checks": [by_key[k] for k in STEP_CHECKS.get(key, ()) if k in by_key]})
    for step in steps[2:]:
        status_ok = step["status"] is None or 200 <= step["status"] < 300
        step["ok"] = status_ok and all(c["ok"] is not False for c in step["checks"])
    return steps


def _finish(result: dict[str, Any]) -> dict[str, Any]:
    listed = result["checks"]
    result["checks"] = [{"key": c.key, "ok": c.ok, "detail": c.detail, "args": c.args} for c in listed]
    result["failed"] = [c.key for c in listed if c.ok is False]
    if "error" not in result["callback"] and "code" in result["callback"]:
        result["signed_in_by"] = how_signed_in(result)
    result["timeline"] = timeline(result)
    return result


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "–"


def describe(check: dict[str, Any], t: dict[str, str]) -> str:
    """The check's finding in the page's language, from ``d_<key>_<detail|pass|fail>`` in the texts."""
    args = _Blank({k: _shown(v) for k, v in (check.get("args") or {}).items()})
    for name in ("exp", "iat", "now"):
        if name in (check.get("args") or {}):
            args[f"{name}_when"] = utc(check["args"][name])
    verdict = check.get("detail") or ("pass" if check.get("ok") else "fail")
    template = t.get(f"d_{check['key']}_{verdict}")
    if template is None:
        return ""
    if check["key"] == "age" and "source" in args:
        args["source"] = t.get(f"age_source_{args['source']}", args["source"])
    return template.format_map(args)


def _shown(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def utc(ts: Any) -> str:
    try:
        return datetime.fromtimestamp(float(ts), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError, OverflowError, OSError):
        return str(ts)
