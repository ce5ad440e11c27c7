"""One relying party for every test: ``authorize``, ``redeem``, ``refresh``, ``userinfo`` (and the rest
of what a client does: the login page, the next-login queue, introspection, revocation, client
authentication in each registered way, ID token verification).

The logic is written once in :class:`RP`; two small subclasses only say how a request is sent:
:class:`FlaskRP` through the Flask test client (unit level, no server, no socket) and
:class:`HttpRP` through ``requests`` against a real server (end to end). A test therefore reads
the same at both levels, and a rule of the protocol (PKCE, state, nonce, where a response mode
puts the parameters, how each client authenticates) lives in one place instead of eight.

Responses are the transport's own objects (Werkzeug's ``TestResponse`` or ``requests.Response``),
so a test asserts on them in its usual idiom. Nothing here imports mock_bankid.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

from rp.verify import SIGNING_ALGS, verify_id_token

CI_REDIRECT = "http://127.0.0.1:5555/callback"  # loopback: any port matches (RFC 8252 §7.3)
DEFAULT_BASE_URL = "http://localhost:8080"  # conftest's unit-level Settings
REDIRECTS = {"drop-web": "http://localhost:3000/api/auth/bankid/callback", "drop-mobile": "drop://auth/callback"}
SECRETS = {"ci": "ci-secret", "drop-web": "drop-web-secret", "bankid-strict": "bankid-strict-secret",
           "ci-secret-jwt": "ci-secret-jwt-shared-secret-at-least-32-bytes", "ci-vipps": "ci-vipps-secret",
           "drop-web-vipps": "drop-web-vipps-secret", "drop-web-vipps-no-nin": "drop-web-vipps-no-nin-secret",
           "vipps-strict": "vipps-strict-secret"}
PATHS = {  # under the issuer, as fixtures and discovery have them
    "authorize": "/precheck/auth",
    "login": "/precheck/login",
    "token": "/protocol/openid-connect/token",
    "introspect": "/protocol/openid-connect/token/introspect",
    "revoke": "/protocol/openid-connect/revoke",
    "logout": "/protocol/openid-connect/logout",
    "jwks": "/protocol/openid-connect/certs",
    "discovery": "/.well-known/openid-configuration",
}
VIPPS_ISSUER_PATH = "/access-management-1.0/access/"
VIPPS_PATHS = {  # Vipps Login's layout, under its issuer (which ends in "/")
    "authorize": "oauth2/auth",
    "login": "oauth2/auth/login",
    "token": "oauth2/token",
    "revoke": "oauth2/revoke",
    "logout": "oauth2/sessions/logout",
    "jwks": ".well-known/jwks.json",
    "discovery": ".well-known/openid-configuration",
}
VIPPS_USERINFO = "/vipps-userinfo-api/userinfo"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
STRICT_CLIENTS = ("bankid-strict",)  # the strict profile takes no mock login_hint forms (docs/clients.md)

# the fixture client ci-jwt's private keys (tests/keys/README.md)
KEYS_DIR = Path(__file__).resolve().parent.parent / "keys"
CI_JWT_RSA = RSAKey.import_key((KEYS_DIR / "ci-jwt-rs256.pem").read_text(),
                               {"kid": "ch_2JLa-ll8NtWy_U_L0ccXAM0z2pJrQy1AeW7SJxjo"})
CI_JWT_EC = ECKey.import_key((KEYS_DIR / "ci-jwt-es256.pem").read_text(),
                             {"kid": "wRB1MBO29KaMAsfo_KLVMO-SvShDd7vRunzwGKID9Bs"})

_UNSET: Any = object()


# --- small pure pieces ------------------------------------------------------------------------------
def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge), RFC 7636 §4.1-4.2."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(location: str) -> dict[str, str]:
    """The parameters of a redirect: its query, or its fragment (``response_mode=fragment``)."""
    parts = urlsplit(location)
    return {k: v[0] for k, v in parse_qs(parts.query or parts.fragment).items()}


def form_post_fields(page: str) -> dict[str, str]:
    """The hidden fields of a ``response_mode=form_post`` page (OAuth 2.0 Form Post Response Mode)."""
    return {html.unescape(n): html.unescape(v)
            for n, v in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page)}


def drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    """Overrides use ``None`` to leave a parameter out."""
    return {k: v for k, v in values.items() if v is not None}


def authorize_params(**overrides: Any) -> dict[str, str]:
    """The query of a good code-flow request by ``ci`` (fresh PKCE); ``None`` leaves a parameter out.

    For tables built at import time. Unlike :meth:`RP.authorize` the redirect URI stays ci's when
    ``client_id`` is overridden (a table of errors wants exactly the parameters it names).
    """
    _verifier, challenge = pkce_pair()
    query = {"client_id": "ci", "redirect_uri": CI_REDIRECT, "response_type": "code",
             "scope": "openid profile", "state": "st-1", "nonce": "n-1", "code_challenge": challenge,
             "code_challenge_method": "S256", "login_hint": "adult"}
    query.update(overrides)
    return drop_none(query)


# --- client authentication --------------------------------------------------------------------------
@dataclass(frozen=True)
class ClientAuth:
    """How a client authenticates at the token, introspection and revocation endpoints.

    ``method`` is the registered name (RFC 7591 §2): ``client_secret_basic``, ``client_secret_post``,
    ``none`` (public: ``client_id`` in the form), ``private_key_jwt``, ``client_secret_jwt``; or
    ``header`` (send ``secret`` as the Authorization header as is) and ``nothing``.
    """

    method: str
    client_id: str = ""
    secret: str | None = None
    key: Any = None
    alg: str = "RS256"

    def apply(self, rp: RP) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, form fields) for one request."""
        if self.method == "client_secret_basic":
            pair = f"{self.client_id}:{self.secret}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}, {}
        if self.method == "client_secret_post":
            return {}, {"client_id": self.client_id, "client_secret": self.secret or ""}
        if self.method == "none":
            return {}, {"client_id": self.client_id}
        if self.method in ("private_key_jwt", "client_secret_jwt"):
            return {}, rp.client_assertion(self.client_id, key=self.key, alg=self.alg)
        if self.method == "header":
            return {"Authorization": self.secret or ""}, {}
        return {}, {}


def basic(client_id: str, secret: str | None = None) -> ClientAuth:
    return ClientAuth("client_secret_basic", client_id, SECRETS[client_id] if secret is None else secret)


def secret_post(client_id: str, secret: str | None = None) -> ClientAuth:
    return ClientAuth("client_secret_post", client_id, SECRETS[client_id] if secret is None else secret)


def public(client_id: str) -> ClientAuth:
    return ClientAuth("none", client_id)


def private_key_jwt(client_id: str = "ci-jwt", key: Any = None, alg: str = "RS256") -> ClientAuth:
    return ClientAuth("private_key_jwt", client_id, key=key, alg=alg)


def client_secret_jwt(client_id: str = "ci-secret-jwt") -> ClientAuth:
    return ClientAuth("client_secret_jwt", client_id, alg="HS256")


def raw_header(value: str) -> ClientAuth:
    return ClientAuth("header", secret=value)


NO_AUTH = ClientAuth("nothing")


def auth_for(client_id: str) -> ClientAuth:
    """``client_id`` authenticated the way fixtures/clients.toml registers it."""
    if client_id == "ci-jwt":
        return private_key_jwt()
    if client_id == "ci-secret-jwt":
        return client_secret_jwt()
    if client_id == "drop-mobile":
        return public(client_id)
    return basic(client_id)


# --- what a sign-in leaves behind -------------------------------------------------------------------
@dataclass
class Authorization:
    """One authorization request (what was sent, the PKCE verifier) and what came back."""

    client_id: str
    redirect_uri: str | None
    state: str | None
    nonce: str | None
    verifier: str | None
    query: dict[str, str]
    response: Any = None
    status: int = 0
    text: str = ""
    location: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    """The callback's parameters: the redirect's query or fragment, or the form_post fields."""

    @property
    def code(self) -> str:
        """The authorization code; fails, saying what came instead, when there is none."""
        assert "code" in self.params, f"no code: {self.status} {self.location or self.text[:500]}"
        return self.params["code"]


@dataclass
class LoginPage:
    """The mock's login page for one authorization request, with its form's session and CSRF token."""

    authorization: Authorization
    session: str
    csrf: str

    @property
    def html(self) -> str:
        return self.authorization.text


# --- the relying party ------------------------------------------------------------------------------
class RP:
    """A relying party (and its user's browser). Defaults apply to every call and can be overridden per call.

    ``state``/``nonce`` default to fresh random values per request; ``login_hint`` (a persona
    selector) signs in headlessly; ``None`` for any default leaves that parameter out.
    """

    def __init__(self, *, base_url: str, realm: str = "current", client_id: str | None = None,
                 scope: str | None = None, login_hint: str | None = "adult",
                 state: str | None = None, nonce: str | None = None, provider: str = "bankid") -> None:
        self.base_url = base_url.rstrip("/")
        self.realm = realm
        self.provider = provider
        vipps = provider == "vipps"
        vipps_host = self.base_url + ("" if realm == "current" else f"/vipps/{realm}")
        self.issuer = vipps_host + VIPPS_ISSUER_PATH if vipps else f"{self.base_url}/auth/realms/{realm}"
        client_id = client_id or ("ci-vipps" if vipps else "ci")
        scope = scope or ("openid name birthDate nin" if vipps else "openid profile nnin_altsub")
        self.client_id = client_id
        self.scope = scope
        self.login_hint = login_hint
        self.state = state
        self.nonce = nonce

    # -- how a request is sent: the two subclasses --------------------------------------------------
    def _get(self, url: str, *, headers: dict[str, str] | None = None, front: bool = False) -> Any:
        raise NotImplementedError

    def _post(self, url: str, *, data: Any = None, json: Any = None, headers: dict[str, str] | None = None,
              front: bool = False) -> Any:
        raise NotImplementedError

    def _send(self, method: str, url: str, *, json: Any = None) -> Any:
        raise NotImplementedError

    def _url(self, path: str) -> str:
        raise NotImplementedError

    @staticmethod
    def json_of(response: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def text_of(response: Any) -> str:
        raise NotImplementedError

    # -- endpoints ---------------------------------------------------------------------------------
    def control(self, path: str) -> str:
        """A ``/_mock`` URL acting on this RP's realm (``?realm=`` unless it is the default) and provider."""
        query = {**({} if self.realm == "current" else {"realm": self.realm}),
                 **({} if self.provider == "bankid" else {"provider": self.provider})}
        return self._url(path) + (f"?{urlencode(query)}" if query else "")

    def endpoint(self, name: str) -> str:
        """Where to send a request for ``name`` (a key of PATHS, or ``userinfo``)."""
        if self.provider == "vipps":
            host = "" if self.realm == "current" else f"/vipps/{self.realm}"
            return self._url(host + (VIPPS_USERINFO if name == "userinfo" else VIPPS_ISSUER_PATH + VIPPS_PATHS[name]))
        if name == "userinfo":
            return self._url("/userinfo")
        return self._url(urlsplit(self.issuer).path + PATHS[name])

    # -- authorize ---------------------------------------------------------------------------------
    def authorize(self, *, method: str = "GET", append: Iterable[tuple[str, str]] = (),
                  **params: Any) -> Authorization:
        """Send an authorization request (fresh PKCE pair, state and nonce) and record the answer.

        ``params`` override the defaults (``None`` leaves one out); ``append`` adds raw pairs after
        them (a duplicated parameter). Nothing is asserted: ``.code`` fails if no code came back.
        """
        client_id = params.get("client_id", self.client_id)
        verifier, challenge = pkce_pair()
        query: dict[str, Any] = {
            "client_id": client_id, "redirect_uri": REDIRECTS.get(client_id, CI_REDIRECT), "response_type": "code",
            "scope": self.scope, "state": self.state or secrets.token_urlsafe(12),
            "nonce": self.nonce or secrets.token_urlsafe(12), "code_challenge": challenge,
            "code_challenge_method": "S256", "login_hint": self.login_hint,
        }
        query.update(params)
        query = drop_none(query)
        authz = Authorization(client_id=client_id, redirect_uri=query.get("redirect_uri"), state=query.get("state"),
                              nonce=query.get("nonce"), verifier=verifier, query=query)
        url = self.endpoint("authorize")
        if method == "POST":
            return self._answered(authz, self._post(url, data=query, front=True))
        qs = urlencode([*query.items(), *append])
        return self._answered(authz, self._get(f"{url}?{qs}", front=True))

    def authorized(self, **params: Any) -> Authorization:
        """:meth:`authorize`, asserting that a code came back (a headless sign-in that must work)."""
        authz = self.authorize(**params)
        assert "code" in authz.params, f"no code: {authz.status} {authz.location or authz.text[:500]}"
        return authz

    def _answered(self, authz: Authorization, response: Any) -> Authorization:
        text = self.text_of(response)
        location = response.headers.get("Location")
        if location:
            params = query_of(location)
        elif response.status_code == 200 and authz.query.get("response_mode") == "form_post":
            params = form_post_fields(text)
        else:
            params = {}
        return replace(authz, response=response, status=response.status_code, text=text, location=location,
                       params=params)

    def sign_in(self, persona: str = "adult", *, via: str = "hint", scenario: Any = None,
                **params: Any) -> Authorization:
        """Sign ``persona`` in the way a test chooses: ``hint`` (login_hint), ``queue`` (POST
        /_mock/next-login first, with the scenario if any), or ``panel`` (the login page's form,
        with its QA scenario field). Returns the answer to the last request, unasserted."""
        if via == "hint":  # an explicit login_hint=None: no hint at all (an SSO session, the queue)
            hint = params.pop("login_hint", persona)
            if hint and params.get("client_id", self.client_id) in STRICT_CLIENTS:
                self.queue(login_hint=hint)  # the strict profile refuses the mock's hint forms: queue them
                hint = None
            return self.authorize(login_hint=hint, **params)
        if via == "queue":
            self.queue(persona, scenario)
            return self.authorize(login_hint=None, **params)
        if via == "panel":
            page = self.login_page(**params)
            assert 'name="scenario"' in page.html, "the login page has no QA scenario panel"
            return self.submit_login(page, persona=persona, scenario=scenario or "")
        raise ValueError(f"via must be hint, queue or panel, not {via!r}")

    def login_page(self, **params: Any) -> LoginPage:
        """Open the login page (no login_hint unless given) and read its form's session and CSRF token."""
        authz = self.authorize(**{"login_hint": None, **params})
        assert authz.status == 200, f"expected the login page, got {authz.status} {authz.location}"
        session = re.search(r'name="session" value="([^"]+)"', authz.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', authz.text)
        assert session and csrf, "the login page has no session or CSRF field"
        return LoginPage(authz, session.group(1), csrf.group(1))

    def submit_login(self, page: LoginPage, *, csrf: str | None = None, **form: Any) -> Authorization:
        """Post the login form (``persona=...``, ``action="cancel"``, ``action="number", nnin=...``)."""
        data = {"session": page.session, "csrf_token": page.csrf if csrf is None else csrf, **drop_none(form)}
        return self._answered(page.authorization, self._post(self.endpoint("login"), data=data, front=True))

    # -- token endpoint ----------------------------------------------------------------------------
    def _auth(self, auth: ClientAuth | str | None, client_id: str) -> ClientAuth:
        if auth is None:
            return auth_for(client_id)
        return auth_for(auth) if isinstance(auth, str) else auth

    def post(self, endpoint: str, form: Mapping[str, Any] | None = None, *, auth: ClientAuth | str | None = None,
             headers: dict[str, str] | None = None, **fields: Any) -> Any:
        """POST a form (``form`` and/or ``fields``) to ``endpoint`` (token, introspect, revoke) with
        client authentication.

        ``auth``: a ClientAuth, a fixture client's id (authenticated as registered), or None for
        this RP's client. ``None`` values are left out.
        """
        auth_headers, auth_form = self._auth(auth, self.client_id).apply(self)
        return self._post(self.endpoint(endpoint), data={**auth_form, **drop_none({**(form or {}), **fields})},
                          headers={**auth_headers, **(headers or {})})

    def redeem(self, grant: Authorization | str | None, verifier: str | None = None, /, *,
               auth: ClientAuth | str | None = None, headers: dict[str, str] | None = None, **form: Any) -> Any:
        """Exchange a code (RFC 6749 §4.1.3 with PKCE): an Authorization, or a code and its verifier.

        ``form`` overrides fields (``redirect_uri=...``, ``grant_type=None``, ``code=None``).
        """
        if isinstance(grant, Authorization):
            authz = grant
            fields = {"code": authz.code, "redirect_uri": authz.redirect_uri, "code_verifier": authz.verifier}
            client_id = authz.client_id
        else:
            fields = {"code": grant, "redirect_uri": REDIRECTS.get(self.client_id, CI_REDIRECT),
                      "code_verifier": verifier}
            client_id = self.client_id
        data = {"grant_type": "authorization_code", **fields, **form}
        return self.post("token", data, auth=self._auth(auth, client_id), headers=headers)

    def tokens(self, persona: str = "adult", *, via: str = "hint", scenario: Any = None,
               auth: ClientAuth | str | None = None, **params: Any) -> dict[str, Any]:
        """Sign in and redeem; asserts both worked and returns the token response."""
        response = self.redeem(self.sign_in(persona, via=via, scenario=scenario, **params), auth=auth)
        assert response.status_code == 200, self.text_of(response)[:500]
        return self.json_of(response)

    def refresh(self, refresh_token: str, *, auth: ClientAuth | str | None = None, **form: Any) -> Any:
        """The refresh_token grant (RFC 6749 §6)."""
        return self.post("token", {"grant_type": "refresh_token", "refresh_token": refresh_token, **form}, auth=auth)

    def introspect(self, token: str | None, *, auth: ClientAuth | str | None = None, **form: Any) -> Any:
        return self.post("introspect", {"token": token, **form}, auth=auth)

    def revoke(self, token: str | None, *, auth: ClientAuth | str | None = None, **form: Any) -> Any:
        return self.post("revoke", {"token": token, **form}, auth=auth)

    def client_assertion(self, client_id: str = "ci-jwt", *, key: Any = None, alg: str = "RS256", kid: bool = True,
                         **claims: Any) -> dict[str, str]:
        """The form fields of an RFC 7523 client assertion, on the mock's clock; ``claims`` override
        (``None`` removes one). The key defaults to ci-jwt's (RS256, PS256, ES256) or ci-secret-jwt's secret."""
        t = self.now()
        body = {"iss": client_id, "sub": client_id, "aud": self.issuer, "iat": t, "exp": t + 60,
                "jti": str(uuid.uuid4()), **claims}
        if key is None:
            key = {"RS256": CI_JWT_RSA, "PS256": CI_JWT_RSA, "ES256": CI_JWT_EC,
                   "HS256": OctKey.import_key(SECRETS["ci-secret-jwt"])}[alg]
        header = {"alg": alg}
        if kid and getattr(key, "kid", None):
            header["kid"] = key.kid
        return {"client_assertion_type": ASSERTION_TYPE,
                "client_assertion": jwt.encode(header, drop_none(body), key, algorithms=[alg])}

    # -- userinfo ----------------------------------------------------------------------------------
    def userinfo(self, access_token: str | None, *, method: str = "GET", headers: dict[str, str] | None = None) -> Any:
        """GET (or POST) the userinfo endpoint with the access token as a Bearer token (RFC 6750 §2.1);
        ``headers`` adds e.g. ``Accept`` or ``Origin``."""
        bearer = {"Authorization": f"Bearer {access_token}"} if access_token is not None else {}
        headers = {**bearer, **(headers or {})}
        if method == "POST":
            return self._post(self.endpoint("userinfo"), headers=headers)
        return self._get(self.endpoint("userinfo"), headers=headers)

    # -- tokens as the RP sees them ----------------------------------------------------------------
    def discovery(self) -> dict[str, Any]:
        return self.json_of(self._get(self.endpoint("discovery")))

    def jwks(self) -> dict[str, Any]:
        return self.json_of(self._get(self.endpoint("jwks")))

    def keyset(self) -> KeySet:
        return KeySet.import_key_set(self.jwks())

    def claims(self, token: str) -> dict[str, Any]:
        """A token's claims once its signature checks against the published JWKS (no claim rules)."""
        return dict(jwt.decode(token, self.keyset(), algorithms=SIGNING_ALGS).claims)

    def verify(self, body: Mapping[str, Any] | str, authorization: Authorization | None = None, *,
               nonce: str | None = _UNSET, client_id: str | None = None, jwks: dict[str, Any] | None = None,
               now: float | None = None, access_token: str | None = _UNSET, alg: str | None = None,
               essential: tuple[str, ...] = ()) -> dict[str, Any]:
        """:func:`rp.verify_id_token` on a token response (or an ID token) with this RP's issuer.

        The nonce comes from ``authorization`` unless given (``nonce=None``: a refresh, none sent);
        ``now`` defaults to the mock's clock, so a test that moved it verifies in the mock's time.
        """
        if nonce is _UNSET:
            if authorization is None:
                raise TypeError("say which nonce to expect: pass the Authorization, or nonce=... (None: none sent)")
            nonce = authorization.nonce
        id_token = body if isinstance(body, str) else body["id_token"]
        if access_token is _UNSET:
            access_token = None if isinstance(body, str) else body.get("access_token")
        return verify_id_token(id_token, jwks if jwks is not None else self.jwks(), issuer=self.issuer,
                               client_id=client_id or (authorization.client_id if authorization else self.client_id),
                               nonce=nonce, access_token=access_token, now=self.now() if now is None else now,
                               alg=alg, essential=essential)

    # -- the mock's control surface (what a test does besides being the RP) -------------------------
    def now(self) -> int:
        """The mock's clock (``/_mock/clock``), whole seconds."""
        return int(self.json_of(self._get(self.control("/_mock/clock")))["now"])

    def advance(self, seconds: float) -> Any:
        return self._send("PUT", self.control("/_mock/clock"), json={"advance": seconds})

    def queue(self, persona: str | None = None, scenario: Any = None, *, login_hint: str | None = None) -> None:
        """Put ``persona`` (or any ``login_hint`` form), and a scenario for that sign-in, on the next-login queue."""
        body = {**({"persona": persona} if persona else {"login_hint": login_hint}),
                **({"scenario": scenario} if scenario else {})}
        response = self._post(self.control("/_mock/next-login"), json=body)
        assert response.status_code == 201, self.text_of(response)[:300]

    def scenario(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Switch a server-wide scenario on (``PUT /_mock/scenario``); returns the new state."""
        response = self._send("PUT", self.control("/_mock/scenario"), json=dict(body))
        assert response.status_code == 200, self.text_of(response)[:300]
        return self.json_of(response)


class FlaskRP(RP):
    """The relying party over the Flask test client: no server, no socket; the client's cookie jar is
    the browser's (so the SSO session carries over between calls, as in a browser)."""

    def __init__(self, client: Any, *, base_url: str = DEFAULT_BASE_URL, **defaults: Any) -> None:
        super().__init__(base_url=base_url, **defaults)
        self.client = client

    def _url(self, path: str) -> str:
        return urlsplit(self.base_url).path + path

    def _get(self, url: str, *, headers: dict[str, str] | None = None, front: bool = False) -> Any:
        return self.client.get(url, headers=headers)

    def _post(self, url: str, *, data: Any = None, json: Any = None, headers: dict[str, str] | None = None,
              front: bool = False) -> Any:
        return self.client.post(url, data=data, json=json, headers=headers)

    def _send(self, method: str, url: str, *, json: Any = None) -> Any:
        return self.client.open(url, method=method, json=json)

    @staticmethod
    def json_of(response: Any) -> Any:
        return response.get_json()

    @staticmethod
    def text_of(response: Any) -> str:
        return response.get_data(as_text=True)


class HttpRP(RP):
    """The relying party over real HTTP with ``requests``.

    Front-channel requests (authorize, login page) go through ``browser`` (a ``requests.Session``,
    whose cookies are the SSO session) or, without one, each on a fresh connection with no cookies;
    back-channel requests (token, userinfo, JWKS, control) always on fresh connections. ``server``
    is a base URL, an issuer, or anything with ``base_url`` and ``issuer`` (and ``verify``, the CA
    file of a ``--tls`` server: a LiveServer, the pytest plugin's MockBankID).
    """

    def __init__(self, server: Any, *, browser: requests.Session | None = None, verify: str | bool | None = None,
                 timeout: float = 30, **defaults: Any) -> None:
        if isinstance(server, str):  # a base URL, or an issuer (…/auth/realms/<realm>)
            base_url, _, realm = server.partition("/auth/realms/")
        else:
            base_url, realm = server.base_url, getattr(server, "issuer", "").rpartition("/auth/realms/")[2]
        if realm:
            defaults.setdefault("realm", realm)
        super().__init__(base_url=base_url, **defaults)
        self.browser = browser
        self.verify_tls = verify if verify is not None else getattr(server, "verify", True)
        self.timeout = timeout

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _http(self, front: bool) -> Any:
        return self.browser if front and self.browser is not None else requests

    def _get(self, url: str, *, headers: dict[str, str] | None = None, front: bool = False) -> Any:
        return self._http(front).get(url, headers=headers, allow_redirects=False, timeout=self.timeout,
                                     verify=self.verify_tls)

    def _post(self, url: str, *, data: Any = None, json: Any = None, headers: dict[str, str] | None = None,
              front: bool = False) -> Any:
        return self._http(front).post(url, data=data, json=json, headers=headers, allow_redirects=False,
                                      timeout=self.timeout, verify=self.verify_tls)

    def _send(self, method: str, url: str, *, json: Any = None) -> Any:
        return requests.request(method, url, json=json, timeout=self.timeout, verify=self.verify_tls)

    @staticmethod
    def json_of(response: Any) -> Any:
        return response.json()

    @staticmethod
    def text_of(response: Any) -> str:
        return response.text
