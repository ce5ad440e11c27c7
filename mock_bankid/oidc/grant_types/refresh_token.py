"""``refresh_token`` (RFC 6749 section 6) with rotation: the old token is spent, a replayed one
revokes its whole family.

The token's lifecycle (store, rotation, reuse detection) is ``oidc/refresh.py``'s; this module
reads the form and narrows the scope. The new ID token keeps ``sub``, ``sid``, ``acr``, ``amr`` and
``auth_time`` and gets a new ``iat``/``exp`` (BankID resets ``iat`` on refresh); it has no
``nonce`` (OIDC Core section 12.2).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mock_bankid.core.errors import InvalidRequest, InvalidScope
from mock_bankid.oidc import refresh
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.grant_types import Form, GrantType
from mock_bankid.oidc.grants import parse_scopes
from mock_bankid.oidc.provider import Provider


class RefreshToken(GrantType):
    name = "refresh_token"

    def handle(self, p: Provider, client: Client, form: Form) -> dict[str, Any]:
        token = form.get("refresh_token")
        if not token:
            raise InvalidRequest("refresh_token is required.")
        grant, family = refresh.redeem(p, client, token)
        token_grant = grant
        requested = form.get("scope")
        if requested is not None:
            scope = parse_scopes(requested)
            extra = [s for s in scope if s not in grant.scope]
            if extra:
                raise InvalidScope(f"Scope not granted originally: {' '.join(extra)} (RFC 6749 section 6).")
            token_grant = dataclasses.replace(grant, scope=scope)
        token_grant = dataclasses.replace(token_grant, nonce=None)
        return refresh.issue_with_refresh(p, client, grant, token_grant=token_grant, family=family).body
