"""mock-bankid against its peers, side by side, in one run on one machine.

    python bench/run.py            # quick profile (a few minutes)
    python bench/run.py --full     # the issue's figures: longer runs, 100k sign-ins, 1M stored entries
    python bench/run.py --only mock,peers --update-readme

Writes bench/results/<date>.json (every figure) and bench/results/<date>.md (the short table).
Nothing here asserts: targets are reported as met or missed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]

import driver as d  # noqa: E402
import fixture_suite  # noqa: E402
import store_calls  # noqa: E402
import targets as T  # noqa: E402

PROFILES = {
    # seconds per timed run, warm-up, token pool, RSS rounds x sign-ins, stored entries per ns
    "quick": {"seconds": 6.0, "rounds": 3, "warmup": 0.5, "token_pool": 600, "rss_rounds": 5, "rss_per_round": 2000,
              "store_small": 1000, "store_big": 100_000, "store_seconds": 3.0, "cold_runs": 3},
    "full": {"seconds": 20.0, "rounds": 5, "warmup": 1.0, "token_pool": 3000, "rss_rounds": 10, "rss_per_round": 10_000,
             "store_small": 1000, "store_big": 1_000_000, "store_seconds": 8.0, "cold_runs": 5},
}
LEVELS = (1, 8, 32)
PEERS = ("oauth2-mock-server", "oidc-provider-mock", "oidc-provider")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# the machine


def machine() -> dict:
    mem = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) // 1024
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"cores": os.cpu_count(), "memory_mib": mem, "cpu": cpu, "python": platform.python_version(),
            "kernel": platform.release(), "loadavg_start": Path("/proc/loadavg").read_text().split()[:3]}


def _sign_loop(alg: str, seconds: float, out) -> None:
    from joserfc import jwt
    from joserfc.jwk import ECKey, RSAKey

    key = RSAKey.generate_key(2048) if alg == "RS256" else ECKey.generate_key("P-256")
    claims = {"iss": "http://127.0.0.1/auth/realms/current", "sub": "x" * 40, "aud": "ci", "exp": 2_000_000_000,
              "iat": 1_700_000_000, "nonce": "n" * 16, "name": "Kari Nordmann", "pid": "01017012345"}
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        jwt.encode({"alg": alg, "typ": "JWT"}, claims, key)
        n += 1
    out.send(n / (time.perf_counter() - t0))


def sign_rate(alg: str, procs: int, seconds: float) -> float:
    ctx = multiprocessing.get_context("fork")
    pipes, ps = [], []
    for _ in range(procs):
        r, w = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_sign_loop, args=(alg, seconds, w))
        p.start()
        pipes.append(r)
        ps.append(p)
    rates = [r.recv() for r in pipes]
    for p in ps:
        p.join()
    return sum(rates)


def signing_ceiling(seconds: float, repeats: int = 3) -> dict:
    """JWT signatures per second (joserfc, the mock's own signer): one process, then one per core.

    Best of ``repeats`` short samples: other load on the machine only ever lowers the rate."""
    result: dict = {}
    for alg in ("RS256", "ES256"):
        for procs in (1, os.cpu_count() or 1):
            samples = [round(sign_rate(alg, procs, seconds / repeats), 1) for _ in range(repeats)]
            key = f"{alg}_{'one_core' if procs == 1 else 'all_cores'}"
            result[key] = max(samples)
            result[key + "_samples"] = samples
    return result


def signatures_per_response(t: d.Target) -> tuple[int, list[str]]:
    """How many JWS a token response carries (each one is a signature the endpoint made)."""
    c = d.Client("127.0.0.1", t.port)
    code, verifier, _ = d.get_code(t, c)
    tokens = d.redeem(t, c, code, verifier)
    c.close()
    algs = []
    for name in ("access_token", "id_token", "refresh_token"):
        value = tokens.get(name, "")
        if isinstance(value, str) and value.count(".") == 2:
            import base64
            head = json.loads(base64.urlsafe_b64decode(value.split(".")[0] + "=="))
            algs.append(f"{name}:{head.get('alg')}")
    return len(algs), algs


# --------------------------------------------------------------------------------------------
# one provider under the driver


def token_alone(t: d.Target, pool_size: int, concurrency: int = 8) -> dict:
    """The token endpoint by itself: a pool of codes is made first, then only redeemed (timed)."""
    c = d.Client("127.0.0.1", t.port)
    pool = [d.get_code(t, c)[:2] for _ in range(pool_size)]
    c.close()

    def op(t: d.Target, c: d.Client) -> None:
        code, verifier = pool.pop()
        d.redeem(t, c, code, verifier)

    # One driver process (threads share the pool); it only posts and parses, so it keeps up.
    return d.run(t, op, concurrency, procs=1, count=pool_size).summary()


def merge(results: list[d.RunResult]) -> dict:
    """Rounds of one provider at one level: latencies pooled, rate = median of the rounds' rates."""
    pooled = d.RunResult(ops=sum(r.ops for r in results), failures=sum(r.failures for r in results),
                         seconds=sum(r.seconds for r in results),
                         latencies_ms=[x for r in results for x in r.latencies_ms],
                         driver_cpu=statistics.mean(r.driver_cpu for r in results),
                         first_error=next((r.first_error for r in results if r.first_error), ""))
    out = pooled.summary()
    out["round_rates"] = [round(r.rate, 1) for r in results]
    out["rate"] = round(statistics.median(r.rate for r in results), 1)
    return out


def sign_in_suite(ts: list[d.Target], prof: dict) -> dict[str, dict]:
    """Sign-ins at each level, the providers interleaved round by round (A B C D A B C D ...), so
    a change in the machine's other load during the run falls on every provider alike."""
    out: dict[str, dict] = {t.name: {"sign_in": {}} for t in ts}
    rounds = prof["rounds"]
    for level in LEVELS:
        runs: dict[str, list[d.RunResult]] = {t.name: [] for t in ts}
        cpu: dict[str, list[float]] = {t.name: [] for t in ts}
        for _ in range(rounds):
            for t in ts:
                c0 = T.tree_cpu_seconds(t.pid) if t.pid else 0.0
                r = d.run(t, d.sign_in, level, prof["seconds"] / rounds, prof["warmup"])
                runs[t.name].append(r)
                if t.pid and r.rate:
                    # the server's CPU over the whole run (warm-up too) per sign-in, so approximate
                    cpu[t.name].append((T.tree_cpu_seconds(t.pid) - c0) / (r.rate * (r.seconds + prof["warmup"])))
        for t in ts:
            s = out[t.name]["sign_in"][str(level)] = merge(runs[t.name])
            if cpu[t.name]:
                s["server_cpu_ms_per_sign_in"] = round(statistics.median(cpu[t.name]) * 1000, 2)
            log(f"  {t.name} sign-in c={level}: {s['rate']:,.0f}/s (rounds {s['round_rates']}) "
                f"p99 {s['p99_ms']:.1f} ms, {s['failures']} failures, "
                f"server CPU {s.get('server_cpu_ms_per_sign_in', float('nan')):.2f} ms/sign-in")
        if T.wrk_available():
            wrk_sign_in_rounds(ts, level, prof, out)
    return out


def wrk_sign_in_rounds(ts: list[d.Target], level: int, prof: dict, out: dict[str, dict]) -> None:
    """The same sign-ins at ``level`` driven by wrk (``sign_in_wrk``), interleaved the same way:
    the load generator costs the shared cores a fraction of what the Python driver does, so the rate is more the server's."""
    able = [t for t in ts if T.wrk_sign_in_supported(t)]
    runs: dict[str, list[dict]] = {t.name: [] for t in able}
    for _ in range(prof["rounds"]):
        for t in able:
            try:
                runs[t.name].append(T.wrk_sign_in(t, level, max(1.0, prof["seconds"] / prof["rounds"])))
            except Exception as exc:  # noqa: BLE001 - one failed run is reported, the rest go on
                runs[t.name].append({"rate": 0.0, "ops": 0, "failures": 0, "error": repr(exc)[:500]})
    for t in able:
        rs = runs[t.name]
        good = [r for r in rs if "error" not in r] or rs  # a round wrk could not run is no rate of 0
        s: dict = {"tool": "wrk", "connections": level, "round_rates": [r["rate"] for r in rs],
                   "rate": round(statistics.median(r["rate"] for r in good), 1),
                   **{k: sum(r.get(k, 0) for r in rs) for k in ("ops", "failures", "lost", "socket_errors")}}
        for key, digits in (("server_cpu_ms_per_sign_in", 2), ("loadgen_cpu_ms_per_sign_in", 3)):
            values = [r[key] for r in rs if key in r]
            if values:
                s[key] = round(statistics.median(values), digits)
        if any("error" in r for r in rs):
            s["error"] = next(r["error"] for r in rs if "error" in r)
        out[t.name].setdefault("sign_in_wrk", {})[str(level)] = s
        log(f"  {t.name} sign-in c={level} (wrk): {s['rate']:,.0f}/s (rounds {s['round_rates']}), "
            f"{s['failures']} failures, {s['lost']} lost, {s['socket_errors']} socket errors, server CPU "
            f"{s.get('server_cpu_ms_per_sign_in', float('nan')):.2f} ms/sign-in, "
            f"wrk {s.get('loadgen_cpu_ms_per_sign_in', float('nan')):.3f} ms/sign-in")


def endpoint_suite(t: d.Target, prof: dict, extra_gets: dict[str, str] | None = None) -> dict:
    """Discovery, JWKS (and ``extra_gets``) and the token endpoint alone, each with the Python
    driver and with wrk (``<name>_wrk``), 8 connections."""
    out: dict = {}
    gets = {"discovery": t.discovery_path, "jwks": d.split_url(t.meta["jwks_uri"])[2], **(extra_gets or {})}
    for name, path in gets.items():
        r = d.run(t, d.get_ok(path), 8, prof["seconds"] / 2, prof["warmup"] / 2)
        out[name] = r.summary()
        if T.wrk_available():
            out[f"{name}_wrk"] = T.wrk(t.port, path, 8, prof["seconds"] / 2, pid=t.pid)
        log(f"  {t.name} {name} c=8: {r.rate:,.0f}/s, wrk {out.get(f'{name}_wrk', {}).get('rate', 0):,.0f}/s "
            f"({out.get(f'{name}_wrk', {}).get('server_cpu_us_per_request', float('nan')):.0f} us server CPU each)")
    out["token"] = token_alone(t, prof["token_pool"])
    if T.wrk_available():
        # a pool the endpoint cannot use up in the time (2.5x what the Python driver saw it do)
        seconds = prof["seconds"] / 2
        size = int(min(20_000, max(prof["token_pool"], 2.5 * out["token"]["rate"] * seconds)))
        c = d.Client("127.0.0.1", t.port)
        pool = [d.get_code(t, c)[:2] for _ in range(size)]
        c.close()
        out["token_wrk"] = T.wrk_token(t, pool, seconds)
    log(f"  {t.name} token alone c=8: {out['token']['rate']:,.0f}/s, wrk {out.get('token_wrk', {}).get('rate', 0):,.0f}/s")
    return out


# --------------------------------------------------------------------------------------------
# mock-bankid only: cold start, memory, stored state, logging


def cold_start(runs: int) -> dict:
    out: dict = {"serve_fresh_keys_s": [], "serve_s": [], "first_sign_in_s": [], "fixture_fresh_keys_s": [],
                 "fixture_s": [], "fixture_with_imports_s": []}
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp_:
        tmp = Path(tmp_)
        for i in range(runs):
            port = T.free_port()
            if i == 0:
                shutil.rmtree(tmp / "keys", ignore_errors=True)
            t0 = time.monotonic()
            proc = T.popen(T.mock_cmd(port), T.mock_env(port, tmp))
            try:
                t1 = T.wait_200(port, T.MOCK_DISCOVERY, 60, proc)
                # What a CI job waits for next: its first sign-in (a worker's first request).
                t = T.mock_target(port)
                t.prepare()
                t2 = time.monotonic()
                d.sign_in(t, d.Client("127.0.0.1", port))
                out["first_sign_in_s"].append(round(time.monotonic() - t2, 3))
            finally:
                T.stop(proc)
            out["serve_fresh_keys_s" if i == 0 else "serve_s"].append(round(t1 - t0, 3))
        for i in range(runs):
            keys = tmp / "fixture-keys"
            if i == 0:
                shutil.rmtree(keys, ignore_errors=True)
            res = subprocess.run([sys.executable, str(BENCH / "fixture_start.py"), str(keys), str(ROOT / "fixtures")],
                                 cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                                 text=True, check=True)
            fig = json.loads(res.stdout)
            out["fixture_fresh_keys_s" if i == 0 else "fixture_s"].append(round(fig["fixture_s"], 3))
            if i:
                out["fixture_with_imports_s"].append(round(fig["with_imports_s"], 3))
    out["serve_median_s"] = statistics.median(out["serve_s"]) if out["serve_s"] else out["serve_fresh_keys_s"][0]
    out["first_sign_in_median_s"] = statistics.median(out["first_sign_in_s"])
    out["fixture_median_s"] = statistics.median(out["fixture_s"]) if out["fixture_s"] else out["fixture_fresh_keys_s"][0]
    return out


def memory(prof: dict) -> dict:
    rounds, per = prof["rss_rounds"], prof["rss_per_round"]
    out: dict = {"sign_ins": rounds * per, "rounds": []}
    with T.mock_bankid() as (t, proc):
        before = {pid: round(T.rss_mib(pid), 1) for pid in T.worker_pids(proc.pid)}
        out["workers_before_mib"] = before
        for i in range(rounds):
            r = d.run(t, d.sign_in, 8, count=per)
            rss = {pid: round(T.rss_mib(pid), 1) for pid in T.worker_pids(proc.pid)}
            out["rounds"].append({"sign_ins": per, "rate": round(r.rate, 1), "failures": r.failures, "rss_mib": rss})
            log(f"  RSS after round {i + 1}/{rounds}: {sorted(rss.values())} MiB")
    first, last = out["rounds"][0]["rss_mib"], out["rounds"][-1]["rss_mib"]
    growth = [last[p] - first[p] for p in first if p in last]
    out["max_growth_first_to_last_round_mib"] = round(max(growth), 1) if growth else None
    out["workers_restarted"] = sorted(first) != sorted(last)
    return out


FILL_VALUE = json.dumps({
    "grant": {"client_id": "ci", "scope": ["openid", "profile", "nnin_altsub"], "persona": {"name": "Kari Nordmann"},
              "acr": "urn:bankid:bid", "amr": ["BID"], "sid": "0" * 36, "auth_time": 1_700_000_000, "nonce": "n" * 11},
    "redirect_uri": d.REDIRECT_URI, "code_challenge": "c" * 43, "code_challenge_method": "S256"})


def fill_sqlite(data_dir: Path, n: int) -> None:
    from mock_bankid.store import SQLITE_FILENAME, open_store

    store = open_store("sqlite", data_dir)
    store.put("bench", "schema", {}, 1)  # creates the file and its schema
    store.close()
    db = sqlite3.connect(data_dir / SQLITE_FILENAME)
    expires = time.time() + 7200
    with db:
        for ns in ("code", "sso"):
            db.executemany("INSERT INTO entries (ns, key, value, expires_at) VALUES (?, ?, ?, ?)",
                           ((ns, f"fill-{i:08d}", FILL_VALUE, expires) for i in range(n)))
    db.close()


def fill_redis(url: str, n: int) -> None:
    """Same layout as RedisStore.put writes (``expires|seq|json`` with a real TTL), pipelined."""
    import redis

    from mock_bankid.store import open_store

    store = open_store(url, Path(tempfile.gettempdir()))
    prefix, seq_key = store.prefix, store._seq_key
    store.close()
    r = redis.Redis.from_url(url)
    expires = time.time() + 7200
    seq = 0
    for ns in ("code", "sso"):
        for start in range(0, n, 10_000):
            pipe = r.pipeline(transaction=False)
            for i in range(start, min(n, start + 10_000)):
                seq += 1
                pipe.set(f"{prefix}:{ns}:fill-{i:08d}", f"{expires!r}|{seq}|{FILL_VALUE}", px=7_200_000)
            pipe.execute()
    r.set(seq_key, seq)
    r.close()


def stored_state(prof: dict) -> dict:
    out: dict = {}
    with ExitStack() as stack:
        redis_url = None
        try:
            redis_url = stack.enter_context(T.redis_server())
        except RuntimeError as exc:
            out["redis_skipped"] = str(exc)
        for backend in ("sqlite", "redis"):
            if backend == "redis" and not redis_url:
                continue
            for n in (prof["store_small"], prof["store_big"]):
                with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp_:
                    tmp = Path(tmp_)
                    (tmp / "data").mkdir()
                    t0 = time.monotonic()
                    env = {}
                    if backend == "sqlite":
                        fill_sqlite(tmp / "data", n)
                    else:
                        import redis
                        redis.Redis.from_url(redis_url).flushdb()
                        fill_redis(redis_url, n)
                        env["MOCK_BANKID_STORE"] = redis_url
                    fill_s = time.monotonic() - t0
                    with T.mock_bankid(tmp, **env) as (t, _proc):
                        r1 = d.run(t, d.sign_in, 1, prof["store_seconds"], prof["warmup"])
                        r8 = d.run(t, d.sign_in, 8, prof["store_seconds"], prof["warmup"])
                    out[f"{backend}_{n}"] = {"entries_per_ns": n, "fill_s": round(fill_s, 1),
                                             "c1": r1.summary(), "c8": r8.summary()}
                    log(f"  {backend} with {n:,} codes + {n:,} sessions: c=1 p50 {r1.pct(50):.1f} ms/flow, "
                        f"c=8 {r8.rate:,.0f}/s (fill {fill_s:.1f}s)")
    return out


# --------------------------------------------------------------------------------------------
# report


def pct_of(a: float, b: float) -> float | None:
    return round(100 * a / b, 1) if b else None


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


THROUGHPUT_ROWS = {
    # label -> how to read the rate from a provider's results
    "sign-ins/s, 1 client": lambda r: r["sign_in"]["1"]["rate"],
    "sign-ins/s, 8 clients": lambda r: r["sign_in"]["8"]["rate"],
    "sign-ins/s, 32 clients": lambda r: r["sign_in"]["32"]["rate"],
    "sign-ins/s, 1 client (wrk)": lambda r: r["sign_in_wrk"]["1"]["rate"],
    "sign-ins/s, 8 clients (wrk)": lambda r: r["sign_in_wrk"]["8"]["rate"],
    "sign-ins/s, 32 clients (wrk)": lambda r: r["sign_in_wrk"]["32"]["rate"],
    "token endpoint alone/s": lambda r: r["token"]["rate"],
    "token endpoint alone/s (wrk)": lambda r: r["token_wrk"]["rate"],
    "discovery/s": lambda r: r["discovery"]["rate"],
    "discovery/s (wrk)": lambda r: r["discovery_wrk"]["rate"],
    "JWKS/s": lambda r: r["jwks"]["rate"],
    "JWKS/s (wrk)": lambda r: r["jwks_wrk"]["rate"],
}
O2MS = "oauth2-mock-server"
FLOOR = T.FLOOR
BARE = T.BARE_FLOOR
FLOOR_KEYS = {FLOOR: "floor", BARE: "bare_floor"}
"""Each floor's column name -> its key in the results (measuring sticks, beside the providers)."""


def _rate(row, provider: dict | None) -> float | None:
    try:
        return float(row(provider)) if provider else None
    except (KeyError, TypeError):
        return None


def targets(res: dict) -> list[dict]:
    out: list[dict] = []
    mock = res.get("mock-bankid") or {}
    peers = {k: v for k, v in res.get("peers", {}).items() if isinstance(v, dict) and "error" not in v}
    if mock and peers:
        for label, row in THROUGHPUT_ROWS.items():
            mine = _rate(row, mock)
            theirs = {name: _rate(row, p) for name, p in peers.items()}
            theirs = {k: v for k, v in theirs.items() if v}
            if mine is None or not theirs:
                continue
            best = max(theirs, key=lambda k: theirs[k])
            got = ratio(mine, theirs[best])
            unmeasured = [k for k in peers if k not in theirs]  # e.g. oidc-provider in the wrk sign-in rows
            among = f"{best}; not measured: {', '.join(unmeasured)}" if unmeasured else best
            out.append({"target": f"{label} >= 1.0x the best peer ({among})", "measured": f"{got}x",
                        "met": got is not None and got >= 1.0})
        o2ms = peers.get(O2MS)
        for label, need in (("sign-ins/s, 8 clients", 1.5), ("sign-ins/s, 32 clients", 1.5),
                            ("sign-ins/s, 8 clients (wrk)", 1.5), ("sign-ins/s, 32 clients (wrk)", 1.5),
                            ("discovery/s (wrk)", 1.0), ("JWKS/s (wrk)", 1.0), ("discovery/s", 1.0), ("JWKS/s", 1.0)):
            mine, theirs = _rate(THROUGHPUT_ROWS[label], mock), _rate(THROUGHPUT_ROWS[label], o2ms)
            if mine and theirs:
                got = ratio(mine, theirs)
                out.append({"target": f"{label} >= {need:g}x {O2MS}", "measured": f"{got}x",
                            "met": got is not None and got >= need})
        try:
            mine = mock["sign_in"]["1"]["p50_ms"]
            best = min(p["sign_in"]["1"]["p50_ms"] for p in peers.values())
            out.append({"target": "p50 sign-in at 1 client <= the best peer's", "measured": f"{mine:.1f} vs {best:.1f} ms",
                        "met": mine <= best})
        except (KeyError, ValueError):
            pass
    if "token_vs_ceiling_pct" in res:
        got = res["token_vs_ceiling_pct"]
        out.append({"target": "token endpoint >= 40% of the signing ceiling", "measured": f"{got}%", "met": got >= 40})
    if "fixture" in res:
        f = res["fixture"]
        got = f["later_test_fixture_ms_median"]
        out.append({"target": "pytest fixture <= 20 ms per test after the first", "measured": f"{got:.2f} ms",
                    "met": got <= 20})
        got = f["first_test_setup_ms"]
        out.append({"target": "pytest fixture: first test <= 300 ms", "measured": f"{got:.0f} ms", "met": got <= 300})
    if "cold_start" in res:
        got = res["cold_start"]["serve_median_s"]
        out.append({"target": "cold start of serve <= 1 s", "measured": f"{got:.2f} s", "met": got <= 1.0})
    if "memory" in res:
        g = res["memory"]["max_growth_first_to_last_round_mib"]
        out.append({"target": "RSS flat across rounds", "measured": f"+{g} MiB/worker max",
                    "met": g is not None and g <= 5 and not res["memory"]["workers_restarted"]})
    return out


def _wrk_sign_in_cell(s: dict) -> str:
    """The rate, and what went wrong if anything did (failed sign-ins, lost requests, socket errors)."""
    wrong = [f"{s[k]:,} {what}" for k, what in (("failures", "failed"), ("lost", "lost"),
                                                 ("socket_errors", "socket errors")) if s.get(k)]
    return f"{s['rate']:,.0f}" + (f" ({', '.join(wrong)})" if wrong else "")


def markdown(res: dict) -> str:
    m = res["machine"]
    lines = [
        f"Run {res['date']} ({res['profile']} profile), {m['cores']} cores, {m['memory_mib'] // 1024} GiB, "
        f"{m['cpu']}; load average at start {' '.join(m['loadavg_start'])}, at end {' '.join(m.get('loadavg_end', []))}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in res["versions"].items()) + ".",
        "",
    ]
    names = ["mock-bankid", *[p for p in PEERS if p in res.get("peers", {})],
             *[name for name, key in FLOOR_KEYS.items() if "sign_in" in (res.get(key) or {})]]
    rows = ({"mock-bankid": res.get("mock-bankid")} | res.get("peers", {})
            | {name: res.get(key) for name, key in FLOOR_KEYS.items()})
    mock8 = (res.get("mock-bankid") or {}).get("sign_in", {}).get("8", {}).get("rate")
    if any(rows.values()):
        lines += ["| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]

        def row(label: str, get) -> None:
            cells = []
            for n in names:
                try:
                    cells.append(get(rows[n]))
                except (KeyError, TypeError, ZeroDivisionError):
                    cells.append("–")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")

        for lv in LEVELS:
            row(f"sign-ins/s, {lv} client{'s' if lv > 1 else ''}", lambda r, lv=lv: f"{r['sign_in'][str(lv)]['rate']:,.0f}")
        row("p50 / p99 ms, 8 clients", lambda r: f"{r['sign_in']['8']['p50_ms']:.1f} / {r['sign_in']['8']['p99_ms']:.1f}")
        row("p99 ms, 32 clients", lambda r: f"{r['sign_in']['32']['p99_ms']:.1f}")
        row("failures (all driver sign-in runs)", lambda r: str(sum(v["failures"] for v in r["sign_in"].values())))
        row("server CPU ms per sign-in, 8 clients", lambda r: f"{r['sign_in']['8']['server_cpu_ms_per_sign_in']:.2f}")
        for lv in LEVELS:
            row(f"sign-ins/s, {lv} client{'s' if lv > 1 else ''} (wrk)",
                lambda r, lv=lv: _wrk_sign_in_cell(r["sign_in_wrk"][str(lv)]))
        row("server CPU ms per sign-in, 8 clients (wrk)",
            lambda r: f"{r['sign_in_wrk']['8']['server_cpu_ms_per_sign_in']:.2f}")
        row("token endpoint alone/s", lambda r: f"{r['token']['rate']:,.0f}")
        row("token endpoint alone/s (wrk)", lambda r: f"{r['token_wrk']['rate']:,.0f}"
            + (f" ({r['token_wrk']['failures']:,} of {r['token_wrk']['ops']:,} failed)" if r['token_wrk']['failures'] else ""))
        row("discovery/s", lambda r: f"{r['discovery']['rate']:,.0f}")
        row("discovery/s (wrk)", lambda r: f"{r['discovery_wrk']['rate']:,.0f}")
        row("JWKS/s", lambda r: f"{r['jwks']['rate']:,.0f}")
        row("JWKS/s (wrk)", lambda r: f"{r['jwks_wrk']['rate']:,.0f}")
        row("server CPU µs per discovery (wrk)", lambda r: f"{r['discovery_wrk']['server_cpu_us_per_request']:,.0f}")
        row("JWS signed per token response", lambda r: str(r["jws_per_token_response"]["count"]))
        if mock8:
            row("mock-bankid ÷ this, 8 clients", lambda r: f"{mock8 / r['sign_in']['8']['rate']:.2f}×")
        lines.append("")
    extra = []
    floor8 = (res.get("floor") or {}).get("sign_in", {}).get("8", {}).get("rate")
    o2ms8 = (res.get("peers", {}).get(O2MS) or {}).get("sign_in", {}).get("8", {}).get("rate")
    if floor8 and mock8:
        extra.append(f"Stack floor (`bench/floor_app.py`: the same gunicorn worker, workers, Flask, SQLite store and "
                     f"signing library, doing a near-minimal sign-in): {floor8:,.0f} sign-ins/s at 8 clients"
                     + (f", **{floor8 / o2ms8:.2f}×** {O2MS}" if o2ms8 else "")
                     + f"; mock-bankid does {100 * mock8 / floor8:.0f}% of the floor's rate.")
    wrk8 = {n: _rate(THROUGHPUT_ROWS["sign-ins/s, 8 clients (wrk)"], r) for n, r in rows.items()}
    loadgen = ((res.get("mock-bankid") or {}).get("sign_in_wrk", {}).get("8", {}).get("loadgen_cpu_ms_per_sign_in"))
    if wrk8.get(FLOOR) and wrk8.get("mock-bankid"):

        def versus(name: str, label: str) -> str:
            return f" (**{wrk8[name] / wrk8[O2MS]:.2f}×**{label})" if wrk8.get(O2MS) else ""

        text = f"With wrk driving the sign-ins: the floor {wrk8[FLOOR]:,.0f}/s at 8 clients" + versus(FLOOR, f" {O2MS}")
        if wrk8.get(BARE):
            text += f", the bare WSGI floor (the same work without Flask) {wrk8[BARE]:,.0f}/s" + versus(BARE, "")
        text += f", mock-bankid {wrk8['mock-bankid']:,.0f}/s ({100 * wrk8['mock-bankid'] / wrk8[FLOOR]:.0f}% of the floor)."
        if loadgen:
            text += f" wrk itself spent {loadgen:.2f} ms of CPU per sign-in against mock-bankid."
        if "oidc-provider" in res.get("peers", {}):
            text += (" panva's oidc-provider has no wrk rows: its sign-in needs several cookies at once, and "
                     "wrk's Lua keeps one header of each name.")
        extra.append(text)
    if "driver" in res:
        dr = res["driver"]
        extra.append(f"Driver ceiling (trivial Node endpoint, 8 clients): {dr['trivial']['rate']:,.0f} req/s; "
                     f"mock-bankid `/_mock/health`: {dr['mock_health']['rate']:,.0f} req/s.")
    if "signing" in res:
        s = res["signing"]
        text = (f"Signing ceiling: RS256 {s['RS256_one_core']:,.0f}/s on one core ({s['RS256_all_cores']:,.0f}/s all cores), "
                f"ES256 {s['ES256_one_core']:,.0f}/s ({s['ES256_all_cores']:,.0f}/s).")
        if "token_ceiling" in res:
            tv = res["token_vs_ceiling"]
            text += (f" mock-bankid signs {res['signatures_per_token_response']} JWS per token response "
                     f"({', '.join(res['signed'])}), each counted at its algorithm's all-core rate; RS256 measured right before and after its "
                     f"token endpoint: {tv['rs256_all_cores_before']:,.0f}/s and {tv['rs256_all_cores_after']:,.0f}/s "
                     f"→ token ceiling {res['token_ceiling']:,.0f}/s; token endpoint {res['token_rate_for_ceiling']:,.0f}/s "
                     f"= **{res['token_vs_ceiling_pct']}%**.")
        extra.append(text)
    if "cold_start" in res:
        c = res["cold_start"]
        extra.append(f"Cold start: `serve` to first 200 on discovery {c['serve_median_s']:.2f} s (median; first start with key "
                     f"generation {c['serve_fresh_keys_s'][0]:.2f} s), then the first sign-in {c['first_sign_in_median_s'] * 1000:.0f} ms; in-process fixture (create_app + make_server + "
                     f"first 200) {c['fixture_median_s'] * 1000:.0f} ms ({c['fixture_fresh_keys_s'][0] * 1000:.0f} ms with "
                     f"fresh keys; {statistics.median(c['fixture_with_imports_s']) * 1000:.0f} ms counting imports).")
    if "memory" in res:
        mm = res["memory"]
        extra.append(f"Memory: RSS per worker after {mm['sign_ins']:,} sign-ins in {len(mm['rounds'])} rounds: "
                     f"{', '.join(f'{v:.0f}' for v in sorted(mm['rounds'][-1]['rss_mib'].values()))} MiB "
                     f"(max growth first→last round {mm['max_growth_first_to_last_round_mib']} MiB).")
    if "fixture" in res:
        f = res["fixture"]
        extra.append(f"pytest fixture, generated downstream suite of 1 and {f['tests']} tests (median of {f['runs']} runs): "
                     f"first test's fixture {f['first_test_setup_ms']:.0f} ms ({f['first_test_setup_ms_first_session']:.0f} ms "
                     f"in the first session, which makes the key set); every later test "
                     f"{f['later_test_fixture_ms_median']:.2f} ms of fixture (median; max {f['later_test_fixture_ms_max']:.1f}), "
                     f"{f['later_test_total_ms_median']:.1f} ms in all with its body; whole suite "
                     f"{f['suite_wall_s']['1']:.1f} s vs {f['suite_wall_s'][str(f['tests'])]:.1f} s (pytest's start-up included).")
    if "store_calls" in res:
        sc = res["store_calls"]
        extra.append(f"Store operations per request (SQLite, counted): sign-in {sc['sign_in']['total']:g} "
                     f"({sc['sign_in']['writes']:g} writes), discovery {sc['discovery']['total']:g}, "
                     f"JWKS {sc['jwks']['total']:g}, userinfo {sc['userinfo']['total']:g}.")
    if "logging" in res:
        lg = res["logging"]
        extra.append(f"Request logging on: {lg['on']['rate']:,.0f} sign-ins/s at 8 clients vs {lg['off_rate']:,.0f}/s off.")
    if "stored_state" in res:
        parts = []
        for k, v in res["stored_state"].items():
            if isinstance(v, dict):
                parts.append(f"{k.split('_')[0]} {v['entries_per_ns']:,}: {v['c1']['p50_ms']:.1f} ms/flow, {v['c8']['rate']:,.0f}/s at 8")
        extra.append("Stored state (codes + SSO sessions per namespace): " + "; ".join(parts) + ".")
    lines += [f"- {x}" for x in extra]
    if res.get("targets"):
        lines += ["", "| target | measured | met |", "|---|---|---|"]
        lines += [f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |" for t in res["targets"]]
    return "\n".join(lines) + "\n"


def update_readme(md: str) -> None:
    readme = BENCH / "README.md"
    text = readme.read_text()
    new = re.sub(r"(<!-- results:start -->\n).*?(<!-- results:end -->)", lambda m: m.group(1) + md + m.group(2),
                 text, flags=re.S)
    readme.write_text(new)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="the default: a few minutes")
    g.add_argument("--full", action="store_true", help="longer runs, 100k sign-ins for RSS, 1M stored entries")
    ap.add_argument("--only", default="driver,signing,mock,peers,floor,cold,memory,store,logging,fixture,calls",
                    help="comma-separated sections to run (default: all)")
    ap.add_argument("--no-peers", action="store_true", help="skip the peers (same as leaving 'peers' out of --only)")
    ap.add_argument("--rss-sign-ins", type=int, help="override the RSS test's total sign-ins")
    ap.add_argument("--out", type=Path, default=BENCH / "results")
    ap.add_argument("--tag", default="", help="results file name suffix: <date>-<tag>.json (e.g. a partial run)")
    ap.add_argument("--update-readme", action="store_true", help="put this run's table into bench/README.md")
    args = ap.parse_args()
    profile = "full" if args.full else "quick"
    prof = dict(PROFILES[profile])
    if args.rss_sign_ins:
        prof["rss_per_round"] = max(1, args.rss_sign_ins // prof["rss_rounds"])
    only = set(args.only.split(","))
    if args.no_peers:
        only.discard("peers")
    if ("peers" in only and not T.peers_installed()) or not T.wrk_available():
        log("peers or wrk are not installed: running bench/setup.sh")
        subprocess.run([str(BENCH / "setup.sh")], check=True)

    started = time.monotonic()
    now = dt.datetime.now(dt.UTC)
    res: dict = {"date": now.strftime("%Y-%m-%d %H:%M UTC"), "profile": profile, "settings": prof,
                 "machine": machine(), "versions": {"mock-bankid": T.mock_version()}}
    if "peers" in only:
        res["versions"] |= T.peer_versions()

    if "driver" in only:
        log("driver ceiling")
        with T.trivial_server() as port:
            tt = d.Target("trivial", port, "/", None)
            half = prof["seconds"] / 2
            res["driver"] = {"trivial": d.run(tt, d.get_ok("/"), 8, half, prof["warmup"]).summary(),
                             "trivial_32": d.run(tt, d.get_ok("/"), 32, half, prof["warmup"]).summary()}
        with T.mock_bankid() as (t, _):
            res["driver"]["mock_health"] = d.run(t, d.get_ok("/_mock/health"), 8, half, prof["warmup"]).summary()
        log(f"  trivial {res['driver']['trivial']['rate']:,.0f} req/s, /_mock/health {res['driver']['mock_health']['rate']:,.0f} req/s")

    if "signing" in only:
        log("signing ceiling")
        res["signing"] = signing_ceiling(3.0)
        log("  " + ", ".join(f"{k} {v:,.0f}/s" for k, v in res["signing"].items() if not k.endswith("samples")))

    if only & {"mock", "peers", "floor"}:
        with ExitStack() as stack:
            ts: list[d.Target] = []
            if "mock" in only:
                t, proc = stack.enter_context(T.mock_bankid())
                res["mock_workers"] = len(T.worker_pids(proc.pid))
                res["signatures_per_token_response"], res["signed"] = signatures_per_response(t)
                ts.append(t)
            if "peers" in only:
                res["peers"] = {}
                for name in PEERS:
                    try:
                        ts.append(stack.enter_context(T.peer(name)))
                    except Exception as exc:  # noqa: BLE001 - a peer that fails is reported, the run goes on
                        res["peers"][name] = {"error": repr(exc)[:500]}
                        log(f"  {name} failed to start: {exc!r}")
            if "floor" in only:
                for name, key in FLOOR_KEYS.items():
                    try:
                        ts.append(stack.enter_context(T.floor(bare=name == BARE)))
                    except Exception as exc:  # noqa: BLE001 - reported like a peer that fails; the run goes on
                        res[key] = {"error": repr(exc)[:500]}
                        log(f"  the {name} failed to start: {exc!r}")
            log("sign-ins: " + ", ".join(t.name for t in ts) + f", interleaved in {prof['rounds']} rounds")
            suites = sign_in_suite(ts, prof)
            for t in ts:
                if t.name in FLOOR_KEYS:  # measuring sticks for sign-ins, not providers: no endpoint rows
                    res[FLOOR_KEYS[t.name]] = suites[t.name]
                    continue
                n, signed = signatures_per_response(t)
                suites[t.name]["jws_per_token_response"] = {"count": n, "signed": signed}
                log(f"{t.name}: endpoints")
                try:
                    suites[t.name] |= endpoint_suite(t, prof, {"health": "/_mock/health"} if t.name == "mock-bankid" else None)
                except Exception as exc:  # noqa: BLE001
                    suites[t.name]["error"] = repr(exc)[:500]
                    log(f"  {t.name} failed: {exc!r}")
                if t.name == "mock-bankid":
                    res["mock-bankid"] = suites[t.name]
                else:
                    res["peers"][t.name] = suites[t.name]
            mock_t = next((t for t in ts if t.name == "mock-bankid"), None)
            if mock_t is not None and "signing" in only:
                # The token endpoint against the signing ceiling measured right around it, so the
                # machine's other load is (nearly) the same for both figures.
                log("mock-bankid token endpoint vs the RS256 ceiling, back to back")
                cores = os.cpu_count() or 1
                before = sign_rate("RS256", cores, 1.5)
                tok = token_alone(mock_t, prof["token_pool"])
                after = sign_rate("RS256", cores, 1.5)
                # Seconds of all-core signing one token response needs: each JWS at its own algorithm's
                # rate (RS256 measured around the token run; ES256 from the signing section).
                rates = {"RS256": statistics.mean([before, after]),
                         "ES256": res.get("signing", {}).get("ES256_all_cores") or sign_rate("ES256", cores, 1.5)}
                per_response = sum(1 / rates.get(entry.split(":")[1], rates["RS256"]) for entry in res["signed"])
                ceiling = 1 / per_response if per_response else rates["RS256"]
                res["token_vs_ceiling"] = {"rs256_all_cores_before": round(before, 1),
                                           "rs256_all_cores_after": round(after, 1), "token": tok}
                res["token_ceiling"] = round(ceiling, 1)
                res["token_rate_for_ceiling"] = tok["rate"]
                res["token_vs_ceiling_pct"] = pct_of(tok["rate"], ceiling)
                log(f"  token {tok['rate']:,.0f}/s vs ceiling {ceiling:,.0f}/s = {res['token_vs_ceiling_pct']}%")

    if "logging" in only and "mock-bankid" in res:
        log("mock-bankid with request logging on (then off again, back to back)")
        with tempfile.NamedTemporaryFile(prefix="bench-log-") as logf, \
                T.mock_bankid(log=Path(logf.name), MOCK_BANKID_LOG_REQUESTS="true") as (t, _):
            on = d.run(t, d.sign_in, 8, prof["seconds"] / 2, prof["warmup"])
        with T.mock_bankid() as (t, _):
            off = d.run(t, d.sign_in, 8, prof["seconds"] / 2, prof["warmup"])
        res["logging"] = {"on": on.summary(), "off": off.summary(), "off_rate": round(off.rate, 1)}

    if "calls" in only:
        log("store operations per request (counted)")
        res["store_calls"] = store_calls.measure()
        log(f"  sign-in: {res['store_calls']['sign_in']['total']:g} ({res['store_calls']['sign_in']['writes']:g} writes)")

    if "fixture" in only:
        log("pytest fixture: a generated downstream suite of 1 vs 41 tests")
        res["fixture"] = fixture_suite.measure(41, prof["cold_runs"])
        log(f"  first test {res['fixture']['first_test_setup_ms']:.0f} ms, later {res['fixture']['later_test_fixture_ms_median']:.2f} ms")

    if "cold" in only:
        log("cold start")
        res["cold_start"] = cold_start(prof["cold_runs"])
        log(f"  {res['cold_start']}")

    if "memory" in only:
        log(f"memory: {prof['rss_rounds'] * prof['rss_per_round']:,} sign-ins")
        res["memory"] = memory(prof)

    if "store" in only:
        log("stored state")
        res["stored_state"] = stored_state(prof)

    res["machine"]["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    res["targets"] = targets(res)
    res["total_seconds"] = round(time.monotonic() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = now.strftime("%Y-%m-%d") + (f"-{args.tag}" if args.tag else "")
    (args.out / f"{stem}.json").write_text(json.dumps(res, indent=2) + "\n")
    md = markdown(res)
    (args.out / f"{stem}.md").write_text(md)
    if args.update_readme:
        update_readme(md)
    print(md)
    log(f"done in {res['total_seconds']:.0f}s: {args.out / (stem + '.json')}")


if __name__ == "__main__":
    main()
