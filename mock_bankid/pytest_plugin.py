"""pytest plugin (entry point ``pytest11``): a ``mock_bankid`` fixture for suites that test against it.

Installing mock-bankid makes the fixture available to every pytest run; nothing to import::

    def test_sign_in(mock_bankid):
        mock_bankid.queue_login("adult")              # who signs in next, whatever the client sends
        my_app.configure(issuer=mock_bankid.issuer, client_id="ci", client_secret="ci-secret")
        ...
        tokens = mock_bankid.mint("adult", client_id="ci")  # or skip the browser dance entirely

The provider runs in-process: a thread serving a real HTTP port on 127.0.0.1 (a free port), the
in-memory store and keys in a temporary directory. One server per pytest session (per distinct
``mock_bankid_settings``), reset before every test -- store (next-login queue, scenario, clock
shift, SSO sessions, codes, tokens, counters), request log and key set as they were at start --
so tests stay independent while only the first one pays for starting it (a few hundred
milliseconds; then about a millisecond per test). The key set is made once and kept in pytest's
cache directory (``.pytest_cache``) as a template each session copies, so even the first test
skips key generation (with ``-p no:cacheprovider`` every session makes its own).
Override the ``mock_bankid_settings`` fixture (a dict of ``Settings`` fields) to change anything,
e.g. ``{"auto_login": "adult"}`` or ``{"fixtures_dir": Path("my-fixtures")}``.

``--mock-bankid-url URL`` uses a running ``mock-bankid serve`` instead (shared by a whole CI job,
say): each pytest process (each ``pytest -n`` worker) gets a realm of its own on it, emptied before
every test (``DELETE /_mock/realms/<name>``), so parallel workers never see each other's queue,
scenario or clock. The fixture is then a ``RemoteMockBankID``: the same calls, over HTTP.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from mock_bankid.app import create_app
from mock_bankid.core import routes
from mock_bankid.core.settings import Settings
from mock_bankid.http import requestlog
from mock_bankid.oidc import login_queue
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.mint import TEST_DEFAULTS, mint_for_tests
from mock_bankid.oidc.provider import EXTENSION_KEY, Provider
from mock_bankid.people.personas import Persona
from mock_bankid.scenarios import ENGINE_KEY, Scenarios

DEFAULT_SCOPE = "openid profile nnin_altsub"


@dataclass
class MockBankID:
    """What the ``mock_bankid`` fixture hands a test: where the provider is and ways to drive it."""

    app: Flask
    base_url: str
    server: BaseWSGIServer | None = field(default=None, repr=False)
    keys_at_start: bytes | None = field(default=None, repr=False)
    """``keys.json`` as the server started with it: ``reset`` puts it back after a rotation."""

    def reset(self) -> None:
        """Back to the state the server started in, without restarting it (~1 ms): every store
        entry (next-login queue, scenario, clock shift, SSO sessions, codes, tokens, rate-limit
        counters), the request log, the start scenario, and the key set as at start."""
        p = self.provider
        p.store.clear_all()
        requestlog.clear(p.store)
        engine: Scenarios = self.app.extensions[ENGINE_KEY]
        engine.restart()
        if self.keys_at_start is not None:
            state = p.keys.state_path
            if state.read_bytes() != self.keys_at_start:  # a test rotated keys
                tmp = state.with_name(state.name + ".reset")
                tmp.write_bytes(self.keys_at_start)
                os.chmod(tmp, 0o600)
                os.replace(tmp, state)  # a new inode: the key manager reloads it
        p.state_changed()  # every cached read of server-wide state is stale now

    @property
    def provider(self) -> Provider:
        return self.app.extensions[EXTENSION_KEY]

    @property
    def settings(self) -> Settings:
        return self.provider.settings

    @property
    def issuer(self) -> str:
        return self.provider.issuer

    @property
    def discovery_url(self) -> str:
        return routes.url(routes.DISCOVERY, self.settings)

    @property
    def clients(self) -> dict[str, Client]:
        """The registered clients by id (``ci`` / ``ci-secret`` suits most tests)."""
        return {c.client_id: c for c in self.provider.clients.all()}

    @property
    def personas(self) -> dict[str, Persona]:
        """The fixture personas by id, as of the mock's today."""
        p = self.provider
        return {x.id: x for x in p.personas.all(p.today())}

    def persona(self, selector: str) -> Persona:
        """A persona by id, number (``nnin:...``) or recipe (``age:17``); raises if it names nobody."""
        p = self.provider
        return p.personas.require(selector, p.today())

    def queue_login(self, selector: str | Persona, scenario: str | None = None) -> Persona:
        """Make the next authorization request sign in as ``selector``, with an optional scenario.

        Same queue as ``POST {base}/_mock/next-login``: first in, first out, shared by all clients.
        """
        text = selector.nnin if isinstance(selector, Persona) else str(selector)
        if isinstance(selector, Persona):
            text = f"nnin:{text}"
        persona = self.persona(text)
        login_queue.push(self.provider, text, scenario)
        return persona

    def clear_queue(self) -> None:
        login_queue.clear(self.provider)

    def mint(self, persona: str | Persona = "adult", *, client_id: str | None = None, scope: str | None = None,
             nonce: str | None = None, acr_values: str | None = None, provider: str = "bankid") -> dict[str, Any]:
        """A token response (``access_token``, ``id_token``, ...) as if ``persona`` had signed in.

        ``provider="vipps"``: Vipps Login's tokens (its issuer, keys, pairwise ``sub``; client
        ``ci-vipps`` and Vipps's scopes unless given); by default BankID's (client ``ci``, scope
        ``openid profile nnin_altsub``).

        For tests of an API that only needs a valid bearer token: no browser, no code exchange.
        The access token works at userinfo like one from the token endpoint. The same minting as
        ``mock-bankid token`` (``mint.mint_for_tests``): ``offline_access`` adds a refresh token,
        a scope the client is not registered for raises ``ValueError``; the result also has the
        decoded ``claims`` and a ``persona`` summary.
        """
        assert self.provider.realms is not None
        with self.app.app_context():
            p = self.provider.realms.of(provider)
        default_client, default_scope = TEST_DEFAULTS[provider]
        client_id = client_id or default_client
        who = persona if isinstance(persona, Persona) else self.persona(persona)
        if p.clients.get(client_id) is None:
            registered = ", ".join(c.client_id for c in p.clients.all())
            raise LookupError(f"unknown {provider} client_id {client_id!r}; registered: {registered}")
        with self.app.app_context():
            return mint_for_tests(p, who, client_id=client_id, scope=scope or default_scope, nonce=nonce,
                                  acr_values=acr_values)

    def issuer_of(self, provider: str) -> str:
        """The issuer of ``provider`` (``bankid``: ``issuer``; ``vipps``: ``{base}/access-management-1.0/access/``)."""
        assert self.provider.realms is not None
        with self.app.app_context():
            return self.provider.realms.of(provider).issuer

    def jwks(self) -> dict[str, Any]:
        """The published JWKS (what ``jwks_uri`` serves)."""
        return self.provider.keys.jwks()

    def url(self, path: str) -> str:
        """An absolute URL on the mock, e.g. ``url("/_mock/personas")``."""
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"


class _LateApp:
    """The server needs an app to bind; the app needs the bound port for its issuer. Bind first."""

    def __init__(self) -> None:
        self.app: Callable[..., Any] | None = None

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)


def start_mock_bankid(settings: Settings, host: str = "127.0.0.1") -> MockBankID:
    """Serve ``create_app(settings)`` from a daemon thread on a free port of ``host``.

    ``settings.base_url`` is replaced by the bound address. Stop it with ``stop_mock_bankid``.
    """
    late = _LateApp()
    server = make_server(host, 0, late, threaded=True)
    base_url = f"http://{host}:{server.server_port}"
    app = create_app(settings.with_(base_url=base_url, host=host, port=server.server_port))
    late.app = app
    # Polling every 0.1 s (not werkzeug's 0.5 s) makes stopping it, once per session, 0.4 s quicker.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="mock-bankid",
                     daemon=True).start()
    mock = MockBankID(app=app, base_url=base_url, server=server)
    with contextlib.suppress(OSError):
        mock.keys_at_start = mock.provider.keys.state_path.read_bytes()
    return mock


def stop_mock_bankid(mock: MockBankID) -> None:
    if mock.server is not None:
        mock.server.shutdown()
        mock.server.server_close()
    mock.provider.store.close()


@dataclass
class RemoteMockBankID:
    """A realm of its own on a running mock (``--mock-bankid-url``), driven over HTTP."""

    base_url: str
    realm: str
    http: requests.Session = field(default_factory=requests.Session, repr=False)

    @property
    def issuer(self) -> str:
        return self.base_url + routes.mount_path("issuer", self.realm)

    @property
    def discovery_url(self) -> str:
        return self.issuer + routes.DISCOVERY.path

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def control(self, route: routes.Route, body: dict[str, Any] | None = None, **values: str) -> Any:
        """A ``/_mock`` call (``route``'s first method) on this realm; raises with the mock's own error
        description on a 4xx."""
        method, path = route.methods[0], route.filled(**values)
        response = self.http.request(method, self.url(path), params={"realm": self.realm}, json=body, timeout=30)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    def reset(self) -> None:
        """Everything of this realm removed: the next request starts it afresh."""
        self.control(routes.REALMS_DELETE, name=self.realm)

    def queue_login(self, selector: str, scenario: str | None = None) -> dict[str, Any]:
        """Who signs in next in this realm; returns the persona's summary."""
        body = {"login_hint": selector, **({"scenario": scenario} if scenario else {})}
        found: dict[str, Any] = self.control(routes.NEXT_LOGIN_PUSH, body)["persona"]
        return found

    def clear_queue(self) -> None:
        self.control(routes.NEXT_LOGIN_CLEAR)

    def mint(self, persona: str = "adult", *, client_id: str | None = None, scope: str | None = None,
             nonce: str | None = None, acr_values: str | None = None, provider: str = "bankid") -> dict[str, Any]:
        """As ``MockBankID.mint``, in this realm (``provider="vipps"``: its Vipps Login's tokens)."""
        body = {"persona": persona, "client_id": client_id, "scope": scope, "nonce": nonce,
                "acr_values": acr_values, "provider": provider}
        found: dict[str, Any] = self.control(routes.MINT, body)
        return found

    def jwks(self) -> dict[str, Any]:
        found: dict[str, Any] = self.http.get(self.issuer + routes.JWKS.path, timeout=30).json()
        return found


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--mock-bankid-url", default=None, metavar="URL",
                     help="use the mock-bankid serving at URL (one realm per pytest process) instead of one in-process")


@pytest.fixture(scope="session")
def _mock_bankid_remote(request: pytest.FixtureRequest) -> Iterator[RemoteMockBankID | None]:
    url = request.config.getoption("--mock-bankid-url", default=None)
    if not url:
        yield None
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    remote = RemoteMockBankID(base_url=str(url).rstrip("/"), realm=f"pytest-{worker}-{secrets.token_hex(3)}")
    remote.control(routes.REALMS_CREATE, {"realm": remote.realm})
    try:
        yield remote
    finally:
        with contextlib.suppress(requests.RequestException, AssertionError):
            remote.reset()


@pytest.fixture
def mock_bankid_settings() -> dict[str, Any]:
    """Override to change the provider's ``Settings`` fields for the ``mock_bankid`` fixture."""
    return {}


class _Servers:
    """The session's servers, one per distinct ``mock_bankid_settings``, started on first use."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory, keys_template: Path | None) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.keys_template = keys_template
        self.running: dict[str, MockBankID] = {}

    def get(self, overrides: dict[str, Any]) -> MockBankID:
        key = repr(sorted(overrides.items()))
        mock = self.running.get(key)
        if mock is None:
            tmp = self.tmp_path_factory.mktemp("mock-bankid")
            base = Settings(keys_dir=tmp / "keys", data_dir=tmp / "data", store="memory", log_requests=False)
            settings = base.with_(**{k: (Path(v) if k.endswith("_dir") else v) for k, v in overrides.items()})
            own_keys = "keys_dir" not in overrides and self.keys_template is not None
            if own_keys:
                _copy_keys(self.keys_template, settings.keys_dir)
            mock = start_mock_bankid(settings)
            if own_keys:
                _save_keys(settings.keys_dir, self.keys_template)
            self.running[key] = mock
        return mock

    def stop(self) -> None:
        for mock in self.running.values():
            stop_mock_bankid(mock)
        self.running.clear()


def _copy_keys(template: Path | None, keys_dir: Path) -> None:
    if template is not None and (template / "keys.json").is_file():
        shutil.copytree(template, keys_dir, ignore=shutil.ignore_patterns(".lock"))


def _save_keys(keys_dir: Path, template: Path | None) -> None:
    """Keep a session's fresh key set as the template later sessions copy (atomically: a rename)."""
    if template is None or (template / "keys.json").is_file() or not (keys_dir / "keys.json").is_file():
        return
    with contextlib.suppress(OSError):
        staging = Path(tempfile.mkdtemp(prefix="keys-", dir=template.parent))
        shutil.copytree(keys_dir, staging, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".lock"))
        with contextlib.suppress(OSError):
            template.rmdir()  # the empty directory pytest's cache made
        try:
            os.rename(staging, template)
        except OSError:  # another session saved one first
            shutil.rmtree(staging, ignore_errors=True)


@pytest.fixture(scope="session")
def _mock_bankid_servers(request: pytest.FixtureRequest,
                         tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Servers]:
    cache = getattr(request.config, "cache", None)  # None with -p no:cacheprovider
    template = cache.mkdir("mock-bankid-keys") if cache is not None else None
    servers = _Servers(tmp_path_factory, template)
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def mock_bankid(mock_bankid_settings: dict[str, Any], _mock_bankid_servers: _Servers,
                _mock_bankid_remote: RemoteMockBankID | None) -> Iterator[MockBankID | RemoteMockBankID]:
    """A mock BankID provider on a free loopback port (memory store). One server per session and
    ``mock_bankid_settings``, reset before each test: no state from an earlier test is left.
    With ``--mock-bankid-url``: this process's realm on that server, emptied before each test."""
    if _mock_bankid_remote is not None:
        if mock_bankid_settings:
            pytest.fail(f"mock_bankid_settings {sorted(mock_bankid_settings)} cannot change a running mock "
                        "(--mock-bankid-url): start that server with those settings, or run in process", False)
        _mock_bankid_remote.reset()
        yield _mock_bankid_remote
        return
    mock = _mock_bankid_servers.get(mock_bankid_settings)
    mock.reset()
    yield mock
