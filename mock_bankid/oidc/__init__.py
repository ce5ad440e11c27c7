"""The OpenID Connect machinery: clients and their authentication, codes, sessions, tokens, refresh,
and the token endpoint's grant types (``grant_types/``).

The built-in grant types are registered here: Python runs this before any module of the package,
so the registry is complete before clients.toml is read (its ``grant_types`` are checked against it).
"""

from mock_bankid.oidc.grant_types import GrantType, register
from mock_bankid.oidc.grant_types.authorization_code import AuthorizationCode
from mock_bankid.oidc.grant_types.client_credentials import ClientCredentials
from mock_bankid.oidc.grant_types.refresh_token import RefreshToken

BUILT_IN: tuple[GrantType, ...] = (AuthorizationCode(), RefreshToken(), ClientCredentials())
"""The grant types the token endpoint answers (``oidc/grant_types/__init__.py``: adding one)."""

for _grant_type in BUILT_IN:
    register(_grant_type)
