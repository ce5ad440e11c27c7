"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at ``{issuer}/protocol/openid-connect/logout``.

GET or POST (form). Ends the mock's SSO session (the ``mock_bankid_sso`` cookie's, and the ``sid``
of ``id_token_hint``), then either redirects to ``post_logout_redirect_uri`` with ``state`` or
shows a small "signed out" page.

- ``id_token_hint``: must be an ID token signed by one of our published keys for this issuer; an
  expired one is fine (§2: the OP SHOULD accept it). Its ``aud`` names the client.
- ``client_id``: names the client; if both are sent they must agree.
- ``post_logout_redirect_uri``: needs a client, and must be registered for it
  (``post_logout_redirect_uris`` in fixtures/clients.toml, matched like redirect URIs); otherwise an
  error page, never a redirect.

Refresh tokens are offline tokens (``offline_access``) and survive logout; revoke them at the
revocation endpoint.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, make_response, redirect, request
from werkzeug.wrappers import Response

from mock_bankid.core import routes
from mock_bankid.core.errors import InvalidClient, InvalidRequest, OAuthError
from mock_bankid.core.i18n import pick_locale
from mock_bankid.http.web import error_page, render_page, routed
from mock_bankid.oidc import sessions
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.provider import Provider, provider
from mock_bankid.oidc.tokens import read_id_token_hint

bp = Blueprint("logout", __name__)


@routed(bp, routes.LOGOUT)
def logout() -> Response:
    p = provider()
    params = request.form if request.method == "POST" else request.args
    locale = pick_locale(params.get("ui_locales"))
    try:
        hint = _read_hint(p, params.get("id_token_hint") or None)
        client = _client(p, params.get("client_id") or None, hint)
        target = params.get("post_logout_redirect_uri") or None
        if target is not None:
            if client is None:
                raise InvalidRequest("post_logout_redirect_uri needs client_id or id_token_hint to know the client.",
                                     untrusted=True)
            if not client.post_logout_uri_allowed(target):
                raise InvalidRequest(
                    f"post_logout_redirect_uri {target!r} is not registered for client {client.client_id!r} "
                    "(post_logout_redirect_uris in fixtures/clients.toml).",
                    untrusted=True,
                )
    except OAuthError as exc:  # logout answers a browser: a page, never a redirect to an unchecked URI
        return error_page(exc, locale)

    ended = {request.cookies.get(sessions.SSO_COOKIE), (hint or {}).get("sid")}
    for sid in ended - {None, ""}:
        sessions.end(p, str(sid))
    if target is not None:
        query: dict[str, str] = {}
        if params.get("state"):
            query["state"] = params["state"]
        separator = "&" if "?" in target else "?"
        response = redirect(target + (separator + urlencode(query) if query else ""), code=302)
    else:
        html = render_page("logged_out.html", locale, client_name=client.display_name if client else "")
        response = make_response(html, 200)
    sessions.delete_cookie(response, p)
    return response


def _read_hint(p: Provider, hint: str | None) -> dict[str, Any] | None:
    if hint is None:
        return None
    try:
        return read_id_token_hint(p, hint)
    except InvalidRequest as exc:
        raise InvalidRequest(exc.description, untrusted=True) from None


def _client(p: Provider, client_id: str | None, hint: dict[str, Any] | None) -> Client | None:
    hinted = None
    if hint is not None:
        aud = hint.get("aud")
        hinted = aud[0] if isinstance(aud, list) and len(aud) == 1 else aud
    if client_id and hinted and client_id != hinted:
        raise InvalidRequest(f"client_id {client_id!r} is not the audience of id_token_hint ({hinted!r}).",
                             untrusted=True)
    chosen = client_id or hinted
    if not chosen:
        return None
    client = p.clients.get(str(chosen))
    if client is None:
        raise InvalidClient(f"Unknown client_id {chosen!r}.", status=400, untrusted=True)
    return client
