"""The web console on the Flask test client: CSRF, escaping, nb/en, and that every form does what the JSON API does.

The browser-level proof (clicks in Chromium against gunicorn, 390 px) is tests/test_console_browser.py.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import FIXTURES
from rp import ClientAuth, FlaskRP
from werkzeug.datastructures import MultiDict

from mock_bankid.app import create_app
from mock_bankid.bankid.dialect import BANKID
from mock_bankid.core.settings import Settings
from mock_bankid.endpoints.console import debugger, texts, web
from mock_bankid.endpoints.console.checks import age
from mock_bankid.oidc.clients import Client
from mock_bankid.scenarios.definitions import GROUPS
from mock_bankid.scenarios.engine import Scenarios

NO_SCENARIO = {"active": None, "providers": {"bankid": {"active": None}, "vipps": {"active": None}}}
"""GET /_mock/scenario with nothing on: BankID's state as before Vipps, and each provider's."""

CONSOLE = "/_mock/console"


@pytest.fixture(scope="module")
def shared_keys(tmp_path_factory):
    return tmp_path_factory.mktemp("keys")


@pytest.fixture
def settings(settings, shared_keys):
    return settings.with_(keys_dir=shared_keys)


def csrf_of(client, path: str = f"{CONSOLE}/switchboard") -> str:
    """Open a console page as a browser would: it sets the CSRF cookie and puts the token in its forms."""
    html = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    assert client.get_cookie(web.CSRF_COOKIE, path=CONSOLE).value == token
    return token


def post(client, path: str, data: dict, *, token: str | None = None):
    return client.post(f"{CONSOLE}{path}", data={"csrf_token": token or csrf_of(client), **data})


def text_of(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


# --- pages, languages ------------------------------------------------------------------------
def test_home_page_says_mock_and_lists_issuer_discovery_and_clients(client, provider):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = text_of(response)
    assert "MOCK" in page and "ikke BankID" in page
    assert provider.issuer in page and f"{provider.issuer}/.well-known/openid-configuration" in page
    for client_id in ("drop-web", "drop-mobile", "ci", debugger.CLIENT_ID):
        assert client_id in page
    assert "http://localhost:3000/api/auth/bankid/callback" in page and "client_secret_basic" in page
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", f"{CONSOLE}/", f"{CONSOLE}/debugger", f"{CONSOLE}/switchboard",
                                  f"{CONSOLE}/personas", f"{CONSOLE}/personas/adult", f"{CONSOLE}/requests"])
def test_every_page_comes_in_nb_and_en(client, path):
    nb = client.get(path)
    assert nb.status_code == 200 and '<html lang="nb">' in nb.get_data(as_text=True)
    assert texts.NB["nav_switchboard"] in text_of(nb)
    en = client.get(path + "?ui_locales=en")
    assert '<html lang="en">' in en.get_data(as_text=True) and texts.EN["nav_switchboard"] in text_of(en)
    assert texts.NB["nav_switchboard"] not in text_of(en)
    # chosen once, remembered: the next page without ui_locales is English too
    assert '<html lang="en">' in client.get(f"{CONSOLE}/switchboard").get_data(as_text=True)


CONSOLE_PAGES = ["/", f"{CONSOLE}/debugger", f"{CONSOLE}/switchboard", f"{CONSOLE}/personas",
                 f"{CONSOLE}/personas/adult", f"{CONSOLE}/requests"]


def server_wide_scenarios() -> list[str]:
    return [d.name for d in Scenarios.load(Settings(fixtures_dir=FIXTURES)).definitions.values() if d.points]


@pytest.mark.parametrize("name", server_wide_scenarios())
def test_every_console_page_stays_usable_and_shows_the_bar_during_every_scenario(client, name):
    token = csrf_of(client)
    assert post(client, "/scenario", {"scenario": name, "for_seconds": "30"}, token=token).status_code == 303
    for path in CONSOLE_PAGES:
        page = client.get(path)
        assert page.status_code == 200, (name, path, page.status_code)
        html = page.get_data(as_text=True)
        assert 'data-testid="scenario-bar"' in html and f'data-testid="scenario-bar-name">{name}<' in html, path
        # 30 s, less what a loaded machine took to get here
        assert re.search(r"\b(30|2\d) s igjen", text_of(page)) and f'action="{CONSOLE}/scenario/clear"' in html
    off = post(client, "/scenario/clear", {"back": f"{CONSOLE}/personas"})
    assert off.status_code == 303 and off.headers["Location"].startswith(f"{CONSOLE}/personas")
    assert 'data-testid="scenario-bar"' not in client.get(f"{CONSOLE}/personas").get_data(as_text=True)


def test_the_login_and_error_pages_show_the_bar_and_lead_to_the_switchboard(client, provider):
    post(client, "/scenario", {"scenario": "trap-nonce"})
    login = client.get(f"{provider.issuer}/precheck/auth", query_string={
        "client_id": "ci", "redirect_uri": "http://localhost:8000/callback", "response_type": "code",
        "scope": "openid", "state": "s", "nonce": "n", "ui_locales": "en", "code_challenge": "a" * 43,
        "code_challenge_method": "S256"})
    assert login.status_code == 200, text_of(login)
    html = login.get_data(as_text=True)
    assert 'data-testid="scenario-bar-name">trap-nonce<' in html and "Switch off in the console" in html
    assert f'href="{CONSOLE}/switchboard#scenario"' in html
    post(client, "/scenario", {"scenario": "outage"})
    down = client.get(f"{provider.issuer}/precheck/auth", query_string={"client_id": "ci"})
    assert down.status_code == 503 and 'data-testid="scenario-bar-name">outage<' in down.get_data(as_text=True)
    post(client, "/scenario/clear", {})
    assert 'data-testid="scenario-bar"' not in client.get(f"{provider.issuer}/precheck/auth",
                                            query_string={"client_id": "nobody"}).get_data(as_text=True)


def test_texts_have_the_same_keys_in_both_languages():
    assert set(texts.NB) == set(texts.EN)


def test_persona_descriptions_follow_the_language_on_the_console_and_the_login_page(client, provider):
    adult = provider.personas.get("adult", provider.today())
    assert adult.purpose_nb and adult.purpose_nb != adult.purpose
    assert adult.purpose_nb in text_of(client.get(f"{CONSOLE}/personas"))
    assert adult.purpose in text_of(client.get(f"{CONSOLE}/personas?ui_locales=en"))
    assert adult.purpose_nb in text_of(client.get(f"{CONSOLE}/personas/adult?ui_locales=nb"))
    login = client.get(f"{provider.issuer}/precheck/auth", query_string={
        "client_id": "ci", "redirect_uri": "http://127.0.0.1:5555/callback", "response_type": "code",
        "scope": "openid", "state": "s", "nonce": "n", "code_challenge": "a" * 43, "code_challenge_method": "S256"})
    assert adult.purpose_nb in text_of(login) and adult.purpose not in text_of(login)
    every = [p for p in provider.personas.all(provider.today())]
    assert all(p.purpose_nb for p in every), [p.id for p in every if not p.purpose_nb]


def test_static_assets_ship_in_the_package(client):
    css = client.get(f"{CONSOLE}/static/console.css")
    assert css.status_code == 200 and "console-nav" in css.get_data(as_text=True)
    assert client.get(f"{CONSOLE}/static/console.js").status_code == 200
    assert client.get("/static/console.css").status_code == 404  # one address, under /_mock
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/png" and icon.data.startswith(b"\x89PNG")


# --- CSRF ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path,data", [
    ("/scenario", {"scenario": "outage"}),
    ("/clock", {"action": "shift", "shift": "3600"}),
    ("/next-login", {"persona": "adult"}),
    ("/keys/rotate", {"alg": "RS256"}),
    ("/debugger/start", {"persona": "adult", "scope": "openid"}),
])
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(client, path, data):
    before = (client.get("/_mock/scenario").json, client.get("/_mock/clock").json["shift"],
              client.get("/_mock/next-login").json, len(client.get("/_mock/keys").json["keys"]))
    assert client.post(f"{CONSOLE}{path}", data=data).status_code == 403  # no cookie, no field
    token = csrf_of(client)
    wrong = token[:-1] + ("y" if token.endswith("x") else "x")
    refused = client.post(f"{CONSOLE}{path}", data={**data, "csrf_token": wrong})  # cookie, wrong field
    assert refused.status_code == 403 and texts.NB["refused_csrf"] in text_of(refused)
    client.delete_cookie(web.CSRF_COOKIE, path=CONSOLE)
    assert client.post(f"{CONSOLE}{path}", data={**data, "csrf_token": token}).status_code == 403  # field, no cookie
    after = (client.get("/_mock/scenario").json, client.get("/_mock/clock").json["shift"],
             client.get("/_mock/next-login").json, len(client.get("/_mock/keys").json["keys"]))
    assert after == before


def test_csrf_cookie_is_httponly_strict_and_scoped_to_the_console(client):
    cookie = client.get(f"{CONSOLE}/switchboard").headers["Set-Cookie"]
    assert cookie.startswith(f"{web.CSRF_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and f"Path={CONSOLE}" in cookie
    assert "Set-Cookie" not in client.get(f"{CONSOLE}/switchboard").headers  # set once, then kept


# --- the same as the JSON API ----------------------------------------------------------------
def test_switching_a_scenario_on_and_off_is_the_json_apis_state(client):
    response = post(client, "/scenario", {"scenario": "outage", "param.endpoints.sent": "1",
                                          "param.endpoints": ["token", "userinfo"], "param.retry_after": "7",
                                          "for_seconds": "120", "count": ""})
    assert response.status_code == 303 and response.headers["Location"].endswith("ok=scenario_on#scenario")
    active = client.get("/_mock/scenario").json["active"]
    assert active["scenario"] == "outage" and active["params"] == {"endpoints": ["token", "userinfo"], "retry_after": 7}
    assert active["for_seconds"] == 120 and active["count"] is None
    assert active["remaining_seconds"] == pytest.approx(120, abs=2)
    page = text_of(client.get(f"{CONSOLE}/switchboard?ok=scenario_on"))
    assert texts.NB["ok_scenario_on"] in page and "retry_after=7" in page and texts.NB["until"] in page
    assert client.get("/_mock/scenario").json["active"]["id"] == active["id"]
    assert post(client, "/scenario/clear", {}).status_code == 303
    assert client.get("/_mock/scenario").json == NO_SCENARIO


def test_a_bad_parameter_shows_the_json_apis_message_on_the_page(client):
    response = post(client, "/scenario", {"scenario": "slow", "param.seconds": "9999"})
    json_answer = client.put("/_mock/scenario", json={"scenario": "slow", "params": {"seconds": "9999"}})
    assert response.status_code == 400 and json_answer.status_code == 400
    assert json_answer.json["error_description"] in text_of(response)
    assert client.get("/_mock/scenario").json == NO_SCENARIO


def test_an_unknown_scenario_is_refused_as_by_the_api(client):
    response = post(client, "/scenario", {"scenario": "no-such-scenario"})
    assert response.status_code == 400
    api = client.put("/_mock/scenario", json={"scenario": "no-such-scenario"})
    assert api.json["error_description"] in text_of(response)


def test_scenarios_are_grouped_as_the_runbook_and_described_in_the_pages_language(client):
    html = client.get(f"{CONSOLE}/switchboard").get_data(as_text=True)
    groups = re.findall(r'<section class="scenario-group" id="g-([a-z-]+)"', html)
    assert groups == ["provider", "client", "session", "rate-limits", "traps"]
    sections = dict(zip(groups, re.split(r'<section class="scenario-group"', html)[1:], strict=True))
    assert 'data-scenario="outage"' in sections["provider"] and 'data-scenario="trap-nonce"' in sections["traps"]
    assert 'data-scenario="invalid-client"' in sections["client"] and 'data-scenario="cancel"' in sections["session"]
    assert 'data-scenario="rate-limit-strict"' in sections["rate-limits"]
    assert "venter <code>seconds</code> sekunder" in html and "`" not in text_of(client.get(f"{CONSOLE}/switchboard"))
    assert texts.NB["sgroup_traps"] in html and "Feller" not in html
    english = client.get(f"{CONSOLE}/switchboard?ui_locales=en").get_data(as_text=True)
    assert "sleeps <code>seconds</code> at the chosen endpoints" in english and texts.EN["sgroup_client"] in english


def test_every_scenario_has_a_group_and_a_norwegian_summary(provider):
    for d in Scenarios.load(provider.settings).definitions.values():
        assert d.group in GROUPS and d.summary_nb and d.summary_nb != d.summary, d.name


def test_the_clock_shows_oslo_time_and_keys_say_when_they_sign(client):
    html = client.get(f"{CONSOLE}/switchboard").get_data(as_text=True)
    assert re.search(r'data-testid="clock-oslo">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T<', html)
    says = dict(re.findall(r'class="key state-([a-z]+)"[^>]*>.*?data-testid="key-says">([^<]*)<', html, re.S))
    assert says["current"].startswith(texts.NB["key_signs_since"])
    assert says["previous"].startswith(texts.NB["key_never_signed"])  # a first set's previous key never signed
    assert says["next"].strip() == texts.NB["key_waits"]


def test_clock_shift_advance_reset(client):
    assert post(client, "/clock", {"action": "shift", "shift": "3600"}).status_code == 303
    assert client.get("/_mock/clock").json["shift"] == 3600
    assert post(client, "/clock", {"action": "advance", "advance": "60"}).status_code == 303
    assert client.get("/_mock/clock").json["shift"] == 3660
    bad = post(client, "/clock", {"action": "shift", "shift": "nan"})
    assert bad.status_code == 400 and "100 years" in text_of(bad)
    assert post(client, "/clock", {"action": "reset"}).status_code == 303
    assert client.get("/_mock/clock").json["shift"] == 0


def test_key_rotation_with_an_activation_time(client, provider):
    before = {k["kid"]: k for k in client.get("/_mock/keys").json["keys"]}
    promoted = provider.keys.next_kid("ES256")
    assert post(client, "/keys/rotate", {"alg": "ES256", "activate_after": "120"}).status_code == 303
    after = {k["kid"]: k for k in client.get("/_mock/keys").json["keys"]}
    new = [k for kid, k in after.items() if kid not in before]
    assert len(new) == 1 and new[0]["alg"] == "ES256" and new[0]["state"] == "next"  # the new next key
    assert before[promoted]["state"] == "next" and after[promoted]["state"] == "next"  # signs in 120 s
    assert after[promoted]["activates_at"] == pytest.approx(provider.clock() + 120, abs=5)
    page = text_of(client.get(f"{CONSOLE}/switchboard"))
    assert new[0]["kid"] in page and promoted in page
    assert post(client, "/keys/rotate", {"alg": "RS256", "activate_after": "90000"}).status_code == 400


def test_queueing_a_persona_is_the_json_queue(client):
    assert post(client, "/next-login", {"persona": "under-18", "back": f"{CONSOLE}/personas"}).status_code == 303
    assert client.get("/_mock/next-login").json == {"queue": [{"selector": "under-18", "scenario": None}]}
    assert post(client, "/next-login", {"selector": "age:17", "scenario": "trap-nonce"}).status_code == 303
    assert client.get("/_mock/next-login").json["queue"][-1] == {"selector": "age:17", "scenario": "trap-nonce"}
    unknown = post(client, "/next-login", {"persona": "nobody-like-this", "back": f"{CONSOLE}/personas"})
    assert unknown.status_code == 400 and "unknown persona" in text_of(unknown)
    assert post(client, "/next-login/clear", {}).status_code == 303
    assert client.get("/_mock/next-login").json == {"queue": []}


def test_a_refusal_is_an_error_of_the_one_family_shown_as_a_console_page(client):
    """Raised as ``web.Refused`` (an OAuthError) and delivered by ``mock_bankid.http.web.render_error``
    through the console's registered page: its layout, the reader's language, the error's code."""
    refused = client.post(f"{CONSOLE}/scenario?ui_locales=en", data={"scenario": "outage"})
    assert refused.status_code == 403 and refused.mimetype == "text/html"
    assert texts.EN["refused_csrf"] in text_of(refused) and "access_denied" in text_of(refused)
    assert refused.headers["Cache-Control"] == "no-store" and "default-src 'none'" in refused.headers[
        "Content-Security-Policy"]
    missing = client.get(f"{CONSOLE}/personas/no-such-person")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert texts.EN["refused_no_persona"] in text_of(missing) and "not_found" in text_of(missing)
    assert client.get("/_mock/scenario").json["active"] is None  # the refused POST changed nothing


def test_persona_search(client):
    page = text_of(client.get(f"{CONSOLE}/personas?q=tenor"))
    assert "tenor-minor" in page and "tenor-d-number" in page and "adult-1985" not in page
    assert "turns-18-today" in text_of(client.get(f"{CONSOLE}/personas?q=fyller 18 i dag"))
    assert client.get(f"{CONSOLE}/personas/no-such-person").status_code == 404


def badges(html: str, persona_id: str) -> list[str]:
    """The provider badges on a persona's card (the list) or in its details (the persona page)."""
    if f'data-persona="{persona_id}"' in html:
        html = html.split(f'data-persona="{persona_id}"', 1)[1].split("</li>", 1)[0]
    shown = html.split('data-testid="providers"', 1)[1].split("</span></span>", 1)[0] + "</span>"
    return re.findall(r'data-provider="([a-z]+)">([^<]+)</span>', shown)


def test_every_persona_says_whether_it_has_bankid_vipps_or_both(client, provider):
    listed = {x["id"]: x["providers"] for x in client.get("/_mock/personas").json["personas"]}
    assert (listed["vipps-only"], listed["bankid-only"], listed["adult"], listed["bad-k2"]) == (
        ["vipps"], ["bankid"], ["bankid", "vipps"], ["bankid"])
    queued = client.post("/_mock/next-login", json={"persona": "under-18-vipps", "provider": "vipps"}).json
    assert queued["persona"]["providers"] == ["vipps"]
    client.delete("/_mock/next-login")
    html = client.get(f"{CONSOLE}/personas").get_data(as_text=True)
    assert badges(html, "vipps-only") == [("vipps", "Vipps")]
    assert badges(html, "bankid-only") == [("bankid", "BankID")]
    assert badges(html, "adult") == [("bankid", "BankID"), ("vipps", "Vipps")]
    for locale, label in (("nb", texts.NB["providers"]), ("en", texts.EN["providers"])):
        page = client.get(f"{CONSOLE}/personas/under-18-vipps?ui_locales={locale}").get_data(as_text=True)
        assert f"<dt>{label}</dt>" in page and badges(page, "under-18-vipps") == [("vipps", "Vipps")]
    assert texts.NB["providers"] != texts.EN["providers"]
    page = text_of(client.get(f"{CONSOLE}/personas/vipps-phone-changed"))
    assert "previous_phone_number" in page and "+4791234567" in page
    found = re.findall(r'<li class="card" data-persona="([^"]+)"',
                       client.get(f"{CONSOLE}/personas?q=vipps minors").get_data(as_text=True))
    assert "under-18-vipps" in found and "under-18" in found and "bad-k2" not in found


def test_persona_tabs_show_one_group_with_counts_and_keep_the_search(client):
    html = client.get(f"{CONSOLE}/personas?group=minors").get_data(as_text=True)
    shown = re.findall(r'<li class="card" data-persona="([^"]+)"', html)
    assert shown and "under-18" in shown and "adult" not in shown
    counts = dict(re.findall(r'data-group="([a-z]+)"[^>]*>[^<]*<span class="count">(\d+)<', html))
    assert int(counts["minors"]) == len(shown) and set(counts) == {"adults", "minors", "edge", "malformed"}
    searched = client.get(f"{CONSOLE}/personas?group=edge&q=tenor").get_data(as_text=True)
    cards = re.findall(r'<li class="card" data-persona="([^"]+)"', searched)
    assert "tenor-18-today" in cards and "tenor-minor" not in cards and "adult" not in cards
    assert 'href="/_mock/console/personas?group=minors&amp;q=tenor"' in searched
    assert client.get(f"{CONSOLE}/personas?group=<x>").status_code == 200  # an unknown group: all of them


def test_the_request_log_shows_the_error_and_groups_a_sign_in(client):
    rp = FlaskRP(client)
    first = rp.sign_in("adult")
    tokens = rp.json_of(rp.redeem(first))
    assert rp.userinfo(tokens["access_token"]).status_code == 200
    second = rp.sign_in("adult")
    assert rp.redeem(second, auth=ClientAuth("client_secret_basic", "ci", "wrong-secret")).status_code == 401
    client.get("/favicon.ico")
    html = client.get(f"{CONSOLE}/requests").get_data(as_text=True)
    assert "/favicon.ico" not in html and "wrong-secret" not in html
    errors = re.findall(r'data-testid="request-error"><code>([a-z_]+)</code> ([^<]*)<', html)
    assert len(errors) == 1 and errors[0][0] == "invalid_client" and "secret" in errors[0][1], errors
    sign_ins = html.split('data-testid="sign-in"')[1:]
    groups = [re.findall(r"<code>(?:GET|POST) [^<]*/([a-z-]+)</code>", g) for g in sign_ins]
    assert groups == [["auth", "token"], ["auth", "token", "userinfo"]], groups  # newest sign-in first


def test_the_request_log_page_shows_decoded_tokens_and_redacts_secrets(client, provider):
    token = provider.keys.sign({"sub": "someone", "iss": provider.issuer}, alg="ES256", typ="JWT")
    client.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    client.post(f"{provider.issuer}/protocol/openid-connect/token", data={
        "grant_type": "authorization_code", "code": "the-code", "client_secret": "hush", "client_id": "ci"})
    entry = client.get("/_mock/requests?path=userinfo").json["requests"][-1]
    assert entry["headers"]["Authorization"] == "Bearer [redacted]"
    assert entry["tokens"]["Authorization"]["claims"]["sub"] == "someone"
    assert entry["tokens"]["Authorization"]["signature"] == "[redacted]"
    page = client.get(f"{CONSOLE}/requests").get_data(as_text=True)
    assert "someone" in page and token.split(".")[2] not in page
    assert "hush" not in page and "the-code" not in page
    fragment = client.get(f"{CONSOLE}/requests?fragment=1").get_data(as_text=True)
    assert "<html" not in fragment and "/userinfo" in fragment
    assert not any(e["path"].startswith(CONSOLE) for e in client.get("/_mock/requests").json["requests"])


# --- escaping --------------------------------------------------------------------------------
SCRIPT = "<script>alert(1)</script>"


def test_a_persona_with_script_in_it_is_shown_as_text(tmp_path, settings):
    fixtures = tmp_path / "fx"
    shutil.copytree(FIXTURES, fixtures)
    with (fixtures / "personas.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[[persona]]\nid = "xss"\ngroup = "adults"\npurpose = "{SCRIPT}"\npurpose_nb = "{SCRIPT}"\n'
                 f'age = 40\ngiven_name = "{SCRIPT}"\n')
    client = create_app(settings.with_(fixtures_dir=fixtures)).test_client()
    paths = (f"{CONSOLE}/personas", f"{CONSOLE}/personas/xss", f"{CONSOLE}/debugger", f"{CONSOLE}/personas?q={SCRIPT}")
    for path in paths:
        html = client.get(path).get_data(as_text=True)
        assert SCRIPT not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


def test_a_scenario_parameter_with_script_in_it_is_shown_as_text(client):
    assert post(client, "/scenario", {"scenario": "trap-wrong-iss", "param.iss": SCRIPT}).status_code == 303
    assert client.get("/_mock/scenario").json["active"]["params"]["iss"] == SCRIPT
    for path in ("/", f"{CONSOLE}/switchboard", f"{CONSOLE}/debugger"):
        html = client.get(path).get_data(as_text=True)
        assert SCRIPT not in html and "&lt;script&gt;" in html, path


def test_the_back_field_never_redirects_elsewhere(client):
    response = post(client, "/clock", {"action": "reset", "back": "https://evil.example/"})
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).netloc in ("", "localhost")
    assert urlsplit(response.headers["Location"]).path == f"{CONSOLE}/switchboard"


# --- the control token -----------------------------------------------------------------------
def test_with_a_control_token_required_the_console_asks_for_it_and_keeps_it_in_a_cookie(client, monkeypatch):
    monkeypatch.setattr(web, "control_token_ok",
                        lambda request: request.cookies.get("mock_bankid_control") == "s3cret")
    page = client.get(f"{CONSOLE}/switchboard").get_data(as_text=True)
    assert 'data-testid="token-form"' in page
    refused = post(client, "/scenario", {"scenario": "outage"})
    assert refused.status_code == 401 and texts.NB["refused_control_token"] in text_of(refused)
    assert client.get("/_mock/scenario").json == NO_SCENARIO
    saved = post(client, "/control-token", {"token": "s3cret", "back": f"{CONSOLE}/switchboard"})
    cookie = saved.headers["Set-Cookie"]
    assert saved.status_code == 303 and "mock_bankid_control=s3cret" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/_mock" in cookie
    assert 'data-testid="token-form"' not in client.get(f"{CONSOLE}/switchboard").get_data(as_text=True)
    assert post(client, "/scenario", {"scenario": "outage"}).status_code == 303
    assert client.get("/_mock/scenario").json["active"]["scenario"] == "outage"


def test_on_loopback_without_a_token_configured_nothing_is_asked(client):
    assert 'data-testid="token-form"' not in client.get(f"{CONSOLE}/switchboard").get_data(as_text=True)


# --- the debugger ----------------------------------------------------------------------------
def run_debugger(client, provider, **form):
    """The debugger's whole flow on the test client: start, authorize (login_hint/queue), callback, result."""
    data = {"persona": "adult", "scope": ["openid", "profile", "nnin_altsub"], **form}
    start = post(client, "/debugger/start", data, token=csrf_of(client, f"{CONSOLE}/debugger"))
    assert start.status_code == 303, text_of(start)
    authorize = urlsplit(start.headers["Location"])
    sent = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert sent["client_id"] == debugger.CLIENT_ID
    if "request_uri" not in sent:  # a payment is pushed (PAR): only client_id and request_uri in the URL
        assert sent["code_challenge_method"] == "S256"
        assert sent["redirect_uri"] == debugger.redirect_uri(provider.settings)
    back = client.get(authorize.path, query_string=sent)
    assert back.status_code == 302, text_of(back)
    callback = urlsplit(back.headers["Location"])
    assert callback.path == f"{CONSOLE}/debugger/callback"
    result = client.get(callback.path, query_string=callback.query)
    assert result.status_code == 303
    page = client.get(result.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    marks = dict(re.findall(r'data-check="([a-z_]+)" data-ok="([a-z]+)"', html))
    client.last_result = result.headers["Location"]
    return html, marks


def test_the_debugger_signs_in_and_every_check_passes(client, provider):
    html, marks = run_debugger(client, provider, scope=["openid", "profile", "nnin_altsub", "offline_access"])
    assert set(marks) == {"state", "callback_iss", "token", "signature", "iss", "aud", "exp", "iat", "nonce",
                          "at_hash", "age", "userinfo"}
    assert set(marks.values()) == {"pass"}, marks
    nnin = provider.personas.get("adult", provider.today()).nnin
    assert nnin in unescape(html) and 'data-testid="refresh-token"' in html
    assert texts.NB["checks_all_passed"] in html


def steps_of(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-step="([a-z]+)" data-ok="([a-z]+)"', html)


def test_the_timeline_shows_each_step_in_order_with_its_status(client, provider):
    html, _marks = run_debugger(client, provider)
    assert steps_of(html) == [("authorize", "pass"), ("login", "pass"), ("callback", "pass"), ("discovery", "pass"),
                              ("token", "pass"), ("jwks", "pass"), ("userinfo", "pass")]
    assert texts.NB["signed_in_by_login_hint"] in html and 'data-testid="sso-notice"' not in html
    html, _marks = run_debugger(client, provider, scenario="trap-nonce")
    assert dict(steps_of(html))["token"] == "fail" and dict(steps_of(html))["jwks"] == "pass"
    html, _marks = run_debugger(client, provider, scenario="server-error")  # an error instead of a code
    assert steps_of(html) == [("authorize", "fail"), ("login", "skip"), ("callback", "pass")]
    assert '<code class="note">server_error</code>' in html


def test_a_reused_sso_session_is_said_and_a_fresh_sign_in_offered(client, provider):
    run_debugger(client, provider)  # signs in and leaves an SSO session in this browser (within the same second)
    html, marks = run_debugger(client, provider, persona="")
    assert set(marks.values()) == {"pass"}
    assert 'data-testid="sso-notice"' in html and texts.NB["signed_in_by_sso"] in html
    fresh = re.search(r'<form method="post" action="[^"]*/debugger/start">(.*?)</form>', html, re.S)[1]
    fields = re.findall(r'name="([a-z_]+)" value="([^"]*)"', fresh)
    assert ("prompt", "login") in fields
    start = client.post(f"{CONSOLE}/debugger/start", data=MultiDict([(k, unescape(v)) for k, v in fields]))
    assert start.status_code == 303 and "prompt=login" in start.headers["Location"]
    login_page = client.get(start.headers["Location"])
    assert login_page.status_code == 200 and 'data-testid="nnin-input"' in login_page.get_data(as_text=True)


def test_the_debugger_offers_only_scopes_that_release_something(client, monkeypatch):
    """Every scope releases something today (the consent scopes after consent, docs/fidelity.md); a
    dialect that retires some stops offering them and says why."""
    html = client.get(f"{CONSOLE}/debugger").get_data(as_text=True)
    offered = set(re.findall(r'name="scope" value="([a-z_]+)"', html))
    assert offered == set(BANKID.supported_scopes) and 'data-testid="retired-scopes"' not in html
    p = client.application.extensions["mock_bankid"]
    monkeypatch.setattr(p, "dialect", dataclasses.replace(BANKID, retired_scopes=("email", "phone")))
    html = client.get(f"{CONSOLE}/debugger").get_data(as_text=True)
    offered = set(re.findall(r'name="scope" value="([a-z_]+)"', html))
    assert offered == set(BANKID.supported_scopes) - {"email", "phone"}
    assert "email, phone" in html


@pytest.mark.parametrize("trap,check", [
    ("trap-nonce", "nonce"), ("trap-wrong-iss", "iss"), ("trap-wrong-aud", "aud"), ("trap-expired", "exp"),
    ("trap-future-iat", "iat"), ("trap-at-hash", "at_hash"), ("trap-unknown-kid", "signature"),
    ("trap-bad-signature", "signature"), ("trap-alg-none", "signature"), ("trap-hs256", "signature"),
    ("trap-missing-nnin", "age"),
])
def test_each_trap_fails_exactly_its_check(client, provider, trap, check):
    html, marks = run_debugger(client, provider, scenario=trap)
    failed = {k for k, v in marks.items() if v == "fail"}
    assert failed == {check}, marks
    assert texts.NB["checks_failed"] in html


def test_the_debugger_shows_the_age_of_an_under_18(client, provider):
    html, marks = run_debugger(client, provider, persona="under-18", ui_locales="en")
    assert marks["age"] == "pass"
    assert "17 år" in unescape(html) and "UNDER 18" in html
    url = urlsplit(client.last_result)
    english = client.get(f"{url.path}?{url.query}&ui_locales=en").get_data(as_text=True)
    assert "17 years" in unescape(english) and "an age-gated service must refuse" in english


def test_a_server_wide_outage_shows_in_the_debugger_as_the_error_page(client, provider):
    post(client, "/scenario", {"scenario": "outage"})
    start = post(client, "/debugger/start", {"persona": "adult", "scope": "openid"})
    assert client.get(start.headers["Location"]).status_code == 503


def test_a_callback_without_a_waiting_flow_is_refused(client):
    response = client.get(f"{CONSOLE}/debugger/callback?code=x&state=y")
    assert response.status_code == 400 and texts.NB["refused_no_flow"] in text_of(response)


def test_a_scenario_without_a_persona_is_explained(client):
    response = post(client, "/debugger/start", {"scenario": "trap-nonce", "scope": "openid"})
    assert response.status_code == 400 and texts.NB["need_persona_for_scenario"] in text_of(response)


def test_the_debuggers_client_cannot_redirect_anywhere_else(client, provider):
    response = client.get(f"{provider.issuer}/precheck/auth", query_string={
        "client_id": debugger.CLIENT_ID, "redirect_uri": "https://evil.example/cb", "response_type": "code",
        "scope": "openid", "state": "s", "nonce": "n", "code_challenge": "a" * 43, "code_challenge_method": "S256"})
    assert response.status_code == 400 and "Location" not in response.headers
    registered = provider.clients.get(debugger.CLIENT_ID).redirect_uris
    assert registered == (f"{provider.settings.base_url}{CONSOLE}/debugger/callback",)


def test_a_fixture_client_cannot_take_the_debuggers_id(provider):
    with pytest.raises(ValueError, match="reserved"):
        provider.clients.add(Client(client_id=debugger.CLIENT_ID, redirect_uris=("https://evil.example/",)))


def test_age_check_rules(provider):
    today = provider.today()
    adult = provider.personas.get("adult-1985", today)
    assert age({"nnin_altsub": adult.nnin}, today).detail == "adult"
    assert age({"nnin_altsub": adult.nnin, "birthdate": "1990-01-01"}, today).ok is False
    assert age({}, today).detail == "no_number"
    assert age({"pid": "12038A00110"}, today).detail == "invalid_number"


def test_the_console_shows_and_acts_on_the_realm_it_was_given(client):
    """?realm= picks the realm (remembered in a cookie): the switchboard's queue form then queues
    in that realm, and the home realm is untouched."""
    page = client.get("/_mock/console/switchboard?realm=qa-1")
    assert page.status_code == 200 and 'value="qa-1"' in page.get_data(as_text=True)
    follow = client.get("/_mock/console/switchboard")  # the cookie keeps the realm
    assert 'value="qa-1"' in follow.get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', follow.get_data(as_text=True))[1]
    queued = client.post("/_mock/console/next-login", data={"csrf_token": csrf, "persona": "under-18",
                                                            "back": "/_mock/console/switchboard"})
    assert queued.status_code == 303
    assert [e["selector"] for e in client.get("/_mock/next-login?realm=qa-1").json["queue"]] == ["under-18"]
    assert client.get("/_mock/next-login").json["queue"] == []
    back = client.get("/_mock/console/switchboard?realm=current")
    assert 'value="current"' in back.get_data(as_text=True)


def test_the_debugger_approves_a_payment_through_par_and_checks_the_digest(client, provider):
    html, marks = run_debugger(client, provider, payment_amount="250.00", payment_text="Innskudd")
    assert marks["permission_digest"] == "pass" and set(marks.values()) == {"pass"}, marks
    assert "permission_digest" in unescape(html) and "payment.v1" in unescape(html)
    _html, marks = run_debugger(client, provider, payment_amount="250.00", scenario="trap-permission-digest")
    assert marks["permission_digest"] == "fail", marks
