"""The control token: who may change the mock's state under ``/_mock`` once it is reachable by others.

On loopback (the default) the control surface is open: only the developer's own machine reaches
it, and CI scripts should not need a secret to queue a persona. Bound to any other address
(``--allow-public-bind``, e.g. in a container), every request that changes state under ``/_mock``
(anything but GET/HEAD/OPTIONS) must carry ``MOCK_BANKID_CONTROL_TOKEN``, either as
``Authorization: Bearer <token>`` (scripts, ``mock-bankid scenario set``) or as the cookie
``mock_bankid_control`` (a browser console). Unset, ``serve`` generates one and prints it in the
start-up banner: a mock-only secret, so printing it is fine; it never reaches the request log.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Flask, Request, request

from mock_bankid.core.errors import InvalidToken
from mock_bankid.core.settings import Settings, is_loopback
from mock_bankid.oidc.provider import provider

ENV_NAME = "MOCK_BANKID_CONTROL_TOKEN"
CONTROL_COOKIE = "mock_bankid_control"
COOKIE = CONTROL_COOKIE  # the name the web console imports
TOKEN_FORM_ENDPOINT = "console.control_token_form"  # noqa: S105 - an endpoint name, not a secret
"""The console's form that stores the token in the cookie: it must be reachable without the token
(it is how a browser gets one). Exempt by endpoint, so no other path under it is."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mock-bankid-control"'}


def control_token_required(settings: Settings) -> bool:
    """A token is needed exactly when the server is bound to a non-loopback address."""
    return not is_loopback(settings.host)


def ensure_control_token(settings: Settings) -> Settings:
    """``settings`` with a generated control token when one is required and none was given."""
    if control_token_required(settings) and not settings.control_token:
        return settings.with_(control_token=secrets.token_urlsafe(24))
    return settings


def presented_token(request: Request) -> str:
    """The token a request carries: a Bearer ``Authorization`` header, else the control cookie."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.cookies.get(CONTROL_COOKIE, "")


def control_token_ok(request: Request) -> bool:
    """May this request change the mock's state? True on loopback; elsewhere only with the token."""
    settings = provider().settings
    if not control_token_required(settings):
        return True
    expected = settings.control_token
    given = presented_token(request)
    return bool(expected) and hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


def init_app(app: Flask, settings: Settings) -> None:
    """Refuse state changes under ``{base}/_mock`` without the token (when one is required)."""
    if not control_token_required(settings):
        return
    mock_path = urlsplit(settings.mock_base).path.rstrip("/")

    @app.before_request
    def _require_control_token() -> None:
        path = request.path.rstrip("/")
        if request.method in SAFE_METHODS or not (path == mock_path or path.startswith(mock_path + "/")):
            return
        if request.endpoint == TOKEN_FORM_ENDPOINT:
            return
        if not control_token_ok(request):
            raise InvalidToken(
                f"This mock is bound to {settings.host}, so changes under /_mock need the control token: "
                f"send 'Authorization: Bearer <token>' with {ENV_NAME} (printed in the start-up banner).",
                headers=CHALLENGE,
            )
