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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import CI_REDIRECT, LiveServer, free_port, start_server
from redis_server import SKIP_REASON, redis_server_available, start_redis
from rp import Authorization, HttpRP

pytestmark = pytest.mark.e2e

WORKERS = 4
CODES = 50
RACERS_PER_CODE = 4  # 200 threads in all
NODE_DIR = Path(__file__).parent / "node"


# --- helpers ---------------------------------------------------------------------------------
def rp_for(server: LiveServer, browser: requests.Session | None = None) -> HttpRP:
    """The driver on ``server``: without ``browser`` every sign-in is a new browser (no SSO cookie)."""
    return HttpRP(server, browser=browser, state="st", nonce="nn")


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
    return "refresh_token" in rp_for(server).discovery()["grant_types_supported"]


REFRESH_SKIP = ("the token endpoint does not offer grant_type=refresh_token yet (issue 4 adds it); "
                "this test runs once discovery lists it in grant_types_supported")


def get_refresh_token(server: LiveServer) -> str:
    body = rp_for(server).tokens(scope="openid profile nnin_altsub offline_access")
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
    rp = rp_for(server)
    codes = [rp.authorized() for _ in range(CODES)]
    calls = [lambda a=a: rp.redeem(a) for a in codes for _ in range(RACERS_PER_CODE)]
    results = race(calls)

    by_code: dict[str, list[str]] = {}
    for authz, r in zip([a for a in codes for _ in range(RACERS_PER_CODE)], results, strict=True):
        by_code.setdefault(authz.code, []).append(outcome(r))
    assert sum(o == "ok" for o in map(outcome, results)) == CODES
    assert sum(o == "invalid_grant" for o in map(outcome, results)) == CODES * (RACERS_PER_CODE - 1)
    assert all(outcomes.count("ok") == 1 for outcomes in by_code.values())
    published = rp.jwks()
    winners = [r for r in results if r.status_code == 200]
    for r in winners[:5]:
        rp.verify(r.json(), nonce="nn", jwks=published)


def test_refresh_rotation_race_has_one_winner_per_token(server: LiveServer) -> None:
    if not refresh_supported(server):
        pytest.skip(REFRESH_SKIP)
    tokens = [get_refresh_token(server) for _ in range(10)]
    rp = rp_for(server)
    results = race([lambda t=t: rp.refresh(t) for t in tokens for _ in range(RACERS_PER_CODE)])
    outcomes = [outcome(r) for r in results]
    for i in range(len(tokens)):
        mine = outcomes[i * RACERS_PER_CODE:(i + 1) * RACERS_PER_CODE]
        assert mine.count("ok") == 1, mine
        assert mine.count("invalid_grant") == RACERS_PER_CODE - 1, mine
    for r in results:
        if r.status_code == 200:
            assert r.json()["refresh_token"] not in tokens  # rotated


def test_a_killed_worker_loses_nothing_already_issued(server: LiveServer) -> None:
    rp = rp_for(server)
    before = [rp.authorized() for _ in range(20)]
    issued_during: list[Authorization] = []
    stop = threading.Event()
    lock = threading.Lock()

    def load() -> None:
        while not stop.is_set():
            try:
                pair = rp.authorized()
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
    results = [rp.redeem(a) for a in everything]
    assert [outcome(r) for r in results] == ["ok"] * len(everything)


# --- restart (SQLite: the state is in the data directory) ------------------------------------
def test_restart_keeps_keys_and_sso_sessions(tmp_path: Path) -> None:
    first = start_server(tmp_path, workers=2)
    browser = requests.Session()
    try:
        rp = rp_for(first, browser)
        keys_before = rp.jwks()
        sub = rp.verify(rp.redeem(rp.authorized()).json(), nonce="nn", jwks=keys_before)["sub"]
        pending = rp_for(first).authorized()  # issued before the restart, redeemed after
    finally:
        browser.close()  # its kept-alive connection would hold up the graceful stop
        first.stop()
    port = int(first.base_url.rsplit(":", 1)[1])
    second = start_server(tmp_path, workers=2, port=port)
    try:
        rp = rp_for(second, browser)
        assert rp.jwks() == keys_before
        silent = rp.authorized(login_hint=None, prompt="none")
        claims = rp.verify(rp.redeem(silent).json(), silent, jwks=keys_before)
        assert claims["sub"] == sub
        assert outcome(rp.redeem(pending)) == "ok"
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
        r = rp_for(second).refresh(token)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["access_token"] and body.get("refresh_token") != token
        if "id_token" in body:  # a refreshed ID token need not repeat the nonce (OIDC Core §12.2)
            rp_for(second).verify(body, nonce=None)
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
            at_a, at_b = rp_for(a), rp_for(b)
            assert at_a.jwks() == at_b.jwks()
            authz = at_a.authorized()
            r = at_b.redeem(authz)
            assert r.status_code == 200, r.text
            at_a.verify(r.json(), authz)  # minted at b, verified with a's JWKS and issuer
            assert outcome(at_a.redeem(authz)) == "invalid_grant"  # a sees b took it
            # The next-login queue is shared too: queued at b, used at a.
            at_b.queue("age:17")
            queued = at_a.authorized(login_hint=None)
            claims = at_a.verify(at_a.redeem(queued).json(), queued)
            assert claims["sub"] != at_a.verify(r.json(), authz)["sub"]
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
    browser = requests.Session()
    rp = rp_for(tls_server, browser)
    doc = rp.discovery()
    assert doc["issuer"] == tls_server.issuer and doc["token_endpoint"].startswith("https://")
    assert doc["userinfo_endpoint"] == rp.endpoint("userinfo")
    authz = rp.authorized()
    assert next(iter(browser.cookies)).secure  # the SSO cookie is Secure over https
    body = rp.redeem(authz).json()
    claims = rp.verify(body, authz)
    info = rp.userinfo(body["access_token"])
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
