"""A throwaway redis-server on loopback for tests.

conftest.py imports the fixture, so any test module can ask for it::

    def test_something(redis_url):       # "redis://127.0.0.1:<port>/0"; skipped without redis-server
        ...

or, outside pytest fixtures, ``with start_redis() as url: ...``. One server per test session;
tests share it, so give each test its own key prefix (``f"{redis_url}?prefix=..."``) or db.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

REDIS_SERVER = "redis-server"
SKIP_REASON = "redis-server is not on PATH (apt-get install redis-server)"


def redis_server_available() -> bool:
    return shutil.which(REDIS_SERVER) is not None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(proc: subprocess.Popen, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(64).startswith(b"+PONG"):
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


@contextmanager
def start_redis(timeout: float = 10.0) -> Iterator[str]:
    """Start ``redis-server`` on 127.0.0.1 at a free port without persistence; yield its URL
    (``redis://127.0.0.1:<port>/0``); kill it afterwards."""
    if not redis_server_available():
        raise RuntimeError(SKIP_REASON)
    with tempfile.TemporaryDirectory(prefix="mock-bankid-redis-") as workdir:
        last_error = ""
        for _attempt in range(3):  # the free port may be taken between probe and bind
            port = _free_port()
            proc = subprocess.Popen(
                [
                    REDIS_SERVER,
                    "--bind", "127.0.0.1",
                    "--port", str(port),
                    "--save", "",
                    "--appendonly", "no",
                    "--dir", workdir,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            try:
                if _wait_until_up(proc, port, timeout):
                    yield f"redis://127.0.0.1:{port}/0"
                    return
                last_error = f"redis-server did not answer on port {port}"
            finally:
                proc.kill()
                output, _ = proc.communicate(timeout=10)
                if proc.returncode not in (0, -9) and not last_error:
                    last_error = output.decode(errors="replace")[-2000:]
        raise RuntimeError(f"could not start redis-server: {last_error}")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of a redis-server started for this test session; skips when there is none."""
    if not redis_server_available():
        pytest.skip(SKIP_REASON)
    with start_redis() as url:
        yield url
