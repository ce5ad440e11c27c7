"""The login page in a real headless Chromium (Playwright driving Debian's ``/usr/bin/chromium``).

The relying party's redirect URI is a tiny real HTTP server on a free loopback port (``ci`` is
registered for ``http://127.0.0.1/callback``, any port, RFC 8252). It records method, URL and body
of every request, so what is asserted is exactly what the browser delivered. (Playwright's
``page.route`` is not used for it: it does not see the follow-up of a redirect.)
"""

from __future__ import annotations

import secrets
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from conftest import CHROMIUM, pkce_pair
from rp import Discovered, HttpRP, authorize_params

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="chromium is not installed (apt-get install -y chromium; scripts/setup-test does)"),
]


class CallbackServer(ThreadingHTTPServer):
    """The relying party's redirect URI: answers every request with a tiny page and records it."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), CallbackHandler)
        self.seen: list[Callback] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/callback"


class CallbackHandler(BaseHTTPRequestHandler):
    server: CallbackServer

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else None
        self.server.seen.append(Callback(self.command, f"{self.server.url.rsplit('/', 1)[0]}{self.path}", body))
        page = b"<!doctype html><title>callback</title><p>ok</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    do_GET = do_POST = _record

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def callback_server() -> Iterator[CallbackServer]:
    server = CallbackServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def disc(live_server) -> Discovered:
    return Discovered.fetch(live_server.discovery_url)


@dataclass
class Callback:
    method: str
    url: str
    body: str | None

    @property
    def params(self) -> dict[str, str]:
        raw = self.body if self.method == "POST" else (urlsplit(self.url).query or urlsplit(self.url).fragment)
        return {k: v[0] for k, v in parse_qs(raw or "").items()}


@dataclass
class Login:
    """One browser (fresh context: no SSO cookie) on the login page of one authorization request."""

    page: object
    server: CallbackServer
    state: str
    nonce: str
    verifier: str
    console: list[str] = field(default_factory=list)

    @property
    def callback_url(self) -> str:
        return self.server.url

    def wait_for_callback(self) -> Callback:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_url(self.callback_url + "**", timeout=5_000)
        except PlaywrightTimeout:
            raise AssertionError(f"the browser never reached the redirect URI; console: {self.console}") from None
        mine = [c for c in self.server.seen if c.params.get("state") == self.state]
        assert mine, "the browser reached the callback URL without the relying party seeing this state"
        return mine[-1]


@pytest.fixture
def login(chromium, live_server, callback_server):
    contexts = []

    def open_login(client_id: str = "ci", **extra: str) -> Login:
        requests.delete(f"{live_server.base_url}/_mock/next-login", timeout=10)
        context = chromium.new_context()
        contexts.append(context)
        page = context.new_page()
        verifier, challenge = pkce_pair()
        flow = Login(page, callback_server, secrets.token_urlsafe(12), secrets.token_urlsafe(12), verifier)
        page.on("console", lambda msg: flow.console.append(msg.text))
        query = authorize_params(client_id=client_id, redirect_uri=callback_server.url,
                                 scope="openid profile nnin_altsub", state=flow.state, nonce=flow.nonce,
                                 code_challenge=challenge, login_hint=None, **extra)
        response = page.goto(f"{live_server.issuer}/precheck/auth?{urlencode(query)}")
        assert response is not None and response.status == 200
        return flow

    yield open_login
    for context in contexts:
        context.close()


def redeem(disc: Discovered, flow: Login, code: str) -> dict:
    """The relying party behind the redirect URI: redeem the browser's code, verify the ID token."""
    rp = HttpRP(disc.config["issuer"])
    response = rp.redeem(code, flow.verifier, redirect_uri=flow.callback_url)
    assert response.status_code == 200, response.text
    return rp.verify(response.json(), nonce=flow.nonce, jwks=disc.jwks)


def personas(live_server) -> dict[str, dict]:
    return {p["id"]: p for p in requests.get(f"{live_server.base_url}/_mock/personas", timeout=10).json()["personas"]}


def test_login_page_shows_the_mock_banner_and_persona_groups(login, live_server, tmp_path):
    flow = login()
    page = flow.page
    assert "MOCK" in page.title()
    banner = page.get_by_test_id("mock-banner")
    assert banner.is_visible() and "MOCK" in banner.inner_text()
    headings = page.locator("h2").all_inner_texts()
    for group in ("Voksne", "Under 18", "Spesialtilfeller", "Ugyldige fødselsnummer"):
        assert group in headings, headings
    shown = set(page.locator("button.persona").evaluate_all("els => els.map(e => e.dataset.persona)"))
    with_bankid = {pid for pid, p in personas(live_server).items() if "bankid" in p["providers"]}
    assert shown == with_bankid, "every persona with a BankID is on the page, and nothing else"
    assert page.get_by_test_id("client-name").inner_text() == "CI test client"

    shot = tmp_path / "login.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # IHDR
    assert width >= 800 and height >= 600 and len(data) > 10_000


def test_clicking_a_persona_lands_on_the_redirect_uri_with_a_redeemable_code(login, disc, live_server):
    flow = login()
    flow.page.locator('[data-persona="adult"]').click()
    callback = flow.wait_for_callback()
    assert callback.method == "GET", flow.console
    got = callback.params
    assert got["state"] == flow.state and got["iss"] == disc.config["issuer"] and got["code"]
    claims = redeem(disc, flow, got["code"])
    assert claims["pid"] == personas(live_server)["adult"]["nnin"]


def test_cancel_lands_with_access_denied(login):
    flow = login()
    flow.page.get_by_test_id("cancel").click()
    got = flow.wait_for_callback().params
    assert got["error"] == "access_denied" and got["state"] == flow.state
    assert "error_description" not in got and "code" not in got  # BankID's documented cancel shape


def test_any_number_even_malformed_signs_in_and_the_token_carries_it(login, disc):
    flow = login()
    flow.page.get_by_test_id("nnin-input").fill("1234567890X")
    flow.page.get_by_test_id("nnin-submit").click()
    got = flow.wait_for_callback().params
    claims = redeem(disc, flow, got["code"])
    assert claims["pid"] == "1234567890X" and claims["nnin_altsub"] == "1234567890X"


def test_form_post_auto_submits_in_the_browser(login, disc):
    flow = login(response_mode="form_post")
    flow.page.locator('[data-persona="adult-25"]').click()
    callback = flow.wait_for_callback()
    assert callback.method == "POST"
    got = callback.params
    assert got["state"] == flow.state and got["iss"] == disc.config["issuer"]
    assert redeem(disc, flow, got["code"])["aud"] == "ci"


def test_fragment_mode_puts_the_code_in_the_fragment(login, disc):
    flow = login(response_mode="fragment")
    flow.page.locator('[data-persona="adult"]').click()
    flow.page.wait_for_url(flow.callback_url + "#**", timeout=5_000)
    got = {k: v[0] for k, v in parse_qs(urlsplit(flow.page.url).fragment).items()}
    assert got["state"] == flow.state
    assert redeem(disc, flow, got["code"])["aud"] == "ci"


def test_ui_locales_en_shows_english(login):
    flow = login(ui_locales="en")
    page = flow.page
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Sign in with BankID (mock)"
    assert "Adults" in page.locator("h2").all_inner_texts()
    assert page.get_by_test_id("cancel").inner_text() == "Cancel"


def test_sso_session_signs_in_again_without_the_page(login, disc, chromium, live_server):
    """After one sign-in the same browser goes straight back with a code (BankID's session)."""
    flow = login()
    flow.page.locator('[data-persona="adult"]').click()
    flow.wait_for_callback()
    query = authorize_params(redirect_uri=flow.callback_url, scope="openid", state="again", nonce="n2", login_hint=None)
    flow.page.goto(f"{live_server.issuer}/precheck/auth?{urlencode(query)}")
    flow.page.wait_for_url(flow.callback_url + "?**", timeout=5_000)
    again = [c for c in flow.server.seen if c.params.get("state") == "again"]
    assert len(again) == 1 and again[0].params["code"]
