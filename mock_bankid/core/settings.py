"""One frozen settings object, built from ``MOCK_BANKID_*`` environment variables and CLI flags.

Every module receives the ``Settings`` it needs from ``create_app``; nothing below reads the
environment itself, so a test can build an app with exactly the settings it wants.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from mock_bankid.core import routes

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = "MOCK_BANKID_"


class SettingError(ValueError):
    """A ``MOCK_BANKID_*`` value (or the flag behind it) that cannot be used; the message names it.
    The CLI prints it as one line and exits 2 (mock_bankid/cli/_common.py)."""


def _is_checkout() -> bool:
    return (PROJECT_ROOT / "pyproject.toml").is_file()


def _default_dir(name: str) -> Path:
    """``keys``/``data`` beside the code in a checkout (``make run``); else in the working directory,
    never inside site-packages."""
    return (PROJECT_ROOT if _is_checkout() else Path.cwd()) / name


def _default_fixtures_dir() -> Path:
    """The checkout's ``fixtures/``; for an installed wheel the copy it ships in
    ``<prefix>/share/mock-bankid/fixtures``; else ``./fixtures``."""
    for candidate in (PROJECT_ROOT / "fixtures", Path(sys.prefix) / "share" / "mock-bankid" / "fixtures"):
        if (candidate / "clients.toml").is_file():
            return candidate
    return Path.cwd() / "fixtures"


@dataclass(frozen=True)
class Settings:
    """What the provider is told at start. Field names map to ``MOCK_BANKID_<NAME>``."""

    base_url: str = ""
    """What browsers reach: authorize, login page, logout. Also the issuer's base.
    Empty: ``http://localhost:<port>`` (``https`` with TLS), so every command that is told the
    port (``MOCK_BANKID_PORT``) finds the same server."""
    backchannel_base_url: str = ""
    """What servers reach (token, JWKS, userinfo, introspection); empty means ``base_url``."""
    userinfo_base_url: str = ""
    """Where userinfo lives; BankID serves it from its own host. Empty: the back-channel base."""
    realm: str = "current"
    host: str = "127.0.0.1"
    port: int = 8080
    allow_public_bind: bool = False
    workers: int = 0
    """0 lets ``serve`` choose from the machine's cores."""
    keys_dir: Path = field(default_factory=lambda: _default_dir("keys"))
    data_dir: Path = field(default_factory=lambda: _default_dir("data"))
    fixtures_dir: Path = field(default_factory=_default_fixtures_dir)
    store: str = "sqlite"
    """``sqlite`` (file in data_dir), ``memory`` (one process only) or ``redis://host:port/db``."""
    auto_login: str = ""
    """A persona id (or number, or recipe) that signs in when nothing else chose anyone."""
    clock_offset: int = 0
    """Seconds added to the wall clock: move the mock into the future to test expiry."""
    scenario: str = ""
    """A scenario (name or JSON) switched on for the whole server at start."""
    code_ttl: int = 60
    token_ttl: int = 300
    auth_session_ttl: int = 600
    """BankID's login session: 10 minutes to finish signing in."""
    sso_session_ttl: int = 1800
    refresh_token_ttl: int = 1800
    tls: bool = False
    tls_cert: str = ""
    tls_key: str = ""
    log_requests: bool = True
    read_timeout: int = 10
    """Seconds a client has to send a whole request before ``serve`` disconnects it (mock_bankid/serving/worker.py)."""
    control_token: str = field(default="", repr=False)
    """Needed for state changes under /_mock when bound to a non-loopback address (generated if unset)."""
    request_log_size: int = 200
    provider: str = field(default=routes.HOME_PROVIDER, metadata={"setting": False})
    """Which provider's layout these settings make URLs in (``core/routes.py``); not a setting: the
    app makes one copy per provider (``oidc/provider.py``)."""
    home_realm: str = field(default="", metadata={"setting": False})
    """The home realm's name in a copy made for another realm (empty: these are the home realm's)."""

    def __post_init__(self) -> None:
        if not self.base_url:
            scheme = "https" if self.tls or self.tls_cert else "http"
            object.__setattr__(self, "base_url", default_base_url(scheme, self.host, self.port))

    # --- derived -------------------------------------------------------------------------
    @property
    def issuer(self) -> str:
        return routes.issuer(self)

    @property
    def backchannel_issuer_base(self) -> str:
        """Issuer-shaped prefix on the back-channel host (same path, other host)."""
        return routes.channel_base("back", self) + routes.mount_path("issuer", self.realm, self.provider,
                                                                     routes.in_other_realm(self))

    @property
    def userinfo_endpoint(self) -> str:
        return routes.url(routes.USERINFO, self)

    @property
    def mock_base(self) -> str:
        return f"{self.base_url.rstrip('/')}{routes.CONTROL_MOUNT}"

    # --- construction --------------------------------------------------------------------
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``MOCK_BANKID_*`` from ``env`` (default ``os.environ``); ``overrides`` win.

        Overrides whose value is None are ignored, so CLI flags that were not given fall through.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in setting_fields():
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, f.type, raw)
        for name, value in overrides.items():
            if value is not None:
                values[name] = _coerce(name, _field_type(cls, name), value)
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # noqa: S104 - recognises the wildcard binds; binds nothing
"""Hosts that bind every interface: a URL for them has to name some other address."""


def is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def default_base_url(scheme: str, host: str, port: int) -> str:
    """What browsers reach when MOCK_BANKID_BASE_URL is not set: ``localhost`` for any loopback
    or wildcard bind, else the bound host."""
    shown = "localhost" if is_loopback(host) or host in WILDCARD_HOSTS else host
    return f"{scheme}://{shown}:{port}"


def setting_fields() -> tuple[Any, ...]:
    """The fields that are settings (``MOCK_BANKID_<NAME>``, docs/settings.md)."""
    return tuple(f for f in fields(Settings) if f.metadata.get("setting", True))


def _field_type(cls: type, name: str) -> str:
    for f in fields(cls):
        if f.name == name:
            return str(f.type)
    raise TypeError(f"unknown setting {name!r}")


def _coerce(name: str, typ: Any, raw: Any) -> Any:
    typ = str(typ)
    if not isinstance(raw, str):
        return Path(raw) if typ == "Path" and not isinstance(raw, Path) else raw
    if typ == "bool":
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off"}:
            return False
        raise SettingError(f"{ENV_PREFIX}{name.upper()} must be true or false, not {raw!r}")
    if typ == "int":
        try:
            return int(raw)
        except ValueError:
            raise SettingError(f"{ENV_PREFIX}{name.upper()} must be a whole number, not {raw!r}") from None
    if typ == "Path":
        return Path(raw).expanduser()
    return raw
