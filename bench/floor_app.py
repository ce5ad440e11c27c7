"""A near-minimal sign-in on mock-bankid's stack: the *stack floor* column of ``bench/run.py``.

A Flask app under the same gunicorn worker class and counts as ``mock-bankid serve`` (one worker
per core, at least 2, x 4 threads), with the same SQLite store and the same signing library, that
does only what no sign-in through this stack can skip while keeping a code single-use across
workers:

- authorize: check the client and the redirect URI, store the code (shared by every worker, so a
  code works once across them), redirect with it;
- token: check HTTP Basic, take the code (atomic), check PKCE, sign an RS256 ID token and an
  ES256 access token (what BankID signs), store the access token (what userinfo would read), answer
  JSON.

Nothing else: no SSO session, no request log, no scenarios, no personas, no clock shift, no
other checks. ``create_wsgi_app`` does the same work as a bare WSGI callable (no Flask, no
werkzeug: urllib parses the query and the form), the *bare WSGI floor*: what leaving Flask would
save. Not providers: measuring sticks, started by ``targets.floor()`` as

    PYTHONPATH="$PWD/bench:$PWD" python -m gunicorn -k mock_bankid.serving.worker.DeadlineThreadWorker -w 2 \
        --threads 4 --keep-alive 5 --preload -b 127.0.0.1:8080 --chdir bench \
        'floor_app:create_app("/tmp/floor.sqlite3", "http://127.0.0.1:8080")'
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlencode

from driver import BASIC, CLIENT_ID, REDIRECT_URI  # the client the benchmark's driver signs in as
from flask import Flask, Response, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from werkzeug.wrappers import Response as BaseResponse

from mock_bankid.core.errors import OAuthError
from mock_bankid.oidc.codes import check_pkce
from mock_bankid.store.sqlite import SqliteStore


class Floor:
    """The sign-in's work, apart from how requests reach it (Flask or bare WSGI)."""

    def __init__(self, db_path: str, issuer: str) -> None:
        self.issuer = issuer
        self.store = SqliteStore(db_path)
        self.rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa", "use": "sig", "alg": "RS256"}, private=True)
        self.ec = ECKey.generate_key("P-256", parameters={"kid": "ec", "use": "sig", "alg": "ES256"}, private=True)
        self.jwks = KeySet([self.rsa, self.ec]).as_dict(private=False)
        self.discovery = {"issuer": issuer, "authorization_endpoint": f"{issuer}/authorize",
                          "token_endpoint": f"{issuer}/token", "jwks_uri": f"{issuer}/jwks"}

    def authorize(self, args: Mapping[str, str]) -> tuple[int, str]:
        """(302, the callback URL with a code) or (400, why)."""
        if args.get("client_id") != CLIENT_ID or args.get("redirect_uri") != REDIRECT_URI:
            return 400, "unknown client or redirect_uri"
        code = secrets.token_urlsafe(32)
        self.store.put("codes", code, {"nonce": args.get("nonce"), "challenge": args.get("code_challenge"),
                                       "scope": args.get("scope")}, 60)
        return 302, f"{REDIRECT_URI}?{urlencode({'code': code, 'state': args.get('state', '')})}"

    def token(self, authorization: str, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        if not hmac.compare_digest(authorization, BASIC):
            return 401, {"error": "invalid_client"}
        record = self.store.take("codes", form.get("code", ""))
        if record is None or form.get("redirect_uri") != REDIRECT_URI:
            return 400, {"error": "invalid_grant"}
        try:
            check_pkce(record["challenge"], form.get("code_verifier"))  # the mock's own RFC 7636 check
        except OAuthError as exc:
            return 400, {"error": exc.error}
        now = int(time.time())
        jti = secrets.token_urlsafe(16)
        id_token = jwt.encode({"alg": "RS256", "kid": "rsa"}, {
            "iss": self.issuer, "sub": "floor", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
            "nonce": record["nonce"]}, self.rsa)
        access_token = jwt.encode({"alg": "ES256", "kid": "ec", "typ": "at+jwt"}, {
            "iss": self.issuer, "sub": "floor", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
            "jti": jti, "scope": record["scope"]}, self.ec)
        self.store.put("access", jti, {"sub": "floor", "scope": record["scope"]}, 300)
        return 200, {"access_token": access_token, "id_token": id_token, "token_type": "Bearer", "expires_in": 300}


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 section 5.1


def create_app(db_path: str, issuer: str) -> Flask:
    app = Flask("floor")
    floor = Floor(db_path, issuer)

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Response:
        return jsonify(floor.discovery)

    @app.get("/jwks")
    def keys() -> Response:
        return jsonify(floor.jwks)

    @app.get("/authorize")
    def authorize() -> BaseResponse:
        status, answer = floor.authorize(request.args)
        return redirect(answer) if status == 302 else Response(answer, status=status)

    @app.post("/token")
    def token() -> Response:
        status, answer = floor.token(request.headers.get("Authorization", ""), request.form)
        response = jsonify(answer)
        response.status_code = status
        response.headers.update(NO_STORE)
        return response

    return app


StartResponse = Callable[..., Any]


def create_wsgi_app(db_path: str, issuer: str) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The same work as ``create_app`` (the same ``Floor``), as a bare WSGI callable; the answers
    differ only in what Flask adds (the 302's HTML body, JSON key order and spacing)."""
    floor = Floor(db_path, issuer)

    def params(text: str) -> dict[str, str]:
        """As werkzeug reads a query or form for ``.get()``: blank values kept, the first of a repeated name."""
        out: dict[str, str] = {}
        for name, value in parse_qsl(text, keep_blank_values=True):
            out.setdefault(name, value)
        return out

    documents = {"/.well-known/openid-configuration": json.dumps(floor.discovery).encode(),
                 "/jwks": json.dumps(floor.jwks).encode()}

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if method == "GET" and path == "/authorize":
            status, answer = floor.authorize(params(environ.get("QUERY_STRING", "")))
            if status == 302:
                start_response("302 Found", [("Location", answer), ("Content-Length", "0")])
                return [b""]
            body = answer.encode()
            start_response("400 Bad Request", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        if method == "POST" and path == "/token":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            form = params(environ["wsgi.input"].read(size).decode("utf-8", "replace"))
            status, result = floor.token(environ.get("HTTP_AUTHORIZATION", ""), form)
            body = json.dumps(result).encode()
            start_response(f"{status} {HTTPStatus(status).phrase}",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            *NO_STORE.items()])
            return [body]
        if method == "GET" and path in documents:
            body = documents[path]
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]

    return app
