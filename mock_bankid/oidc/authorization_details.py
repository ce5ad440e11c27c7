"""``authorization_details`` (RFC 9396, Rich Authorization Requests): the provider-neutral part.

``parse`` reads the parameter (a JSON array of objects, each with a string ``type``, RFC 9396 §2);
what the types are and what an approved item adds to the tokens is the dialect's
(``Dialect.check_authorization_details``; BankID's in ``bankid/permissions.py``). The checked items
travel in ``Grant.extra["authorization_details"]``.
"""

from __future__ import annotations

import json
from typing import Any

from mock_bankid.core.errors import InvalidAuthorizationDetails

MAX_LENGTH = 16 * 1024
GRANT_KEY = "authorization_details"


def parse(raw: str) -> list[dict[str, Any]]:
    if len(raw) > MAX_LENGTH:
        raise InvalidAuthorizationDetails(f"authorization_details is longer than {MAX_LENGTH} characters.")
    try:
        items = json.loads(raw)
    except ValueError:
        raise InvalidAuthorizationDetails("authorization_details must be a JSON array (RFC 9396 section 2).") from None
    if not isinstance(items, list) or not items:
        raise InvalidAuthorizationDetails("authorization_details must be a non-empty JSON array (RFC 9396 section 2).")
    if not all(isinstance(item, dict) and isinstance(item.get("type"), str) for item in items):
        raise InvalidAuthorizationDetails(
            "Each authorization_details item must be an object with a string type (RFC 9396 section 2).")
    return items


def of_grant(extra: dict[str, Any]) -> list[dict[str, Any]]:
    """The approved items a grant carries (none for a plain sign-in)."""
    value = extra.get(GRANT_KEY)
    return list(value) if isinstance(value, list) else []
