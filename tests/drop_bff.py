"""Start the ADR-007 example BFF (``examples/drop-bff``, built by scripts/setup-test) with ``next start``.

It runs in mock mode against a given mock-bankid with the mock defaults (client ``drop-web``,
whose callback matches ``http://localhost`` on any port, so the BFF runs as ``localhost:<free
port>``), with its own SQLite file, a short BankID timeout (so the ``slow`` case costs 2 s,
not 5) and optionally one deliberate defect (``DROP_BFF_DEFECT``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from conftest import LiveServer, free_port, start_server

from mock_bankid.core.settings import PROJECT_ROOT
from mock_bankid.drill.catalogue import POLICY, Case, Policy, load_catalogue

CATALOGUE = load_catalogue(PROJECT_ROOT / "fixtures" / "drills.toml")
BANKID_CASES = [c for c in CATALOGUE if "vipps" not in c.providers]
"""What a drill without --start-vipps runs (the mobile path, a BankID-only relying party)."""
VIPPS_CASES = [c for c in CATALOGUE if "vipps" in c.providers]

BFF_DIR = PROJECT_ROOT / "examples" / "drop-bff"
NEXT_BIN = BFF_DIR / "node_modules" / "next" / "dist" / "bin" / "next"
NODE = shutil.which("node")
BUILT = (BFF_DIR / ".next" / "BUILD_ID").is_file() and NEXT_BIN.is_file()
NOT_BUILT = "examples/drop-bff is not built: run ./scripts/setup-test (npm ci + next build)"
APP_REDIRECT = "drop://auth/done"
"""The Drop app's deep link, which the BFF allows by default (examples/drop-bff/lib/mobile.ts)."""

DEFECTS: dict[str, set[str]] = {
    "skip-nonce": {"trap-nonce", "trap-nonce-missing", "scenario-trap-nonce"},
    "skip-signature": {"trap-unknown-kid", "trap-bad-signature", "trap-alg-none", "trap-hs256"},
    "skip-state": {"state-mismatch", "state-missing", "scenario-state-mismatch"},
    "no-backoff": {"rate-limit"},
    "skip-permission-digest": {"trap-permission-digest"},
    # Every case where BankID itself fails or says no, at the callback or the token endpoint (the
    # replay's second code redemption is an invalid_grant); not the refusals the BFF decides itself.
    "crash-on-error": {"cancel", "bankid-error", "server-error", "temporarily-unavailable", "session-timeout-redirect",
                       "outage", "slow", "drop-connection", "invalid-client", "callback-replay", "scenario-cancel",
                       "scenario-bankid-error", "scenario-invalid-client", "payment-refused"},
}
"""The cases each of the BFF's deliberate defects (lib/defects.ts) must fail, on the web and the mobile
path alike; ``skip-age``'s set depends on today's date (``skip_age_set``)."""

VIPPS_DEFECTS: dict[str, set[str]] = {
    # BankID, then Vipps: the provider's sub differs, so the same person is two users (whoami says so).
    "dedupe-by-sub": {"adult-25-bankid-then-vipps"},
    # BankID is down and the page offers no Vipps: the person never gets to sign in.
    "no-fallback": {"outage-bankid-fallback-vipps"},
}
"""Phase 2's defects, caught over the whole catalogue with --start-vipps and --whoami (the BFF's Vipps
client allowed nin). ``trust-vipps-without-nin`` changes nothing there (Vipps sends the number); it is
caught with the client that gets no nin (``NO_NIN_CAUGHT``)."""

NO_NIN_CLIENT = ("drop-web-vipps-no-nin", "drop-web-vipps-no-nin-secret")
NO_NIN_SCOPE = "openid name phoneNumber birthDate"
"""What a client without Vipps's nin permission asks for (asking for nin too is invalid_scope)."""
NO_NIN_CAUGHT = {"adult-vipps", "vipps-only", "vipps-phone-changed-vipps", "outage-bankid-fallback-vipps",
                 "adult-25-bankid-then-vipps"}
"""With the Vipps client that gets no nin and the policy ``vipps_nin = false`` every Vipps sign-in must
be refused; ``trust-vipps-without-nin`` lets in every adult (under-18-vipps is still refused: its
birth date comes from userinfo)."""


# The headless drill runs where only mock-bankid's runtime dependencies are: the test libraries are
# blocked in the process that runs it (requests above all; the walk is urllib's).
NO_TEST_LIBRARIES = ("import sys\n"
                     "for m in ('requests', 'authlib', 'stdnum', 'hypothesis', 'yaml', 'pytest'):\n"
                     "    sys.modules[m] = None\n"
                     "from mock_bankid.cli import main\nmain(sys.argv[1:])\n")


def run_drill(mock: LiveServer, *args: str, timeout: float = 600) -> tuple[int, dict[str, Any] | None, str]:
    """Run the real ``mock-bankid drill`` against ``mock``; with --json, return the parsed report."""
    blocked = [sys.executable, "-c", NO_TEST_LIBRARIES]
    command = [sys.executable, "-m", "mock_bankid.cli"] if "--browser" in args else blocked
    completed = subprocess.run([*command, "drill", "--url", mock.base_url, *args],
                               capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT)
    report = json.loads(completed.stdout) if "--json" in args and completed.stdout.strip().startswith("{") else None
    return completed.returncode, report, completed.stdout + completed.stderr


def personas(mock: LiveServer) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in requests.get(f"{mock.base_url}/_mock/personas", timeout=10).json()["personas"]}


def skip_age_set(mock: LiveServer, cases: list[Case] = BANKID_CASES) -> set[str]:
    """Every persona case the age gate alone refuses under the default policy: the minors today
    (leap-day too, on 28 Feb of a non-leap year) and the FH-number, whose age cannot be known."""
    people = personas(mock)
    return {c.name for c in cases if c.expect == POLICY
            and Policy().expect_for(people[c.persona], c.final_provider)[0] == "refused"}


@dataclass
class Bff:
    base_url: str
    process: subprocess.Popen
    log_path: Path
    db_path: Path

    @property
    def start_url(self) -> str:
        return f"{self.base_url}/api/auth/bankid"

    def mobile_start_url(self, app_redirect: str = APP_REDIRECT, **extra: str) -> str:
        """Where the mobile app starts its sign-in, in the system browser."""
        return f"{self.start_url}?" + urlencode({"client": "mobile", "app_redirect": app_redirect, **extra})

    @property
    def vipps_start_url(self) -> str:
        return f"{self.base_url}/api/auth/vipps"

    @property
    def whoami_url(self) -> str:
        return f"{self.base_url}/api/me"

    @property
    def exchange_url(self) -> str:
        """Where the app trades the deep link's one-time code for its session token."""
        return f"{self.base_url}/api/auth/mobile/exchange"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_bff(mock: LiveServer, tmp: Path, defect: str = "", timeout: float = 60.0,
              vipps_client: tuple[str, str] | None = None) -> Bff:
    port = free_port()
    base_url = f"http://localhost:{port}"  # drop-web's registered host; bound on 127.0.0.1 below
    env = dict(os.environ)
    env.update({
        "BANKID_MOCK": "true",
        "BANKID_ISSUER": mock.issuer,
        "BANKID_TIMEOUT_MS": "2000",
        "VIPPS_ISSUER": mock.base_url + "/access-management-1.0/access/",
        "DROP_BFF_BASE_URL": base_url,
        "DROP_BFF_DB": str(tmp / f"drop-{port}.sqlite"),
        "DROP_BFF_DEFECT": defect,
        "NEXT_TELEMETRY_DISABLED": "1",
        "NODE_ENV": "production",
    })
    if vipps_client:
        env["VIPPS_CLIENT_ID"], env["VIPPS_CLIENT_SECRET"] = vipps_client
        if vipps_client == NO_NIN_CLIENT:
            env["VIPPS_SCOPE"] = NO_NIN_SCOPE
    log_path = tmp / f"bff-{port}.log"
    with open(log_path, "wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([NODE or "node", str(NEXT_BIN), "start", "-H", "127.0.0.1", "-p", str(port)],
                                   cwd=BFF_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    bff = Bff(base_url, process, log_path, tmp / f"drop-{port}.sqlite")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"next start exited with {process.returncode}:\n{bff.log()}")
        try:
            if requests.get(base_url + "/", timeout=2).status_code == 200:
                return bff
        except requests.RequestException:
            pass
        time.sleep(0.2)
    bff.stop()
    raise RuntimeError(f"the BFF did not answer within {timeout} s:\n{bff.log()}")


PYTESTMARK = [
    pytest.mark.e2e,
    pytest.mark.node,
    pytest.mark.skipif(NODE is None, reason="node is not installed (scripts/setup-test installs nodejs)"),
    pytest.mark.skipif(not BUILT, reason=NOT_BUILT),
]
"""The marks of every test module that runs the BFF (``pytestmark = PYTESTMARK``)."""


def mock_and_bff(name: str) -> tuple[Any, Any]:
    """A module's ``mock`` (a 4-worker mock-bankid) and ``bff`` (the BFF against it) fixtures:
    ``mock, bff = mock_and_bff("vipps")`` at module level."""

    @pytest.fixture(scope="module")
    def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
        server = start_server(tmp_path_factory.mktemp(f"{name}-mock"), workers=4)
        yield server
        server.stop()

    @pytest.fixture(scope="module")
    def bff(mock: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bff]:
        app = start_bff(mock, tmp_path_factory.mktemp(f"{name}-bff"))
        yield app
        app.stop()

    return mock, bff
