"""The mock's SSO session (BankID's single sign-on): start at sign-in, reuse, end at logout.

The one owner of namespace ``sso`` (key: the session id ``sid``, which the ID token carries):
the persona, ``auth_time``, ``acr``, ``amr`` and the absolute end ``expires_at`` (BankID
sessions do not slide). The browser holds the sid in the ``mock_bankid_sso`` cookie, scoped to
the issuer path.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Request
from werkzeug.wrappers import Response

from mock_bankid.oidc.provider import Provider

SSO_NS = "sso"
SSO_COOKIE = "mock_bankid_sso"

Session = dict[str, Any]
"""``{"sid", "persona", "auth_time", "acr", "amr", "expires_at"}`` as stored, plus its sid."""


def start(p: Provider, sid: str, *, persona: dict[str, Any], auth_time: int, acr: str, amr: list[str],
          expires_at: int) -> int:
    """Store (or renew the record of) session ``sid`` until ``expires_at``; returns its ttl in seconds."""
    ttl = max(1, expires_at - p.now())
    p.store.put(
        SSO_NS, sid,
        {"persona": persona, "auth_time": auth_time, "acr": acr, "amr": amr, "expires_at": expires_at},
        ttl,
    )
    return ttl


def get(p: Provider, sid: str) -> Session | None:
    session = p.store.get(SSO_NS, sid) if sid else None
    return dict(session, sid=sid) if session else None


def current(p: Provider, request: Request) -> Session | None:
    """The session named by the browser's cookie, if it is still live."""
    return get(p, request.cookies.get(SSO_COOKIE) or "")


def hinted(p: Provider, claims: dict[str, Any]) -> Session | None:
    """The live session an unexpired ID token names (its ``sid``), if it is still that person's.

    A hint for someone else never signs in whoever the cookie belongs to.
    """
    if int(claims.get("exp", 0)) <= p.now():
        return None
    session = get(p, str(claims.get("sid", "")))
    if session is None or session["persona"].get("sub") != claims.get("sub"):
        return None
    return session


def end(p: Provider, sid: str) -> None:
    if sid:
        p.store.delete(SSO_NS, sid)


def cookie_path(p: Provider) -> str:
    """The mock's cookies are scoped to the issuer path, where authorize and logout live."""
    return urlsplit(p.issuer).path or "/"


def secure_cookies(p: Provider) -> bool:
    return p.settings.base_url.startswith("https")


def set_cookie(response: Response, p: Provider, sid: str, ttl: int) -> None:
    response.set_cookie(SSO_COOKIE, sid, max_age=ttl, httponly=True, samesite="Lax",
                        secure=secure_cookies(p), path=cookie_path(p))


def delete_cookie(response: Response, p: Provider) -> None:
    response.delete_cookie(SSO_COOKIE, path=cookie_path(p))
