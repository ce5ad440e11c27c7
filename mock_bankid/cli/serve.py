"""``mock-bankid serve``: the provider under gunicorn, several workers sharing one store."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import logging
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from mock_bankid import __version__
from mock_bankid.cli._common import ConfigError, one_line_errors
from mock_bankid.core import routes
from mock_bankid.core.errors import StoreUnavailable
from mock_bankid.core.settings import WILDCARD_HOSTS, Settings, default_base_url, is_loopback  # noqa: F401 - re-exported
from mock_bankid.http.control_token import ensure_control_token
from mock_bankid.keys.tls import TlsFiles, ensure_local_tls, hosts_for
from mock_bankid.oidc.provider import REALM_NAME
from mock_bankid.scenarios.engine import split_provider

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


def default_workers() -> int:
    """One per core (at least 2, at most 8), each with ``threads`` threads.

    Python runs one thread of a process at a time, so a second worker per core only adds
    processes competing for the same core; the threads overlap what waits (the store, the
    network). The other shapes measured: bench/README.md.
    """
    return max(2, min(8, os.cpu_count() or 1))


def banner(settings: Settings, workers: int, tls: TlsFiles | None = None) -> str:
    scheme = "https" if tls else "http"
    vipps = dataclasses.replace(settings, provider="vipps", userinfo_base_url="")  # as Realms.add_provider
    lines = [
        "=" * 78,
        f" mock-bankid {__version__}: a MOCK of the BankID OpenID Connect provider and of Vipps Login",
        " NOT FOR PRODUCTION. Tokens are signed with local test keys; anyone can sign in as anyone.",
        "=" * 78,
        f" listening      {scheme}://{settings.host}:{settings.port}  ({workers} workers)",
        f" issuer         {settings.issuer}",
        f" discovery      {routes.url(routes.DISCOVERY, settings)}",
        f" back-channel   {settings.backchannel_issuer_base}" if settings.backchannel_base_url else None,
        f" login page     {routes.url(routes.AUTHORIZE, settings)} (via your client)",
        f" vipps issuer   {vipps.issuer}  (MOCK Vipps Login: not Vipps)",
        f" vipps discovery {routes.url(routes.DISCOVERY, vipps)}",
        f" console        {routes.url(routes.CONSOLE_HOME, settings)}"
        "  (open in a browser: personas, scenarios, debugger)",
        f" control        {settings.mock_base}/  (the same as JSON, for scripts: README.md, The control surface)",
        f" control token  {settings.control_token}  (changes under /_mock need 'Authorization: Bearer <it>')"
        if settings.control_token and not is_loopback(settings.host) else None,
        f" store          {settings.store} (data in {settings.data_dir})",
        f" keys           {settings.keys_dir}",
        f" tls cert       {tls.cert}" if tls else None,
        f" tls CA         {tls.ca}  <- clients trust this file, e.g. NODE_EXTRA_CA_CERTS={tls.ca}"
        if tls and tls.ca else None,
        f" fixtures       {settings.fixtures_dir}",
        f" auto-login     {settings.auto_login}" if settings.auto_login else None,
        f" start scenario {start_scenario(settings.scenario)}" if settings.scenario else None,
        "-" * 78,
        " Other mock-bankid commands (token, scenario, drill) find this server with:",
        f"   export MOCK_BANKID_BASE_URL={settings.base_url}",
        "=" * 78,
    ]
    return "\n".join(line for line in lines if line is not None)


def start_scenario(raw: str) -> str:
    """MOCK_BANKID_SCENARIO as the banner shows it: the scenario and whose it is (checked already)."""
    spec, given = split_provider(raw)
    shown = spec.strip() if isinstance(spec, str) else json.dumps(dict(spec), separators=(", ", ": "))
    return f"{shown}  ({f'for {given} only' if given else 'for every provider it is offered for'})"


def resolve_tls(settings: Settings) -> TlsFiles | None:
    """The certificate to serve: the given ``tls_cert``/``tls_key``, else (with ``tls``) a local CA's."""
    if bool(settings.tls_cert) != bool(settings.tls_key):
        raise click.ClickException("--tls-cert and --tls-key go together: give both or neither.")
    if settings.tls_cert:
        for path in (settings.tls_cert, settings.tls_key):
            if not Path(path).is_file():
                raise click.ClickException(f"TLS file not found: {path}")
        return TlsFiles(cert=Path(settings.tls_cert), key=Path(settings.tls_key), ca=None)
    if settings.tls:
        bind = [] if settings.host in WILDCARD_HOSTS else [settings.host]
        hosts = hosts_for(settings.base_url, settings.backchannel_base_url, settings.userinfo_base_url, extra=bind)
        return ensure_local_tls(settings.data_dir, hosts)
    return None


POSITIVE_SETTINGS = ("code_ttl", "token_ttl", "auth_session_ttl", "sso_session_ttl", "refresh_token_ttl",
                     "read_timeout")
"""Whole-number settings for which 0 or less means nothing works (every token born expired, say)."""
URL_SETTINGS = {"base_url": "--base-url", "backchannel_base_url": "--backchannel-base-url", "userinfo_base_url": ""}


def check_values(settings: Settings) -> None:
    """Values that parse but cannot work: a base URL that is no URL, a lifetime of 0 or less."""
    for name, flag in URL_SETTINGS.items():
        value = getattr(settings, name)
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment):
            also = f" ({flag})" if flag else ""
            raise ConfigError(f"MOCK_BANKID_{name.upper()}{also} must be an http(s) URL such as "
                              f"http://localhost:8080 (a path is allowed), not {value!r}")
    for name in POSITIVE_SETTINGS:
        if getattr(settings, name) <= 0:
            raise ConfigError(f"MOCK_BANKID_{name.upper()} must be more than 0, not {getattr(settings, name)}")
    if settings.request_log_size < 0:
        raise ConfigError(f"MOCK_BANKID_REQUEST_LOG_SIZE must be 0 (no log) or more, not {settings.request_log_size}")
    if not REALM_NAME.match(settings.realm):
        raise ConfigError(f"MOCK_BANKID_REALM must be 1-63 characters of a-z, 0-9 and '-' (starting with a letter "
                          f"or digit), as every realm's name, not {settings.realm!r}")


def check_bind(settings: Settings) -> None:
    """The port is one a server can listen on and nothing listens there yet: one line (exit 2)
    instead of gunicorn's traceback, and never port 0, whose issuer (``:0``) no client could reach."""
    if not 1 <= settings.port <= 65535:
        raise ConfigError(f"MOCK_BANKID_PORT (--port) must be 1-65535, not {settings.port}")
    if settings.workers < 0:
        raise ConfigError(f"MOCK_BANKID_WORKERS (--workers) must be 0 (one per core) or more, not {settings.workers}")
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            settings.host or None, settings.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
            probe.bind(address)
    except OSError as exc:
        where = f"{settings.host}:{settings.port}"
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"MOCK_BANKID_PORT (--port): {where} is already in use; "
                              "stop what listens there or choose another port") from None
        reason = exc.strerror or str(exc)
        raise ConfigError(f"MOCK_BANKID_HOST/_PORT (--host/--port): cannot listen on {where}: {reason}") from None


def check_writable(path: Path, setting: str) -> None:
    """``path`` exists (made if need be) and takes new files: the store, keys and TLS files go there."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ConfigError(f"{setting}: cannot write to {path}: {exc.strerror or exc}") from None


def build_app(settings: Settings) -> Any:
    """The app, built before gunicorn starts: a broken fixture, an unknown auto-login persona or a
    store that is down stops the start as one line (exit 2), not a traceback from gunicorn's master."""
    from mock_bankid.app import create_app

    try:
        app = create_app(settings)
    except StoreUnavailable as exc:
        raise ConfigError(f"MOCK_BANKID_STORE: {exc.description}") from None
    except (ValueError, OSError) as exc:  # fixture files, MOCK_BANKID_AUTO_LOGIN / _SCENARIO, keys
        raise ConfigError(str(exc).strip() or type(exc).__name__) from None
    warm_personas(app)
    return app


def warm_personas(app: Any) -> None:
    """Build today's personas (importing Faker) once in the master, before the workers fork.

    Otherwise each worker pays it (~0.3 s) on the first sign-in it serves -- all of them at once
    on a fresh server, which is when a CI job starts signing in. Forked workers share the result.
    """
    from mock_bankid.oidc.provider import EXTENSION_KEY

    p = app.extensions[EXTENSION_KEY]
    with contextlib.suppress(Exception):  # only a warm-up: a broken fixture is reported where it is used
        p.personas.all(p.today())


def run_gunicorn(settings: Settings, workers: int, extra: dict[str, Any] | None = None,
                 tls: TlsFiles | None = None, app: Any = None) -> None:
    """Serve ``app`` (built here from ``settings`` if not given) under gunicorn until stopped."""
    from gunicorn.app.base import BaseApplication

    from mock_bankid.serving.worker import DeadlineThreadWorker

    DeadlineThreadWorker.read_timeout = float(settings.read_timeout)  # forked workers inherit it

    class MockBankIDServer(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": [f"[{settings.host}]:{settings.port}" if ":" in settings.host
                         else f"{settings.host}:{settings.port}"],
                "workers": workers,
                # gthread that reads each request in its event loop before a thread serves it, so
                # stalled clients cost no thread, and that answers gunicorn's own rejections as JSON.
                "worker_class": DeadlineThreadWorker,
                "threads": 4,
                "keepalive": 5,
                "limit_request_line": 8190,  # gunicorn's maximum: long authorize URLs are the client's right
                "timeout": 120,
                "graceful_timeout": 5,
                "preload_app": True,  # keys are created once, in the master, before workers fork
                "accesslog": None,  # the app logs one line per request, without query strings
                "errorlog": "-",
                "loglevel": "info",
                "proc_name": "mock-bankid",
                "when_ready": lambda _server: print(banner(settings, workers, tls), file=sys.stderr, flush=True),
                **({"certfile": str(tls.cert), "keyfile": str(tls.key)} if tls else {}),
                **(extra or {}),
            }
            if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25.1: one shared path
                options.setdefault("control_socket_disable", True)  # would clash between servers
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app if app is not None else build_app(settings)

    MockBankIDServer().run()


def register(group: click.Group) -> None:
    @group.command()
    @click.option("--host", help="Address to bind (default 127.0.0.1; MOCK_BANKID_HOST).")
    @click.option("--port", type=int, help="Port (default 8080; MOCK_BANKID_PORT).")
    @click.option("--workers", type=int,
                  help="gunicorn workers (default: 1 per core, at least 2, max 8; MOCK_BANKID_WORKERS).")
    @click.option("--base-url", help="What browsers reach; the issuer's base (MOCK_BANKID_BASE_URL; default http[s]://localhost:PORT).")
    @click.option("--backchannel-base-url",
                  help="What other servers reach for token, JWKS, userinfo, e.g. http://mock-bankid:8080 "
                       "(MOCK_BANKID_BACKCHANNEL_BASE_URL; default: the base URL).")
    @click.option("--auto-login", help="Persona that signs in when nothing else chose one (MOCK_BANKID_AUTO_LOGIN).")
    @click.option("--allow-public-bind", is_flag=True, default=None,
                  help="Allow binding a non-loopback address. The mock lets anyone sign in as anyone.")
    @click.option("--tls", is_flag=True, default=None,
                  help="Serve HTTPS with a local CA made once in the data directory (MOCK_BANKID_TLS).")
    @click.option("--tls-cert", help="Serve HTTPS with this certificate (PEM) instead (MOCK_BANKID_TLS_CERT).")
    @click.option("--tls-key", help="The private key (PEM) for --tls-cert (MOCK_BANKID_TLS_KEY).")
    @one_line_errors
    def serve(host: str | None, port: int | None, workers: int | None, base_url: str | None,
              backchannel_base_url: str | None, auto_login: str | None, allow_public_bind: bool | None,
              tls: bool | None, tls_cert: str | None, tls_key: str | None) -> None:
        """Run the mock provider under gunicorn."""
        settings = Settings.from_env(host=host, port=port, workers=workers, base_url=base_url,
                                     backchannel_base_url=backchannel_base_url, auto_login=auto_login,
                                     allow_public_bind=allow_public_bind, tls=tls, tls_cert=tls_cert, tls_key=tls_key)
        if not is_loopback(settings.host) and not settings.allow_public_bind:
            raise ConfigError(
                f"refusing to bind {settings.host}: mock-bankid lets anyone sign in as anyone. "
                "Pass --allow-public-bind (or MOCK_BANKID_ALLOW_PUBLIC_BIND=true) if you mean it, "
                "e.g. in a container."
            )
        check_values(settings)
        check_bind(settings)
        check_writable(Path(settings.data_dir), "MOCK_BANKID_DATA_DIR")
        check_writable(Path(settings.keys_dir), "MOCK_BANKID_KEYS_DIR")
        settings = ensure_control_token(settings)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(process)d] %(name)s: %(message)s",
                            stream=sys.stderr)
        try:
            tls_files = resolve_tls(settings)
        except click.ClickException as exc:
            raise ConfigError(exc.message) from None
        run_gunicorn(settings, settings.workers or default_workers(), tls=tls_files, app=build_app(settings))
