"""Soak: RSS and disk of a real `mock-bankid serve` (SQLite store) over N sign-ins.

    .venv/bin/python bench/soak.py [--sign-ins 3000] [--workers 4] [--threads 4]

Each sign-in is authorize (login_hint, offline_access: an SSO session and a refresh token too),
the code exchange and one refresh: the state a CI run leaves behind. Every --every sign-ins it
prints the summed RSS of the gunicorn processes and the size of the data directory (database,
-wal and -shm). docs/reliability.md quotes a run.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import secrets
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import start_server  # noqa: E402

REDIRECT = "http://127.0.0.1:5555/callback"


def sign_in(base: str) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    issuer = f"{base}/auth/realms/current"
    with requests.Session() as s:
        r = s.get(f"{issuer}/precheck/auth", allow_redirects=False, timeout=30, params={
            "client_id": "ci", "redirect_uri": REDIRECT, "response_type": "code",
            "scope": "openid profile offline_access", "state": secrets.token_hex(8), "nonce": secrets.token_hex(8),
            "code_challenge": challenge, "code_challenge_method": "S256", "login_hint": "adult"})
        code = parse_qs(urlsplit(r.headers["Location"]).query)["code"][0]
        token = s.post(f"{issuer}/protocol/openid-connect/token", auth=("ci", "ci-secret"), timeout=30, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier})
        token.raise_for_status()
        s.post(f"{issuer}/protocol/openid-connect/token", auth=("ci", "ci-secret"), timeout=30, data={
            "grant_type": "refresh_token", "refresh_token": token.json()["refresh_token"]}).raise_for_status()


def rss_mb(pid: int) -> float:
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    pids = [pid] + [int(p) for p in children]
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sign-ins", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--every", type=int, default=500)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mock-bankid-soak-") as tmp:
        server = start_server(Path(tmp), workers=args.workers)
        data = Path(tmp) / "data"
        try:
            print(f"{'sign-ins':>9} {'RSS MB':>8} {'disk MB':>8} {'s':>6}", flush=True)
            start = time.monotonic()
            done = 0
            print(f"{done:>9} {rss_mb(server.process.pid):>8.1f} {disk_mb(data):>8.2f} {0:>6.0f}", flush=True)
            with ThreadPoolExecutor(args.threads) as pool:
                while done < args.sign_ins:
                    batch = min(args.every, args.sign_ins - done)
                    list(pool.map(lambda _i: sign_in(server.base_url), range(batch)))
                    done += batch
                    print(f"{done:>9} {rss_mb(server.process.pid):>8.1f} {disk_mb(data):>8.2f} "
                          f"{time.monotonic() - start:>6.0f}", flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
