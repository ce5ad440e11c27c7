"""Authorize endpoint (``{issuer}/precheck/auth``, GET and POST) and the login page behind it.

- ``request``: the parsed ``AuthorizationRequest``;
- ``checks``: the client and redirect URI first (until both pass, an error page, never a
  redirect), then ``CHECKS`` in order, each raising a typed error;
- ``subject``: who signs in, and the sign-in (code, SSO session, the answer to the client);
- ``login``: the login page and its form;
- ``views``: the blueprint and its two routes.
"""

from mock_bankid.endpoints.authorize.views import bp

__all__ = ["bp"]
