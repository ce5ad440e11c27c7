"""Discovery and the JWKS answered below Flask: the same bytes and headers, replayed.

Why: these two documents are what every client fetches first, and a load test fetches over and
over. Even from precomputed bytes (``cached_json``), a Flask request costs its request context,
routing and the before/after-request handlers: most of what is left of the mock's per-request
time, measured against a bare Flask app and a bare WSGI callable under the same gunicorn.

How, without giving anything up:

- The first plain request for a document goes through Flask as ever; its answer (status 200,
  every header, the body) is kept, keyed by path and document version (the JWKS's
  ``KeyManager.jwks_version()``: it moves on rotation and as keys are published or retired).
- A later request is replayed from that only when it is *plain*: ``GET``, no query string, no
  ``Origin`` (CORS), no ``If-None-Match`` (304), no cookie or ``Authorization``; and only while no
  scenario might act at the ``request`` point or the document's own point (``Hooks.may_act``, read
  through the shared generation, so a scenario switched on by any worker is obeyed at once) and
  the scenario engine has seeded this start. Anything else goes to Flask.
- It is still logged: the request log gets the entry ``entry_for`` would make, and with
  ``MOCK_BANKID_LOG_REQUESTS`` the same log line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from mock_bankid import requestlog
from mock_bankid.provider import Provider
from mock_bankid.scenarios import Scenarios

log = logging.getLogger("mock_bankid")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_NOT_PLAIN = ("QUERY_STRING", "HTTP_ORIGIN", "HTTP_IF_NONE_MATCH", "HTTP_COOKIE", "HTTP_AUTHORIZATION",
              "HTTP_RANGE", "HTTP_IF_MODIFIED_SINCE")
MAX_KEPT = 16


class FastDocuments:
    """WSGI middleware in front of the Flask app for the discovery and JWKS paths."""

    def __init__(self, wsgi_app: WSGIApp, provider: Provider, engine: Scenarios,
                 paths: dict[str, tuple[str, str]]) -> None:
        self.wsgi_app = wsgi_app
        self.provider = provider
        self.engine = engine
        self.paths = paths
        """path -> (hook point, endpoint name): ``{".../certs": ("jwks", "jwks.certs"), ...}``."""
        self._kept: dict[tuple[str, Any], tuple[str, list[tuple[str, str]], bytes]] = {}

    def _version(self, point: str) -> Any:
        return self.provider.keys.jwks_version() if point == "jwks" else None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        target = self.paths.get(path)
        if target is None or environ.get("REQUEST_METHOD") != "GET" or any(environ.get(k) for k in _NOT_PLAIN):
            return self.wsgi_app(environ, start_response)
        point, endpoint = target
        p = self.provider
        if not self.engine.seeded or p.hooks.may_act("request") or p.hooks.may_act(point):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        key = (path, self._version(point))
        kept = self._kept.get(key)
        if kept is None:
            return self._keep(key, environ, start_response)
        status, headers, body = kept
        start_response(status, headers)
        requestlog.append(p, requestlog.plain_get_entry(environ, 200, endpoint, p))
        if p.settings.log_requests:
            log.info("%s %s %s %.1fms client=%s", "GET", path, 200, (time.perf_counter() - started) * 1000, "-")
        return [body]

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
            self._kept[key] = (seen["status"], seen["headers"], body)
        return [body]
