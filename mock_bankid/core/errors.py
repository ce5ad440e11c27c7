"""OAuth 2.0 / OIDC errors: the one family every failure a client sees is raised as.

Each error carries the RFC's ``error`` code, a human ``description`` (kept within RFC 6749's
character set for ``error_description`` by construction), the HTTP status, extra headers, and
whether it may be sent to the client's redirect URI (``redirect``). Endpoints and scenarios
raise; ``http/web.py`` decides how it is delivered for its surface:

- JSON (RFC 6749 section 5.2) at token, introspection, revocation, userinfo and ``/_mock``; 401 +
  ``WWW-Authenticate`` for ``invalid_client`` when the client tried HTTP Basic, and
  ``Bearer error="invalid_token"`` at userinfo (RFC 6750 section 3);
- a redirect back to the client with ``error``, ``error_description``, ``state`` and ``iss``
  (RFC 6749 section 4.1.2.1) in the chosen response_mode, only from authorize once the client and
  redirect URI are trusted and only if ``redirect`` is true;
- an HTML error page otherwise at the browser endpoints (authorize, the login form, logout).
  ``untrusted`` errors (the client or redirect URI cannot be trusted) are never redirected and
  the page says why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

DESCRIPTION_CHARS = re.compile(r"[\x20-\x21\x23-\x5B\x5D-\x7E]*")
"""RFC 6749 section 5.2: ``error_description`` is %x20-21 / %x23-5B / %x5D-7E (no ``"``, no ``\\``, ASCII)."""
_SUBSTITUTES = str.maketrans({
    '"': "'", "\\": "/", "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'",
    "\u201c": "'", "\u201d": "'", "æ": "ae", "ø": "o", "å": "aa", "Æ": "AE", "Ø": "O", "Å": "AA",
    "\n": " ", "\r": " ", "\t": " ",
})


def clean_description(text: str) -> str:
    """``text`` within the RFC 6749 character set: common characters spelled out, anything else ``?``.

    Messages written in the source are already clean (a test scans them); this is for what a
    message quotes from the request or another library.
    """
    text = re.sub(r"§\s*", "section ", text).translate(_SUBSTITUTES)
    return "".join(c if DESCRIPTION_CHARS.fullmatch(c) else "?" for c in text)


class OAuthError(Exception):
    error: str = "server_error"
    status: int = 400
    redirect: bool = True
    """May this error be sent to the client's redirect URI (once the client and URI are trusted)?"""

    def __init__(self, description: str = "", *, status: int | None = None,
                 headers: Mapping[str, object] | None = None, redirect: bool | None = None,
                 untrusted: bool = False) -> None:
        description = clean_description(description)
        super().__init__(description or self.error)
        self.description = description
        if status is not None:
            self.status = status
        self.headers: dict[str, str] = {name: str(value) for name, value in (headers or {}).items()}
        self.untrusted = untrusted
        """The client or redirect URI cannot be trusted: an error page that says so, never a redirect."""
        self.redirect = (type(self).redirect if redirect is None else redirect) and not untrusted

    def as_dict(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r})"


# RFC 6749 section 4.1.2.1 / 5.2
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


# OIDC Core §3.1.2.6. Only ``login_required``: the mock's one page is the sign-in (no consent
# screen, account chooser or required actions), so whenever prompt=none cannot be answered
# without a page it is because the user must authenticate, the case login_required names.
class LoginRequired(OAuthError):
    error = "login_required"


class MethodNotAllowed(OAuthError):
    """The HTTP method is not one the endpoint takes (``Allow`` names the ones it does)."""

    error = "invalid_request"
    status = 405


class RequestNotSupported(OAuthError):
    error = "request_not_supported"


class RequestUriNotSupported(OAuthError):
    error = "request_uri_not_supported"


# RFC 6750 §3.1
class InvalidRequestUri(OAuthError):
    """RFC 9126 §4 / RFC 9101 §7: a ``request_uri`` that is unknown, used, expired or another client's."""

    error = "invalid_request_uri"


class InvalidRequestObject(OAuthError):
    """RFC 9101 §7: a ``request`` object that does not verify or whose claims are wrong."""

    error = "invalid_request_object"


class InvalidAuthorizationDetails(OAuthError):
    """RFC 9396 §5: ``authorization_details`` malformed, of an unknown type, or where it is not accepted."""

    error = "invalid_authorization_details"


class InvalidToken(OAuthError):
    error = "invalid_token"
    status = 401


class InsufficientScope(OAuthError):
    """The token is valid but not for this resource; ``scope`` names what it needs (the challenge's
    ``scope`` attribute)."""

    error = "insufficient_scope"
    status = 403

    def __init__(self, description: str = "", *, scope: str = "", status: int | None = None,
                 headers: Mapping[str, object] | None = None) -> None:
        super().__init__(description, status=status, headers=headers)
        self.scope = scope


# RFC 7009 §2.2.1
class UnsupportedTokenType(OAuthError):
    error = "unsupported_token_type"


# The mock's own, for pages only (BankID shows a page when its login session runs out)
class SessionExpired(OAuthError):
    error = "session_expired"
    redirect = False


__all__ = [name for name in dir() if name[0].isupper()]


class UnknownRealm(OAuthError):
    """A path names no realm this server can serve (its name breaks the realm rule): 404, a page
    in the browser and JSON elsewhere, never a redirect (nothing about the request is trusted)."""

    error = "not_found"
    status = 404
    redirect = False
