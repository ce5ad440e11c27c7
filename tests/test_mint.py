"""One way to mint: the pytest plugin, ``mock-bankid token`` and ``mint_for_tests`` agree.

They used to build their own grants: with ``scope="openid offline_access"`` only one returned a
refresh token, and only one refused an unknown scope.
"""

from __future__ import annotations

import json

import pytest
import requests
from click.testing import CliRunner
from conftest import FIXTURES

from mock_bankid.cli import cli
from mock_bankid.oidc.mint import mint_for_tests

SCOPE = "openid offline_access"


def cli_mint(settings, monkeypatch, *args: str):
    for name, value in {"KEYS_DIR": settings.keys_dir, "DATA_DIR": settings.data_dir, "STORE": "sqlite",
                        "BASE_URL": settings.base_url, "FIXTURES_DIR": FIXTURES}.items():
        monkeypatch.setenv(f"MOCK_BANKID_{name}", str(value))
    return CliRunner().invoke(cli, ["token", "--persona", "adult", *args])


@pytest.mark.serves
def test_offline_access_gives_a_refresh_token_every_way(mock_bankid, provider, settings, monkeypatch):
    plugin = mock_bankid.mint("adult", scope=SCOPE)
    direct = mint_for_tests(provider, "adult", scope=SCOPE)
    result = cli_mint(settings, monkeypatch, "--scope", SCOPE)
    assert result.exit_code == 0, result.output
    command = json.loads(result.output)
    for minted in (plugin, direct, command):
        assert minted["refresh_token"] and minted["scope"] == SCOPE
        assert set(minted["claims"]) == {"id_token", "access_token"} and minted["persona"]["sub"]


@pytest.mark.serves
def test_an_unknown_or_unregistered_scope_is_refused_every_way(mock_bankid, provider, settings, monkeypatch):
    for scope, message in (("openid made-up", "Unsupported scope: made-up"),
                           ("openid nnin", "not registered for scope: nnin")):
        with pytest.raises(ValueError, match=message):
            mock_bankid.mint("adult", scope=scope, client_id="drop-mobile" if "nnin" in scope else "ci")
        with pytest.raises(ValueError, match=message):
            mint_for_tests(provider, "adult", scope=scope, client_id="drop-mobile" if "nnin" in scope else "ci")
        result = cli_mint(settings, monkeypatch, "--scope", scope,
                          *(["--client", "drop-mobile"] if "nnin" in scope else []))
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_authorize_and_client_credentials_check_scopes_the_same_way(client):
    """The same message at authorize (through the redirect) and at the token endpoint."""
    response = client.post("/auth/realms/current/protocol/openid-connect/token",
                           data={"grant_type": "client_credentials", "scope": "made-up"},
                           headers={"Authorization": "Basic Y2k6Y2ktc2VjcmV0"})  # ci:ci-secret
    body = response.get_json()
    assert response.status_code == 400 and body["error"] == "invalid_scope"
    assert "is not registered for scope: made-up (BankID grants scopes per client" in body["error_description"]


@pytest.mark.serves
def test_vipps_tokens_every_way_carry_vippss_issuer_and_no_number(mock_bankid, provider, settings, monkeypatch):
    """``mock_bankid.mint(provider="vipps")``, ``mock-bankid token --provider vipps`` and
    ``mint_for_tests`` on Vipps's provider: Vipps's issuer and client, a pairwise UUID sub, no number."""
    vipps_issuer = mock_bankid.issuer_of("vipps")
    assert vipps_issuer.endswith("/access-management-1.0/access/")
    plugin = mock_bankid.mint("adult", provider="vipps")
    direct = mint_for_tests(provider.realms.of("vipps"), "adult", client_id="ci-vipps", scope="openid nin")
    result = cli_mint(settings, monkeypatch, "--provider", "vipps")
    assert result.exit_code == 0, result.output
    command = json.loads(result.output)
    assert command["claims"]["id_token"]["iss"] == settings.base_url + "/access-management-1.0/access/"
    for minted in (plugin, direct, command):
        claims = minted["claims"]["id_token"]
        assert "nnin_altsub" not in claims and "nin" not in claims and "acr" not in claims
        assert claims["aud"] in ("ci-vipps", ["ci-vipps"]) and len(claims["sub"]) == 36
    assert plugin["claims"]["id_token"]["iss"] == vipps_issuer
    assert plugin["claims"]["id_token"]["sub"] != mock_bankid.mint("adult")["claims"]["id_token"]["sub"]
    answer = requests.get(mock_bankid.url("/vipps-userinfo-api/userinfo"),
                          headers={"Authorization": f"Bearer {plugin['access_token']}"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["nin"] == plugin["persona"]["nnin"]
    with pytest.raises(ValueError, match="no Vipps account"):
        mock_bankid.mint("bankid-only", provider="vipps")
    with pytest.raises(LookupError, match="unknown vipps client_id 'ci'"):
        mock_bankid.mint("adult", provider="vipps", client_id="ci")
