"""redirect_uri is compared exactly, as BankID does (issue 12.7). The documented conveniences stay
(loopback IPs on any port, RFC 8252 §7.3; ``*`` for host:port in custom schemes) and nothing else."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from conftest import pkce_pair

AUTH = "/auth/realms/current/precheck/auth"

ACCEPTED = [
    ("ci", "http://127.0.0.1/callback"),
    ("ci", "http://127.0.0.1:5555/callback"),
    ("ci", "http://127.0.0.1:1/callback"),
    ("ci", "http://127.0.0.1:65535/callback"),
    ("ci", "http://localhost:3000/api/auth/bankid/callback"),
    ("drop-mobile", "drop://auth/callback"),
    ("drop-mobile", "exp://192.168.1.10:8081/--/auth/callback"),
    ("drop-mobile", "exp://my-laptop.local/--/auth/callback"),
]

REFUSED = [
    ("ci", "http://127.0.0.1/callback?"),
    ("ci", "http://127.0.0.1:5555/callback?"),
    ("ci", "http://127.0.0.1/callback#"),
    ("ci", "http://127.0.0.1:0/callback"),
    ("ci", "http://127.0.0.1:65536/callback"),
    ("ci", "http://127.0.0.1:05555/callback"),
    ("ci", "http://127.0.0.1:/callback"),
    ("ci", "http://127.0.0.1:5555/call\tback"),
    ("ci", "http://127.0.0.1:5555/callback\t"),
    ("ci", "\thttp://127.0.0.1:5555/callback"),
    ("ci", " http://127.0.0.1:5555/callback"),
    ("ci", "http://127.0.0.1:5555/callback "),
    ("ci", "http://127.0.0.1:5555/callback\n"),
    ("ci", "HTTP://127.0.0.1:5555/callback"),
    ("ci", "Http://127.0.0.1/callback"),
    ("ci", "http://127.0.0.1:5555/Callback"),
    ("ci", "http://127.0.0.1:5555/callback/"),
    ("ci", "http://127.0.0.1:5555//callback"),
    ("ci", "http://user@127.0.0.1:5555/callback"),
    ("ci", "http://127.0.0.1:5555@evil.example/callback"),
    ("ci", "http://127.0.0.1.:5555/callback"),
    ("ci", "http://127.1:5555/callback"),
    ("ci", "http://localhost:3000/api/auth/bankid/callback?"),
    ("ci", "http://LOCALHOST:3000/api/auth/bankid/callback"),
    ("ci", "http://localhost:3000/api/auth/bankid/callback "),
    ("drop-mobile", "drop://auth/callback "),
    ("drop-mobile", "DROP://auth/callback"),
    ("drop-mobile", "drop://auth/callback?"),
    ("drop-mobile", "exp://evil.example/x/--/auth/callback"),
    ("drop-mobile", "exp://a b/--/auth/callback"),
    ("drop-mobile", "exp://a\tb/--/auth/callback"),
    ("drop-mobile", "exp://user@host/--/auth/callback"),
    ("drop-mobile", "EXP://192.168.1.10:8081/--/auth/callback"),
    ("drop-mobile", "exp:///--/auth/callback"),
    ("drop-mobile", "exp://192.168.1.10:8081/--/auth/callback?"),
]


@pytest.mark.parametrize(("client_id", "uri"), ACCEPTED)
def test_registered_and_documented_forms_are_accepted(provider, client_id, uri):
    assert provider.clients.get(client_id).redirect_uri_allowed(uri)


@pytest.mark.parametrize(("client_id", "uri"), REFUSED)
def test_anything_else_is_refused(provider, client_id, uri):
    assert not provider.clients.get(client_id).redirect_uri_allowed(uri)


@pytest.mark.parametrize("uri", ["http://127.0.0.1/callback?", "http://127.0.0.1:0/callback",
                                 "http://127.0.0.1:5555/call\tback", " http://127.0.0.1:5555/callback",
                                 "HTTP://127.0.0.1:5555/callback"])
def test_authorize_shows_an_error_page_and_never_redirects(client, uri):
    _verifier, challenge = pkce_pair()
    response = client.get(AUTH + "?" + urlencode({
        "client_id": "ci", "redirect_uri": uri, "response_type": "code", "scope": "openid", "state": "s1",
        "nonce": "n1", "code_challenge": challenge, "code_challenge_method": "S256", "login_hint": "adult"}))
    assert response.status_code == 400
    assert "Location" not in response.headers
