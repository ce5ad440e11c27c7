"""A store outage is a clear 503 that names the store, and service resumes when it is back (issue 12.2).

Unit level: a real SqliteStore whose file cannot be opened (its path is a directory). End to end:
a real gunicorn on a real redis-server that is stopped and started again on the same port.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
from conftest import CI_REDIRECT, FIXTURES, free_port, pkce_pair, start_server

from mock_bankid.app import create_app
from mock_bankid.core.settings import Settings
from mock_bankid.store import SqliteStore

TOKEN = "/auth/realms/current/protocol/openid-connect/token"
AUTHORIZE = "/auth/realms/current/precheck/auth"


@pytest.fixture
def broken_client(tmp_path: Path):
    broken = tmp_path / "store-is-a-directory.sqlite3"
    broken.mkdir()
    settings = Settings(base_url="http://localhost:8080", keys_dir=tmp_path / "keys", data_dir=tmp_path / "data",
                        fixtures_dir=FIXTURES, store="memory", log_requests=False)
    return create_app(settings, store=SqliteStore(broken)).test_client()


def test_health_still_answers_and_ready_names_the_store(broken_client):
    assert broken_client.get("/_mock/health").status_code == 200
    ready = broken_client.get("/_mock/ready")
    assert ready.status_code == 503
    assert ready.json["status"] == "unavailable"
    assert "store-is-a-directory.sqlite3" in ready.json["checks"]["store"]


def test_json_endpoints_answer_503_temporarily_unavailable_naming_the_store(broken_client):
    for response in (
        broken_client.post(TOKEN, data={"grant_type": "authorization_code", "code": "x", "client_id": "drop-mobile",
                                        "redirect_uri": CI_REDIRECT, "code_verifier": "v" * 43}),
        broken_client.get("/_mock/next-login"),
        broken_client.get("/_mock/clock"),
    ):  # (/_mock/requests needs no store since the request log moved off it: it still answers)
        assert response.status_code == 503, response.data
        assert response.json["error"] == "temporarily_unavailable"
        assert "sqlite store" in response.json["error_description"]
        assert "store-is-a-directory.sqlite3" in response.json["error_description"]
        assert response.headers["Retry-After"]


def test_the_login_page_route_answers_a_503_page(broken_client):
    _verifier, challenge = pkce_pair()
    response = broken_client.get(AUTHORIZE, query_string={
        "client_id": "ci", "redirect_uri": CI_REDIRECT, "response_type": "code", "scope": "openid",
        "state": "s" * 16, "nonce": "n" * 16, "code_challenge": challenge, "code_challenge_method": "S256"})
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert b"temporarily_unavailable" in response.data and b"store-is-a-directory.sqlite3" in response.data


# --- end to end: stop Redis, start it again ------------------------------------------------------


def _start_redis(port: int, workdir: Path) -> subprocess.Popen:
    proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            import socket
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(64).startswith(b"+PONG"):
                    return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


@pytest.mark.e2e
@pytest.mark.redis
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_redis_outage_is_a_clear_503_and_service_resumes_without_a_restart(tmp_path):
    port = free_port()
    redis_proc = _start_redis(port, tmp_path)
    server = start_server(tmp_path, workers=2, env={"MOCK_BANKID_STORE": f"redis://127.0.0.1:{port}/0"})
    base = server.base_url
    try:
        assert requests.get(f"{base}/_mock/ready", timeout=5).status_code == 200
        redis_proc.kill()
        redis_proc.wait(5)

        assert requests.get(f"{base}/_mock/health", timeout=5).status_code == 200
        ready = requests.get(f"{base}/_mock/ready", timeout=5)
        assert ready.status_code == 503
        assert f"127.0.0.1:{port}" in ready.json()["checks"]["store"]
        discovery = requests.get(server.discovery_url, timeout=5)
        assert discovery.status_code == 200  # needs no store
        token = requests.post(f"{base}{TOKEN}", data={"grant_type": "authorization_code", "code": "x",
                                                      "client_id": "drop-mobile"}, timeout=5)
        assert token.status_code == 503
        assert token.json()["error"] == "temporarily_unavailable"
        assert f"redis store redis://127.0.0.1:{port}/0" in token.json()["error_description"]
        control = requests.get(f"{base}/_mock/next-login", timeout=5)
        assert control.status_code == 503 and control.json()["error"] == "temporarily_unavailable"
        _verifier, challenge = pkce_pair()
        page = requests.get(f"{base}{AUTHORIZE}", params={
            "client_id": "ci", "redirect_uri": CI_REDIRECT, "response_type": "code", "scope": "openid",
            "state": "s" * 16, "nonce": "n" * 16, "code_challenge": challenge, "code_challenge_method": "S256"},
            timeout=5, allow_redirects=False)
        assert page.status_code == 503 and "text/html" in page.headers["Content-Type"]
        assert "Traceback" not in server.log()

        redis_proc = _start_redis(port, tmp_path)
        deadline = time.monotonic() + 10
        while requests.get(f"{base}/_mock/ready", timeout=5).status_code != 200:
            assert time.monotonic() < deadline, "service did not resume after Redis came back"
            time.sleep(0.2)
        assert requests.get(f"{base}/_mock/next-login", timeout=5).status_code == 200
        assert requests.post(f"{base}/_mock/next-login", json={"persona": "adult"}, timeout=5).status_code == 201
    finally:
        server.stop()
        redis_proc.kill()
        redis_proc.wait(5)
