"""Realms: several issuers on one server, each with its own state (queue, scenario, clock, sessions,
codes, request log), the same keys, clients and personas. Parallel test workers use one each."""

from __future__ import annotations

import secrets

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from mock_bankid.app import create_app
from mock_bankid.oidc.provider import MAX_CACHED_REALMS, REALMS_NS
from mock_bankid.store.scoped import REALM_TTL, realm_prefix
from tests.rp.driver import FlaskRP, HttpRP, pkce_pair, query_of

NO_SCENARIO = {"active": None, "providers": {"bankid": {"active": None}, "vipps": {"active": None}}}
"""GET /_mock/scenario with nothing on: BankID's state as before Vipps, and each provider's."""


def test_a_realm_is_an_issuer_of_its_own(client):
    doc = client.get("/auth/realms/w1/.well-known/openid-configuration").json
    assert doc["issuer"] == "http://localhost:8080/auth/realms/w1"
    assert doc["token_endpoint"] == "http://localhost:8080/auth/realms/w1/protocol/openid-connect/token"
    assert doc["userinfo_endpoint"] == "http://localhost:8080/userinfo"  # BankID's own host: one for all realms
    home = client.get("/auth/realms/current/.well-known/openid-configuration").json
    assert home["jwks_uri"] != doc["jwks_uri"]
    # keys are shared: the same key set under both (so a realm costs no key generation)
    assert client.get(doc["jwks_uri"][len("http://localhost:8080"):]).json == client.get(
        home["jwks_uri"][len("http://localhost:8080"):]).json


def test_a_sign_in_in_a_realm_carries_its_issuer_everywhere(client):
    rp = FlaskRP(client, realm="w2")
    tokens = rp.tokens("under-18")
    keys = KeySet.import_key_set(rp.jwks())
    claims = jwt.decode(tokens["id_token"], keys).claims
    assert claims["iss"] == "http://localhost:8080/auth/realms/w2"
    assert jwt.decode(tokens["access_token"], keys).claims["iss"] == claims["iss"]
    userinfo = rp.userinfo(tokens["access_token"])
    assert userinfo.status_code == 200 and userinfo.json["sub"] == claims["sub"]


def test_two_realms_keep_queue_scenario_and_clock_apart(client):
    a, b = FlaskRP(client, realm="ra"), FlaskRP(client, realm="rb")
    a.queue("under-18")
    a.scenario({"scenario": "outage"})
    a.advance(120)  # less than the queue entry's 600 s, so it is still there below

    # b: no queued persona (its sign-in is the hinted one), no outage, no clock shift
    assert client.get("/auth/realms/rb/.well-known/openid-configuration").status_code == 200
    assert client.get("/_mock/clock?realm=rb").json["shift"] == 0.0
    assert client.get("/_mock/scenario?realm=rb").json == NO_SCENARIO
    assert client.get("/_mock/next-login?realm=rb").json == {"queue": []}
    signed_in = b.tokens("adult")
    assert signed_in["id_token"]
    # the home realm is untouched too
    assert client.get("/_mock/clock").json["shift"] == 0.0
    assert client.get("/_mock/next-login").json == {"queue": []}

    # a: all three are there
    assert client.get("/auth/realms/ra/.well-known/openid-configuration").status_code == 503
    assert client.get("/_mock/clock?realm=ra").json["shift"] == 120.0
    assert client.get("/_mock/scenario?realm=ra").json["active"]["scenario"] == "outage"
    assert [e["selector"] for e in client.get("/_mock/next-login?realm=ra").json["queue"]] == ["under-18"]


def test_a_code_of_one_realm_is_unknown_in_another(client):
    a = FlaskRP(client, realm="code-a")
    authz = a.authorize()
    b = FlaskRP(client, realm="code-b")
    response = b.redeem(authz)
    assert response.status_code == 400 and response.json["error"] == "invalid_grant"
    assert a.redeem(authz).status_code == 200


def test_a_realms_clock_expires_its_own_codes_only(client):
    a, home = FlaskRP(client, realm="late"), FlaskRP(client)
    in_a, at_home = a.authorize(), home.authorize()
    a.advance(3600)  # far past the code's 60 s
    assert a.redeem(in_a).json["error"] == "invalid_grant"
    assert home.redeem(at_home).status_code == 200


def test_the_request_log_is_per_realm(client):
    FlaskRP(client, realm="logged").tokens()
    logged = client.get("/_mock/requests?realm=logged").json["requests"]
    assert any(e["path"].startswith("/auth/realms/logged/") for e in logged)
    home = client.get("/_mock/requests").json["requests"]
    assert not any("/auth/realms/logged/" in e["path"] for e in home)


def test_realms_are_made_listed_and_removed_over_the_control_surface(client, provider):
    made = client.post("/_mock/realms", json={"realm": "suite-1"})
    assert made.status_code == 201
    vipps = "http://localhost:8080/vipps/suite-1/access-management-1.0/access/"
    assert made.json == {"realm": "suite-1", "issuer": "http://localhost:8080/auth/realms/suite-1",
                         "discovery_url": "http://localhost:8080/auth/realms/suite-1/.well-known/openid-configuration",
                         "providers": {"vipps": {"issuer": vipps,
                                                 "discovery_url": vipps + ".well-known/openid-configuration"}}}
    fresh = client.post("/_mock/realms").json["realm"]
    assert fresh.startswith("r-") and fresh != "suite-1"
    listed = [r["realm"] for r in client.get("/_mock/realms").json["realms"]]
    assert listed[0] == "current" and {"suite-1", fresh} <= set(listed)

    FlaskRP(client, realm="suite-1").queue("adult")
    client.put("/_mock/scenario?realm=suite-1", json={"scenario": "outage"})
    assert client.delete("/_mock/realms/suite-1").status_code == 204
    assert not any(ns.startswith(realm_prefix("suite-1")) for ns in provider.store._kv)
    assert "suite-1" not in [r["realm"] for r in client.get("/_mock/realms").json["realms"]]
    assert client.get("/auth/realms/suite-1/.well-known/openid-configuration").status_code == 200


@pytest.mark.parametrize("name", ["UPPER", "-dash", "a" * 64, "a_b", "æøå"])
def test_a_bad_realm_name_is_a_clear_client_error(client, name):
    control = client.get("/_mock/clock", query_string={"realm": name})
    assert control.status_code == 400 and control.json["error"] == "invalid_request"
    assert "realm" in control.json["error_description"]
    made = client.post("/_mock/realms", json={"realm": name})
    assert made.status_code == 400
    document = client.get(f"/auth/realms/{name}/.well-known/openid-configuration")
    assert document.status_code == 404 and document.json["error"] == "not_found"
    page = client.get(f"/auth/realms/{name}/precheck/auth")
    assert page.status_code == 404 and page.mimetype == "text/html"  # the browser gets a page


def test_the_home_realm_is_not_removed(client):
    response = client.delete("/_mock/realms/current")
    assert response.status_code == 400


def test_a_realms_entries_live_a_day_at_most_except_its_clock(provider):
    realm = provider.realm("capped")
    realm.store.put("scenario", "active", {"x": 1}, 10 * 365 * 86400)
    realm.store.put("clock", "shift", {"seconds": 1.0}, 10 * 365 * 86400)
    base = provider.store
    scenario_expiry = base._kv[realm_prefix("capped") + "scenario"]["active"][1]
    clock_expiry = base._kv[realm_prefix("capped") + "clock"]["shift"][1]
    now = base.clock()
    assert scenario_expiry - now <= REALM_TTL + 1
    assert clock_expiry - now > 5 * 365 * 86400
    assert REALMS_NS not in {ns for ns in base._kv if ns.startswith("realm.")}


def test_a_worker_keeps_a_bounded_number_of_realms_and_rebuilds_the_rest_from_the_store(settings):
    app = create_app(settings)
    client = app.test_client()
    FlaskRP(client, realm="r-0").queue("under-18")
    for i in range(1, MAX_CACHED_REALMS + 5):
        assert client.get(f"/auth/realms/r-{i}/.well-known/openid-configuration").status_code == 200
    realms = app.extensions["mock_bankid"].realms
    assert len(realms._cache) <= MAX_CACHED_REALMS
    # r-0 was evicted from this worker's cache; its queue is in the store and still there
    assert [e["selector"] for e in client.get("/_mock/next-login?realm=r-0").json["queue"]] == ["under-18"]


@pytest.mark.e2e
def test_realms_over_real_http_across_workers(live_server):
    """Four gunicorn workers, two realms, Authlib as the client: each realm sees only its own state."""
    base = live_server.base_url
    one, two = f"rw-{secrets.token_hex(4)}", f"rw-{secrets.token_hex(4)}"
    for name in (one, two):
        assert requests.post(f"{base}/_mock/realms", json={"realm": name}, timeout=10).status_code == 201
    requests.post(f"{base}/_mock/next-login?realm={one}", json={"persona": "under-18"}, timeout=10).raise_for_status()
    requests.post(f"{base}/_mock/next-login?realm={two}", json={"persona": "adult"}, timeout=10).raise_for_status()
    requests.put(f"{base}/_mock/clock?realm={two}", json={"advance": 120}, timeout=10).raise_for_status()
    requests.put(f"{base}/_mock/scenario?realm={one}", json={"scenario": "outage", "endpoints": ["userinfo"]},
                 timeout=10).raise_for_status()

    seen = {}
    for name in (one, two):
        issuer = f"{base}/auth/realms/{name}"
        doc = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
        verifier, _challenge = pkce_pair()
        session = OAuth2Session("ci", "ci-secret", scope="openid profile nnin_altsub",
                                redirect_uri="http://127.0.0.1:9999/callback", code_challenge_method="S256")
        url, state = session.create_authorization_url(doc["authorization_endpoint"], code_verifier=verifier,
                                                      nonce="n-realm")
        location = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
        assert query_of(location)["state"] == state
        tokens = session.fetch_token(doc["token_endpoint"], authorization_response=location, code_verifier=verifier)
        keys = KeySet.import_key_set(requests.get(doc["jwks_uri"], timeout=10).json())
        claims = jwt.decode(tokens["id_token"], keys).claims
        assert claims["iss"] == issuer
        seen[name] = claims
    assert seen[one]["nnin_altsub"] != seen[two]["nnin_altsub"]  # each got the persona queued in its realm
    assert seen[two]["iat"] - seen[one]["iat"] >= 100  # only realm two's clock moved
    # realm one's outage is on for every worker there, and nowhere else
    assert requests.get(f"{base}/_mock/scenario?realm={one}", timeout=10).json()["active"]["scenario"] == "outage"
    assert requests.get(f"{base}/_mock/scenario?realm={two}", timeout=10).json() == NO_SCENARIO
    assert requests.get(f"{base}/_mock/scenario", timeout=10).json() == NO_SCENARIO
    assert requests.get(f"{base}/_mock/next-login", timeout=10).json() == {"queue": []}
    rp = HttpRP(live_server)
    assert rp.tokens("adult")["id_token"]  # the home realm signs in as before


def test_a_scenario_acts_on_the_state_of_its_own_realm(client):
    """callback-replay in realm cb records that realm's last callback, not the home realm's."""
    rp = FlaskRP(client, realm="cb")
    rp.scenario({"scenario": "callback-replay"})
    rp.tokens()
    recorded = client.get("/_mock/last-callback?realm=cb")
    assert recorded.status_code == 200 and recorded.json["url"].startswith("http://127.0.0.1:5555/callback")
    assert client.get("/_mock/last-callback").status_code == 404
