"""Request objects (RFC 9101, JAR): ``request=<JWS>`` (or that JWS encrypted to the provider) at
the authorize and PAR endpoints.

The client signs its authorization parameters as the claims of a JWT, with a key it registered
for ``private_key_jwt`` (``jwks`` / ``jwks_uri``, RS256, PS256, ES256) or with its ``client_secret``
(HS256), as ``jwt_client_auth`` verifies client assertions. What is checked (RFC 9101 §4, §6):
a signature (never ``alg: none``); ``client_id`` equal to the client that sent it (and ``iss``,
when present); ``aud``, when present, naming this issuer; ``exp``/``nbf``, when present, on the
mock's clock. Only the object's claims are used: RFC 9101 §6.3 ignores the query's other values.

Encrypted (RFC 9101 §6.1, a nested JWT): a compact JWE to the JWKS's ``use: enc`` key
(``RSA-OAEP-256``; ``ENCRYPTION_ENC_VALUES``) whose plaintext is the client's signed request
object, judged as above. BankID takes a national identity number in ``login_hint`` only through
PAR or such an encrypted object (``Parameters.encrypted``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from mock_bankid.core.errors import InvalidClient, InvalidRequestObject
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.jwt_client_auth import (
    PRIVATE_KEY_ALGS,
    SECRET_ALGS,
    SIGNING_ALGS,
    NotAJws,
    client_keys,
    decode_with,
    unverified_jws,
)
from mock_bankid.oidc.provider import Provider

SIGNING_ALG_VALUES = list(SIGNING_ALGS)
"""Discovery's ``request_object_signing_alg_values_supported``."""
ENCRYPTION_ALG_VALUES = ["RSA-OAEP-256"]
ENCRYPTION_ENC_VALUES = ["A256GCM", "A128GCM", "A128CBC-HS256", "A256CBC-HS512"]
"""Discovery's ``request_object_encryption_alg_values_supported`` / ``..._enc_values_supported``."""


@dataclass(frozen=True)
class Parameters:
    values: dict[str, str]
    encrypted: bool
JWT_CLAIMS = frozenset({"iss", "aud", "exp", "iat", "nbf", "jti", "sub"})
"""Claims about the JWT itself, not authorization parameters."""
NESTED = frozenset({"request", "request_uri"})
CLOCK_SKEW = 30
MAX_LENGTH = 64 * 1024


def parameters(p: Provider, client: Client, token: str) -> Parameters:
    """The authorization parameters a verified request object carries, as strings (JSON for
    arrays and objects, e.g. ``authorization_details``); ``InvalidRequestObject`` otherwise."""
    encrypted = token.count(".") == 4
    claims = _verify(client, _decrypt(p, token) if encrypted else token)
    if claims.get("client_id") != client.client_id:
        raise InvalidRequestObject("The request object's client_id must be the client's own (RFC 9101 section 5).")
    if claims.get("iss") not in (None, client.client_id):
        raise InvalidRequestObject("The request object's iss must be the client_id (RFC 9101 section 4).")
    aud = claims.get("aud")
    if aud is not None:
        audiences = aud if isinstance(aud, list) else [aud]
        if p.issuer not in audiences and p.settings.backchannel_issuer_base not in audiences:
            raise InvalidRequestObject(
                f"The request object's aud must name this issuer, {p.issuer} (RFC 9101 section 4).")
    now = p.now()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if exp is not None and (not _number(exp) or exp <= now - CLOCK_SKEW):
        raise InvalidRequestObject(f"The request object has expired (exp {exp!r}, mock clock {now}).")
    if nbf is not None and (not _number(nbf) or nbf > now + CLOCK_SKEW):
        raise InvalidRequestObject(f"The request object is not valid yet (nbf {nbf!r}, mock clock {now}).")
    nested = sorted(NESTED & set(claims))
    if nested:
        raise InvalidRequestObject(f"A request object may not carry {', '.join(nested)} (RFC 9101 section 4).")
    values = {name: _as_parameter(value) for name, value in claims.items() if name not in JWT_CLAIMS}
    return Parameters(values, encrypted)


def _decrypt(p: Provider, token: str) -> str:
    if len(token) > MAX_LENGTH:
        raise InvalidRequestObject("The encrypted request object is too long.")
    try:
        plain = jwe.decrypt_compact(token, p.keys.decryption_key(),
                                    algorithms=[*ENCRYPTION_ALG_VALUES, *ENCRYPTION_ENC_VALUES]).plaintext
        return (plain or b"").decode("ascii")
    except (JoseError, ValueError, UnicodeError, TypeError) as exc:
        raise InvalidRequestObject(
            f"The request object does not decrypt with the provider's enc key ({type(exc).__name__}): encrypt the "
            f"signed request object with {', '.join(ENCRYPTION_ALG_VALUES)} to the JWKS's use=enc key.") from None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 2**53


def _as_parameter(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _verify(client: Client, token: str) -> dict[str, Any]:
    if len(token) > MAX_LENGTH or token.count(".") != 2:
        raise InvalidRequestObject("request must be a signed JWT (compact JWS), or one encrypted to the provider "
                                   "(a nested JWT, compact JWE).")
    try:
        header, _claims = unverified_jws(token)  # the claims are read once verified
    except NotAJws as exc:
        raise InvalidRequestObject(f"The request object {exc}") from None
    alg = header.get("alg")
    if alg not in SIGNING_ALGS:
        raise InvalidRequestObject(f"Request object alg {alg!r} is not accepted: sign it with one of "
                                   f"{', '.join(SIGNING_ALGS)} (never none).")
    try:
        if alg in SECRET_ALGS:
            if not client.client_secret:
                raise InvalidRequestObject(f"Client {client.client_id!r} has no client_secret to verify an HS256 "
                                           "request object.")
            return dict(jwt.decode(token, OctKey.import_key(client.client_secret), algorithms=[alg]).claims)
        assert alg in PRIVATE_KEY_ALGS
        kid = header.get("kid")
        try:
            return decode_with(token, client_keys(client, refetch=False), alg, kid)
        except JoseError:
            if not client.jwks_uri:
                raise
            return decode_with(token, client_keys(client, refetch=True), alg, kid)
    except InvalidClient as exc:  # no keys registered, or its jwks_uri failed
        raise InvalidRequestObject(exc.description) from None
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidRequestObject(
            f"The request object's signature does not verify with the keys registered for {client.client_id!r} "
            f"({type(exc).__name__})."
        ) from None
