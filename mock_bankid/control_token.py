"""May this request change the mock's state? The control token for ``/_mock`` when bound publicly.

Interface agreed with the hardening work (issue 12): ``control_token_ok(request) -> bool``, true
when no token is needed (bound to loopback, or no ``control_token`` configured) or when the
request carries it as ``Authorization: Bearer <token>`` or in the ``mock_bankid_control`` cookie
(which the web console's token form sets). This is the console's placeholder for that module:
the hardening branch owns the real one, with the setting and its documentation.
"""

from __future__ import annotations

import hmac

from flask import Request

from mock_bankid.provider import provider
from mock_bankid.settings import is_loopback

COOKIE = "mock_bankid_control"


def control_token_required() -> bool:
    settings = provider().settings
    return bool(getattr(settings, "control_token", "")) and not is_loopback(settings.host)


def control_token_ok(request: Request) -> bool:
    if not control_token_required():
        return True
    expected = str(getattr(provider().settings, "control_token", "")).encode()
    scheme, _, credentials = (request.headers.get("Authorization") or "").partition(" ")
    given = credentials.strip() if scheme.lower() == "bearer" else request.cookies.get(COOKIE, "")
    return bool(given) and hmac.compare_digest(given.encode(), expected)
