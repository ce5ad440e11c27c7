"""Client authentication at the token-style endpoints (RFC 6749 §2.3, OIDC Core §9).

``authenticate_client`` finds which method the request used, checks that the client is
registered for it, and verifies the credential. Every failure is ``invalid_client``; when the
client tried HTTP Basic the 401 carries ``WWW-Authenticate: Basic`` as RFC 6749 §5.2 requires.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from flask import Request, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from mock_bankid.core.errors import InvalidClient, InvalidRequest
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.jwt_client_auth import ASSERTION_TYPE, authenticate_assertion  # noqa: F401 - re-exported
from mock_bankid.oidc.provider import Provider

SUPPORTED_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none")
"""What the token endpoint can verify; discovery advertises exactly this."""
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="mock-bankid", charset="UTF-8"'}


def _basic_credentials(req: Request) -> tuple[str, str] | None:
    header = req.headers.get("Authorization", "")
    if header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # ValueError: non-ASCII bytes in the header, or not UTF-8
        raise InvalidClient("Malformed HTTP Basic credentials.", headers=BASIC_CHALLENGE) from None
    if ":" not in decoded:
        raise InvalidClient("Malformed HTTP Basic credentials.", headers=BASIC_CHALLENGE)
    client_id, secret = decoded.split(":", 1)
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Base64.
    return unquote_plus(client_id), unquote_plus(secret)


def authenticate_client(p: Provider, req: Request) -> tuple[Client, str]:
    """Return the authenticated client and the method it used, or raise ``InvalidClient``."""
    form = req.form
    basic = _basic_credentials(req)
    methods_used = [
        name for name, used in (
            ("client_secret_basic", basic is not None),
            ("client_secret_post", "client_secret" in form),
            ("client_assertion", "client_assertion" in form),
        ) if used
    ]
    if len(methods_used) > 1:
        raise InvalidRequest("Use exactly one client authentication method (RFC 6749 section 2.3).")

    if basic is not None:
        client_id, secret = basic
        if form.get("client_id") not in (None, "", client_id):
            raise InvalidClient("client_id in the body differs from the HTTP Basic user.", headers=BASIC_CHALLENGE)
        client = _registered(p, client_id, "client_secret_basic", BASIC_CHALLENGE)
        if not client.check_secret(secret):
            raise InvalidClient("Client authentication failed: wrong client secret.", headers=BASIC_CHALLENGE)
        return client, "client_secret_basic"

    if "client_assertion" in form:
        return authenticate_assertion(p, form)

    client_id = form.get("client_id") or ""
    if not client_id:
        raise InvalidClient("No client authentication: send HTTP Basic credentials or client_id.",
                            headers=BASIC_CHALLENGE)
    if "client_secret" in form:
        client = _registered(p, client_id, "client_secret_post")
        if not client.check_secret(form["client_secret"]):
            raise InvalidClient("Client authentication failed: wrong client secret.")
        return client, "client_secret_post"
    client = _registered(p, client_id, "none")
    if not client.profile.public_clients:  # also for a client made in code, past the start-up check
        raise InvalidClient(f"Client {client_id!r} must authenticate: {p.dialect.name} has no public clients "
                            "(profile switch public_clients).", headers=BASIC_CHALLENGE)
    return client, "none"


def _registered(p: Provider, client_id: str, method: str, headers: dict | None = None) -> Client:
    client = p.clients.get(client_id)
    if client is None:
        raise InvalidClient(f"{p.clients.unknown(client_id)}.", headers=headers)
    if method not in client.auth_methods:
        allowed = ", ".join(client.auth_methods)
        raise InvalidClient(
            f"Client {client_id!r} is not registered for {method} (registered: {allowed}).", headers=headers
        )
    return client


def request_form() -> MultiDict:
    """The current request's form, or an empty one when the body cannot be read (e.g. a 413).

    For logging code that runs after the view: it must never turn an error answer into a 500.
    """
    try:
        return request.form
    except HTTPException:
        return MultiDict()


def request_client_id() -> str:
    """The client id the current request names: ``client_id`` in form or query, else the HTTP
    Basic user; ``""`` if none. Not authenticated: for logs and rate-limit keys only."""
    source = request_form() if request.method == "POST" else request.args
    value = source.get("client_id") or (request.args.get("client_id") if request.method == "POST" else None)
    if value:
        return value
    try:
        auth = request.authorization
    except Exception:  # noqa: BLE001 - a malformed header names no client
        auth = None
    if auth is not None and auth.type == "basic" and auth.username:
        return unquote_plus(auth.username)
    return ""
