"""CORS for browser clients (oidc-client-ts, expo-auth-session on the web, any SPA).

A page on another origin can only read the mock's answers when the mock says it may (each
route's ``cors`` in ``core/routes.py``):

- **discovery and JWKS** are public metadata: readable from any origin (``*``);
- **token, userinfo, revocation and logout** answer the origins of the client the request names
  (``client_id`` or HTTP Basic user, the access token's client at userinfo, ``id_token_hint``'s
  audience at logout). A client's origins are its ``allowed_origins`` in fixtures/clients.toml,
  else those of its http(s) redirect URIs, matched as the redirect URIs are (so a dev client's
  ``localhost`` callback admits ``http://localhost`` on any port). A request that names no
  registered client (and every preflight, which carries no credentials) is answered for the
  origins of all clients, so a browser can read an ``invalid_client`` error;
- **preflights** (``OPTIONS`` with ``Access-Control-Request-Method``) get the route's methods and
  the headers these libraries send (``Authorization``, ``Content-Type``, ``Accept``);
- any other origin gets no CORS header at all, so the browser keeps the answer from the page.
  No credentials (cookies) are allowed cross-origin: none of these calls needs them.

Real BankID documents its userinfo (TINFO) as "CORS is not supported"; the mock allows it so a
browser client can be tried locally, and says so in docs/differences.md.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, request

from mock_bankid.core import jsontools, routes
from mock_bankid.oidc.client_auth import request_client_id, request_form
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.provider import Provider

ALLOWED_HEADERS = "Authorization, Content-Type, Accept"
EXPOSED_HEADERS = "WWW-Authenticate, Retry-After"
PREFLIGHT_MAX_AGE = 600


def init_app(app: Flask, provider: Provider) -> None:
    @app.after_request
    def _cors(response: Response) -> Response:
        return add_cors_headers(provider, response)


def add_cors_headers(p: Provider, response: Response) -> Response:
    """The route's CORS policy (``cors`` in ``core/routes.py``): ``any``, ``client`` or none."""
    route = routes.named(request.endpoint)
    if route is None or route.cors == "none":
        return response
    origin = request.headers.get("Origin")
    if route.cors == "client":
        response.vary.add("Origin")
    if not origin:
        return response
    if route.cors == "any":
        allowed = "*"
    elif origin_allowed(origin, _clients_of_request(p)):
        allowed = origin
    else:
        return response
    response.headers["Access-Control-Allow-Origin"] = allowed
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        methods = sorted((request.url_rule.methods or set()) - {"OPTIONS", "HEAD"}) if request.url_rule else []
        response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    else:
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def origin_allowed(origin: str, clients: Iterable[Client]) -> bool:
    """Whether ``origin`` (an ``Origin`` header) is one of these clients' browser origins."""
    normal = _normal_origin(origin)
    if normal is None:
        return False
    for client in clients:
        if not client.profile.cors:  # the strict profile: no CORS, as BankID's userinfo
            continue
        if client.allowed_origins is not None:
            if normal in {_normal_origin(o) for o in client.allowed_origins}:
                return True
            continue
        for registered in client.redirect_uris:
            parts = urlsplit(registered)
            if parts.scheme not in ("http", "https"):
                continue
            candidate = normal + parts.path + (f"?{parts.query}" if parts.query else "")
            if client.redirect_uri_allowed(candidate):
                return True
    return False


def _normal_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` in lower case, or None for ``null``, paths or anything malformed."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if parts.path or parts.query or parts.fragment or parts.username is not None:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


def _clients_of_request(p: Provider) -> list[Client]:
    """The client the request names, if registered; else every client (see the module docstring)."""
    if request.method == "OPTIONS":
        return p.clients.all()
    form = request_form()
    header = request.headers.get("Authorization", "")
    bearer = header[7:].strip() if header[:7].lower() == "bearer " else ""
    named = (
        request_client_id()
        or _token_client(bearer, ("client_id", "azp"))
        or _token_client(form.get("client_assertion", ""), ("iss",))
        or _token_client(form.get("id_token_hint") or request.args.get("id_token_hint", ""), ("azp", "aud"))
    )
    client = p.clients.get(named) if named else None
    return [client] if client is not None else p.clients.all()


def _token_client(token: str, names: tuple[str, ...]) -> str:
    """The client a JWT names in the first of ``names`` it has, read WITHOUT verifying.

    Only to choose whose origins apply: the endpoint itself verifies the token, and a forged one
    earns nothing but a readable error.
    """
    if token.count(".") != 2:
        return ""
    payload = token.split(".")[1]
    try:
        claims = jsontools.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return ""
    if not isinstance(claims, dict):
        return ""
    for name in names:
        value = claims.get(name)
        if isinstance(value, list) and len(value) == 1:  # a single audience
            value = value[0]
        if isinstance(value, str) and value:
            return value
    return ""
