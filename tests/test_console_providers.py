"""The console with two providers: the home page lists BankID and Vipps Login with their issuers,
discovery and clients; the switchboard switches a scenario on for one provider or all, and queues
the next login at a provider; the bar says where a scenario is on. Server-rendered, no JavaScript,
nb and en (the Flask test client; the same forms as the JSON API, ``control/ops.py``)."""

from __future__ import annotations

import re

import pytest
from test_console import CONSOLE, csrf_of, post, text_of

from mock_bankid.endpoints.console import texts
from mock_bankid.scenarios.engine import ENGINE_KEY

pytestmark = pytest.mark.unit

VIPPS_ISSUER = "http://localhost:8080/access-management-1.0/access/"
VIPPS_DISCOVERY = "/access-management-1.0/access/.well-known/openid-configuration"
BANKID_DISCOVERY = "/auth/realms/current/.well-known/openid-configuration"


def section(html: str, testid: str, end: str) -> str:
    return html.split(f'data-testid="{testid}"', 1)[1].split(end, 1)[0]


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_the_home_page_lists_each_provider_with_issuer_discovery_and_its_clients(client, provider, locale):
    html = client.get(f"/?ui_locales={locale}").get_data(as_text=True)
    t = texts.NB if locale == "nb" else texts.EN
    assert f"<h2>{t['the_providers']}</h2>" in html and t["provider_issuer_note"] in html
    assert re.search(r'data-testid="issuer-bankid">http://localhost:8080/auth/realms/current<', html)
    assert f'data-testid="issuer-vipps">{VIPPS_ISSUER}<' in html
    assert f'data-testid="discovery-vipps">http://localhost:8080{VIPPS_DISCOVERY}<' in html
    bankid_clients = section(html, "clients-of-bankid", 'data-testid="clients-of-vipps"')
    vipps_clients = html.split('data-testid="clients-of-vipps"', 1)[1]
    assert 'data-client="ci"' in bankid_clients and 'data-client="drop-web-vipps"' not in bankid_clients
    registered = {c.client_id for c in provider.realms.of("vipps").clients.all()}
    assert {"drop-web-vipps", "drop-web-vipps-no-nin", "ci-vipps"} <= registered
    assert set(re.findall(r'data-client="([^"]+)"', vipps_clients)) == registered


def test_switching_a_scenario_on_for_vipps_only_from_the_switchboard(client):
    token = csrf_of(client)
    on = post(client, "/scenario", {"scenario": "outage", "provider": "vipps", "for_seconds": "60"}, token=token)
    assert on.status_code == 303
    state = client.get("/_mock/scenario").get_json()
    assert state["providers"]["vipps"]["active"]["scenario"] == "outage" and state["active"] is None
    assert client.get(VIPPS_DISCOVERY).status_code == 503 and client.get(BANKID_DISCOVERY).status_code == 200
    html = client.get(f"{CONSOLE}/switchboard?ui_locales=en").get_data(as_text=True)
    assert 'data-testid="active-scenario-vipps">outage<' in html and 'data-testid="active-scenario-none"' in html
    assert 'data-testid="scenario-bar-providers">(vipps)<' in html  # the bar says where it is on
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="active-scenario-vipps">outage<' in home and 'active-scenario-none-bankid' in home
    assert post(client, "/scenario/clear", {"provider": "vipps"}).status_code == 303
    assert client.get("/_mock/scenario?provider=vipps").get_json() == {"provider": "vipps", "active": None}


def test_the_switch_on_form_offers_a_provider_choice_only_where_there_is_one(client):
    html = client.get(f"{CONSOLE}/switchboard?ui_locales=en").get_data(as_text=True)
    outage = section(html, "provider-outage", "</select>")
    assert re.findall(r'<option value="([^"]*)"', outage) == ["", "bankid", "vipps"]
    assert texts.EN["provider_all"] in outage
    assert 'data-testid="provider-bankid-error"' not in html  # BankID's error codes: BankID only
    assert re.search(r'data-testid="only-bankid-error" data-provider="bankid">BankID only<', html)
    refused = post(client, "/scenario", {"scenario": "bankid-error", "provider": "vipps"})
    assert refused.status_code == 400 and "bankid-error is for bankid only, not vipps" in text_of(refused)
    hostile = post(client, "/scenario", {"scenario": "outage", "provider": "<script>x</script>"})
    body = hostile.get_data(as_text=True)
    assert hostile.status_code == 400 and "<script>x" not in body and "&lt;script&gt;x" in body
    assert "bankid, vipps" in text_of(hostile)
    nb = client.get(f"{CONSOLE}/switchboard?ui_locales=nb").get_data(as_text=True)
    assert texts.NB["provider_all"] in nb and texts.NB["provider_choice"] in nb


def test_the_queue_form_queues_at_the_provider_chosen(client):
    token = csrf_of(client)
    html = client.get(f"{CONSOLE}/switchboard").get_data(as_text=True)
    assert re.findall(r'<option value="([^"]*)"', section(html, "queue-provider", "</select>")) == ["bankid", "vipps"]
    assert post(client, "/next-login", {"selector": "vipps-only", "provider": "vipps"}, token=token).status_code == 303
    assert [e["selector"] for e in client.get("/_mock/next-login?provider=vipps").get_json()["queue"]] == ["vipps-only"]
    refused = post(client, "/next-login", {"selector": "vipps-only", "provider": "bankid"}, token=token)
    assert refused.status_code == 400 and "vipps-only has no BankID account" in text_of(refused)
    listed = section(client.get(f"{CONSOLE}/switchboard").get_data(as_text=True), "queue-list", "</ol>")
    assert 'data-provider="vipps">Vipps</span> <code>vipps-only</code>' in listed
    assert post(client, "/next-login/clear", {}, token=token).status_code == 303
    assert client.get("/_mock/next-login?provider=vipps").get_json()["queue"] == []


def test_the_personas_pages_queue_a_person_where_they_have_an_account(client):
    listed = client.get(f"{CONSOLE}/personas").get_data(as_text=True)
    card = listed.split('data-persona="vipps-only"', 1)[1].split("</li>", 1)[0]
    assert '<input type="hidden" name="provider" value="vipps">' in card
    assert post(client, "/next-login", {"persona": "vipps-only", "provider": "vipps",
                                        "back": f"{CONSOLE}/personas"}).status_code == 303
    assert [e["selector"] for e in client.get("/_mock/next-login?provider=vipps").get_json()["queue"]] == ["vipps-only"]
    page = client.get(f"{CONSOLE}/personas/adult").get_data(as_text=True)
    choice = section(page, "queue-persona-provider", "</select>")
    assert re.findall(r'<option value="([^"]*)"', choice) == ["bankid", "vipps"]
    only = client.get(f"{CONSOLE}/personas/bankid-only").get_data(as_text=True)
    assert 'data-testid="queue-persona-provider"' not in only and 'name="provider" value="bankid"' in only


def test_the_requests_page_shows_both_providers_requests_and_which_each_went_to(client):
    assert client.get(BANKID_DISCOVERY).status_code == 200
    assert client.get(VIPPS_DISCOVERY).status_code == 200
    vipps_log = client.get("/_mock/requests?provider=vipps").get_json()["requests"]
    assert [(e["path"], e["provider"]) for e in vipps_log] == [(VIPPS_DISCOVERY, "vipps")]
    assert {e["provider"] for e in client.get("/_mock/requests").get_json()["requests"]} == {"bankid"}
    html = client.get(f"{CONSOLE}/requests").get_data(as_text=True)
    assert BANKID_DISCOVERY in html and VIPPS_DISCOVERY in html
    assert re.search(r'data-provider="vipps" data-testid="request-provider">Vipps</span> <code>GET '
                     + re.escape(VIPPS_DISCOVERY), html)
    assert post(client, "/requests/clear", {}).status_code == 303
    assert client.get("/_mock/requests?provider=vipps").get_json()["requests"] == []


def test_the_home_page_shows_each_providers_queue_and_the_index_names_the_provider_choice(client):
    assert client.post("/_mock/next-login", json={"persona": "vipps-only", "provider": "vipps"}).status_code == 201
    html = client.get("/").get_data(as_text=True)
    assert "<code>vipps-only</code>" in section(html, "queue-vipps", "</span>")
    assert "vipps-only" not in section(html, "queue-bankid", "</span>")
    calls = client.get("/_mock/").get_json()["control"]
    assert "provider: bankid|vipps" in calls["scenario"] and "provider: bankid|vipps" in calls["next_login"]
    assert "provider" in calls["token"]


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_the_home_page_says_what_is_on_for_each_provider_and_no_summary_of_bankid_alone(client, locale):
    """With Vipps in outage and a sign-in queued at Vipps, the home page said at the top that no
    scenario was on and the queue was empty (BankID's alone): now each provider's panel says it."""
    t = texts.NB if locale == "nb" else texts.EN
    assert client.put("/_mock/scenario?provider=vipps", json={"scenario": "outage"}).status_code == 200
    assert client.post("/_mock/next-login?provider=vipps", json={"persona": "vipps-only"}).status_code == 201
    html = client.get(f"/?ui_locales={locale}").get_data(as_text=True)
    top = html.split(f"<h2>{t['the_providers']}</h2>", 1)[0]
    assert t["no_scenario_active"] not in top and t["active_scenario"] not in top and t["queue"] not in top
    assert 'data-testid="active-scenario-vipps">outage<' in html
    assert f'data-testid="active-scenario-none-bankid">{t["no_scenario_active"]}<' in html
    assert '<span data-testid="queue-vipps"><code>vipps-only</code>' in html
    assert f'<span data-testid="queue-bankid">{t["queue_empty"]}<' in html


def _options(html: str, testid_or_name: str) -> list[str]:
    select = html.split(testid_or_name, 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]+)"', select)


def panel(app, name: str) -> set[str]:
    return {d.name for d in app.extensions[ENGINE_KEY].login_panel(name)}


def test_the_debugger_offers_only_people_with_a_bankid_and_refuses_one_without(app, client, provider):
    """The debugger signs in at BankID: a Vipps-only persona in its list came back as access_denied."""
    html = client.get(f"{CONSOLE}/debugger").get_data(as_text=True)
    offered = set(_options(html, 'data-testid="debugger-persona"'))
    assert offered == {x.id for x in provider.personas.for_provider("bankid", provider.today())}
    assert "adult" in offered and "vipps-only" not in offered and "under-18-vipps" not in offered
    bankid_only = panel(app, "bankid") - panel(app, "vipps")
    assert bankid_only <= set(_options(html, 'name="scenario"'))  # the debugger's scenarios: BankID's
    refused = post(client, "/debugger/start", {"persona": "vipps-only", "scope": ["openid"]},
                   token=csrf_of(client, f"{CONSOLE}/debugger"))
    assert refused.status_code == 400 and "vipps-only has no BankID account" in text_of(refused)


def test_a_persona_without_bankid_has_no_debugger_link_and_only_scenarios_of_their_providers(app, client):
    for_vipps, for_bankid = panel(app, "vipps"), panel(app, "bankid")
    assert for_bankid - for_vipps  # there are BankID-only ones (bankid-error, ...) to leave out
    vipps_only = client.get(f"{CONSOLE}/personas/vipps-only").get_data(as_text=True)
    assert set(_options(vipps_only, 'name="scenario"')) == for_vipps
    assert 'data-testid="debugger-link"' not in vipps_only and "/debugger?persona=vipps-only" not in vipps_only
    adult = client.get(f"{CONSOLE}/personas/adult").get_data(as_text=True)  # BankID and Vipps: both sets
    assert set(_options(adult, 'name="scenario"')) == for_bankid | for_vipps
    assert 'data-testid="debugger-link"' in adult
    listing = client.get(f"{CONSOLE}/personas").get_data(as_text=True)
    assert 'data-testid="debugger-link-adult"' in listing and "/debugger?persona=vipps-only" not in listing
    for name in sorted(for_vipps):  # every scenario the page offers can be queued for them
        queued = post(client, "/next-login", {"persona": "vipps-only", "provider": "vipps", "scenario": name})
        assert queued.status_code == 303, (name, text_of(queued))
