"""`mock-bankid drill` against the ADR-007 BFF (examples/drop-bff, Next.js under `next start`).

The proof has three parts: the BFF as written meets every case of fixtures/drills.toml; the same
BFF with one deliberate defect at a time fails exactly the cases that should catch that defect
and no others (the drill can fail, and fails for the right reason); and a real Chromium signs in
through the mock's login page into the dashboard, with one `drill --browser` run on top.

One mock-bankid (real gunicorn, 4 workers) serves the whole module; the BFF is restarted per
defect because the defect is read at start. Each full-catalogue run took ~11 s here when the
machine was quiet (78 cases); the six defect runs dominate this file's time.
"""

from __future__ import annotations

import hashlib
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import LiveServer, free_port
from drop_bff import (
    BANKID_CASES,
    DEFECTS,
    PYTESTMARK,
    Bff,
    mock_and_bff,
    personas,
    run_drill,
    skip_age_set,
    start_bff,
)

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = PYTESTMARK
mock, bff = mock_and_bff("drill")


def drill(mock: LiveServer, bff: Bff, *args: str, timeout: float = 600) -> tuple[int, dict[str, Any] | None, str]:
    """Run the real command against the web path; with --json, return the parsed report."""
    return run_drill(mock, "--start", bff.start_url, "--success", "/dashboard", *args, timeout=timeout)


def test_the_adr_007_bff_meets_every_case(mock, bff, tmp_path):
    junit = tmp_path / "drill.xml"
    code, report, output = drill(mock, bff, "--json", "--junit", str(junit))
    assert code == 0, output[-4000:] + bff.log()[-3000:]
    assert report["summary"] == {"cases": len(BANKID_CASES), "met": len(BANKID_CASES), "not_met": []}
    assert "cases left out (they need --start-vipps" in report["warnings"][0]  # the Vipps ones: test_drill_bff_vipps.py
    seen = {c["name"]: c["seen"] for c in report["cases"]}
    assert seen["adult"] == seen["turns-18-today"] == seen["rate-limit"] == "signed-in"
    assert seen["under-18"] == seen["trap-nonce"] == seen["outage"] == "refused"
    rate = next(c for c in report["cases"] if c["name"] == "rate-limit")
    assert any("429, 200" in n for n in rate["notes"]), rate["notes"]  # one 429, then the retry got through

    suite = ET.parse(junit).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [c.name for c in BANKID_CASES]
    assert suite.get("failures") == "0" and not suite.findall("testcase/failure")
    assert {c.get("classname") for c in cases} == {"drill.persona", "drill.trap", "drill.failure"}

    # What the sign-ins left behind: real rows, KYC by BankID, the number only as its SHA-256.
    adult = personas(mock)["adult"]
    with sqlite3.connect(bff.db_path) as db:
        row = db.execute("SELECT kyc_status, kyc_method, given_name FROM users WHERE national_id_hash = ?",
                         (hashlib.sha256(adult["nnin"].encode()).hexdigest(),)).fetchone()
        numbers = [r[0] for r in db.execute("SELECT national_id_hash FROM users")]
    assert row[:2] == ("approved", "bankid") and row[2]
    assert adult["nnin"] not in "".join(numbers)
    # The runbook's log lines, as on-call searches for them.
    log = bff.log()
    for line in ("BankID OAuth error: invalid_client", "BankID callback failed: invalid_state", "BankID API timeout",
                 "BankID rate limit: 429 from the token endpoint, retrying"):
        assert line in log, line
    assert "drop-web-secret" not in log


@pytest.mark.parametrize("defect", ["skip-age", *DEFECTS])
def test_each_defect_fails_exactly_the_cases_that_catch_it(mock, defect, tmp_path):
    expected = skip_age_set(mock) if defect == "skip-age" else DEFECTS[defect]
    if defect == "skip-age":
        assert {"under-18", "turns-18-tomorrow", "infant", "d-number-minor", "tenor-minor", "fh-number"} <= expected
        assert "turns-18-today" not in expected
    app = start_bff(mock, tmp_path, defect)
    try:
        code, report, output = drill(mock, app, "--json")
    finally:
        app.stop()
    assert code == 1, output[-3000:]
    assert set(report["summary"]["not_met"]) == expected, output[-6000:]
    crashed = {c["name"] for c in report["cases"] if c["seen"] == "error"}
    assert crashed == (expected if defect == "crash-on-error" else set())
    assert f"DROP_BFF_DEFECT={defect}" in app.log()


def test_removed_password_and_otp_endpoints_answer_410(bff):
    for path in ("/auth/login", "/auth/register", "/auth/verify-otp"):
        response = requests.post(bff.base_url + path, json={"email": "a@example.com", "password": "x"}, timeout=10)
        assert response.status_code == 410, path
        assert "/api/auth/bankid" in response.json()["message"]


def test_the_state_cookie_is_httponly_and_scoped_to_the_callback(bff):
    response = requests.get(bff.start_url, allow_redirects=False, timeout=10)
    assert response.status_code == 302 and "/precheck/auth?" in response.headers["Location"]
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("bankid_state=") and "HttpOnly" in cookie and "Path=/api/auth/bankid" in cookie
    assert "code_challenge_method=S256" in response.headers["Location"]


def test_the_drill_exits_2_when_the_relying_party_is_down(mock, tmp_path):
    dead = Bff(f"http://127.0.0.1:{free_port()}", None, tmp_path / "none", tmp_path / "none")  # type: ignore[arg-type]
    code, _report, output = drill(mock, dead, "--cases", "adult", timeout=60)
    assert code == 2 and "cannot reach the relying party" in output


# --- a real browser -------------------------------------------------------------------------
browser = pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (scripts/setup-test installs it)")


@browser
@pytest.mark.browser
def test_chromium_signs_in_through_the_login_page_into_the_dashboard(mock, bff):
    from playwright.sync_api import sync_playwright

    from mock_bankid.drill.browser import CHROMIUM_ARGS

    requests.delete(f"{mock.base_url}/_mock/next-login", timeout=10)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context().new_page()
            page.goto(bff.base_url + "/")
            page.get_by_test_id("bankid-sign-in").click()
            page.wait_for_selector('[data-persona="adult-25"]')
            assert page.url.startswith(mock.issuer + "/precheck/auth?")
            page.locator('[data-persona="adult-25"]').click()
            page.wait_for_url(bff.base_url + "/dashboard")
            assert page.get_by_test_id("welcome").inner_text().startswith("Welcome, ")
            assert page.get_by_test_id("kyc").inner_text() == "approved"
            cookies = {c["name"]: c for c in page.context.cookies()}
            assert cookies["drop_token"]["httpOnly"] and "bankid_state" not in cookies  # consumed
        finally:
            chromium.close()


@browser
@pytest.mark.browser
def test_drill_in_the_browser_through_the_real_login_page(mock, bff):
    # A subset, to bound the time (~1-2 s a case in Chromium): clicked personas, a scenario picked in
    # the login page's QA panel, a parameterised one through the queue, the replay, an outage.
    cases = "adult,under-18,bad-checksum,trap-nonce,trap-nonce-missing,state-mismatch,cancel,callback-replay,outage"
    code, report, output = drill(mock, bff, "--browser", "--json", "--cases", cases)
    assert code == 0, output[-4000:]
    assert report["mode"] == "browser" and report["summary"]["met"] == len(cases.split(","))
    adult = next(c for c in report["cases"] if c["name"] == "adult")
    assert any("/precheck/login" in h["url"] for h in adult["trace"]["hops"])  # the login page's form was posted
