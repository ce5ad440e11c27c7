"""The pytest plugin as a downstream suite uses it: the ``mock_bankid`` fixture over real HTTP."""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points

import pytest
import requests
from rp import HttpRP

from mock_bankid.settings import PROJECT_ROOT

PLUGIN = "mock_bankid.pytest_plugin"


def _installed() -> bool:
    return any(ep.value == PLUGIN for ep in entry_points(group="pytest11"))


# In a checkout that is not pip-installed the entry point is not registered; load the plugin the
# way the entry point would. (Registering it twice would be an error when it is installed.)
pytest_plugins = ["pytester"] + ([] if _installed() else [PLUGIN])


def test_entry_point_names_the_plugin_module() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["pytest11"] == {"mock_bankid": PLUGIN}


@pytest.mark.serves
def test_fixture_serves_a_provider_a_relying_party_can_use(mock_bankid) -> None:
    assert mock_bankid.base_url.startswith("http://127.0.0.1:")
    assert mock_bankid.issuer == f"{mock_bankid.base_url}/auth/realms/current"
    doc = requests.get(mock_bankid.discovery_url, timeout=5).json()
    assert doc["issuer"] == mock_bankid.issuer
    assert requests.get(doc["jwks_uri"], timeout=5).json() == mock_bankid.jwks()
    assert "ci" in mock_bankid.clients and "adult" in mock_bankid.personas

    minor = mock_bankid.queue_login("age:17")
    rp = HttpRP(mock_bankid, scope="openid nnin_altsub", login_hint=None)
    authz = rp.authorize()
    assert authz.status in (302, 303), authz.text
    tokens = rp.redeem(authz).json()
    claims = rp.verify(tokens, authz, jwks=mock_bankid.jwks())
    assert claims["nnin_altsub"] == minor.nnin and claims["iss"] == mock_bankid.issuer


@pytest.mark.serves
def test_mint_gives_tokens_userinfo_accepts(mock_bankid) -> None:
    body = mock_bankid.mint("adult", client_id="ci", scope="openid profile nnin_altsub", nonce="xyz")
    adult = mock_bankid.personas["adult"]
    rp = HttpRP(mock_bankid)
    claims = rp.verify(body, nonce="xyz", jwks=mock_bankid.jwks())
    assert claims["aud"] == "ci" and claims["nonce"] == "xyz" and claims["nnin_altsub"] == adult.nnin
    info = rp.userinfo(body["access_token"])
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == adult.sub


@pytest.mark.serves
def test_each_test_gets_a_fresh_provider(pytester) -> None:
    """Two tests in a downstream suite see different ports, keys and an empty queue."""
    pytester.makeconftest(
        "from importlib.metadata import entry_points\n"
        f"if not any(ep.value == {PLUGIN!r} for ep in entry_points(group='pytest11')):\n"
        f"    pytest_plugins = [{PLUGIN!r}]\n"
    )
    pytester.makepyfile(
        """
        import requests
        seen = []

        def test_one(mock_bankid):
            mock_bankid.queue_login("adult")
            seen.append((mock_bankid.base_url, mock_bankid.jwks()))

        def test_two(mock_bankid):
            queue = requests.get(mock_bankid.url("/_mock/next-login"), timeout=5).json()["queue"]
            assert queue == []
            assert (mock_bankid.base_url, mock_bankid.jwks()) != seen[0]
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


@pytest.mark.serves
def test_settings_override_fixture(pytester) -> None:
    pytester.makeconftest(
        "import pytest\n"
        "from importlib.metadata import entry_points\n"
        f"if not any(ep.value == {PLUGIN!r} for ep in entry_points(group='pytest11')):\n"
        f"    pytest_plugins = [{PLUGIN!r}]\n"
        "@pytest.fixture\n"
        "def mock_bankid_settings():\n"
        "    return {'auto_login': 'adult', 'realm': 'test'}\n"
    )
    pytester.makepyfile(
        """
        def test_override(mock_bankid):
            assert mock_bankid.issuer.endswith('/auth/realms/test')
            assert mock_bankid.settings.auto_login == 'adult'
            assert mock_bankid.settings.store == 'memory'
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
