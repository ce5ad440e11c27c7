"""Store operations per request, counted: what each endpoint asks of the shared store.

    python bench/store_calls.py            # SQLite (what `serve` uses), a table per request
    python bench/store_calls.py --json     # the same as JSON (bench/run.py records it)

Load-independent, unlike any timing on a shared machine: it drives one app through the Flask test
client (discovery, JWKS, a full sign-in: authorize + token, userinfo) and counts every call on its
store by operation and namespace. Writes (put/take/add/delete/push/pop/incr/trim/clear) are what
takes SQLite's one write lock, shared by every worker; reads run beside each other (WAL).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import secrets
import sys
import tempfile
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from mock_bankid.app import create_app  # noqa: E402
from mock_bankid.core.settings import Settings  # noqa: E402
from mock_bankid.oidc.provider import EXTENSION_KEY  # noqa: E402

OPS = ("put", "get", "take", "add", "delete", "push", "pop", "trim", "incr", "items", "clear")
WRITES = frozenset({"put", "take", "add", "delete", "push", "pop", "trim", "incr", "clear"})
ISSUER = "/auth/realms/current"
REDIRECT = "http://127.0.0.1:5555/callback"


def counted(store, counts: Counter) -> None:
    """Wrap the store's public operations on this instance so every call is counted."""
    for op in OPS:
        original = getattr(store, op)

        def wrapper(*args, _op=op, _original=original, **kwargs):
            ns = args[0] if args else kwargs.get("ns", "?")
            counts[(_op, ns)] += 1
            return _original(*args, **kwargs)

        setattr(store, op, wrapper)


def measure(store: str = "sqlite", requests_per_kind: int = 20) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-calls-") as tmp:
        settings = Settings(base_url="http://127.0.0.1:8080", keys_dir=Path(tmp) / "keys", data_dir=Path(tmp) / "data",
                            store=store, log_requests=False)
        app = create_app(settings)
        client = app.test_client(use_cookies=False)  # as the bench driver: a fresh browser per sign-in
        counts: Counter = Counter()
        counted(app.extensions[EXTENSION_KEY].store, counts)
        basic = "Basic " + base64.b64encode(b"ci:ci-secret").decode()

        def authorize() -> tuple[str, str]:
            verifier = secrets.token_urlsafe(48)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            q = {"client_id": "ci", "redirect_uri": REDIRECT, "response_type": "code",
                 "scope": "openid profile nnin_altsub", "state": "s", "nonce": "n", "code_challenge": challenge,
                 "code_challenge_method": "S256", "login_hint": "adult"}
            r = client.get(f"{ISSUER}/precheck/auth?" + urlencode(q))
            assert r.status_code == 302, r.status_code
            return parse_qs(urlsplit(r.headers["Location"]).query)["code"][0], verifier

        def token(code: str, verifier: str) -> dict:
            r = client.post(f"{ISSUER}/protocol/openid-connect/token", headers={"Authorization": basic},
                            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                  "code_verifier": verifier})
            assert r.status_code == 200, r.get_json()
            return r.get_json()

        kinds = {
            "discovery": lambda: client.get(f"{ISSUER}/.well-known/openid-configuration"),
            "jwks": lambda: client.get(f"{ISSUER}/protocol/openid-connect/certs"),
        }
        result: dict = {}
        client.get(f"{ISSUER}/.well-known/openid-configuration")  # first request: once-per-start work
        for name, call in kinds.items():
            counts.clear()
            for _ in range(requests_per_kind):
                assert call().status_code == 200
            result[name] = summarize(counts, requests_per_kind)
        pairs = []
        counts.clear()
        for _ in range(requests_per_kind):
            pairs.append(authorize())
        result["authorize"] = summarize(counts, requests_per_kind)
        counts.clear()
        bodies = [token(code, verifier) for code, verifier in pairs]
        result["token"] = summarize(counts, requests_per_kind)
        counts.clear()
        for body in bodies:
            bearer = {"Authorization": f"Bearer {body['access_token']}"}
            assert client.get("/userinfo", headers=bearer).status_code == 200
        result["userinfo"] = summarize(counts, requests_per_kind)
        sign_in = Counter()
        for part in ("authorize", "token"):
            sign_in.update({k: v for k, v in result[part]["by_op"].items()})
        result["sign_in"] = {"total": round(result["authorize"]["total"] + result["token"]["total"], 2),
                             "writes": round(result["authorize"]["writes"] + result["token"]["writes"], 2),
                             "by_op": dict(sign_in)}
        return result


def summarize(counts: Counter, n: int) -> dict:
    by_op = {f"{op} {ns}": round(c / n, 2) for (op, ns), c in sorted(counts.items())}
    total = sum(counts.values()) / n
    writes = sum(c for (op, _ns), c in counts.items() if op in WRITES) / n
    return {"total": round(total, 2), "writes": round(writes, 2), "by_op": by_op}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", default="sqlite", help="sqlite (default) or memory")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = measure(args.store)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for kind, r in result.items():
        print(f"{kind}: {r['total']:g} store operations per request ({r['writes']:g} writes)")
        for op, n in r["by_op"].items():
            print(f"    {n:5g}  {op}")


if __name__ == "__main__":
    main()
