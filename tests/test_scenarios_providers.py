"""Scenarios, the next-login queue and minted tokens per provider: BankID, Vipps Login, or both.

``PUT /_mock/scenario`` with ``"provider"`` acts on that provider only; without one, on every
provider of the realm the scenario is offered for. The Flask test client and the RP driver
(``tests/rp``) told ``provider="vipps"``; the runbook's fallback over real HTTP is in
``test_scenarios_e2e.py``.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from pathlib import Path

import pytest
from conftest import FIXTURES
from joserfc import jwt
from joserfc.jwk import KeySet
from rp.driver import VIPPS_ISSUER_PATH, VIPPS_PATHS, VIPPS_USERINFO, FlaskRP

from mock_bankid.app import create_app
from mock_bankid.core.settings import Settings
from mock_bankid.scenarios import Scenarios

pytestmark = pytest.mark.unit

BASE = "http://localhost:8080"
VIPPS_DISCOVERY = VIPPS_ISSUER_PATH + ".well-known/openid-configuration"
BANKID_DISCOVERY = "/auth/realms/current/.well-known/openid-configuration"
BANKID_ONLY = {"bankid-error", "payment-refused", "session-timeout", "sub-changes", "trap-missing-nnin",
               "trap-permission-digest"}
"""What only BankID has: its error codes, payment approval, 10-minute session, sub warning, number in the ID token."""
CATALOGUE = Scenarios.load(Settings(fixtures_dir=FIXTURES)).definitions


@pytest.fixture
def vipps(client) -> FlaskRP:
    return FlaskRP(client, provider="vipps")


def state(client, query: str = "") -> dict:
    response = client.get("/_mock/scenario" + query)
    assert response.status_code == 200
    return response.get_json()


def bankid_untouched(client, rp: FlaskRP) -> None:
    """BankID's discovery, JWKS, a whole sign-in, the ID token's checks and userinfo, all as usual."""
    assert client.get(BANKID_DISCOVERY).status_code == 200
    assert client.get("/auth/realms/current/protocol/openid-connect/certs").status_code == 200
    authz = rp.sign_in("adult")
    assert authz.params.get("code"), (authz.status, authz.location)
    response = rp.redeem(authz)
    assert response.status_code == 200, response.get_data(as_text=True)
    claims = rp.verify(response.get_json(), authz, essential=("nnin_altsub",))
    assert claims["iss"] == BASE + "/auth/realms/current"
    assert rp.userinfo(response.get_json()["access_token"]).status_code == 200


# --- the catalogue says which providers ------------------------------------------------------
def test_the_catalogue_says_which_providers_each_scenario_is_for(client):
    listed = {s["name"]: s["providers"] for s in client.get("/_mock/scenarios").get_json()["scenarios"]}
    assert {name for name, providers in listed.items() if providers == ["bankid"]} >= BANKID_ONLY
    assert {name for name, providers in listed.items() if providers != ["bankid", "vipps"]} == (
        BANKID_ONLY | {name for name, d in CATALOGUE.items() if d.uses in BANKID_ONLY})
    assert listed["outage"] == ["bankid", "vipps"] and listed["cancel"] == ["bankid", "vipps"]


VIPPS_SERVER_WIDE = [name for name, d in CATALOGUE.items() if d.points and "vipps" in d.providers]


@pytest.mark.parametrize("name", VIPPS_SERVER_WIDE)
def test_every_scenario_switched_on_for_vipps_only_leaves_bankid_untouched(client, rp, name):
    response = client.put("/_mock/scenario", json={"scenario": name, "provider": "vipps"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["provider"] == "vipps" and response.get_json()["active"]["scenario"] == name
    shown = state(client)
    assert shown["providers"]["vipps"]["active"]["scenario"] == name
    assert shown["active"] is None and shown["providers"]["bankid"]["active"] is None
    bankid_untouched(client, rp)
    assert state(client, "?provider=vipps")["active"]["scenario"] == name  # still on where it was put


@pytest.mark.parametrize("name", sorted(BANKID_ONLY))
def test_a_bankid_only_scenario_is_refused_for_vipps_and_without_provider_is_on_for_bankid_only(client, name):
    refused = client.put("/_mock/scenario", json={"scenario": name, "provider": "vipps"})
    if not CATALOGUE[name].points:  # per sign-in only: refused for the server whatever the provider
        assert refused.status_code == 400
        return
    assert refused.status_code == 400 and "for bankid only" in refused.get_json()["error_description"]
    assert client.put("/_mock/scenario", json={"scenario": name}).status_code == 200
    shown = state(client)
    assert shown["active"]["scenario"] == name and shown["providers"]["vipps"]["active"] is None


def test_without_a_provider_a_scenario_is_on_for_both_and_delete_by_provider_clears_one(client):
    assert client.put("/_mock/scenario", json={"scenario": "outage"}).status_code == 200
    assert client.get(BANKID_DISCOVERY).status_code == 503
    assert client.get(VIPPS_DISCOVERY).status_code == 503
    assert client.delete("/_mock/scenario?provider=vipps").status_code == 204
    assert client.get(VIPPS_DISCOVERY).status_code == 200 and client.get(BANKID_DISCOVERY).status_code == 503
    assert state(client, "?provider=bankid")["active"]["scenario"] == "outage"
    assert client.delete("/_mock/scenario").status_code == 204
    assert client.get(BANKID_DISCOVERY).status_code == 200
    assert state(client) == {"active": None, "providers": {"bankid": {"active": None}, "vipps": {"active": None}}}


def test_bankid_outage_with_vipps_up_is_the_runbooks_fallback(client, vipps):
    on = client.put("/_mock/scenario", json={"scenario": "outage", "provider": "bankid"})
    assert on.status_code == 200 and on.get_json()["provider"] == "bankid"
    assert client.get(BANKID_DISCOVERY).status_code == 503
    assert client.get(VIPPS_DISCOVERY).status_code == 200
    tokens = vipps.redeem(vipps.sign_in("adult"))
    assert tokens.status_code == 200 and vipps.userinfo(tokens.get_json()["access_token"]).get_json()["nin"]


def test_outage_on_vipps_answers_503_at_vipps_endpoints_named_as_vipps(client, vipps):
    vipps.scenario({"scenario": "outage", "retry_after": 9})  # the driver adds ?provider=vipps
    assert client.get(VIPPS_DISCOVERY).status_code == 503
    assert client.get(VIPPS_ISSUER_PATH + VIPPS_PATHS["jwks"]).status_code == 503
    token = vipps.redeem("some-code", "some-verifier")
    assert token.status_code == 503 and token.headers["Retry-After"] == "9"
    assert "Vipps is unavailable" in token.get_json()["error_description"]
    assert client.get(VIPPS_USERINFO, headers={"Authorization": "Bearer x"}).status_code == 503
    assert client.get(BANKID_DISCOVERY).status_code == 200


def test_a_redirect_scenario_on_vipps_reaches_vipps_clients_only(client, rp, vipps):
    assert client.put("/_mock/scenario", json={"scenario": "server-error", "provider": "vipps"}).status_code == 200
    authz = vipps.sign_in("adult")
    assert authz.params.get("error") == "server_error" and "code" not in authz.params
    assert "Vipps could not complete" in authz.params["error_description"]
    assert rp.sign_in("adult").params.get("code")


def test_a_trap_on_vipps_changes_vippss_id_token_only(client, rp, vipps):
    vipps.scenario({"scenario": "trap-wrong-aud"})
    body = vipps.redeem(vipps.sign_in("adult")).get_json()
    assert jwt.decode(body["id_token"], KeySet.import_key_set(vipps.jwks())).claims["aud"] == "another-client"
    bankid_untouched(client, rp)


@pytest.mark.parametrize("query, body, words", [
    ("", {"scenario": "outage", "provider": "mobilepay"}, "provider must be one of bankid, vipps"),
    ("", {"scenario": "outage", "provider": 7}, "provider must be one of bankid, vipps"),
    ("?provider=mobilepay", {"scenario": "outage"}, "bankid, vipps"),
])
def test_a_bad_provider_is_a_400_naming_the_choices(client, query, body, words):
    response = client.put("/_mock/scenario" + query, json=body)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
    assert words in response.get_json()["error_description"]
    assert client.get("/_mock/scenario?provider=mobilepay").status_code == 400


def test_another_realm_has_both_providers_each_with_its_own_scenario(client):
    on = client.put("/_mock/scenario?realm=w2", json={"scenario": "outage", "provider": "vipps"})
    assert on.status_code == 200 and on.get_json() == client.get("/_mock/scenario?realm=w2&provider=vipps").get_json()
    shown = state(client, "?realm=w2")
    assert shown["providers"].keys() == {"bankid", "vipps"} and shown["active"] is None
    assert client.get("/vipps/w2/access-management-1.0/access/.well-known/openid-configuration").status_code == 503
    assert client.get("/auth/realms/w2/.well-known/openid-configuration").status_code == 200
    assert client.get(VIPPS_DISCOVERY).status_code == 200  # the home realm's Vipps: untouched
    assert state(client)["providers"]["vipps"]["active"] is None


def test_a_start_scenario_may_name_its_provider(settings):
    app = create_app(dataclasses.replace(settings, scenario='{"scenario": "outage", "provider": "bankid"}'))
    client = app.test_client()
    assert client.get(BANKID_DISCOVERY).status_code == 503
    assert client.get(VIPPS_DISCOVERY).status_code == 200
    assert state(client)["providers"]["bankid"]["active"]["source"] == "start"


# --- the next-login queue per provider -------------------------------------------------------
def test_next_login_queues_at_the_provider_named(client, rp, vipps):
    queued = client.post("/_mock/next-login", json={"persona": "vipps-only", "provider": "vipps"})
    assert queued.status_code == 201 and queued.get_json()["provider"] == "vipps"
    assert client.get("/_mock/next-login").get_json()["queue"] == []  # BankID's queue: empty
    assert [e["selector"] for e in client.get("/_mock/next-login?provider=vipps").get_json()["queue"]] == [
        "vipps-only"]
    authz = vipps.sign_in("adult", via="hint", login_hint=None)  # no hint: the queue chooses
    info = vipps.userinfo(vipps.redeem(authz).get_json()["access_token"]).get_json()
    persona = next(x for x in client.get("/_mock/personas").get_json()["personas"] if x["id"] == "vipps-only")
    assert info["nin"] == persona["nnin"]
    client.post("/_mock/next-login", json={"persona": "adult", "provider": "vipps"})
    assert client.delete("/_mock/next-login?provider=vipps").status_code == 204
    assert client.get("/_mock/next-login?provider=vipps").get_json()["queue"] == []


def test_next_login_refuses_a_person_without_that_providers_account(client):
    refused = client.post("/_mock/next-login", json={"persona": "bankid-only", "provider": "vipps"})
    assert refused.status_code == 400
    assert "no Vipps account (they have: bankid)" in refused.get_json()["error_description"]
    refused = client.post("/_mock/next-login", json={"persona": "vipps-only"})
    assert refused.status_code == 400 and "(they have: vipps)" in refused.get_json()["error_description"]
    bad = client.post("/_mock/next-login", json={"persona": "adult", "provider": "mobilepay"})
    assert bad.status_code == 400 and "bankid, vipps" in bad.get_json()["error_description"]
    bankid_only = client.post("/_mock/next-login", json={"persona": "adult", "provider": "vipps",
                                                         "scenario": "bankid-error"})
    assert bankid_only.status_code == 400 and "for bankid only" in bankid_only.get_json()["error_description"]


# --- minting Vipps tokens --------------------------------------------------------------------
def test_mint_vipps_tokens_over_the_control_api(client, vipps):
    response = client.post("/_mock/token", json={"persona": "adult", "provider": "vipps"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    claims = jwt.decode(body["id_token"], KeySet.import_key_set(vipps.jwks()), algorithms=["RS256"]).claims
    assert claims["iss"] == BASE + VIPPS_ISSUER_PATH and claims["aud"] in ("ci-vipps", ["ci-vipps"])
    assert uuid.UUID(claims["sub"]) and "nin" not in claims and "nnin_altsub" not in claims
    info = vipps.userinfo(body["access_token"])
    assert info.status_code == 200 and info.get_json()["nin"] == body["persona"]["nnin"]
    other = client.post("/_mock/token", json={"persona": "adult", "provider": "vipps",
                                              "client_id": "drop-web-vipps-no-nin", "scope": "openid name"})
    assert other.status_code == 200 and other.get_json()["claims"]["id_token"]["sub"] != claims["sub"]
    bankid = client.post("/_mock/token", json={"persona": "adult"}).get_json()
    assert bankid["claims"]["id_token"]["iss"] == BASE + "/auth/realms/current"
    refused = client.post("/_mock/token", json={"persona": "bankid-only", "provider": "vipps"})
    assert refused.status_code == 400 and "no Vipps account" in refused.get_json()["error_description"]


def test_a_start_scenario_naming_no_such_provider_stops_the_start(settings):
    words = "MOCK_BANKID_SCENARIO: provider must be one of bankid, vipps, not 'mobilepay'"
    with pytest.raises(ValueError, match=words):
        create_app(dataclasses.replace(settings, scenario='{"scenario": "outage", "provider": "mobilepay"}'))


def test_the_login_page_panel_offers_vipps_only_the_scenarios_vipps_has(vipps, rp):
    vipps_page = vipps.login_page().html
    assert 'name="scenario"' in vipps_page and 'value="cancel"' in vipps_page
    assert not any(f'value="{name}"' in vipps_page for name in BANKID_ONLY)
    assert 'value="bankid-error"' in rp.login_page().html


def test_docs_scenarios_md_names_the_bankid_only_scenarios_the_catalogue_has():
    doc = (Path(__file__).parent.parent / "docs" / "scenarios.md").read_text()
    section = doc.split("### Per provider: BankID, Vipps Login, or both", 1)[1].split("\n## ", 1)[0]
    paragraph = section.split("These\n  are for BankID only", 1)[1].split("Switching one of them on", 1)[0]
    assert set(re.findall(r"`([a-z0-9-]+)`", paragraph)) - {"sub"} == BANKID_ONLY
    assert {name for name, d in CATALOGUE.items() if d.providers == ("bankid",) and d.uses is None} == BANKID_ONLY


def test_the_cli_catalogue_marks_the_bankid_only_scenarios(monkeypatch):
    from click.testing import CliRunner

    from mock_bankid.cli import cli

    monkeypatch.setenv("MOCK_BANKID_FIXTURES_DIR", str(FIXTURES))
    result = CliRunner().invoke(cli, ["scenarios"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert all("(bankid only)" in lines[name] for name in BANKID_ONLY)
    assert "only)" not in lines["outage"] and "only)" not in lines["cancel"]


def test_the_cli_names_the_provider_of_the_state_it_prints():
    """`scenario set outage --provider bankid` printed `outage (server)`, not whose it was."""
    from mock_bankid.cli.scenarios import _show

    outage = {"scenario": "outage", "source": "server", "params": {}}
    assert _show({"provider": "bankid", "active": outage}) == "bankid: outage (server)"
    assert _show({"provider": "vipps", "active": None}) == "vipps: no scenario is on"
    every = {"active": outage, "providers": {"bankid": {"active": outage}, "vipps": {"active": None}}}
    assert _show(every) == "bankid: outage (server)\nvipps: no scenario is on"
    assert _show({"active": None, "providers": {"bankid": {"active": None}}}) == "no scenario is on"


def test_a_scenario_for_both_providers_is_described_without_naming_bankid_as_the_provider():
    """`outage` at Vipps said "BankID is down" in the catalogue and the switchboard: a summary of a
    scenario for both says "the provider" (a mention of real BankID's issuer is a fact, not the actor)."""
    settings = Settings(fixtures_dir=FIXTURES)
    both = [d for d in Scenarios.load(settings).definitions.values() if {"bankid", "vipps"} <= set(d.providers)]
    assert {"outage", "outage-30s", "server-error", "temporarily-unavailable", "cancel"} <= {d.name for d in both}
    for d in both:
        for text in (d.summary, d.summary_nb):
            assert "BankID" not in re.sub(r"(real|ekte) BankID", "", text or ""), (d.name, text)
