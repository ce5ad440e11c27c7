"""The mobile app's sign-in as BankID allows it, through the ADR-007 BFF (examples/drop-bff).

BankID registers no public clients; for a native app it wants a backend that starts the request,
receives the callback and redeems the code. So the app opens the BFF's start URL in the system
browser (``?client=mobile&app_redirect=drop://auth/done``), the mock redirects to the **BFF's**
callback, the BFF signs in as its confidential client (``drop-web``) and sends the browser to the
app's deep link with a one-time code, which the app trades at ``POST /api/auth/mobile/exchange``.

The proof, as for the web path (tests/test_drill_bff.py): the whole drill catalogue through the
mobile path (``--success drop://auth/done --exchange ...``), every case met; each of the BFF's
deliberate defects caught by exactly the same cases as on the web, plus ``reusable-code`` (a
mobile-only defect: the one-time code works twice) caught on every sign-in; and the HTTP part of
docs/clients.md's Expo recipe (tests/clients/expo/), which no Expo runtime here can run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from conftest import LiveServer
from drop_bff import (
    APP_REDIRECT,
    BANKID_CASES,
    DEFECTS,
    PYTESTMARK,
    Bff,
    mock_and_bff,
    run_drill,
    skip_age_set,
    start_bff,
)

EXPO = Path(__file__).parent / "clients" / "expo"

pytestmark = PYTESTMARK
mock, bff = mock_and_bff("mobile")


def drill(mock: LiveServer, bff: Bff, *args: str) -> tuple[int, dict[str, Any] | None, str]:
    return run_drill(mock, "--start", bff.mobile_start_url(), "--success", APP_REDIRECT,
                     "--exchange", bff.exchange_url, *args)


def test_the_mobile_path_meets_every_case(mock, bff, tmp_path):
    junit = tmp_path / "drill.xml"
    code, report, output = drill(mock, bff, "--json", "--junit", str(junit))
    assert code == 0, output[-4000:] + bff.log()[-3000:]
    assert report["summary"] == {"cases": len(BANKID_CASES), "met": len(BANKID_CASES), "not_met": []}
    assert report["success"].startswith("drop://auth/done with a one-time code")
    cases = {c["name"]: c for c in report["cases"]}
    assert cases["adult"]["seen"] == cases["rate-limit"]["seen"] == "signed-in"
    assert cases["under-18"]["seen"] == cases["trap-nonce"]["seen"] == cases["outage"]["seen"] == "refused"
    # Signed in: BankID called the BFF back (not the app), the BFF handed the app a code, the code
    # was exchanged once and refused the second time.
    hops = cases["adult"]["trace"]["hops"]
    assert "client_id=drop-web" in hops[1]["url"]
    assert hops[2]["url"].startswith(bff.base_url + "/api/auth/bankid/callback?")
    assert hops[-1]["location"] == "drop://auth/done?code=[redacted]"
    assert any("second exchange answered 400" in n for n in cases["adult"]["notes"])
    # Refused: the app hears why on its deep link.
    assert "error=access_denied" in cases["under-18"]["detail"]
    assert "error=temporarily_unavailable" in cases["outage"]["detail"]
    assert "error=access_denied" in cases["cancel"]["detail"]
    # No usable code in any report.
    assert "drop://auth/done?code=" not in junit.read_text().replace("code=[redacted]", "")
    assert "for the mobile app" in bff.log() and "drop-web-secret" not in bff.log()


MOBILE_ONLY = "reusable-code"


@pytest.mark.parametrize("defect", ["skip-age", *DEFECTS, MOBILE_ONLY])
def test_each_defect_is_caught_through_the_mobile_path(mock, defect, tmp_path):
    app = start_bff(mock, tmp_path, defect)
    try:
        code, report, output = drill(mock, app, "--json")
    finally:
        app.stop()
    assert code == 1, output[-3000:]
    not_met = set(report["summary"]["not_met"])
    if defect == MOBILE_ONLY:
        signed_in = {c["name"] for c in report["cases"] if c["seen"] == "signed-in"}
        assert signed_in and not_met == signed_in, output[-6000:]
        assert all("exchanged twice" in c["problem"] for c in report["cases"] if c["name"] in signed_in)
        return
    expected = skip_age_set(mock) if defect == "skip-age" else DEFECTS[defect]
    assert not_met == expected, output[-6000:]
    crashed = {c["name"] for c in report["cases"] if c["seen"] == "error"}
    assert crashed == (expected if defect == "crash-on-error" else set())


# --- the BFF's mobile endpoints ---------------------------------------------------------------
@pytest.mark.parametrize("query", [
    {"client": "mobile", "app_redirect": "https://evil.example/steal"},
    {"client": "mobile", "app_redirect": "drop://evil/done"},
    {"client": "mobile", "app_redirect": "exp://host:8081/--/other"},
    {"client": "mobile"},
    {"client": "tv", "app_redirect": APP_REDIRECT},
    {"client": "mobile", "app_redirect": APP_REDIRECT, "app_challenge": "short"},
])
def test_the_start_refuses_a_deep_link_it_does_not_know(bff, query):
    response = requests.get(bff.start_url, params=query, allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "Location" not in response.headers
    assert "bankid_state" not in response.headers.get("Set-Cookie", "")


def test_expo_go_deep_links_are_allowed_in_mock_mode(bff):
    response = requests.get(bff.mobile_start_url("exp://192.168.1.20:8081/--/auth/done"),
                            allow_redirects=False, timeout=10)
    assert response.status_code == 302 and "/precheck/auth?" in response.headers["Location"]


def sign_in_on_the_phone(mock: LiveServer, bff: Bff, persona: str, **extra: str) -> dict[str, str]:
    """What openAuthSessionAsync does: the system browser walks the redirects until the deep link,
    which it hands to the app. Returns the deep link's query."""
    requests.post(f"{mock.base_url}/_mock/next-login", json={"persona": persona}, timeout=10).raise_for_status()
    browser = requests.Session()
    url = bff.mobile_start_url(**extra)
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=20)
        assert response.status_code == 302, (url, response.status_code, response.text[:500])
        url = urljoin(url, response.headers["Location"])
        if url.startswith(APP_REDIRECT):
            assert response.headers.get("Cache-Control") == "no-store"
            return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    raise AssertionError("never reached the deep link")


def test_the_expo_recipe_over_http(mock, bff):
    """tests/clients/expo/signIn.js, the HTTP it makes (Expo itself does not run here): the start URL
    with the app's own PKCE challenge, the deep link, the exchange with the verifier, GET /api/me."""
    config = json.loads((EXPO / "bankid.json").read_text())
    assert f"{config['scheme']}://{config['appPath']}" == APP_REDIRECT
    verifier = secrets.token_hex(32)  # the recipe: two expo-crypto UUIDs without dashes
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    exchange = f"{bff.base_url}/api/auth/mobile/exchange"
    assert exchange == bff.exchange_url

    deep = sign_in_on_the_phone(mock, bff, "adult-25", app_challenge=challenge)
    assert set(deep) == {"code"}
    wrong = requests.post(exchange, json={"code": deep["code"], "code_verifier": "x" * 64}, timeout=10)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"  # and the code is spent

    deep = sign_in_on_the_phone(mock, bff, "adult-25", app_challenge=challenge)
    tokens = requests.post(exchange, json={"code": deep["code"], "code_verifier": verifier}, timeout=10)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["user"]["kyc_status"] == "approved"
    assert tokens.headers["Cache-Control"] == "no-store"
    me = requests.get(f"{bff.base_url}/api/me", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=10)
    assert me.status_code == 200 and me.json()["id"] == body["user"]["id"] and me.json()["kyc_method"] == "bankid"
    again = requests.post(exchange, json={"code": deep["code"], "code_verifier": verifier}, timeout=10)
    assert again.status_code == 400  # single use
    assert requests.get(f"{bff.base_url}/api/me", timeout=10).status_code == 401

    refused = sign_in_on_the_phone(mock, bff, "under-18")
    assert refused["error"] == "access_denied" and "18" in refused["error_description"] and "code" not in refused
