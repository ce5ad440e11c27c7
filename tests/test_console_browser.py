"""The console in a real Chromium (Playwright, Debian's /usr/bin/chromium) against a real gunicorn server.

Everything is done by clicks, starting from ``/``, as a person who never read the docs would:
switch a scenario on and off, queue a persona, sign in through the debugger (through the login
page too), and read the checks. The server is this module's own (it changes server-wide state).
"""

from __future__ import annotations

import pytest
import requests
from conftest import CHROMIUM, start_server

PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="chromium is not installed (apt-get install -y chromium; scripts/setup-test does)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("console"), workers=2)
    yield server
    server.stop()


@pytest.fixture
def page(chromium, server):
    """A fresh browser (no cookies) on ``/``, in English, with the server's state cleared."""
    for path in ("scenario", "next-login", "clock"):
        requests.delete(f"{server.base_url}/_mock/{path}", timeout=10)
    context = chromium.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{server.base_url}/?ui_locales=en")
    yield page
    context.close()


def nav(page, name: str) -> None:
    page.locator("nav.console-nav").get_by_role("link", name=name, exact=True).click()


def debugger_sign_in(page, persona: str = "", scenario: str = "") -> None:
    nav(page, "Debugger")
    page.get_by_label("Persona", exact=True).select_option(persona)
    if scenario:
        page.get_by_label("Scenario for this sign-in").select_option(scenario)
    page.get_by_test_id("debugger-sign-in").click()


def checks(page) -> dict[str, str]:
    page.get_by_test_id("result").wait_for()
    return dict(page.locator("[data-check]").evaluate_all("els => els.map(e => [e.dataset.check, e.dataset.ok])"))


def switch_on(page, scenario: str) -> None:
    nav(page, "Switchboard")
    page.locator(f'details[data-scenario="{scenario}"] > summary').click()
    page.get_by_test_id(f"switch-on-{scenario}").click()
    assert page.get_by_test_id("active-scenario").inner_text() == scenario


def test_debugger_through_the_login_page_every_check_passes_and_trap_nonce_fails_nonce(page, server):
    debugger_sign_in(page)  # no persona chosen: the browser goes through the login page
    assert "/precheck/auth" in page.url
    assert page.get_by_test_id("client-name").inner_text() == "mock-bankid console (debugger)"
    page.locator('[data-persona="adult"]').click()
    marks = checks(page)
    assert marks and set(marks.values()) == {"pass"}, marks
    assert {"signature", "iss", "aud", "exp", "iat", "nonce", "at_hash", "age"} <= set(marks)
    assert page.get_by_test_id("result-verdict").inner_text().startswith("Every check passed")
    adult = requests.get(f"{server.base_url}/_mock/personas", timeout=10).json()["personas"][0]
    assert adult["id"] == "adult" and adult["nnin"] in page.get_by_test_id("id_token-claims").inner_text()

    debugger_sign_in(page, persona="adult", scenario="trap-nonce")
    marks = checks(page)
    assert {k for k, v in marks.items() if v == "fail"} == {"nonce"}, marks
    verdict = page.get_by_test_id("result-verdict")
    assert verdict.is_visible() and "nonce" in verdict.inner_text()
    assert page.locator('[data-check="nonce"]').is_visible()


def test_the_debugger_shows_a_timeline_and_says_when_it_reused_the_sso_session(page):
    debugger_sign_in(page, persona="adult")
    checks(page)
    timeline = page.get_by_test_id("timeline")
    assert timeline.is_visible()
    steps = page.locator("[data-step]").evaluate_all("els => els.map(e => [e.dataset.step, e.dataset.ok])")
    assert steps == [["authorize", "pass"], ["login", "pass"], ["callback", "pass"], ["discovery", "pass"],
                     ["token", "pass"], ["jwks", "pass"], ["userinfo", "pass"]], steps
    token = page.locator('[data-step="token"]').inner_text()
    assert "200" in token and " ms" in token and "nonce" in token  # status, time, what it checked
    assert page.get_by_test_id("sso-notice").count() == 0

    debugger_sign_in(page)  # nobody chosen: the session of the sign-in above is reused, no login page
    checks(page)
    notice = page.get_by_test_id("sso-notice")
    assert notice.is_visible() and "reused the SSO session" in notice.inner_text()
    assert "login page was not shown" in page.locator('[data-step="login"]').inner_text()
    page.get_by_test_id("fresh-sign-in").click()
    assert "prompt=login" in page.url and page.get_by_test_id("nnin-input").is_visible()  # the login page


def test_with_a_scenario_on_every_console_page_shows_the_bar_and_stays_usable(page, server):
    switch_on(page, "outage")
    for name in ("Home", "Debugger", "Personas", "Requests", "Switchboard"):
        nav(page, name)
        bar = page.get_by_test_id("scenario-bar")
        assert bar.is_visible() and bar.inner_text().startswith("outage is on"), name
    debugger_sign_in(page, persona="adult")  # authorize is down: BankID's error page, with the bar
    assert page.get_by_test_id("error-code").inner_text() == "temporarily_unavailable"
    page.get_by_test_id("scenario-bar-link").click()  # the way back to the console
    assert "/_mock/console/switchboard" in page.url
    page.get_by_test_id("scenario-bar-off").click()
    page.get_by_test_id("active-scenario-none").wait_for()
    assert page.get_by_test_id("scenario-bar").count() == 0
    assert requests.get(f"{server.base_url}/_mock/scenario", timeout=10).json() == {"active": None}


EVERYWHERE = {"endpoints": ["discovery", "jwks", "authorize", "token", "userinfo"]}


@pytest.mark.parametrize("scenario,params", [
    ("outage", {}), ("rate-limit", {"limit": 1, **EVERYWHERE}), ("slow", {"seconds": 3, **EVERYWHERE}),
    ("drop-connection", EVERYWHERE), ("server-error", {}), ("temporarily-unavailable", {}), ("trap-alg-none", {}),
])
def test_every_console_page_answers_during_a_scenario_on_a_phone(chromium, server, scenario, params):
    body = {"scenario": scenario, "params": params, "for_seconds": 60}
    assert requests.put(f"{server.base_url}/_mock/scenario", json=body, timeout=10).status_code == 200
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        for path in ("/", "/_mock/console/debugger", "/_mock/console/switchboard", "/_mock/console/personas",
                     "/_mock/console/personas/adult", "/_mock/console/requests"):
            response = page.goto(f"{server.base_url}{path}?ui_locales=en")
            assert response.status == 200, (scenario, path, response.status)
            assert page.get_by_test_id("scenario-bar-name").inner_text() == scenario
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (scenario, path, width)
    finally:
        context.close()
        requests.delete(f"{server.base_url}/_mock/scenario", timeout=10)


def test_an_under_18_through_the_debugger_shows_the_age_check(page):
    debugger_sign_in(page, persona="under-18")
    assert checks(page)["age"] == "pass"
    age = page.locator('[data-check="age"]').inner_text()
    assert "17 years" in age and "UNDER 18" in age


def test_outage_switched_on_by_clicks_stops_the_next_sign_in_and_off_again(page, server):
    switch_on(page, "outage")
    assert requests.get(f"{server.base_url}/_mock/scenario", timeout=10).json()["active"]["scenario"] == "outage"
    debugger_sign_in(page, persona="adult")
    assert "/precheck/auth" in page.url and "unavailable" in page.content()  # BankID's error page, 503

    page.goto(f"{server.base_url}/")
    nav(page, "Switchboard")
    page.get_by_test_id("scenario-clear").click()
    page.get_by_test_id("active-scenario-none").wait_for()
    assert requests.get(f"{server.base_url}/_mock/scenario", timeout=10).json() == {"active": None}
    debugger_sign_in(page, persona="adult")
    assert set(checks(page).values()) == {"pass"}


def test_a_server_wide_trap_switched_on_by_clicks_fails_its_check(page):
    switch_on(page, "trap-wrong-aud")
    debugger_sign_in(page, persona="adult")
    assert {k for k, v in checks(page).items() if v == "fail"} == {"aud"}


def test_queueing_a_persona_makes_the_next_sign_in_that_person(page, server):
    nav(page, "Personas")
    page.get_by_test_id("persona-search").fill("turns 18 today")
    page.get_by_test_id("persona-search").press("Enter")
    card = page.locator('li[data-persona="turns-18-today"]')
    number = card.get_by_test_id("number").inner_text()
    card.get_by_test_id("queue-turns-18-today").click()
    assert page.get_by_test_id("ok-message").is_visible()
    queue = requests.get(f"{server.base_url}/_mock/next-login", timeout=10).json()["queue"]
    assert queue[0]["selector"] == "turns-18-today"

    debugger_sign_in(page)  # no persona chosen, yet nobody is asked: the queue decides
    assert "/precheck/auth" not in page.url
    assert checks(page)["age"] == "pass"
    assert number in page.get_by_test_id("id_token-claims").inner_text()
    assert "18 years" in page.locator('[data-check="age"]').inner_text()


def test_no_page_scrolls_sideways_at_390_px(chromium, server):
    requests.delete(f"{server.base_url}/_mock/scenario", timeout=10)
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    wide = {}

    def measure(name: str) -> None:
        width = page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
        if width > PHONE["width"]:
            wide[name] = width

    try:
        for locale in ("nb", "en"):
            page.goto(f"{server.base_url}/?ui_locales={locale}")
            measure(f"home {locale}")
            page.goto(f"{server.base_url}/_mock/console/switchboard")
            for summary in page.locator("details.scenario > summary").all()[:4]:
                summary.click()
            measure(f"switchboard {locale}")
            page.goto(f"{server.base_url}/_mock/console/personas")
            measure(f"personas {locale}")
            card = page.locator('[data-persona="vipps-only"] [data-testid="providers"]')
            assert card.inner_text() == "Vipps" and card.locator(".badge").is_visible()  # no BankID badge
            page.goto(f"{server.base_url}/_mock/console/personas/vipps-phone-changed")
            assert page.get_by_test_id("providers").inner_text().split() == ["BankID", "Vipps"]
            measure(f"persona {locale}")
            page.goto(f"{server.base_url}/_mock/console/debugger")
            measure(f"debugger form {locale}")
            page.get_by_label("prompt").select_option("login")  # past the SSO session of the first round
            page.get_by_test_id("debugger-sign-in").click()  # through the login page, with its QA select
            page.get_by_test_id("scenario-select").wait_for()
            measure(f"login page {locale}")
            page.locator('[data-persona="adult"]').click()
            page.get_by_test_id("result").wait_for()
            for raw in page.locator("details[data-testid$='-raw'] > summary").all():
                raw.click()
            measure(f"debugger result {locale}")
            page.goto(f"{server.base_url}/_mock/console/requests")
            for summary in page.locator("ol.requests details > summary").all()[:3]:
                summary.click()
            measure(f"requests {locale}")
        assert not wide, f"pages wider than {PHONE['width']} px: {wide}"
    finally:
        context.close()


def test_the_request_log_refreshes_by_itself(page, server):
    nav(page, "Requests")
    page.locator("#live").wait_for(state="visible")
    requests.get(f"{server.base_url}/auth/realms/current/.well-known/openid-configuration", timeout=10)
    page.locator("#request-log").get_by_text("/.well-known/openid-configuration").first.wait_for(timeout=6_000)
