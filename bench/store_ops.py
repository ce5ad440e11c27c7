"""Rough take() throughput of each store backend (a sanity figure, not a test).

    python bench/store_ops.py [--n 20000] [--procs 1 2] [--redis redis://127.0.0.1:6379/0]

Each run fills a namespace with n codes (put), then times n take() calls, split over P forked
processes taking disjoint keys (as gunicorn workers redeem different codes). Without --redis a
throwaway redis-server is started if one is on PATH.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from mock_bankid.store import Store, open_store  # noqa: E402


def fill(store: Store, n: int) -> None:
    for i in range(n):
        store.put("codes", f"code-{i}", {"client_id": "bench", "i": i, "nonce": "x" * 32}, 600)


def take_rate(store: Store, n: int, procs: int) -> float:
    ctx = multiprocessing.get_context("fork")
    go = ctx.Event()

    def worker(part: int) -> None:
        go.wait()
        for i in range(part, n, procs):
            assert store.take("codes", f"code-{i}") is not None

    workers = [ctx.Process(target=worker, args=(p,)) for p in range(procs)]
    for w in workers:
        w.start()
    time.sleep(0.2)
    start = time.perf_counter()
    go.set()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    assert all(w.exitcode == 0 for w in workers)
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--procs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--redis", default="")
    args = parser.parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        urls = ["memory", "sqlite"]
        redis = args.redis
        if not redis:
            from redis_server import redis_server_available, start_redis

            if redis_server_available():
                redis = stack.enter_context(start_redis())
        if redis:  # a prefix of its own: never touch a running mock's keys
            urls.append(redis + ("&" if "?" in redis else "?") + "prefix=mock-bankid-bench")
        for url in urls:
            for procs in args.procs:
                if url == "memory" and procs > 1:
                    continue  # one process only
                store = open_store(url, tmp / f"data-{procs}")
                store.clear("codes")
                fill(store, args.n)
                rate = take_rate(store, args.n, procs)
                store.close()
                print(f"{url.split('://')[0]:7} take  {procs} process(es): {rate:9,.0f} ops/s")


if __name__ == "__main__":
    main()
