"""Traps and state scenarios against openid-client 6 (Node), a certified relying-party library.

Run `cd tests/node && npm ci` once; without node_modules this file is skipped with that advice.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from conftest import PROJECT_ROOT, start_server

NODE_DIR = PROJECT_ROOT / "tests" / "node"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.node,
    pytest.mark.skipif(
        shutil.which("node") is None or not (NODE_DIR / "node_modules" / "openid-client").is_dir(),
        reason="openid-client not installed: run `cd tests/node && npm ci` (scripts/setup-test does)",
    ),
]

REFUSED = {  # scenario -> what openid-client says is wrong (the cause's message)
    "trap-unknown-kid": "no applicable keys found",
    "trap-bad-signature": "JWT signature verification failed",
    "trap-alg-none": 'unexpected JWT "alg" header parameter',
    "trap-hs256": 'unexpected JWT "alg" header parameter',
    "trap-expired": '"exp" (expiration time) claim value, expiration is past',
    "trap-wrong-iss": 'unexpected JWT "iss" (issuer) claim value',
    "trap-wrong-aud": 'unexpected JWT "aud" (audience) claim value',
    "trap-nonce": 'unexpected ID Token "nonce" claim value',
    "trap-nonce-missing": '"nonce" (nonce) claim missing',
    "state-mismatch": 'unexpected "state" response parameter value',
    "state-missing": 'response parameter "state" missing',
}
LEFT_TO_THE_APP = ["trap-future-iat", "trap-at-hash", "trap-missing-nnin"]
"""openid-client accepts these: it does not bound iat, at_hash is optional in the code flow
(OIDC Core §3.1.3.8 "MAY"), and the national identity number is the application's rule."""


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    server = start_server(tmp_path_factory.mktemp("node-traps"), workers=2)
    try:
        done = subprocess.run(["node", str(NODE_DIR / "traps.mjs"), server.base_url, *REFUSED, *LEFT_TO_THE_APP],
                              capture_output=True, text=True, timeout=120, cwd=NODE_DIR)
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    return {r["scenario"]: r for r in map(json.loads, done.stdout.splitlines())}


@pytest.mark.parametrize("name", list(REFUSED))
def test_openid_client_refuses_for_the_intended_reason(results, name):
    result = results[name]
    assert result["accepted"] is False, result
    assert REFUSED[name] in result["cause"]["message"], result


@pytest.mark.parametrize("name", LEFT_TO_THE_APP)
def test_what_openid_client_leaves_to_the_application(results, name):
    assert results[name]["accepted"] is True, results[name]
