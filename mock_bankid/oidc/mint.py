"""Tokens without the redirect dance, for tests: the pytest plugin, ``mock-bankid token`` and unit tests.

Above ``tokens`` and ``refresh`` (it issues a refresh token with ``offline_access``, as the
token endpoint does), so neither has to import the other in a function.
"""

from __future__ import annotations

from typing import Any

from joserfc import jwt

from mock_bankid.core.errors import InvalidScope
from mock_bankid.oidc.grants import check_scopes, parse_scopes, sign_in_grant
from mock_bankid.oidc.provider import Provider
from mock_bankid.oidc.refresh import issue_with_refresh
from mock_bankid.people.personas import Persona

DEFAULT_TEST_SCOPE = "openid profile nnin_altsub"
TEST_DEFAULTS: dict[str, tuple[str, str]] = {
    "bankid": ("ci", DEFAULT_TEST_SCOPE),
    "vipps": ("ci-vipps", "openid name email phoneNumber address birthDate nin"),
}
"""Per provider: the client and scope tokens are minted for when the caller names none."""


def mint_for_tests(
    p: Provider,
    persona_id: str | Persona,
    client_id: str = "ci",
    scope: str | list[str] = DEFAULT_TEST_SCOPE,
    nonce: str | None = None,
    acr_values: str | None = None,
) -> dict[str, Any]:
    """Sign an ID token and access token for ``persona_id`` without the redirect dance (unit tests).

    ``persona_id`` is a ``Persona`` or anything ``login_hint`` accepts: an id (``adult``), a number, ``nnin:...``, a
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
        why = p.clients.unknown(client_id)
        raise ValueError(why[:1].lower() + why[1:])
    try:
        scopes = check_scopes(client, parse_scopes(scope), known=p.dialect.supported_scopes,
                              provider_name=p.dialect.name)
    except InvalidScope as exc:
        raise ValueError(exc.description) from None
    found = persona_id if isinstance(persona_id, Persona) else p.personas.require(persona_id, p.today())
    # (PersonaError is a ValueError)
    if not found.has(p.name):
        raise ValueError(f"{found.id} has no {p.dialect.name} account (they have: {', '.join(found.providers)})")
    persona_data = found.as_dict()
    acr, amr = p.dialect.acr_for(acr_values, persona_data)
    grant = sign_in_grant(client, scopes, persona_data, acr=acr, amr=amr, auth_time=p.now(), nonce=nonce)
    body = dict(issue_with_refresh(p, client, grant).body)
    body["claims"] = {
        "access_token": dict(jwt.decode(body["access_token"], p.keys.key_set()).claims),
    }
    if "id_token" in body:
        body["claims"]["id_token"] = dict(jwt.decode(body["id_token"], p.keys.key_set()).claims)
    sub = body["claims"]["access_token"].get("sub", found.sub)  # the provider's: Vipps's is per client
    body["persona"] = {"id": found.id, "nnin": found.nnin, "name": found.name, "sub": sub}
    return body
