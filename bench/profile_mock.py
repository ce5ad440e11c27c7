"""Profile mock-bankid's workers under the benchmark's sign-in load (py-spy, every worker).

    pip install py-spy
    python bench/profile_mock.py [--seconds 10] [--clients 8] [--store redis] [--op sign_in|token|discovery|jwks]

``discovery`` and ``jwks`` are loaded with ``wrk`` (bench/setup.sh installs it), so the samples
are the server's, not a Python driver's competing for the same cores.

Prints where the workers' time goes (inclusive share of samples per function, the mock's own
functions and the libraries they call) and leaves py-spy's raw stacks in bench/results/profile.txt
(feed them to flamegraph.pl or speedscope).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

import driver as d  # noqa: E402
import targets as T  # noqa: E402

INTERESTING = re.compile(r"mock_bankid|joserfc|sqlite|redis|json|flask/app|werkzeug|gunicorn/http|"
                         r"gthread.py|cryptography|logging|secrets|uuid|copy|dataclasses")


def summarize(raw: Path, top: int) -> str:
    incl: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        m = re.match(r"^(.*) (\d+)$", line)
        if not m:
            continue
        n = int(m.group(2))
        frames = [f.strip() for f in m.group(1).split(");") if f.strip()]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    out = [f"{total} samples (active threads of every worker)", "", "inclusive:"]
    out += [f"{n / total:6.1%}  {f[:140]}" for f, n in incl.most_common(400) if INTERESTING.search(f)][:top]
    out += ["", "self:"]
    out += [f"{n / total:6.1%}  {f[:140]}" for f, n in own.most_common(top)]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--store", choices=["sqlite", "redis"], default="sqlite")
    ap.add_argument("--op", choices=["sign_in", "token", "discovery", "jwks"], default="sign_in")
    ap.add_argument("--top", type=int, default=45)
    args = ap.parse_args()
    # py-spy from PATH, or beside this interpreter (a virtualenv's bin/ that is not on PATH)
    py_spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if not py_spy:
        sys.exit("py-spy is not installed: pip install py-spy")
    raw = BENCH / "results" / "profile.txt"
    raw.parent.mkdir(exist_ok=True)
    with ExitStack() as stack:
        env = {}
        if args.store == "redis":
            env["MOCK_BANKID_STORE"] = stack.enter_context(T.redis_server())
        t, proc = stack.enter_context(T.mock_bankid(**env))
        op = d.sign_in
        if args.op == "token":
            c = d.Client("127.0.0.1", t.port)
            pool = [d.get_code(t, c)[:2] for _ in range(int(args.seconds * 400))]

            def op(t: d.Target, c: d.Client) -> None:
                if pool:
                    code, verifier = pool.pop()
                    d.redeem(t, c, code, verifier)
        spy = subprocess.Popen([py_spy, "record", "--subprocesses", "--nonblocking", "-r", "250", "-f", "raw",
                                "-d", str(int(args.seconds)), "-o", str(raw), "-p", str(proc.pid)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if args.op in ("discovery", "jwks"):
            path = T.MOCK_DISCOVERY if args.op == "discovery" else d.split_url(t.meta["jwks_uri"])[2]
            w = T.wrk(t.port, path, args.clients, args.seconds - 1)
            rate, p99 = w["rate"], w["p99_ms"]
        else:
            r = d.run(t, op, args.clients, args.seconds - 1, 0.5, procs=1 if args.op == "token" else None)
            rate, p99 = r.rate, r.pct(99)
        spy.wait()
    print(f"{args.op} at {args.clients} clients, {args.store}: {rate:,.0f}/s, p99 {p99:.1f} ms\n")
    print(summarize(raw, args.top))


if __name__ == "__main__":
    main()
