"""Tokens without the redirect dance, for tests: the pytest plugin, ``mock-bankid token`` and unit tests.

Above ``tokens`` and ``refresh`` (it issues a refresh token with ``offline_access``, as the
token endpoint does), so neither has to import the other in a function.
"""

from __future__ import annotations

import uuid
from typing import Any

from joserfc import jwt

from mock_bankid.claims import SUPPORTED_SCOPES, Grant, acr_for
from mock_bankid.provider import Provider
from mock_bankid.refresh import issue_with_refresh

DEFAULT_TEST_SCOPE = "openid profile nnin_altsub"


def mint_for_tests(
    p: Provider,
    persona_id: str,
    client_id: str = "ci",
    scope: str | list[str] = DEFAULT_TEST_SCOPE,
    nonce: str | None = None,
    acr_values: str | None = None,
) -> dict[str, Any]:
    """Sign an ID token and access token for ``persona_id`` without the redirect dance (unit tests).

    ``persona_id`` is anything ``login_hint`` accepts: an id (``adult``), a number, ``nnin:...``, a
    recipe (``age:17``). The tokens are exactly what the token endpoint would issue to
    ``client_id`` (same claims, keys and ``at_hash``); the access token is recorded in ``p.store``,
    so a server sharing that store (the default SQLite file in the data dir) serves userinfo for it,
    and with ``offline_access`` a refresh token is issued as well.

    Returns ``{"id_token", "access_token", "token_type", "expires_in", "scope", ["refresh_token",
    "refresh_expires_in"], "claims": {"id_token": ..., "access_token": ...}, "persona": {...}}``.
    Raises ``ValueError`` for an unknown persona or client, or a scope the client may not have.
    """
    client = p.clients.get(client_id)
    if client is None:
        raise ValueError(f"unknown client {client_id!r} (see fixtures/clients.toml)")
    scopes = list(dict.fromkeys(scope.split() if isinstance(scope, str) else scope))
    unknown = [s for s in scopes if s not in SUPPORTED_SCOPES]
    if unknown:
        raise ValueError(f"unsupported scope: {' '.join(unknown)}")
    not_allowed = [s for s in scopes if s not in client.scopes]
    if not_allowed:
        raise ValueError(f"client {client_id!r} is not registered for scope: {' '.join(not_allowed)}")
    found = p.personas.require(persona_id, p.today())  # PersonaError is a ValueError
    acr, amr = acr_for(acr_values)
    grant = Grant(
        client_id=client.client_id,
        scope=scopes,
        persona=found.as_dict(),
        acr=acr,
        amr=amr,
        sid=str(uuid.uuid4()),
        auth_time=p.now(),
        nonce=nonce,
        pid_claim=client.pid_claim,
    )
    body = dict(issue_with_refresh(p, client, grant).body)
    body["claims"] = {
        "access_token": dict(jwt.decode(body["access_token"], p.keys.key_set()).claims),
    }
    if "id_token" in body:
        body["claims"]["id_token"] = dict(jwt.decode(body["id_token"], p.keys.key_set()).claims)
    body["persona"] = {"id": found.id, "nnin": found.nnin, "name": found.name, "sub": found.sub}
    return body
