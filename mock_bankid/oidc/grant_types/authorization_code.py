"""``authorization_code`` (RFC 6749 section 4.1.3): a code from authorize, redeemed once.

The code's rules (single use, redirect URI, PKCE, a replay revoking what the code issued) are
``codes.redeem``'s; this module reads the form and finds the code's sign-in for the ``token`` hook.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mock_bankid.core.errors import InvalidRequest
from mock_bankid.oidc import codes
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.grant_types import Form, GrantType
from mock_bankid.oidc.provider import Provider


class AuthorizationCode(GrantType):
    name = "authorization_code"

    def sign_in(self, p: Provider, form: Form) -> Mapping[str, Any] | None:
        """The code's sign-in, peeked at (not redeemed): only a code issued with a scenario is read."""
        return codes.sign_in_extra(p, form.get("code", ""))

    def handle(self, p: Provider, client: Client, form: Form) -> dict[str, Any]:
        code = form.get("code")
        if not code:
            raise InvalidRequest("code is required.")
        return codes.redeem(p, code, client, redirect_uri=form.get("redirect_uri"),
                            code_verifier=form.get("code_verifier")).body
