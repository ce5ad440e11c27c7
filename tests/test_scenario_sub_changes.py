"""``sub-changes``: BankID's warning that ``sub`` "might suddenly change", rehearsed (Flask test client).

The same person signs in with a new ``sub``; ``bankid_altsub`` and the number stay. A relying party
that keys its users on ``bankid_altsub`` (as BankID tells it to) finds the same user.
"""

from __future__ import annotations

import pytest
from rp import FlaskRP

from mock_bankid.scenarios.identity import changed_sub


@pytest.fixture
def rp(client) -> FlaskRP:
    return FlaskRP(client, scope="openid profile nnin_altsub offline_access", state="s1", nonce="n1")


def signed_in(rp: FlaskRP, via: str = "queue", **kw) -> tuple[dict, dict]:
    body = rp.redeem(rp.sign_in(via=via, **kw)).get_json()
    return body, rp.claims(body["id_token"])


class UsersBy:
    """The relying party's user table, keyed on one claim: a new key means a new account."""

    def __init__(self, claim: str) -> None:
        self.claim, self.accounts = claim, {}

    def sign_in(self, id_claims: dict) -> str:
        return self.accounts.setdefault(id_claims[self.claim], f"user-{len(self.accounts) + 1}")


@pytest.mark.parametrize("via", ["queue", "server"])
def test_same_person_new_sub_same_bankid_altsub_and_number(rp, via):
    _body, usual = signed_in(rp)
    if via == "server":
        rp.scenario({"scenario": "sub-changes"})
        body, changed = signed_in(rp, via="hint")
    else:
        body, changed = signed_in(rp, scenario="sub-changes")
    assert changed["sub"] == changed_sub(usual["sub"], 1) != usual["sub"]
    for same in ("bankid_altsub", "nnin_altsub", "pid", "given_name", "birthdate", "updated_at"):
        assert changed[same] == usual[same], same
    # every token and endpoint agrees on the new sub (OIDC Core §5.3.2 for userinfo)
    assert rp.claims(body["access_token"])["sub"] == changed["sub"]
    assert rp.claims(body["refresh_token"])["sub"] == changed["sub"]
    assert rp.userinfo(body["access_token"]).get_json()["sub"] == changed["sub"]
    assert rp.introspect(body["access_token"]).get_json()["sub"] == changed["sub"]
    refreshed = rp.refresh(body["refresh_token"]).get_json()
    assert rp.claims(refreshed["id_token"])["sub"] == changed["sub"]  # the refreshed sign-in keeps it


def test_a_relying_party_keyed_on_bankid_altsub_finds_the_same_user(rp):
    by_altsub, by_sub = UsersBy("bankid_altsub"), UsersBy("sub")
    _b, usual = signed_in(rp)
    _b, changed = signed_in(rp, scenario="sub-changes")
    assert by_altsub.sign_in(usual) == by_altsub.sign_in(changed)  # signed in as the same user
    assert by_sub.sign_in(usual) != by_sub.sign_in(changed)  # the mistake this rehearses: a second account


def test_generation_gives_another_new_sub_and_off_gives_the_usual_one(client, rp):
    _b, usual = signed_in(rp)
    rp.scenario({"scenario": "sub-changes", "generation": 2})
    _b, second = signed_in(rp, via="hint")
    assert second["sub"] == changed_sub(usual["sub"], 2) != changed_sub(usual["sub"], 1)
    client.delete("/_mock/scenario")
    _b, back = signed_in(rp, via="hint")
    assert back["sub"] == usual["sub"]


def test_sub_changes_is_in_the_catalogue_and_offered_per_sign_in(client):
    entry = next(s for s in client.get("/_mock/scenarios").get_json()["scenarios"] if s["name"] == "sub-changes")
    assert entry["kind"] == "rehearsal" and entry["per_sign_in"] and entry["server_wide"]
