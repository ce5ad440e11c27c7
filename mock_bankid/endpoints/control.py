"""The mock's own control surface under ``{base}/_mock``: health, next-login queue, clock, personas.

Nothing here exists at real BankID. It is for CI and QA, who drive the mock over HTTP.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Response, g, jsonify

from mock_bankid import __version__, login_queue
from mock_bankid.clock import Clock
from mock_bankid.errors import InvalidRequest
from mock_bankid.jsontools import request_body
from mock_bankid.numbers import json_number
from mock_bankid.personas import Persona, PersonaError
from mock_bankid.provider import CLOCK_NS, Provider, provider
from mock_bankid.scenarios import engine

bp = Blueprint("control", __name__)

MAX_CLOCK_SHIFT = 100 * 366 * 86400
CLOCK_SHIFT_TTL = 2 * MAX_CLOCK_SHIFT + 10 * 365 * 86400
"""The store judges the shift's own expiry on the clock it shifts: written under one shift and read
under another (or under none, while the shift itself is read), it must outlive the largest
difference, 2 x 100 years. With 10 years only, a shift of more than 10 years back was forgotten at
the next request."""
SELECTOR_FIELDS = ("persona", "nnin", "login_hint", "selector")


def _json_body() -> dict[str, Any]:
    return request_body()


SUMMARY_FIELDS = ("id", "name", "nnin", "kind", "group", "age", "birthdate", "purpose", "sub", "scenario")


def persona_summary(persona: Persona, today: Any) -> dict[str, Any]:
    full = persona.as_dict(today)
    return {name: full[name] for name in SUMMARY_FIELDS}


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
                "last_callback": "GET /_mock/last-callback",
                "openapi": "GET /_mock/openapi.json",
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
    p = provider()
    today = p.today()
    return jsonify({"today": today.isoformat(), "personas": [persona_summary(x, today) for x in p.personas.all(today)]})


@bp.route("/next-login", methods=["POST"])
def next_login_push() -> tuple[Response, int]:
    """Queue who signs in next: ``{"persona": "adult"}``, ``{"nnin": "..."}`` or ``{"login_hint": "age:17"}``.

    For CI whose client cannot add a login_hint. The queue is in the shared store, so the worker
    that serves the authorize request need not be the one that took this call.
    """
    p = provider()
    body = _json_body()
    given = [f for f in SELECTOR_FIELDS if body.get(f)]
    if len(given) != 1:
        raise InvalidRequest(f"Send exactly one of {', '.join(SELECTOR_FIELDS)}.")
    selector = str(body[given[0]])
    if given[0] == "nnin":
        selector = f"nnin:{selector}"
    try:
        persona = p.personas.require(selector, p.today())
    except PersonaError as exc:
        raise InvalidRequest(str(exc)) from None
    scenario = body.get("scenario") or None
    if scenario is not None:
        try:
            definition, _params, _activation = engine().parse(scenario)
        except ValueError as exc:
            raise InvalidRequest(f"scenario: {exc}") from None
        if not definition.sign_in_points:
            raise InvalidRequest(f"scenario {definition.name!r} acts on the whole server: PUT /_mock/scenario instead.")
    entry = login_queue.push(p, selector, scenario)
    return jsonify({"queued": entry, "persona": persona_summary(persona, p.today())}), 201


@bp.route("/next-login", methods=["GET"])
def next_login_list() -> Response:
    p = provider()
    return jsonify({"queue": login_queue.entries(p)})


@bp.route("/next-login", methods=["DELETE"])
def next_login_clear() -> tuple[str, int]:
    login_queue.clear(provider())
    return "", 204


@bp.route("/clock", methods=["GET"])
def clock_get() -> Response:
    p = provider()
    entry = p.store.get(CLOCK_NS, "shift")
    return jsonify({"now": p.now(), "shift": float(entry["seconds"]) if entry else 0.0,
                    "offset": p.settings.clock_offset, "today": p.today().isoformat()})


@bp.route("/clock", methods=["PUT", "POST"])
def clock_set() -> Response:
    """Move every worker's clock: ``{"shift": 3600}`` sets the shift, ``{"advance": 60}`` adds to it."""
    p = provider()
    body = _json_body()
    current = p.store.get(CLOCK_NS, "shift")
    if "shift" not in body and "advance" not in body:
        raise InvalidRequest("Send a JSON object with shift or advance, in seconds.")
    name = "shift" if "shift" in body else "advance"
    try:
        # Parsed with bounds before any arithmetic: a 400-digit number is out of range, not an OverflowError.
        seconds = json_number(body[name], minimum=-2 * MAX_CLOCK_SHIFT, maximum=2 * MAX_CLOCK_SHIFT)
    except ValueError:
        raise InvalidRequest(
            f"{name} must be a number of seconds, at most {MAX_CLOCK_SHIFT} (100 years) either way."
        ) from None
    if name == "advance":
        seconds += float(current["seconds"]) if current else 0.0
    if not math.isfinite(seconds) or abs(seconds) > MAX_CLOCK_SHIFT:
        # Beyond this every date computation overflows (and NaN poisons them): refuse instead of breaking the mock.
        raise InvalidRequest(f"The clock can move at most {MAX_CLOCK_SHIFT} seconds (100 years) either way.")
    _check_personas_on(p, seconds)
    p.store.put(CLOCK_NS, "shift", {"seconds": seconds}, CLOCK_SHIFT_TTL)
    g.pop("mock_bankid_clock_shift", None)  # the answer shows the new time, not this request's cached one
    return clock_get()


def _check_personas_on(p: Provider, shift: float) -> None:
    """Refuse a date the fixture personas cannot exist on (found by schemathesis).

    A fødselsnummer encodes birth years 1854-2039 only, so a minor persona has no number after
    2039 + its age, and a centenarian none before 1954: the clock moved there made every page
    that lists personas a 500. Checked before the move, so the mock is never left in that state.
    """
    today = Clock(offset=p.clock.offset + shift).oslo_today()
    try:
        p.personas.all(today)
    except PersonaError as exc:
        raise InvalidRequest(f"The clock cannot move to {today.isoformat()}: {exc}.") from None


@bp.route("/clock", methods=["DELETE"])
def clock_reset() -> tuple[str, int]:
    provider().store.delete(CLOCK_NS, "shift")
    return "", 204


@bp.route("/keys", methods=["GET"])
def keys_list() -> Response:
    return jsonify({"keys": provider().keys.list_keys()})


@bp.route("/keys/rotate", methods=["POST"])
def keys_rotate() -> tuple[Response, int]:
    """Rotate on the server's own clock (shift included), unlike ``mock-bankid keys rotate``,
    which runs in another process and knows only the wall clock and the start offset."""
    p = provider()
    body = _json_body()
    alg = str(body.get("alg") or "RS256")
    try:
        given = body.get("activate_after")
        activate_after = None if given in (None, "") else json_number(given, minimum=0, maximum=86400)
    except ValueError:
        raise InvalidRequest("activate_after must be a number of seconds from 0 to 86400.") from None
    try:
        kid = p.keys.rotate(alg, activate_after=activate_after)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    return jsonify({"kid": kid, "keys": p.keys.list_keys()}), 201
