"""Start and stop the servers the benchmark drives: mock-bankid (``serve``), its peers, a trivial
endpoint for the driver's own ceiling, and a throwaway redis-server. Loopback only, free ports."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote, urlencode

from driver import (
    Target,
    authorize_mock_bankid,
    authorize_oidc_provider,
    authorize_post_sub,
    authorize_redirect_at_once,
)

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PEERS = BENCH / ".peers"
MOCK_DISCOVERY = "/auth/realms/current/.well-known/openid-configuration"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_200(port: int, path: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> float:
    """Poll ``path`` every 5 ms until it answers 200; the monotonic time it did."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}{path}"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.monotonic()
        except OSError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"{url} did not answer 200 within {timeout}s")


def stop(proc: subprocess.Popen) -> None:
    """Stop a server we started (its own process group: gunicorn workers, npx children)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def popen(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT, log: Path | None = None) -> subprocess.Popen:
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)


# --------------------------------------------------------------------------------------------
# mock-bankid


def mock_env(port: int, tmp: Path, **extra: str) -> dict[str, str]:
    return {
        "MOCK_BANKID_BASE_URL": f"http://127.0.0.1:{port}",
        "MOCK_BANKID_KEYS_DIR": str(tmp / "keys"),
        "MOCK_BANKID_DATA_DIR": str(tmp / "data"),
        "MOCK_BANKID_FIXTURES_DIR": str(ROOT / "fixtures"),
        "MOCK_BANKID_LOG_REQUESTS": "false",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def mock_cmd(port: int) -> list[str]:
    return [sys.executable, "-m", "mock_bankid.cli", "serve", "--port", str(port)]


def mock_target(port: int) -> Target:
    return Target("mock-bankid", port, MOCK_DISCOVERY, authorize_mock_bankid,
                  scope="openid profile nnin_altsub", extra_params={"login_hint": "adult"})


@contextmanager
def mock_bankid(tmp: Path | None = None, log: Path | None = None, **env: str) -> Iterator[tuple[Target, subprocess.Popen]]:
    with tempfile.TemporaryDirectory(prefix="bench-mock-") as own:
        tmp = tmp or Path(own)
        port = free_port()
        proc = popen(mock_cmd(port), mock_env(port, tmp, **env), log=log)
        try:
            wait_200(port, MOCK_DISCOVERY, 60, proc)
            t = mock_target(port)
            t.pid = proc.pid
            t.prepare()
            yield t, proc
        finally:
            stop(proc)


FLOOR = "stack floor"
"""The floor's name in results and tables (``bench/run.py``)."""
BARE_FLOOR = "bare WSGI floor"
"""The same sign-in as a bare WSGI callable, without Flask."""
FLOOR_DISCOVERY = "/.well-known/openid-configuration"


@contextmanager
def floor(bare: bool = False) -> Iterator[Target]:
    """``bench/floor_app.py`` under the gunicorn worker class, workers and threads of ``serve``:
    a near-minimal sign-in on this stack (see that file); ``bare``: without Flask."""
    from mock_bankid.cli.serve import default_workers

    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        port = free_port()
        issuer = f"http://127.0.0.1:{port}"
        factory = "create_wsgi_app" if bare else "create_app"
        app = f"floor_app:{factory}({str(Path(tmp) / 'floor.sqlite3')!r}, {issuer!r})"
        cmd = [sys.executable, "-m", "gunicorn", "-k", "mock_bankid.serving.worker.DeadlineThreadWorker",
               "-w", str(default_workers()), "--threads", "4", "--keep-alive", "5", "--preload",
               "--log-level", "warning", "-b", f"127.0.0.1:{port}", "--chdir", str(BENCH), app]
        proc = popen(cmd, {"PYTHONPATH": f"{BENCH}{os.pathsep}{ROOT}"})
        try:
            wait_200(port, FLOOR_DISCOVERY, 60, proc)
            t = Target(BARE_FLOOR if bare else FLOOR, port, FLOOR_DISCOVERY, authorize_redirect_at_once)
            t.pid = proc.pid
            t.prepare()
            yield t
        finally:
            stop(proc)


def worker_pids(master: int) -> list[int]:
    """gunicorn's workers: the children of the master process."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []
    return [int(c) for c in children]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def mock_version() -> str:
    return subprocess.run([sys.executable, "-c", "import mock_bankid; print(mock_bankid.__version__)"],
                          cwd=ROOT, capture_output=True, text=True).stdout.strip()


# --------------------------------------------------------------------------------------------
# peers


def peers_installed() -> bool:
    return ((PEERS / "node_modules" / "oauth2-mock-server").is_dir()
            and (PEERS / "node_modules" / "oidc-provider").is_dir()
            and (PEERS / "venv" / "bin" / "oidc-provider-mock").exists())


def peer_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for pkg in ("oauth2-mock-server", "oidc-provider"):
        with suppress(OSError):
            versions[pkg] = json.loads((PEERS / "node_modules" / pkg / "package.json").read_text())["version"]
    try:
        out = subprocess.run([str(PEERS / "venv" / "bin" / "python"), "-c",
                              "import importlib.metadata as m; print(m.version('oidc-provider-mock'))"],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        if out:
            versions["oidc-provider-mock"] = out
    except OSError:
        pass
    versions["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return versions


PEER_SPECS = {
    # name: (command for a port, discovery path, authorize, scope)
    "oauth2-mock-server": (
        lambda p: [str(PEERS / "node_modules" / ".bin" / "oauth2-mock-server"), "-a", "127.0.0.1", "-p", str(p)],
        "/.well-known/openid-configuration", authorize_redirect_at_once, "openid profile"),
    "oidc-provider-mock": (
        lambda p: [str(PEERS / "venv" / "bin" / "oidc-provider-mock"), "-H", "127.0.0.1", "-p", str(p)],
        "/.well-known/openid-configuration", authorize_post_sub, "openid profile"),
    "oidc-provider": (
        lambda p: ["node", str(BENCH / "peers" / "oidc_provider_server.mjs"), str(p)],
        "/.well-known/openid-configuration", authorize_oidc_provider, "openid profile"),
}


@contextmanager
def peer(name: str, log: Path | None = None) -> Iterator[Target]:
    cmd, discovery, authorize, scope = PEER_SPECS[name]
    port = free_port()
    proc = popen(cmd(port), {"NODE_ENV": "production"}, cwd=PEERS, log=log)
    try:
        wait_200(port, discovery, 60, proc)
        t = Target(name, port, discovery, authorize, scope=scope)
        t.pid = proc.pid
        t.prepare()
        yield t
    finally:
        stop(proc)


@contextmanager
def trivial_server() -> Iterator[int]:
    """A Node HTTP server that answers 200 "ok" to anything: the driver's own ceiling."""
    port = free_port()
    proc = popen(["node", str(BENCH / "peers" / "trivial_server.mjs"), str(port)])
    try:
        wait_200(port, "/", 15, proc)
        yield port
    finally:
        stop(proc)


@contextmanager
def redis_server() -> Iterator[str]:
    if not shutil.which("redis-server"):
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as d:
        proc = popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                      "--appendonly", "no", "--dir", d])
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                        s.sendall(b"PING\r\n")
                        if s.recv(16).startswith(b"+PONG"):
                            break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            stop(proc)


# --------------------------------------------------------------------------------------------
# the compiled load generator


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _run_wrk(args: list[str], pid: int | None, timeout: float) -> tuple[subprocess.CompletedProcess[str], float | None, float]:
    """``wrk *args``: what it printed, the CPU seconds the server ``pid`` (and its children) spent
    meanwhile (None without a pid), and the CPU seconds wrk itself spent."""
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (bench/setup.sh installs it: apt-get install wrk)")
    cpu0 = tree_cpu_seconds(pid) if pid else 0.0
    own0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(["wrk", *args], capture_output=True, text=True, timeout=timeout)
    own1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = tree_cpu_seconds(pid) - cpu0 if pid else None
    return done, cpu, (own1.ru_utime - own0.ru_utime) + (own1.ru_stime - own0.ru_stime)


def wrk(port: int, path: str, connections: int = 8, seconds: float = 4.0, threads: int = 2,
        method: str = "GET", body: str | None = None, headers: dict[str, str] | None = None,
        pid: int | None = None) -> dict:
    """``wrk`` (C, keep-alive, from Debian) against ``http://127.0.0.1:port/path``: requests/s and latency.

    It costs the machine far less per request than the Python driver, so on 2 shared cores a rate
    measured with it is the server's, not the driver's. Non-2xx answers are reported as failures.
    With ``pid`` (the server's process; its children count too) also the server's CPU time per
    request, which other load on the machine changes far less than the rate.
    """
    cmd = [f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    script = None
    if method != "GET" or body or headers:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        lua = [f'wrk.method = "{method}"']
        if body is not None:
            lua.append(f"wrk.body = {json.dumps(body)}")
        for name, value in (headers or {}).items():
            lua.append(f'wrk.headers["{name}"] = {json.dumps(value)}')
        script.write("\n".join(lua) + "\n")
        script.close()
        cmd += ["-s", script.name]
    try:
        done, cpu, _ = _run_wrk([*cmd, f"http://127.0.0.1:{port}{path}"], pid, seconds + 60)
        out = done.stdout
    finally:
        if script is not None:
            os.unlink(script.name)
    res: dict = {"tool": "wrk", "connections": connections, "threads": threads, "seconds": round(seconds, 1)}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rate"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in", out)
    res["ops"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["failures"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["socket_errors"] = sum(int(x) for x in m.groups())
    for pct in ("50", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        res[f"p{pct}_ms"] = round(_ms(m.group(1)), 2) if m else float("nan")
    if not res["rate"]:
        res["error"] = out[-500:]
    if cpu is not None and res["ops"]:
        res["server_cpu_us_per_request"] = round(cpu / res["ops"] * 1e6, 1)
    return res


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (a gunicorn master and its workers, npx and node)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its descendants that are alive."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree_pids(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / tick


_TOKEN_LUA = """
-- Each request redeems the next code of a pool made beforehand (one "code verifier" per line).
local pool = {}
for line in io.lines($pool) do
  local code, verifier = line:match("^(%S+) (%S+)$$")
  pool[#pool + 1] = {code, verifier}
end
local threads, counter = {}, 1
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  n = id
  step = $threads
end
function request()
  local item = pool[n]
  if item == nil then
    wrk.thread:stop()
    item = pool[1]
  end
  n = n + step
  local body = "grant_type=authorization_code&code=" .. item[1] .. "&redirect_uri=" .. $redirect ..
               "&code_verifier=" .. item[2]
  return wrk.format("POST", $path, {["Content-Type"] = "application/x-www-form-urlencoded",
                                    ["Authorization"] = $basic}, body)
end
"""


def wrk_token(t, pool: list[tuple[str, str]], seconds: float = 3.0, connections: int = 8, threads: int = 2) -> dict:
    """``wrk`` redeeming a pool of codes at ``t``'s token endpoint for ``seconds``, each code once.

    Make the pool larger than the endpoint can redeem in that time: wrk stops sending when it runs
    out (``exhausted`` is then true and the rate only a lower bound)."""
    from driver import BASIC, REDIRECT_URI, split_url

    path = split_url(t.meta["token_endpoint"])[2]
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        pool_file = Path(tmp) / "pool.txt"
        pool_file.write_text("".join(f"{code} {verifier}\n" for code, verifier in pool))
        script = Path(tmp) / "token.lua"
        lua = string.Template(_TOKEN_LUA).substitute(  # plain ASCII values: JSON quoting is Lua quoting
            pool=json.dumps(str(pool_file)), threads=threads, redirect=json.dumps(REDIRECT_URI),
            path=json.dumps(path), basic=json.dumps(BASIC))
        script.write_text(lua)
        done, cpu, _ = _run_wrk([f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
                                 "-s", str(script), f"http://127.0.0.1:{t.port}{path}"], t.pid, 120)
        out = done.stdout
    res: dict = {"tool": "wrk", "connections": connections, "threads": threads, "pool": len(pool)}
    m = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", out)
    ops = int(m.group(1)) if m else 0
    secs = float(m.group(2)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[m.group(3)] if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["failures"] = int(m.group(1)) if m else 0
    res["ops"] = ops
    res["rate"] = round((ops - res["failures"]) / secs, 1) if secs else 0.0
    res["exhausted"] = ops >= len(pool) - connections
    for pct in ("50", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        res[f"p{pct}_ms"] = round(_ms(m.group(1)), 2) if m else float("nan")
    if cpu is not None and ops:
        res["server_cpu_us_per_request"] = round(cpu / ops * 1e6, 1)
    if not ops:
        res["error"] = out[-500:]
    return res


_SIGN_IN_LUA = """
-- A headless sign-in per two requests, on each thread's one connection: GET the authorize URL
-- (the provider redirects at once with a code), then POST the code to the token endpoint.
-- A sign-in counts when the callback carries a code and the sign-in's state, and the token endpoint
-- answers 200 with an ID token and an access token; anything else is a failure.
-- Each sign-in has its own state and nonce (the thread's number and a counter); the PKCE
-- verifier is one per run (wrk's Lua has no SHA-256 to derive a challenge per sign-in).
-- sent/answered count requests and responses, so a request lost to a dropped connection (wrk
-- reconnects and asks for the next request) shows up as a gap between the two.
local authorize, token, body_head, verifier = $authorize, $token, $body_head, $verifier
local code, n, me, mark = nil, 0, 0, ""
signed_in, failed, sent, answered = 0, 0, 0, 0
function init(args) me = id end
function request()
  sent = sent + 1
  if code == nil then
    n = n + 1
    mark = me .. "x" .. n
    return wrk.format($authorize_method, authorize .. "&state=s" .. mark .. "&nonce=n" .. mark,
                      $authorize_headers, $authorize_body)
  end
  return wrk.format("POST", token, {["Content-Type"] = "application/x-www-form-urlencoded",
                                    ["Authorization"] = $basic},
                    body_head .. code .. "&code_verifier=" .. verifier)
end
function response(status, headers, body)
  answered = answered + 1
  if code == nil then
    local location = headers["Location"] or headers["location"] or ""
    local state = "[?&]state=s" .. mark  -- the mark is digits and "x": no pattern magic
    if (status == 302 or status == 303) and location:sub(1, #$redirect) == $redirect
        and (location:find(state .. "&") or location:find(state .. "$$")) then
      code = location:match("[?&]code=([^&]+)")
    end
    if code == nil then failed = failed + 1 end
    return
  end
  code = nil
  if status == 200 and body:find('"id_token"', 1, true) and body:find('"access_token"', 1, true) then
    signed_in = signed_in + 1
  else
    failed = failed + 1
  end
end
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end
function done(summary, latency, requests)
  local ok, bad, out, back = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("signed_in")
    bad = bad + thread:get("failed")
    out = out + thread:get("sent")
    back = back + thread:get("answered")
  end
  local e = summary.errors
  io.write(string.format("SIGN-INS %d FAILED %d MICROSECONDS %d SENT %d ANSWERED %d SOCKET-ERRORS %d\\n",
                         ok, bad, summary.duration, out, back, e.connect + e.read + e.write + e.timeout))
end
"""


def wrk_sign_in_supported(t) -> bool:
    """wrk's Lua keeps one header of each name, so a flow that needs several cookies at once
    (panva's oidc-provider: its interaction and session cookies) cannot run in it."""
    return t.authorize in (authorize_mock_bankid, authorize_redirect_at_once, authorize_post_sub)


def wrk_sign_in(t, connections: int = 8, seconds: float = 3.0) -> dict:
    """Full headless sign-ins driven by ``wrk`` instead of the Python driver: authorize, then the
    code redeemed at the token endpoint (Basic, PKCE), on ``connections`` kept-alive connections,
    one wrk thread each (a thread's Lua state follows one connection's flow).

    The ID token is not verified here (the Python driver's rows do that): what this measures is the
    provider's side of a sign-in with a load generator that costs the shared cores little
    (``loadgen_cpu_ms_per_sign_in`` says how little). ``ops`` counts sign-ins tried (completed or
    failed); ``lost`` and ``socket_errors`` count what never got an answer.
    """
    from driver import BASIC, REDIRECT_URI, authorize_params, split_url

    if not wrk_sign_in_supported(t):
        raise RuntimeError(f"{t.name}: its sign-in needs several cookies at once, which wrk's Lua cannot keep")
    params, verifier = authorize_params(t)
    del params["state"], params["nonce"]  # the script adds its own to each sign-in
    post = t.authorize is authorize_post_sub
    query = urlencode(params)
    authorize = t.path_of("authorization_endpoint") + "?" + query
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        script = Path(tmp) / "sign_in.lua"
        script.write_text(string.Template(_SIGN_IN_LUA).substitute(  # ASCII values: JSON quoting is Lua quoting
            authorize=json.dumps(authorize), token=json.dumps(t.path_of("token_endpoint")),
            body_head=json.dumps("grant_type=authorization_code&redirect_uri=" + quote(REDIRECT_URI, safe="")
                                 + "&code="),
            verifier=json.dumps(verifier), basic=json.dumps(BASIC), redirect=json.dumps(REDIRECT_URI),
            authorize_method=json.dumps("POST" if post else "GET"),
            authorize_headers='{["Content-Type"] = "application/x-www-form-urlencoded"}' if post else "nil",
            authorize_body=json.dumps(urlencode({"sub": "alice@example.com"})) if post else "nil"))
        done, cpu, spent = _run_wrk([f"-t{connections}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                                     "-s", str(script), f"http://127.0.0.1:{t.port}{split_url(authorize)[2]}"],
                                    t.pid, seconds + 60)
    res: dict = {"tool": "wrk", "connections": connections, "threads": connections, "seconds": round(seconds, 1)}
    m = re.search(r"SIGN-INS (\d+) FAILED (\d+) MICROSECONDS (\d+) SENT (\d+) ANSWERED (\d+) SOCKET-ERRORS (\d+)",
                  done.stdout)
    if not m:
        return {**res, "rate": 0.0, "ops": 0, "failures": 0, "error": (done.stdout + done.stderr)[-500:]}
    ok, bad, micros, sent, answered, socket_errors = (int(x) for x in m.groups())
    res.update(sign_ins=ok, ops=ok + bad, failures=bad, rate=round(ok / (micros / 1e6), 1) if micros else 0.0,
               socket_errors=socket_errors,
               # one request per connection is in flight when wrk stops, and wrk calls request() once
               # more to check the script: beyond those, a request sent and never answered was lost
               lost=max(0, sent - answered - connections - 1))
    if cpu is not None and ok:
        res["server_cpu_ms_per_sign_in"] = round(cpu / ok * 1e3, 2)
    if ok:  # what wrk itself spent: the load generator's share of the shared cores
        res["loadgen_cpu_ms_per_sign_in"] = round(spent / ok * 1e3, 3)
    return res
