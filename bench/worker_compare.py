"""``serve``'s worker (``DeadlineThreadWorker``) against gunicorn's gevent worker, side by side.

Both servers run at once (2 workers each, SQLite, default settings), the gevent one through
``bench/worker_shim`` (gunicorn's ``GeventWorker`` with gunicorn's rejections as JSON). Measured on
what ``worker.py`` exists for, interleaved run by run:

- discovery and JWKS with wrk (8 connections): rate and server CPU per request;
- sign-ins at 8 connections with wrk (rate, server CPU per sign-in) and with the Python driver;
- one client signing in while N stalled connections are held open (a third each: half a head,
  half a body, nothing);
- one client signing in while 16 discovery requests sleep in the ``slow`` scenario;
- when each kind of stalled connection is closed by the server (up to 15 s);
- `serve`'s start until the first 200 on discovery;
- one sign-in while more half-sent bodies are held than the server has connections for
  (``worker_connections`` x workers).

Loopback only, every loop bounded. Nothing asserts: it prints and writes
``bench/results/<date>-worker.json`` and ``.md``.

    python bench/worker_compare.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import driver as d
import targets as T

BENCH = Path(__file__).resolve().parent
KINDS = ("worker.py", "gevent")
TOKEN = "/auth/realms/current/protocol/openid-connect/token"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def env_for(kind: str) -> dict[str, str]:
    if kind == "gevent":
        return {"PYTHONPATH": f"{BENCH / 'worker_shim'}:{T.ROOT}", "MOCK_BANKID_BENCH_WORKER": "gevent",
                "MOCK_BANKID_WORKERS": "2"}
    return {"MOCK_BANKID_WORKERS": "2"}


# --- stalled connections ------------------------------------------------------------------------
def stall(port: int, kind: str) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    if kind == "head":
        s.sendall(b"POST " + TOKEN.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n")
    elif kind == "body":
        s.sendall(b"POST " + TOKEN.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=")
    return s


def stalled_many(port: int, n: int, kinds: tuple[str, ...] = ("head", "body", "silent")) -> list[socket.socket]:
    return [stall(port, kinds[i % len(kinds)]) for i in range(n)]


def sign_ins(t: d.Target, count: int) -> dict:
    r = d.run(t, d.sign_in, 1, count=count, procs=1)
    return {"ops": r.ops, "failures": r.failures, "p50_ms": round(r.pct(50), 1), "max_ms": round(r.pct(100), 1),
            **({"first_error": r.first_error} if r.first_error else {})}


def while_stalled(t: d.Target, n: int) -> dict:
    socks = stalled_many(t.port, n)
    try:
        time.sleep(0.5)  # let the workers accept them
        return sign_ins(t, 40)
    finally:
        for s in socks:
            s.close()


def close_time(port: int, kind: str, cap: float = 15.0) -> float | None:
    """Seconds until the server closes a stalled connection of this kind; None if not within ``cap``."""
    s = stall(port, kind)
    s.settimeout(cap)
    start = time.monotonic()
    try:
        while s.recv(65536):
            pass
        return round(time.monotonic() - start, 1)
    except TimeoutError:
        return None
    except OSError:
        return round(time.monotonic() - start, 1)
    finally:
        s.close()


def beyond_capacity(t: d.Target, n: int, cap: float = 25.0) -> dict:
    """One sign-in (the client waits up to ``cap`` s) while ``n`` half-sent bodies are held."""
    socks = stalled_many(t.port, n, ("body",))
    try:
        time.sleep(1.0)
        start = time.monotonic()
        c = d.Client("127.0.0.1", t.port, timeout=cap)
        try:
            d.sign_in(t, c)
            return {"stalled": n, "sign_in_s": round(time.monotonic() - start, 1)}
        except Exception as exc:  # noqa: BLE001 - what failed is the result
            return {"stalled": n, "sign_in_s": None, "error": repr(exc)[:200],
                    "after_s": round(time.monotonic() - start, 1)}
        finally:
            c.close()
    finally:
        for s in socks:
            s.close()


# --- a sleeping scenario ------------------------------------------------------------------------
def _control(t: d.Target, method: str, body: dict | None = None) -> None:
    req = urllib.request.Request(f"http://127.0.0.1:{t.port}/_mock/scenario", method=method,
                                 data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).close()


def while_sleeping(t: d.Target, sleepers: int = 16, seconds: float = 2.0) -> dict:
    """Sign-ins at one client while ``sleepers`` discovery requests sleep ``seconds`` in ``slow``."""
    _control(t, "PUT", {"scenario": "slow", "seconds": seconds, "endpoints": ["discovery"]})
    done: list[float] = []

    def sleeper() -> None:
        start = time.monotonic()
        c = d.Client("127.0.0.1", t.port, timeout=30)
        try:
            c.request("GET", t.discovery_path)
            done.append(time.monotonic() - start)
        finally:
            c.close()

    threads = [threading.Thread(target=sleeper) for _ in range(sleepers)]
    try:
        for th in threads:
            th.start()
        time.sleep(0.3)
        out = sign_ins(t, 10)
        for th in threads:
            th.join(30)
        out["sleepers_done_max_s"] = round(max(done), 1) if done else None
        return out
    finally:
        _control(t, "DELETE")


# --- start-up -----------------------------------------------------------------------------------
def start_seconds(kind: str) -> float:
    """From ``mock-bankid serve`` to the first 200 on discovery, keys already made."""
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        with T.mock_bankid(Path(tmp), **env_for(kind)):
            pass  # makes the keys
        port = T.free_port()
        start = time.monotonic()
        proc = T.popen(T.mock_cmd(port), T.mock_env(port, Path(tmp), **env_for(kind)))
        try:
            return round(T.wait_200(port, T.MOCK_DISCOVERY, 60, proc) - start, 2)
        finally:
            T.stop(proc)


# --- throughput ---------------------------------------------------------------------------------
def throughput(t: d.Target, seconds: float) -> dict:
    out: dict = {}
    for name, path in (("discovery", t.discovery_path), ("jwks", d.split_url(t.meta["jwks_uri"])[2])):
        r = T.wrk(t.port, path, 8, seconds, pid=t.pid)
        out[name] = {k: r.get(k) for k in ("rate", "server_cpu_us_per_request", "p99_ms", "failures")}
    r = T.wrk_sign_in(t, 8, seconds)
    out["sign_in_wrk"] = {k: r.get(k) for k in ("rate", "server_cpu_ms_per_sign_in", "failures", "lost")}
    c0 = T.tree_cpu_seconds(t.pid)
    r = d.run(t, d.sign_in, 8, seconds, 0.5)
    cpu = (T.tree_cpu_seconds(t.pid) - c0) / (r.rate * (r.seconds + 0.5)) if r.rate else float("nan")
    out["sign_in_driver"] = {"rate": round(r.rate, 1), "p50_ms": round(r.pct(50), 1), "p99_ms": round(r.pct(99), 1),
                             "failures": r.failures, "server_cpu_ms_per_sign_in": round(cpu * 1000, 2)}
    return out


def span(values: list) -> str:
    xs = [v for v in values if v is not None]
    if not xs:
        return "-"
    lo, hi = min(xs), max(xs)
    fmt = (lambda v: f"{v:,.0f}") if hi >= 100 else (lambda v: f"{v:g}")
    return fmt(lo) if lo == hi else f"{fmt(lo)}-{fmt(hi)}"


def markdown(res: dict) -> str:
    runs = res["runs"]
    rows = [
        ("discovery, wrk 8 conns: req/s", ("discovery", "rate")),
        ("discovery: server CPU us/request", ("discovery", "server_cpu_us_per_request")),
        ("JWKS, wrk 8 conns: req/s", ("jwks", "rate")),
        ("JWKS: server CPU us/request", ("jwks", "server_cpu_us_per_request")),
        ("sign-ins, wrk 8 conns: /s", ("sign_in_wrk", "rate")),
        ("sign-ins (wrk): server CPU ms/sign-in", ("sign_in_wrk", "server_cpu_ms_per_sign_in")),
        ("sign-ins, driver 8 clients: /s", ("sign_in_driver", "rate")),
        ("sign-ins (driver): server CPU ms/sign-in", ("sign_in_driver", "server_cpu_ms_per_sign_in")),
        ("sign-ins (driver): p99 ms", ("sign_in_driver", "p99_ms")),
        (f"1 client signing in, {res['stalled']} stalled conns held: p50 ms", ("stalled", "p50_ms")),
        (f"1 client signing in, {res['stalled']} stalled conns held: max ms", ("stalled", "max_ms")),
        ("1 client signing in, 16 requests asleep in `slow` (2 s): max ms", ("sleeping", "max_ms")),
        ("the 16 sleeping requests: last answered after s", ("sleeping", "sleepers_done_max_s")),
    ]
    lines = [f"Runs: {len(runs)}, {res['seconds']} s each measurement; load average {res['load_start']} "
             f"at the start, {res['load_end']} at the end (the machine was shared). Ranges over the runs.", "",
             f"| | {' | '.join(KINDS)} |", "|---|" + "---|" * len(KINDS)]
    for label, (section, key) in rows:
        cells = [span([r[k][section].get(key) for r in runs]) for k in KINDS]
        lines.append(f"| {label} | {' | '.join(cells)} |")
    failures = {k: sum(r[k][s].get("failures", 0) or 0 for r in runs for s in ("stalled", "sleeping", "sign_in_driver"))
                for k in KINDS}
    lines.append(f"| failed sign-ins in the rows above | {' | '.join(str(failures[k]) for k in KINDS)} |")
    for kind in ("head", "body", "silent"):
        cells = [str(res["close"][k][kind]) if res["close"][k][kind] is not None else "not within 15 s" for k in KINDS]
        lines.append(f"| a stalled connection ({kind}) closed by the server after s | {' | '.join(cells)} |")
    cells = []
    for k in KINDS:
        b = res["beyond"][k]
        cells.append(f"{b['sign_in_s']} s" if b["sign_in_s"] is not None
                     else f"failed after {b['after_s']} s ({b['error'][:60]})")
    lines.append(f"| one sign-in while {res['beyond'][KINDS[0]]['stalled']} half-sent bodies are held | "
                 f"{' | '.join(cells)} |")
    lines.append(f"| `serve` started (keys made) until the first 200 on discovery, s | "
                 f"{' | '.join(span(res['start_s'][k]) for k in KINDS)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--stalled", type=int, default=256, help="stalled connections held while signing in")
    ap.add_argument("--beyond", type=int, default=2100,
                    help="half-sent bodies for the last check (more than 2 workers x 1000 connections)")
    ap.add_argument("--tag", default="worker")
    args = ap.parse_args()
    res: dict = {"date": date.today().isoformat(), "seconds": args.seconds, "stalled": args.stalled,
                 "load_start": round(os.getloadavg()[0], 1), "runs": []}
    with ExitStack() as stack:
        ts = {k: stack.enter_context(T.mock_bankid(**env_for(k)))[0] for k in KINDS}
        for i in range(args.runs):
            order = KINDS if i % 2 == 0 else KINDS[::-1]
            run: dict = {k: {} for k in KINDS}
            for k in order:
                run[k].update(throughput(ts[k], args.seconds))
            for k in order:
                run[k]["stalled"] = while_stalled(ts[k], args.stalled)
            for k in order:
                run[k]["sleeping"] = while_sleeping(ts[k])
            for k in KINDS:
                log(f"run {i + 1} {k}: {json.dumps(run[k])}")
            res["runs"].append(run)
        closes: dict = {k: {} for k in KINDS}
        threads = [threading.Thread(target=lambda k=k, kind=kind: closes[k].__setitem__(kind, close_time(ts[k].port, kind)))
                   for k in KINDS for kind in ("head", "body", "silent")]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        res["close"] = closes
        log(f"closed after: {closes}")
        res["beyond"] = {k: beyond_capacity(ts[k], args.beyond) for k in KINDS}
        log(f"beyond capacity: {res['beyond']}")
    res["start_s"] = {k: [] for k in KINDS}
    for i in range(args.runs):
        for k in (KINDS if i % 2 == 0 else KINDS[::-1]):
            res["start_s"][k].append(start_seconds(k))
    log(f"start: {res['start_s']}")
    res["load_end"] = round(os.getloadavg()[0], 1)
    out = BENCH / "results" / f"{res['date']}-{args.tag}"
    out.with_suffix(".json").write_text(json.dumps(res, indent=1) + "\n")
    md = markdown(res)
    out.with_suffix(".md").write_text(f"# `serve`'s worker against gunicorn's gevent worker ({res['date']})\n\n"
                                      "`python bench/worker_compare.py` (bench/README.md, *The serving worker*).\n\n" + md)
    print(md)


if __name__ == "__main__":
    main()
