"""Discovery and the JWKS answered below Flask: the bytes and headers Flask gave, replayed.

Why: every client fetches these two documents first, and load tests fetch them over and over;
replayed, they skip Flask's request context, routing and request hooks.

- The first plain request for a document goes through Flask; its 200 answer (status, every
  header, the body) is kept, keyed by path and document version (the JWKS's
  ``KeyManager.jwks_version()``: it moves on rotation and as keys are published or retired).
- A later request is replayed only when it is *plain*: ``GET``, no query string, no ``Origin``
  (CORS), no ``If-None-Match`` (304), no cookie or ``Authorization``; and only while no scenario
  might act at the ``request`` point or the document's own point (``Hooks.may_act``, read through
  the shared generation, so a scenario switched on by any worker is obeyed at once) and the
  scenario engine has seeded this start. Anything else goes to Flask.
- A replayed request is still logged: the request log gets the entry ``entry_for`` would make,
  and with ``MOCK_BANKID_LOG_REQUESTS`` the same log line.

``http_answer`` gives the same answer as a whole HTTP/1.1 keep-alive response, for ``serve``'s
worker (``mock_bankid/serving/worker.py``) to send from its event loop, without a WSGI environ or
a thread; the same conditions apply.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from email.utils import formatdate
from typing import Any, NamedTuple

from mock_bankid.http import requestlog
from mock_bankid.oidc.provider import Provider
from mock_bankid.scenarios import Scenarios

log = logging.getLogger("mock_bankid")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_NOT_PLAIN = ("QUERY_STRING", "HTTP_ORIGIN", "HTTP_IF_NONE_MATCH", "HTTP_COOKIE", "HTTP_AUTHORIZATION",
              "HTTP_RANGE", "HTTP_IF_MODIFIED_SINCE")
_NOT_PLAIN_HEADERS = frozenset(k[5:].lower().replace("_", "-") for k in _NOT_PLAIN if k.startswith("HTTP_"))
"""The same, as the lower-case header names of a raw request (its query is in the path)."""
_LOGGED = {"accept": "HTTP_ACCEPT", "user-agent": "HTTP_USER_AGENT", "content-type": "CONTENT_TYPE"}
MAX_KEPT = 16
SERVER_HEADER = "gunicorn"
"""What gunicorn's own responses say in ``Server``: the event loop's answers say the same."""
KEY = "mock_bankid.fast_documents"
"""Where ``create_app`` puts the ``FastDocuments`` in ``app.extensions``, for the worker."""


class _Kept(NamedTuple):
    """A 200 answer Flask gave, kept to replay: as WSGI parts, and as HTTP/1.1 bytes around the
    two lines that change (``Date``, ``Connection``)."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    http_head: bytes
    """Status line and ``Server``."""
    http_rest: bytes
    """Every header Flask gave, the blank line and the body."""


class FastDocuments:
    """WSGI middleware in front of the Flask app for the discovery and JWKS paths."""

    def __init__(self, wsgi_app: WSGIApp, provider: Provider, engine: Scenarios,
                 paths: dict[str, tuple[str, str]]) -> None:
        self.wsgi_app = wsgi_app
        self.provider = provider
        self.engine = engine
        self.paths = paths
        """path -> (hook point, endpoint name): ``{".../certs": ("jwks", "jwks.certs"), ...}``."""
        self._kept: dict[tuple[str, Any], _Kept] = {}
        self._date = (0, b"")

    def _replayable(self, path: str) -> tuple[tuple[str, Any], str] | None:
        """``(key, endpoint)`` when ``path`` is one of the documents and no scenario might act on
        it now (``key`` names the version to replay); None when it must go through Flask."""
        target = self.paths.get(path)
        if target is None:
            return None
        point, endpoint = target
        hooks = self.provider.hooks
        if not self.engine.seeded or hooks.may_act("request") or hooks.may_act(point):
            return None
        version = self.provider.keys.jwks_version() if point == "jwks" else None
        return (path, version), endpoint

    def _logged(self, environ: dict[str, Any], path: str, endpoint: str, started: float) -> None:
        p = self.provider
        requestlog.append(p, requestlog.plain_get_entry(environ, 200, endpoint, p))
        if p.settings.log_requests:
            log.info("%s %s %s %.1fms client=%s", "GET", path, 200, (time.perf_counter() - started) * 1000, "-")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "GET" or any(environ.get(k) for k in _NOT_PLAIN):
            return self.wsgi_app(environ, start_response)
        replay = self._replayable(path)
        if replay is None:
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        key, endpoint = replay
        kept = self._kept.get(key)
        if kept is None:
            return self._keep(key, environ, start_response)
        start_response(kept.status, kept.headers)
        self._logged(environ, path, endpoint, started)
        return [kept.body]

    def http_answer(self, path: str, headers: dict[str, str]) -> bytes | None:
        """The whole HTTP/1.1 keep-alive response to a plain ``GET path`` with these headers
        (lower-case names), logged like any other; None when the request must go through the
        app -- not one of the documents, not plain, a scenario might act, or no answer kept yet
        (the first request of each version goes through Flask and is kept)."""
        if not _NOT_PLAIN_HEADERS.isdisjoint(headers):
            return None
        replay = self._replayable(path)
        if replay is None:
            return None
        started = time.perf_counter()
        key, endpoint = replay
        kept = self._kept.get(key)
        if kept is None:
            return None
        environ = {"PATH_INFO": path, **{name: headers[h] for h, name in _LOGGED.items() if h in headers}}
        self._logged(environ, path, endpoint, started)
        return kept.http_head + self._date_header() + b"Connection: keep-alive\r\n" + kept.http_rest

    def _date_header(self) -> bytes:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, f"Date: {formatdate(now, usegmt=True)}\r\n".encode("latin-1"))
        return self._date[1]

    def _keep(self, key: tuple[str, Any], environ: dict[str, Any],
              start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Serve through Flask, keeping a 200 answer to replay."""
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, list(headers)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.wsgi_app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if seen.get("status", "").startswith("200 "):
            if len(self._kept) >= MAX_KEPT:
                self._kept.clear()
            status, headers = seen["status"], seen["headers"]
            self._kept[key] = _Kept(
                status, headers, body,
                f"HTTP/1.1 {status}\r\nServer: {SERVER_HEADER}\r\n".encode("latin-1"),
                "".join(f"{k}: {v}\r\n" for k, v in headers).encode("latin-1") + b"\r\n" + body,
            )
        return [body]
