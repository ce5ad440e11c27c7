"""The drill judging a relying party it was not written against.

Not the Next.js BFF but a small Flask app written another way: other paths (`/signin`, `/home`),
`response_mode=form_post` (the drill submits BankID's self-posting form as a browser's script
would), `client_secret_post` as the `ci` client, a server-side session behind a `sid` cookie, the
ID token checked with joserfc, the number with python-stdnum (which rejects Tenor, 2032-rule and
FH-numbers), the age from the `birthdate` claim. Its rules are told to the drill by a policy file
(ordinary, D- and H-numbers only), and every case it runs is met.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import requests
from conftest import pkce_pair
from e2e_helpers import Discovered, verify_id_token
from flask import Flask, redirect, request
from stdnum.no import fodselsnummer
from werkzeug.serving import make_server

from mock_bankid.core.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def build_rp(disc: Discovered, base: dict[str, str]) -> Flask:
    app = Flask("other-rp")
    pending: dict[str, dict[str, str]] = {}
    signed_in: dict[str, str] = {}

    def page(status: int, text: str) -> tuple[str, int]:
        return f"<!doctype html><title>Other RP</title><p>{text}</p>", status

    @app.get("/signin")
    def signin():
        sid = secrets.token_urlsafe(16)
        verifier, challenge = pkce_pair()
        pending[sid] = {"state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16), "verifier": verifier}
        query = {"client_id": "ci", "redirect_uri": base["url"] + "/callback", "response_type": "code",
                 "response_mode": "form_post", "scope": "openid profile nnin_altsub", "state": pending[sid]["state"],
                 "nonce": pending[sid]["nonce"], "code_challenge": challenge, "code_challenge_method": "S256"}
        response = redirect(disc.config["authorization_endpoint"] + "?" + urlencode(query), 303)
        response.set_cookie("sid", sid, httponly=True, samesite="Lax")
        return response

    @app.post("/callback")
    def callback():
        attempt = pending.pop(request.cookies.get("sid", ""), None)
        if attempt is None or request.form.get("state") != attempt["state"]:
            return page(400, "That sign-in is not ours.")
        if "error" in request.form:
            return page(200, f"Sign-in did not complete ({request.form['error']}). Try again.")
        try:
            answer = requests.post(disc.config["token_endpoint"], timeout=5, data={
                "grant_type": "authorization_code", "code": request.form.get("code", ""),
                "redirect_uri": base["url"] + "/callback", "code_verifier": attempt["verifier"],
                "client_id": "ci", "client_secret": "ci-secret"})
        except requests.RequestException:
            return page(503, "BankID is not answering.")
        if answer.status_code != 200:
            return page(503 if answer.status_code >= 500 or answer.status_code == 429 else 502, "BankID said no.")
        tokens = answer.json()
        try:
            claims = verify_id_token(tokens["id_token"], disc.jwks, issuer=disc.config["issuer"], client_id="ci",
                                     nonce=attempt["nonce"], access_token=tokens["access_token"])
        except Exception:  # noqa: BLE001 - any failed check is a refusal
            return page(403, "The answer from BankID did not verify.")
        number = claims.get("pid") or claims.get("nnin_altsub")
        if not (isinstance(number, str) and len(number) == 11 and number.isdigit() and fodselsnummer.is_valid(number)):
            return page(403, "Your number is not accepted here.")
        born = date.fromisoformat(claims["birthdate"])
        today = datetime.now(ZoneInfo("Europe/Oslo")).date()
        if today.year - born.year - ((today.month, today.day) < (born.month, born.day)) < 18:
            return page(403, "You must be 18.")
        sid = secrets.token_urlsafe(16)
        signed_in[sid] = claims["sub"]
        response = redirect("/home", 303)
        response.set_cookie("sid", sid, httponly=True, samesite="Lax")
        return response

    @app.get("/home")
    def home():
        if request.cookies.get("sid") not in signed_in:
            return redirect("/", 303)
        return page(200, "Hello, you are signed in.")

    @app.get("/")
    def index():
        return page(200, '<a href="/signin">Sign in</a>')

    return app


@pytest.fixture(scope="module")
def other_rp(live_server) -> Iterator[str]:
    base: dict[str, str] = {}
    server = make_server("127.0.0.1", 0, build_rp(Discovered.fetch(live_server.discovery_url), base), threaded=True)
    base["url"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base["url"]
    server.shutdown()


PERSONA_AND_PROTOCOL_CASES = [
    "adult", "adult-1985", "born-2000", "under-18", "turns-18-tomorrow", "tenor-minor", "turns-18-today",
    "leap-day", "born-1899", "d-number", "h-number", "tenor", "tenor-d-number", "rule-2032", "fh-number",
    "bad-checksum", "bad-k2", "wrong-length", "spaced", "impossible-date", "future-birth", "unknown-century",
    "trap-unknown-kid", "trap-alg-none", "trap-expired", "trap-future-iat", "trap-wrong-iss", "trap-wrong-aud",
    "trap-nonce", "trap-at-hash", "trap-missing-nnin", "state-mismatch", "state-missing", "cancel",
    "session-timeout-redirect", "callback-replay", "outage", "invalid-client", "drop-connection",
]


def test_the_drill_judges_a_form_post_relying_party_with_its_own_policy(live_server, other_rp, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('min_age = 18\naccept = ["fnr", "dnr", "hnr"]   # what python-stdnum accepts\n')
    completed = subprocess.run(
        [sys.executable, "-m", "mock_bankid.cli", "drill", "--start", other_rp + "/signin", "--success", "/home",
         "--url", live_server.base_url, "--policy", str(policy), "--json",
         "--cases", ",".join(PERSONA_AND_PROTOCOL_CASES)],
        capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT)
    report: dict[str, Any] = json.loads(completed.stdout)
    assert completed.returncode == 0, [c for c in report["cases"] if not c["met"]]
    seen = {c["name"]: c["seen"] for c in report["cases"]}
    assert seen["adult"] == seen["d-number"] == "signed-in"
    assert seen["tenor"] == seen["rule-2032"] == "refused"  # refused by this RP, and the policy says so
    adult = next(c for c in report["cases"] if c["name"] == "adult")
    assert [h["method"] for h in adult["trace"]["hops"]][-2:] == ["POST", "GET"]  # form_post, then /home


def test_without_the_policy_the_drill_reports_what_this_rp_refuses(live_server, other_rp):
    completed = subprocess.run(
        [sys.executable, "-m", "mock_bankid.cli", "drill", "--start", other_rp + "/signin", "--success", "/home",
         "--url", live_server.base_url, "--json", "--cases", "adult,tenor,rule-2032,d-number"],
        capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    report = json.loads(completed.stdout)
    assert completed.returncode == 1
    assert report["summary"]["not_met"] == ["tenor", "rule-2032"]  # the default policy accepts them; stdnum does not
