"""OAuth 2.0 / OIDC errors: the one place that maps a failure to what the client sees.

Each error carries the RFC's ``error`` code, a human ``description`` and the HTTP status it gets
at the token-style endpoints. Where it is *sent* depends on where it is raised:

- token, introspection, revocation: JSON body (RFC 6749 §5.2), 401 + ``WWW-Authenticate`` for
  ``invalid_client`` when the client tried HTTP Basic;
- authorize, once the client and redirect URI are trusted: a redirect back to the client with
  ``error``, ``error_description`` and ``state`` (RFC 6749 §4.1.2.1) in the chosen response_mode;
- authorize before that point (``UntrustedRedirect``): an HTML error page, never a redirect;
- userinfo: 401 with ``WWW-Authenticate: Bearer error="invalid_token"`` (RFC 6750 §3).
"""

from __future__ import annotations


class OAuthError(Exception):
    error: str = "server_error"
    status: int = 400

    def __init__(self, description: str = "", *, status: int | None = None, headers: dict | None = None) -> None:
        super().__init__(description or self.error)
        self.description = description
        if status is not None:
            self.status = status
        self.headers = dict(headers or {})

    def as_dict(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r})"


# RFC 6749 §4.1.2.1 / §5.2
class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    error = "invalid_client"
    status = 401


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class AccessDenied(OAuthError):
    error = "access_denied"
    status = 403


class ServerError(OAuthError):
    error = "server_error"
    status = 500


class TemporarilyUnavailable(OAuthError):
    error = "temporarily_unavailable"
    status = 503


class StoreUnavailable(TemporarilyUnavailable):
    """The shared store failed (Redis down, the SQLite file unreadable, locked or gone).

    Every store backend raises this (as ``store.StoreError``) instead of its driver's error, so the
    app answers one clear ``503 temporarily_unavailable`` naming the store -- JSON at the JSON
    endpoints, a page in the browser -- instead of a ``500`` and a traceback; and service resumes by
    itself once the store is back, since nothing is cached across requests.
    """


# OIDC Core §3.1.2.6
class LoginRequired(OAuthError):
    error = "login_required"


class InteractionRequired(OAuthError):
    error = "interaction_required"


# RFC 6750 §3.1
class InvalidToken(OAuthError):
    error = "invalid_token"
    status = 401


class InsufficientScope(OAuthError):
    error = "insufficient_scope"
    status = 403


# RFC 7009 §2.2.1
class UnsupportedTokenType(OAuthError):
    error = "unsupported_token_type"


class UntrustedRedirect(Exception):
    """The client or redirect URI cannot be trusted: show an error page, never redirect.

    ``error`` is still an OAuth code (``invalid_client``, ``invalid_request``) so the page and the
    logs name the cause the way the client's developer will search for it.
    """

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


__all__ = [name for name in dir() if name[0].isupper()]
