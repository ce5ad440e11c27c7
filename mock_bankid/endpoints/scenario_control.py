"""Scenario control under ``{base}/_mock``: switch scenarios, list them, read the request log.

``PUT /_mock/scenario`` (JSON like ``{"scenario": "outage", "for_seconds": 30}``; ``"provider":
"bankid"`` or ``"vipps"`` for one provider, else every one), ``GET`` to see what is on, ``DELETE``
to clear (``?provider=`` for one); ``GET /_mock/scenarios`` the catalogue; ``GET|DELETE
/_mock/requests`` the request log; ``GET /_mock/last-callback`` the callback ``callback-replay``
recorded, for a second delivery. All state is in the shared store, so every worker obeys it.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from mock_bankid.control import ops
from mock_bankid.core import routes
from mock_bankid.core.jsontools import request_body
from mock_bankid.http.web import routed
from mock_bankid.oidc.provider import provider
from mock_bankid.scenarios import callbacks, engine

bp = Blueprint("scenario_control", __name__)


@routed(bp, routes.SCENARIOS)
def catalogue() -> Response:
    return jsonify({"scenarios": engine().catalogue()})


@routed(bp, routes.SCENARIO_GET)
def scenario_get() -> Response:
    return jsonify(ops.scenario_state(provider(), request.args.get("provider")))


@routed(bp, routes.SCENARIO_SET)
def scenario_set() -> tuple[Response, int]:
    """Switch one scenario on for the whole server (it replaces any other): for the body's
    ``provider`` (or ``?provider=``), else for every provider it is offered for."""
    return jsonify(ops.set_scenario(provider(), request_body(allow_string=True), request.args.get("provider"))), 200


@routed(bp, routes.SCENARIO_CLEAR)
def scenario_clear() -> tuple[str, int]:
    ops.clear_scenario(provider(), request.args.get("provider"))
    return "", 204


@routed(bp, routes.REQUESTS_GET)
def requests_get() -> Response:
    return jsonify({"requests": ops.recent_requests(provider(), request.args.get("path"))})


@routed(bp, routes.REQUESTS_CLEAR)
def requests_clear() -> tuple[str, int]:
    ops.clear_requests(provider())
    return "", 204


@routed(bp, routes.LAST_CALLBACK)
def last_callback() -> tuple[Response, int]:
    """The callback the ``callback-replay`` scenario recorded (``?client_id=`` for one client's)."""
    client_id = request.args.get("client_id")
    record = callbacks.last(provider(), client_id)
    if record is None:
        return jsonify({"error": "not_found", "error_description":
                                  "No callback recorded: switch on callback-replay and sign in first."}), 404
    return jsonify(record), 200
