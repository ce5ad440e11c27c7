"""ADR-007 Phase 2 in the example BFF (examples/drop-bff under `next start`): Vipps Login as the
fallback when BankID is down, and one user per person whichever provider they use.

The proof, as for BankID (tests/test_drill_bff.py): the BFF meets the whole catalogue with
`--start-vipps` and `--whoami` (the fallback case, the one-user case, the Vipps personas); each of
Phase 2's defects fails exactly the case that must catch it; with the Vipps client that gets no `nin`
every Vipps sign-in is refused (the BFF's policy), and `trust-vipps-without-nin` is caught there.
One mock-bankid (gunicorn, 4 workers) serves BankID and Vipps Login for the whole module.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from conftest import LiveServer
from drop_bff import (
    CATALOGUE,
    NO_NIN_CAUGHT,
    NO_NIN_CLIENT,
    PYTESTMARK,
    VIPPS_CASES,
    VIPPS_DEFECTS,
    Bff,
    mock_and_bff,
    personas,
    run_drill,
    start_bff,
)

pytestmark = PYTESTMARK
mock, bff = mock_and_bff("vipps")


def drill(mock: LiveServer, bff: Bff, *args: str) -> tuple[int, dict[str, Any] | None, str]:
    return run_drill(mock, "--start", bff.start_url, "--start-vipps", "/api/auth/vipps", "--whoami", "/api/me",
                     "--success", "/dashboard", "--json", *args)


def surprises(report: dict[str, Any], expected: set[str]) -> list[str]:
    """The cases whose verdict is not the one expected, one line each (for an assertion's message)."""
    return [f"{c['name']}: {c['seen']} {c.get('problem', '')} {c['detail'][:300]} {c['notes']}"
            for c in report["cases"] if (c["name"] in expected) == c["met"]]


def no_nin_policy(tmp: Path) -> str:
    path = tmp / "policy.toml"
    path.write_text("vipps_nin = false\n")
    return str(path)


def test_the_bff_with_vipps_meets_every_case(mock, bff):
    code, report, output = drill(mock, bff)
    assert code == 0, (surprises(report, set()) if report else output[-5000:], bff.log()[-3000:])
    assert report["summary"] == {"cases": len(CATALOGUE), "met": len(CATALOGUE), "not_met": []}
    assert report["start_vipps"] == bff.vipps_start_url and report["whoami"] == bff.whoami_url
    cases = {c["name"]: c for c in report["cases"]}
    assert {n: cases[n]["seen"] for n in ("adult-vipps", "vipps-only", "under-18-vipps")} == {
        "adult-vipps": "signed-in", "vipps-only": "signed-in", "under-18-vipps": "refused"}
    assert "/api/auth/vipps/callback" in cases["under-18-vipps"]["trace"]["final"]["url"]  # the BFF said no
    fallback = cases["outage-bankid-fallback-vipps"]
    assert fallback["seen"] == "signed-in" and fallback["group"] == "vipps"
    assert any("followed the page's link to " + bff.vipps_start_url in n for n in fallback["notes"]), fallback
    assert any(n.endswith("signed in with vipps") for n in fallback["notes"]), fallback["notes"]
    hops = [h["url"] for h in fallback["trace"]["hops"]]
    assert any("/auth/realms/" in u for u in hops)  # BankID first,
    assert any("/access-management-1.0/access/oauth2/auth" in u for u in hops)  # then Vipps, in one walk
    users = [n for n in cases["adult-25-bankid-then-vipps"]["notes"] if n.startswith("whoami: user ")]
    assert len(users) == 2 and users[0].split(",")[0] == users[1].split(",")[0], users  # one user, both times
    assert cases["adult"]["notes"][-1].endswith("signed in with bankid")  # whoami after every sign-in

    # What the database holds: one row per person, the providers seen, a sign-in row per provider.
    people = personas(mock)
    key = hashlib.sha256(people["adult-25"]["nnin"].encode()).hexdigest()
    with sqlite3.connect(bff.db_path) as db:
        rows = db.execute("SELECT id, providers, kyc_status FROM users WHERE national_id_hash = ?", (key,)).fetchall()
        assert len(rows) == 1 and rows[0][1:] == ("bankid,vipps", "approved"), rows
        seen = {r[0] for r in db.execute("SELECT auth_provider FROM sign_ins WHERE user_id = ?", (rows[0][0],))}
        assert seen == {"bankid", "vipps"}
        only = hashlib.sha256(people["vipps-only"]["nnin"].encode()).hexdigest()
        assert db.execute("SELECT kyc_method, providers FROM users WHERE national_id_hash = ?",
                          (only,)).fetchone() == ("vipps", "vipps")
        assert not db.execute("SELECT 1 FROM users WHERE national_id_hash = ?",
                              (hashlib.sha256(people["under-18-vipps"]["nnin"].encode()).hexdigest(),)).fetchone()
    log = bff.log()
    assert "BankID unavailable: offering the fallback, Vipps" in log and "Vipps sign-in: " in log
    assert "drop-web-vipps-secret" not in log


@pytest.mark.parametrize("defect", sorted(VIPPS_DEFECTS))
def test_each_phase_2_defect_fails_exactly_its_case(mock, defect, tmp_path):
    app = start_bff(mock, tmp_path, defect)
    try:
        code, report, output = drill(mock, app)
    finally:
        app.stop()
    assert code == 1, output[-3000:]
    assert set(report["summary"]["not_met"]) == VIPPS_DEFECTS[defect], surprises(report, VIPPS_DEFECTS[defect])
    assert not [c["name"] for c in report["cases"] if c["seen"] == "error"]
    assert f"DROP_BFF_DEFECT={defect}" in app.log()
    case = next(c for c in report["cases"] if c["name"] in VIPPS_DEFECTS[defect])
    if defect == "dedupe-by-sub":
        assert case["seen"] == "signed-in" and case["problem"].startswith("one person, two users"), case
    else:
        assert case["seen"] == "refused" and any("no fallback was offered" in n for n in case["notes"]), case


def test_without_nin_every_vipps_sign_in_is_refused_and_trusting_it_is_caught(mock, tmp_path):
    policy = no_nin_policy(tmp_path)
    app = start_bff(mock, tmp_path, vipps_client=NO_NIN_CLIENT)
    try:
        code, report, output = drill(mock, app, "--policy", policy, "--cases", ",".join(c.name for c in VIPPS_CASES))
        page = requests.Session()
        requests.post(f"{mock.base_url}/_mock/next-login?provider=vipps", json={"persona": "adult"}, timeout=10)
        refused = page.get(app.vipps_start_url, timeout=30)
    finally:
        app.stop()
    assert code == 0, output[-5000:]
    assert {c["seen"] for c in report["cases"]} == {"refused"}
    assert refused.status_code == 403 and "We need your national identity number to link your account" in refused.text
    assert 'href="/api/auth/bankid"' in refused.text  # BankID is the way in
    assert "Vipps callback failed: no_nin" in app.log()

    app = start_bff(mock, tmp_path, "trust-vipps-without-nin", vipps_client=NO_NIN_CLIENT)
    try:
        code, report, output = drill(mock, app, "--policy", policy)
    finally:
        app.stop()
    assert code == 1, output[-3000:]
    assert set(report["summary"]["not_met"]) == NO_NIN_CAUGHT, surprises(report, NO_NIN_CAUGHT)
    assert {c["seen"] for c in report["cases"] if c["name"] in NO_NIN_CAUGHT} == {"signed-in"}


def test_the_vipps_start_and_whoami(mock, bff):
    home = requests.get(bff.base_url + "/", timeout=10).text
    assert 'data-testid="vipps-sign-in"' in home and 'href="/api/auth/vipps"' in home
    response = requests.get(bff.vipps_start_url, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{mock.base_url}/access-management-1.0/access/oauth2/auth?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["client_id"] == "drop-web-vipps" and query["scope"] == "openid name phoneNumber birthDate nin"
    assert query["redirect_uri"] == bff.base_url + "/api/auth/vipps/callback"
    assert len(query["state"]) >= 8 and query["nonce"] and query["code_challenge_method"] == "S256"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("vipps_state=") and "HttpOnly" in cookie and "Path=/api/auth/vipps" in cookie
    assert requests.get(bff.whoami_url, timeout=10).status_code == 401


@pytest.mark.parametrize("defect", ["", "no-fallback"])
def test_a_cold_start_in_a_bankid_outage_offers_vipps_at_discovery(mock, defect, tmp_path):
    """A BFF that never read BankID's discovery document (just deployed) meets the outage at
    discovery, on the start URL itself: the page offers Vipps there too (not with no-fallback)."""
    app = start_bff(mock, tmp_path, defect)
    requests.put(f"{mock.base_url}/_mock/scenario", json={"scenario": "outage", "provider": "bankid"}, timeout=10)
    try:
        page = requests.get(app.start_url, allow_redirects=False, timeout=30)
    finally:
        requests.delete(f"{mock.base_url}/_mock/scenario", timeout=10)
        app.stop()
    assert page.status_code == 503 and "<title>BankID is unavailable" in page.text
    assert ('data-testid="vipps-sign-in"' in page.text) == (not defect)
    assert 'href="/api/auth/bankid"' in page.text  # trying BankID again stays possible


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (scripts/setup-test installs it)")
def test_chromium_falls_back_to_vipps_when_bankid_is_down(mock, bff):
    """The fallback as a person meets it: BankID's token endpoint is down, the page offers Vipps, one
    click later the Vipps login page (the mock's, same form), a persona, the dashboard."""
    from playwright.sync_api import sync_playwright

    from mock_bankid.drill.browser import CHROMIUM_ARGS

    requests.delete(f"{mock.base_url}/_mock/next-login", timeout=10)
    requests.put(f"{mock.base_url}/_mock/scenario", timeout=10,
                 json={"scenario": "outage", "endpoints": ["token"], "provider": "bankid"})
    requests.post(f"{mock.base_url}/_mock/next-login", json={"persona": "adult-67"}, timeout=10)
    try:
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                page = chromium.new_context().new_page()
                page.goto(bff.base_url + "/")
                page.get_by_test_id("bankid-sign-in").click()
                page.wait_for_selector('[data-testid="vipps-sign-in"]')
                assert page.get_by_role("heading").inner_text() == "BankID is unavailable"
                page.get_by_test_id("vipps-sign-in").click()
                page.wait_for_selector('[data-persona="adult-67"]')
                assert page.url.startswith(f"{mock.base_url}/access-management-1.0/access/oauth2/auth?")
                page.locator('[data-persona="adult-67"]').click()
                page.wait_for_url(bff.base_url + "/dashboard")
                assert page.get_by_test_id("auth-provider").inner_text() == "Vipps"
            finally:
                chromium.close()
    finally:
        requests.delete(f"{mock.base_url}/_mock/scenario", timeout=10)
        requests.delete(f"{mock.base_url}/_mock/next-login", timeout=10)

    # and the drill in Chromium: the plain Vipps cases click through Vipps's login page
    code, report, output = drill(mock, bff, "--browser", "--cases", "adult-vipps,vipps-only,under-18-vipps")
    assert code == 0 and report["mode"] == "browser", output[-4000:]
    assert {c["name"]: c["seen"] for c in report["cases"]} == {
        "adult-vipps": "signed-in", "vipps-only": "signed-in", "under-18-vipps": "refused"}
    minor = next(c for c in report["cases"] if c["name"] == "under-18-vipps")
    assert "/api/auth/vipps/callback" in minor["trace"]["final"]["url"]  # the BFF said no (not the login page)
