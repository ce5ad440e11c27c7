"""CPU per request of the app alone, in-process: no server, no client, no other process.

    python bench/inprocess.py

Calls the WSGI app directly with a prepared environ, thousands of times, and reports CPU time
(``time.process_time``, best of 3) per request for mock-bankid's discovery, JWKS and
``/_mock/health`` next to a bare WSGI callable and a bare Flask app answering a document of the
same size; and per whole sign-in (authorize with a ``login_hint``, then ``POST /token`` with
Basic and PKCE; best of 7 x 300), the request environs built beforehand so only the app counts,
for mock-bankid and for the stack floor (``bench/floor_app.py``, with Flask and bare), so the two apps' own work can be
compared without gunicorn, the kernel or the other core's load. On a shared machine this moves far
less than any rate: it is how the per-request work of the app itself was measured (gunicorn's own
share: bench/run.py's server CPU per request).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from flask import Flask, Response  # noqa: E402
from floor_app import create_app as floor_app  # noqa: E402
from floor_app import create_wsgi_app as floor_wsgi_app  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from mock_bankid.app import create_app  # noqa: E402
from mock_bankid.core.settings import Settings  # noqa: E402

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


REDIRECT = "http://127.0.0.1:5555/callback"
BASIC = "Basic " + base64.b64encode(b"ci:ci-secret").decode()


def _call(wsgi, env: dict) -> tuple[str, dict, bytes]:
    seen: dict = {}

    def start_response(status, headers, _exc=None):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(wsgi(env, start_response))
    return seen["status"], seen["headers"], body


def sign_in_ms(app, n: int = 300, rounds: int = 7, authorize_path: str = f"{ISSUER}/precheck/auth",
               token_path: str = f"{ISSUER}/protocol/openid-connect/token") -> float:
    """CPU ms per sign-in, the app alone: authorize environs made first, token environs as codes come."""

    def authorize_env() -> tuple[dict, str]:
        verifier = secrets.token_urlsafe(32)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode({"client_id": "ci", "redirect_uri": REDIRECT, "response_type": "code",
                           "scope": "openid profile nnin_altsub", "state": "s" * 10, "nonce": "n" * 10,
                           "code_challenge": challenge, "code_challenge_method": "S256", "login_hint": "adult"})
        return EnvironBuilder(path=authorize_path, query_string=query,
                              base_url="http://127.0.0.1:8080").get_environ(), verifier

    def token_env(code: str, verifier: str) -> dict:
        data = urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                          "code_verifier": verifier})
        return EnvironBuilder(path=token_path, method="POST", data=data,
                              content_type="application/x-www-form-urlencoded", headers={"Authorization": BASIC},
                              base_url="http://127.0.0.1:8080").get_environ()

    best = float("inf")
    for i in range(rounds + 1):  # the first round warms up
        pending = [authorize_env() for _ in range(n)]
        spent = 0.0
        for env, verifier in pending:
            t0 = time.process_time()
            _, headers, _ = _call(app, env)
            spent += time.process_time() - t0
            code = parse_qs(urlsplit(headers["Location"]).query)["code"][0]
            env = token_env(code, verifier)
            t0 = time.process_time()
            status, _, body = _call(app, env)
            spent += time.process_time() - t0
            if not status.startswith("200"):
                raise RuntimeError(f"token answered {status}: {body[:200]!r}")
        if i:
            best = min(best, spent / n * 1000)
    return round(best, 3)


def measure() -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-inprocess-") as tmp:
        app = create_app(Settings(base_url="http://127.0.0.1:8080", keys_dir=Path(tmp) / "keys",
                                  data_dir=Path(tmp) / "data", store="sqlite", log_requests=False,
                                  fixtures_dir=BENCH.parent / "fixtures"))
        size = len(app.test_client().get(f"{ISSUER}/.well-known/openid-configuration").data)
        bare, raw = bare_apps(size)
        return {
            "bare WSGI callable": cpu_us(raw, "/"),
            "bare Flask, same-size document": cpu_us(bare, "/doc"),
            "mock-bankid discovery": cpu_us(app, f"{ISSUER}/.well-known/openid-configuration"),
            "mock-bankid JWKS": cpu_us(app, f"{ISSUER}/protocol/openid-connect/certs"),
            "mock-bankid /_mock/health": cpu_us(app, "/_mock/health"),
            "mock-bankid sign-in (authorize + token), ms": sign_in_ms(app),
            "stack floor sign-in (bench/floor_app.py), ms": sign_in_ms(
                floor_app(str(Path(tmp) / "floor.sqlite3"), "http://127.0.0.1:8080"),
                authorize_path="/authorize", token_path="/token"),
            "bare WSGI floor sign-in (the same without Flask), ms": sign_in_ms(
                floor_wsgi_app(str(Path(tmp) / "bare.sqlite3"), "http://127.0.0.1:8080"),
                authorize_path="/authorize", token_path="/token"),
        }


def main() -> None:
    for name, value in measure().items():
        print(f"{value:8.3f} ms  {name[:-4]}" if name.endswith(", ms") else f"{value:8.1f} us  {name}")


if __name__ == "__main__":
    main()
