"""The strict fidelity profile at the authorize endpoint (Flask test client, over HTTP).

``bankid-strict`` has ``profile = "strict"``: every mock convenience off, so what passes here
passes at BankID (docs/fidelity.md). Each test also shows the dev client (``ci``) keeping its
convenience, so the switch, not the endpoint, is what is tested.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from conftest import CI_REDIRECT, pkce_pair, query_of
from rp import FlaskRP

from mock_bankid.http.cors import origin_allowed
from mock_bankid.oidc.clients import client_from_dict
from mock_bankid.oidc.profiles import PROFILES, SWITCHES, profile_from

AUTH = "/auth/realms/current/precheck/auth"
STRICT = "bankid-strict"


def params(client_id: str = STRICT, **overrides) -> dict[str, str]:
    _verifier, challenge = pkce_pair()
    base = {
        "client_id": client_id, "redirect_uri": CI_REDIRECT, "response_type": "code",
        "scope": "openid profile nnin_altsub", "state": "st-1", "nonce": "n-1",
        "code_challenge": challenge, "code_challenge_method": "S256",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def get(client, client_id: str = STRICT, **overrides):
    return client.get(AUTH + "?" + urlencode(params(client_id, **overrides)))


def queue(client, persona: str = "adult") -> None:
    assert client.post("/_mock/next-login", json={"persona": persona}).status_code == 201


# --- profiles as data ---------------------------------------------------------------------
def test_strict_profile_has_every_convenience_off_and_dev_every_one_on():
    assert not any(PROFILES["strict"].switches.values())
    # dev: every convenience on, but the userinfo iss follows BankID's (TINFO's) in both: opt in per client
    assert [name for name, on in PROFILES["dev"].switches.items() if not on] == ["userinfo_oidc_issuer"]
    assert set(PROFILES["dev"].switches) == set(SWITCHES)


def test_a_dev_client_can_turn_one_convenience_off_and_bad_settings_are_refused():
    one = profile_from("dev", {"sso_cookie": False})
    assert not one.sso_cookie and one.loopback_any_port
    with pytest.raises(ValueError, match="profile must be one of"):
        profile_from("lenient")
    with pytest.raises(ValueError, match="unknown conveniences"):
        profile_from("dev", {"sso": False})
    with pytest.raises(ValueError, match="true or false"):
        profile_from("dev", {"sso_cookie": "no"})


def test_the_fixture_strict_client_uses_the_strict_profile(provider):
    assert provider.clients.get(STRICT).profile == PROFILES["strict"]
    assert provider.clients.get("ci").profile == PROFILES["dev"]


# --- redirect URIs: exact -----------------------------------------------------------------
def test_strict_redirect_uri_must_match_exactly_even_on_loopback(client):
    queue(client)
    other_port = get(client, redirect_uri="http://127.0.0.1:5556/callback")
    assert other_port.status_code == 400 and "Location" not in other_port.headers
    assert "redirect_uri_mismatch" in other_port.get_data(as_text=True)
    dev = get(client, "ci", redirect_uri="http://127.0.0.1:5556/callback", login_hint="adult")
    assert dev.status_code == 302  # the dev convenience (RFC 8252 any port)


def test_strict_profile_turns_the_custom_scheme_wildcard_off():
    entry = {"client_id": "app", "redirect_uris": ["exp://*/--/auth/callback", "http://127.0.0.1/cb"]}
    dev = client_from_dict(entry)
    strict = client_from_dict({**entry, "profile": "strict"})
    assert dev.redirect_uri_allowed("exp://192.168.1.5:8081/--/auth/callback")
    assert not strict.redirect_uri_allowed("exp://192.168.1.5:8081/--/auth/callback")
    assert strict.redirect_uri_allowed("exp://*/--/auth/callback")  # only the registered string itself
    assert dev.redirect_uri_allowed("http://127.0.0.1:4000/cb") and not strict.redirect_uri_allowed("http://127.0.0.1:4000/cb")
    only_ports = client_from_dict({**entry, "conveniences": {"loopback_any_port": False}})
    assert only_ports.redirect_uri_allowed("exp://10.0.0.2:19000/--/auth/callback")
    assert not only_ports.redirect_uri_allowed("http://127.0.0.1:4000/cb")


# --- POST authorize -----------------------------------------------------------------------
def test_strict_authorize_refuses_post_without_redirecting(client):
    queue(client)
    response = client.post(AUTH, data=params())
    assert response.status_code == 405 and response.headers["Allow"] == "GET"
    assert "Location" not in response.headers and "POST is not supported" in response.get_data(as_text=True)
    assert client.post(AUTH, data=params("ci", login_hint="adult")).status_code == 302  # dev convenience


# --- request objects: what cannot be read is refused on a page (its redirect_uri is inside) ----
@pytest.mark.parametrize("client_id", [STRICT, "ci"])
@pytest.mark.parametrize("name, error", [("request", "invalid_request_object"),
                                         ("request_uri", "request_uri_not_supported")])
def test_unreadable_request_objects_are_refused_clearly(client, client_id, name, error):
    queue(client)
    response = get(client, client_id, **{name: "eyJhbGciOiJub25lIn0.e30."})
    assert response.status_code == 400 and error in response.text and "Location" not in response.headers
    discovery = client.get("/auth/realms/current/.well-known/openid-configuration").get_json()
    assert discovery["request_uri_parameter_supported"] is False  # only the PAR endpoint's, never fetched


# --- prompt ---------------------------------------------------------------------------------
@pytest.mark.parametrize("prompt", ["consent", "select_account", "login consent"])
def test_strict_refuses_undeclared_prompt_values(client, prompt):
    response = get(client, prompt=prompt)
    q = query_of(response.headers["Location"])
    assert q["error"] == "invalid_request" and "prompt_values_supported" in q["error_description"]
    dev = get(client, "ci", prompt=prompt, login_hint="adult")
    assert "code" in query_of(dev.headers["Location"])  # the dev client's extras are ignored


def test_strict_accepts_the_declared_prompts(client):
    queue(client)
    assert "code" in query_of(get(client, prompt="login").headers["Location"])
    assert query_of(get(client, prompt="none").headers["Location"])["error"] == "login_required"


# --- SSO -----------------------------------------------------------------------------------
def test_strict_sets_no_sso_cookie_and_prompt_none_never_signs_in_silently(client):
    queue(client)
    first = get(client)
    assert "code" in query_of(first.headers["Location"])
    assert "mock_bankid_sso" not in first.headers.get("Set-Cookie", "")
    # Even with a cookie from a dev client's sign-in in the same browser:
    assert "mock_bankid_sso" in get(client, "ci", login_hint="adult").headers.get("Set-Cookie", "")
    silent = query_of(get(client, prompt="none").headers["Location"])
    assert silent["error"] == "login_required" and "code" not in silent
    again = get(client)
    assert again.status_code == 200 and "text/html" in again.content_type  # the login page, not a silent code
    assert "code" in query_of(get(client, "ci", prompt="none").headers["Location"])  # dev: cookie SSO


def test_strict_reuses_a_session_for_id_login_hint_only(client):
    """BankID: "Single sign-on is not supported"; the only exception is ``id_login_hint`` with a live
    session (developer.bankid.no session-handling). A plain ``id_token_hint`` signs nobody in."""
    verifier, challenge = pkce_pair()
    queue(client)
    code = query_of(get(client, code_challenge=challenge).headers["Location"])["code"]
    id_token = FlaskRP(client, client_id=STRICT).redeem(code, verifier).get_json()["id_token"]
    silent = query_of(get(client, prompt="none", id_token_hint=id_token).headers["Location"])
    assert silent.get("error") == "login_required" and "code" not in silent, silent
    page = get(client, id_token_hint=id_token)
    assert page.status_code == 200 and "text/html" in page.content_type  # the login page, not a silent sign-in
    reused = query_of(get(client, prompt="none", id_login_hint=id_token).headers["Location"])
    assert "code" in reused, reused
    assert "code" in query_of(get(client, id_login_hint=id_token).headers["Location"])


def test_dev_still_reuses_a_session_for_id_token_hint(client):
    rp = FlaskRP(client, client_id="ci", scope="openid profile", state="s1", nonce="n1")
    id_token = rp.tokens(login_hint="adult")["id_token"]
    _verifier, challenge = pkce_pair()
    reused = query_of(get(client, "ci", prompt="none", id_token_hint=id_token, code_challenge=challenge)
                      .headers["Location"])
    assert "code" in reused, reused


# --- login_hint ----------------------------------------------------------------------------
@pytest.mark.parametrize("hint", ["adult", "BID:12038500110", "nnin:12038500110", "12038500110", "age:17",
                                  '{"scheme": "nnin", "value": "12038500110"}', "BIM:91234567:010190"])
def test_strict_refuses_login_hints_that_name_a_person(client, hint):
    q = query_of(get(client, login_hint=hint).headers["Location"])
    assert q["error"] == "invalid_request" and "login_hint" in q["error_description"] and q["state"] == "st-1"
    assert "code" in query_of(get(client, "ci", login_hint="adult").headers["Location"])  # dev: headless sign-in


@pytest.mark.parametrize("hint", ["BID", "BIS", "BIM", "bid"])
def test_strict_accepts_bankids_method_selectors(client, hint):
    page = get(client, login_hint=hint)
    assert page.status_code == 200 and "text/html" in page.content_type  # the login page: nobody was named
    queue(client)
    assert "code" in query_of(get(client, login_hint=hint).headers["Location"])


def test_a_request_object_carrying_the_redirect_uri_gets_an_error_page_naming_it(client):
    """JAR (RFC 9101) moves redirect_uri into the object: with nowhere trusted to redirect to, BankID's page."""
    response = client.get(AUTH + "?" + urlencode({"client_id": STRICT, "request": "eyJhbGciOiJFUzI1NiJ9.e30.sig"}))
    assert response.status_code == 400 and "Location" not in response.headers
    assert "invalid_request_object" in response.get_data(as_text=True)


def test_strict_profile_gives_no_cors():
    """BankID's userinfo: "CORS is not supported"; a dev client's own origins get CORS (mock_bankid/http/cors.py)."""
    entry = {"client_id": "spa", "redirect_uris": ["http://localhost:5173/callback"]}
    assert origin_allowed("http://localhost:5173", [client_from_dict(entry)])
    assert not origin_allowed("http://localhost:5173", [client_from_dict({**entry, "profile": "strict"})])
    assert not origin_allowed("http://localhost:5173", [client_from_dict({**entry, "conveniences": {"cors": False}})])
