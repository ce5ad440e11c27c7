"""Authorization codes: issued at authorize, redeemed once at the token endpoint.

The one owner of the code's lifecycle (issue → redeem once / cancel) and of its namespaces:

- ``code`` (key: the code): the ``Grant`` plus the redirect URI and PKCE challenge, for
  ``settings.code_ttl``. Redeeming takes it atomically (``store.take``), so a code works once on
  any worker.
- ``code-used`` (key: a redeemed code): what its redemption issued (access-token ``jti``,
  refresh family), for ``USED_CODE_TTL``. A replay revokes those (RFC 6749 section 4.1.2).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Any

from mock_bankid.core.errors import InvalidGrant, InvalidRequest
from mock_bankid.oidc import refresh
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.grants import Grant
from mock_bankid.oidc.provider import Provider
from mock_bankid.oidc.tokens import Issued, revoke_access_token

CODE_NS = "code"
USED_CODE_NS = "code-used"
USED_CODE_TTL = 600
PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
SCENARIO_MARK = "s."
"""How the code of a sign-in that carries its own scenario (``Grant.extra``) begins. A plain code is
URL-safe base64, which has no ".", so the token endpoint can tell from the code alone whether
reading the record ahead of redeeming it (``sign_in_extra``) can find anything: one store read
fewer for every other sign-in. Clients treat codes as opaque, so the mark changes nothing for them."""


def issue(p: Provider, grant: Grant, *, redirect_uri: str, code_challenge: str | None,
          code_challenge_method: str | None) -> str:
    """Store everything the token endpoint needs for ``grant``; returns the new code."""
    code = (SCENARIO_MARK if grant.extra else "") + secrets.token_urlsafe(32)
    p.store.put(
        CODE_NS,
        code,
        {
            "grant": grant.to_dict(),
            "redirect_uri": redirect_uri,
            "code_challenge": code_challenge,
            "code_challenge_method": code_challenge_method,
        },
        p.settings.code_ttl,
    )
    return code


def peek(p: Provider, code: str) -> dict[str, Any] | None:
    """The live record of ``code`` without using it up (the scenario engine asks which sign-in it is)."""
    return p.store.get(CODE_NS, code) if code else None


def sign_in_extra(p: Provider, code: str) -> dict[str, Any] | None:
    """``Grant.extra`` of the sign-in behind ``code`` (its per-sign-in scenario), or None; only a
    code issued with one (``SCENARIO_MARK``) is looked up."""
    if not code.startswith(SCENARIO_MARK):
        return None
    record = peek(p, code)
    return (record or {}).get("grant", {}).get("extra") or None


def replace_grant(p: Provider, code: str, grant: Grant) -> bool:
    """Change the sign-in behind a code not yet redeemed (a scenario such as ``sub-changes``);
    False if the code is gone. Its lifetime starts again: it was issued a moment ago."""
    record = peek(p, code)
    if record is None:
        return False
    p.store.put(CODE_NS, code, {**record, "grant": grant.to_dict()}, p.settings.code_ttl)
    return True


def cancel(p: Provider, code: str) -> None:
    """The sign-in did not complete (a scenario answered instead): the code must not work."""
    p.store.delete(CODE_NS, code)


def redeem(p: Provider, code: str, client: Client, *, redirect_uri: str | None, code_verifier: str | None) -> Issued:
    """Take ``code`` once, check it belongs to ``client`` (redirect URI, PKCE), issue its tokens.

    A code already redeemed revokes what its first redemption issued and is ``invalid_grant``.
    """
    record = p.store.take(CODE_NS, code)
    if record is None:
        replayed = p.store.get(USED_CODE_NS, code)
        if replayed is not None:
            _revoke_issued(p, replayed)
            raise InvalidGrant("Code already used; the tokens it issued have been revoked.")
        raise InvalidGrant("Code not valid (unknown, expired or already used).")
    grant = Grant.from_dict(record["grant"])
    if grant.client_id != client.client_id:
        raise InvalidGrant("The code was issued to another client.")
    if redirect_uri != record["redirect_uri"]:
        raise InvalidGrant("Incorrect redirect_uri: it must equal the one sent to the authorize endpoint.")
    check_pkce(record.get("code_challenge"), code_verifier)
    issued = refresh.issue_with_refresh(p, client, grant)
    used: dict[str, Any] = {"access_jti": issued.access_claims["jti"]}
    if issued.family is not None:
        used["family"] = issued.family
    p.store.put(USED_CODE_NS, code, used, USED_CODE_TTL)
    return issued


def check_pkce(challenge: str | None, verifier: str | None) -> None:
    """RFC 7636 section 4.6 with S256 (the only method authorize accepts)."""
    if challenge is None:
        if verifier is not None:
            raise InvalidGrant("code_verifier sent, but the authorization request had no code_challenge.")
        return
    if verifier is None:
        raise InvalidRequest("code_verifier is required: the authorization request used PKCE.")
    if not PKCE_VERIFIER.match(verifier):
        raise InvalidGrant("code_verifier must be 43 to 128 characters of [A-Z a-z 0-9 - . _ ~] (RFC 7636).")
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    if not hmac.compare_digest(computed, challenge):
        raise InvalidGrant("PKCE verification failed: code_verifier does not match code_challenge.")


def _revoke_issued(p: Provider, used: dict[str, Any]) -> None:
    """RFC 6749 section 4.1.2: a replayed code SHOULD revoke the tokens issued from it."""
    if used.get("access_jti"):
        revoke_access_token(p, used["access_jti"])
    if used.get("family"):
        refresh.revoke_family(p, used["family"])
