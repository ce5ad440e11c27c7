"""Serving for real: several gunicorn workers (and several servers) share one store and one key set.

Every test here drives a real ``mock-bankid serve`` (``conftest.start_server``) over HTTP. The race
tests use a barrier so all requests leave together; the counts asserted (exactly one winner per
code or refresh token) are the guarantee, not timings.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from conftest import CI_REDIRECT, LiveServer, free_port, pkce_pair, query_of, start_server
from redis_server import SKIP_REASON, redis_server_available, start_redis

pytestmark = pytest.mark.e2e

WORKERS = 4
CODES = 50
RACERS_PER_CODE = 4  # 200 threads in all
NODE_DIR = Path(__file__).parent / "node"


# --- helpers ---------------------------------------------------------------------------------
def discovery(server: LiveServer) -> dict[str, Any]:
    r = requests.get(server.discovery_url, timeout=10, verify=server.verify)
    r.raise_for_status()
    return r.json()


def authorize(server: LiveServer, *, session: requests.Session | None = None, login_hint: str | None = "adult",
              prompt: str | None = None, scope: str = "openid profile nnin_altsub") -> tuple[str, str]:
    """Sign in headlessly (``login_hint`` or an SSO cookie); return (code, PKCE verifier)."""
    verifier, challenge = pkce_pair()
    params = {"client_id": "ci", "redirect_uri": CI_REDIRECT, "response_type": "code", "scope": scope,
              "state": "st", "nonce": "nn", "code_challenge": challenge, "code_challenge_method": "S256"}
    if login_hint:
        params["login_hint"] = login_hint
    if prompt:
        params["prompt"] = prompt
    r = (session or requests).get(f"{server.issuer}/precheck/auth", params=params, allow_redirects=False,
                                  timeout=10, verify=server.verify)
    assert r.status_code in (302, 303), f"{r.status_code}: {r.text[:300]}"
    reply = query_of(r.headers["Location"])
    assert "code" in reply, reply
    return reply["code"], verifier


def token_url(server: LiveServer) -> str:
    return f"{server.issuer}/protocol/openid-connect/token"


def redeem(server: LiveServer, code: str, verifier: str) -> requests.Response:
    return requests.post(token_url(server), auth=("ci", "ci-secret"), timeout=30, verify=server.verify, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CI_REDIRECT, "code_verifier": verifier})


def refresh(server: LiveServer, refresh_token: str) -> requests.Response:
    return requests.post(token_url(server), auth=("ci", "ci-secret"), timeout=30, verify=server.verify,
                         data={"grant_type": "refresh_token", "refresh_token": refresh_token})


def jwks(server: LiveServer) -> dict[str, Any]:
    return requests.get(discovery(server)["jwks_uri"], timeout=10, verify=server.verify).json()


def verify_id_token(server: LiveServer, id_token: str, published: dict[str, Any] | None = None,
                    nonce: str | None = "nn") -> dict[str, Any]:
    """Signature against the published JWKS, then iss, aud, exp and (unless None) nonce."""
    claims = jwt.decode(id_token, KeySet.import_key_set(published or jwks(server))).claims
    assert claims["iss"] == server.issuer and claims["aud"] == "ci"
    assert claims["exp"] > time.time()
    if nonce is not None:
        assert claims["nonce"] == nonce
    return claims


def race(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Run every call on its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], requests.Response]) -> requests.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def outcome(r: requests.Response) -> str:
    return "ok" if r.status_code == 200 else r.json().get("error", f"http {r.status_code}")


def refresh_supported(server: LiveServer) -> bool:
    return "refresh_token" in discovery(server)["grant_types_supported"]


REFRESH_SKIP = ("the token endpoint does not offer grant_type=refresh_token yet (issue 4 adds it); "
                "this test runs once discovery lists it in grant_types_supported")


def get_refresh_token(server: LiveServer, session: requests.Session | None = None) -> str:
    code, verifier = authorize(server, session=session, scope="openid profile nnin_altsub offline_access")
    body = redeem(server, code, verifier).json()
    assert body.get("refresh_token"), f"no refresh_token for scope offline_access: {sorted(body)}"
    return body["refresh_token"]


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's child processes, from /proc (no psutil needed)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(entry.name))
    return pids


def wait_for_workers(server: LiveServer, count: int, timeout: float = 20) -> list[int]:
    """Health answers once one worker is up; wait for the rest (or a replacement) to fork."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = worker_pids(server.process.pid)
        if len(pids) == count:
            return pids
        time.sleep(0.05)
    raise AssertionError(f"expected {count} workers, found {worker_pids(server.process.pid)}:\n{server.log()}")


# --- servers ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def redis_base() -> Iterator[str]:
    if not redis_server_available():
        pytest.skip(SKIP_REASON)
    with start_redis() as url:
        yield url


def _store_env(kind: str, request: pytest.FixtureRequest, prefix: str) -> dict[str, str]:
    if kind == "sqlite":
        return {"MOCK_BANKID_STORE": "sqlite"}
    return {"MOCK_BANKID_STORE": f"{request.getfixturevalue('redis_base')}?prefix={prefix}"}


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One 4-worker server per store backend, shared by the race tests of this module."""
    env = _store_env(request.param, request, prefix=f"race-{os.getpid()}")
    live = start_server(tmp_path_factory.mktemp(f"serve-{request.param}"), workers=WORKERS, env=env)
    wait_for_workers(live, WORKERS)
    yield live
    live.stop()


# --- races -----------------------------------------------------------------------------------
def test_concurrent_redemptions_succeed_exactly_once_per_code(server: LiveServer) -> None:
    codes = [authorize(server) for _ in range(CODES)]
    calls = [lambda c=c, v=v: redeem(server, c, v) for c, v in codes for _ in range(RACERS_PER_CODE)]
    results = race(calls)

    by_code: dict[str, list[str]] = {}
    for (code, _), r in zip([cv for cv in codes for _ in range(RACERS_PER_CODE)], results):
        by_code.setdefault(code, []).append(outcome(r))
    assert sum(o == "ok" for o in map(outcome, results)) == CODES
    assert sum(o == "invalid_grant" for o in map(outcome, results)) == CODES * (RACERS_PER_CODE - 1)
    assert all(outcomes.count("ok") == 1 for outcomes in by_code.values())
    published = jwks(server)
    winners = [r for r in results if r.status_code == 200]
    for r in winners[:5]:
        verify_id_token(server, r.json()["id_token"], published)


def test_refresh_rotation_race_has_one_winner_per_token(server: LiveServer) -> None:
    if not refresh_supported(server):
        pytest.skip(REFRESH_SKIP)
    tokens = [get_refresh_token(server) for _ in range(10)]
    results = race([lambda t=t: refresh(server, t) for t in tokens for _ in range(RACERS_PER_CODE)])
    outcomes = [outcome(r) for r in results]
    for i in range(len(tokens)):
        mine = outcomes[i * RACERS_PER_CODE:(i + 1) * RACERS_PER_CODE]
        assert mine.count("ok") == 1, mine
        assert mine.count("invalid_grant") == RACERS_PER_CODE - 1, mine
    for r in results:
        if r.status_code == 200:
            assert r.json()["refresh_token"] not in tokens  # rotated


def test_a_killed_worker_loses_nothing_already_issued(server: LiveServer) -> None:
    before = [authorize(server) for _ in range(20)]
    issued_during: list[tuple[str, str]] = []
    stop = threading.Event()
    lock = threading.Lock()

    def load() -> None:
        while not stop.is_set():
            try:
                pair = authorize(server)
            except (requests.ConnectionError, AssertionError):  # a request on the killed worker
                continue
            with lock:
                issued_during.append(pair)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        while len(issued_during) < 20:
            time.sleep(0.01)
        victim = worker_pids(server.process.pid)[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # gunicorn replaces it; keep the load on meanwhile
            pids = worker_pids(server.process.pid)
            if victim not in pids and len(pids) == WORKERS:
                break
            time.sleep(0.05)
        count_at_kill = len(issued_during)
        while len(issued_during) < count_at_kill + 20:
            time.sleep(0.01)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert victim not in worker_pids(server.process.pid)
    assert len(worker_pids(server.process.pid)) == WORKERS
    everything = before + issued_during
    results = [redeem(server, c, v) for c, v in everything]
    assert [outcome(r) for r in results] == ["ok"] * len(everything)


# --- restart (SQLite: the state is in the data directory) ------------------------------------
def test_restart_keeps_keys_and_sso_sessions(tmp_path: Path) -> None:
    first = start_server(tmp_path, workers=2)
    browser = requests.Session()
    try:
        keys_before = jwks(first)
        code, verifier = authorize(first, session=browser)
        sub = verify_id_token(first, redeem(first, code, verifier).json()["id_token"], keys_before)["sub"]
        pending = authorize(first)  # issued before the restart, redeemed after
    finally:
        browser.close()  # its kept-alive connection would hold up the graceful stop
        first.stop()
    port = int(first.base_url.rsplit(":", 1)[1])
    second = start_server(tmp_path, workers=2, port=port)
    try:
        assert jwks(second) == keys_before
        code, verifier = authorize(second, session=browser, login_hint=None, prompt="none")
        claims = verify_id_token(second, redeem(second, code, verifier).json()["id_token"], keys_before)
        assert claims["sub"] == sub
        assert outcome(redeem(second, *pending)) == "ok"
    finally:
        second.stop()


def test_restart_keeps_refresh_tokens(tmp_path: Path) -> None:
    first = start_server(tmp_path, workers=2)
    try:
        if not refresh_supported(first):
            pytest.skip(REFRESH_SKIP)
        token = get_refresh_token(first)
    finally:
        first.stop()
    second = start_server(tmp_path, workers=2, port=int(first.base_url.rsplit(":", 1)[1]))
    try:
        r = refresh(second, token)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["access_token"] and body.get("refresh_token") != token
        if "id_token" in body:  # a refreshed ID token need not repeat the nonce (OIDC Core §12.2)
            verify_id_token(second, body["id_token"], nonce=None)
    finally:
        second.stop()


# --- several hosts: two servers, one Redis, one keys directory -------------------------------
def test_two_servers_sharing_redis_act_as_one_provider(tmp_path: Path, redis_base: str) -> None:
    shared = {"MOCK_BANKID_STORE": f"{redis_base}?prefix=pair-{os.getpid()}",
              "MOCK_BANKID_KEYS_DIR": str(tmp_path / "shared-keys")}
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    a = start_server(tmp_path / "a", workers=2, env=shared)
    try:
        # Behind a load balancer both hosts answer for one public address: one issuer string.
        b = start_server(tmp_path / "b", workers=2, env={**shared, "MOCK_BANKID_BASE_URL": a.base_url})
        try:
            b_token_url = f"{b.base_url}/auth/realms/current/protocol/openid-connect/token"
            assert jwks(a) == requests.get(f"{b.base_url}/auth/realms/current/protocol/openid-connect/certs",
                                           timeout=10).json()
            code, verifier = authorize(a)
            r = requests.post(b_token_url, auth=("ci", "ci-secret"), timeout=10, data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": CI_REDIRECT,
                "code_verifier": verifier})
            assert r.status_code == 200, r.text
            verify_id_token(a, r.json()["id_token"])  # minted at b, verified with a's JWKS and issuer
            assert outcome(redeem(a, code, verifier)) == "invalid_grant"  # a sees b took it
            # The next-login queue is shared too: queued at b, used at a.
            requests.post(f"{b.base_url}/_mock/next-login", json={"persona": "age:17"}, timeout=10).raise_for_status()
            code, verifier = authorize(a, login_hint=None)
            claims = verify_id_token(a, redeem(a, code, verifier).json()["id_token"])
            assert claims["sub"] != verify_id_token(a, r.json()["id_token"])["sub"]
        finally:
            b.stop()
    finally:
        a.stop()


# --- HTTPS ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("tls"), workers=2, tls=True)
    yield live
    live.stop()


def printed_ca(server: LiveServer) -> str:
    lines = [line for line in server.log().splitlines() if line.strip().startswith("tls CA")]
    assert lines, server.log()
    return lines[0].split()[2]


def test_requests_trusts_the_printed_ca_and_completes_a_flow(tls_server: LiveServer) -> None:
    ca = printed_ca(tls_server)
    assert ca == tls_server.verify and Path(ca).is_file()
    with pytest.raises(requests.exceptions.SSLError):  # not trusted by default: it is a local CA
        requests.get(tls_server.discovery_url, timeout=10, verify=True)
    doc = discovery(tls_server)
    assert doc["issuer"] == tls_server.issuer and doc["token_endpoint"].startswith("https://")
    browser = requests.Session()
    code, verifier = authorize(tls_server, session=browser)
    assert next(iter(browser.cookies)).secure  # the SSO cookie is Secure over https
    body = redeem(tls_server, code, verifier).json()
    claims = verify_id_token(tls_server, body["id_token"])
    info = requests.get(doc["userinfo_endpoint"], headers={"Authorization": f"Bearer {body['access_token']}"},
                        timeout=10, verify=ca)
    assert info.status_code == 200 and info.json()["sub"] == claims["sub"]


@pytest.mark.node
def test_openid_client_trusts_the_printed_ca(tls_server: LiveServer) -> None:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "openid-client").is_dir():
        pytest.skip("needs node and openid-client: cd tests/node && npm ci")
    ca = printed_ca(tls_server)
    args = json.dumps({"issuer": tls_server.issuer, "client_id": "ci", "client_secret": "ci-secret",
                       "redirect_uri": CI_REDIRECT})

    def run(extra_ca: str | None) -> dict[str, Any]:
        env = {k: v for k, v in os.environ.items() if k != "NODE_EXTRA_CA_CERTS"}
        if extra_ca:
            env["NODE_EXTRA_CA_CERTS"] = extra_ca
        out = subprocess.run([node, "tls_flow.mjs", args], cwd=NODE_DIR, env=env, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1])

    untrusted = run(None)
    assert untrusted["ok"] is False  # without the CA, openid-client refuses the connection
    result = run(ca)
    assert result["ok"] is True, result
    assert result["claims"]["iss"] == tls_server.issuer
    assert result["userinfo"]["sub"] == result["claims"]["sub"]


# --- browser URL and back-channel URL, one issuer ---------------------------------------------
@pytest.mark.node
def test_openid_client_uses_the_backchannel_with_the_browser_issuer(tmp_path: Path) -> None:
    """The Compose set-up with loopback names: browsers use localhost, the BFF 127.0.0.1."""
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "openid-client").is_dir():
        pytest.skip("needs node and openid-client: cd tests/node && npm ci")
    port = free_port()
    server = start_server(tmp_path, workers=2, port=port, env={
        "MOCK_BANKID_BASE_URL": f"http://localhost:{port}",
        "MOCK_BANKID_BACKCHANNEL_BASE_URL": f"http://127.0.0.1:{port}"})
    try:
        issuer = f"http://localhost:{port}/auth/realms/current"
        backchannel_discovery = f"http://127.0.0.1:{port}/auth/realms/current/.well-known/openid-configuration"
        args = json.dumps({"discovery_url": backchannel_discovery, "issuer": issuer, "client_id": "ci",
                           "client_secret": "ci-secret", "redirect_uri": CI_REDIRECT})
        out = subprocess.run([node, "backchannel_flow.mjs", args], cwd=NODE_DIR, capture_output=True, text=True,
                             timeout=60)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        assert result["ok"] is True, result
        assert result["naive_discovery"] != "accepted"  # the issuer string is compared exactly
        assert result["hosts"] == {"authorization": f"localhost:{port}", "token": f"127.0.0.1:{port}",
                                   "jwks": f"127.0.0.1:{port}", "userinfo": f"127.0.0.1:{port}"}
        assert result["claims"]["iss"] == issuer and result["userinfo_sub"] == result["claims"]["sub"]
    finally:
        server.stop()
