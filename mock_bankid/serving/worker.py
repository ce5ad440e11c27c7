"""The gunicorn worker behind ``mock-bankid serve``: gthread with a read deadline, discovery and the
JWKS answered from its event loop, and gunicorn's rejections as JSON.

- A gthread thread that takes a connection blocks reading the request without a deadline, so a
  few clients that send half a request and wait (a dying test runner, a flaky CI network) would
  hold every thread. ``DeadlineThreadWorker`` reads each request (the head, and a body of declared
  length) in the event loop without blocking and hands it to a thread only once complete: a
  stalled client costs a socket, not a thread, and one that has not sent a whole request within
  ``read_timeout`` seconds is disconnected. Over TLS the handshake needs a thread, so there
  gunicorn's own handling applies.
- A plain keep-alive ``GET`` of discovery or the JWKS, the documents every client and load test
  fetches, is answered right in the event loop from the bytes the app kept
  (``FastDocuments.http_answer``): no WSGI environ, no thread. Anything that is not exactly one
  well-formed HTTP/1.1 head goes to a thread and gunicorn's parser.
- gunicorn's own rejections (a request line over ``limit_request_line``, too many or too large
  headers, a malformed request) are answered in the mock's JSON error shape, not as HTML.

Why not gunicorn's gevent worker, which needs none of the reading code: it sets no deadline on a
half-sent body, and without the event-loop answers the documents cost more CPU (figures:
bench/README.md, *The serving worker*).
"""

from __future__ import annotations

import contextlib
import json
import re
import selectors
import time
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any

from gunicorn.workers import gthread

from mock_bankid.serving.fast_path import KEY as FAST_DOCUMENTS_KEY

MAX_BUFFERED = 64 * 1024 + 1024 * 1024
"""Headers (gunicorn's limits keep them far smaller) and a body up to the app's 1 MiB limit."""
_CONTENT_LENGTH = re.compile(rb"\r?\ncontent-length[ \t]*:[ \t]*([0-9]{1,9})[ \t]*\r?\n", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r?\ntransfer-encoding[ \t]*:", re.IGNORECASE)
_PLAIN_GET = re.compile(rb"GET (/[\x21-\x7e]*) HTTP/1\.1")
_HEADER = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?)?[ \t]*")
_NOT_FOR_THE_LOOP = frozenset({"content-length", "transfer-encoding", "upgrade", "expect", "http2-settings"})
"""A body, an upgrade, an expectation: left to gunicorn (so is any ``Connection`` but keep-alive)."""


def request_complete(buf: bytes) -> bool:
    """Whether ``buf`` holds a whole request head and, if its length is declared, its body."""
    end = buf.find(b"\r\n\r\n")
    sep = 4
    if end < 0:
        end, sep = buf.find(b"\n\n"), 2
        if end < 0:
            return len(buf) >= MAX_BUFFERED  # let the parser reject an endless head
    head = buf[: end + 2]
    if _CHUNKED.search(head):
        return True  # chunked bodies are read by the thread, as gunicorn does
    match = _CONTENT_LENGTH.search(head)
    length = int(match.group(1)) if match else 0
    return len(buf) >= min(end + sep + length, MAX_BUFFERED)


def plain_get(buf: bytes, *, max_line: int = 4094, max_fields: int = 100,
              max_field: int = 8190) -> tuple[str, dict[str, str]] | None:
    """``(path, headers)`` if ``buf`` is exactly one bodiless HTTP/1.1 ``GET`` head, every line well
    formed (RFC 9112 field syntax, ASCII) and no header that asks for more than an answer on a kept
    connection; header names lower-cased, a repeated one kept as gunicorn would see it (joined by
    ``, ``). Else None -- also beyond gunicorn's limits (the defaults are its own), so that what
    gunicorn would refuse (414, 431) still reaches gunicorn and is refused."""
    if not buf.endswith(b"\r\n\r\n") or len(buf) > 8192:
        return None
    lines = buf[:-4].split(b"\r\n")
    first = _PLAIN_GET.fullmatch(lines[0])
    if first is None or len(lines[0]) > max_line or len(lines) - 1 > max_fields:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if len(line) > max_field:
            return None
        field = _HEADER.fullmatch(line)
        if field is None:
            return None
        name, value = field.group(1).decode().lower(), (field.group(2) or b"").decode()
        if name in _NOT_FOR_THE_LOOP:
            return None
        if name == "connection" and value.lower() != "keep-alive":  # HTTP/1.1's default, which
            return None  # requests and Node's fetch still send; close or anything else: gunicorn
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return first.group(1).decode(), headers


class _StatusCapture:
    """Stands in for the client socket while gunicorn writes its HTML error page: keeps the status."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, _flag: Any) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.data += data

    def status(self) -> tuple[int, str]:
        line = self.data.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split(" ", 2)
        try:
            return int(parts[1]), parts[2] if len(parts) > 2 else ""
        except (IndexError, ValueError):
            return 400, "Bad Request"


def json_error_response(status: int, reason: str, description: str) -> bytes:
    error = "server_error" if status >= 500 else "invalid_request"
    body = json.dumps({"error": error, "error_description": description}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Cache-Control: no-store\r\nX-Mock-BankID: true; not-for-production\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class DeadlineThreadWorker(gthread.ThreadWorker):
    read_timeout: float = 10.0
    """Seconds a client has to send a whole request (set by ``serve`` from MOCK_BANKID_READ_TIMEOUT)."""

    http_answer: Callable[[str, dict[str, str]], bytes | None] | None = None

    def init_process(self) -> None:
        self.reading_conns: deque = deque()
        super().init_process()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        documents = getattr(self.wsgi, "extensions", {}).get(FAST_DOCUMENTS_KEY)
        self.http_answer = documents.http_answer if documents is not None else None

    # --- reading requests in the event loop --------------------------------------------------
    def _buffering(self) -> bool:
        return not self.cfg.is_ssl

    def accept(self, listener: Any) -> None:
        if not self._buffering():
            return super().accept(listener)
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno not in (gthread.errno.EAGAIN, gthread.errno.ECONNABORTED, gthread.errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = gthread.TConn(self.cfg, client_sock, client_addr, listener.getsockname())
        self._read_request(conn)

    def on_client_socket_readable(self, conn: Any, client: Any) -> None:
        if not self._buffering():
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._read_request(conn)

    def _read_request(self, conn: Any) -> None:
        conn.sock.setblocking(False)
        conn.mock_buf = bytearray()
        conn.timeout = time.monotonic() + self.read_timeout
        self.reading_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_request_bytes, conn))

    def _on_request_bytes(self, conn: Any, client: Any) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._forget_reading(conn)
            self.nr_conns -= 1
            conn.close()
            return
        conn.mock_buf += data
        if not request_complete(bytes(conn.mock_buf)):
            return
        self._forget_reading(conn)
        buffered = bytes(conn.mock_buf)
        del conn.mock_buf
        if self._answer_in_loop(conn, buffered):
            return
        conn.sock.setblocking(True)
        conn.init()  # plain HTTP/1.x: makes the parser (no handshake to wait for)
        conn.parser.unreader.unread(buffered)
        conn.data_ready = True
        self.enqueue_req(conn)

    # --- the documents answered in the event loop -------------------------------------------
    def _answer_in_loop(self, conn: Any, buffered: bytes) -> bool:
        """Answer a plain GET of a document the app has as bytes; False to hand the request to a thread."""
        if self.http_answer is None or not self.alive or len(self.keepalived_conns) >= self.max_keepalived:
            return False
        cfg = self.cfg
        request = plain_get(buffered, max_line=cfg.limit_request_line, max_fields=cfg.limit_request_fields,
                            max_field=cfg.limit_request_field_size)
        answer = self.http_answer(*request) if request is not None else None
        if answer is None:
            return False
        try:
            sent = conn.sock.send(answer)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:  # the client went away
            self.nr_conns -= 1
            conn.close()
            return True
        if sent == len(answer):
            self._keep_alive(conn)
        else:  # a client that reads nothing yet: the rest from a thread, which may block on it
            future = self.tpool.submit(self._send_rest, conn, answer[sent:])
            future.add_done_callback(lambda fut: self.method_queue.defer(self._after_rest, conn, fut))
        return True

    def _send_rest(self, conn: Any, rest: bytes) -> bool:
        conn.sock.setblocking(True)
        conn.sock.settimeout(self.read_timeout)
        try:
            conn.sock.sendall(rest)
        except OSError:
            return False
        finally:
            conn.sock.settimeout(None)
        return True

    def _after_rest(self, conn: Any, future: Any) -> None:
        if future.result() and self.alive:
            self._keep_alive(conn)
        else:
            self.nr_conns -= 1
            conn.close()

    def _keep_alive(self, conn: Any) -> None:
        """Wait for the connection's next request as gunicorn waits on a kept-alive one."""
        conn.sock.setblocking(False)
        conn.set_timeout()
        self.keepalived_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn))

    def _forget_reading(self, conn: Any) -> None:
        with contextlib.suppress(OSError, KeyError, ValueError):
            self.poller.unregister(conn.sock)
        with contextlib.suppress(ValueError):
            self.reading_conns.remove(conn)

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        while self.reading_conns and self.reading_conns[0].timeout <= now:
            conn = self.reading_conns.popleft()
            with contextlib.suppress(OSError, KeyError, ValueError):
                self.poller.unregister(conn.sock)
            self.nr_conns -= 1
            conn.close()

    # --- gunicorn's own rejections as JSON ------------------------------------------------------
    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        capture = _StatusCapture()
        super().handle_error(req, capture, addr, exc)
        status, reason = capture.status()
        if status >= 500:
            description = "Unexpected error in mock-bankid's HTTP server; see its log."
        else:
            description = f"The HTTP server refused the request before mock-bankid saw it ({reason}: {exc})."
        try:
            gthread.util.write_nonblock(client, json_error_response(status, reason, description[:500]))
        except Exception:  # noqa: BLE001 - the client may be gone; nothing to tell it then
            self.log.debug("Failed to send error message.")
