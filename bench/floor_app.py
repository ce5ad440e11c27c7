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
other checks. Not a provider: a measuring stick, started by ``targets.floor()`` as

    PYTHONPATH="$PWD/bench:$PWD" python -m gunicorn -k mock_bankid.worker.DeadlineThreadWorker -w 2 \
        --threads 4 --keep-alive 5 --preload -b 127.0.0.1:8080 --chdir bench \
        'floor_app:create_app("/tmp/floor.sqlite3", "http://127.0.0.1:8080")'
"""

from __future__ import annotations

import hmac
import secrets
import time
from urllib.parse import urlencode

from driver import BASIC, CLIENT_ID, REDIRECT_URI  # the client the benchmark's driver signs in as
from flask import Flask, Response, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from mock_bankid.codes import check_pkce
from mock_bankid.errors import OAuthError
from mock_bankid.store.sqlite import SqliteStore


def create_app(db_path: str, issuer: str) -> Flask:
    app = Flask("floor")
    store = SqliteStore(db_path)
    rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa", "use": "sig", "alg": "RS256"}, private=True)
    ec = ECKey.generate_key("P-256", parameters={"kid": "ec", "use": "sig", "alg": "ES256"}, private=True)
    jwks = KeySet([rsa, ec]).as_dict(private=False)

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Response:
        return jsonify(issuer=issuer, authorization_endpoint=f"{issuer}/authorize",
                       token_endpoint=f"{issuer}/token", jwks_uri=f"{issuer}/jwks")

    @app.get("/jwks")
    def keys() -> Response:
        return jsonify(jwks)

    @app.get("/authorize")
    def authorize() -> Response:
        args = request.args
        if args.get("client_id") != CLIENT_ID or args.get("redirect_uri") != REDIRECT_URI:
            return Response("unknown client or redirect_uri", status=400)
        code = secrets.token_urlsafe(32)
        store.put("codes", code, {"nonce": args.get("nonce"), "challenge": args.get("code_challenge"),
                                  "scope": args.get("scope")}, 60)
        return redirect(f"{REDIRECT_URI}?{urlencode({'code': code, 'state': args.get('state', '')})}")

    @app.post("/token")
    def token() -> tuple[Response, int] | Response:
        if not hmac.compare_digest(request.headers.get("Authorization", ""), BASIC):
            return jsonify(error="invalid_client"), 401
        form = request.form
        record = store.take("codes", form.get("code", ""))
        if record is None or form.get("redirect_uri") != REDIRECT_URI:
            return jsonify(error="invalid_grant"), 400
        try:
            check_pkce(record["challenge"], form.get("code_verifier"))  # the mock's own RFC 7636 check
        except OAuthError as exc:
            return jsonify(error=exc.error), 400
        now = int(time.time())
        jti = secrets.token_urlsafe(16)
        id_token = jwt.encode({"alg": "RS256", "kid": "rsa"}, {
            "iss": issuer, "sub": "floor", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
            "nonce": record["nonce"]}, rsa)
        access_token = jwt.encode({"alg": "ES256", "kid": "ec", "typ": "at+jwt"}, {
            "iss": issuer, "sub": "floor", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
            "jti": jti, "scope": record["scope"]}, ec)
        store.put("access", jti, {"sub": "floor", "scope": record["scope"]}, 300)
        response = jsonify(access_token=access_token, id_token=id_token, token_type="Bearer", expires_in=300)
        response.headers["Cache-Control"], response.headers["Pragma"] = "no-store", "no-cache"  # RFC 6749 5.1
        return response

    return app
