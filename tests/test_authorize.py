"""The authorize endpoint at unit level (Flask test client): every check and where its error goes."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from conftest import CI_REDIRECT, pkce_pair, query_of

AUTH = "/auth/realms/current/precheck/auth"


def params(**overrides):
    _verifier, challenge = pkce_pair()
    base = {
        "client_id": "ci",
        "redirect_uri": CI_REDIRECT,
        "response_type": "code",
        "scope": "openid profile nnin_altsub",
        "state": "st-123",
        "nonce": "n-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def get(client, **overrides):
    return client.get(AUTH + "?" + urlencode(params(**overrides)))


# --- untrusted: error page, never a redirect --------------------------------------------
@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"client_id": None}, "invalid_request"),
        ({"client_id": "nobody"}, "invalid_client"),
        ({"redirect_uri": None}, "invalid_request"),
        ({"redirect_uri": "http://evil.example/callback"}, "invalid_request"),
        ({"redirect_uri": "http://localhost:3001/api/auth/bankid/callback/x"}, "invalid_request"),
        ({"client_id": "bankid-strict", "redirect_uri": "http://localhost:3001/api/auth/bankid/callback"}, "invalid_request"),
        ({"redirect_uri": "http://127.0.0.1.evil.example:5555/callback"}, "invalid_request"),
    ],
)
def test_untrusted_client_or_redirect_gets_an_error_page(client, overrides, error):
    response = get(client, **overrides)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert error in body
    assert "MOCK" in body


def test_redirect_mismatch_page_names_the_cause(client):
    body = get(client, redirect_uri="http://localhost:3000/other").get_data(as_text=True)
    assert "redirect_uri_mismatch" in body


def test_reflected_input_is_escaped_on_the_error_page(client):
    body = get(client, client_id="<script>alert(1)</script>").get_data(as_text=True)
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
def test_trusted_errors_redirect_with_state(client, overrides, error):
    response = get(client, **overrides)
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(CI_REDIRECT + "?")
    q = query_of(location)
    assert q["error"] == error
    assert q["state"] == "st-123"
    assert q["error_description"]
    assert q["iss"] == "http://localhost:8080/auth/realms/current"


def test_missing_state_is_an_error_without_state(client):
    q = query_of(get(client, state=None).headers["Location"])
    assert q["error"] == "invalid_request"
    assert "state" not in q
    assert "require_state" in q["error_description"]


def test_pkce_error_explains_how_to_relax(client):
    q = query_of(get(client, code_challenge=None, code_challenge_method=None).headers["Location"])
    assert "require_pkce = false" in q["error_description"]


def test_scope_not_registered_for_client(client):
    response = client.get(AUTH + "?" + urlencode(params(client_id="drop-mobile", redirect_uri="drop://auth/callback",
                                                         scope="openid email")))
    q = query_of(response.headers["Location"])
    assert response.headers["Location"].startswith("drop://auth/callback?")
    assert q["error"] == "invalid_scope"


def test_duplicate_parameter_is_invalid_request(client):
    response = client.get(AUTH + "?" + urlencode(params()) + "&state=again")
    assert query_of(response.headers["Location"])["error"] == "invalid_request"


def test_fragment_mode_puts_the_error_in_the_fragment(client):
    location = get(client, response_mode="fragment", response_type="token").headers["Location"]
    assert location.startswith(CI_REDIRECT + "#")
    assert query_of(location)["error"] == "unsupported_response_type"


def test_form_post_mode_renders_an_auto_submitting_form(client):
    response = get(client, response_mode="form_post", login_hint="adult")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'action="{CI_REDIRECT}"' in html
    assert re.search(r'name="code" value="[^"]+"', html)
    assert 'name="state" value="st-123"' in html
    assert "<noscript>" in html
    assert "nonce-" in response.headers["Content-Security-Policy"]


def test_unknown_response_mode_falls_back_to_query_for_the_error(client):
    q = query_of(get(client, response_mode="web_message").headers["Location"])
    assert q["error"] == "invalid_request"


def test_post_authorize_works_like_get(client):
    response = client.post(AUTH, data=params(login_hint="adult"))
    assert response.status_code == 302
    assert "code" in query_of(response.headers["Location"])


# --- who signs in ----------------------------------------------------------------------
def test_without_anyone_chosen_the_login_page_is_shown(client):
    response = get(client)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "MOCK" in html and "data-persona=\"adult\"" in html
    for group in ("Voksne", "Under 18"):
        assert group in html
    assert 'name="csrf_token"' in html


@pytest.mark.parametrize("locale, word", [("en", "Adults"), ("nb", "Voksne"), ("no", "Voksne"), ("nn", "Vaksne"),
                                         ("fr en", "Adults")])
def test_ui_locales_choose_the_language(client, locale, word):
    html = get(client, ui_locales=locale).get_data(as_text=True)
    assert word in html


def test_login_hint_persona_signs_in_headless(client):
    response = get(client, login_hint="adult")
    assert response.status_code == 302
    q = query_of(response.headers["Location"])
    assert q["code"] and q["state"] == "st-123"


def test_prompt_none_with_a_session_signs_in(client):
    assert get(client, login_hint="adult").status_code == 302
    q = query_of(get(client, prompt="none").headers["Location"])
    assert "code" in q


def test_prompt_login_forces_the_page_despite_a_session(client):
    get(client, login_hint="adult")
    assert get(client, prompt="login").status_code == 200


def test_next_login_queue_beats_login_hint(client, provider):
    assert client.post("/_mock/next-login", json={"persona": "under-18"}).status_code == 201
    code = query_of(get(client, login_hint="adult").headers["Location"])["code"]
    record = provider.store.get("code", code)
    assert record["grant"]["persona"]["id"] == "under-18"
    # the queue is used once
    code = query_of(get(client, login_hint="adult").headers["Location"])["code"]
    assert provider.store.get("code", code)["grant"]["persona"]["id"] == "adult"


def test_next_login_rejects_unknown_persona(client):
    response = client.post("/_mock/next-login", json={"persona": "nobody-at-all"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_auto_login_setting(settings):
    from mock_bankid.app import create_app

    app = create_app(settings.with_(auto_login="turns-18-today"))
    c = app.test_client()
    code = query_of(get(c).headers["Location"])["code"]
    assert app.extensions["mock_bankid"].store.get("code", code)["grant"]["persona"]["id"] == "turns-18-today"


def _login_form(client, **overrides):
    html = get(client, **overrides).get_data(as_text=True)
    session = re.search(r'name="session" value="([^"]+)"', html).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return session, csrf


def test_login_page_persona_click_signs_in(client):
    session, csrf = _login_form(client)
    response = client.post("/auth/realms/current/precheck/login",
                           data={"session": session, "csrf_token": csrf, "persona": "adult"})
    assert response.status_code == 302
    assert "code" in query_of(response.headers["Location"])


def test_login_page_cancel_gives_access_denied(client):
    """BankID documents cancel as error=access_denied&state=...: no error_description (no BankID code applies)."""
    session, csrf = _login_form(client)
    response = client.post("/auth/realms/current/precheck/login",
                           data={"session": session, "csrf_token": csrf, "action": "cancel"})
    q = query_of(response.headers["Location"])
    assert set(q) == {"error", "state", "iss"}
    assert q["error"] == "access_denied" and q["state"] == "st-123"


def test_login_page_rejects_a_forged_post(client):
    session, _csrf = _login_form(client)
    response = client.post("/auth/realms/current/precheck/login",
                           data={"session": session, "csrf_token": "forged", "persona": "adult"})
    assert response.status_code == 403
    assert "Location" not in response.headers


def test_login_page_any_number_even_malformed(client, provider):
    session, csrf = _login_form(client)
    response = client.post("/auth/realms/current/precheck/login",
                           data={"session": session, "csrf_token": csrf, "action": "number", "nnin": "12038500111"})
    code = query_of(response.headers["Location"])["code"]
    assert provider.store.get("code", code)["grant"]["persona"]["nnin"] == "12038500111"


def test_login_session_expires(client, provider):
    session, csrf = _login_form(client)
    client.put("/_mock/clock", json={"advance": 601})
    response = client.post("/auth/realms/current/precheck/login",
                           data={"session": session, "csrf_token": csrf, "persona": "adult"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("acr_values, acr", [("urn:bankid:bid", "urn:bankid:bid;LOA=4"),
                                             ("urn:bankid:bis", "urn:bankid:bis;LOA=3"),
                                             ("urn:bankid:bis urn:bankid:bid", "urn:bankid:bis;LOA=3")])
def test_acr_values_map_to_acr(client, provider, acr_values, acr):
    code = query_of(get(client, login_hint="adult", acr_values=acr_values).headers["Location"])["code"]
    assert provider.store.get("code", code)["grant"]["acr"] == acr


def test_public_client_must_use_pkce_even_if_relaxed(client):
    response = get(client, client_id="drop-mobile", redirect_uri="drop://auth/callback",
                   scope="openid", code_challenge=None, code_challenge_method=None)
    assert query_of(response.headers["Location"])["error"] == "invalid_request"


def test_expo_redirect_matches_wildcard_host(client):
    response = get(client, client_id="drop-mobile", redirect_uri="exp://192.168.1.20:8081/--/auth/callback",
                   scope="openid", login_hint="adult")
    assert response.headers["Location"].startswith("exp://192.168.1.20:8081/--/auth/callback?code=")
