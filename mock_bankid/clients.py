"""Registered relying parties, read from ``fixtures/clients.toml``.

BankID registers every client by hand (redirect URIs, scopes, auth method); the mock does the
same from a file so that ``invalid_client`` and ``redirect_uri_mismatch`` behave as in production.
"""

from __future__ import annotations

import hmac
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mock_bankid.profiles import Profile, profile_from

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
LOOPBACK_HOSTS = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class Client:
    client_id: str
    redirect_uris: tuple[str, ...]
    name: str = ""
    client_secret: str | None = None
    auth_methods: tuple[str, ...] = ("client_secret_basic",)
    post_logout_redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ("openid", "profile", "nnin_altsub")
    grant_types: tuple[str, ...] = ("authorization_code",)
    require_pkce: bool = True
    require_state: bool = True
    require_nonce: bool = True
    pid_claim: bool = False
    userinfo_signed_response_alg: str | None = None
    id_token_signed_response_alg: str = "RS256"  # noqa: S105 - an algorithm name, not a password
    token_ttl: int | None = None
    jwks: dict | None = None
    jwks_uri: str | None = None
    profile: Profile = field(default_factory=Profile)
    """Fidelity profile (``profile`` + ``[client.conveniences]`` in clients.toml; mock_bankid/profiles.py)."""
    allowed_origins: tuple[str, ...] | None = None
    """Browser origins that may call token/userinfo/revocation/logout (CORS); None = from redirect_uris."""
    extra: dict = field(default_factory=dict)

    @property
    def is_public(self) -> bool:
        return self.auth_methods == ("none",)

    @property
    def display_name(self) -> str:
        return self.name or self.client_id

    def check_secret(self, secret: str | None) -> bool:
        if self.client_secret is None or secret is None:
            return False
        return hmac.compare_digest(self.client_secret.encode(), secret.encode())

    def redirect_uri_allowed(self, uri: str) -> bool:
        return any(self._matches(registered, uri) for registered in self.redirect_uris)

    def post_logout_uri_allowed(self, uri: str) -> bool:
        return any(self._matches(registered, uri) for registered in self.post_logout_redirect_uris)

    def _matches(self, registered: str, uri: str) -> bool:
        """The profile decides whether the loopback-port, localhost and wildcard conveniences apply."""
        if not self.profile.loose_redirect(registered):
            return registered == uri
        return _redirect_matches(registered, uri) or (
            self.profile.localhost_any_port and _localhost_any_port(registered, uri))


def _redirect_matches(registered: str, uri: str) -> bool:
    """Exact match, plus RFC 8252 loopback ports and ``*`` hosts for custom schemes."""
    if registered == uri:
        return True
    try:
        reg, got = urlsplit(registered), urlsplit(uri)
    except ValueError:
        return False
    if reg.scheme == got.scheme == "http" and reg.hostname in LOOPBACK_HOSTS and reg.port is None:
        try:
            _ = got.port  # raises ValueError for a malformed port
        except ValueError:
            return False
        same_rest = (reg.path, reg.query, reg.fragment) == (got.path, got.query, got.fragment)
        return got.hostname == reg.hostname and same_rest and got.username is None
    if "*" in reg.netloc and reg.scheme not in ("http", "https") and reg.scheme == got.scheme:
        pattern = re.escape(registered).replace(r"\*", r"[^/?#]+")
        return re.fullmatch(pattern, uri) is not None
    return False


def _localhost_any_port(registered: str, uri: str) -> bool:
    """Dev clients: a registered loopback callback also matches ``http://localhost:<any port>``.

    Dev servers pick their own port, and Next.js turns ``127.0.0.1`` into ``localhost`` in the
    callback URL it computes; BankID itself matches exactly (``profile = "strict"`` keeps that).
    """
    try:
        reg, got = urlsplit(registered), urlsplit(uri)
        _ = got.port  # raises ValueError for a malformed port
    except ValueError:
        return False
    if not (reg.scheme == got.scheme == "http" and reg.hostname in (*LOOPBACK_HOSTS, "localhost")):
        return False
    same_rest = (reg.path, reg.query, reg.fragment) == (got.path, got.query, got.fragment)
    return got.hostname == "localhost" and got.username is None and got.password is None and same_rest


class ClientRegistry:
    def __init__(self, clients: list[Client]) -> None:
        self._clients = {c.client_id: c for c in clients}

    @classmethod
    def load(cls, fixtures_dir: Path) -> ClientRegistry:
        path = fixtures_dir / "clients.toml"
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        return cls([client_from_dict(entry, source=str(path)) for entry in data.get("client", [])])

    def add(self, client: Client) -> None:
        """Register a client made in code (the console's debugger); a fixture with its id is an error."""
        if client.client_id in self._clients:
            raise ValueError(f"client {client.client_id!r} is reserved for mock-bankid itself; rename yours")
        self._clients[client.client_id] = client

    def get(self, client_id: str | None) -> Client | None:
        return self._clients.get(client_id or "")

    def all(self) -> list[Client]:
        return list(self._clients.values())


def client_from_dict(entry: dict[str, Any], source: str = "clients") -> Client:
    known = {f for f in Client.__dataclass_fields__}
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    where = f"{source}: client {entry.get('client_id')}"
    values["profile"] = profile_from(entry.get("profile"), entry.get("conveniences"), where=where)
    for key, value in entry.items():
        if key in ("profile", "conveniences"):
            continue
        if key in known:
            values[key] = tuple(value) if isinstance(value, list) else value
        else:
            extra[key] = value
    if "client_id" not in values or "redirect_uris" not in values:
        raise ValueError(f"{source}: every client needs client_id and redirect_uris")
    bad = set(values.get("auth_methods", ())) - set(AUTH_METHODS)
    if bad:
        raise ValueError(f"{source}: client {values['client_id']}: unknown auth_methods {sorted(bad)}")
    bad = set(values.get("grant_types", ())) - set(GRANT_TYPES)
    if bad:
        raise ValueError(f"{source}: client {values['client_id']}: unknown grant_types {sorted(bad)}")
    return Client(**values, extra=extra)
