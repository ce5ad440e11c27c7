"""Shared fixtures: an app on the Flask test client (unit level) and a real gunicorn (end to end).

Also the test classes (see docs/e2e-tests.md, "Which tests run where"): every test that carries none
of the markers in ``NOT_UNIT`` is marked ``unit`` here, and while it runs it may not start a
process or listen on a socket (:func:`_unit_tests_stay_in_process`), so ``make unit`` is fast and
needs nothing but the Python packages.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from redis_server import redis_url  # noqa: F401  (the session fixture, for every module)
from rp import CI_REDIRECT, FlaskRP, pkce_pair, query_of

from mock_bankid.app import create_app
from mock_bankid.core.settings import PROJECT_ROOT, Settings
from mock_bankid.keys import KeyManager
from mock_bankid.keys.rotation import uuid_kid

FIXTURES = PROJECT_ROOT / "fixtures"
__all__ = ["CI_REDIRECT", "FIXTURES", "FakeClock", "LiveServer", "free_port", "pkce_pair", "query_of", "start_server"]

NOT_UNIT = ("e2e", "browser", "node", "redis", "docker", "forks", "serves")
"""Markers that take a test out of ``make unit`` (pyproject.toml says what each needs)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not any(item.get_closest_marker(name) for name in NOT_UNIT):
            item.add_marker(pytest.mark.unit)


def _refuse(what: str):
    def refuse(*_args, **_kwargs):
        raise AssertionError(f"a unit test may not {what}: keep it in process or mark it ({', '.join(NOT_UNIT)})")
    return refuse


@pytest.fixture(autouse=True)
def _unit_tests_stay_in_process(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold ``unit`` tests to their promise: no other process (no server, no Debian tool), no listening socket."""
    if request.node.get_closest_marker("unit") is None:
        return
    monkeypatch.setattr(subprocess.Popen, "_execute_child", _refuse("start a process"))
    monkeypatch.setattr(os, "fork", _refuse("fork"))
    monkeypatch.setattr(socket.socket, "listen", _refuse("listen on a socket"))


class FakeClock:
    """The mock's movable clock for unit tests: call it for the time, ``advance`` it, no sleeping."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def keys_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The provider's keys (RSA, EC and the CA of the EC key's x5c), made once per session: making them
    was most of a unit test's set-up. Every ``settings`` gets its own copy, so tests stay independent."""
    path = tmp_path_factory.mktemp("keys-template") / "keys"
    KeyManager(path).ensure()
    KeyManager(path / "vipps", kid_of=uuid_kid).ensure()  # Vipps Login's own keys (oidc/provider.py)
    return path


def copy_keys(template: Path, keys_dir: Path) -> Path:
    """A private copy of the template (modes kept: the key manager checks them)."""
    shutil.copytree(template, keys_dir)
    return keys_dir


@pytest.fixture
def settings(tmp_path: Path, keys_template: Path) -> Settings:
    return Settings(
        base_url="http://localhost:8080",
        keys_dir=copy_keys(keys_template, tmp_path / "keys"),
        data_dir=tmp_path / "data",
        fixtures_dir=FIXTURES,
        store="memory",
        log_requests=False,
    )


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def provider(app):
    return app.extensions["mock_bankid"]


@pytest.fixture
def rp(client) -> FlaskRP:
    """The relying-party driver on this test's app (tests/rp): client ``ci``, login_hint ``adult``."""
    return FlaskRP(client)


@dataclass
class LiveServer:
    """A real ``mock-bankid serve`` process (gunicorn, several workers) on a free loopback port."""

    base_url: str
    process: subprocess.Popen
    env: dict[str, str]
    log_path: Path
    extra_args: list[str] = field(default_factory=list)
    verify: str | bool = True
    """What ``requests`` needs to trust the server: the local CA file when started with ``tls=True``."""

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/auth/realms/current"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_server(tmp: Path, *, workers: int = 4, env: dict[str, str] | None = None, args: list[str] | None = None,
                 port: int | None = None, timeout: float = 30.0, tls: bool = False) -> LiveServer:
    """Start ``mock-bankid serve``; with ``tls`` it serves HTTPS with its local CA (``server.verify``)."""
    port = port or free_port()
    base_url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    full_env = dict(os.environ)
    full_env.update(
        {
            "MOCK_BANKID_BASE_URL": base_url,
            "MOCK_BANKID_PORT": str(port),
            "MOCK_BANKID_KEYS_DIR": str(tmp / "keys"),
            "MOCK_BANKID_DATA_DIR": str(tmp / "data"),
            "MOCK_BANKID_FIXTURES_DIR": str(FIXTURES),
            "MOCK_BANKID_WORKERS": str(workers),
            "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + full_env.get("PYTHONPATH", ""),
        }
    )
    full_env.update(env or {})
    if tls:
        args = ["--tls", *(args or [])]
    log_path = tmp / f"server-{port}.log"
    with open(log_path, "wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_bankid.cli", "serve", *(args or [])],
            env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=str(tmp),
        )
    ca = Path(full_env["MOCK_BANKID_DATA_DIR"]) / "tls" / "ca.pem"
    server = LiveServer(base_url, process, full_env, log_path, list(args or []), verify=str(ca) if tls else True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mock-bankid serve exited with {process.returncode}:\n{server.log()}")
        if tls and not ca.exists():
            time.sleep(0.1)
            continue
        try:
            if requests.get(f"{base_url}/_mock/health", timeout=1, verify=server.verify).status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"mock-bankid serve did not become healthy in {timeout}s:\n{server.log()}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


# --- Debian's Chromium, driven by Playwright (the browser tests share one launch per module) ----
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
"""Flags that keep Chromium quiet on this closed network (../shared/reference/tooling.md)."""


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium; scripts/setup-test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
