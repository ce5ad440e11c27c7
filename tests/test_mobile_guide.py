"""docs/mobile.md's settings, run as written: a real server started with each case's variables hands
out the issuer and endpoints the guide promises, and on the LAN refuses state changes without the
control token. (The device itself cannot be tested here; everything up to its network can.)"""

from __future__ import annotations

import re

import pytest
import requests

from mock_bankid.core.settings import PROJECT_ROOT
from tests.conftest import free_port, start_server

GUIDE = (PROJECT_ROOT / "docs" / "mobile.md").read_text(encoding="utf-8")
GUIDE_PORT = ":8080"


def case(name: str) -> dict[str, str]:
    """The ``export NAME=value`` lines of the block the guide marks for ``name``."""
    match = re.search(rf"<!-- tests/test_mobile_guide.py: {name} -->\n```sh\n(.*?)```", GUIDE, re.S)
    assert match, f"docs/mobile.md has no block for {name}"
    assert "make run" in match.group(1), "each case ends in the README's one command"
    return dict(re.findall(r"^export (MOCK_BANKID_\w+)=(\S+)", match.group(1), re.M))


def serve(tmp_path, settings: dict[str, str]):
    port = free_port()
    env = {name: value.replace(GUIDE_PORT, f":{port}") for name, value in settings.items()}
    env.setdefault("MOCK_BANKID_BASE_URL", f"http://localhost:{port}")  # make run's default
    return start_server(tmp_path, workers=1, port=port, env=env), port


def discovery(port: int) -> dict:
    """Fetched as the BFF does: on this machine's loopback."""
    return requests.get(f"http://127.0.0.1:{port}/auth/realms/current/.well-known/openid-configuration",
                        timeout=10).json()


@pytest.mark.e2e
def test_ios_simulator_is_localhost_everywhere(tmp_path):
    server, port = serve(tmp_path, case("ios"))
    try:
        doc = discovery(port)
        assert doc["issuer"] == f"http://localhost:{port}/auth/realms/current"
        assert doc["authorization_endpoint"].startswith(f"http://localhost:{port}/")
        assert doc["token_endpoint"].startswith(f"http://localhost:{port}/")
    finally:
        server.stop()


@pytest.mark.e2e
def test_android_emulator_issuer_is_10_0_2_2_and_the_bff_uses_the_back_channel(tmp_path):
    settings = case("android")
    assert settings["MOCK_BANKID_BASE_URL"].startswith("http://10.0.2.2:")
    server, port = serve(tmp_path, settings)
    try:
        doc = discovery(port)
        assert doc["issuer"] == f"http://10.0.2.2:{port}/auth/realms/current"  # what the emulator's browser reaches
        assert doc["authorization_endpoint"].startswith(f"http://10.0.2.2:{port}/")
        for key in ("token_endpoint", "jwks_uri", "userinfo_endpoint"):  # what the BFF on the host reaches
            assert doc[key].startswith(f"http://localhost:{port}/"), key
        assert requests.get(doc["jwks_uri"], timeout=10).json()["keys"]  # and it answers there
    finally:
        server.stop()


@pytest.mark.e2e
def test_a_phone_on_the_lan_gets_the_lan_issuer_and_changes_need_the_token(tmp_path):
    settings = case("lan")
    assert settings["MOCK_BANKID_HOST"] == "0.0.0.0" and settings["MOCK_BANKID_ALLOW_PUBLIC_BIND"] == "true"
    settings["MOCK_BANKID_BASE_URL"] = settings["MOCK_BANKID_BASE_URL"].replace("192.168.1.20", "192.0.2.20")
    server, port = serve(tmp_path, settings)  # only loopback is ever asked below
    try:
        doc = discovery(port)
        assert doc["issuer"] == f"http://192.0.2.20:{port}/auth/realms/current"
        assert doc["token_endpoint"].startswith(f"http://localhost:{port}/")
        url = f"http://127.0.0.1:{port}/_mock/scenario"
        refused = requests.put(url, json={"scenario": "outage"}, timeout=10)
        assert refused.status_code == 401
        token = settings["MOCK_BANKID_CONTROL_TOKEN"]
        allowed = requests.put(url, json={"scenario": "outage"}, timeout=10,
                               headers={"Authorization": f"Bearer {token}"})
        assert allowed.status_code == 200
        assert requests.get(f"http://127.0.0.1:{port}/_mock/health", timeout=10).status_code == 200
    finally:
        server.stop()
