"""The drill starts from a clean mock: a scenario left on for any provider is switched off (and
named in a warning) before the drill reads discovery, which an outage answers with 503."""

from __future__ import annotations

import pytest
import requests
from conftest import LiveServer

from mock_bankid.drill.catalogue import Policy
from mock_bankid.drill.mockapi import MockAPI
from mock_bankid.drill.run import Drill, HeadlessWalker
from mock_bankid.drill.success import SuccessRule

pytestmark = pytest.mark.e2e


def _prepared(server: LiveServer) -> Drill:
    mock = MockAPI(server.base_url)
    start = f"{server.base_url}/_mock"  # anything that answers: the probe of the relying party is one hop
    drill = Drill(mock, start, SuccessRule("/dashboard", start), Policy(), HeadlessWalker(mock, 10.0))
    drill.prepare([])
    return drill


@pytest.mark.parametrize("providers", [("bankid",), ("vipps",), ("bankid", "vipps")])
def test_a_scenario_left_on_is_cleared_and_named_before_discovery(live_server, providers):
    for provider in providers:
        answer = requests.put(f"{live_server.base_url}/_mock/scenario", params={"provider": provider},
                              json={"scenario": "outage"}, timeout=10)
        assert answer.status_code == 200, answer.text
    try:
        drill = _prepared(live_server)
    finally:
        requests.delete(f"{live_server.base_url}/_mock/scenario", timeout=10)
    assert drill.mock.authorize_endpoint  # discovery was read, after the outage was off
    named = ", ".join(f"outage for {provider}" for provider in providers)
    assert drill.warnings == [f"a server-wide scenario was on ({named}); the drill switched it off"]
    state = requests.get(f"{live_server.base_url}/_mock/scenario", timeout=10).json()
    assert not any(s["active"] for s in state["providers"].values())


def test_a_clean_mock_gives_no_warning(live_server):
    assert _prepared(live_server).warnings == []
