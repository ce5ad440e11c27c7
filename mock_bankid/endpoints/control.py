"""The mock's own control surface under ``{base}/_mock``: health, next-login queue, clock, personas.

Nothing here exists at real BankID. It is for CI and QA, who drive the mock over HTTP.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from mock_bankid import __version__
from mock_bankid.control import ops
from mock_bankid.core.jsontools import request_body
from mock_bankid.oidc.provider import home_provider, provider

bp = Blueprint("control", __name__)


def _json_body() -> dict[str, Any]:
    return request_body()


@bp.route("/", methods=["GET"])
def index() -> Response:
    p = provider()
    return jsonify(
        {
            "mock": True,
            "warning": "mock-bankid is a MOCK of BankID for development and tests. Never use it in production.",
            "version": __version__,
            "issuer": p.issuer,
            "discovery": f"{p.issuer}/.well-known/openid-configuration",
            "control": {
                "health": "GET /_mock/health",
                "ready": "GET /_mock/ready",
                "personas": "GET /_mock/personas",
                "next_login": "POST|GET|DELETE /_mock/next-login",
                "clock": "GET|PUT|DELETE /_mock/clock",
                "keys": "GET /_mock/keys, POST /_mock/keys/rotate",
                "scenario": "GET|PUT|DELETE /_mock/scenario",
                "scenarios": "GET /_mock/scenarios",
                "requests": "GET|DELETE /_mock/requests",
                "last_callback": "GET /_mock/last-callback (what callback-replay recorded)",
                "token": "POST /_mock/token {persona, client_id, scope}: tokens without a browser",
                "realms": "GET|POST /_mock/realms, DELETE /_mock/realms/<name>; ?realm=<name> on any call",
                "openapi": "GET /_mock/openapi.json",
                "console": "GET / and /_mock/console/ (web pages for people: debugger, switchboard)",
            },
        }
    )


@bp.route("/health", methods=["GET"])
def health() -> Response:
    return jsonify({"status": "ok", "mock": True})


@bp.route("/ready", methods=["GET"])
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


@bp.route("/personas", methods=["GET"])
def personas() -> Response:
    return jsonify(ops.personas(provider()))


@bp.route("/next-login", methods=["POST"])
def next_login_push() -> tuple[Response, int]:
    """Queue who signs in next: ``{"persona": "adult"}``, ``{"nnin": "..."}`` or ``{"login_hint": "age:17"}``.

    For CI whose client cannot add a login_hint. The queue is in the shared store, so the worker
    that serves the authorize request need not be the one that took this call.
    """
    return jsonify(ops.queue_next_login(provider(), _json_body())), 201


@bp.route("/next-login", methods=["GET"])
def next_login_list() -> Response:
    return jsonify({"queue": ops.next_login_queue(provider())})


@bp.route("/next-login", methods=["DELETE"])
def next_login_clear() -> tuple[str, int]:
    ops.clear_next_login(provider())
    return "", 204


@bp.route("/clock", methods=["GET"])
def clock_get() -> Response:
    return jsonify(ops.clock_state(provider()))


@bp.route("/clock", methods=["PUT", "POST"])
def clock_set() -> Response:
    """Move every worker's clock: ``{"shift": 3600}`` sets the shift, ``{"advance": 60}`` adds to it."""
    return jsonify(ops.set_clock(provider(), _json_body()))


@bp.route("/clock", methods=["DELETE"])
def clock_reset() -> tuple[str, int]:
    ops.reset_clock(provider())
    return "", 204


@bp.route("/keys", methods=["GET"])
def keys_list() -> Response:
    return jsonify({"keys": ops.keys(provider())})


@bp.route("/keys/rotate", methods=["POST"])
def keys_rotate() -> tuple[Response, int]:
    """Rotate on the server's own clock (shift included); see ``control_ops.rotate_key``."""
    return jsonify(ops.rotate_key(provider(), _json_body())), 201


@bp.route("/realms", methods=["GET"])
def realms_list() -> Response:
    return jsonify({"realms": ops.realms(home_provider())})


@bp.route("/realms", methods=["POST"])
def realms_create() -> tuple[Response, int]:
    """A realm of its own for a test or a worker: ``{"realm": "w1"}``, or nothing for a random name."""
    return jsonify(ops.create_realm(home_provider(), _json_body())), 201


@bp.route("/realms/<name>", methods=["DELETE"])
def realms_delete(name: str) -> tuple[str, int]:
    ops.delete_realm(home_provider(), name)
    return "", 204


@bp.route("/token", methods=["POST"])
def token_mint() -> Response:
    """Tokens for a persona without the redirect dance (what ``mock-bankid token`` prints)."""
    return jsonify(ops.mint(provider(), _json_body()))
