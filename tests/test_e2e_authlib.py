"""End to end with Authlib over real HTTP against a real ``mock-bankid serve`` (gunicorn, 4 workers).

Authlib drives the code flow with PKCE; joserfc verifies the ID token against the JWKS from
discovery's ``jwks_uri``. The Drop web BFF's rules are modelled in ``DropRelyingParty`` so the
personas meant for them (minors, birthdays, malformed numbers) are proven to reach the relying
party as its developers expect.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc.errors import InvalidClaimError
from rp import Discovered, HttpRP, at_hash_of, mock_today, query_of, verify_id_token
from stdnum.no import fodselsnummer

pytestmark = pytest.mark.e2e

DROP_WEB_REDIRECT = "http://localhost:3000/api/auth/bankid/callback"
CI_REDIRECT = "http://127.0.0.1:5555/callback"  # loopback: any port matches (RFC 8252 §7.3)


@pytest.fixture(scope="module")
def disc(live_server) -> Discovered:
    return Discovered.fetch(live_server.discovery_url)


@pytest.fixture(autouse=True)
def empty_queue(live_server):
    """The next-login queue is global: never leave an entry that would hijack another test's login."""
    requests.delete(f"{live_server.base_url}/_mock/next-login", timeout=10)
    yield
    requests.delete(f"{live_server.base_url}/_mock/next-login", timeout=10)


def authorize(url: str) -> str:
    """Fetch the authorization URL on a fresh connection, like a browser without cookies; return Location.

    Authlib builds the request here (it is the relying party under test), so this is only the
    browser's part; tests that build their own requests use the driver in tests/rp.
    """
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, (response.status_code, response.text[:500])
    return response.headers["Location"]


@dataclass
class Flow:
    session: OAuth2Session
    token: dict[str, Any]
    claims: dict[str, Any]
    location: str


def code_flow(disc: Discovered, *, client_id: str, secret: str | None, redirect_uri: str, auth_method: str,
              login_hint: str | None = "adult", scope: str = "openid profile nnin_altsub") -> Flow:
    session = OAuth2Session(client_id, secret, redirect_uri=redirect_uri, scope=scope,
                            code_challenge_method="S256", token_endpoint_auth_method=auth_method)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    extra = {"login_hint": login_hint} if login_hint else {}
    url, state = session.create_authorization_url(
        disc.config["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **extra)
    location = authorize(url)
    assert location.startswith(redirect_uri + "?")
    got = query_of(location)
    assert got["state"] == state and got["iss"] == disc.config["issuer"]  # RFC 9207
    token = session.fetch_token(disc.config["token_endpoint"], authorization_response=location,
                                code_verifier=verifier, state=state)
    claims = verify_id_token(token["id_token"], disc.jwks, issuer=disc.config["issuer"], client_id=client_id,
                             nonce=nonce, access_token=token["access_token"])
    return Flow(session, token, claims, location)


# --- plain clients ---------------------------------------------------------------------------
@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_ci_client_full_flow_and_userinfo(disc, auth_method):
    flow = code_flow(disc, client_id="ci", secret="ci-secret", redirect_uri=CI_REDIRECT, auth_method=auth_method,
                     scope="openid profile nnin_altsub email")
    claims = flow.claims
    assert claims["azp"] == "ci" and claims["typ"] == "ID" and claims["pid"] == claims["nnin_altsub"]
    assert flow.token["token_type"].lower() == "bearer" and flow.token["expires_in"] > 0
    response = flow.session.get(disc.config["userinfo_endpoint"], timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    info = response.json()
    assert info["sub"] == claims["sub"]
    assert info["given_name"] == claims["given_name"]
    assert "@" in info["email"] and "nnin" not in info  # consented (headless); nnin was not asked for


def test_wrong_secret_is_refused_by_the_token_endpoint(disc):
    from authlib.integrations.base_client import OAuthError

    with pytest.raises(OAuthError) as caught:
        code_flow(disc, client_id="ci", secret="not-the-secret", redirect_uri=CI_REDIRECT,
                  auth_method="client_secret_basic")
    assert caught.value.error == "invalid_client"


def test_id_token_of_another_client_fails_audience(disc):
    flow = code_flow(disc, client_id="ci", secret="ci-secret", redirect_uri=CI_REDIRECT,
                     auth_method="client_secret_basic")
    with pytest.raises(InvalidClaimError):
        verify_id_token(flow.token["id_token"], disc.jwks, issuer=disc.config["issuer"], client_id="drop-web",
                        nonce=flow.claims["nonce"])
    with pytest.raises(InvalidClaimError):
        verify_id_token(flow.token["id_token"], disc.jwks, issuer=disc.config["issuer"], client_id="ci",
                        nonce="some-other-nonce")


def test_drop_mobile_public_client_with_pkce(disc):
    flow = code_flow(disc, client_id="drop-mobile", secret=None, redirect_uri="drop://auth/callback",
                     auth_method="none")
    assert flow.location.startswith("drop://auth/callback?code=")
    assert flow.claims["aud"] == "drop-mobile" and len(flow.claims["pid"]) == 11
    assert flow.session.get(disc.config["userinfo_endpoint"], timeout=10).json()["sub"] == flow.claims["sub"]


def test_drop_mobile_without_the_verifier_is_refused(disc):
    session = OAuth2Session("drop-mobile", None, redirect_uri="drop://auth/callback", scope="openid",
                            code_challenge_method="S256", token_endpoint_auth_method="none")
    url, _state = session.create_authorization_url(disc.config["authorization_endpoint"], nonce="n",
                                                   code_verifier=secrets.token_urlsafe(48), login_hint="adult")
    code = query_of(authorize(url))["code"]
    response = HttpRP(disc.config["issuer"], client_id="drop-mobile").redeem(code, None)  # public, no code_verifier
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


# --- the Drop web BFF ------------------------------------------------------------------------
class Refused(Exception):
    """The relying party turns the sign-in away; ``reason`` says which of its rules did."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass
class DropRelyingParty:
    """The Drop web BFF's sign-in, as issue 2 describes it, independent of the mock's code.

    state + nonce + PKCE per attempt, state check on the callback, code exchange with
    client_secret_basic, ID token verified against the JWKS, ``pid`` must be a valid 11-digit
    fødselsnummer (python-stdnum), age ≥ 18 in Europe/Oslo from ``birthdate``, and the user is
    found or created under sha256(pid).
    """

    disc: Discovered
    today: date
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: dict[str, dict[str, str]] = field(default_factory=dict)  # the BFF's cookie-bound session

    def session(self) -> OAuth2Session:
        return OAuth2Session("drop-web", "drop-web-secret", redirect_uri=DROP_WEB_REDIRECT,
                             scope="openid profile nnin_altsub", code_challenge_method="S256",
                             token_endpoint_auth_method="client_secret_basic")

    def begin(self, login_hint: str | None) -> str:
        state, nonce, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(16), secrets.token_urlsafe(48)
        extra = {"login_hint": login_hint} if login_hint else {}
        url, _ = self.session().create_authorization_url(
            self.disc.config["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce, **extra)
        self.pending[state] = {"nonce": nonce, "verifier": verifier}
        return url

    def callback(self, location: str) -> dict[str, Any]:
        if not location.startswith(DROP_WEB_REDIRECT + "?"):
            raise Refused("redirect", location)
        got = query_of(location)
        attempt = self.pending.pop(got.get("state", ""), None)
        if attempt is None:
            raise Refused("state", "no sign-in started with this state")
        if "error" in got:
            raise Refused("provider", got["error"])
        token = self.session().fetch_token(self.disc.config["token_endpoint"], code=got["code"],
                                           grant_type="authorization_code", code_verifier=attempt["verifier"])
        claims = verify_id_token(token["id_token"], self.disc.jwks, issuer=self.disc.config["issuer"],
                                 client_id="drop-web", nonce=attempt["nonce"], access_token=token["access_token"])
        pid = claims.get("pid", "")
        if not (isinstance(pid, str) and len(pid) == 11 and pid.isdigit() and fodselsnummer.is_valid(pid)):
            raise Refused("pid", repr(pid))
        if not claims.get("birthdate"):
            raise Refused("age", "no birthdate")
        born = date.fromisoformat(claims["birthdate"])
        age = self.today.year - born.year - ((self.today.month, self.today.day) < (born.month, born.day))
        if age < 18:
            raise Refused("age", str(age))
        key = hashlib.sha256(pid.encode()).hexdigest()
        user = self.users.setdefault(key, {"key": key, "created_for": claims["sub"], "logins": 0})
        user["logins"] += 1
        return dict(user, age=age, pid=pid)

    def sign_in(self, login_hint: str | None) -> dict[str, Any]:
        return self.callback(authorize(self.begin(login_hint)))


@pytest.fixture
def drop(disc, live_server) -> DropRelyingParty:
    # The RP's "today" in Oslo. Taken from the mock's clock so a run across midnight cannot flake.
    return DropRelyingParty(disc, date.fromisoformat(mock_today(live_server.base_url)))


@pytest.mark.parametrize("persona", ["adult", "turns-18-today"])
def test_drop_web_accepts_adults(drop, persona):
    user = drop.sign_in(persona)
    assert user["age"] >= 18 and user["logins"] == 1
    assert user["key"] == hashlib.sha256(user["pid"].encode()).hexdigest()


def test_turns_18_today_is_exactly_18(drop):
    assert drop.sign_in("turns-18-today")["age"] == 18


@pytest.mark.parametrize("persona", ["under-18", "turns-18-tomorrow"])
def test_drop_web_refuses_minors(drop, persona):
    with pytest.raises(Refused) as caught:
        drop.sign_in(persona)
    assert caught.value.reason == "age"


@pytest.mark.parametrize("persona", ["bad-checksum", "wrong-length"])
def test_malformed_numbers_sign_in_at_the_mock_but_fail_the_rp(drop, live_server, persona):
    expected = {p["id"]: p["nnin"] for p in personas(live_server)}
    with pytest.raises(Refused) as caught:
        drop.sign_in(persona)
    assert caught.value.reason == "pid"
    assert repr(expected[persona]) in str(caught.value)  # the token carried the malformed number itself


def test_same_person_finds_the_same_user(drop):
    first, second = drop.sign_in("adult"), drop.sign_in("adult")
    other = drop.sign_in("adult-25")
    assert first["key"] == second["key"] and second["logins"] == 2
    assert other["key"] != first["key"] and len(drop.users) == 2


def test_drop_web_refuses_a_callback_with_a_foreign_state(drop):
    location = authorize(drop.begin("adult"))
    forged = location.replace("state=", "state=x", 1)
    with pytest.raises(Refused) as caught:
        drop.callback(forged)
    assert caught.value.reason == "state"


def test_authlib_itself_refuses_a_state_mismatch(disc):
    from authlib.oauth2.rfc6749.errors import MismatchingStateException

    session = OAuth2Session("ci", "ci-secret", redirect_uri=CI_REDIRECT, scope="openid",
                            code_challenge_method="S256")
    verifier = secrets.token_urlsafe(48)
    url, state = session.create_authorization_url(disc.config["authorization_endpoint"], code_verifier=verifier,
                                                  nonce="n", login_hint="adult")
    location = authorize(url)
    with pytest.raises(MismatchingStateException):
        session.fetch_token(disc.config["token_endpoint"], authorization_response=location, code_verifier=verifier,
                            state=state + "-other")


def personas(live_server) -> list[dict[str, Any]]:
    return requests.get(f"{live_server.base_url}/_mock/personas", timeout=10).json()["personas"]


# --- the next-login queue, for a client that cannot add login_hint ---------------------------
def queue(live_server, persona: str) -> None:
    response = requests.post(f"{live_server.base_url}/_mock/next-login", json={"persona": persona}, timeout=10)
    assert response.status_code == 201, response.text


def test_next_login_queue_across_workers(drop, live_server):
    """Queue then authorize on fresh connections: whichever worker serves either, the right person signs in."""
    by_id = {p["id"]: p for p in personas(live_server)}
    rounds = ["adult", "adult-25", "adult-67", "under-18", "adult-1985", "turns-18-today", "born-2000",
              "turns-18-tomorrow"]
    for persona in rounds:
        queue(live_server, persona)
        if by_id[persona]["age"] >= 18:
            assert drop.sign_in(login_hint=None)["pid"] == by_id[persona]["nnin"]
        else:
            with pytest.raises(Refused, match="age"):
                drop.sign_in(login_hint=None)


def test_next_login_queue_is_first_in_first_out_and_beats_login_hint(drop, live_server):
    by_id = {p["id"]: p for p in personas(live_server)}
    for persona in ("adult-67", "adult-25", "adult-1985"):
        queue(live_server, persona)
    pids = [drop.sign_in(login_hint="adult")["pid"] for _ in range(3)]
    assert pids == [by_id[p]["nnin"] for p in ("adult-67", "adult-25", "adult-1985")]
    assert requests.get(f"{live_server.base_url}/_mock/next-login", timeout=10).json()["queue"] == []
    assert drop.sign_in(login_hint="adult")["pid"] == by_id["adult"]["nnin"]  # queue empty: the hint again


def test_at_hash_helper_is_the_spec_example():
    # OIDC Core's own example is for an RS256 token; a cross-check that the test's helper is right.
    assert at_hash_of("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256") == "77QmUPtjPfzWtF2AnpK9RQ"
