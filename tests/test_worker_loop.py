"""Discovery and the JWKS answered from the worker's event loop (mock_bankid/serving/worker.py, issue 14).

A plain keep-alive GET of either document is answered by ``serve``'s worker from bytes the app
kept (``FastDocuments.http_answer``), without gunicorn's parser or a thread. These tests hold that
shortcut to the ordinary way: the same status, headers and body; logged; any scenario obeyed at
once; and everything that is not exactly one plain GET still handled by gunicorn and Flask.
"""

from __future__ import annotations

import json
import socket
from types import SimpleNamespace

import pytest
import requests
from conftest import start_server

from mock_bankid.serving.fast_path import KEY
from mock_bankid.serving.worker import plain_get

DISCOVERY = "/auth/realms/current/.well-known/openid-configuration"
JWKS = "/auth/realms/current/protocol/openid-connect/certs"


# --- the request head the loop takes (unit) ------------------------------------------------------
def test_plain_get_takes_one_bodiless_http11_get_with_well_formed_headers() -> None:
    assert plain_get(b"GET /a HTTP/1.1\r\nHost: x\r\nUser-Agent: wrk  \r\nAccept: */*\r\n\r\n") == (
        "/a", {"host": "x", "user-agent": "wrk", "accept": "*/*"})
    assert plain_get(b"GET /a HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\n\r\n") == ("/a", {"x-a": "1, 2"})
    assert plain_get(b"GET /a?x=1 HTTP/1.1\r\nHost: x\r\n\r\n") == ("/a?x=1", {"host": "x"})  # no such document
    assert plain_get(b"GET /a HTTP/1.1\r\nConnection: Keep-Alive\r\n\r\n") == ("/a", {"connection": "Keep-Alive"})


def test_plain_get_leaves_what_is_over_gunicorns_limits_to_gunicorn() -> None:
    """So that gunicorn still refuses them (414, 431; tests/test_stalled_clients.py over HTTP)."""
    many = b"".join(b"X-H%d: 1\r\n" % i for i in range(5))
    assert plain_get(b"GET /a HTTP/1.1\r\n" + many + b"\r\n", max_fields=5) is not None
    assert plain_get(b"GET /a HTTP/1.1\r\n" + many + b"\r\n", max_fields=4) is None
    assert plain_get(b"GET /aaaa HTTP/1.1\r\n\r\n", max_line=18) is not None  # the line is 18 bytes
    assert plain_get(b"GET /aaaa HTTP/1.1\r\n\r\n", max_line=17) is None
    assert plain_get(b"GET /a HTTP/1.1\r\nX: 123\r\n\r\n", max_field=6) is not None
    assert plain_get(b"GET /a HTTP/1.1\r\nX: 123\r\n\r\n", max_field=5) is None
    assert plain_get(b"GET /a HTTP/1.1\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(101)) + b"\r\n") is None


def test_plain_get_takes_what_python_requests_sends() -> None:
    """requests (and so Authlib) and Node's fetch send ``Connection: keep-alive``, HTTP/1.1's
    default: their discovery and JWKS fetches are the ones the loop is for."""
    session_headers = requests.Session().headers
    head = b"GET " + DISCOVERY.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n" + b"".join(
        f"{k}: {v}\r\n".encode() for k, v in session_headers.items()) + b"\r\n"
    assert session_headers["Connection"] == "keep-alive"
    expected = {"host": "127.0.0.1:8080", **{k.lower(): v for k, v in session_headers.items()}}
    assert plain_get(head) == (DISCOVERY, expected)


@pytest.mark.parametrize("head", [
    b"POST /a HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /a HTTP/1.0\r\nHost: x\r\n\r\n",  # 1.0: gunicorn decides about keep-alive
    b"GET /a HTTP/1.1\r\nConnection: close\r\n\r\n",
    b"GET /a HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n\r\n",
    b"GET /a HTTP/1.1\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
    b"GET /a HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    b"GET /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET /a HTTP/1.1\r\nUpgrade: h2c\r\n\r\n",
    b"GET /a HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
    b"GET /a HTTP/1.1\r\nBad Header: x\r\n\r\n",
    b"GET /a HTTP/1.1\r\n folded: x\r\n\r\n",
    b"GET /a HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n",
    b"GET /a HTTP/1.1\r\nX: a\x00b\r\n\r\n",
    b"GET /a HTTP/1.1\nHost: x\n\n",
    b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",  # pipelined
    b"GET /a HTTP/1.1\r\nHost: x\r\n",  # not complete
    b"GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n",
    b"GET /a HTTP/1.1\r\nX: " + b"y" * 9000 + b"\r\n\r\n",
])
def test_plain_get_leaves_everything_else_to_gunicorn(head: bytes) -> None:
    assert plain_get(head) is None


# --- the answer the app keeps (unit, Flask test client) ----------------------------------------
def _split(raw: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    return status, dict(line.split(": ", 1) for line in lines), body


@pytest.mark.parametrize("path", [DISCOVERY, JWKS])
def test_http_answer_is_what_flask_answered_and_is_logged(app, client, path: str) -> None:
    documents = app.extensions[KEY]
    assert documents.http_answer(path, {"host": "x"}) is None  # nothing kept yet: Flask answers first
    flask_answer = client.get(path)  # (the first request of a start also seeds the scenario engine)
    assert client.get(path).data == flask_answer.data
    raw = documents.http_answer(path, {"host": "x", "user-agent": "loop-test", "accept": "*/*"})
    assert raw is not None
    status, headers, body = _split(raw)
    assert status == "HTTP/1.1 200 OK" and body == flask_answer.data
    assert headers.pop("Connection") == "keep-alive" and headers.pop("Server") == "gunicorn" and headers.pop("Date")
    assert headers == dict(flask_answer.headers)
    assert int(headers["Content-Length"]) == len(body)
    logged = client.get("/_mock/requests").get_json()["requests"][-1]
    assert (logged["path"], logged["status"], logged["headers"]) == (
        path, 200, {"Accept": "*/*", "User-Agent": "loop-test"})


@pytest.mark.parametrize("header", ["origin", "if-none-match", "cookie", "authorization", "range",
                                    "if-modified-since"])
def test_http_answer_leaves_what_is_not_plain_to_flask(app, client, header: str) -> None:
    client.get(DISCOVERY)
    client.get(DISCOVERY)
    assert app.extensions[KEY].http_answer(DISCOVERY, {"host": "x"}) is not None
    assert app.extensions[KEY].http_answer(DISCOVERY, {"host": "x", header: "1"}) is None


def test_http_answer_steps_aside_while_a_scenario_acts_there(app, client) -> None:
    documents = app.extensions[KEY]
    client.get(JWKS)
    client.get(JWKS)
    assert documents.http_answer(JWKS, {}) is not None
    assert client.put("/_mock/scenario", json={"scenario": "slow-jwks", "seconds": 0}).status_code == 200
    assert documents.http_answer(JWKS, {}) is None
    client.delete("/_mock/scenario")
    assert documents.http_answer(JWKS, {}) is not None


# --- through a real gunicorn ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(tmp_path_factory.mktemp("loop"), workers=2)
    yield live
    live.stop()


_unread: dict[int, bytes] = {}
"""Bytes read past the end of a response, per socket: pipelined answers may arrive in one recv."""


def _read(sock: socket.socket) -> tuple[str, dict[str, str], bytes]:
    data = _unread.pop(sock.fileno(), b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    status, headers, body = _split(data)
    headers = {k.lower(): v for k, v in headers.items()}
    length = int(headers["content-length"])
    while len(body) < length:
        body += sock.recv(65536)
    body, _unread[sock.fileno()] = body[:length], body[length:]
    return status, headers, body


@pytest.mark.e2e
def test_a_keep_alive_connection_gets_the_same_answers_both_ways_and_goes_on(server) -> None:
    port = int(server.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        answers = []
        for extra in (b"", b"", b"If-None-Match: \"not-it\"\r\n", b""):  # the third one through Flask
            sock.sendall(b"GET " + DISCOVERY.encode() + b" HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
            answers.append(_read(sock))
        for status, headers, body in answers:
            headers.pop("date")
            assert (status, headers, body) == (answers[0][0], answers[0][1], answers[0][2])
        assert json.loads(answers[0][2])["mock"] is True
        # the same connection then carries a request only Flask can answer, and one more plain GET
        sock.sendall(b"POST /auth/realms/current/protocol/openid-connect/token HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n")
        status, _, body = _read(sock)
        assert status.startswith("HTTP/1.1 401") and json.loads(body)["error"] == "invalid_client"
        sock.sendall(b"GET " + JWKS.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = _read(sock)
        assert status == "HTTP/1.1 200 OK" and len(json.loads(body)["keys"]) >= 2
        # two requests in one write (pipelined): both answered, in order
        sock.sendall((b"GET " + JWKS.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n") * 2)
        assert [_read(sock)[0] for _ in range(2)] == ["HTTP/1.1 200 OK"] * 2


@pytest.mark.e2e
def test_loop_answers_are_logged_and_a_scenario_is_obeyed_at_once(server) -> None:
    requests.delete(f"{server.base_url}/_mock/requests", timeout=10)
    with requests.Session() as session:  # keep-alive, as a relying party's HTTP client
        for _ in range(20):
            assert session.get(server.base_url + DISCOVERY, timeout=10).status_code == 200
        logged = requests.get(f"{server.base_url}/_mock/requests", timeout=10).json()["requests"]
        assert [entry["path"] for entry in logged].count(DISCOVERY) == 20
        try:
            assert requests.put(f"{server.base_url}/_mock/scenario", json={"scenario": "outage"},
                                timeout=10).status_code == 200
            statuses = {session.get(server.base_url + DISCOVERY, timeout=10).status_code for _ in range(10)}
            assert statuses == {503}
        finally:
            requests.delete(f"{server.base_url}/_mock/scenario", timeout=10)
        assert session.get(server.base_url + DISCOVERY, timeout=10).status_code == 200


# --- a client that does not read: the rest of an answer from a thread (unit) -----------------------
class _Sock:
    def __init__(self, accept_first: int, fail: bool = False) -> None:
        self.accept_first, self.fail, self.sent, self.blocking = accept_first, fail, b"", False

    def send(self, data: bytes) -> int:
        if self.fail:
            raise ConnectionResetError
        self.sent += data[: self.accept_first]
        return min(len(data), self.accept_first)

    def sendall(self, data: bytes) -> None:
        self.sent += data

    def setblocking(self, flag: bool) -> None:
        self.blocking = flag

    def settimeout(self, _value: float | None) -> None:
        pass


class _Conn:
    def __init__(self, sock: _Sock) -> None:
        self.sock, self.closed, self.timeout = sock, False, None

    def set_timeout(self) -> None:
        self.timeout = 1.0

    def close(self) -> None:
        self.closed = True


def _worker(answer: bytes):
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    from mock_bankid.serving.worker import DeadlineThreadWorker

    class Later:  # the method queue: run on the "main thread" when the test says
        def __init__(self) -> None:
            self.calls: list = []

        def defer(self, fn, *args) -> None:
            self.calls.append((fn, args))

    class Poller:
        def __init__(self) -> None:
            self.registered: list = []

        def register(self, sock, _events, _callback) -> None:
            self.registered.append(sock)

    worker = DeadlineThreadWorker.__new__(DeadlineThreadWorker)
    worker.http_answer = lambda path, headers: answer if path == DISCOVERY else None
    worker.alive, worker.max_keepalived, worker.keepalived_conns = True, 100, deque()
    worker.nr_conns, worker.read_timeout = 1, 1.0
    worker.cfg = SimpleNamespace(limit_request_line=8190, limit_request_fields=100, limit_request_field_size=8190)
    worker.tpool, worker.method_queue, worker.poller = ThreadPoolExecutor(1), Later(), Poller()
    return worker


def test_an_answer_the_socket_takes_only_part_of_is_finished_from_a_thread_then_kept_alive() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 4000\r\n\r\n" + b"x" * 4000
    worker = _worker(answer)
    conn = _Conn(_Sock(accept_first=1000))
    head = b"GET " + DISCOVERY.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    assert worker._answer_in_loop(conn, head) is True
    worker.tpool.shutdown(wait=True)  # the thread has sent the rest
    assert conn.sock.sent == answer and conn.sock.blocking is True
    fn, args = worker.method_queue.calls.pop()
    fn(*args)  # back on the main thread: the connection waits for its next request
    assert not conn.closed and list(worker.keepalived_conns) == [conn] and worker.poller.registered == [conn.sock]


def test_a_client_gone_when_the_loop_answers_is_closed_and_counted() -> None:
    worker = _worker(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    conn = _Conn(_Sock(accept_first=0, fail=True))
    assert worker._answer_in_loop(conn, b"GET " + DISCOVERY.encode() + b" HTTP/1.1\r\n\r\n") is True
    assert conn.closed and worker.nr_conns == 0 and not worker.keepalived_conns


def test_the_loop_leaves_other_paths_and_a_stopping_worker_to_gunicorn() -> None:
    worker = _worker(b"HTTP/1.1 200 OK\r\n\r\n")
    conn = _Conn(_Sock(accept_first=10_000))
    assert worker._answer_in_loop(conn, b"GET /elsewhere HTTP/1.1\r\n\r\n") is False
    worker.alive = False
    assert worker._answer_in_loop(conn, b"GET " + DISCOVERY.encode() + b" HTTP/1.1\r\n\r\n") is False
    assert conn.sock.sent == b""
