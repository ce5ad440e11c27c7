"""``GET {base}/_mock/openapi.json``: the OpenAPI 3.1 description of the whole HTTP surface.

The description is a file shipped in the package (``mock_bankid/openapi.json``), written for the
default configuration (no base path, ``http://localhost:8080``; the realm a path parameter). Served, it
names the running mock instead: its base URL as the server, and the
back-channel and userinfo hosts for the operations served there, so a client generator or a
fuzzer pointed at ``/_mock/openapi.json`` reaches this mock; the token request's ``grant_type``
enum is the registered grant types (``oidc/grant_types``). ``tests/test_openapi.py`` validates
the file, checks that every route of ``create_app()`` is in it (and nothing else is) and that the
file's ``grant_type`` enum names the built-in grant types.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify

from mock_bankid import __version__
from mock_bankid.core import routes
from mock_bankid.core.settings import Settings
from mock_bankid.http.web import routed
from mock_bankid.oidc import grant_types
from mock_bankid.oidc.provider import provider

bp = Blueprint("openapi", __name__)

DESCRIPTION_FILE = Path(__file__).resolve().parent.parent / "openapi.json"
HOSTS = {"back": "The back-channel host (what servers reach).", "userinfo": "The userinfo host."}
"""A route's channel -> how the served copy describes its own server, when that is not the base URL."""
GRANTS_OPERATION = "token"  # the operationId whose form has grant_type


def openapi_path(rule: str) -> str:
    """Flask's ``/x/<path:name>`` is OpenAPI's ``/x/{name}``."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


@cache
def packaged_description() -> dict[str, Any]:
    """The shipped file, parsed once (callers get copies)."""
    loaded: dict[str, Any] = json.loads(DESCRIPTION_FILE.read_text(encoding="utf-8"))
    return loaded


def description_for(settings: Settings) -> dict[str, Any]:
    """The shipped description with this configuration's server URLs, realm and version."""
    doc = copy.deepcopy(packaged_description())
    doc["info"]["version"] = __version__
    base = settings.base_url.rstrip("/")
    doc["servers"] = [{"url": base, "description": "This mock (MOCK - not BankID, not for production)."}]
    doc["components"]["parameters"]["Realm"]["schema"]["default"] = settings.realm
    described: dict[str, tuple[routes.Route, routes.Channel]] = {
        openapi_path(under_base(r, provider, in_realm)): (r, channel_of(r, provider))
        for r in routes.ROUTES for _name, provider, in_realm in r.endpoints()}
    paths: dict[str, Any] = {}
    for path, item in doc["paths"].items():
        found = described.get(path)
        channel: routes.Channel = found[1] if found is not None else "front"
        host = routes.channel_base(channel, settings) if found is not None else base
        if found is not None and host != base and channel in HOSTS:
            item["servers"] = [{"url": host, "description": HOSTS[channel]}]
        operation_ids = {op.get("operationId") for op in item.values() if isinstance(op, dict)}
        if GRANTS_OPERATION in operation_ids:
            grant_type_schema(item)["enum"] = list(grant_types.names())
        paths[path] = item
    doc["paths"] = paths
    return doc


def under_base(route: routes.Route, provider: str, in_realm: bool = False) -> str:
    """The route's path under the base URL as ``provider`` serves it (the realm a variable)."""
    return (routes.mount_path(route.mount, routes.REALM_VARIABLE, provider, in_realm)
            + (route.path_for(provider) or ""))


def channel_of(route: routes.Route, provider: str) -> routes.Channel:
    """Vipps's userinfo API is on its API host (the back channel), not on BankID's TINFO host."""
    return "back" if route.channel == "userinfo" and provider != routes.HOME_PROVIDER else route.channel


def grant_type_schema(path_item: dict[str, Any]) -> dict[str, Any]:
    """The token request's ``grant_type`` property in the token endpoint's path item."""
    form = path_item["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    found: dict[str, Any] = form["schema"]["properties"]["grant_type"]
    return found


@routed(bp, routes.OPENAPI)
def openapi() -> Response:
    return jsonify(description_for(provider().settings))
