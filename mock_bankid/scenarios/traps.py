"""Traps: ID tokens a correct relying party must refuse, each for exactly one reason.

Claim traps change the claims before signing (``id_token_claims``); signature traps replace the
signed token (``id_token``). Everything else about the token stays right, so a client that
refuses it can only have refused it for the intended reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from mock_bankid.oidc.authorization_details import of_grant
from mock_bankid.oidc.grants import at_hash
from mock_bankid.oidc.hooks import IdTokenClaimsContext, IdTokenContext
from mock_bankid.scenarios.definitions import Apply, Call, scenario

REAL_BANKID_ISSUER = "https://auth.current.bankid.no/auth/realms/current"
_throwaway: dict[str, Any] = {}
_lock = threading.Lock()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def header_of(token: str) -> dict[str, Any]:
    return json.loads(b64url_decode(token.split(".", 1)[0]))


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def throwaway_key(alg: str) -> Any:
    """A key generated in this process and published nowhere; one per algorithm."""
    with _lock:
        if alg not in _throwaway:
            key = ECKey.generate_key("P-256") if alg.startswith("ES") else RSAKey.generate_key(2048)
            _throwaway[alg] = key
        return _throwaway[alg]


SUMMARIES_NB = {
    "trap-unknown-kid": "ID-token signert med en nøkkel som ikke er i JWKS",
    "trap-bad-signature": "ID-token der signaturbytene er endret",
    "trap-alg-none": "Usignert ID-token (alg: none)",
    "trap-hs256": "ID-token HMAC-signert (HS256) med den offentlige RSA-nøkkelen som hemmelighet",
    "trap-expired": "ID-token som gikk ut for `seconds_ago` sekunder siden (iat én levetid tidligere)",
    "trap-future-iat": "ID-token utstedt `seconds` sekunder fram i tid (iat)",
    "trap-wrong-iss": "ID-token fra en annen utsteder (standard: ekte BankIDs)",
    "trap-wrong-aud": "ID-token til en annen klient (aud og azp)",
    "trap-nonce": "ID-token med feil nonce (mode=missing: uten nonce)",
    "trap-at-hash": "ID-token der at_hash ikke stemmer med tilgangstokenet",
    "trap-missing-nnin": "ID-token uten fødselsnummer (ingen nnin_altsub, ingen pid)",
    "trap-permission-digest": "Betalingsgodkjenning der permission_digest ikke er SHA-256 av erklæringen som ble sendt",
}
"""Each trap's summary in Norwegian Bokmål (the console in nb)."""


def _trap(name: str, summary: str, point: str, **extra: Any) -> Callable[[Apply], Apply]:
    return scenario(name=name, summary=summary, summary_nb=SUMMARIES_NB[name], kind="trap", points=(point,),
                    sign_in_points=(point,), **extra)


# --- signature traps (replace the signed token) ---------------------------------------------
@_trap("trap-unknown-kid", "ID token signed by a key that is not in the JWKS", "id_token")
def trap_unknown_kid(call: Call) -> None:
    ctx = call.context(IdTokenContext)
    if call.consume():
        alg = header_of(ctx.token)["alg"]
        key = throwaway_key(alg)
        header = {"alg": alg, "typ": "JWT", "kid": "mock-bankid-unpublished-" + key.thumbprint()[:12]}
        ctx.token = jwt.encode(header, ctx.claims, key)


@_trap("trap-bad-signature", "ID token whose signature bytes were altered", "id_token")
def trap_bad_signature(call: Call) -> None:
    ctx = call.context(IdTokenContext)
    if call.consume():
        head, payload, signature = ctx.token.split(".")
        raw = bytearray(b64url_decode(signature))
        raw[len(raw) // 2] ^= 0x01
        ctx.token = f"{head}.{payload}.{b64url(bytes(raw))}"


@_trap("trap-alg-none", "Unsigned ID token (alg: none)", "id_token")
def trap_alg_none(call: Call) -> None:
    ctx = call.context(IdTokenContext)
    if call.consume():
        ctx.token = f"{b64url(_json({'alg': 'none', 'typ': 'JWT'}))}.{b64url(_json(ctx.claims))}."


@_trap("trap-hs256", "ID token HMAC-signed (HS256) with the RSA public key as the secret", "id_token")
def trap_hs256(call: Call) -> None:
    """The classic algorithm-confusion attack: the kid is real, the secret is public."""
    ctx = call.context(IdTokenContext)
    if not call.consume():
        return
    p = call.provider
    rsa = next((k for k in p.keys.jwks()["keys"] if k.get("kty") == "RSA"), None)
    if rsa is None:  # pragma: no cover - keys.ensure() always makes an RS256 key
        return
    secret = RSAKey.import_key(rsa).as_pem(private=False)
    signing_input = f"{b64url(_json({'alg': 'HS256', 'typ': 'JWT', 'kid': rsa['kid']}))}.{b64url(_json(ctx.claims))}"
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    ctx.token = f"{signing_input}.{b64url(mac)}"


# --- claim traps (change one claim before signing) ------------------------------------------
@_trap("trap-expired", "ID token that expired `seconds_ago` seconds ago (iat one lifetime earlier)", "id_token_claims",
       params={"seconds_ago": 600}, limits={"seconds_ago": (1, 10 * 365 * 86400)})
def trap_expired(call: Call) -> None:
    claims = call.context(IdTokenClaimsContext).claims
    if call.consume():
        lifetime = int(claims["exp"]) - int(claims["iat"])
        claims["exp"] = call.provider.now() - call.params["seconds_ago"]
        claims["iat"] = claims["exp"] - lifetime
        claims["auth_time"] = min(int(claims.get("auth_time", claims["iat"])), claims["iat"])


@_trap("trap-future-iat", "ID token issued `seconds` in the future (iat)", "id_token_claims",
       params={"seconds": 3600}, limits={"seconds": (1, 10 * 365 * 86400)})
def trap_future_iat(call: Call) -> None:
    claims = call.context(IdTokenClaimsContext).claims
    if call.consume():
        claims["iat"] = call.provider.now() + call.params["seconds"]


@_trap("trap-wrong-iss", "ID token from another issuer (default: real BankID's)", "id_token_claims",
       params={"iss": REAL_BANKID_ISSUER})
def trap_wrong_iss(call: Call) -> None:
    claims = call.context(IdTokenClaimsContext).claims
    if call.consume():
        claims["iss"] = call.params["iss"]


@_trap("trap-wrong-aud", "ID token for another client (aud and azp)", "id_token_claims",
       params={"aud": "another-client"})
def trap_wrong_aud(call: Call) -> None:
    claims = call.context(IdTokenClaimsContext).claims
    if call.consume():
        claims["aud"] = call.params["aud"]
        claims["azp"] = call.params["aud"]


@_trap("trap-nonce", "ID token with a wrong nonce (mode=missing: without one)", "id_token_claims",
       params={"mode": "wrong"}, choices={"mode": ("wrong", "missing")})
def trap_nonce(call: Call) -> None:
    claims = call.context(IdTokenClaimsContext).claims
    if call.consume():
        if call.params["mode"] == "missing":
            claims.pop("nonce", None)
        else:
            claims["nonce"] = "wrong-" + secrets.token_urlsafe(16)


@_trap("trap-at-hash", "ID token whose at_hash does not match the access token", "id_token_claims")
def trap_at_hash(call: Call) -> None:
    claims = call.context(IdTokenClaimsContext).claims
    if call.consume():
        claims["at_hash"] = at_hash("not-the-access-token-" + secrets.token_urlsafe(8))


@_trap("trap-missing-nnin", "ID token without the national identity number (no nnin_altsub, no pid)",
       "id_token_claims", providers=("bankid",))  # Vipps's ID token never carries the number
def trap_missing_nnin(call: Call) -> None:
    claims = call.context(IdTokenClaimsContext).claims
    if call.consume():
        for name in ("nnin_altsub", "pid", "nnin"):
            claims.pop(name, None)


@_trap("trap-permission-digest", "A payment approval whose permission_digest is not the SHA-256 of the statement "
       "sent (only on a sign-in that asked for one)", "id_token_claims", providers=("bankid",))
def trap_permission_digest(call: Call) -> None:
    """The person approved *a* statement, not the one the client pushed: only a client that compares
    the digest with the statement it sent notices (BankID's ``permission_digest``)."""
    ctx = call.context(IdTokenClaimsContext)
    if "permission_digest" not in ctx.claims or not of_grant(ctx.grant.extra):
        return  # nothing approved: nothing to get wrong
    if call.consume():
        other = hashlib.sha256(b"not-the-statement-" + secrets.token_bytes(8)).digest()
        ctx.claims["permission_digest"] = base64.b64encode(other).decode("ascii")
