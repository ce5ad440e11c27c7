#!/usr/bin/env python3
"""Make the console screenshots in docs/console/ (home, debugger, personas, requests, switchboard).

Starts ``mock-bankid serve`` on a free loopback port with throwaway keys and data, drives Debian's
Chromium with Playwright by clicks (sign in through the debugger as an under-18 persona, look at
the personas and the request log, switch ``outage`` on in the switchboard), and saves PNGs at
1000 px wide (and ``--mobile`` ones at 390 px). Run it from a checkout after ``scripts/setup-test``:

    .venv/bin/python scripts/screenshots.py            # writes docs/console/*.png
    .venv/bin/python scripts/screenshots.py --out /tmp/shots --mobile
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, MOCK_BANKID_BASE_URL=base, MOCK_BANKID_PORT=str(port), MOCK_BANKID_WORKERS="2",
               MOCK_BANKID_KEYS_DIR=str(tmp / "keys"), MOCK_BANKID_DATA_DIR=str(tmp / "data"),
               MOCK_BANKID_FIXTURES_DIR=str(ROOT / "fixtures"), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "mock_bankid.cli", "serve"], env=env, cwd=tmp,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_mock/health", timeout=1):  # noqa: S310 - our own http URL
                return proc, base
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("mock-bankid serve did not start")


def shoot(base: str, out: Path, width: int, suffix: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    made = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})

        page.goto(f"{base}/?ui_locales=en")
        made.append(out / f"home{suffix}.png")
        page.screenshot(path=str(made[-1]))

        page.get_by_role("link", name="Debugger").first.click()
        page.get_by_test_id("debugger-persona").select_option("under-18")
        page.get_by_test_id("debugger-sign-in").click()
        page.get_by_test_id("result").wait_for()
        page.get_by_test_id("result").scroll_into_view_if_needed()
        made.append(out / f"debugger{suffix}.png")
        page.screenshot(path=str(made[-1]))

        page.get_by_role("link", name="Personas").first.click()
        made.append(out / f"personas{suffix}.png")
        page.screenshot(path=str(made[-1]))

        page.get_by_role("link", name="Requests").first.click()
        page.locator("section.sign-in").first.wait_for()
        page.locator("section.sign-in details > summary").first.click()
        made.append(out / f"requests{suffix}.png")
        page.screenshot(path=str(made[-1]))

        page.get_by_role("link", name="Switchboard").first.click()
        page.locator('details[data-scenario="outage"] > summary').click()
        page.get_by_test_id("switch-on-outage").click()
        page.get_by_test_id("active-scenario").wait_for()
        page.evaluate("window.scrollTo(0, 0)")
        made.append(out / f"switchboard{suffix}.png")
        page.screenshot(path=str(made[-1]))
        page.get_by_test_id("scenario-clear").click()
        browser.close()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "console")
    parser.add_argument("--mobile", action="store_true", help="also 390 px wide shots (*-390.png)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start(Path(tmp))
        try:
            made = shoot(base, args.out, 1000, "")
            if args.mobile:
                made += shoot(base, args.out, 390, "-390")
        finally:
            proc.terminate()
            proc.wait(10)
    for path in made:
        print(f"{path} {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
