"""The one place a ``Grant`` (the record of a sign-in, or of a client acting for itself) is built,
and the one way requested scopes are checked.

Authorize, the ``client_credentials`` grant, ``mint.mint_for_tests`` (the pytest plugin and
``mock-bankid token`` use it) all come through here, so they agree on what a scope request
means and on what a token is made from.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from mock_bankid.bankid.claims import SUPPORTED_SCOPES, Grant
from mock_bankid.core.errors import InvalidScope
from mock_bankid.oidc.clients import Client

IDENTITY_SCOPES = frozenset(SUPPORTED_SCOPES)
"""Scopes about a person; a client_credentials token has no person, so they are left out."""


def parse_scopes(scope: str | Iterable[str]) -> list[str]:
    """Space-separated (or a list) to a list, in order, each once (RFC 6749 section 3.3)."""
    return list(dict.fromkeys(scope.split() if isinstance(scope, str) else scope))


def check_scopes(client: Client, scopes: list[str], *, person: bool = True) -> list[str]:
    """``scopes`` if the provider knows them (for a person: ``SUPPORTED_SCOPES``) and ``client`` is
    registered for each; else ``InvalidScope`` naming the offenders."""
    if person:
        unknown = [s for s in scopes if s not in SUPPORTED_SCOPES]
        if unknown:
            raise InvalidScope(f"Unsupported scope: {' '.join(unknown)}.")
    not_allowed = [s for s in scopes if s not in client.scopes]
    if not_allowed:
        raise InvalidScope(
            f"Client {client.client_id!r} is not registered for scope: {' '.join(not_allowed)} "
            "(BankID grants scopes per client; see scopes in fixtures/clients.toml)."
        )
    return scopes


def client_credentials_scopes(client: Client, requested: str | None) -> list[str]:
    """RFC 6749 section 4.4: the client's own scopes; identity scopes are dropped (section 3.3 lets
    the server narrow the scope; BankID's own examples send ``openid`` here)."""
    allowed = [s for s in client.scopes if s not in IDENTITY_SCOPES]
    if requested is None:
        return allowed
    wanted = check_scopes(client, parse_scopes(requested), person=False)
    return [s for s in wanted if s in allowed]


def sign_in_grant(client: Client, scopes: list[str], persona: dict[str, Any], *, acr: str, amr: list[str],
                  auth_time: int, sid: str | None = None, nonce: str | None = None,
                  scenario: str | None = None) -> Grant:
    """A person signed in (``persona`` is ``Persona.as_dict()``); ``sid`` names the SSO session
    (new if None), ``scenario`` a per-sign-in scenario (else the persona's own, if any)."""
    chosen = scenario or persona.get("scenario")
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
        extra={"scenario": chosen} if chosen else {},
    )


def client_grant(client: Client, scopes: list[str], now: int) -> Grant:
    """The client acting for itself (``client_credentials``): no person, no session."""
    return Grant(client_id=client.client_id, scope=scopes, persona={}, acr="", amr=[], sid="", auth_time=now)
