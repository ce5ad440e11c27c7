"""JWT client authentication (RFC 7523 §2.2, OIDC Core §9): ``private_key_jwt`` and ``client_secret_jwt``.

BankID recommends ``private_key_jwt`` and offers ``client_secret_jwt`` on request. The client sends
``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`` and a signed JWT
whose claims say who it is and for whom the assertion is meant:

- ``iss`` and ``sub``: the client id (and ``client_id`` in the body, if sent, agrees);
- ``aud``: this provider: its issuer or one of its endpoint URLs (token, introspection,
  revocation), on the browser or the back-channel base. Authlib sends the URL it posts to,
  openid-client 6 sends the issuer;
- ``exp``: required, in the future by the mock's clock and at most ``MAX_LIFETIME`` ahead
  ("short", RFC 7523 §3);
- ``jti``: required and used once (store namespace ``replay`` until the assertion expires).

``private_key_jwt`` verifies RS256/PS256/ES256 against the client's registered public keys (``jwks``
inline in fixtures/clients.toml, or ``jwks_uri`` on loopback, fetched and cached briefly);
``client_secret_jwt`` verifies HS256 with the client secret. Every failure is ``invalid_client``.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from typing import Any, TypeGuard, cast
from urllib.parse import urlsplit

from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import KeySet, KeySetSerialization, OctKey

from mock_bankid.core import jsontools, routes
from mock_bankid.core.errors import InvalidClient
from mock_bankid.core.numbers import json_number
from mock_bankid.oidc.clients import LOOPBACK_HOSTS, Client
from mock_bankid.oidc.provider import Provider

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
REPLAY_NS = "replay"
MAX_LIFETIME = 300
"""Seconds an assertion may still be valid when it arrives (``exp - now``)."""
CLOCK_SKEW = 30
PRIVATE_KEY_ALGS = ("RS256", "PS256", "ES256")
SECRET_ALGS = ("HS256",)
SIGNING_ALGS = PRIVATE_KEY_ALGS + SECRET_ALGS
"""Discovery's ``token_endpoint_auth_signing_alg_values_supported``."""
JWKS_URI_TTL = 60.0
JWKS_URI_TIMEOUT = 3.0
JWKS_URI_HOSTS = (*LOOPBACK_HOSTS, "localhost")

class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could lead off loopback; the mock never follows one."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        raise urllib.error.HTTPError(req.full_url, code, f"jwks_uri redirects (to {newurl}); not followed", headers, fp)


_NO_REDIRECTS = urllib.request.build_opener(_RefuseRedirects)
_jwks_cache: dict[str, tuple[float, KeySet]] = {}
_jwks_lock = threading.Lock()


def audiences(p: Provider) -> set[str]:
    """Every ``aud`` value that names this provider: its issuer, and the URL of each endpoint that
    authenticates clients (``client_auth`` in ``core/routes.py``), on either channel."""
    s = p.settings
    return {s.issuer, s.backchannel_issuer_base} | {
        routes.url(route, s, channel) for route in routes.ROUTES if route.client_auth for channel in ("front", "back")}


class NotAJws(ValueError):
    """Not a compact JWS whose claims are a JSON object (the message completes a sentence)."""


def unverified_jws(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The protected header and the claims of a compact JWS, read before its signature is checked
    (to find whose key verifies it); ``NotAJws`` for anything else."""
    try:
        compact = jws.extract_compact(token.encode("ascii"))
        header = compact.protected
        claims = jsontools.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError, TypeError, AttributeError):
        raise NotAJws("is not a compact JWS.") from None
    if not isinstance(claims, dict):
        raise NotAJws("claims must be a JSON object.")
    return dict(header), claims


def authenticate_assertion(p: Provider, form: Any) -> tuple[Client, str]:
    """Verify ``client_assertion`` in ``form``; return the client and the method it used."""
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise InvalidClient(f"client_assertion_type must be {ASSERTION_TYPE}.")
    assertion = form.get("client_assertion", "")
    try:
        header, unverified = unverified_jws(assertion)
    except NotAJws as exc:
        raise InvalidClient(f"client_assertion {exc}") from None
    client_id = unverified.get("iss")
    if not isinstance(client_id, str) or not client_id:
        raise InvalidClient("client_assertion has no iss (it must be the client_id).")
    if unverified.get("sub") != client_id:
        raise InvalidClient("client_assertion sub must equal iss (the client_id), RFC 7523 section 3.")
    if form.get("client_id") not in (None, "", client_id):
        raise InvalidClient("client_id in the body differs from the client_assertion's iss/sub.")
    client = p.clients.get(client_id)
    if client is None:
        raise InvalidClient(f"{p.clients.unknown(client_id)}.")

    alg = header.get("alg")
    if alg in SECRET_ALGS:
        method = "client_secret_jwt"
    elif alg in PRIVATE_KEY_ALGS:
        method = "private_key_jwt"
    else:
        raise InvalidClient(f"client_assertion alg {alg!r} is not accepted (use one of {', '.join(SIGNING_ALGS)}).")
    if method not in client.auth_methods:
        raise InvalidClient(
            f"Client {client_id!r} is not registered for {method} (registered: {', '.join(client.auth_methods)})."
        )

    claims = _verify(client, method, alg, assertion, header)
    _check_claims(p, client, claims)
    return client, method


def _verify(client: Client, method: str, alg: str, assertion: str, header: dict) -> dict[str, Any]:
    try:
        if method == "client_secret_jwt":
            if not client.client_secret:
                raise InvalidClient(f"Client {client.client_id!r} has no client_secret for client_secret_jwt.")
            key: Any = OctKey.import_key(client.client_secret)
            return dict(jwt.decode(assertion, key, algorithms=[alg]).claims)
        kid = header.get("kid")
        try:
            return _decode(assertion, _client_keys(client, refetch=False), alg, kid)
        except JoseError:
            if not client.jwks_uri:
                raise
            # The client may have rotated its keys: fetch its jwks_uri again once.
            return _decode(assertion, _client_keys(client, refetch=True), alg, kid)
    except InvalidClient:
        raise
    except (JoseError, ValueError, TypeError) as exc:
        kid = header.get("kid")
        raise InvalidClient(
            f"client_assertion signature does not verify with the {method} key"
            f"{f' kid {kid!r}' if kid else ''} registered for {client.client_id!r} ({type(exc).__name__})."
        ) from None


def _decode(assertion: str, keys: KeySet, alg: str, kid: str | None) -> dict[str, Any]:
    """Verify with the key named by ``kid``; without a kid (Authlib sends none) try each fitting key."""
    if kid:
        return dict(jwt.decode(assertion, keys, algorithms=[alg]).claims)
    kty = "EC" if alg.startswith("ES") else "RSA"
    candidates = [k for k in keys.keys if k.key_type == kty and k.get("alg") in (None, alg)]
    error: JoseError = BadSignatureError()
    for key in candidates:
        try:
            return dict(jwt.decode(assertion, key, algorithms=[alg]).claims)
        except JoseError as exc:
            error = exc
    raise error


def _check_claims(p: Provider, client: Client, claims: dict[str, Any]) -> None:
    now = p.now()
    aud = claims.get("aud")
    values = aud if isinstance(aud, list) else [aud]
    if not (set(v for v in values if isinstance(v, str)) & audiences(p)):
        raise InvalidClient(
            f"client_assertion aud {aud!r} does not name this provider: use the issuer {p.issuer} "
            "or the token endpoint URL (RFC 7523 section 3)."
        )
    exp = claims.get("exp")
    if not _number(exp):
        raise InvalidClient("client_assertion has no numeric exp (RFC 7523 section 3 requires one).")
    if exp <= now - CLOCK_SKEW:
        raise InvalidClient(f"client_assertion has expired (exp {int(exp)}, mock clock {now}).")
    if exp - now > MAX_LIFETIME + CLOCK_SKEW:
        raise InvalidClient(
            f"client_assertion exp is {int(exp - now)} s ahead; mock-bankid accepts at most {MAX_LIFETIME} s "
            "(a short-lived assertion, RFC 7523 section 3). Authlib signs for 3600 s by default: pass a shorter expiry."
        )
    nbf = claims.get("nbf")
    if nbf is not None:
        if not _number(nbf):
            raise InvalidClient("client_assertion nbf must be a number.")
        if nbf > now + CLOCK_SKEW:
            raise InvalidClient(f"client_assertion is not valid yet (nbf {int(nbf)}, mock clock {now}).")
    iat = claims.get("iat")
    if iat is not None:
        if not _number(iat):
            raise InvalidClient("client_assertion iat must be a number.")
        if iat > now + CLOCK_SKEW:
            raise InvalidClient(f"client_assertion iat {int(iat)} is in the future (mock clock {now}).")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise InvalidClient("client_assertion has no jti (RFC 7523 section 3 requires one, used once).")
    ttl = max(1, int(exp - now) + CLOCK_SKEW)
    if not p.store.add(REPLAY_NS, f"{client.client_id}:{jti}", {"exp": int(exp)}, ttl):
        raise InvalidClient("client_assertion jti has been used before: an assertion may be used only once.")


MAX_NUMERIC_DATE = 2**53
"""Beyond the integers a JSON number holds exactly no NumericDate is a time (10^400 is refused, not an overflow)."""


def _number(value: Any) -> TypeGuard[float]:
    """A NumericDate (RFC 7519 §2): a JSON number, not a bool or a string, within ±2^53."""
    if isinstance(value, str):
        return False
    try:
        json_number(value, minimum=-MAX_NUMERIC_DATE, maximum=MAX_NUMERIC_DATE)
    except ValueError:
        return False
    return True


def _client_keys(client: Client, *, refetch: bool) -> KeySet:
    if client.jwks:
        return KeySet.import_key_set(cast(KeySetSerialization, client.jwks))  # a JWKS table from clients.toml
    if client.jwks_uri:
        return _fetch_jwks(client.jwks_uri, refetch=refetch)
    raise InvalidClient(f"Client {client.client_id!r} has neither jwks nor jwks_uri for private_key_jwt.")


def _fetch_jwks(uri: str, *, refetch: bool) -> KeySet:
    """The client's JWKS from its ``jwks_uri``: loopback only (the mock never reaches out further)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or parts.hostname not in JWKS_URI_HOSTS:
        raise InvalidClient(f"jwks_uri {uri!r} must be http(s) on loopback (127.0.0.1, ::1, localhost).")
    now = time.monotonic()
    with _jwks_lock:
        cached = _jwks_cache.get(uri)
    if cached is not None and not refetch and now - cached[0] < JWKS_URI_TTL:
        return cached[1]
    try:
        with _NO_REDIRECTS.open(uri, timeout=JWKS_URI_TIMEOUT) as response:  # loopback only, checked above
            data = jsontools.loads(response.read(1024 * 1024))
        keys = KeySet.import_key_set(data)
    except (OSError, ValueError, JoseError, TypeError) as exc:
        raise InvalidClient(f"Could not fetch the client's jwks_uri {uri}: {type(exc).__name__}: {exc}") from None
    with _jwks_lock:
        _jwks_cache[uri] = (now, keys)
    return keys


def client_keys(client: Client, *, refetch: bool) -> KeySet:
    """The client's registered public keys (``jwks`` or loopback ``jwks_uri``): request objects too."""
    return _client_keys(client, refetch=refetch)


def decode_with(token: str, keys: KeySet, alg: str, kid: str | None) -> dict[str, Any]:
    """Verify ``token`` with the key ``kid`` names, or each key fitting ``alg`` (``JoseError`` if none)."""
    return _decode(token, keys, alg, kid)
