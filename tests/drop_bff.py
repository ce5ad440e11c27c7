"""Start the ADR-007 example BFF (``examples/drop-bff``, built by scripts/setup-test) with ``next start``.

It runs in mock mode against a given mock-bankid with the mock defaults (client ``drop-web``,
whose callback matches ``http://localhost`` on any port, so the BFF runs as ``localhost:<free
port>``), with its own SQLite file, a short BankID timeout (so the ``slow`` case costs 2 s,
not 5) and optionally one deliberate defect (``DROP_BFF_DEFECT``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from conftest import LiveServer, free_port

from mock_bankid.core.settings import PROJECT_ROOT

BFF_DIR = PROJECT_ROOT / "examples" / "drop-bff"
NEXT_BIN = BFF_DIR / "node_modules" / "next" / "dist" / "bin" / "next"
NODE = shutil.which("node")
BUILT = (BFF_DIR / ".next" / "BUILD_ID").is_file() and NEXT_BIN.is_file()
NOT_BUILT = "examples/drop-bff is not built: run ./scripts/setup-test (npm ci + next build)"


@dataclass
class Bff:
    base_url: str
    process: subprocess.Popen
    log_path: Path
    db_path: Path

    @property
    def start_url(self) -> str:
        return f"{self.base_url}/api/auth/bankid"

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


def start_bff(mock: LiveServer, tmp: Path, defect: str = "", timeout: float = 60.0) -> Bff:
    port = free_port()
    base_url = f"http://localhost:{port}"  # drop-web's registered host; bound on 127.0.0.1 below
    env = dict(os.environ)
    env.update({
        "BANKID_MOCK": "true",
        "BANKID_ISSUER": mock.issuer,
        "BANKID_TIMEOUT_MS": "2000",
        "DROP_BFF_BASE_URL": base_url,
        "DROP_BFF_DB": str(tmp / f"drop-{port}.sqlite"),
        "DROP_BFF_DEFECT": defect,
        "NEXT_TELEMETRY_DISABLED": "1",
        "NODE_ENV": "production",
    })
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
