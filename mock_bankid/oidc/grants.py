"""The one place a ``Grant`` (the record of a sign-in, or of a client acting for itself) is built,
and the one way requested scopes are checked.

Authorize, the ``client_credentials`` grant, ``mint.mint_for_tests`` (the pytest plugin and
``mock-bankid token`` use it) all come through here, so they agree on what a scope request
means and on what a token is made from.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from mock_bankid.core.errors import InvalidScope
from mock_bankid.oidc.clients import Client


@dataclass
class Grant:
    """Everything a token is made from; stored with the code, the session and refresh tokens."""

    client_id: str
    scope: list[str]
    persona: dict[str, Any]
    """``Persona.as_dict()``: id, nnin, names, birthdate (ISO), sub, bankid_altsub, ..."""
    acr: str
    amr: list[str]
    sid: str
    auth_time: int
    nonce: str | None = None
    pid_claim: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Grant:
        return cls(**data)


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: left half of SHA-256 of the ASCII token, base64url without padding."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def parse_scopes(scope: str | Iterable[str]) -> list[str]:
    """Space-separated (or a list) to a list, in order, each once (RFC 6749 section 3.3)."""
    return list(dict.fromkeys(scope.split() if isinstance(scope, str) else scope))



def check_scopes(client: Client, scopes: list[str], *, known: Collection[str] | None,
                 provider_name: str = "BankID") -> list[str]:
    """``scopes`` if the provider knows them (for a person: its dialect's ``supported_scopes``; None
    for a client acting for itself) and ``client`` is registered for each; else ``InvalidScope``."""
    if known is not None:
        unknown = [s for s in scopes if s not in known]
        if unknown:
            raise InvalidScope(f"Unsupported scope: {' '.join(unknown)}.")
    not_allowed = [s for s in scopes if s not in client.scopes]
    if not_allowed:
        raise InvalidScope(
            f"Client {client.client_id!r} is not registered for scope: {' '.join(not_allowed)} "
            f"({provider_name} grants scopes per client; see scopes in fixtures/clients.toml)."
        )
    return scopes


def client_credentials_scopes(client: Client, requested: str | None, identity_scopes: Collection[str]) -> list[str]:
    """RFC 6749 section 4.4: the client's own scopes; identity scopes (about a person) are dropped
    (section 3.3 lets the server narrow the scope; BankID's own examples send ``openid`` here)."""
    allowed = [s for s in client.scopes if s not in identity_scopes]
    if requested is None:
        return allowed
    wanted = check_scopes(client, parse_scopes(requested), known=None)
    return [s for s in wanted if s in allowed]


def sign_in_grant(client: Client, scopes: list[str], persona: dict[str, Any], *, acr: str, amr: list[str],
                  auth_time: int, sid: str | None = None, nonce: str | None = None,
                  scenario: str | None = None, authorization_details: list[dict[str, Any]] | None = None) -> Grant:
    """A person signed in (``persona`` is ``Persona.as_dict()``); ``sid`` names the SSO session
    (new if None), ``scenario`` a per-sign-in scenario (else the persona's own, if any),
    ``authorization_details`` what the person approved (RFC 9396, as the dialect checked it)."""
    chosen = scenario or persona.get("scenario")
    extra: dict[str, Any] = {"scenario": chosen} if chosen else {}
    if authorization_details:
        extra["authorization_details"] = authorization_details
    return Grant(
        client_id=client.client_id,
        scope=parse_scopes(scopes),
        persona=persona,
        acr=acr,
        amr=list(amr),
        sid=sid or str(uuid.uuid4()),
        auth_time=auth_time,
        nonce=nonce,
        pid_claim=client.pid_claim,
        extra=extra,
    )


def client_grant(client: Client, scopes: list[str], now: int) -> Grant:
    """The client acting for itself (``client_credentials``): no person, no session."""
    return Grant(client_id=client.client_id, scope=scopes, persona={}, acr="", amr=[], sid="", auth_time=now)
