"""What fuzzing the OpenAPI description found (tests/test_fuzz.py, and `schemathesis run` against a
real server), each kept fixed here with the smallest request sequence that showed it."""

from __future__ import annotations

import pytest
from conftest import CI_REDIRECT, pkce_pair

from mock_bankid.app import create_app

YEAR = 366 * 86400
AUTH = "/auth/realms/current/precheck/auth"


def login_page(client):
    _verifier, challenge = pkce_pair()
    return client.get(AUTH, query_string={
        "client_id": "ci", "redirect_uri": CI_REDIRECT, "response_type": "code", "scope": "openid",
        "code_challenge": challenge, "code_challenge_method": "S256", "prompt": "login",
    })


@pytest.mark.parametrize("years", [27, 60])
def test_the_clock_cannot_move_to_a_date_the_personas_cannot_exist_on(client, years):
    """PUT /_mock/clock 27 years ahead, then GET /_mock/personas, was a 500: the fixture's minor
    would be born after 2039, the last year a fødselsnummer can encode. Now the move is refused
    and the mock stays usable."""
    refused = client.put("/_mock/clock", json={"shift": years * YEAR})
    assert refused.status_code == 400, refused.json
    assert refused.json["error"] == "invalid_request"
    assert "The clock cannot move to" in refused.json["error_description"]
    assert "1854-2039" in refused.json["error_description"]
    assert client.get("/_mock/clock").json["shift"] == 0.0
    assert client.get("/_mock/personas").status_code == 200
    assert login_page(client).status_code in (200, 302)  # the page, or a sign-in when the client auto-logs-in


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_clock_moved_back_decades_stays_there(settings, store):
    """The shift was stored for 10 years, judged on the clock it shifts: written while the clock
    was already 30 years back, it had expired at once and the clock silently jumped to today."""
    client = create_app(settings.with_(store=store)).test_client()
    assert client.put("/_mock/clock", json={"shift": -30 * YEAR}).status_code == 200
    moved = client.put("/_mock/clock", json={"advance": -86400})
    assert moved.status_code == 200, moved.json
    assert moved.json["shift"] == -30 * YEAR - 86400
    for _ in range(2):  # later requests too, not only the answer of the move itself
        clock = client.get("/_mock/clock").json
        assert clock["shift"] == -30 * YEAR - 86400
        assert clock["today"] < "2000-01-01"
    assert client.get("/_mock/personas").status_code == 200
