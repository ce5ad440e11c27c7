"""JSON documents served as precomputed bytes with an ``ETag``: discovery and the JWKS.

Both are read on every client start (and the JWKS whenever a client meets an unknown ``kid``),
and change only when the keys or the settings do. Building the document and encoding it as JSON
on every request was most of their cost; now each is encoded once per version and answered from
bytes, and a client that sends ``If-None-Match`` with the current ``ETag`` gets ``304 Not
Modified`` with no body.

The caller names the version (``KeyManager.jwks_version()`` for the JWKS: it moves on key
rotation and as keys are published or retired; a constant for discovery, which depends on the
settings only). While a scenario might act on the document (``Hooks.may_act``), the endpoints
build it afresh instead, so scenarios that change or replace it still can.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import Any, cast

from flask import Response, current_app, request

CACHE_KEY = "mock_bankid.http.cached_json"
MAX_VERSIONS = 64
"""Documents kept encoded: a discovery document per realm in use and the JWKS versions."""


def cached_json(name: str, version: Hashable, build: Callable[[], Any]) -> Response:
    """``build()`` as JSON (the app's own encoder, as ``jsonify``), encoded once per ``version``."""
    cache: dict[tuple[str, Hashable], tuple[bytes, str]] = current_app.extensions.setdefault(CACHE_KEY, {})
    found = cache.get((name, version))
    if found is None:
        encoded = cast(Response, current_app.json.response(build()))  # jsonify's own bytes
        body = encoded.get_data()
        found = (body, hashlib.sha256(body).hexdigest()[:32])
        if len(cache) >= MAX_VERSIONS:
            cache.clear()
        cache[(name, version)] = found
    body, etag = found
    response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    if request.headers.get("If-None-Match"):
        response.make_conditional(request)  # werkzeug: 304 without a body when the ETag matches
    return response
