"""What realms cost: memory and store size after N realms were each made and used for a sign-in.

    python bench/realms.py                  # 1,000 realms, SQLite and memory stores, a table
    python bench/realms.py --realms 200 --json

Each realm does what a parallel test worker does with its own: queue a persona, sign in (authorize
+ token), read its request log. In process (the Flask test client), so what is measured is the app
and the store, not a driver. Reported per store: the Python heap the realms left behind
(tracemalloc, after a GC), the process's RSS growth, the realm objects one worker keeps (bounded by
``MAX_CACHED_REALMS``), and the store's size (SQLite file, or entries in memory). Never asserted in
a test; the figures are in bench/README.md.
"""

from __future__ import annotations

import argparse
import base64
import gc
import hashlib
import json
import resource
import secrets
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from mock_bankid.app import create_app  # noqa: E402
from mock_bankid.core.settings import Settings  # noqa: E402
from mock_bankid.oidc.provider import EXTENSION_KEY, MAX_CACHED_REALMS  # noqa: E402

REDIRECT = "http://127.0.0.1:5555/callback"


def rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def use_realm(client, name: str) -> None:
    """Queue a persona in realm ``name``, sign in, read its log: a test worker's round."""
    assert client.post(f"/_mock/next-login?realm={name}", json={"persona": "adult"}).status_code == 201
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    answer = client.get(f"/auth/realms/{name}/precheck/auth", query_string={
        "client_id": "ci", "redirect_uri": REDIRECT, "response_type": "code", "scope": "openid",
        "state": "s" * 8, "nonce": "n", "code_challenge": challenge, "code_challenge_method": "S256"})
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = client.post(f"/auth/realms/{name}/protocol/openid-connect/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier,
    }, headers={"Authorization": "Basic " + base64.b64encode(b"ci:ci-secret").decode()})
    assert token.status_code == 200, token.get_data(as_text=True)
    assert client.get(f"/_mock/requests?realm={name}").status_code == 200


def measure(store: str, realms: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(base_url="http://localhost:8080", keys_dir=Path(tmp) / "keys",
                            data_dir=Path(tmp) / "data", store=store, log_requests=False)
        app = create_app(settings)
        client = app.test_client()
        use_realm(client, "warm-up")  # imports, first-request work: not the realms' cost
        gc.collect()
        tracemalloc.start()
        heap_before, rss_before = tracemalloc.get_traced_memory()[0], rss_kib()
        started = time.perf_counter()
        for i in range(realms):
            use_realm(client, f"r-{i}")
        elapsed = time.perf_counter() - started
        gc.collect()
        heap_after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        home = app.extensions[EXTENSION_KEY]
        db = Path(tmp) / "data" / "mock-bankid.sqlite3"
        return {
            "store": store, "realms": realms, "seconds": round(elapsed, 2),
            "ms_per_realm": round(elapsed / realms * 1000, 2),
            "heap_growth_kib": round((heap_after - heap_before) / 1024),
            "heap_per_realm_bytes": round((heap_after - heap_before) / realms),
            "rss_growth_kib": rss_kib() - rss_before,
            "realm_objects_kept": len(home.realms._cache), "max_kept": MAX_CACHED_REALMS,
            "realms_listed": len(home.realms.in_use()) - 1,
            "sqlite_kib": round(db.stat().st_size / 1024) if db.exists() else None,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--realms", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [measure(store, args.realms) for store in ("sqlite", "memory")]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'store':8} {'realms':>6} {'ms/realm':>9} {'heap KiB':>9} {'B/realm':>8} {'RSS KiB':>8} "
          f"{'kept':>5} {'listed':>6} {'sqlite KiB':>10}")
    for r in rows:
        print(f"{r['store']:8} {r['realms']:>6} {r['ms_per_realm']:>9} {r['heap_growth_kib']:>9} "
              f"{r['heap_per_realm_bytes']:>8} {r['rss_growth_kib']:>8} {r['realm_objects_kept']:>5} "
              f"{r['realms_listed']:>6} {r['sqlite_kib'] or '-':>10}")


if __name__ == "__main__":
    main()
