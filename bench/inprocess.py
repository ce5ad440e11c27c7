"""CPU per request of the app alone, in-process: no server, no client, no other process.

    python bench/inprocess.py

Calls the WSGI app directly with a prepared environ, thousands of times, and reports CPU time
(``time.process_time``, best of 3) per request for mock-bankid's discovery, JWKS and
``/_mock/health`` next to a bare WSGI callable and a bare Flask app answering a document of the
same size. On a shared machine this moves far less than any rate: it is how the per-request work
of the app itself was measured (gunicorn's own share: bench/run.py's server CPU per request).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from flask import Flask, Response  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from mock_bankid.app import create_app  # noqa: E402
from mock_bankid.settings import Settings  # noqa: E402

ISSUER = "/auth/realms/current"


def bare_apps(size: int):
    body = json.dumps({"k": "v" * size}).encode()
    app = Flask("bare")

    @app.get("/doc")
    def doc() -> Response:
        return Response(body, mimetype="application/json")

    def raw(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app, raw


def cpu_us(wsgi, path: str, n: int = 3000) -> float:
    env = EnvironBuilder(path=path, base_url="http://127.0.0.1:8080", headers={"User-Agent": "bench"}).get_environ()

    def start_response(*_args):
        return None

    for _ in range(100):
        b"".join(wsgi(dict(env), start_response))
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        for _ in range(n):
            b"".join(wsgi(dict(env), start_response))
        best = min(best, (time.process_time() - t0) / n * 1e6)
    return round(best, 1)


def measure() -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-inprocess-") as tmp:
        app = create_app(Settings(base_url="http://127.0.0.1:8080", keys_dir=Path(tmp) / "keys",
                                  data_dir=Path(tmp) / "data", store="sqlite", log_requests=False))
        size = len(app.test_client().get(f"{ISSUER}/.well-known/openid-configuration").data)
        bare, raw = bare_apps(size)
        return {
            "bare WSGI callable": cpu_us(raw, "/"),
            "bare Flask, same-size document": cpu_us(bare, "/doc"),
            "mock-bankid discovery": cpu_us(app, f"{ISSUER}/.well-known/openid-configuration"),
            "mock-bankid JWKS": cpu_us(app, f"{ISSUER}/protocol/openid-connect/certs"),
            "mock-bankid /_mock/health": cpu_us(app, "/_mock/health"),
        }


def main() -> None:
    for name, us in measure().items():
        print(f"{us:8.1f} us  {name}")


if __name__ == "__main__":
    main()
