"""Errors over real HTTP against a real ``mock-bankid serve``: each one with its ``error`` and where it is
sent, hostile input never answered with a 500 or a traceback, and a restart that keeps the keys.

The unit tests (test_authorize.py, test_token.py) cover the details; this is the compact table a
relying party's developer would check against, with gunicorn and its HTTP parsing in the path.
This module runs its own server (it moves the mock's clock) and a second pair for the restart.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from conftest import LiveServer, start_server
from joserfc.errors import BadSignatureError, InvalidKeyIdError
from rp import (
    NO_AUTH,
    Discovered,
    HttpRP,
    authorize_params,
    basic,
    public,
    query_of,
    raw_header,
    secret_post,
    verify_id_token,
)

pytestmark = pytest.mark.e2e

REDIRECT = "http://127.0.0.1:5555/callback"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    srv = start_server(tmp_path_factory.mktemp("errors"), workers=2)
    yield srv
    srv.stop()
    log = srv.log()
    assert "Traceback" not in log, log[-3000:]


@pytest.fixture(scope="module")
def disc(server) -> Discovered:
    return Discovered.fetch(server.discovery_url)


@pytest.fixture(autouse=True)
def fresh_clock(server):
    requests.delete(f"{server.base_url}/_mock/clock", timeout=10)
    requests.delete(f"{server.base_url}/_mock/next-login", timeout=10)
    yield
    requests.delete(f"{server.base_url}/_mock/clock", timeout=10)


@pytest.fixture
def rp(server) -> HttpRP:
    """The driver with this module's defaults (authorize_params' state, nonce and scope)."""
    return rp_on(server)


def rp_on(server: LiveServer) -> HttpRP:
    return HttpRP(server, scope="openid profile", state="st-1", nonce="n-1")


# --- authorize: before the redirect URI is trusted, an HTML page and never a redirect ----------------
@pytest.mark.parametrize("query, error, words", [
    (authorize_params(client_id=None), "invalid_request", "client_id"),
    (authorize_params(client_id="nobody"), "invalid_client", "nobody"),
    (authorize_params(redirect_uri=None), "invalid_request", "redirect_uri"),
    (authorize_params(redirect_uri="https://evil.example/callback"), "invalid_request", "redirect_uri_mismatch"),
    (authorize_params(redirect_uri="http://127.0.0.1:5555/other"), "invalid_request", "redirect_uri_mismatch"),
    (authorize_params(client_id="drop-web"), "invalid_request", "redirect_uri_mismatch"),  # ci's URI, not drop-web's
], ids=["no-client", "unknown-client", "no-redirect", "foreign-redirect", "other-path", "other-clients-uri"])
def test_untrusted_authorize_errors_are_an_html_page(disc, query, error, words):
    response = requests.get(disc.config["authorization_endpoint"], params=query, allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert error in response.text and words in response.text
    assert "evil.example/callback?" not in response.text


def test_duplicate_client_id_is_an_error_page(disc):
    url = disc.config["authorization_endpoint"] + "?" + urlencode(authorize_params()) + "&client_id=drop-web"
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "Location" not in response.headers and "invalid_request" in response.text


# --- authorize: once trusted, a redirect with error, error_description, state and iss ----------------
TRUSTED = [
    ("bad-response-mode", authorize_params(response_mode="jwt"), "invalid_request"),
    ("no-response-type", authorize_params(response_type=None), "invalid_request"),
    ("implicit", authorize_params(response_type="token"), "unsupported_response_type"),
    ("hybrid", authorize_params(response_type="code id_token"), "unsupported_response_type"),
    ("no-openid", authorize_params(scope="profile"), "invalid_scope"),
    ("unknown-scope", authorize_params(scope="openid admin"), "invalid_scope"),
    ("scope-not-registered", authorize_params(client_id="drop-mobile", redirect_uri="drop://auth/callback",
                                              scope="openid email"), "invalid_scope"),
    ("no-pkce", authorize_params(code_challenge=None, code_challenge_method=None), "invalid_request"),
    ("pkce-plain", authorize_params(code_challenge_method="plain"), "invalid_request"),
    ("pkce-method-only", authorize_params(code_challenge=None), "invalid_request"),
    ("pkce-short", authorize_params(code_challenge="abc"), "invalid_request"),
    ("public-without-pkce", authorize_params(client_id="drop-mobile", redirect_uri="drop://auth/callback",
                                       code_challenge=None, code_challenge_method=None), "invalid_request"),
    ("no-nonce", authorize_params(nonce=None), "invalid_request"),
    ("bad-acr", authorize_params(acr_values="urn:other:idp"), "invalid_request"),
    ("bad-prompt", authorize_params(prompt="dance"), "invalid_request"),
    ("prompt-none-and-login", authorize_params(prompt="none login"), "invalid_request"),
    ("bad-max-age", authorize_params(max_age="soon"), "invalid_request"),
    ("bad-login-hint", authorize_params(login_hint="nobody-at-all"), "invalid_request"),
    ("prompt-none-no-session", authorize_params(prompt="none", login_hint=None), "login_required"),
]


@pytest.mark.parametrize("query, error", [t[1:] for t in TRUSTED], ids=[t[0] for t in TRUSTED])
def test_trusted_authorize_errors_redirect_with_state(disc, query, error):
    response = requests.get(disc.config["authorization_endpoint"], params=query, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:300]
    location = response.headers["Location"]
    assert location.startswith(query["redirect_uri"] + "?")
    got = query_of(location)
    assert got["error"] == error and got["error_description"]
    assert got["state"] == "st-1" and got["iss"] == disc.config["issuer"]
    assert "code" not in got


def test_missing_state_is_an_error_without_state(disc):
    response = requests.get(disc.config["authorization_endpoint"], params=authorize_params(state=None),
                            allow_redirects=False, timeout=10)
    got = query_of(response.headers["Location"])
    assert got["error"] == "invalid_request" and "state" not in got


def test_duplicate_parameter_is_invalid_request_through_the_redirect(disc):
    url = disc.config["authorization_endpoint"] + "?" + urlencode(authorize_params()) + "&scope=openid"
    got = query_of(requests.get(url, allow_redirects=False, timeout=10).headers["Location"])
    assert got["error"] == "invalid_request" and "scope" in got["error_description"]


def test_errors_follow_the_response_mode(disc):
    fragment = requests.get(disc.config["authorization_endpoint"], allow_redirects=False, timeout=10,
                            params=authorize_params(response_mode="fragment", scope="profile"))
    location = fragment.headers["Location"]
    assert fragment.status_code == 302 and "#" in location and "?" not in location
    assert query_of(fragment.headers["Location"])["error"] == "invalid_scope"
    form = requests.get(disc.config["authorization_endpoint"], allow_redirects=False, timeout=10,
                        params=authorize_params(response_mode="form_post", scope="profile"))
    assert form.status_code == 200 and f'action="{REDIRECT}"' in form.text
    assert 'name="error" value="invalid_scope"' in form.text and 'name="state" value="st-1"' in form.text


def test_post_to_authorize_errors_the_same_way(disc):
    response = requests.post(disc.config["authorization_endpoint"], data=authorize_params(scope="profile"),
                             allow_redirects=False, timeout=10)
    assert response.status_code == 302 and query_of(response.headers["Location"])["error"] == "invalid_scope"


# --- token: JSON with the right status ---------------------------------------------------------------
TOKEN_CASES = [
    # id, the request (the driver and a fresh sign-in -> response), status, error
    ("no-auth", lambda rp, a: rp.redeem(a, auth=NO_AUTH), 401, "invalid_client"),
    ("wrong-secret-basic", lambda rp, a: rp.redeem(a, auth=basic("ci", "nope")), 401, "invalid_client"),
    ("wrong-secret-post", lambda rp, a: rp.redeem(a, auth=secret_post("ci", "nope")), 401, "invalid_client"),
    ("unknown-client", lambda rp, a: rp.redeem(a, auth=basic("nobody", "x")), 401, "invalid_client"),
    ("method-not-registered", lambda rp, a: rp.redeem(a, auth=secret_post("ci-secret-jwt")), 401, "invalid_client"),
    ("confidential-as-public", lambda rp, a: rp.redeem(a, auth=public("ci")), 401, "invalid_client"),
    ("malformed-basic", lambda rp, a: rp.redeem(a, auth=raw_header("Basic !!!")), 401, "invalid_client"),
    ("two-auth-methods", lambda rp, a: rp.redeem(a, client_id="ci", client_secret="ci-secret"), 400, "invalid_request"),
    ("no-grant-type", lambda rp, a: rp.redeem(a, grant_type=None), 400, "invalid_request"),
    ("password-grant", lambda rp, a: rp.redeem(a, grant_type="password"), 400, "unsupported_grant_type"),
    # unsupported_grant_type until the client_credentials grant exists, then unauthorized_client for drop-web
    ("grant-not-registered", lambda rp, a: rp.post("token", {"grant_type": "client_credentials"}, auth="drop-web"),
     400, ("unauthorized_client", "unsupported_grant_type")),
    ("no-code", lambda rp, a: rp.redeem(a, code=None), 400, "invalid_request"),
    ("unknown-code", lambda rp, a: rp.redeem("x" * 43, a.verifier), 400, "invalid_grant"),
    ("wrong-redirect", lambda rp, a: rp.redeem(a, redirect_uri="http://127.0.0.1:5556/callback"), 400, "invalid_grant"),
    ("no-redirect", lambda rp, a: rp.redeem(a, redirect_uri=None), 400, "invalid_grant"),
    ("no-verifier", lambda rp, a: rp.redeem(a, code_verifier=None), 400, "invalid_request"),
    ("wrong-verifier", lambda rp, a: rp.redeem(a, code_verifier="w" * 43), 400, "invalid_grant"),
    ("short-verifier", lambda rp, a: rp.redeem(a, code_verifier="short"), 400, "invalid_grant"),
    ("other-clients-code", lambda rp, a: rp.redeem(a, auth="bankid-strict"), 400, "invalid_grant"),
]


@pytest.mark.parametrize("send, status, error", [t[1:] for t in TOKEN_CASES], ids=[t[0] for t in TOKEN_CASES])
def test_token_errors_are_json_with_the_right_status(rp, send, status, error):
    response = send(rp, rp.authorized())
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] in ((error,) if isinstance(error, str) else error) and body.get("error_description")
    assert response.headers.get("Cache-Control") == "no-store"
    if status == 401 and "Authorization" in response.request.headers:
        assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_token_request_as_json_is_invalid_request(disc, rp):
    authz = rp.authorized()
    form = {"grant_type": "authorization_code", "code": authz.code, "redirect_uri": authz.redirect_uri,
            "code_verifier": authz.verifier}
    response = requests.post(disc.config["token_endpoint"], json=form, auth=("ci", "ci-secret"), timeout=10)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_code_replay_is_invalid_grant_and_revokes_the_first_tokens(disc, rp):
    assert disc.config["userinfo_endpoint"] == rp.endpoint("userinfo")
    authz = rp.authorized()
    first = rp.redeem(authz)
    assert first.status_code == 200
    access = first.json()["access_token"]
    assert rp.userinfo(access).status_code == 200
    again = rp.redeem(authz)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert rp.userinfo(access).status_code == 401


def test_code_expires_with_the_mock_clock(rp):
    authz = rp.authorized()
    rp.advance(120).raise_for_status()
    response = rp.redeem(authz)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


# --- userinfo: 401 + WWW-Authenticate Bearer ---------------------------------------------------------
@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-jwt", "Basic Y2k6Y2ktc2VjcmV0", "bearer a.b.c"])
def test_userinfo_without_a_valid_token_is_401(disc, header):
    response = requests.get(disc.config["userinfo_endpoint"], headers={"Authorization": header} if header else {},
                            timeout=10)
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer") and 'error="invalid_token"' in challenge


def test_userinfo_after_the_token_expires_is_401(rp):
    access = rp.redeem(rp.authorized()).json()["access_token"]
    rp.advance(301).raise_for_status()
    response = rp.userinfo(access)
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_login_page_csp_lets_the_form_reach_the_redirect_uri(disc):
    """Chromium enforces form-action on the login POST's redirect (see test_e2e_browser.py)."""
    for client_id, redirect_uri, source in [("ci", REDIRECT, "http://127.0.0.1:5555"),
                                            ("drop-mobile", "drop://auth/callback", "drop:")]:
        response = requests.get(disc.config["authorization_endpoint"], timeout=10,
                                params=authorize_params(client_id=client_id, redirect_uri=redirect_uri, login_hint=None,
                                                        scope="openid"))
        assert response.status_code == 200
        csp = response.headers["Content-Security-Policy"]
        form_action = next(d for d in csp.split(";") if d.strip().startswith("form-action")).split()
        assert form_action == ["form-action", "'self'", source], csp


# --- hostile input: never a 500, never a traceback -----------------------------------------------------
def raw_request(server: LiveServer, request: bytes) -> tuple[int, bytes]:
    """Send bytes exactly as given (requests would re-encode them); return status and the whole response."""
    host, port = urlsplit(server.base_url).hostname, urlsplit(server.base_url).port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    response = b"".join(chunks)
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0
    return status, response


def endpoints(server: LiveServer) -> dict[str, str]:
    issuer_path = urlsplit(server.issuer).path
    return {
        "discovery": f"{issuer_path}/.well-known/openid-configuration",
        "authorize": f"{issuer_path}/precheck/auth",
        "login": f"{issuer_path}/precheck/login",
        "token": f"{issuer_path}/protocol/openid-connect/token",
        "jwks": f"{issuer_path}/protocol/openid-connect/certs",
        "userinfo": "/userinfo",
        "next-login": "/_mock/next-login",
        "clock": "/_mock/clock",
        "personas": "/_mock/personas",
        "unknown": f"{issuer_path}/nothing-here",
    }


def assert_sane(status: int, body: bytes, what: str) -> None:
    assert 0 < status < 500, (what, status, body[:500])
    lowered = body.lower()
    assert b"traceback" not in lowered and b'file "/' not in lowered, (what, body[:500])


HOSTILE_QUERIES = [
    "client_id=" + "a" * 3000,                         # long, still within gunicorn's request line limit
    "client_id=" + "a" * 9000,                         # beyond it: gunicorn answers 414 itself
    "client_id=%zz&redirect_uri=%",                    # bad percent-encoding
    "client_id=%ff%fe%fd&scope=%c3%28",                # percent-encoded bytes that are not UTF-8
    "client_id=ci&redirect_uri=" + "%E2%9C%93" * 50 + "&state=%F0%9F%98%80&login_hint=%00",  # unicode, NUL
    "client_id=ci&client_id=ci&redirect_uri=x&redirect_uri=y",  # duplicates
    "client_id[]=ci&redirect_uri[$ne]=1",              # array-ish keys
    "=&&&=&client_id",                                 # empty names and values
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_query_strings_on_every_endpoint(server, query):
    for name, path in endpoints(server).items():
        for method in ("GET", "POST"):
            request = (f"{method} {path}?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                       "Content-Length: 0\r\n\r\n").encode()
            assert_sane(*raw_request(server, request), f"{method} {name} ?{query[:60]}")


@pytest.mark.parametrize("content_type, body", [
    ("application/json", b'{"grant_type": "authorization_code"'),            # broken JSON
    ("application/json", b'[1, 2, 3]'),
    ("application/json", b'"just a string"'),
    ("text/plain", b"grant_type=authorization_code&code=x"),
    ("multipart/form-data; boundary=zzz",
     b"--zzz\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nx\r\n--zzz--\r\n"),
    ("multipart/form-data", b"no boundary"),
    ("application/x-www-form-urlencoded", b"grant_type=%zz&code=%ff%fe&client_id=%00"),
    ("application/x-www-form-urlencoded; charset=latin-1", "client_id=cï&persona=æøå".encode("latin-1")),
    ("application/x-www-form-urlencoded", b"a=" + b"b" * 200_000),
    ("application/x-www-form-urlencoded", b"session=x&session=y&csrf_token=1&action=cancel&action=number"),
    ("application/xml", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>"),
])
def test_hostile_bodies_on_every_endpoint(server, content_type, body):
    for name, path in endpoints(server).items():
        for method in ("POST", "PUT"):
            head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
            status, response = raw_request(server, head + body)
            assert_sane(status, response, f"{method} {name} {content_type}")
            assert b"root:" not in response


def test_a_body_over_the_limit_is_413_not_500(server):
    path = endpoints(server)["token"]
    body = b"a=" + b"b" * (2 * 1024 * 1024)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    try:
        status, response = raw_request(server, head + body)
    except (ConnectionResetError, BrokenPipeError):
        return  # the server may stop reading and close: also not a 500
    assert status == 413, response[:300]


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND"])
def test_every_method_on_every_endpoint(server, method):
    for name, path in endpoints(server).items():
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        request = head.encode()
        status, response = raw_request(server, request)
        assert_sane(status, response, f"{method} {name}")
        if method == "HEAD":
            assert response.split(b"\r\n\r\n", 1)[1] == b"", f"HEAD {name} sent a body"


def test_hostile_headers(server):
    path = endpoints(server)["userinfo"]
    for header in ("Authorization: Bearer " + "A" * 6000, "Authorization: Bearer \x01\x02", "Authorization: Basic",
                   "Authorization: " + "x" * 100, "Content-Length: -1", "Transfer-Encoding: chunked, identity",
                   "Host: " + "h" * 500):
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{header}\r\n\r\n".encode("latin-1")
        assert_sane(*raw_request(server, request), header[:40])


def test_hostile_login_hints_and_next_login_entries(disc, server):
    for hint in ("x" * 2000, "age:-5", "age:999", "born:2999-01-01", "born:1999-02-30", "BID:", "BIM:1:2", "{",
                 '{"scheme": 1}',
                 "nnin:" + "9" * 100, "gen:age=abc", "\u202e\u0000", "' OR 1=1 --"):
        response = requests.get(disc.config["authorization_endpoint"], params=authorize_params(login_hint=hint),
                                allow_redirects=False, timeout=10)
        assert_sane(response.status_code, response.content, f"login_hint {hint!r}")
        queued = requests.post(f"{server.base_url}/_mock/next-login", json={"persona": hint}, timeout=10)
        assert_sane(queued.status_code, queued.content, f"next-login {hint!r}")
    requests.delete(f"{server.base_url}/_mock/next-login", timeout=10)
    for body in ('{"advance": "soon"}', '{"shift": null}', '{"shift": 1e308}', '{"advance": NaN}',
                 '{"shift": Infinity}',
                 '{"shift": -1e12}', "[]", '"x"', "{"):
        response = requests.put(f"{server.base_url}/_mock/clock", data=body, timeout=10,
                                headers={"Content-Type": "application/json"})
        assert_sane(response.status_code, response.content, f"clock {body!r}")
        # Whatever the clock was set to, the mock must still answer sanely (or have refused the value).
        for url in (f"{server.base_url}/_mock/clock", f"{server.base_url}/_mock/personas"):
            after = requests.get(url, timeout=10)
            assert_sane(after.status_code, after.content, f"GET {url} after clock {body!r}")
        after = requests.get(disc.config["authorization_endpoint"], params=authorize_params(), allow_redirects=False,
                             timeout=10)
        assert_sane(after.status_code, after.content, f"authorize after clock {body!r}")
        requests.delete(f"{server.base_url}/_mock/clock", timeout=10)


# --- a restart keeps the keys --------------------------------------------------------------------------
def test_restart_keeps_keys_and_tokens_verify_after_it(tmp_path):
    first = start_server(tmp_path, workers=2)
    try:
        disc = Discovered.fetch(first.discovery_url)
        rp = rp_on(first)
        authz = rp.authorized()
        body = rp.redeem(authz).json()
        pending = rp.authorized()  # issued before the restart, redeemed after
        before = disc.jwks
    finally:
        first.stop()
    port = urlsplit(first.base_url).port
    second = start_server(tmp_path, workers=2, port=port)  # same keys dir, same port: same issuer
    try:
        after = Discovered.fetch(second.discovery_url)
        assert after.jwks == before
        assert after.config["issuer"] == disc.config["issuer"]
        rp = rp_on(second)
        assert rp.issuer == after.config["issuer"]
        claims = rp.verify(body, authz, jwks=after.jwks)
        assert claims["aud"] == "ci"
        # The default sqlite store lives in the data dir, so sessions survive too.
        info = rp.userinfo(body["access_token"])
        assert info.status_code == 200 and info.json()["sub"] == claims["sub"]
        assert rp.redeem(pending).status_code == 200
    finally:
        second.stop()
    assert "Traceback" not in first.log() + second.log()


def test_a_fresh_keys_dir_means_other_keys(tmp_path):
    """The control for the test above: without the keys dir the old token must not verify."""
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    first = start_server(tmp_path / "a", workers=1)
    try:
        disc = Discovered.fetch(first.discovery_url)
        id_token = rp_on(first).tokens()["id_token"]
    finally:
        first.stop()
    second = start_server(tmp_path / "b", workers=1)
    try:
        other = Discovered.fetch(second.discovery_url)
        assert other.jwks != disc.jwks
        with pytest.raises((BadSignatureError, InvalidKeyIdError)):
            verify_id_token(id_token, other.jwks, issuer=disc.config["issuer"], client_id="ci", nonce="n-1")
    finally:
        second.stop()


def test_racing_redemptions_of_one_code_across_workers(rp):
    """RFC 6749 §4.1.2: a code is used once. Eight clients racing on separate connections: exactly one wins."""
    from concurrent.futures import ThreadPoolExecutor

    authz = rp.authorized()
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: rp.redeem(authz), range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * 7, [r.text for r in responses]
    assert {r.json()["error"] for r in responses if r.status_code == 400} == {"invalid_grant"}
