"""BankID's payment approval through Rich Authorization Requests (RFC 9396).

BankID accepts ``authorization_details`` only in a pushed authorization request: a JSON array with
one item ``{"type": "payment.v1", "permission": "<base64url permission statement>"}``. The ID token
then carries ``permission_digest``, the SHA-256 of the statement shown in base64, and the access
token ``authorization_details``: the request's items, each with its ``permission_digest``
(developer.bankid.no, advanced-topics/authorization-details; docs/fidelity.md).

Inferences the sources leave open, each one place here:

- the digest is taken over the statement's bytes (the base64url-decoded ``permission``), in
  standard base64 with padding, as BankID's example ``x4Fz...0k=`` shows;
- ``payment.v1`` is the only type accepted: BankID says the Permissions API's types (payments,
  cards, accounts) but names only ``payment.v1``;
- the statement is a JSON object; the login page shows its ``amount``/``currency`` and its text
  (``text``, else ``description``, ``message`` or ``creditor``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

from mock_bankid.core.errors import InvalidAuthorizationDetails

TYPES = ("payment.v1",)
MAX_ITEMS = 1
"""BankID: "one item"."""
MAX_PERMISSION = 8192
BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
TEXT_FIELDS = ("text", "description", "message", "creditor")


def statement_bytes(permission: str) -> bytes:
    return base64.urlsafe_b64decode(permission + "=" * (-len(permission.rstrip("=")) % 4))


def digest(statement: bytes) -> str:
    """``permission_digest``: SHA-256 of the statement, base64 (as BankID shows it)."""
    return base64.b64encode(hashlib.sha256(statement).digest()).decode("ascii")


def check(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items with ``permission_digest`` added; ``InvalidAuthorizationDetails`` if BankID would refuse them."""
    if len(items) > MAX_ITEMS:
        raise InvalidAuthorizationDetails("BankID takes one authorization_details item (one permission statement).")
    checked = []
    for item in items:
        if item.get("type") not in TYPES:
            raise InvalidAuthorizationDetails(
                f"authorization_details type {item.get('type')!r} is not supported: use {', '.join(TYPES)}.")
        permission = item.get("permission")
        if not isinstance(permission, str) or not permission or len(permission) > MAX_PERMISSION \
                or not BASE64URL.match(permission):
            raise InvalidAuthorizationDetails(
                "authorization_details permission must be the base64url-encoded permission statement.")
        try:
            statement = statement_bytes(permission)
            parsed = json.loads(statement.decode("utf-8"))
        except (binascii.Error, ValueError):
            raise InvalidAuthorizationDetails(
                "authorization_details permission must be a base64url-encoded JSON statement.") from None
        if not isinstance(parsed, dict):
            raise InvalidAuthorizationDetails("The permission statement must be a JSON object.")
        checked.append({**item, "permission_digest": digest(statement)})
    return checked


def describe(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    """What the login page shows for each statement: its type, amount and text."""
    shown = []
    for item in items:
        try:
            statement = json.loads(statement_bytes(str(item.get("permission", ""))).decode("utf-8"))
        except (binascii.Error, ValueError):
            statement = {}
        if not isinstance(statement, dict):
            statement = {}
        amount = statement.get("amount")
        if isinstance(amount, dict):  # {"value": "100.00", "currency": "NOK"}
            amount = f"{amount.get('value', '')} {amount.get('currency', '')}".strip()
        elif amount is not None:
            amount = f"{amount} {statement.get('currency', '')}".strip()
        text = next((str(statement[f]) for f in TEXT_FIELDS if statement.get(f)), "")
        shown.append({"type": str(item.get("type", "")), "amount": str(amount or ""), "text": text,
                      "statement": json.dumps(statement, ensure_ascii=False, indent=1)[:2000]})
    return shown


def id_token_claims(details: list[dict[str, Any]]) -> dict[str, Any]:
    """``permission_digest`` of the (one) statement approved."""
    return {"permission_digest": details[0]["permission_digest"]} if details else {}


def access_token_claims(details: list[dict[str, Any]]) -> dict[str, Any]:
    return {"authorization_details": [dict(item) for item in details]} if details else {}
