"""The pytest plugin as a downstream suite uses it: the ``mock_bankid`` fixture over real HTTP."""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points

import pytest
import requests
from rp import CI_REDIRECT, HttpRP

from mock_bankid.core.settings import PROJECT_ROOT

PLUGIN = "mock_bankid.pytest_plugin"


def _installed() -> bool:
    return any(ep.value == PLUGIN for ep in entry_points(group="pytest11"))


# In a checkout that is not pip-installed the entry point is not registered; load the plugin the
# way the entry point would. (Registering it twice would be an error when it is installed.)
pytest_plugins = ["pytester"] + ([] if _installed() else [PLUGIN])


def plugin_conftest(pytester, settings: dict | None = None) -> None:
    """A downstream suite's conftest: the plugin loaded as its entry point would (and, given
    ``settings``, a ``mock_bankid_settings`` override)."""
    text = ("import pytest\n"
            "from importlib.metadata import entry_points\n"
            f"if not any(ep.value == {PLUGIN!r} for ep in entry_points(group='pytest11')):\n"
            f"    pytest_plugins = [{PLUGIN!r}]\n")
    if settings is not None:
        text += f"@pytest.fixture\ndef mock_bankid_settings():\n    return {settings!r}\n"
    pytester.makeconftest(text)


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
def test_one_server_per_session_and_each_test_starts_clean(pytester) -> None:
    """A downstream suite: the tests share one server, and whatever one test changed (queue,
    scenario, clock, SSO session, request log, keys) is gone when the next one starts."""
    plugin_conftest(pytester)
    pytester.makepyfile(
        f"""
        import requests
        seen = {{}}
        AUTH = dict(client_id="ci", redirect_uri={CI_REDIRECT!r}, response_type="code", scope="openid",
                    state="s", nonce="n", code_challenge="c" * 43, code_challenge_method="S256")

        def test_one(mock_bankid):
            seen["base_url"], seen["jwks"] = mock_bankid.base_url, mock_bankid.jwks()
            mock_bankid.queue_login("adult")
            mock_bankid.queue_login("adult")
            browser = requests.Session()
            r = browser.get(mock_bankid.issuer + "/precheck/auth", params=AUTH, allow_redirects=False, timeout=5)
            assert r.status_code == 302 and browser.cookies
            seen["cookies"] = browser.cookies
            url = mock_bankid.url
            requests.put(url("/_mock/scenario"), json={{"scenario": "outage"}}, timeout=5).raise_for_status()
            requests.put(url("/_mock/clock"), json={{"shift": 86400}}, timeout=5).raise_for_status()
            requests.post(url("/_mock/keys/rotate"), json={{"activate_after": 0}}, timeout=5).raise_for_status()
            assert requests.get(mock_bankid.discovery_url, timeout=5).status_code == 503
            assert mock_bankid.jwks() != seen["jwks"]

        def test_two(mock_bankid):
            url = mock_bankid.url
            assert mock_bankid.base_url == seen["base_url"]  # the same server
            assert requests.get(url("/_mock/next-login"), timeout=5).json()["queue"] == []
            assert requests.get(url("/_mock/scenario"), timeout=5).json()["active"] is None
            assert requests.get(url("/_mock/clock"), timeout=5).json()["shift"] == 0
            assert requests.get(url("/_mock/requests"), timeout=5).json()["requests"] == []
            assert requests.get(mock_bankid.discovery_url, timeout=5).status_code == 200
            assert mock_bankid.jwks() == seen["jwks"]
            browser = requests.Session()
            browser.cookies.update(seen["cookies"])  # test_one's SSO session is gone: the login page
            r = browser.get(mock_bankid.issuer + "/precheck/auth", params=AUTH, allow_redirects=False, timeout=5)
            assert r.status_code == 200 and "text/html" in r.headers["Content-Type"]
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


@pytest.mark.serves
def test_keys_are_made_once_and_kept_in_the_pytest_cache(pytester) -> None:
    plugin_conftest(pytester)
    out = pytester.path / "kids.txt"
    pytester.makepyfile(
        f"""
        def test_keys(mock_bankid):
            kids = sorted(k["kid"] for k in mock_bankid.jwks()["keys"])
            with open({str(out)!r}, "a") as f:
                f.write(" ".join(kids) + "\\n")
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)
    assert (pytester.path / ".pytest_cache" / "d" / "mock-bankid-keys" / "keys.json").is_file()
    pytester.runpytest_inprocess().assert_outcomes(passed=1)
    first, second = out.read_text().splitlines()
    assert first == second  # the second session copied the first one's key set


@pytest.mark.serves
def test_settings_override_fixture(pytester) -> None:
    plugin_conftest(pytester, {'auto_login': 'adult', 'realm': 'test'})
    pytester.makepyfile(
        """
        def test_override(mock_bankid):
            assert mock_bankid.issuer.endswith('/auth/realms/test')
            assert mock_bankid.settings.auto_login == 'adult'
            assert mock_bankid.settings.store == 'memory'
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


PARALLEL_SUITE = f"""
import base64, hashlib, json, secrets
import pytest, requests

PERSONAS = ["adult", "under-18", "turns-18-today", "leap-day", "tenor", "d-number", "age:70", "age:30",
            "age:17", "age:45", "age:60", "age:19"]


@pytest.mark.parametrize("selector", PERSONAS)
def test_each_sign_in_is_the_persona_this_test_queued(mock_bankid, selector):
    queued = mock_bankid.queue_login(selector)
    number = queued["nnin"] if isinstance(queued, dict) else queued.nnin
    doc = requests.get(mock_bankid.discovery_url, timeout=10).json()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    auth = dict(client_id="ci", redirect_uri={CI_REDIRECT!r}, response_type="code", scope="openid nnin_altsub",
                state=secrets.token_hex(8), nonce="n", code_challenge=challenge, code_challenge_method="S256")
    answer = requests.get(doc["authorization_endpoint"], params=auth, allow_redirects=False, timeout=10)
    location = answer.headers["Location"]
    code = location.split("code=")[1].split("&")[0]
    tokens = requests.post(doc["token_endpoint"], auth=("ci", "ci-secret"), timeout=10, data=dict(
        grant_type="authorization_code", code=code, redirect_uri={CI_REDIRECT!r}, code_verifier=verifier)).json()
    payload = tokens["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["iss"] == mock_bankid.issuer
    assert claims["nnin_altsub"] == number
    minted = mock_bankid.mint(selector)
    assert minted["claims"]["id_token"]["nnin_altsub"] == number
"""


def _parallel_suite(pytester) -> None:
    plugin_conftest(pytester)
    pytester.makepyfile(PARALLEL_SUITE)


@pytest.mark.serves
def test_a_parallel_suite_in_process_each_worker_its_own_server(pytester) -> None:
    """``pytest -n 4`` with the in-process default: each worker process serves its own mock."""
    _parallel_suite(pytester)
    result = pytester.runpytest_subprocess("-n", "4", "-p", "no:cacheprovider", timeout=300)
    result.assert_outcomes(passed=12)


@pytest.mark.e2e
def test_a_parallel_suite_on_one_shared_server_each_worker_its_own_realm(pytester, live_server) -> None:
    """``pytest -n 4 --mock-bankid-url``: four workers share one real server, each in a realm of its
    own, and every sign-in is the persona its own test queued; the home realm is never touched."""
    _parallel_suite(pytester)
    for _round in range(2):
        result = pytester.runpytest_subprocess("-n", "4", "-p", "no:cacheprovider",
                                               "--mock-bankid-url", live_server.base_url, timeout=300)
        result.assert_outcomes(passed=12)
    assert requests.get(f"{live_server.base_url}/_mock/next-login", timeout=10).json() == {"queue": []}
    realms = requests.get(f"{live_server.base_url}/_mock/realms", timeout=10).json()["realms"]
    assert [r["realm"] for r in realms if r["realm"].startswith("pytest-gw")] == []  # each worker cleaned up


@pytest.mark.e2e
def test_settings_cannot_be_changed_on_a_shared_server(pytester, live_server) -> None:
    """A running server's settings are its own: overriding them with --mock-bankid-url fails clearly."""
    plugin_conftest(pytester, {'token_ttl': 60})
    pytester.makepyfile("def test_it(mock_bankid):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mock-bankid-url", live_server.base_url,
                                           timeout=120)
    result.assert_outcomes(errors=1)  # the fixture refuses: the test never runs
    assert "mock_bankid_settings ['token_ttl'] cannot change a running mock" in result.stdout.str()
