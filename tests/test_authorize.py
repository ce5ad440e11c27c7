"""The authorize endpoint at unit level (Flask test client): every check and where its error goes."""

from __future__ import annotations

import re

import pytest
from rp import CI_REDIRECT, FlaskRP, query_of

AUTH = "/auth/realms/current/precheck/auth"
LOGIN = "/auth/realms/current/precheck/login"


def rp_on(client) -> FlaskRP:
    """The driver as this module uses it: no login_hint unless a test gives one; fixed state and nonce."""
    return FlaskRP(client, login_hint=None, state="st-123", nonce="n-456")


@pytest.fixture
def rp(client) -> FlaskRP:
    return rp_on(client)


# --- untrusted: error page, never a redirect --------------------------------------------
@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"client_id": None}, "invalid_request"),
        ({"client_id": "nobody"}, "invalid_client"),
        ({"redirect_uri": None}, "invalid_request"),
        ({"redirect_uri": "http://evil.example/callback"}, "invalid_request"),
        ({"redirect_uri": "http://localhost:3001/api/auth/bankid/callback/x"}, "invalid_request"),
        ({"client_id": "bankid-strict", "redirect_uri": "http://localhost:3001/api/auth/bankid/callback"},
         "invalid_request"),
        ({"redirect_uri": "http://127.0.0.1.evil.example:5555/callback"}, "invalid_request"),
    ],
)
def test_untrusted_client_or_redirect_gets_an_error_page(rp, overrides, error):
    response = rp.authorize(**overrides).response
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert error in body
    assert "MOCK" in body


def test_redirect_mismatch_page_names_the_cause(rp):
    body = rp.authorize(redirect_uri="http://localhost:3000/other").response.get_data(as_text=True)
    assert "redirect_uri_mismatch" in body


def test_reflected_input_is_escaped_on_the_error_page(rp):
    body = rp.authorize(client_id="<script>alert(1)</script>").response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


# --- trusted: errors go back to the client ----------------------------------------------
@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"scope": "openid bogus"}, "invalid_scope"),
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"nonce": None}, "invalid_request"),
        ({"acr_values": "urn:bankid:nope"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"login_hint": "no-such-persona"}, "invalid_request"),
    ],
)
def test_trusted_errors_redirect_with_state(rp, overrides, error):
    response = rp.authorize(**overrides).response
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(CI_REDIRECT + "?")
    q = query_of(location)
    assert q["error"] == error
    assert q["state"] == "st-123"
    assert q["error_description"]
    assert q["iss"] == "http://localhost:8080/auth/realms/current"


def test_missing_state_is_an_error_without_state(rp):
    q = query_of(rp.authorize(state=None).response.headers["Location"])
    assert q["error"] == "invalid_request"
    assert "state" not in q
    assert "require_state" in q["error_description"]


def test_pkce_error_explains_how_to_relax(rp):
    q = query_of(rp.authorize(code_challenge=None, code_challenge_method=None).response.headers["Location"])
    assert "require_pkce = false" in q["error_description"]


def test_scope_not_registered_for_client(rp):
    response = rp.authorize(client_id="drop-mobile", redirect_uri="drop://auth/callback", scope="openid email").response
    q = query_of(response.headers["Location"])
    assert response.headers["Location"].startswith("drop://auth/callback?")
    assert q["error"] == "invalid_scope"


def test_duplicate_parameter_is_invalid_request(rp):
    response = rp.authorize(append=[("state", "again")]).response
    assert query_of(response.headers["Location"])["error"] == "invalid_request"


def test_fragment_mode_puts_the_error_in_the_fragment(rp):
    location = rp.authorize(response_mode="fragment", response_type="token").response.headers["Location"]
    assert location.startswith(CI_REDIRECT + "#")
    assert query_of(location)["error"] == "unsupported_response_type"


def test_form_post_mode_renders_an_auto_submitting_form(rp):
    response = rp.authorize(response_mode="form_post", login_hint="adult").response
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'action="{CI_REDIRECT}"' in html
    assert re.search(r'name="code" value="[^"]+"', html)
    assert 'name="state" value="st-123"' in html
    assert "<noscript>" in html
    assert "nonce-" in response.headers["Content-Security-Policy"]


def test_unknown_response_mode_falls_back_to_query_for_the_error(rp):
    q = query_of(rp.authorize(response_mode="web_message").response.headers["Location"])
    assert q["error"] == "invalid_request"


def test_post_authorize_works_like_get(rp):
    response = rp.authorize(method="POST", login_hint="adult").response
    assert response.status_code == 302
    assert "code" in query_of(response.headers["Location"])


# --- who signs in ----------------------------------------------------------------------
def test_without_anyone_chosen_the_login_page_is_shown(rp):
    response = rp.authorize().response
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "MOCK" in html and "data-persona=\"adult\"" in html
    for group in ("Voksne", "Under 18"):
        assert group in html
    assert 'name="csrf_token"' in html


def test_the_login_page_search_shows_the_matching_personas_and_still_signs_in(rp):
    page = rp.login_page(ui_locales="en")
    found = rp.submit_login(page, action="search", q="tenor 18")
    assert found.status == 200
    shown = set(re.findall(r'data-persona="([^"]+)"', found.text))
    assert shown and "tenor-18-today" in shown and "adult" not in shown
    assert all("tenor" in persona for persona in shown), shown
    assert 'data-testid="login-search-clear"' in found.text
    nothing = rp.submit_login(page, action="search", q="<nobody>")
    assert "No match." in nothing.text and "&lt;nobody&gt;" in nothing.text
    signed_in = rp.submit_login(page, persona="tenor-18-today")  # the same login session goes on
    assert signed_in.status == 302 and "code" in query_of(signed_in.location)


@pytest.mark.parametrize("locale, word", [("en", "Adults"), ("nb", "Voksne"), ("no", "Voksne"), ("nn", "Vaksne"),
                                         ("fr en", "Adults")])
def test_ui_locales_choose_the_language(rp, locale, word):
    html = rp.authorize(ui_locales=locale).response.get_data(as_text=True)
    assert word in html


def test_login_hint_persona_signs_in_headless(rp):
    response = rp.authorize(login_hint="adult").response
    assert response.status_code == 302
    q = query_of(response.headers["Location"])
    assert q["code"] and q["state"] == "st-123"


def test_prompt_none_with_a_session_signs_in(rp):
    assert rp.authorize(login_hint="adult").response.status_code == 302
    q = query_of(rp.authorize(prompt="none").response.headers["Location"])
    assert "code" in q


def test_prompt_login_forces_the_page_despite_a_session(rp):
    assert rp.authorize(login_hint="adult").status == 302  # a session now exists
    assert rp.authorize(prompt="login").response.status_code == 200


def test_next_login_queue_beats_login_hint(client, rp, provider):
    assert client.post("/_mock/next-login", json={"persona": "under-18"}).status_code == 201
    code = query_of(rp.authorize(login_hint="adult").response.headers["Location"])["code"]
    record = provider.store.get("code", code)
    assert record["grant"]["persona"]["id"] == "under-18"
    # the queue is used once
    code = query_of(rp.authorize(login_hint="adult").response.headers["Location"])["code"]
    assert provider.store.get("code", code)["grant"]["persona"]["id"] == "adult"


def test_next_login_rejects_unknown_persona(client):
    response = client.post("/_mock/next-login", json={"persona": "nobody-at-all"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_auto_login_setting(settings):
    from mock_bankid.app import create_app

    app = create_app(settings.with_(auto_login="turns-18-today"))
    c = app.test_client()
    code = query_of(rp_on(c).authorize().response.headers["Location"])["code"]
    assert app.extensions["mock_bankid"].store.get("code", code)["grant"]["persona"]["id"] == "turns-18-today"


def test_login_page_persona_click_signs_in(rp):
    response = rp.submit_login(rp.login_page(), persona="adult").response
    assert response.status_code == 302
    assert "code" in query_of(response.headers["Location"])


def test_login_page_cancel_gives_access_denied(rp):
    """BankID documents cancel as error=access_denied&state=...: no error_description (no BankID code applies)."""
    response = rp.submit_login(rp.login_page(), action="cancel").response
    q = query_of(response.headers["Location"])
    assert set(q) == {"error", "state", "iss"}
    assert q["error"] == "access_denied" and q["state"] == "st-123"


def test_login_page_rejects_a_forged_post(rp):
    response = rp.submit_login(rp.login_page(), csrf="forged", persona="adult").response
    assert response.status_code == 403
    assert "Location" not in response.headers


def test_login_page_any_number_even_malformed(rp, provider):
    response = rp.submit_login(rp.login_page(), action="number", nnin="12038500111").response
    code = query_of(response.headers["Location"])["code"]
    assert provider.store.get("code", code)["grant"]["persona"]["nnin"] == "12038500111"


def test_login_session_expires(client, rp):
    page = rp.login_page()
    client.put("/_mock/clock", json={"advance": 601})
    response = rp.submit_login(page, persona="adult").response
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("acr_values, acr", [("urn:bankid:bid", "urn:bankid:bid;LOA=4"),
                                             ("urn:bankid:bis", "urn:bankid:bis;LOA=3"),
                                             ("urn:bankid:bis urn:bankid:bid", "urn:bankid:bis;LOA=3")])
def test_acr_values_map_to_acr(rp, provider, acr_values, acr):
    code = query_of(rp.authorize(login_hint="adult", acr_values=acr_values).response.headers["Location"])["code"]
    assert provider.store.get("code", code)["grant"]["acr"] == acr


def test_public_client_must_use_pkce_even_if_relaxed(rp):
    response = rp.authorize(client_id="drop-mobile", redirect_uri="drop://auth/callback",
                   scope="openid", code_challenge=None, code_challenge_method=None).response
    assert query_of(response.headers["Location"])["error"] == "invalid_request"


def test_expo_redirect_matches_wildcard_host(rp):
    response = rp.authorize(client_id="drop-mobile", redirect_uri="exp://192.168.1.20:8081/--/auth/callback",
                   scope="openid", login_hint="adult").response
    assert response.headers["Location"].startswith("exp://192.168.1.20:8081/--/auth/callback?code=")
