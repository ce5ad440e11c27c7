"""The checks a relying party makes on what comes back from a sign-in, each passed or failed.

Pure functions of the callback, the token response, the published JWKS and what the debugger
sent (state, nonce): OIDC Core §3.1.3.7 for the ID token, RFC 9207 for ``iss`` in the callback,
§3.1.3.6 for ``at_hash``, §5.3.2 for userinfo's ``sub``, and the age a service works out from the
national identity number. The signature is verified with joserfc against the JWKS the provider
publishes, not with the mock's own keys, so a token signed by an unpublished key fails here as it
would in any client. Every traps scenario makes exactly one of these fail.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from mock_bankid.people import nnin

LEEWAY = 60
"""Seconds of clock skew a client tolerates for ``iat`` (a common default)."""
ADULT_AGE = 18


@dataclass
class Check:
    """One check: its key (the texts name it), passed or not, and the values that decided it."""

    key: str
    ok: bool | None
    """None: not run (an earlier step failed)."""
    detail: str = ""
    args: dict[str, Any] = field(default_factory=dict)


def b64url_json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Header and claims of a compact JWS without verifying it (for display); None if it is not one."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        return None
    try:
        header, claims = b64url_json(parts[0]), b64url_json(parts[1])
    except (ValueError, TypeError, RecursionError):
        return None
    return (header, claims) if isinstance(header, dict) and isinstance(claims, dict) else None


def at_hash_of(access_token: str, alg: str) -> str:
    """OIDC Core §3.1.3.6: the left half of the hash named by the alg's size (SHA-256 for *256)."""
    name = {"384": "sha384", "512": "sha512"}.get(alg[-3:], "sha256")
    digest = hashlib.new(name, access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def signature(token: str, jwks: dict[str, Any] | None, allowed_algs: list[str]) -> Check:
    decoded = decode_unverified(token)
    if decoded is None:
        return Check("signature", False, "not_a_jws")
    header = decoded[0]
    alg, kid = str(header.get("alg", "")), header.get("kid")
    if alg not in allowed_algs:
        return Check("signature", False, "alg_refused", {"alg": alg, "allowed": ", ".join(allowed_algs)})
    keys = (jwks or {}).get("keys") or []
    if not any(k.get("kid") == kid for k in keys):
        published = ", ".join(str(k.get("kid")) for k in keys)
        return Check("signature", False, "kid_unknown", {"kid": kid, "published": published})
    try:
        jwt.decode(token, KeySet.import_key_set({"keys": [k for k in keys if k.get("kid") == kid]}), algorithms=[alg])
    except (JoseError, ValueError) as exc:
        return Check("signature", False, "bad_signature", {"kid": kid, "alg": alg, "error": type(exc).__name__})
    return Check("signature", True, "verified", {"kid": kid, "alg": alg})


def id_token_checks(
    token: str, *, jwks: dict[str, Any] | None, allowed_algs: list[str], issuer: str, client_id: str,
    nonce: str, access_token: str | None, now: int, today: date,
) -> list[Check]:
    checks = [signature(token, jwks, allowed_algs)]
    decoded = decode_unverified(token)
    if decoded is None:
        return checks + [Check(k, None) for k in ("iss", "aud", "exp", "iat", "nonce", "at_hash", "age")]
    header, claims = decoded
    checks.append(Check("iss", claims.get("iss") == issuer, "", {"got": claims.get("iss"), "want": issuer}))
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    aud_ok = client_id in auds and (len(auds) == 1 or claims.get("azp") == client_id)
    checks.append(Check("aud", aud_ok, "", {"got": aud, "want": client_id, "azp": claims.get("azp")}))
    exp = claims.get("exp")
    numeric = isinstance(exp, (int, float)) and not isinstance(exp, bool)
    delta = int(exp - now) if isinstance(exp, (int, float)) and numeric else None
    checks.append(Check("exp", delta is not None and delta > 0, "", {"exp": exp, "now": now, "delta": delta}))
    iat = claims.get("iat")
    iat_ok = isinstance(iat, (int, float)) and not isinstance(iat, bool) and iat <= now + LEEWAY
    checks.append(Check("iat", iat_ok, "", {"iat": iat, "now": now, "leeway": LEEWAY}))
    checks.append(Check("nonce", claims.get("nonce") == nonce, "", {"got": claims.get("nonce"), "want": nonce}))
    if access_token is None:
        checks.append(Check("at_hash", None))
    elif "at_hash" not in claims:
        checks.append(Check("at_hash", True, "absent"))  # optional in the code flow (OIDC Core §3.1.3.8)
    else:
        want = at_hash_of(access_token, str(header.get("alg", "")))
        checks.append(Check("at_hash", claims["at_hash"] == want, "", {"got": claims["at_hash"], "want": want}))
    checks.append(age(claims, today))
    return checks


def age(claims: dict[str, Any], today: date) -> Check:
    """The age from the national identity number (``nnin_altsub``, or the Drop clients' ``pid``)."""
    number = claims.get("nnin_altsub") or claims.get("pid") or claims.get("nnin")
    if not number or not isinstance(number, str):
        return Check("age", False, "no_number")
    explained = nnin.explain(number, today)
    claimed = claims.get("birthdate")
    if not explained.valid:
        problem = explained.problems[0] if explained.problems else ""
        return Check("age", False, "invalid_number", {"number": number, "problem": problem})
    born = explained.birthdate
    if born is None:
        if not claimed:
            return Check("age", False, "no_date", {"number": number})
        try:
            born = date.fromisoformat(str(claimed))
        except ValueError:
            return Check("age", False, "no_date", {"number": number})
        source = "claim"
    else:
        if claimed and str(claimed) != born.isoformat():
            return Check("age", False, "mismatch", {"number": number, "born": born.isoformat(), "claimed": claimed})
        source = "number"
    years = nnin.age_on(born, today) if born <= today else None
    if years is None:
        return Check("age", False, "future", {"number": number, "born": born.isoformat()})
    return Check("age", True, "adult" if years >= ADULT_AGE else "minor",
                 {"number": number, "born": born.isoformat(), "years": years, "source": source})


def userinfo_check(status: int | None, body: Any, id_claims: dict[str, Any] | None) -> Check:
    if status is None:
        return Check("userinfo", None)
    if status != 200 or not isinstance(body, dict):
        return Check("userinfo", False, "status", {"status": status})
    want = (id_claims or {}).get("sub")
    return Check("userinfo", body.get("sub") == want, "", {"got": body.get("sub"), "want": want})
