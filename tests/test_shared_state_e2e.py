"""Each worker reads server-wide state only when the shared generation moves, keeps its request
log to itself and serves documents from bytes -- and a real multi-worker gunicorn still behaves as
one server: every change is obeyed by every worker at once, again and again, and the request log
shows every request, whichever worker served it."""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

import pytest
import requests
from conftest import CI_REDIRECT, pkce_pair, start_server

pytestmark = pytest.mark.e2e
FRESH = 18  # requests on fresh connections: with 3 workers, every worker gets some


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(tmp_path_factory.mktemp("shared-state"), workers=3)
    yield live
    live.stop()


def fresh(url: str, n: int = FRESH, **kwargs) -> list[requests.Response]:
    """Each request on its own connection, so the kernel spreads them over the workers."""
    headers = {"Connection": "close", **kwargs.pop("headers", {})}
    return [requests.get(url, timeout=10, headers=headers, **kwargs) for _ in range(n)]


def pids_logging(server, line_part: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"\[(\d+)\] mock_bankid: " + re.escape(line_part), server.log())}


def test_every_change_reaches_every_worker_at_once_each_time(server):
    base, discovery = server.base_url, server.discovery_url
    for _ in range(3):  # each worker has the old state cached when the next change comes
        assert requests.put(f"{base}/_mock/scenario", json={"scenario": "outage"}, timeout=10).status_code == 200
        assert [r.status_code for r in fresh(discovery)] == [503] * FRESH
        assert requests.delete(f"{base}/_mock/scenario", timeout=10).status_code == 204
        assert [r.status_code for r in fresh(discovery)] == [200] * FRESH
    for shift in (3600, 7 * 86400, 0):
        requests.put(f"{base}/_mock/clock", json={"shift": shift}, timeout=10).raise_for_status()
        nows = [r.json()["now"] for r in fresh(f"{base}/_mock/clock")]
        assert max(nows) - min(nows) < 30 and abs(min(nows) - (time.time() + shift)) < 30
    requests.delete(f"{base}/_mock/clock", timeout=10)


def test_a_queued_login_reaches_whichever_worker_serves_the_next_authorize(server):
    _verifier, challenge = pkce_pair()
    query = {"client_id": "ci", "redirect_uri": CI_REDIRECT, "response_type": "code", "scope": "openid",
             "state": "s", "nonce": "n", "code_challenge": challenge, "code_challenge_method": "S256"}
    authorize = f"{server.issuer}/precheck/auth?" + urlencode(query)
    for _ in range(3):
        # every worker finds the queue empty (the login page), then one login is queued
        assert {r.status_code for r in fresh(authorize, allow_redirects=False)} == {200}
        requests.post(f"{server.base_url}/_mock/next-login", json={"persona": "adult"}, timeout=10).raise_for_status()
        statuses = [r.status_code for r in fresh(authorize, 6, allow_redirects=False)]
        assert statuses == [302, 200, 200, 200, 200, 200]


def test_request_log_shows_every_request_from_every_worker(server):
    requests.delete(f"{server.base_url}/_mock/requests", timeout=10).raise_for_status()
    marks = [f"rp-{n}" for n in range(FRESH)]
    for mark in marks:
        requests.get(server.discovery_url, timeout=10, headers={"Connection": "close", "User-Agent": mark})
    log = requests.get(f"{server.base_url}/_mock/requests", timeout=10).json()["requests"]
    assert [e["headers"].get("User-Agent") for e in log] == marks  # all of them, in order
    assert len(pids_logging(server, "GET /auth/realms/current/.well-known/openid-configuration 200")) >= 2
    requests.delete(f"{server.base_url}/_mock/requests", timeout=10).raise_for_status()
    assert requests.get(f"{server.base_url}/_mock/requests", timeout=10).json()["requests"] == []


def test_jwks_from_bytes_with_an_etag_follows_a_rotation_on_every_worker(server):
    certs = f"{server.issuer}/protocol/openid-connect/certs"
    first = requests.get(certs, timeout=10)
    etag = first.headers["ETag"]
    assert {r.status_code for r in fresh(certs, headers={"If-None-Match": etag})} == {304}
    kid = requests.post(f"{server.base_url}/_mock/keys/rotate", json={"alg": "RS256"}, timeout=10).json()["kid"]
    after = fresh(certs, headers={"If-None-Match": etag})
    assert {r.status_code for r in after} == {200}
    assert all(kid in {k["kid"] for k in r.json()["keys"]} for r in after)
    assert len({r.headers["ETag"] for r in after}) == 1
