"""Pushed authorization requests (RFC 9126): the owner of store namespace ``par``.

A client pushes its authorization parameters to the PAR endpoint and gets a ``request_uri``
(``urn:ietf:params:oauth:request_uri:<random>``) that lives ``PAR_TTL`` seconds, is bound to that
client and works once at the authorize endpoint (``take``), as RFC 9126 §2.2 and §4 describe.
Per issuer, as every namespace (``Provider.store``).
"""

from __future__ import annotations

import secrets
from typing import Any

from mock_bankid.core.errors import InvalidRequestUri
from mock_bankid.oidc.provider import Provider

PAR_NS = "par"
PAR_TTL = 90
"""Seconds a ``request_uri`` is valid: RFC 9126 §2.2 suggests 5 to 600; Keycloak's default is 60,
and a person may need a moment between the push and the browser's redirect."""
URN_PREFIX = "urn:ietf:params:oauth:request_uri:"


def push(p: Provider, client_id: str, params: dict[str, str], *, signed: bool) -> tuple[str, int]:
    """Store the pushed parameters; ``(request_uri, expires_in)``. ``signed``: they came in a request object."""
    key = secrets.token_urlsafe(32)
    p.store.put(PAR_NS, key, {"client_id": client_id, "params": params, "signed": signed}, PAR_TTL)
    return URN_PREFIX + key, PAR_TTL


def is_pushed(request_uri: str) -> bool:
    """Whether ``request_uri`` is of the kind this provider hands out (others are not fetched)."""
    return request_uri.startswith(URN_PREFIX)


def take(p: Provider, request_uri: str, client_id: str) -> dict[str, Any]:
    """The pushed request for ``client_id`` (``{"params", "signed"}``), once; else ``InvalidRequestUri``.

    Taken before the client is compared, so a request_uri presented by another client is spent too
    (a leaked one must not be retried).
    """
    key = request_uri[len(URN_PREFIX):] if is_pushed(request_uri) else ""
    record = p.store.take(PAR_NS, key) if key and len(key) <= 64 else None
    if record is None:
        raise InvalidRequestUri(
            "request_uri is unknown, expired or already used: push the request again (a request_uri from "
            f"the PAR endpoint works once, for {PAR_TTL} s, RFC 9126).", untrusted=True)
    if record.get("client_id") != client_id:
        raise InvalidRequestUri("request_uri was pushed by another client (client_id must match, RFC 9126 section 4).",
                                untrusted=True)
    return record
