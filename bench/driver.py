"""The load driver: keep-alive HTTP clients, one sign-in flow per provider, timed runs.

One driver for every provider measured, so the same client cost is in every figure:
``http.client`` over keep-alive loopback connections, cookies handled by hand, PKCE, and the ID
token verified as a relying party does (signature against a JWKS fetched once and cached, then
iss, aud, exp, nonce). A run forks worker processes (threads inside each) so the driver is not
held back by one GIL; only operations that end inside the measured window count.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import math
import multiprocessing
import os
import secrets
import socket
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

REDIRECT_URI = "http://127.0.0.1:5555/callback"
CLIENT_ID, CLIENT_SECRET = "ci", "ci-secret"
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


class FlowError(Exception):
    """One operation did not end as a relying party expects (counted as a failure)."""


# --------------------------------------------------------------------------------------------
# HTTP


class Client:
    """One keep-alive connection to ``host:port`` with a tiny cookie jar (name -> value)."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def _connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        hdrs = dict(headers or {})
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = self._connect()
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.ResponseNotReady):
                self.close()
                # A server that closed an idle keep-alive connection never saw the request: resend
                # once. (Servers that close after every response, like gunicorn sync, land here.)
                if attempt:
                    raise
                continue
            for raw in resp.headers.get_all("Set-Cookie") or []:
                name, _, rest = raw.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if resp.will_close:
                self.close()
            return resp.status, resp.headers, data
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def split_url(url: str) -> tuple[str, int, str]:
    """host (loopback), port and path+query of ``url`` (peers may name ``localhost``)."""
    u = urlsplit(url)
    return "127.0.0.1", u.port or 80, u.path + (f"?{u.query}" if u.query else "")


# --------------------------------------------------------------------------------------------
# providers


@dataclass
class Target:
    """What the driver needs to sign in at one provider.

    ``authorize`` takes a Client and the authorize query and returns the callback URL's query
    (a dict) -- each provider has its own headless way to get there.
    """

    name: str
    port: int
    discovery_path: str
    authorize: Callable[[Target, Client, dict[str, str]], dict[str, list[str]]]
    scope: str = "openid profile"
    extra_params: dict[str, str] = field(default_factory=dict)
    fresh_cookies: bool = True
    pid: int | None = None
    """The server's process (its descendants count too) for CPU per request; None if unknown."""
    # filled by prepare():
    meta: dict = field(default_factory=dict)
    keys: KeySet | None = None

    def prepare(self) -> None:
        """Fetch discovery and the JWKS once (the cached JWKS a relying party keeps)."""
        c = Client("127.0.0.1", self.port)
        status, _, body = c.request("GET", self.discovery_path)
        if status != 200:
            raise FlowError(f"{self.name}: discovery answered {status}")
        self.meta = json.loads(body)
        status, _, body = c.request("GET", split_url(self.meta["jwks_uri"])[2])
        if status != 200:
            raise FlowError(f"{self.name}: JWKS answered {status}")
        self.keys = KeySet.import_key_set(json.loads(body))
        c.close()

    @property
    def issuer(self) -> str:
        return self.meta["issuer"]

    def path_of(self, endpoint: str) -> str:
        return split_url(self.meta[endpoint])[2]


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(t: Target) -> tuple[dict[str, str], str]:
    verifier, challenge = pkce()
    params = {
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code",
        "scope": t.scope, "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge, "code_challenge_method": "S256", **t.extra_params,
    }
    return params, verifier


def callback_query(status: int, headers: http.client.HTTPMessage, who: str) -> dict[str, list[str]]:
    location = headers.get("Location", "")
    if status not in (302, 303) or not location.startswith(REDIRECT_URI):
        raise FlowError(f"{who}: authorize answered {status} to {location[:80]!r}")
    return parse_qs(urlsplit(location).query)


def get_code(t: Target, c: Client) -> tuple[str, str, str]:
    """A fresh authorization code: (code, verifier, nonce)."""
    if t.fresh_cookies:
        c.cookies.clear()
    params, verifier = authorize_params(t)
    query = t.authorize(t, c, params)
    if query.get("state") != [params["state"]] or "code" not in query:
        raise FlowError(f"{t.name}: callback without code or with the wrong state: {query}")
    return query["code"][0], verifier, params["nonce"]


def redeem(t: Target, c: Client, code: str, verifier: str) -> dict:
    body = urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                      "code_verifier": verifier}).encode()
    status, _, data = c.request("POST", t.path_of("token_endpoint"), body, {
        "Authorization": BASIC, "Content-Type": "application/x-www-form-urlencoded"})
    if status != 200:
        raise FlowError(f"{t.name}: token answered {status}: {data[:200]!r}")
    return json.loads(data)


def verify_id_token(t: Target, id_token: str, nonce: str) -> dict:
    """What a relying party checks: signature (cached JWKS), iss, aud, exp, nonce."""
    try:
        token = jwt.decode(id_token, t.keys, algorithms=["RS256", "ES256", "PS256"])
        JWTClaimsRegistry(
            iss={"essential": True, "value": t.issuer},
            aud={"essential": True, "value": CLIENT_ID},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except Exception as exc:
        raise FlowError(f"{t.name}: ID token rejected: {exc!r}") from exc
    return token.claims


def sign_in(t: Target, c: Client) -> None:
    code, verifier, nonce = get_code(t, c)
    tokens = redeem(t, c, code, verifier)
    if "id_token" not in tokens or "access_token" not in tokens:
        raise FlowError(f"{t.name}: token response without id_token/access_token")
    verify_id_token(t, tokens["id_token"], nonce)


def get_ok(path: str) -> Callable[[Target, Client], None]:
    def op(t: Target, c: Client) -> None:
        status, _, _ = c.request("GET", path)
        if status != 200:
            raise FlowError(f"GET {path} answered {status}")
    return op


# --- each provider's headless authorize -------------------------------------------------------


def authorize_mock_bankid(t: Target, c: Client, params: dict[str, str]) -> dict[str, list[str]]:
    # login_hint picks a persona: mock-bankid signs in at once and redirects with the code.
    status, headers, _ = c.request("GET", t.path_of("authorization_endpoint") + "?" + urlencode(params))
    return callback_query(status, headers, t.name)


def authorize_redirect_at_once(t: Target, c: Client, params: dict[str, str]) -> dict[str, list[str]]:
    # oauth2-mock-server: /authorize redirects straight back with a code (user "johndoe").
    status, headers, _ = c.request("GET", t.path_of("authorization_endpoint") + "?" + urlencode(params))
    return callback_query(status, headers, t.name)


def authorize_post_sub(t: Target, c: Client, params: dict[str, str]) -> dict[str, list[str]]:
    # oidc-provider-mock: the authorize form POSTs `sub` back to the same URL (its documented
    # headless use); skipping the GET of the HTML form a browser would fetch first.
    status, headers, _ = c.request(
        "POST", t.path_of("authorization_endpoint") + "?" + urlencode(params),
        urlencode({"sub": "alice@example.com"}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"})
    return callback_query(status, headers, t.name)


def authorize_oidc_provider(t: Target, c: Client, params: dict[str, str]) -> dict[str, list[str]]:
    # panva/oidc-provider dev interactions: /auth -> 303 /interaction/:uid (login form, cookies)
    # -> POST login -> 303 /auth/:uid -> 303 callback with code (consent skipped, see the server).
    status, headers, _ = c.request("GET", t.path_of("authorization_endpoint") + "?" + urlencode(params))
    location = headers.get("Location", "")
    if status != 303 or not location.startswith("/interaction/"):
        raise FlowError(f"{t.name}: /auth answered {status} to {location!r}")
    body = urlencode({"prompt": "login", "login": "alice", "password": "x"}).encode()
    status, headers, _ = c.request("POST", location, body,
                                   {"Content-Type": "application/x-www-form-urlencoded"})
    location = headers.get("Location", "")
    if status != 303:
        raise FlowError(f"{t.name}: login answered {status}")
    status, headers, _ = c.request("GET", split_url(location)[2])
    return callback_query(status, headers, t.name)


# --------------------------------------------------------------------------------------------
# timed runs


@dataclass
class RunResult:
    ops: int
    failures: int
    seconds: float
    latencies_ms: list[float]
    driver_cpu: float  # CPU seconds the driver's processes used, per wall second (1.0 = one core)
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, max(0, math.ceil(p / 100 * len(xs)) - 1))]

    def summary(self) -> dict:
        return {
            "rate": round(self.rate, 1), "ops": self.ops, "failures": self.failures,
            "p50_ms": round(self.pct(50), 2), "p95_ms": round(self.pct(95), 2),
            "p99_ms": round(self.pct(99), 2), "seconds": round(self.seconds, 2),
            "driver_cpu_cores": round(self.driver_cpu, 2),
            **({"first_error": self.first_error} if self.first_error else {}),
        }


def _worker(t: Target, op: Callable[[Target, Client], None], threads: int, start_at: float,
            t0: float, t1: float, stop_at: float, count: int | None, out) -> None:
    lat = array("d")
    fails = [0]
    first_error = [""]
    lock = threading.Lock()
    remaining = [count]

    def take_one() -> bool:
        if remaining[0] is None:
            return time.monotonic() < stop_at
        with lock:
            if remaining[0] <= 0:
                return False
            remaining[0] -= 1
            return True

    def loop() -> None:
        c = Client("127.0.0.1", t.port)
        mine = array("d")
        while take_one():
            s = time.monotonic()
            try:
                op(t, c)
            except Exception as exc:  # noqa: BLE001 - counted, the run goes on
                e = time.monotonic()
                if t0 <= e <= t1:
                    with lock:
                        fails[0] += 1
                        first_error[0] = first_error[0] or repr(exc)[:300]
                c.close()
                c.cookies.clear()
                continue
            e = time.monotonic()
            if t0 <= e <= t1:
                mine.append(e - s)
        c.close()
        with lock:
            lat.extend(mine)

    while time.monotonic() < start_at:
        time.sleep(0.005)
    cpu0 = sum(os.times()[:2])
    w0 = time.monotonic()
    ts = [threading.Thread(target=loop) for _ in range(threads)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    cpu = sum(os.times()[:2]) - cpu0
    out.send((lat.tobytes(), fails[0], first_error[0], cpu, time.monotonic() - w0))
    out.close()


def run(t: Target, op: Callable[[Target, Client], None], concurrency: int, seconds: float = 5.0,
        warmup: float = 1.0, procs: int | None = None, count: int | None = None) -> RunResult:
    """``concurrency`` clients doing ``op`` back to back for ``warmup + seconds`` (or, with
    ``count``, until ``count`` operations are done, all of them measured)."""
    procs = procs or min(concurrency, os.cpu_count() or 1)
    ctx = multiprocessing.get_context("fork")
    start_at = time.monotonic() + 0.3
    if count is not None:
        warmup, t0, t1, stop_at = 0.0, start_at, float("inf"), float("inf")
    else:
        t0 = start_at + warmup
        t1 = t0 + seconds
        stop_at = t1
    workers = []
    for i in range(procs):
        threads = concurrency // procs + (1 if i < concurrency % procs else 0)
        share = None if count is None else count // procs + (1 if i < count % procs else 0)
        recv, send = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_worker, args=(t, op, threads, start_at, t0, t1, stop_at, share, send))
        p.start()
        send.close()
        workers.append((p, recv))
    lat, fails, err, cpu, wall = array("d"), 0, "", 0.0, 0.0
    for p, recv in workers:
        data, f, e, c, w = recv.recv()
        p.join()
        lat.frombytes(data)
        fails += f
        err = err or e
        cpu += c
        wall = max(wall, w)
    elapsed = wall if count is not None else seconds
    return RunResult(ops=len(lat), failures=fails, seconds=elapsed,
                     latencies_ms=[x * 1000 for x in lat], driver_cpu=cpu / wall if wall else 0.0,
                     first_error=err)
