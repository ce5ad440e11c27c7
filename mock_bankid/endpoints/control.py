"""The mock's own control surface under ``{base}/_mock``: health, next-login queue, clock, personas.

Nothing here exists at real BankID. It is for CI and QA, who drive the mock over HTTP.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from mock_bankid import __version__
from mock_bankid.control import ops
from mock_bankid.core import routes
from mock_bankid.core.jsontools import request_body
from mock_bankid.http.web import routed
from mock_bankid.oidc.provider import home_provider, provider

bp = Blueprint("control", __name__)


def _json_body() -> dict[str, Any]:
    return request_body()


INDEX_NOTES = {
    "last_callback": " (what callback-replay recorded)",
    "token": " {persona, client_id, scope, provider}: tokens without a browser",
    "scenario": "; provider: bankid|vipps (absent: every provider of the realm)",
    "next_login": "; provider: bankid|vipps (absent: bankid)",
    "realms": "; ?realm=<name> on any call",
}
"""What the index says besides a call's methods and paths."""


def control_calls() -> dict[str, str]:
    """The JSON control API from the route table, by first path segment:
    ``{"keys": "GET /_mock/keys, POST /_mock/keys/rotate", ...}``."""
    methods: dict[str, list[str]] = {}
    for route in routes.ROUTES:
        if route.mount == "control" and route.surface == "json" and route.path != "/":
            methods.setdefault(route.under_base, []).extend(route.methods)
    calls: dict[str, list[str]] = {}
    for path, verbs in methods.items():
        name = path.split("/")[2].removesuffix(".json").replace("-", "_")
        calls.setdefault(name, []).append(f"{'|'.join(verbs)} {path}")
    return {name: ", ".join(lines) for name, lines in calls.items()}


@routed(bp, routes.CONTROL_INDEX)
def index() -> Response:
    p = provider()
    calls = {name: line + INDEX_NOTES.get(name, "") for name, line in control_calls().items()}
    return jsonify(
        {
            "mock": True,
            "warning": "mock-bankid is a MOCK of BankID for development and tests. Never use it in production.",
            "version": __version__,
            "issuer": p.issuer,
            "discovery": routes.url(routes.DISCOVERY, p.settings),
            "control": {
                **calls,
                "console": f"GET {routes.CONSOLE_HOME.under_base} and {routes.CONSOLE_INDEX.under_base}"
                           " (web pages for people: debugger, switchboard)",
            },
        }
    )


@routed(bp, routes.HEALTH)
def health() -> Response:
    return jsonify({"status": "ok", "mock": True})


@routed(bp, routes.READY)
def ready() -> tuple[Response, int]:
    p = provider()
    checks: dict[str, str] = {}
    try:
        p.store.ping()
        checks["store"] = "ok"
    except Exception as exc:  # noqa: BLE001 - readiness reports any failure, it must not raise
        checks["store"] = f"failed: {exc}"
    try:
        checks["keys"] = "ok" if p.keys.jwks()["keys"] else "failed: no published keys"
    except Exception as exc:  # noqa: BLE001
        checks["keys"] = f"failed: {exc}"
    ok = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ok" if ok else "unavailable", "checks": checks}), 200 if ok else 503


@routed(bp, routes.PERSONAS)
def personas() -> Response:
    return jsonify(ops.personas(provider()))


@routed(bp, routes.NEXT_LOGIN_PUSH)
def next_login_push() -> tuple[Response, int]:
    """Queue who signs in next: ``{"persona": "adult"}``, ``{"nnin": "..."}`` or ``{"login_hint": "age:17"}``.

    For CI whose client cannot add a login_hint. The queue is in the shared store, so the worker
    that serves the authorize request need not be the one that took this call.
    """
    return jsonify(ops.queue_next_login(provider(), _json_body())), 201


@routed(bp, routes.NEXT_LOGIN_LIST)
def next_login_list() -> Response:
    return jsonify({"queue": ops.next_login_queue(provider())})


@routed(bp, routes.NEXT_LOGIN_CLEAR)
def next_login_clear() -> tuple[str, int]:
    ops.clear_next_login(provider())
    return "", 204


@routed(bp, routes.CLOCK_GET)
def clock_get() -> Response:
    return jsonify(ops.clock_state(provider()))


@routed(bp, routes.CLOCK_SET)
def clock_set() -> Response:
    """Move every worker's clock: ``{"shift": 3600}`` sets the shift, ``{"advance": 60}`` adds to it."""
    return jsonify(ops.set_clock(provider(), _json_body()))


@routed(bp, routes.CLOCK_RESET)
def clock_reset() -> tuple[str, int]:
    ops.reset_clock(provider())
    return "", 204


@routed(bp, routes.KEYS_LIST)
def keys_list() -> Response:
    return jsonify({"keys": ops.keys(provider())})


@routed(bp, routes.KEYS_ROTATE)
def keys_rotate() -> tuple[Response, int]:
    """Rotate on the server's own clock (shift included); see ``control.ops.rotate_key``."""
    return jsonify(ops.rotate_key(provider(), _json_body())), 201


@routed(bp, routes.REALMS_LIST)
def realms_list() -> Response:
    return jsonify({"realms": ops.realms(home_provider())})


@routed(bp, routes.REALMS_CREATE)
def realms_create() -> tuple[Response, int]:
    """A realm of its own for a test or a worker: ``{"realm": "w1"}``, or nothing for a random name."""
    return jsonify(ops.create_realm(home_provider(), _json_body())), 201


@routed(bp, routes.REALMS_DELETE)
def realms_delete(name: str) -> tuple[str, int]:
    ops.delete_realm(home_provider(), name)
    return "", 204


@routed(bp, routes.MINT)
def token_mint() -> Response:
    """Tokens for a persona without the redirect dance (what ``mock-bankid token`` prints)."""
    return jsonify(ops.mint(provider(), _json_body()))
