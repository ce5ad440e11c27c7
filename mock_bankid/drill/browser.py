"""``mock-bankid drill --browser``: the same walk in Chromium, through the real login page.

Headless walks queue who signs in; here the drill clicks the persona (and picks the case's
scenario in the login page's QA panel) the way a tester does, so the login page, its cookies and
the browser's own redirect and cookie rules are part of what is rehearsed. Cases whose scenario
needs parameters the panel cannot set still go through the queue.

Playwright is optional (the ``browser`` extra): it is imported only when ``--browser`` is given,
and its absence is one clear line. It drives Debian's ``/usr/bin/chromium`` when present (or
``MOCK_BANKID_DRILL_CHROMIUM``), else a browser installed by ``playwright install``.
"""

from __future__ import annotations

import contextlib
import html
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mock_bankid.drill.follow import Hop, Trace, excerpt_of, redact
from mock_bankid.drill.mockapi import MockAPI

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class BrowserUnavailable(RuntimeError):
    """--browser cannot work here (no Playwright, no Chromium); the message says what to install."""


class BrowserWalker:
    name = "browser"

    def __init__(self, mock: MockAPI, timeout: float) -> None:
        try:
            from playwright.sync_api import Error, sync_playwright
            from playwright.sync_api import TimeoutError as PlaywrightTimeout
        except ImportError:
            raise BrowserUnavailable(
                "--browser needs Playwright: pip install 'mock-bankid[browser]' (it drives /usr/bin/chromium, "
                "or a browser from `playwright install`); without --browser the drill needs nothing more"
            ) from None
        self.mock, self.timeout = mock, timeout
        self._error, self._timeout_error = Error, PlaywrightTimeout
        executable = os.environ.get("MOCK_BANKID_DRILL_CHROMIUM") or (str(CHROMIUM) if CHROMIUM.exists() else None)
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        except Error as exc:
            self._pw.stop()
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BrowserUnavailable(f"cannot start Chromium ({executable or 'Playwright default'}): {first}") from None

    # --- a walk ------------------------------------------------------------------------------
    def _open(self, trace: Trace) -> tuple[Any, Any, dict[str, Any]]:
        context = self._browser.new_context()
        page = context.new_page()
        page.set_default_timeout(self.timeout * 1000)
        last: dict[str, Any] = {}

        def on_response(response: Any) -> None:
            request = response.request
            if request.resource_type == "document" and request.frame == page.main_frame:
                trace.hops.append(Hop(request.method, redact(response.url) or "", response.status,
                                      redact(response.headers.get("location"))))
                last["status"] = response.status

        def on_request(request: Any) -> None:
            if (not trace.authorize_url and request.resource_type == "document"
                    and self.mock.is_authorize(request.url)):
                trace.authorize_url = request.url

        page.on("response", on_response)
        page.on("request", on_request)
        return context, page, last

    def _finish(self, trace: Trace, page: Any, last: dict[str, Any], started: float) -> Trace:
        try:
            page.wait_for_load_state("load")
            trace.final_url = redact(page.url) or ""
            trace.final_status = int(last.get("status") or 0)
            trace.title = html.unescape(page.title() or "").strip()
            trace.excerpt = excerpt_of([page.locator("body").inner_text()])
            trace.login_page = self.mock.is_mock(page.url) and page.locator("[data-persona]").count() > 0
        except self._error:
            pass
        trace.seconds = time.monotonic() - started
        return trace

    def sign_in(self, start: str, pick: tuple[str, str | None] | None,
                before_token: Callable[[str], None] | None) -> Trace:
        trace = Trace()
        started = time.monotonic()
        context, page, last = self._open(trace)
        try:
            try:
                page.goto(start, wait_until="load")
                button = page.locator(f'[data-persona="{pick[0]}"]') if pick else None
                if pick and button is not None and self.mock.is_mock(page.url) and button.count():
                    if not button.is_visible():  # edge and malformed groups start folded: open it, as a tester does
                        button.locator("xpath=ancestor::details[1]/summary").click()
                    if pick[1]:
                        page.get_by_test_id("scenario-select").select_option(pick[1])
                    trace.callback_jar = context.cookies()  # the state before the browser goes back
                    if before_token is not None:
                        before_token(trace.authorize_url or page.url)
                    with page.expect_navigation(wait_until="load"):
                        button.click()
                    self._settle(page)
            except self._timeout_error:
                trace.timed_out = True
                trace.final_url = redact(page.url) or ""
            except self._error as exc:
                trace.failure = f"the browser could not load a page: {str(exc).splitlines()[0]}"
                trace.failure_at_mock = self.mock.is_mock(page.url)
                trace.final_url = redact(page.url) or ""
            return self._finish(trace, page, last, started) if not (trace.timed_out or trace.failure) else trace
        finally:
            trace.seconds = time.monotonic() - started
            context.close()

    def _settle(self, page: Any) -> None:
        """A page that submits itself (form_post) navigates again by script: let it arrive."""
        with contextlib.suppress(self._timeout_error):
            page.wait_for_load_state("networkidle", timeout=min(5000, self.timeout * 1000))

    def deliver(self, callback: dict[str, Any], state: Any) -> Trace:
        """The same callback again, in a browser holding the cookies it had before the first one."""
        trace = Trace()
        started = time.monotonic()
        context, page, last = self._open(trace)
        try:
            if state:
                context.add_cookies(state)
            try:
                if callback.get("method") == "POST":
                    fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(str(v))}">'
                                     for k, v in (callback.get("params") or {}).items())
                    page.set_content(f'<form method="post" action="{html.escape(callback["url"])}">{fields}</form>')
                    with page.expect_navigation(wait_until="load"):
                        page.evaluate("document.forms[0].submit()")
                else:
                    page.goto(callback["url"], wait_until="load")
                self._settle(page)
            except self._timeout_error:
                trace.timed_out = True
                trace.final_url = redact(page.url) or ""
                return trace
            except self._error as exc:
                trace.failure = f"the browser could not load a page: {str(exc).splitlines()[0]}"
                trace.final_url = redact(page.url) or ""
                return trace
            return self._finish(trace, page, last, started)
        finally:
            trace.seconds = time.monotonic() - started
            context.close()

    def close(self) -> None:
        try:
            self._browser.close()
        finally:
            self._pw.stop()
