"""Stalled and slow clients do not stop the server (issue 12.1), and gunicorn's own rejections are
JSON like every other error at the JSON endpoints (issue 12.6). Against a real `mock-bankid serve`."""

from __future__ import annotations

import socket
import time

import pytest
import requests
from conftest import start_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start_server(tmp_path_factory.mktemp("stalled"), workers=2, env={"MOCK_BANKID_READ_TIMEOUT": "3"})
    yield s
    s.stop()


def _port(server) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def _stall(server, n_half: int, n_silent: int) -> list[socket.socket]:
    socks = []
    for i in range(n_half + n_silent):
        s = socket.create_connection(("127.0.0.1", _port(server)), timeout=5)
        if i < n_half:
            s.sendall(b"POST /auth/realms/current/protocol/openid-connect/token HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n")
        socks.append(s)
    return socks


def _timed_get(url: str) -> float:
    start = time.monotonic()
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    return time.monotonic() - start


def test_64_stalled_connections_do_not_delay_an_ordinary_request(server):
    socks = _stall(server, 32, 32)
    try:
        time.sleep(0.3)  # let the workers accept them all
        worst = max(_timed_get(f"{server.base_url}/_mock/health") for _ in range(10))
        assert worst < 1.0, f"an ordinary request took {worst:.2f}s behind 64 stalled connections"
        # a half-sent body, too
        body = _stall(server, 0, 0)
        half_body = socket.create_connection(("127.0.0.1", _port(server)), timeout=5)
        half_body.sendall(b"POST /_mock/next-login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 50\r\n\r\n{\"pers")
        socks += [half_body, *body]
        assert max(_timed_get(server.discovery_url) for _ in range(5)) < 1.0
    finally:
        for s in socks:
            s.close()


def test_stalled_clients_are_disconnected_after_the_read_timeout(server):
    socks = _stall(server, 2, 2)
    try:
        for s in socks:
            s.settimeout(8)
            assert s.recv(1024) == b""  # closed by the server (MOCK_BANKID_READ_TIMEOUT=3)
    finally:
        for s in socks:
            s.close()


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_keep_alive_clients_are_not_hurt(server):
    """One connection, requests 2 s apart (within gunicorn's 5 s keepalive), some sent in pieces."""
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=5) as sock:
        request = b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n\r\n"
        for i in range(3):
            if i == 1:
                sock.sendall(request[:10])
                time.sleep(0.5)
                sock.sendall(request[10:])
            else:
                sock.sendall(request)
            head = _read_response(sock)
            assert head.startswith(b"HTTP/1.1 200"), head
            assert b"connection: close" not in head.lower()
            time.sleep(2)


@pytest.mark.parametrize(("kind", "status"), [("long-url", 414), ("big-header", 431), ("many-headers", 431),
                                              ("bad-line", 400)])
def test_gunicorn_rejections_are_json(server, kind, status):
    if kind == "long-url":
        response = requests.get(f"{server.base_url}/auth/realms/current/precheck/auth?x={'a' * 9000}", timeout=5)
    elif kind == "big-header":
        response = requests.get(server.discovery_url, headers={"X-Big": "a" * 9000}, timeout=5)
    elif kind == "many-headers":
        response = requests.get(server.discovery_url, headers={f"X-H{i}": "1" for i in range(120)}, timeout=5)
    else:
        with socket.create_connection(("127.0.0.1", _port(server)), timeout=5) as s:
            s.sendall(b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n")
            raw = s.recv(65536)
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400") and b"application/json" in head, raw
        assert b'"error": "invalid_request"' in body
        return
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"] == "invalid_request"
    assert "<html" not in response.text


def test_a_long_authorize_url_within_8k_reaches_the_app(server):
    response = requests.get(f"{server.base_url}/auth/realms/current/precheck/auth?client_id=ci&x={'a' * 6000}",
                            timeout=5, allow_redirects=False)
    assert response.status_code == 400 and "text/html" in response.headers["Content-Type"]  # the app's page
