"""Bench only: with ``MOCK_BANKID_BENCH_WORKER=gevent`` in the environment, ``mock-bankid serve``
runs gunicorn's gevent worker instead of ``DeadlineThreadWorker``, everything else unchanged.

Put this directory first on ``PYTHONPATH`` (``bench/worker_compare.py`` does; so can a pytest run
of the stalled-connection tests, whose servers inherit the environment). The gevent worker here is
gunicorn's own plus the one thing a switch would have to keep: gunicorn's rejections as JSON.
"""

from __future__ import annotations

import os
import sys

if os.environ.get("MOCK_BANKID_BENCH_WORKER") == "gevent" and "serve" in sys.argv[1:]:
    from typing import Any

    from gunicorn import util
    from gunicorn.workers.ggevent import GeventWorker

    from mock_bankid.cli import serve
    from mock_bankid.serving.worker import _StatusCapture, json_error_response

    class GeventJsonWorker(GeventWorker):
        """gunicorn's gevent worker; its own rejections (414, 431, 400) in the mock's JSON shape."""

        def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
            capture = _StatusCapture()
            super().handle_error(req, capture, addr, exc)
            status, reason = capture.status()
            description = (f"The HTTP server refused the request before mock-bankid saw it ({reason}: {exc})."
                           if status < 500 else "Unexpected error in mock-bankid's HTTP server; see its log.")
            try:
                util.write(client, json_error_response(status, reason, description[:500]))
            except Exception:  # noqa: BLE001 - the client may be gone
                self.log.debug("Failed to send error message.")

    _original = serve.run_gunicorn

    def _run_gunicorn(settings: Any, workers: int, extra: dict[str, Any] | None = None, **kwargs: Any) -> None:
        _original(settings, workers, {"worker_class": GeventJsonWorker, "worker_connections": 1000, **(extra or {})},
                  **kwargs)

    serve.run_gunicorn = _run_gunicorn  # type: ignore[assignment]
