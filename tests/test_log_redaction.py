"""One redaction rule for the request log (issue 12.4): every name a secret or token can arrive
under, in any case, in query or form, and token-shaped values under any name."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest
from conftest import CI_REDIRECT, pkce_pair

AUTH = "/auth/realms/current/precheck/auth"
TOKEN = "/auth/realms/current/protocol/openid-connect/token"
LOGOUT = "/auth/realms/current/protocol/openid-connect/logout"


def _log(client) -> str:
    return json.dumps(client.get("/_mock/requests").get_json()["requests"])


def _id_token(rp) -> str:
    return rp.tokens()["id_token"]


@pytest.mark.parametrize("name", ["id_login_hint", "id_token_hint", "ID_TOKEN_HINT", "Id_Login_Hint"])
def test_an_id_token_sent_as_a_hint_never_reaches_the_log(client, rp, name):
    id_token = _id_token(rp)
    client.delete("/_mock/requests")
    _verifier, challenge = pkce_pair()
    client.get(AUTH + "?" + urlencode({"client_id": "ci", "redirect_uri": CI_REDIRECT, "response_type": "code",
                                        "scope": "openid", "state": "s1", "nonce": "n1", "code_challenge": challenge,
                                        "code_challenge_method": "S256", name: id_token}))
    client.get(LOGOUT + "?" + urlencode({name: id_token}))
    log = _log(client)
    assert id_token not in log and id_token.split(".")[1] not in log
    assert "[redacted]" in log


@pytest.mark.parametrize("name", ["assertion", "client_assertion", "Client_Secret", "CLIENT_SECRET", "code",
                                  "Code_Verifier", "refresh_token", "Refresh_Token", "token", "access_token",
                                  "password", "subject_token", "actor_token", "logout_token", "id_token"])
def test_secret_names_in_any_case_are_redacted_in_form_and_query(client, name):
    client.delete("/_mock/requests")
    secret = "sEcReT-value-4711"
    client.post(TOKEN + "?" + urlencode({name: secret}),
                data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", name: secret})
    log = _log(client)
    assert secret not in log
    assert log.count("[redacted]") >= 2


def test_a_token_shaped_value_under_any_name_is_redacted(client, rp):
    id_token = _id_token(rp)
    client.delete("/_mock/requests")
    client.get(AUTH + "?" + urlencode({"client_id": "ci", "login_hint": id_token, "whatever": id_token}))
    assert id_token not in _log(client)


def test_ordinary_values_stay_readable(client, rp):
    client.delete("/_mock/requests")
    authorization = rp.sign_in()
    rp.redeem(authorization)
    entries = client.get("/_mock/requests").get_json()["requests"]
    assert entries[0]["query"]["client_id"] == "ci" and entries[0]["query"]["state"] == authorization.state
    assert entries[1]["form"]["grant_type"] == "authorization_code"
    assert entries[1]["form"]["code"] == "[redacted]"


def test_the_authorization_header_is_redacted_whatever_its_scheme(client):
    client.delete("/_mock/requests")
    client.post(TOKEN, data={"grant_type": "client_credentials"}, headers={"Authorization": "DPoP sEcReT-value-4711"})
    client.post(TOKEN, data={"grant_type": "client_credentials"}, headers={"Authorization": "sEcReT-value-4711"})
    basic = {"Authorization": "Basic " + base64.b64encode(b"ci:ci-secret").decode()}
    client.post(TOKEN, data={"grant_type": "client_credentials"}, headers=basic)
    log = _log(client)
    assert "sEcReT-value-4711" not in log and "ci-secret" not in log


def test_the_rule_is_the_same_for_long_names_and_keeps_none_of_them() -> None:
    """The by-name answer is cached only for short names: a client's huge form field names
    (Flask takes up to 500 kB) are judged the same way and never kept."""
    from mock_bankid.http import requestlog

    long_secret, long_plain = "x" * 100_000 + "_secret", "x" * 100_000
    before = requestlog._short_name_is_secret.cache_info().currsize
    assert requestlog.is_secret(long_secret) and not requestlog.is_secret(long_plain)
    assert requestlog.is_secret("Client-Secret") and not requestlog.is_secret("login_hint")
    assert requestlog._short_name_is_secret.cache_info().currsize <= before + 2


@pytest.mark.unit
def test_the_request_log_keeps_arrival_order_when_the_clock_moves_back(client):
    """A provider's log is in the order requests came, though their times are the mock's clock,
    which a test may move back between them (the drill's rate-limit case does)."""
    client.delete("/_mock/requests")
    client.get("/auth/realms/current/.well-known/openid-configuration?first=1")
    assert client.put("/_mock/clock", json={"advance": -3600}).status_code == 200
    client.get("/auth/realms/current/.well-known/openid-configuration?second=1")
    logged = [e["query"] for e in client.get("/_mock/requests?path=openid-configuration").get_json()["requests"]]
    assert [sorted(q) for q in logged] == [["first"], ["second"]], logged
