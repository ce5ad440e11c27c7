"""``client_credentials`` (RFC 6749 section 4.4): an access token about the client itself
(``sub`` = client id), no ID token, for a confidential client only.

Identity scopes (``openid``, ``profile``, ...) are dropped (RFC 6749 section 3.3 lets the server
narrow the scope; BankID's own examples send ``openid`` here); scopes the client is not
registered for are ``invalid_scope`` (``grants.client_credentials_scopes``).
"""

from __future__ import annotations

from typing import Any

from mock_bankid.core.errors import UnauthorizedClient
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.grant_types import Form, GrantType
from mock_bankid.oidc.grants import client_credentials_scopes, client_grant
from mock_bankid.oidc.provider import Provider
from mock_bankid.oidc.tokens import issue_tokens


class ClientCredentials(GrantType):
    name = "client_credentials"

    def handle(self, p: Provider, client: Client, form: Form) -> dict[str, Any]:
        if client.is_public:
            raise UnauthorizedClient("client_credentials needs a confidential client (RFC 6749 section 4.4).")
        scope = client_credentials_scopes(client, form.get("scope"))
        return issue_tokens(p, client, client_grant(client, scope, p.now()), id_token=False).body
