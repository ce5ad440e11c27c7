"""The relying-party libraries teams use, each running its docs/clients.md recipe against a real
``mock-bankid serve`` with the shipped fixtures, unchanged.

- Auth.js (next-auth 5, ``next-auth/providers/bankid-no`` and ``next-auth/providers/vipps``) in a
  built Next.js 15 app (tests/clients/authjs), signed in through the real login page in Chromium;
- oidc-client-ts 3 on a page served from another origin than the mock, in Chromium (drop-spa,
  and drop-mobile as Expo's web mode uses it);
- openid-client 5 and 6, and Authlib, headless (the next-login queue picks who signs in), with
  BankID and with Vipps Login;
- the requests expo-auth-session sends for ``drop-mobile`` (public client, PKCE, ``drop://``
  redirect): a dev convenience BankID will not register. The Expo recipe BankID allows goes through
  the BFF; its HTTP part is tests/test_drill_bff_mobile.py.

Each recipe file is the code the doc quotes (``test_docs_quote_the_recipes_verbatim``).
Skip/fail policy: without ``node`` or ``/usr/bin/chromium`` the tests that need them skip; with
``node`` present but a package not installed or the Next.js app not built they FAIL with the
set-up advice, so CI (scripts/setup-test installs and builds everything) can never skip them silently.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from conftest import CHROMIUM, FIXTURES, free_port
from rp import Discovered, pkce_pair, query_of, verify_id_token
from rp.driver import VIPPS_ISSUER_PATH

from mock_bankid.people.personas import PersonaRegistry

HERE = Path(__file__).parent
CLIENTS = HERE / "clients"
NODE_DIR = HERE / "node"
DOC = HERE.parent / "docs" / "clients.md"
NODE = shutil.which("node")
SETUP_ADVICE = ("run scripts/setup-test (make test does): it runs npm ci in tests/node and tests/clients/*, "
                "and next build")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BIS = "urn:bankid:bis;LOA=3"
BID = "urn:bankid:bid;LOA=4"

pytestmark = pytest.mark.e2e
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed (scripts/setup-test installs nodejs)")
needs_browser = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed")]


def require(path: Path) -> None:
    """Fail (not skip) when node is here but a package or the build is missing."""
    if not path.exists():
        pytest.fail(f"{path.relative_to(HERE.parent)} is missing: {SETUP_ADVICE}")


def empty_queues(live_server) -> None:
    """Nobody queued at either provider (a Vipps sign-in refused before its login leaves its entry)."""
    for provider in ("bankid", "vipps"):
        requests.delete(f"{live_server.base_url}/_mock/next-login", params={"provider": provider}, timeout=10)


@pytest.fixture(autouse=True)
def empty_queue(live_server):
    empty_queues(live_server)
    yield
    empty_queues(live_server)


@pytest.fixture(scope="module")
def personas(live_server) -> dict[str, dict]:
    """/_mock/personas, each with the details it leaves out (e-mail, phone, address) from the same
    fixtures, as ``mock-bankid personas show`` prints them."""
    listed = requests.get(f"{live_server.base_url}/_mock/personas", timeout=10).json()
    registry, today = PersonaRegistry.load(FIXTURES), date.fromisoformat(listed["today"])
    return {p["id"]: registry.get(p["id"], today).as_dict(today) | p for p in listed["personas"]}


def queue(live_server, persona: str, provider: str = "bankid") -> None:
    """Who signs in next at ``provider``: ``?provider=`` binds a control call to that provider's queue."""
    response = requests.post(f"{live_server.base_url}/_mock/next-login", params={"provider": provider},
                             json={"persona": persona}, timeout=10)
    assert response.status_code in (200, 201), response.text


def vipps_issuer(live_server) -> str:
    """The mock's Vipps Login issuer: Vipps's path under the base URL, with its trailing slash."""
    return live_server.base_url + VIPPS_ISSUER_PATH


def assert_identity(got: dict, persona: dict, acr: str) -> None:
    assert got["name"] == persona["name"]
    assert got["nnin"] == persona["nnin"] and len(got["nnin"]) == 11
    assert got["acr"] == acr


# --- headless: openid-client 5 and 6, Authlib ----------------------------------------------------
def node(script: Path, live_server, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, BANKID_ISSUER=live_server.issuer, VIPPS_ISSUER=vipps_issuer(live_server))
    return subprocess.run([NODE, script.name, *args], cwd=script.parent, env=env, capture_output=True, text=True,
                          timeout=60)


def run_node(script: Path, live_server, *args: str) -> dict:
    done = node(script, live_server, *args)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@needs_node
@pytest.mark.node
def test_openid_client_5_recipe(live_server, personas):
    require(CLIENTS / "openid-client-5" / "node_modules" / "openid-client")
    version = json.loads((CLIENTS / "openid-client-5/node_modules/openid-client/package.json").read_text())["version"]
    assert version.startswith("5."), version
    queue(live_server, "adult-25")
    out = run_node(CLIENTS / "openid-client-5" / "run.cjs", live_server)
    assert_identity(out, personas["adult-25"], BID)
    assert out["claims"]["pid"] == out["nnin"] and out["claims"]["aud"] == "drop-web"
    assert out["userinfo"]["sub"] == out["claims"]["sub"] and out["userinfo"]["name"] == out["name"]


@needs_node
@pytest.mark.node
def test_openid_client_6_recipe(live_server, personas):
    require(NODE_DIR / "node_modules" / "openid-client")
    queue(live_server, "adult-67")
    out = run_node(NODE_DIR / "bankid_run.mjs", live_server)
    assert_identity(out, personas["adult-67"], BID)
    assert out["claims"]["pid"] == out["nnin"]
    assert out["userinfo"]["sub"] == out["claims"]["sub"] and "nnin" not in out["userinfo"]


# --- Vipps Login: openid-client 6 and 5 --------------------------------------------------------------
VIPPS_NIN = ("drop-web-vipps", "drop-web-vipps-secret")
VIPPS_NO_NIN = ("drop-web-vipps-no-nin", "drop-web-vipps-no-nin-secret")


def assert_vipps_identity(out: dict, persona: dict, live_server) -> None:
    """What every Vipps recipe returns for a client allowed nin: the person from userinfo, nothing
    about them in the ID token but its pairwise sub."""
    claims, info = out["claims"], out["userinfo"]
    assert claims["iss"] == vipps_issuer(live_server)
    assert isinstance(claims["aud"], list) and claims["aud"][0] in (VIPPS_NIN[0], VIPPS_NO_NIN[0])
    assert UUID_RE.fullmatch(claims["sub"]) and claims["sub"] != persona["sub"], "a pairwise UUID, not BankID's sub"
    assert not {"nin", "nnin", "nnin_altsub", "pid", "name", "birthdate"} & claims.keys(), claims
    assert out["sub"] == info["sub"] == claims["sub"]
    assert out["name"] == persona["name"]
    assert out.get("nin") == persona["nnin"], "nin, from userinfo, is BankID's number for the same person"
    assert out["birthdate"] == persona["birthdate"]
    assert out["phone_number"] == persona["phone_number"].removeprefix("+") and out["phone_number"].isdigit(), \
        "country code, no +"


@needs_node
@pytest.mark.node
def test_openid_client_6_vipps_recipe(live_server, personas):
    require(NODE_DIR / "node_modules" / "openid-client")
    persona = personas["adult"]
    queue(live_server, "adult", provider="vipps")
    allowed = run_node(NODE_DIR / "vipps_run.mjs", live_server, *VIPPS_NIN)
    assert_vipps_identity(allowed, persona, live_server)
    assert allowed["claims"]["aud"] == [VIPPS_NIN[0]]
    # A client without Vipps's permission for nin: asking for it is refused, at the callback.
    queue(live_server, "adult", provider="vipps")
    asked = node(NODE_DIR / "vipps_run.mjs", live_server, *VIPPS_NO_NIN)
    assert asked.returncode != 0 and "invalid_scope" in asked.stderr, asked.stderr[-2000:]
    empty_queues(live_server)
    queue(live_server, "adult", provider="vipps")
    other = run_node(NODE_DIR / "vipps_run.mjs", live_server, *VIPPS_NO_NIN, "openid name email phoneNumber birthDate")
    assert other["name"] == persona["name"] and other["claims"]["aud"] == [VIPPS_NO_NIN[0]]
    assert "nin" not in other["userinfo"], "only a client Vipps allowed nin gets the number"
    assert other["sub"] != allowed["sub"], "sub is pairwise: another client, another sub for the same person"


@needs_node
@pytest.mark.node
def test_openid_client_5_vipps_recipe(live_server, personas):
    require(CLIENTS / "openid-client-5" / "node_modules" / "openid-client")
    queue(live_server, "adult", provider="vipps")
    out = run_node(CLIENTS / "openid-client-5" / "run_vipps.cjs", live_server)  # the recipe's default: drop-web-vipps
    assert_vipps_identity(out, personas["adult"], live_server)


def load_authlib_recipe(live_server, name: str = "bankid_authlib"):
    spec = importlib.util.spec_from_file_location(name, CLIENTS / "authlib" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.ISSUER = vipps_issuer(live_server) if name == "vipps_authlib" else live_server.issuer
    return module


def test_authlib_recipe_with_client_secret_post(live_server, personas):
    recipe = load_authlib_recipe(live_server)
    config = recipe.discover()
    url, pending = recipe.start_sign_in(config)
    assert "nonce=" in url and "code_challenge_method=S256" in url
    queue(live_server, "adult")
    location = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    assert location.startswith(recipe.REDIRECT_URI + "?")
    out = recipe.finish_sign_in(config, location, pending)
    assert_identity(out, personas["adult"], BID)
    assert out["claims"]["pid"] == out["nnin"]  # the token request authenticated with client_secret_post


def test_authlib_recipe_refuses_a_tampered_callback(live_server):
    recipe = load_authlib_recipe(live_server)
    config = recipe.discover()
    url, pending = recipe.start_sign_in(config)
    queue(live_server, "adult")
    location = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    with pytest.raises(Exception, match=r"(?i)state"):
        recipe.finish_sign_in(config, location.replace("state=", "state=x"), pending)


def test_authlib_vipps_recipe(live_server, personas):
    recipe = load_authlib_recipe(live_server, "vipps_authlib")
    config = recipe.discover()
    assert config["issuer"] == recipe.ISSUER
    url, pending = recipe.start_sign_in(config)
    assert "nonce=" in url and "code_challenge_method=S256" in url and len(pending["state"]) >= 8
    queue(live_server, "adult", provider="vipps")
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, f"the queued sign-in did not happen: {answer.status_code} {answer.text[:300]}"
    location = answer.headers["Location"]
    assert location.startswith(recipe.REDIRECT_URI + "?")
    out = recipe.finish_sign_in(config, location, pending)  # the token request authenticated with Basic
    assert_vipps_identity(out, personas["adult"], live_server)


# --- drop-mobile: the dev convenience BankID will not register -----------------------------------
def test_expo_native_flow_as_a_public_pkce_client(live_server, personas):
    """The requests expo-auth-session's AuthRequest (usePKCE, extraParams.nonce) and
    exchangeCodeAsync send for ``drop-mobile``: a public client, which BankID does not register
    (docs/clients.md says so; the Expo recipe there goes through the BFF, tests/test_drill_bff_mobile.py).
    Kept as the mock's dev convenience; the redirect is makeRedirectUri({scheme, path}) in a native build.
    """
    config = {"clientId": "drop-mobile", "scheme": "drop", "path": "auth/callback",
              "scopes": ["openid", "profile", "nnin_altsub"]}
    disc = Discovered.fetch(live_server.discovery_url)
    redirect_uri = f"{config['scheme']}://{config['path']}"
    assert redirect_uri == "drop://auth/callback"
    verifier, challenge = pkce_pair()
    state, nonce = secrets.token_hex(5), secrets.token_urlsafe(16)
    # makeAuthUrlAsync's order: code_challenge, extraParams, code_challenge_method, redirect_uri, ...
    query = {"code_challenge": challenge, "nonce": nonce, "code_challenge_method": "S256", "redirect_uri": redirect_uri,
             "client_id": config["clientId"], "response_type": "code", "state": state,
             "scope": " ".join(config["scopes"])}
    queue(live_server, "adult-25")
    location = requests.get(disc.config["authorization_endpoint"] + "?" + urlencode(query),
                            allow_redirects=False, timeout=10).headers["Location"]
    assert location.startswith("drop://auth/callback?")
    got = query_of(location)
    assert got["state"] == state
    token = requests.post(disc.config["token_endpoint"], timeout=10, headers={"Accept": "application/json"}, data={
        "grant_type": "authorization_code", "code": got["code"], "redirect_uri": redirect_uri,
        "client_id": config["clientId"], "code_verifier": verifier})
    assert token.status_code == 200, token.text
    body = token.json()
    claims = verify_id_token(body["id_token"], disc.jwks, issuer=disc.config["issuer"], client_id="drop-mobile",
                             nonce=nonce, access_token=body["access_token"])
    assert_identity({"name": claims["name"], "nnin": claims["nnin_altsub"], "acr": claims["acr"]},
                    personas["adult-25"], BID)
    assert claims["pid"] == claims["nnin_altsub"] and "refresh_token" not in body  # no offline_access asked
    info = requests.get(disc.config["userinfo_endpoint"], timeout=10,
                        headers={"Authorization": f"Bearer {body['access_token']}", "Accept": "application/json"})
    assert info.status_code == 200 and info.json()["sub"] == claims["sub"]


# --- browsers ---------------------------------------------------------------------------------------
@pytest.fixture
def page(chromium):
    context = chromium.new_context()  # fresh cookies: no SSO session from another test
    page = context.new_page()
    page.console_lines = []
    page.on("console", lambda msg: page.console_lines.append(msg.text))
    yield page
    context.close()


@pytest.fixture(scope="module")
def authjs_app(live_server, tmp_path_factory) -> Iterator[str]:
    """``next start`` of the built Auth.js app on a free port; the browser uses http://localhost:<port>."""
    if NODE is None:
        pytest.skip("node is not installed")
    app_dir = CLIENTS / "authjs"
    require(app_dir / "node_modules" / "next-auth")
    require(app_dir / ".next" / "BUILD_ID")
    port = free_port()
    env = dict(os.environ, AUTH_SECRET=secrets.token_urlsafe(32), AUTH_TRUST_HOST="true",
               AUTH_BANKID_NO_ISSUER=live_server.issuer, AUTH_BANKID_NO_ID="drop-web",
               AUTH_BANKID_NO_SECRET="drop-web-secret", AUTH_VIPPS_ISSUER=vipps_issuer(live_server),
               AUTH_VIPPS_ID="drop-web-vipps", AUTH_VIPPS_SECRET="drop-web-vipps-secret",
               NEXT_TELEMETRY_DISABLED="1", NODE_ENV="production")
    log = tmp_path_factory.mktemp("authjs") / "next.log"
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        command = [NODE, "node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p", str(port)]
        # Its own process group: `next start` runs the server as a child, which must end with it.
        process = subprocess.Popen(command, cwd=app_dir, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200:
                break
        except requests.RequestException:  # not listening yet, or a slow first render on a busy machine
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"next start did not come up:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    yield f"http://localhost:{port}"
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@needs_node
@pytest.mark.node
@pytest.mark.browser
def test_authjs_bankid_provider_signs_in_through_the_login_page(authjs_app, page, live_server, personas):
    page.goto(authjs_app + "/")
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(live_server.issuer + "/precheck/auth**", timeout=20_000)
    sent = query_of(page.url)
    assert sent["client_id"] == "drop-web" and sent["login_hint"] == "BIS" and sent["ui_locales"] == "no"
    assert sent["redirect_uri"] == authjs_app + "/api/auth/callback/bankid-no"
    assert "MOCK" in page.title()
    page.locator('[data-persona="adult"]').click()  # login_hint=BIS names nobody: the login page asks
    page.wait_for_url(authjs_app + "/", timeout=20_000)
    session = json.loads(page.get_by_test_id("session").inner_text())
    persona = personas["adult"]
    assert session["user"]["name"] == persona["name"], "Auth.js's profile, from the signed userinfo"
    assert session["nnin"] == persona["nnin"], "from the ID token's nnin_altsub"
    assert session["acr"] == BIS, "login_hint=BIS signs in with BankID biometrics, as at BankID"
    assert session["amr"] == ["bis-mfa", "bis-hwk"]  # biometrics, no step-up (understanding-authentication-methods)


@needs_node
@pytest.mark.node
@pytest.mark.browser
def test_authjs_vipps_provider_signs_in_through_the_login_page(authjs_app, page, live_server, personas):
    """next-auth/providers/vipps with nothing overridden but its issuer: discovery at the issuer with
    its trailing slash, client_secret_basic, PKCE, state and nonce, the profile from userinfo."""
    page.goto(authjs_app + "/")
    page.get_by_test_id("sign-in-vipps").click()
    page.wait_for_url(vipps_issuer(live_server) + "oauth2/auth**", timeout=20_000)
    sent = query_of(page.url)
    assert sent["client_id"] == "drop-web-vipps" and sent["scope"] == "openid name email"
    assert sent["redirect_uri"] == authjs_app + "/api/auth/callback/vipps"
    assert sent["code_challenge_method"] == "S256" and sent["nonce"] and len(sent["state"]) >= 8
    assert "MOCK" in page.title()
    page.locator('[data-persona="adult"]').click()
    page.wait_for_url(authjs_app + "/", timeout=20_000)
    session = json.loads(page.get_by_test_id("session").inner_text())
    persona = personas["adult"]
    assert session["provider"] == "vipps"
    assert session["user"]["name"] == persona["name"], "Auth.js's profile, from Vipps's userinfo"
    assert session["user"]["email"] == persona["email"]
    assert "nnin" not in session and "acr" not in session, "nothing from BankID's ID token claims"


class StaticSite(ThreadingHTTPServer):
    """The oidc-client-ts page: index.html on every page path, app.js, config.js and the npm build."""

    daemon_threads = True

    def __init__(self, files: dict[str, tuple[str, bytes]]) -> None:
        super().__init__(("127.0.0.1", 0), StaticHandler)
        self.files = files

    @property
    def port(self) -> int:
        return self.server_address[1]


class StaticHandler(BaseHTTPRequestHandler):
    server: StaticSite

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        kind, body = self.server.files.get(path, self.server.files["/"] if "." not in path else ("text/plain", b""))
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def spa_site(live_server):
    """Serves tests/clients/oidc-client-ts for one client; ``config.js`` names the mock and the client."""
    if NODE is None:
        pytest.skip("node is not installed (npm installs oidc-client-ts)")
    site_dir = CLIENTS / "oidc-client-ts"
    build = site_dir / "node_modules" / "oidc-client-ts" / "dist" / "browser" / "oidc-client-ts.min.js"
    require(build)
    servers = []

    def serve(client_id: str, callback_path: str) -> StaticSite:
        config = (f"const MOCK_BANKID_ISSUER = {json.dumps(live_server.issuer)};\n"
                  f"const CLIENT = {json.dumps({'client_id': client_id, 'callback_path': callback_path})};\n")
        site = StaticSite({
            "/": ("text/html", (site_dir / "index.html").read_bytes()),
            "/app.js": ("text/javascript", (site_dir / "app.js").read_bytes()),
            "/config.js": ("text/javascript", config.encode()),
            "/oidc-client-ts.min.js": ("text/javascript", build.read_bytes()),
        })
        threading.Thread(target=site.serve_forever, daemon=True).start()
        servers.append(site)
        return site

    yield serve
    for site in servers:
        site.shutdown()
        site.server_close()


@needs_node
@pytest.mark.node
@pytest.mark.browser
@pytest.mark.parametrize("client_id, callback_path", [("drop-spa", "/callback"), ("drop-mobile", "/auth/callback")])
def test_oidc_client_ts_signs_in_from_another_origin(spa_site, page, live_server, personas, client_id, callback_path):
    site = spa_site(client_id, callback_path)
    origin = f"http://localhost:{site.port}"
    assert urlsplit(origin).netloc != urlsplit(live_server.base_url).netloc, "another origin than the mock"
    page.goto(origin + "/")
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(live_server.issuer + "/precheck/auth**", timeout=20_000)
    sent = query_of(page.url)
    assert sent["client_id"] == client_id and sent["nonce"] and sent["code_challenge_method"] == "S256"
    page.locator('[data-persona="adult-1985"]').click()
    page.wait_for_url(origin + callback_path + "**", timeout=20_000)
    out = page.get_by_test_id("out")
    page.wait_for_function("el => el.textContent.length > 0", arg=out.element_handle(), timeout=20_000)
    text = out.inner_text()
    assert not text.startswith("error"), (text, page.console_lines)
    got = json.loads(text)
    assert_identity(got, personas["adult-1985"], BID)
    assert got["amr"] == ["bid", "bid-mfa", "bid-app", "bid-pwd"]


@needs_node
@pytest.mark.node
@pytest.mark.browser
def test_the_browser_keeps_answers_from_an_unregistered_origin(spa_site, page, live_server):
    """From http://127.0.0.1:<port>, drop-web's token endpoint is closed (drop-web registers
    localhost only), while discovery stays readable: the CORS rules bite in a real browser."""
    site = spa_site("drop-web", "/callback")
    page.goto(f"http://127.0.0.1:{site.port}/")
    disc = Discovered.fetch(live_server.discovery_url)
    result = page.evaluate("""async ([discovery, token]) => {
        const d = await fetch(discovery).then(r => r.json()).then(j => j.issuer, e => 'blocked: ' + e.message);
        const form = new URLSearchParams({grant_type: 'authorization_code', code: 'x', client_id: 'drop-web'});
        const t = await fetch(token, {method: 'POST', body: form}).then(r => 'read ' + r.status, e => 'blocked');
        const a = await fetch(token, {method: 'POST', body: form, headers: {Authorization: 'Basic eDp5'}})
            .then(r => 'read ' + r.status, e => 'blocked');
        return {d, t, a};
    }""", [live_server.discovery_url, disc.config["token_endpoint"]])
    assert result == {"d": live_server.issuer, "t": "blocked", "a": "blocked"}, result


# --- the doc is the code ----------------------------------------------------------------------------
RECIPE_FILES = [
    CLIENTS / "authjs" / "auth.js",
    CLIENTS / "authjs" / "app" / "api" / "auth" / "[...nextauth]" / "route.js",
    CLIENTS / "oidc-client-ts" / "app.js",
    CLIENTS / "openid-client-5" / "bankid.cjs",
    CLIENTS / "openid-client-5" / "vipps.cjs",
    NODE_DIR / "bankid.mjs",
    NODE_DIR / "vipps.mjs",
    CLIENTS / "authlib" / "bankid_authlib.py",
    CLIENTS / "authlib" / "vipps_authlib.py",
    CLIENTS / "expo" / "bankid.json",
    CLIENTS / "expo" / "signIn.js",
]


@pytest.mark.parametrize("path", RECIPE_FILES, ids=lambda p: str(p.relative_to(HERE)))
def test_docs_quote_the_recipes_verbatim(path):
    where = path.relative_to(HERE.parent)
    assert path.read_text().strip() in DOC.read_text(), f"docs/clients.md must quote {where} verbatim"
