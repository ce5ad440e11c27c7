"""JSON from untrusted input. ``json.loads`` raises ``RecursionError`` (not ``ValueError``) for
deeply nested input, which would slip past every ``except ValueError`` and become a 500."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from mock_bankid.core.errors import InvalidRequest


def loads(text: str | bytes) -> Any:
    """``json.loads`` whose every failure, too-deep nesting included, is a ``ValueError``."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def request_body(*, allow_string: bool = False) -> Any:
    """The JSON body of a control call as an object (or a string, where allowed), else form values."""
    if request.mimetype != "application/json":
        return dict(request.values.items())
    try:
        body = loads(request.get_data(cache=True))
    except ValueError:
        body = None
    if isinstance(body, dict) or (allow_string and isinstance(body, str)):
        return body
    raise InvalidRequest("The body must be a JSON object." if not allow_string
                         else 'The body must be a JSON object like {"scenario": "outage"}.')
