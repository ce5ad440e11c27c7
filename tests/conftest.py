"""Shared fixtures: an app on the Flask test client (unit level) and a real gunicorn (end to end)."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from mock_bankid.app import create_app
from mock_bankid.settings import PROJECT_ROOT, Settings

FIXTURES = PROJECT_ROOT / "fixtures"
CI_REDIRECT = "http://127.0.0.1:5555/callback"


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


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(location: str) -> dict[str, str]:
    parts = urlsplit(location)
    return {k: v[0] for k, v in parse_qs(parts.query or parts.fragment).items()}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        base_url="http://localhost:8080",
        keys_dir=tmp_path / "keys",
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
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_bankid.cli", "serve", *(args or [])],
        env=full_env, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT, cwd=str(tmp),
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
