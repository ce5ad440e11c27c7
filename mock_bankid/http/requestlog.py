"""The request log at ``{base}/_mock/requests``: what clients sent, secrets redacted.

Kept in the store's journal (``store/journal.py``) so a CI test sees the requests every worker
served: each worker appends to its own file (SQLite), a deque (memory) or the shared store (Redis),
and a read merges them -- no store write, and no lock shared between workers, on the request path.
Control-surface calls (``/_mock``, the console's pages too) are not logged: they are the test
talking to itself. JWTs a request carried are logged decoded (``tokens``), without their signature.
It is observability, not a scenario: the one owner of the request log (record; list; clear).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask, Response, request

from mock_bankid.core import routes
from mock_bankid.core.errors import OAuthError, StoreUnavailable
from mock_bankid.core.request_notes import noted
from mock_bankid.oidc.client_auth import request_client_id, request_form
from mock_bankid.oidc.provider import Provider, provider
from mock_bankid.store import Store
from mock_bankid.store.journal import journal_of

REDACTED = "[redacted]"
SECRET_PARAMS = routes.redacted_names() | {"id_token", "logout_token", "password", "secret"}
"""What each route declares it takes as a secret (``redacts`` in ``core/routes.py``), redacted at
every endpoint, and credentials no endpoint takes that a careless client may still send."""
SECRET_SUFFIXES = ("token", "secret", "assertion", "verifier", "password", "_hint")
"""Names ending so are secret too, whatever prefix a client or a future parameter adds."""
_JWT_HEAD = ("eyJ", "ey0")


def is_secret(name: str, value: str = "") -> bool:
    """The one redaction rule: is this parameter's value kept out of the log?

    By name, case-insensitively (``Client_Secret`` is the same parameter to a careless client):
    every name a credential, code or token arrives under, and any name ending like one
    (``id_login_hint``, BankID's alias of ``id_token_hint``, included). ``login_hint`` is kept
    (it names a test persona, and the log is how a test sees which). By value, under any name:
    anything shaped like a JWS/JWE (``eyJ...`` with dots), because tokens travel under every name.
    """
    return _name_is_secret(name) or _token_shaped(value)


def _token_shaped(value: Any) -> bool:
    """The by-value half of ``is_secret``."""
    return isinstance(value, str) and value.lstrip().startswith(_JWT_HEAD) and value.count(".") >= 2


SHORT_NAME = 64
"""Names up to this long have their answer kept; a longer one (a form field name may be hundreds of
kilobytes) is worked out each time, so the cache stays small whatever clients send."""


def _secret_by_name(name: str) -> bool:
    lowered = name.strip().lower().replace("-", "_")
    return lowered in SECRET_PARAMS or (lowered.endswith(SECRET_SUFFIXES) and lowered != "login_hint")


_short_name_is_secret = functools.lru_cache(maxsize=1024)(_secret_by_name)


def _name_is_secret(name: str) -> bool:
    """The by-name half of ``is_secret``: ~20 parameter names a sign-in, the same ones every time."""
    return _short_name_is_secret(name) if len(name) <= SHORT_NAME else _secret_by_name(name)


JWT_PARAMS = ("client_assertion", "id_token_hint", "id_login_hint", "token", "access_token")
"""Parameters that may carry a JWT: logged decoded (header and claims) beside the redaction."""


def decode_jwt(value: str) -> dict[str, Any] | None:
    """Header and claims of a compact JWS, without its signature (so it cannot be replayed);
    None for anything that is not one (opaque tokens, malformed input)."""
    parts = value.split(".") if isinstance(value, str) and len(value) < 16384 else []
    if len(parts) != 3:
        return None
    try:
        header, claims = (json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in parts[:2])
    except (ValueError, TypeError, RecursionError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict) or "alg" not in header:
        return None
    return {"header": header, "claims": claims, "signature": REDACTED if parts[2] else ""}


def decoded_tokens(*sources: Any) -> dict[str, Any]:
    """The JWTs a request carried (parameters in ``JWT_PARAMS``, a Bearer header), decoded."""
    out: dict[str, Any] = {}
    for values in sources:
        for name in JWT_PARAMS:
            if name not in values:  # (a miss in a werkzeug MultiDict's .get() builds an exception)
                continue
            decoded = decode_jwt(values.get(name) or "")
            if decoded is not None:
                out[name] = decoded
    scheme, _, credentials = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer":
        decoded = decode_jwt(credentials.strip())
        if decoded is not None:
            out["Authorization"] = decoded
    return out


def redact(values: Any) -> dict[str, Any]:
    """A parameter MultiDict as a dict (lists for repeated names), secret values replaced."""
    out: dict[str, Any] = {}
    for name, items in values.lists():
        if _name_is_secret(name):
            items = [REDACTED] * len(items)
        else:
            items = [REDACTED if _token_shaped(v) else v for v in items]
        out[name] = items[0] if len(items) == 1 else items
    return out


_LOGGED_HEADERS = (("Content-Type", "CONTENT_TYPE"), ("Accept", "HTTP_ACCEPT"), ("User-Agent", "HTTP_USER_AGENT"))


def redacted_authorization(value: str) -> str:
    """Only the scheme of an ``Authorization`` header, and only when it is one plain word."""
    scheme, _sep, _rest = value.partition(" ")
    return f"{scheme} {REDACTED}" if _sep and scheme.isascii() and scheme.isalpha() and len(scheme) <= 20 else REDACTED


MAX_ERROR_BODY = 8192
"""A JSON error body up to this size is read for its ``error`` and ``error_description``."""


def error_of(response: Response) -> dict[str, str] | None:
    """A JSON error answer's ``error`` and ``error_description`` (RFC 6749 section 5.2), so the log
    says "wrong client secret" where the status alone says 401. Neither carries a secret."""
    if response.status_code < 400 or response.mimetype != "application/json" or response.is_streamed:
        return None
    if (response.content_length or 0) > MAX_ERROR_BODY:
        return None
    try:
        body = json.loads(response.get_data())
    except (ValueError, RuntimeError):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return None
    description = body.get("error_description")
    return {"error": body["error"][:200], "description": description[:1000] if isinstance(description, str) else ""}


def _link(kind: str, value: str) -> str:
    """A short one-way tag of a value that ties requests of one sign-in together (a code, a state, an
    access token): requests carrying the same value share the tag; the value itself is not kept."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:12]


def sign_in_links(req: Any, form: Any, response: Response) -> list[str]:
    """Tags that group a sign-in's requests: its ``redirect_uri`` + ``state`` (authorize, and the
    redirect back from it or from the login page), its code (the redirect that issued it, the token
    request that redeems it), its access token (the token answer, userinfo's Bearer). The request
    log page joins entries that share one."""
    links = set()
    params = form if form is not None and "state" in form else req.args
    if params.get("state") and params.get("redirect_uri"):
        links.add(_link("state", f"{params['redirect_uri']} {params['state']}"))
    if form is not None and form.get("code"):
        links.add(_link("code", form["code"]))
    location = response.headers.get("Location", "") if 300 <= response.status_code < 400 else ""
    if "code=" in location or "state=" in location:
        parts = urlsplit(location)
        back = parse_qs(parts.query or parts.fragment)
        if back.get("code"):
            links.add(_link("code", back["code"][0]))
        if back.get("state"):
            links.add(_link("state", f"{parts.scheme}://{parts.netloc}{parts.path} {back['state'][0]}"))
    scheme, _, credentials = (req.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        links.add(_link("access", credentials.strip()))
    if req.blueprint == "token" and response.status_code == 200 and response.mimetype == "application/json":
        try:
            body = json.loads(response.get_data())
        except (ValueError, RuntimeError):
            body = None
        if isinstance(body, dict) and isinstance(body.get("access_token"), str):
            links.add(_link("access", body["access_token"]))
    return sorted(links)


def entry_for(response: Response, p: Provider) -> dict[str, Any]:
    """What the log shows of the current request. Runs on every request, so it looks at the WSGI
    environ first and parses only what the request has (query, form, cookies, Authorization)."""
    req = request._get_current_object()  # type: ignore[attr-defined]  # one proxy lookup, not twenty
    environ = req.environ
    authorization = environ.get("HTTP_AUTHORIZATION")
    headers: dict[str, str] = {}
    if authorization:
        headers["Authorization"] = redacted_authorization(authorization)
    if environ.get("HTTP_COOKIE") and req.cookies:
        headers["Cookie"] = "; ".join(f"{name}={REDACTED}" for name in req.cookies)
    for name, key in _LOGGED_HEADERS:
        value = environ.get(key)
        if value:
            headers[name] = value
    has_query = bool(environ.get("QUERY_STRING"))
    form = request_form() if req.mimetype == "application/x-www-form-urlencoded" else None
    carries = has_query or form is not None or bool(authorization)
    found = noted()
    dropped = found is not None and found.dropped
    return {
        "time": p.clock.now(),
        "method": req.method,
        "path": req.path,
        "endpoint": req.endpoint,
        "query": redact(req.args) if has_query else {},
        "form": redact(form) if form is not None else {},
        "tokens": decoded_tokens(req.args, *([form] if form is not None else [])) if carries else {},
        "headers": headers,
        "status": 0 if dropped else response.status_code,
        "dropped": dropped,
        "client_id": (request_client_id() or None) if carries else None,
        "error": error_of(response),
        "links": sign_in_links(req, form, response) if carries or response.status_code >= 300 else [],
    }


def plain_get_entry(environ: dict[str, Any], status: int, endpoint: str, p: Provider) -> dict[str, Any]:
    """The entry ``entry_for`` makes, for a plain GET (no query, body, cookie or Authorization),
    built from the WSGI environ alone: for answers served without a Flask request (``fast_path``)."""
    headers = {name: environ[key] for name, key in _LOGGED_HEADERS if environ.get(key)}
    return {
        "time": p.clock.now(), "method": "GET", "path": "/" + environ.get("PATH_INFO", "").lstrip("/"),
        "endpoint": endpoint, "query": {}, "form": {}, "tokens": {}, "headers": headers, "status": status,
        "dropped": False, "client_id": None, "error": None, "links": [],
    }


def append(p: Provider, entry: dict[str, Any]) -> None:
    """Add an entry made outside ``init_app``'s hook (``fast_path``); a size of 0 keeps no log."""
    if p.settings.request_log_size > 0:
        journal_of(p.store).append(entry, p.settings.request_log_size)


def init_app(app: Flask, home: Provider) -> None:
    @app.after_request
    def _log_request(response: Response) -> Response:
        size = home.settings.request_log_size
        if size <= 0 or _is_control():
            return response
        try:
            p = provider()  # the request's issuer: each realm has a log of its own
            journal_of(p.store).append(entry_for(response, p), size)
        except (StoreUnavailable, OAuthError):  # OAuthError: a bad ?realm=, already answered
            pass  # the answer already says so (a 503), or needed no store: no traceback per request
        except Exception:  # the log must never break the request it logs
            app.logger.exception("request log")
        return response


def _is_control() -> bool:
    return (request.blueprint or "") in {"control", "scenario_control", "console"}


def recent(store: Store, size: int) -> list[dict[str, Any]]:
    """The newest ``size`` requests, of every worker, oldest first."""
    return journal_of(store).recent(size)


def clear(store: Store) -> None:
    journal_of(store).clear()
