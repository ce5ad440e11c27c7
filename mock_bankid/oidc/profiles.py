"""Fidelity profiles: how closely a client's view of the mock follows BankID as documented today.

A relying party that passes against a ``strict`` client must pass against BankID preprod, so
``strict`` switches every mock convenience off. The default ``dev`` profile (the Drop clients, CI)
keeps the conveniences that make local development and headless tests easy; each one is a named
switch here, listed in docs/differences.md with the setting that turns it off, and judged in
docs/fidelity.md against BankID's documentation.

Endpoints ask ``client.profile.<switch>``, never the client id. A client picks a profile with
``profile = "strict" | "dev"`` in fixtures/clients.toml and may override single switches with a
``[client.conveniences]`` table (e.g. ``sso_cookie = false`` on a dev client).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_HOSTS = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class Profile:
    """One switch per mock convenience; ``True`` means the mock is more lenient than BankID."""

    name: str = "dev"
    sso_cookie: bool = True
    """Sign in again silently (also for ``prompt=none``) from the mock's SSO cookie. BankID: "Single
    sign-on is not supported"; only an ``id_token_hint``/``id_login_hint`` reuses a session."""
    loopback_any_port: bool = True
    """A registered ``http://127.0.0.1/...`` or ``http://[::1]/...`` matches on any port (RFC 8252
    §7.3). BankID: the redirect URI "must exactly match" a registered one."""
    localhost_any_port: bool = True
    """A registered loopback callback (``127.0.0.1``, ``[::1]``, ``localhost``) also matches the same path
    on ``http://localhost`` at any port: dev servers pick their own port, and Next.js turns
    ``127.0.0.1`` into ``localhost`` in the callback URL it computes."""
    redirect_wildcards: bool = True
    """A ``*`` in the host of a registered custom-scheme URI (``exp://*/--/...``) matches any host."""
    post_authorize: bool = True
    """The authorize endpoint also takes POST (OIDC Core §3.1.2.1 allows it). BankID: "POST is not supported"."""
    mock_login_hints: bool = True
    """``login_hint`` may name who signs in: a persona id, a number (``BID:<nnin>``, ``nnin:``, a bare
    number, the JSON ``nnin`` hint, ``BIM:<phone>:<ddmmyy>``) or a recipe (``age:17``). BankID API v4
    refuses a number in a plain ``login_hint``; its selectors ``BID``/``BIS``/``BIM`` stay on in every profile."""
    refresh_introspection: bool = True
    """Introspection also answers for refresh tokens. BankID "does not support introspection of
    Refresh Tokens" and wants ``token_type_hint=bid_access_token``."""
    any_token_type_hint: bool = True
    """Introspection accepts any (or no) ``token_type_hint``. BankID: it "must contain the value
    bid_access_token"; strict answers ``{"active": false}`` otherwise, as BankID does for an
    otherwise invalid query."""
    cors: bool = True
    """Browser origins may call token, userinfo, revocation and logout (mock_bankid/http/cors.py). BankID's
    userinfo: "CORS is not supported"; a strict client's origins get no CORS headers there."""
    userinfo_oidc_issuer: bool = False
    """The signed userinfo's ``iss`` is the OIDC issuer, which generic libraries insist on (openid-client's
    ``fetchUserInfo``, Auth.js 5's built-in ``bankid-no`` provider through oauth4webapi). BankID documents
    TINFO's own identifier there (its userinfo base URL; CONF api/userinfo, the newest source), which
    both profiles send, so such a library fails here exactly as it would at BankID. Off in dev too: a
    client that needs the issuer turns it on in ``[client.conveniences]`` (``drop-web`` does)."""
    undeclared_prompts: bool = True
    """``prompt=consent`` and ``prompt=select_account`` are accepted (and ignored) although discovery
    declares only ``none`` and ``login``. Strict refuses them with ``invalid_request``."""
    id_token_hint_sso: bool = True
    """A plain ``id_token_hint`` naming a live session signs in again without the login page (OIDC
    Core's meaning). BankID: "Single sign-on is not supported"; only its own ``id_login_hint`` reuses a
    session; strict reuses a session for ``id_login_hint`` only (an ``id_token_hint`` is ignored)."""
    public_clients: bool = True
    """A client may be registered with ``auth_methods = ["none"]`` (a public client, PKCE only). BankID:
    "Relying Parties must authenticate with BankID OIDC for the token and introspect endpoints"; a strict
    client registered with ``none`` is a start-up error naming it."""
    refresh_only_with_offline_access: bool = True
    """A refresh token comes only when the request asked for ``offline_access`` (OIDC Core section 11).
    BankID (Keycloak) issues one with every sign-in of a client provisioned for refresh: "the lifetime
    of refresh tokens define session lifetime" (session-handling); strict does the same."""

    @property
    def switches(self) -> dict[str, bool]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "name"}

    def loose_redirect(self, registered: str) -> bool:
        """Whether ``registered`` may be matched by a mock convenience rather than only exactly."""
        try:
            parts = urlsplit(registered)
            port = parts.port
        except ValueError:
            return False
        if "*" in parts.netloc and parts.scheme not in ("http", "https"):
            return self.redirect_wildcards
        if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS and port is None:
            return self.loopback_any_port
        return True


SWITCHES = tuple(f.name for f in dataclasses.fields(Profile) if f.name != "name")
PROFILES: dict[str, Profile] = {
    "dev": Profile(name="dev"),
    "strict": Profile(name="strict", **{name: False for name in SWITCHES}),
}
DEFAULT_PROFILE = "dev"


def profile_from(name: Any, overrides: Any = None, *, where: str = "client") -> Profile:
    """The profile named ``name`` (default ``dev``) with single switches overridden; ValueError if bad."""
    name = DEFAULT_PROFILE if name is None else name
    if not isinstance(name, str) or name not in PROFILES:
        raise ValueError(f"{where}: profile must be one of {', '.join(PROFILES)}, not {name!r}")
    base = PROFILES[name]
    if not overrides:
        return base
    if not isinstance(overrides, dict):
        raise ValueError(f"{where}: conveniences must be a table of switches ({', '.join(SWITCHES)})")
    unknown = sorted(set(overrides) - set(SWITCHES))
    if unknown:
        raise ValueError(f"{where}: unknown conveniences {unknown}; known: {', '.join(SWITCHES)}")
    bad = sorted(k for k, v in overrides.items() if not isinstance(v, bool))
    if bad:
        raise ValueError(f"{where}: conveniences {bad} must be true or false")
    return dataclasses.replace(base, **overrides)


__all__ = ["Profile", "PROFILES", "SWITCHES", "DEFAULT_PROFILE", "profile_from"]
