"""Registered relying parties, read from ``fixtures/clients.toml``.

BankID registers every client by hand (redirect URIs, scopes, auth method); the mock does the
same from a file so that ``invalid_client`` and ``redirect_uri_mismatch`` behave as in production.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mock_bankid.core import routes
from mock_bankid.core.fixture_files import read_toml, unknown_keys
from mock_bankid.oidc.grant_types import names as grant_type_names
from mock_bankid.oidc.profiles import Profile, profile_from

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none")
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
    """Fidelity profile (``profile`` + ``[client.conveniences]`` in clients.toml; mock_bankid/oidc/profiles.py)."""
    require_pushed_authorization_requests: bool = False
    """RFC 9126 §5: the authorize endpoint takes this client's requests only through PAR (``request_uri``)."""
    allowed_origins: tuple[str, ...] | None = None
    provider: str = routes.HOME_PROVIDER
    """The provider it is registered with (``bankid`` or ``vipps``): another provider does not know it."""
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


_PORT = r"(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))"
"""``:1`` to ``:65535`` in plain decimal: no port 0, no leading zeros, no empty port."""
_WILDCARD_HOST = r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})" + _PORT + "?"
"""What ``*`` stands for in a custom-scheme redirect URI: a host name or IPv4 address, and a port."""


def _redirect_matches(registered: str, uri: str) -> bool:
    """BankID's exact string comparison, plus exactly two documented conveniences.

    1. RFC 8252 §7.3: a redirect URI registered on a loopback IP without a port
       (``http://127.0.0.1/callback``) matches that URI with any port ``1``-``65535`` added.
    2. A ``*`` in a custom-scheme URI (``exp://*/--/auth/callback``) stands for a host[:port].

    Both are decided on the raw strings, never on a parsed URL: ``urlsplit`` lowercases the
    scheme, strips leading spaces and drops tabs and newlines, so parsing made ``HTTP://``,
    `` http://…``, a tab inside the path and an empty ``?`` look registered when BankID refuses them.
    """
    if registered == uri:
        return True
    pattern = _loopback_pattern(registered) or _wildcard_pattern(registered)
    return pattern is not None and pattern.fullmatch(uri) is not None


def _loopback_pattern(registered: str) -> re.Pattern[str] | None:
    for host in LOOPBACK_HOSTS:
        authority = f"[{host}]" if ":" in host else host
        prefix = f"http://{authority}"
        if registered.startswith(prefix) and registered[len(prefix):len(prefix) + 1] in ("/", "?", "#", ""):
            return re.compile(re.escape(prefix) + _PORT + "?" + re.escape(registered[len(prefix):]))
    return None


def _wildcard_pattern(registered: str) -> re.Pattern[str] | None:
    scheme, sep, rest = registered.partition("://")
    if not sep or "*" not in rest or scheme.lower() in ("http", "https"):
        return None
    if not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        return None
    return re.compile(re.escape(registered).replace(r"\*", _WILDCARD_HOST))


def _localhost_any_port(registered: str, uri: str) -> bool:
    """Dev clients: a registered loopback callback also matches ``http://localhost:<any port>``.

    Dev servers pick their own port, and Next.js turns ``127.0.0.1`` into ``localhost`` in the
    callback URL it computes; BankID itself matches exactly (``profile = "strict"`` keeps that).
    Decided on the strings, like ``_redirect_matches``: only the authority may differ, the rest
    (path, query, fragment) must be the registered characters exactly.
    """
    for host in (*LOOPBACK_HOSTS, "localhost"):
        prefix = "http://" + (f"[{host}]" if ":" in host else host)
        if not registered.startswith(prefix):
            continue
        rest = registered[len(prefix):]
        port = re.match(_PORT, rest)
        if port is not None:
            rest = rest[port.end():]
        if rest[:1] in ("/", "?", "#", ""):
            return re.fullmatch(re.escape("http://localhost") + _PORT + "?" + re.escape(rest), uri) is not None
    return False


class ClientRegistry:
    def __init__(self, clients: list[Client], elsewhere: dict[str, str] | None = None) -> None:
        self._clients = {c.client_id: c for c in clients}
        self._elsewhere = elsewhere or {}
        """client_id -> the other provider it is registered with (for messages: ``unknown``)."""

    @classmethod
    def load(cls, fixtures_dir: Path) -> ClientRegistry:
        path = fixtures_dir / "clients.toml"
        data = read_toml(path)
        unknown_keys(data, ("client",), str(path))  # e.g. [[clients]]: no client at all, silently
        return cls([client_from_dict(entry, source=str(path), strict=True) for entry in data.get("client", [])])

    def add(self, client: Client) -> None:
        """Register a client made in code (the console's debugger); a fixture with its id is an error."""
        if client.client_id in self._clients:
            raise ValueError(f"client {client.client_id!r} is reserved for mock-bankid itself; rename yours")
        self._clients[client.client_id] = client

    def get(self, client_id: str | None) -> Client | None:
        return self._clients.get(client_id or "")

    def all(self) -> list[Client]:
        return list(self._clients.values())

    def only(self, provider: str) -> ClientRegistry:
        """The clients registered with ``provider`` (each provider knows only its own)."""
        return ClientRegistry([c for c in self._clients.values() if c.provider == provider],
                              {c.client_id: c.provider for c in self._clients.values() if c.provider != provider})

    def unknown(self, client_id: str | None) -> str:
        """Why ``client_id`` is not one of these clients, in a message's words."""
        other = self._elsewhere.get(client_id or "")
        if other is not None:
            return f"Client {client_id!r} is registered with another provider ({other}), not this one"
        return f"Unknown client {client_id!r} (register it in fixtures/clients.toml)"


_KINDS: dict[str, tuple[str, Any]] = {
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "str": ("a string", lambda v: isinstance(v, str)),
    "int": ("a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "tuple": ("a list of strings", lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v)),
    "dict": ("a table", lambda v: isinstance(v, dict)),
}


def _check_type(where: str, key: str, value: Any) -> None:
    """A client field of the wrong type is refused by name: ``pid_claim = "false"`` is a string, and
    would otherwise switch ``pid`` on."""
    annotation = str(Client.__dataclass_fields__[key].type)
    kind = next((k for k in _KINDS if annotation.startswith(k)), None)
    if kind is None or (value is None and "None" in annotation):
        return
    words, ok = _KINDS[kind]
    if not ok(value):
        raise ValueError(f"{where}: {key} must be {words}, not {value!r}")


def client_from_dict(entry: dict[str, Any], source: str = "clients", strict: bool = False) -> Client:
    """A client from its ``[[client]]`` table; ``strict`` (the fixture file): a key no client
    field knows is an error naming the client and the nearest field, not a switch silently ignored."""
    known = {f for f in Client.__dataclass_fields__}
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    where = f"{source}: client {entry.get('client_id')}"
    if strict:
        unknown_keys(entry, (known - {"extra"}) | {"conveniences"}, where)
    values["profile"] = profile_from(entry.get("profile"), entry.get("conveniences"), where=where)
    for key, value in entry.items():
        if key in ("profile", "conveniences"):
            continue
        if key in known:
            _check_type(where, key, value)
            values[key] = tuple(value) if isinstance(value, list) else value
        else:
            extra[key] = value
    if "client_id" not in values or "redirect_uris" not in values:
        named = where if "client_id" in values else source
        raise ValueError(f"{named}: every client needs client_id and redirect_uris")
    if values.get("provider", routes.HOME_PROVIDER) not in routes.PROVIDERS:
        raise ValueError(f"{where}: provider must be one of {', '.join(routes.PROVIDERS)}, "
                         f"not {values['provider']!r}")
    bad = set(values.get("auth_methods", ())) - set(AUTH_METHODS)
    if bad:
        raise ValueError(f"{source}: client {values['client_id']}: unknown auth_methods {sorted(bad)}")
    bad = set(values.get("grant_types", ())) - set(grant_type_names())
    if bad:
        raise ValueError(f"{source}: client {values['client_id']}: unknown grant_types {sorted(bad)} "
                         f"(registered: {', '.join(grant_type_names())})")
    if "none" in values.get("auth_methods", ()) and not values["profile"].public_clients:
        raise ValueError(f"{where}: a {values['profile'].name} client cannot be public (auth_methods \"none\"): "
                         "BankID authenticates every client at the token endpoint; use client_secret_basic, "
                         "client_secret_post, client_secret_jwt or private_key_jwt, or set "
                         "[client.conveniences] public_clients = true")
    return Client(**values, extra=extra)
