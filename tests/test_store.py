"""The shared short-lived state store: semantics, expiry on the mock clock, cleanup, races."""

from __future__ import annotations

import multiprocessing
import os
import random
import sqlite3
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from pathlib import Path

import pytest
from conftest import FakeClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_bankid.store import (
    REDIS_TTL_MARGIN,
    SQLITE_FILENAME,
    MemoryStore,
    RedisStore,
    SqliteStore,
    Store,
    StoreError,
    open_store,
)
from mock_bankid.store import sqlite as store_sqlite

T0 = 1_700_000_000.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def _make_store(kind: str, request, tmp_path: Path, clock) -> Store:
    if kind == "memory":
        return open_store("memory", tmp_path, clock)
    if kind == "sqlite":
        return open_store("sqlite", tmp_path / "data", clock)
    if kind == "sqlite-noreturning":
        return SqliteStore(tmp_path / "noreturning.sqlite3", clock, use_returning=False)
    if kind == "redis":
        url = request.getfixturevalue("redis_url")
        return open_store(f"{url}?prefix=t-{uuid.uuid4().hex[:12]}", tmp_path, clock)
    raise AssertionError(kind)


REDIS = pytest.param("redis", marks=pytest.mark.redis)
ALL = ["memory", "sqlite", "sqlite-noreturning", REDIS]
SHARED = ["sqlite", "sqlite-noreturning", REDIS]  # usable from several processes


@pytest.fixture(params=ALL)
def store(request, tmp_path, clock):
    s = _make_store(request.param, request, tmp_path, clock)
    yield s
    s.close()


@pytest.fixture(params=SHARED)
def shared_store(request, tmp_path, clock):
    s = _make_store(request.param, request, tmp_path, clock)
    yield s
    s.close()


def _sqlite_rows(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM entries").fetchone()[0]


def _raw_count(s: Store) -> int:
    """Entries the backend really holds, expired or not (queue items counted one by one)."""
    if isinstance(s, SqliteStore):
        return _sqlite_rows(s.path)
    if isinstance(s, MemoryStore):
        return sum(map(len, s._kv.values())) + sum(map(len, s._queues.values()))
    if isinstance(s, RedisStore):
        n = 0
        for k in s._r.scan_iter(match=f"{s.prefix}:*"):
            t = s._r.type(k)
            n += s._r.llen(k) if t == b"list" else (0 if k.endswith(b":#seq") else 1)
        return n
    raise AssertionError(s)


# --- put / get / delete -----------------------------------------------------------------------


def test_put_get_round_trips_json(store):
    value = {"a": 1, "b": [1, 2.5, None, True], "c": {"d": "æøå|€"}, "e": "x|y|z", "big": 2**60}
    store.put("codes", "k1", value, 60)
    assert store.get("codes", "k1") == value
    assert store.get("codes", "missing") is None
    assert store.get("sessions", "k1") is None  # namespaces are separate


def test_get_returns_a_copy(store):
    store.put("codes", "k", {"a": [1]}, 60)
    got = store.get("codes", "k")
    got["a"].append(2)
    assert store.get("codes", "k") == {"a": [1]}


def test_put_replaces(store):
    store.put("codes", "k", {"v": 1}, 60)
    store.put("codes", "k", {"v": 2}, 60)
    assert store.get("codes", "k") == {"v": 2}
    assert store.items("codes") == [("k", {"v": 2})]


def test_delete(store):
    store.put("codes", "k", {"v": 1}, 60)
    store.delete("codes", "k")
    store.delete("codes", "k")  # absent: no error
    assert store.get("codes", "k") is None


def test_expiry_follows_the_injected_clock(store, clock):
    store.put("codes", "k", {"v": 1}, 60)
    clock.advance(59.9)
    assert store.get("codes", "k") == {"v": 1}
    clock.advance(0.1)  # expires_at == clock(): expired
    assert store.get("codes", "k") is None
    assert store.take("codes", "k") is None
    assert store.items("codes") == []


def test_zero_or_negative_ttl_is_already_expired(store):
    store.put("codes", "k", {"v": 1}, 0)
    store.put("codes", "n", {"v": 1}, -5)
    assert store.get("codes", "k") is None and store.get("codes", "n") is None
    assert store.add("codes", "k", {"v": 2}, 10) is True


# --- take -------------------------------------------------------------------------------------


def test_take_reads_and_deletes(store):
    store.put("codes", "c", {"code": "c"}, 60)
    assert store.take("codes", "c") == {"code": "c"}
    assert store.take("codes", "c") is None
    assert store.get("codes", "c") is None
    assert store.take("codes", "never") is None


def test_take_of_an_expired_entry_returns_none_and_removes_it(store, clock):
    store.put("codes", "c", {"code": "c"}, 10)
    clock.advance(11)
    assert store.take("codes", "c") is None
    clock.now = T0  # even moving the clock back does not bring it back
    assert store.get("codes", "c") is None


def test_take_races_between_threads(store):
    for i in range(50):
        store.put("codes", f"k{i}", {"k": i}, 60)
    got: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def run():
        start.wait()
        keys = list(range(50))
        random.shuffle(keys)
        for i in keys:
            v = store.take("codes", f"k{i}")
            if v is not None:
                with lock:
                    got.append(v["k"])

    threads = [threading.Thread(target=run) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(50))


# --- add (replay guards) ----------------------------------------------------------------------


def test_add_inserts_only_when_absent(store):
    assert store.add("replay", "jti-1", {"seen": 1}, 60) is True
    assert store.add("replay", "jti-1", {"seen": 2}, 60) is False
    assert store.get("replay", "jti-1") == {"seen": 1}


def test_add_as_a_replay_guard_until_expiry(store, clock):
    assert store.add("replay", "jti", {}, 120) is True
    clock.advance(119)
    assert store.add("replay", "jti", {}, 120) is False  # replayed within the window
    clock.advance(1)
    assert store.add("replay", "jti", {"again": True}, 120) is True  # expired: replaceable
    assert store.get("replay", "jti") == {"again": True}
    clock.advance(60)
    assert store.add("replay", "jti", {}, 120) is False  # the new ttl counts from the re-add


def test_add_after_delete_or_take(store):
    store.add("replay", "k", {}, 60)
    store.delete("replay", "k")
    assert store.add("replay", "k", {"v": 1}, 60) is True
    assert store.take("replay", "k") == {"v": 1}
    assert store.add("replay", "k", {"v": 2}, 60) is True


def test_add_races_between_threads(store):
    wins: list[bool] = []
    start = threading.Barrier(12)

    def run():
        start.wait()
        wins.append(store.add("replay", "nonce", {"t": threading.get_ident()}, 60))

    threads = [threading.Thread(target=run) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 1


# --- queues -----------------------------------------------------------------------------------


def test_trim_keeps_the_newest_queue_items(store):
    for i in range(10):
        store.push("log", {"i": i}, 60)
    store.put("log", "k", {"v": 1}, 60)
    store.trim("log", 3)
    assert [v for k, v in store.items("log") if k != "k"] == [{"i": 7}, {"i": 8}, {"i": 9}]
    assert store.get("log", "k") == {"v": 1}  # keys are not queue items
    store.trim("log", 50)
    assert len(store.items("log")) == 4
    store.trim("log", 0)
    assert store.pop("log") is None


def test_push_pop_fifo(store):
    for i in range(5):
        store.push("next-login", {"i": i}, 60)
    assert [store.pop("next-login")["i"] for _ in range(5)] == [0, 1, 2, 3, 4]
    assert store.pop("next-login") is None
    assert store.pop("never-used") is None


def test_queues_are_per_namespace(store):
    store.push("next-login", {"who": "a"}, 60)
    store.push("scenario", {"what": "b"}, 60)
    assert store.pop("scenario") == {"what": "b"}
    assert store.pop("scenario") is None
    assert store.pop("next-login") == {"who": "a"}


def test_pop_skips_expired_items(store, clock):
    store.push("next-login", {"i": 0}, 10)
    store.push("next-login", {"i": 1}, 100)
    store.push("next-login", {"i": 2}, 10)
    store.push("next-login", {"i": 3}, 100)
    clock.advance(10)
    assert store.pop("next-login") == {"i": 1}
    assert store.pop("next-login") == {"i": 3}
    assert store.pop("next-login") is None


def test_queue_and_keys_share_a_namespace_without_mixing(store):
    store.put("requests", "k", {"kv": True}, 60)
    store.push("requests", {"q": 1}, 60)
    assert store.pop("requests") == {"q": 1}
    assert store.pop("requests") is None
    assert store.get("requests", "k") == {"kv": True}


# --- incr (fixed-window rate limiting) ----------------------------------------------------------


def test_incr_counts_within_a_fixed_window(store, clock):
    assert [store.incr("ratelimit", "ip", 60) for _ in range(3)] == [1, 2, 3]
    assert store.get("ratelimit", "ip") == {"count": 3}
    clock.advance(59)
    assert store.incr("ratelimit", "ip", 60) == 4  # increments do not extend the window
    clock.advance(1)
    assert store.incr("ratelimit", "ip", 60) == 1  # window over: starts again
    clock.advance(30)
    assert store.incr("ratelimit", "ip", 60) == 2
    assert store.incr("ratelimit", "other", 60) == 1


def test_incr_races_between_threads(store):
    start = threading.Barrier(8)
    results: list[int] = []

    def run():
        start.wait()
        for _ in range(25):
            results.append(store.incr("ratelimit", "k", 60))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(1, 201))


# --- items / clear ----------------------------------------------------------------------------


def test_items_in_insertion_order_without_expired(store, clock):
    store.put("scenario", "b", {"v": "b"}, 10)
    store.put("scenario", "a", {"v": "a"}, 100)
    store.put("scenario", "c", {"v": "c"}, 100)
    store.put("other", "x", {"v": "x"}, 100)
    assert store.items("scenario") == [("b", {"v": "b"}), ("a", {"v": "a"}), ("c", {"v": "c"})]
    clock.advance(10)
    assert store.items("scenario") == [("a", {"v": "a"}), ("c", {"v": "c"})]
    store.put("scenario", "a", {"v": "a2"}, 100)  # writing again is a new insertion
    assert [k for k, _ in store.items("scenario")] == ["c", "a"]
    assert store.items("empty") == []


def test_items_of_a_log_queue_keep_order(store):
    for i in range(30):
        store.push("requests", {"n": i}, 60)
    listed = store.items("requests")
    assert [v["n"] for _k, v in listed] == list(range(30))
    assert len({k for k, _v in listed}) == 30  # each item has its own key
    assert store.pop("requests") == {"n": 0}  # items() does not consume
    assert [v["n"] for _k, v in store.items("requests")] == list(range(1, 30))


def test_clear_one_namespace(store):
    for i in range(5):
        store.put("sessions", f"s{i}", {"i": i}, 60)
        store.push("sessions", {"q": i}, 60)
    store.put("codes", "keep", {"v": 1}, 60)
    store.clear("sessions")
    assert store.items("sessions") == []
    assert store.pop("sessions") is None
    assert store.get("codes", "keep") == {"v": 1}


# --- cleanup: no unbounded growth -----------------------------------------------------------------


def test_purge_expired_removes_entries(store, clock):
    for i in range(40):
        store.put("codes", f"c{i}", {"i": i}, 10)
        store.push("requests", {"i": i}, 10)
    store.put("sessions", "live", {"v": 1}, 1000)
    before = _raw_count(store)
    assert before >= 41
    clock.advance(10)
    removed = store.purge_expired()
    assert removed >= 40  # redis may already have trimmed expired queue items on push
    assert _raw_count(store) == 1
    assert store.items("sessions") == [("live", {"v": 1})]
    assert store.purge_expired() == 0


def test_sqlite_purge_expired_deletes_rows(tmp_path, clock):
    s = SqliteStore(tmp_path / "s.sqlite3", clock)
    for i in range(100):
        s.put("codes", f"c{i}", {"i": i}, 5)
    s.put("sessions", "live", {}, 50)
    assert _sqlite_rows(s.path) == 101
    clock.advance(5)
    assert s.purge_expired() == 100
    assert _sqlite_rows(s.path) == 1
    s.close()


def test_sqlite_purges_on_its_own(tmp_path, clock):
    s = SqliteStore(tmp_path / "s.sqlite3", clock, purge_every_writes=20, purge_every_seconds=3600)
    for round_ in range(10):  # 10 windows' worth of codes that nobody redeems
        for i in range(20):
            s.put("codes", f"r{round_}-{i}", {}, 5)
        clock.advance(6)
    assert _sqlite_rows(s.path) <= 20
    s.close()


def test_memory_purges_on_its_own(clock):
    s = MemoryStore(clock, purge_every_writes=20, purge_every_seconds=3600)
    for round_ in range(10):
        for i in range(20):
            s.put("codes", f"r{round_}-{i}", {}, 5)
            s.push("requests", {"i": i}, 5)
        clock.advance(6)
    assert _raw_count(s) <= 40
    s.close()


@pytest.mark.redis
def test_redis_sets_real_ttls_and_trims_queues(redis_url, clock):
    s = open_store(f"{redis_url}?prefix=ttl-{uuid.uuid4().hex[:8]}", Path("/nonexistent"), clock)
    try:
        s.put("codes", "c", {}, 60)
        added = time.monotonic()
        s.add("replay", "r", {}, 0.01)
        s.incr("ratelimit", "i", 30)
        s.push("requests", {}, 120)
        pttl = lambda k: s._r.pttl(k)  # noqa: E731
        assert 60_000 < pttl(s._key("codes", "c")) <= (60 + REDIS_TTL_MARGIN) * 1000
        replay_ttl = pttl(s._key("replay", "r"))
        # Redis counts down in real time: a loaded machine may take tens of ms to get here (969 seen)
        since_ms = (time.monotonic() - added) * 1000
        assert 1010 - since_ms - 2 <= replay_ttl <= 1010 + REDIS_TTL_MARGIN * 1000
        assert 29_000 < pttl(s._key("ratelimit", "i")) <= (30 + REDIS_TTL_MARGIN) * 1000
        s.incr("ratelimit", "i", 30)
        assert pttl(s._key("ratelimit", "i")) > 29_000  # increments keep the window's TTL
        assert 119_000 < pttl(s._queue("requests")) <= (120 + REDIS_TTL_MARGIN) * 1000
        # a log nobody pops: pushing trims expired items from the head
        for i in range(50):
            s.push("log", {"i": i}, 5)
            clock.advance(1)
        assert s._r.llen(s._queue("log")) <= 6
    finally:
        s.close()


# --- persistence, closing, ping ---------------------------------------------------------------


def test_sqlite_survives_close_and_reopen(tmp_path, clock):
    s = open_store("sqlite", tmp_path, clock)
    s.put("sessions", "sid", {"user": "x"}, 600)
    s.push("next-login", {"persona": "p"}, 600)
    s.incr("ratelimit", "ip", 600)
    s.close()
    again = open_store("sqlite", tmp_path, clock)
    assert again.get("sessions", "sid") == {"user": "x"}
    assert again.pop("next-login") == {"persona": "p"}
    assert again.incr("ratelimit", "ip", 600) == 2
    assert (tmp_path / SQLITE_FILENAME).is_file()
    with sqlite3.connect(tmp_path / SQLITE_FILENAME) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_closed_store_raises(store):
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError):
        store.get("codes", "k")
    with pytest.raises(StoreError):
        store.ping()


def test_ping_ok(store):
    store.ping()


def test_redis_ping_reports_an_unreachable_server(clock):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s = open_store(f"redis://127.0.0.1:{port}/0", Path("/nonexistent"), clock)
    with pytest.raises(StoreError, match=rf"Redis at redis://127.0.0.1:{port}/0 is not usable"):
        s.ping()
    with pytest.raises(StoreError):
        s.get("codes", "k")
    s.close()


def test_sqlite_ping_reports_an_unusable_file(tmp_path, clock):
    (tmp_path / "dir.sqlite3").mkdir()
    s = SqliteStore(tmp_path / "dir.sqlite3", clock)
    with pytest.raises(StoreError, match=r"dir\.sqlite3"):
        s.ping()


def test_sqlite_opens_again_after_an_io_error_while_opening(tmp_path, clock, monkeypatch):
    """Opening in WAL mode while another process's last connection closes can fail once with
    ``disk I/O error`` (seen in the process races below): the store opens a fresh connection,
    and a lasting I/O error is still reported as the store's error."""
    real = sqlite3.connect
    failures = {"left": 2}

    class Flaky(sqlite3.Connection):
        def execute(self, sql, *args):  # type: ignore[override]
            if sql.startswith("PRAGMA journal_mode") and failures["left"]:
                failures["left"] -= 1
                raise sqlite3.OperationalError("disk I/O error")
            return super().execute(sql, *args)

    monkeypatch.setattr(store_sqlite.sqlite3, "connect", lambda *a, **kw: real(*a, factory=Flaky, **kw))
    s = SqliteStore(tmp_path / "s.sqlite3", clock)
    s.put("codes", "k", {"v": 1}, 60)
    assert s.get("codes", "k") == {"v": 1} and failures["left"] == 0
    s.close()

    failures["left"] = 10**6
    s = SqliteStore(tmp_path / "t.sqlite3", clock, busy_timeout=0.05)
    with pytest.raises(StoreError, match="disk I/O error"):
        s.get("codes", "k")
    s.close()


# --- the clock may read the store ----------------------------------------------------------------


def test_a_clock_that_reads_the_store_does_not_deadlock(store):
    """The provider keeps the clock shift in the store, so clock() calls store.get()."""
    reading = threading.local()

    def clock() -> float:
        if getattr(reading, "active", False):
            return T0
        reading.active = True
        try:
            shift = store.get("clock", "shift")
        finally:
            reading.active = False
        return T0 + (shift["seconds"] if shift else 0)

    store.clock = clock
    store.put("codes", "c", {}, 60)
    store.push("next-login", {}, 60)
    assert store.incr("ratelimit", "r", 60) == 1
    store.put("clock", "shift", {"seconds": 120}, 10_000)
    assert store.get("codes", "c") is None  # the shift expired it
    assert store.pop("next-login") is None
    assert store.incr("ratelimit", "r", 60) == 1


# --- input checks -----------------------------------------------------------------------------


def test_bad_input(store):
    with pytest.raises(ValueError, match="namespace"):
        store.put("a:b", "k", {}, 1)
    with pytest.raises(ValueError, match="namespace"):
        store.get("", "k")
    with pytest.raises(TypeError, match="dict"):
        store.put("codes", "k", ["not", "a", "dict"], 1)
    with pytest.raises(TypeError, match="JSON"):
        store.put("codes", "k", {"x": object()}, 1)
    with pytest.raises(TypeError, match="JSON"):
        store.push("codes", {"x": float("nan")}, 1)
    with pytest.raises(ValueError, match="ttl"):
        store.put("codes", "k", {}, float("inf"))
    with pytest.raises(TypeError, match="key"):
        store.get("codes", 5)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.dictionaries(st.text(max_size=8), json_values, max_size=5), key=st.text(max_size=20))
def test_any_json_dict_round_trips(store, value, key):
    store.put("codes", key, value, 60)
    assert store.get("codes", key) == value
    store.push("requests", value, 60)
    assert store.pop("requests") == value
    assert store.take("codes", key) == value


# --- races between processes (gunicorn workers, hosts) ------------------------------------------

PROCESSES = 8
THREADS = 6


def _race(store: Store, work) -> list:
    """Run ``work(store) -> list`` in PROCESSES forked processes x THREADS threads, all started
    together; return everything they returned. The store was opened (and used) before the fork,
    as in a gunicorn master that preloads the app."""
    ctx = multiprocessing.get_context("fork")
    go = ctx.Event()
    results = ctx.Queue()

    def child() -> None:
        try:
            got: list = []
            lock = threading.Lock()

            failures: list[str] = []

            def run():
                go.wait(30)
                try:
                    mine = work(store)
                except BaseException:  # noqa: BLE001 - a thread's error must fail the test, not vanish
                    failures.append(traceback.format_exc())
                    return
                with lock:
                    got.extend(mine)

            threads = [threading.Thread(target=run) for _ in range(THREADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if failures:
                results.put(("error", os.getpid(), failures[0]))
                return
            results.put(("ok", os.getpid(), got))
        except BaseException:  # noqa: BLE001 - a forked child reports any failure to the parent, which fails
            results.put(("error", os.getpid(), traceback.format_exc()))

    procs = [ctx.Process(target=child) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    go.set()
    collected, errors = [], []
    for _ in procs:
        status, _pid, payload = results.get(timeout=60)
        (collected.extend if status == "ok" else errors.append)(payload)
    for p in procs:
        p.join(30)
    assert not errors, errors[0]
    assert all(p.exitcode == 0 for p in procs)
    return collected


@pytest.mark.forks
def test_take_race_across_processes(shared_store):
    keys = [f"code-{i}" for i in range(50)]
    for round_ in range(3):
        for k in keys:
            shared_store.put("codes", k, {"k": k, "round": round_}, 60)

        def work(s: Store) -> list:
            got = []
            for k in random.sample(keys, len(keys)):
                v = s.take("codes", k)
                if v is not None:
                    got.append(v["k"])
            return got

        got = _race(shared_store, work)
        counts = Counter(got)
        assert sorted(counts) == sorted(keys)  # none lost
        assert set(counts.values()) == {1}  # none taken twice
    # the parent's own connection still works after the forks
    shared_store.put("codes", "after", {}, 60)
    assert shared_store.take("codes", "after") == {}


@pytest.mark.forks
def test_pop_race_across_processes(shared_store):
    for i in range(200):
        shared_store.push("next-login", {"i": i}, 60)

    def work(s: Store) -> list:
        got = []
        while (v := s.pop("next-login")) is not None:
            got.append(v["i"])
        return got

    got = _race(shared_store, work)
    assert sorted(got) == list(range(200))  # none lost, none doubled
    assert shared_store.pop("next-login") is None


@pytest.mark.forks
def test_add_and_incr_race_across_processes(shared_store):
    def work(s: Store) -> list:
        won = [("add", k) for k in range(20) if s.add("replay", f"n{k}", {}, 60)]
        return won + [("incr", s.incr("ratelimit", "ip", 60)) for _ in range(5)]

    got = _race(shared_store, work)
    assert sorted(k for kind, k in got if kind == "add") == list(range(20))
    total = PROCESSES * THREADS * 5
    assert sorted(n for kind, n in got if kind == "incr") == list(range(1, total + 1))


# --- open_store -----------------------------------------------------------------------------------


def test_open_store_memory(tmp_path):
    s = open_store("memory", tmp_path / "unused")
    assert isinstance(s, MemoryStore)
    assert not (tmp_path / "unused").exists()


def test_open_store_sqlite_in_data_dir(tmp_path, clock):
    data = tmp_path / "a" / "data"
    s = open_store("sqlite", data, clock)
    assert isinstance(s, SqliteStore) and s.path == data / SQLITE_FILENAME
    assert data.is_dir()
    s.put("codes", "k", {}, 1)
    assert (data / SQLITE_FILENAME).is_file()
    assert s.clock is clock
    s.close()


def test_open_store_sqlite_absolute_path(tmp_path):
    path = tmp_path / "elsewhere" / "x.sqlite3"
    s = open_store(f"sqlite://{path}", tmp_path / "data")
    assert isinstance(s, SqliteStore) and s.path == path
    s.ping()
    assert path.is_file()
    s.close()


def test_open_store_redis_urls(tmp_path):
    s = open_store("redis://localhost:6399/3", tmp_path)
    assert isinstance(s, RedisStore) and s.prefix == "mock-bankid"
    kw = s._r.connection_pool.connection_kwargs
    assert (kw["host"], kw["port"], kw["db"]) == ("localhost", 6399, 3)
    s.close()
    s = open_store("rediss://:secret@cache.example:6380/0?prefix=ci-42", tmp_path)
    assert isinstance(s, RedisStore) and s.prefix == "ci-42"
    assert "secret" not in repr(s)
    s.close()


@pytest.mark.parametrize(
    "url, message",
    [
        ("", "unknown store"),
        ("postgres://x", "unknown store"),
        ("Memory", "unknown store"),
        ("sqlite:relative.db", "bad store"),
        ("sqlite://relative/x.db", "absolute"),
        ("sqlite:///", "absolute"),
        ("redis://host:port/0", "port"),
        ("redis://host:6379/zero", "database"),
        ("redis://host:6379/0?prefix=", "prefix"),
    ],
)
def test_open_store_rejects_bad_urls(tmp_path, url, message):
    with pytest.raises(ValueError, match=message):
        open_store(url, tmp_path)


def test_unknown_store_error_names_the_accepted_forms(tmp_path):
    with pytest.raises(ValueError) as info:
        open_store("mysql://db", tmp_path)
    for form in ("'memory'", "'sqlite'", "sqlite:///", "redis://host:port/db"):
        assert form in str(info.value)


def test_sqlite_version_and_returning_choice():
    assert (sqlite3.sqlite_version_info >= (3, 35, 0)) == store_sqlite._HAS_RETURNING


@pytest.mark.forks
def test_sqlite_connections_do_not_cross_a_fork(tmp_path, clock):
    s = SqliteStore(tmp_path / "f.sqlite3", clock)
    s.put("codes", "a", {"v": 1}, 60)
    parent_conn = s._local.conn
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()

    def child() -> None:
        inherited = s._local.conn
        results.put((inherited.db is None, s.take("codes", "a"), s._local.conn is not inherited))

    p = ctx.Process(target=child)
    p.start()
    assert results.get(timeout=30) == (True, {"v": 1}, True)
    p.join(30)
    assert parent_conn.db is None  # the idle parent connection was closed just before the fork
    assert s.get("codes", "a") is None  # the parent reopens on demand and sees the child's take
    s.close()


def test_sqlite_store_evicts_the_oldest_rows_beyond_its_bound(tmp_path):
    """Issue 12.9: disk was bounded only by TTLs. Beyond max_entries rows the purge drops the oldest
    rows; long-lived control state (the clock shift, written first) stays, and so do fresh codes."""
    store = SqliteStore(tmp_path / "s.sqlite3", max_entries=100, purge_every_writes=10, purge_every_seconds=3600)
    store.put("clock", "shift", {"seconds": 5}, 10 * 365 * 86400)
    for i in range(1000):
        store.put("sso", f"s{i}", {"i": i}, 1800)
        store.put("codes", f"c{i}", {"i": i}, 60)
    assert len(store.items("sso")) + len(store.items("codes")) <= 100
    assert store.get("clock", "shift") == {"seconds": 5}
    assert store.get("codes", "c999") == {"i": 999} and store.get("sso", "s999") == {"i": 999}
    assert store.get("sso", "s0") is None
    store.close()


def test_a_redis_store_without_the_redis_package_says_which_extra_to_install(monkeypatch, tmp_path):
    """Redis is an optional dependency: memory and SQLite work without it, a redis:// store names the extra."""
    monkeypatch.setitem(sys.modules, "redis", None)  # `import redis` now raises ImportError
    open_store("memory", tmp_path).ping()
    open_store("sqlite", tmp_path / "data").ping()
    with pytest.raises(StoreError, match=r"pip install 'mock-bankid\[redis\]'") as info:
        open_store("redis://:secret@127.0.0.1:1/0", tmp_path)
    assert "secret" not in str(info.value)
