"""Regression: a rate-limit scenario's counters do not outlive it.

Found by `mock-bankid drill`, which clears the mock after every case: cleared and set again within
the same window, rate-limit used to start with the previous run's requests already counted, so a
case that expected one 429 got two (or none), depending on what ran before it.
"""

from __future__ import annotations

import base64

TOKEN = "/auth/realms/current/protocol/openid-connect/token"
BASIC = {"Authorization": "Basic " + base64.b64encode(b"ci:ci-secret").decode()}
LIMIT = {"scenario": "rate-limit", "limit": 2, "window": 3600, "endpoints": ["token"]}


def _remaining(client) -> tuple[int, str | None]:
    response = client.post(TOKEN, data={"grant_type": "client_credentials"}, headers=BASIC)
    return response.status_code, response.headers.get("X-RateLimit-Remaining")


def test_set_again_within_the_window_starts_fresh(client):
    assert client.put("/_mock/scenario", json=LIMIT).status_code == 200
    assert [_remaining(client) for _ in range(3)] == [(200, "1"), (200, "0"), (429, "0")]
    assert client.delete("/_mock/scenario").status_code == 204
    assert client.put("/_mock/scenario", json=LIMIT).status_code == 200  # same window (1 h), new run
    assert _remaining(client) == (200, "1")


def test_replacing_it_with_itself_also_starts_fresh(client):
    assert client.put("/_mock/scenario", json=LIMIT).status_code == 200
    _remaining(client), _remaining(client)
    assert client.put("/_mock/scenario", json=LIMIT).status_code == 200  # a new PUT replaces the old one
    assert _remaining(client) == (200, "1")
