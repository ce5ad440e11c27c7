"""Short-lived shared state: authorization codes, sessions, refresh tokens, queues, counters.

Three backends behind one small interface (see ``docs/store.md``):

* ``MemoryStore``: one process, thread-safe. For the in-process pytest fixture.
* ``SqliteStore``: the default. One file shared by every gunicorn worker (separate processes).
* ``RedisStore``: for several hosts (``redis://host:port/db``).

Values are JSON-able dicts and come back as equal dicts (they are stored as JSON text). Expiry is
judged against the injected ``clock`` -- the mock's movable clock -- so moving the mock into the
future expires codes. Independently, every backend cleans up after itself so nothing grows
without bound.

``clock`` may itself read the store (the provider keeps the clock shift in it), so the store
always asks the clock *before* it takes any lock of its own.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import sqlite3
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from mock_bankid.errors import StoreUnavailable
from mock_bankid.private_files import private_dir, private_file

__all__ = [
    "Store",
    "StoreError",
    "MemoryStore",
    "SqliteStore",
    "RedisStore",
    "open_store",
    "SQLITE_FILENAME",
]

SQLITE_FILENAME = "mock-bankid.sqlite3"
URL_HELP = (
    "use 'memory', 'sqlite' (a file in the data directory), 'sqlite:///absolute/path.sqlite3' "
    "or 'redis://host:port/db' (also rediss://, optionally ?prefix=name)"
)
_NS_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
_COUNTER_FIELD = "count"


class StoreError(StoreUnavailable, RuntimeError):
    """The store's backend failed or is not usable (unreachable Redis, locked or broken file).

    A ``StoreUnavailable`` (errors.py), so the app answers it as a 503 naming the store."""

    def __init__(self, description: str) -> None:
        StoreUnavailable.__init__(self, description)


# --------------------------------------------------------------------------------------------
# the interface


class Store(ABC):
    """Short-lived shared state, namespaced. Keys are ``str``, values JSON-able dicts, ttl seconds.

    An entry whose ``expires_at`` (``clock() + ttl`` when written) is ``<= clock()`` is expired:
    invisible to get/take/pop/items and replaceable by ``add``/``incr``.

    Queue items (``push``/``pop``) live in the same namespaces; ``items`` lists them with their
    sequence number (a decimal string) as key. ``items`` is ordered by insertion; writing a key
    again (put, or add/incr replacing an expired one) counts as a new insertion.
    """

    clock: Callable[[], float]

    @abstractmethod
    def put(self, ns: str, key: str, value: dict, ttl: float) -> None:
        """Set ``key`` to ``value`` for ``ttl`` seconds, replacing whatever was there."""

    @abstractmethod
    def get(self, ns: str, key: str) -> dict | None:
        """The unexpired value of ``key``, or None."""

    @abstractmethod
    def take(self, ns: str, key: str) -> dict | None:
        """Read and delete ``key`` atomically: of any number of racers exactly one gets it."""

    @abstractmethod
    def add(self, ns: str, key: str, value: dict, ttl: float) -> bool:
        """Insert only if ``key`` is absent or expired; True if this call inserted it."""

    @abstractmethod
    def delete(self, ns: str, key: str) -> None:
        """Remove ``key`` if present."""

    @abstractmethod
    def push(self, ns: str, value: dict, ttl: float) -> None:
        """Append ``value`` to the namespace's FIFO queue."""

    @abstractmethod
    def pop(self, ns: str) -> dict | None:
        """Remove and return the oldest unexpired queue item; each item is popped once."""

    @abstractmethod
    def trim(self, ns: str, keep: int) -> None:
        """Drop the oldest queue items so that at most ``keep`` remain (a bounded log), in one step."""

    @abstractmethod
    def incr(self, ns: str, key: str, ttl: float) -> int:
        """Add one to a counter and return it. The ttl starts when the counter is created
        (fixed window); after it expires the next incr starts again at 1. ``get`` on a counter
        returns ``{"count": n}``."""

    @abstractmethod
    def items(self, ns: str) -> list[tuple[str, dict]]:
        """Unexpired ``(key, value)`` pairs of a namespace, in insertion order."""

    @abstractmethod
    def clear(self, ns: str) -> None:
        """Remove everything in a namespace (keys and queue)."""

    @abstractmethod
    def purge_expired(self) -> int:
        """Remove expired entries now; return how many were removed."""

    @abstractmethod
    def ping(self) -> None:
        """Raise ``StoreError`` with a clear message if the backend is not usable."""

    @abstractmethod
    def close(self) -> None:
        """Release connections. Idempotent; using the store afterwards raises StoreError."""


# --------------------------------------------------------------------------------------------
# shared helpers


def _check_ns(ns: str) -> str:
    if not isinstance(ns, str) or not _NS_RE.match(ns):
        raise ValueError(
            f"store namespace must be 1-100 characters of letters, digits, '_', '.', '-': {ns!r}"
        )
    return ns


def _check_key(key: str) -> str:
    if not isinstance(key, str):
        raise TypeError(f"store key must be a str, not {type(key).__name__}")
    return key


def _check(ns: str, key: str) -> None:
    _check_ns(ns)
    _check_key(key)


def _encode(value: dict) -> str:
    if not isinstance(value, dict):
        raise TypeError(f"store value must be a dict, not {type(value).__name__}")
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"store value is not JSON-able: {exc}") from None


def _decode(text: str | bytes) -> dict:
    return json.loads(text)


def _ttl(ttl: float) -> float:
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not math.isfinite(ttl):
        raise ValueError(f"store ttl must be a finite number of seconds, not {ttl!r}")
    return float(ttl)


def _counter(n: int) -> str:
    return '{"%s":%d}' % (_COUNTER_FIELD, n)


def _count_of(text: str | bytes) -> int:
    try:
        return int(_decode(text).get(_COUNTER_FIELD, 0))
    except (ValueError, TypeError, AttributeError):
        return 0


class _Purger:
    """Decides when a backend should purge expired entries on its own: every N writes or every
    few seconds of real time (monotonic, so moving the mock's clock does not matter)."""

    def __init__(self, every_writes: int, every_seconds: float) -> None:
        self.every_writes = every_writes
        self.every_seconds = every_seconds
        self.writes = 0
        self.last = time.monotonic()

    def due(self) -> bool:
        self.writes += 1
        now = time.monotonic()
        if self.writes >= self.every_writes or now - self.last >= self.every_seconds:
            self.writes = 0
            self.last = now
            return True
        return False


# --------------------------------------------------------------------------------------------
# memory


class MemoryStore(Store):
    """One process, thread-safe (one lock). Purges expired entries on write, periodically."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        *,
        purge_every_writes: int = 1000,
        purge_every_seconds: float = 30.0,
    ) -> None:
        self.clock = clock
        self._lock = threading.RLock()
        # ns -> key -> (seq, expires_at, json); ns -> deque[(seq, expires_at, json)]
        self._kv: dict[str, dict[str, tuple[int, float, str]]] = {}
        self._queues: dict[str, deque[tuple[int, float, str]]] = {}
        self._seq = itertools.count(1)
        self._purger = _Purger(purge_every_writes, purge_every_seconds)
        self._closed = False

    def __repr__(self) -> str:
        return "MemoryStore()"

    def _open(self) -> None:
        if self._closed:
            raise StoreError("the memory store is closed")

    def _after_write(self, now: float) -> None:
        if self._purger.due():
            self._purge(now)

    def put(self, ns, key, value, ttl):
        _check(ns, key)
        text, ttl = _encode(value), _ttl(ttl)
        now = self.clock()
        with self._lock:
            self._open()
            self._insert(ns, key, text, now, ttl)

    def _insert(self, ns: str, key: str, text: str, now: float, ttl: float) -> None:
        """Write an entry as the newest of its namespace (a rewrite counts as a new insertion)."""
        entries = self._kv.setdefault(ns, {})
        entries.pop(key, None)
        entries[key] = (next(self._seq), now + ttl, text)
        self._after_write(now)

    def get(self, ns, key):
        _check(ns, key)
        now = self.clock()
        with self._lock:
            self._open()
            entry = self._kv.get(ns, {}).get(key)
        if entry is None or entry[1] <= now:
            return None
        return _decode(entry[2])

    def take(self, ns, key):
        _check(ns, key)
        now = self.clock()
        with self._lock:
            self._open()
            entry = self._kv.get(ns, {}).pop(key, None)
        if entry is None or entry[1] <= now:
            return None
        return _decode(entry[2])

    def add(self, ns, key, value, ttl):
        _check(ns, key)
        text, ttl = _encode(value), _ttl(ttl)
        now = self.clock()
        with self._lock:
            self._open()
            old = self._kv.get(ns, {}).get(key)
            if old is not None and old[1] > now:
                return False
            self._insert(ns, key, text, now, ttl)
            return True

    def delete(self, ns, key):
        _check(ns, key)
        with self._lock:
            self._open()
            self._kv.get(ns, {}).pop(key, None)

    def push(self, ns, value, ttl):
        _check_ns(ns)
        text, ttl = _encode(value), _ttl(ttl)
        now = self.clock()
        with self._lock:
            self._open()
            self._queues.setdefault(ns, deque()).append((next(self._seq), now + ttl, text))
            self._after_write(now)

    def pop(self, ns):
        _check_ns(ns)
        now = self.clock()
        with self._lock:
            self._open()
            queue = self._queues.get(ns)
            while queue:
                _seq, expires_at, text = queue.popleft()
                if expires_at > now:
                    return _decode(text)
                # an expired item at the head is dropped on the way
        return None

    def trim(self, ns, keep):
        _check_ns(ns)
        with self._lock:
            self._open()
            queue = self._queues.get(ns)
            while queue and len(queue) > max(0, keep):
                queue.popleft()

    def incr(self, ns, key, ttl):
        _check(ns, key)
        ttl = _ttl(ttl)
        now = self.clock()
        with self._lock:
            self._open()
            entries = self._kv.setdefault(ns, {})
            old = entries.get(key)
            if old is not None and old[1] > now:
                n = _count_of(old[2]) + 1
                entries[key] = (old[0], old[1], _counter(n))
                return n
            entries.pop(key, None)
            entries[key] = (next(self._seq), now + ttl, _counter(1))
            self._after_write(now)
            return 1

    def items(self, ns):
        _check_ns(ns)
        now = self.clock()
        with self._lock:
            self._open()
            found = [(s, k, t) for k, (s, e, t) in self._kv.get(ns, {}).items() if e > now]
            found += [(s, str(s), t) for (s, e, t) in self._queues.get(ns, ()) if e > now]
        found.sort(key=lambda row: row[0])
        return [(k, _decode(t)) for _s, k, t in found]

    def clear(self, ns):
        _check_ns(ns)
        with self._lock:
            self._open()
            self._kv.pop(ns, None)
            self._queues.pop(ns, None)

    def purge_expired(self):
        now = self.clock()
        with self._lock:
            self._open()
            return self._purge(now)

    def _purge(self, now: float) -> int:
        removed = 0
        for ns in list(self._kv):
            entries = self._kv[ns]
            dead = [k for k, (_s, e, _t) in entries.items() if e <= now]
            for k in dead:
                del entries[k]
            removed += len(dead)
            if not entries:
                del self._kv[ns]
        for ns in list(self._queues):
            queue = self._queues[ns]
            alive = deque(item for item in queue if item[1] > now)
            removed += len(queue) - len(alive)
            if alive:
                self._queues[ns] = alive
            else:
                del self._queues[ns]
        return removed

    def ping(self):
        self._open()

    def close(self):
        with self._lock:
            self._closed = True
            self._kv.clear()
            self._queues.clear()


# --------------------------------------------------------------------------------------------
# sqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order; queue order
    ns         TEXT NOT NULL,
    key        TEXT,                              -- NULL for queue items
    value      TEXT NOT NULL,                     -- JSON
    expires_at REAL NOT NULL                      -- seconds since the epoch, mock clock
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_ns_key ON entries (ns, key);
CREATE INDEX IF NOT EXISTS entries_queue ON entries (ns, id) WHERE key IS NULL;
CREATE INDEX IF NOT EXISTS entries_expires_at ON entries (expires_at);
"""
_HAS_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)
SQLITE_MAX_ENTRIES = 30_000
"""The eviction rule that bounds the file: beyond this many rows (about 4,000 sign-ins' worth of
codes, tokens, sessions and refresh tokens), the purge drops the oldest-written rows first, so the
codes and sessions of sign-ins in progress survive. Rows kept longer than ``EVICT_BELOW_TTL`` (the
clock shift, scenario switches) are never evicted. TTLs alone let a soak grow the file for the
30 minutes of an SSO session."""
EVICT_BELOW_TTL = 30 * 86400
WAL_SIZE_LIMIT = 8 * 1024 * 1024
"""``journal_size_limit``: the -wal file is truncated back to this after a checkpoint."""


class _Conn:
    """One thread's connection in one process, with a lock so a fork never closes it mid-use."""

    __slots__ = ("db", "pid", "lock")

    def __init__(self, db: sqlite3.Connection, pid: int) -> None:
        self.db: sqlite3.Connection | None = db
        self.pid = pid
        self.lock = threading.RLock()


_SQLITE_STORES: "weakref.WeakSet[SqliteStore]" = weakref.WeakSet()


def _sqlite_before_fork() -> None:
    for store in list(_SQLITE_STORES):
        store._close_idle_before_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_sqlite_before_fork)


class SqliteStore(Store):
    """The default store: one SQLite file shared by every worker process on the host.

    WAL journal, ``synchronous=NORMAL``, ``busy_timeout``. One connection per thread per process:
    a fork is detected by ``os.getpid()`` and the child opens its own connections (and the parent
    closes its idle ones just before a fork, so no open connection crosses it). take/pop are single
    ``DELETE ... RETURNING`` statements (sqlite >= 3.35) or ``BEGIN IMMEDIATE`` transactions;
    add/incr are ``BEGIN IMMEDIATE`` transactions. Expired rows are purged every
    ``purge_every_writes`` writes or ``purge_every_seconds`` seconds per process.
    """

    def __init__(
        self,
        path: Path | str,
        clock: Callable[[], float] = time.time,
        *,
        busy_timeout: float = 10.0,
        purge_every_writes: int = 500,
        purge_every_seconds: float = 5.0,
        use_returning: bool | None = None,
        max_entries: int = SQLITE_MAX_ENTRIES,
    ) -> None:
        self.path = Path(path)
        self.max_entries = max_entries
        self.clock = clock
        self.busy_timeout = busy_timeout
        self._returning = _HAS_RETURNING if use_returning is None else use_returning
        if self._returning and not _HAS_RETURNING:
            raise ValueError(f"sqlite {sqlite3.sqlite_version} has no RETURNING (needs 3.35)")
        self._purge_every = (purge_every_writes, purge_every_seconds)
        self._purger = _Purger(*self._purge_every)
        self._purger_pid = os.getpid()
        self._local = threading.local()
        self._registry_lock = threading.Lock()
        self._conns: dict[int, list[_Conn]] = {}  # pid -> connections opened in that process
        self._schema_pid: int | None = None
        self._closed = False
        _SQLITE_STORES.add(self)

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    # --- connections --------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        # 0600 before SQLite creates it: the -wal and -shm files it adds take the database's mode.
        for path in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
            if path == self.path or path.exists():
                private_file(path)
        db = sqlite3.connect(
            str(self.path),
            timeout=self.busy_timeout,
            isolation_level=None,  # autocommit; transactions are explicit
            check_same_thread=False,  # only its own thread uses it; close() may come from another
        )
        try:
            db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            self._retry_busy(lambda: db.execute("PRAGMA journal_mode = WAL").fetchall())
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
            if self._schema_pid != os.getpid():
                self._retry_busy(lambda: db.executescript(_SCHEMA))
                self._schema_pid = os.getpid()
        except BaseException:
            db.close()
            raise
        return db

    def _retry_busy(self, action: Callable[[], Any]) -> Any:
        # journal_mode and schema changes can report "locked" without waiting on busy_timeout.
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise StoreError(f"the sqlite store {self.path} is closed")
        pid = os.getpid()
        try:
            while True:
                conn: _Conn | None = getattr(self._local, "conn", None)
                if conn is None or conn.pid != pid or conn.db is None:
                    conn = _Conn(self._connect(), pid)
                    with self._registry_lock:
                        # Connections inherited from a parent process stay referenced here and
                        # are never used, closed or garbage-collected in the child: closing them
                        # could disturb the parent's locks.
                        self._conns.setdefault(pid, []).append(conn)
                    self._local.conn = conn
                conn.lock.acquire()
                if conn.db is not None:
                    break
                conn.lock.release()  # another thread closed it just before a fork: reopen
            try:
                yield conn.db
            finally:
                conn.lock.release()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"sqlite store {self.path}: {exc}") from exc

    def _close_idle_before_fork(self) -> None:
        pid = os.getpid()
        with self._registry_lock:
            conns = self._conns.get(pid, [])
            keep = []
            for conn in conns:
                if conn.lock.acquire(blocking=False):
                    try:
                        if conn.db is not None:
                            conn.db.close()
                            conn.db = None
                    finally:
                        conn.lock.release()
                else:
                    keep.append(conn)
            self._conns[pid] = keep

    @staticmethod
    @contextmanager
    def _immediate(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _after_write(self, db: sqlite3.Connection, now: float) -> None:
        if self._purger_pid != os.getpid():
            self._purger, self._purger_pid = _Purger(*self._purge_every), os.getpid()
        if self._purger.due():
            try:
                db.execute("DELETE FROM entries WHERE expires_at <= ?", (now,))
                db.execute(
                    "DELETE FROM entries WHERE id IN (SELECT id FROM entries WHERE expires_at < ? "
                    "ORDER BY id LIMIT max(0, (SELECT count(*) FROM entries) - ?))",
                    (now + EVICT_BELOW_TTL, self.max_entries),
                )
            except sqlite3.OperationalError:
                pass  # opportunistic: a busy moment only postpones it to the next round

    # --- operations ---------------------------------------------------------------------
    def put(self, ns, key, value, ttl):
        _check(ns, key)
        text, ttl = _encode(value), _ttl(ttl)
        now = self.clock()
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO entries (ns, key, value, expires_at) VALUES (?, ?, ?, ?)",
                (ns, key, text, now + ttl),
            )
            self._after_write(db, now)

    def get(self, ns, key):
        _check(ns, key)
        now = self.clock()
        with self._db() as db:
            row = db.execute(
                "SELECT value FROM entries WHERE ns = ? AND key = ? AND expires_at > ?",
                (ns, key, now),
            ).fetchone()
        return None if row is None else _decode(row[0])

    def take(self, ns, key):
        _check(ns, key)
        now = self.clock()
        with self._db() as db:
            if self._returning:
                rows = db.execute(
                    "DELETE FROM entries WHERE ns = ? AND key = ? RETURNING value, expires_at",
                    (ns, key),
                ).fetchall()
            else:
                with self._immediate(db):
                    rows = db.execute(
                        "SELECT value, expires_at FROM entries WHERE ns = ? AND key = ?", (ns, key)
                    ).fetchall()
                    if rows:
                        db.execute("DELETE FROM entries WHERE ns = ? AND key = ?", (ns, key))
        if not rows or rows[0][1] <= now:
            return None
        return _decode(rows[0][0])

    def add(self, ns, key, value, ttl):
        _check(ns, key)
        text, ttl = _encode(value), _ttl(ttl)
        now = self.clock()
        with self._db() as db:
            with self._immediate(db):
                db.execute(
                    "DELETE FROM entries WHERE ns = ? AND key = ? AND expires_at <= ?",
                    (ns, key, now),
                )
                cur = db.execute(
                    "INSERT OR IGNORE INTO entries (ns, key, value, expires_at) VALUES (?, ?, ?, ?)",
                    (ns, key, text, now + ttl),
                )
                inserted = cur.rowcount == 1
            if inserted:
                self._after_write(db, now)
        return inserted

    def delete(self, ns, key):
        _check(ns, key)
        with self._db() as db:
            db.execute("DELETE FROM entries WHERE ns = ? AND key = ?", (ns, key))

    def push(self, ns, value, ttl):
        _check_ns(ns)
        text, ttl = _encode(value), _ttl(ttl)
        now = self.clock()
        with self._db() as db:
            db.execute(
                "INSERT INTO entries (ns, key, value, expires_at) VALUES (?, NULL, ?, ?)",
                (ns, text, now + ttl),
            )
            self._after_write(db, now)

    _POP_OLDEST = (
        "SELECT id FROM entries WHERE ns = ? AND key IS NULL AND expires_at > ? ORDER BY id LIMIT 1"
    )

    def pop(self, ns):
        _check_ns(ns)
        now = self.clock()
        with self._db() as db:
            # An empty queue is the usual case (the next-login queue on every authorize): answer it
            # with a read, which WAL never blocks, instead of taking the database's one write lock.
            if db.execute(self._POP_OLDEST, (ns, now)).fetchone() is None:
                return None
            if self._returning:
                rows = db.execute(
                    f"DELETE FROM entries WHERE id = ({self._POP_OLDEST}) RETURNING value",
                    (ns, now),
                ).fetchall()
            else:
                with self._immediate(db):
                    rows = db.execute(
                        f"SELECT id, value FROM entries WHERE id = ({self._POP_OLDEST})", (ns, now)
                    ).fetchall()
                    if rows:
                        db.execute("DELETE FROM entries WHERE id = ?", (rows[0][0],))
                        rows = [(rows[0][1],)]
        return _decode(rows[0][0]) if rows else None

    def trim(self, ns, keep):
        _check_ns(ns)
        with self._db() as db:
            db.execute(
                "DELETE FROM entries WHERE ns = ? AND key IS NULL AND id NOT IN "
                "(SELECT id FROM entries WHERE ns = ? AND key IS NULL ORDER BY id DESC LIMIT ?)",
                (ns, ns, max(0, int(keep))),
            )

    def incr(self, ns, key, ttl):
        _check(ns, key)
        ttl = _ttl(ttl)
        now = self.clock()
        with self._db() as db:
            with self._immediate(db):
                row = db.execute(
                    "SELECT value, expires_at FROM entries WHERE ns = ? AND key = ?", (ns, key)
                ).fetchone()
                if row is not None and row[1] > now:
                    n = _count_of(row[0]) + 1
                    db.execute(
                        "UPDATE entries SET value = ? WHERE ns = ? AND key = ?",
                        (_counter(n), ns, key),
                    )
                else:
                    n = 1
                    db.execute(
                        "INSERT OR REPLACE INTO entries (ns, key, value, expires_at) "
                        "VALUES (?, ?, ?, ?)",
                        (ns, key, _counter(1), now + ttl),
                    )
            if n == 1:
                self._after_write(db, now)
        return n

    def items(self, ns):
        _check_ns(ns)
        now = self.clock()
        with self._db() as db:
            rows = db.execute(
                "SELECT id, key, value FROM entries WHERE ns = ? AND expires_at > ? ORDER BY id",
                (ns, now),
            ).fetchall()
        return [(str(i) if k is None else k, _decode(v)) for i, k, v in rows]

    def clear(self, ns):
        _check_ns(ns)
        with self._db() as db:
            db.execute("DELETE FROM entries WHERE ns = ?", (ns,))

    def purge_expired(self):
        now = self.clock()
        with self._db() as db:
            return db.execute("DELETE FROM entries WHERE expires_at <= ?", (now,)).rowcount

    def ping(self):
        with self._db() as db:
            db.execute("SELECT count(*) FROM entries WHERE 0").fetchall()

    def close(self):
        self._closed = True
        pid = os.getpid()
        with self._registry_lock:
            conns = self._conns.pop(pid, [])
        for conn in conns:
            with conn.lock:
                if conn.db is not None:
                    conn.db.close()
                    conn.db = None


# --------------------------------------------------------------------------------------------
# redis
#
# Every stored string is "<expires_at>|<seq>|<json>": the mock-clock expiry (Python repr of a
# float, which Lua's tonumber reads back exactly), a global insertion sequence (for items order
# and queue item keys) and the value. Scripts never decode the JSON, so values round-trip byte for
# byte. Keys: "<prefix>:<ns>:<key>" for entries, "<prefix>:<ns>" (a list) for the queue,
# "<prefix>:#seq" for the sequence (namespaces cannot contain ':' or '#').

REDIS_TTL_MARGIN = 1.0
"""Seconds added to the ttl for Redis's own (real-time) expiry; it is never below one second."""

_LUA_EXPIRES = """
local function expires(v)
  local p = string.find(v, '|', 1, true)
  if not p then return nil end
  return tonumber(string.sub(v, 1, p - 1))
end
"""

_LUA_PUT = """
local s = string.format('%d', redis.call('INCR', KEYS[2]))
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. s .. '|' .. ARGV[2], 'PX', ARGV[3])
return 1
"""
"""Write ``<expires_at>|<seq>|<json>`` with a fresh insertion sequence number."""

_LUA_ADD = (
    _LUA_EXPIRES
    + """
local v = redis.call('GET', KEYS[1])
if v then
  local e = expires(v)
  if e and e > tonumber(ARGV[4]) then return 0 end
end
"""
    + _LUA_PUT
)

_LUA_INCR = (
    _LUA_EXPIRES
    + """
local v = redis.call('GET', KEYS[1])
if v then
  local e = expires(v)
  if e and e > tonumber(ARGV[3]) then
    local p = string.find(v, '|', 1, true)
    local q = string.find(v, '|', p + 1, true)
    local n = tonumber(string.match(string.sub(v, q + 1), '^{"count":(%-?%d+)}$')) or 0
    n = n + 1
    redis.call('SET', KEYS[1],
      string.sub(v, 1, q) .. '{"count":' .. string.format('%d', n) .. '}', 'KEEPTTL')
    return n
  end
end
local s = string.format('%d', redis.call('INCR', KEYS[2]))
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. s .. '|{"count":1}', 'PX', ARGV[2])
return 1
"""
)

_LUA_PUSH = (
    _LUA_EXPIRES
    + """
local s = string.format('%d', redis.call('INCR', KEYS[2]))
redis.call('RPUSH', KEYS[1], ARGV[1] .. '|' .. s .. '|' .. ARGV[2])
local now = tonumber(ARGV[4])
while true do
  local head = redis.call('LINDEX', KEYS[1], 0)
  if not head then break end
  local e = expires(head)
  if e and e > now then break end
  redis.call('LPOP', KEYS[1])
end
local px = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < px then redis.call('PEXPIRE', KEYS[1], px) end
return 1
"""
)

_LUA_POP = (
    _LUA_EXPIRES
    + """
local now = tonumber(ARGV[1])
while true do
  local v = redis.call('LPOP', KEYS[1])
  if not v then return false end
  local e = expires(v)
  if e and e > now then return v end
end
"""
)

_LUA_PURGE = (
    _LUA_EXPIRES
    + """
local now = tonumber(ARGV[1])
local removed = 0
for _, k in ipairs(KEYS) do
  local t = redis.call('TYPE', k)['ok']
  if t == 'string' then
    local e = expires(redis.call('GET', k))
    if e and e <= now then
      redis.call('DEL', k)
      removed = removed + 1
    end
  elseif t == 'list' then
    local all = redis.call('LRANGE', k, 0, -1)
    local keep = {}
    for _, v in ipairs(all) do
      local e = expires(v)
      if e and e <= now then removed = removed + 1 else keep[#keep + 1] = v end
    end
    if #keep < #all then
      local pttl = redis.call('PTTL', k)
      redis.call('DEL', k)
      for i = 1, #keep, 1000 do
        redis.call('RPUSH', k, unpack(keep, i, math.min(i + 999, #keep)))
      end
      if #keep > 0 and pttl > 0 then redis.call('PEXPIRE', k, pttl) end
    end
  end
end
return removed
"""
)


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


class RedisStore(Store):
    """Shared by several hosts. Atomicity comes from single Redis commands (GETDEL) and Lua
    scripts (add, incr, push, pop); each key also carries a real Redis TTL (ttl + margin)."""

    def __init__(
        self,
        url: str,
        clock: Callable[[], float] = time.time,
        *,
        prefix: str = "mock-bankid",
    ) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self._redis_errors = (redis.RedisError,)
        self.url = url
        self.clock = clock
        self.prefix = prefix
        self._r = redis.Redis.from_url(
            url,
            socket_connect_timeout=2.0,
            socket_timeout=10.0,
            health_check_interval=30,
            retry=Retry(NoBackoff(), 1),  # one quick retry on a dropped pooled connection
        )
        self._seq_key = f"{prefix}:#seq"
        self._put = self._r.register_script(_LUA_PUT)
        self._add = self._r.register_script(_LUA_ADD)
        self._incr = self._r.register_script(_LUA_INCR)
        self._push = self._r.register_script(_LUA_PUSH)
        self._pop = self._r.register_script(_LUA_POP)
        self._purge = self._r.register_script(_LUA_PURGE)
        self._closed = False

    def __repr__(self) -> str:
        return f"RedisStore({_redacted(self.url)!r}, prefix={self.prefix!r})"

    @contextmanager
    def _call(self) -> Iterator[None]:
        if self._closed:
            raise StoreError(f"the redis store {_redacted(self.url)} is closed")
        try:
            yield
        except (*self._redis_errors, OSError) as exc:
            raise StoreError(f"redis store {_redacted(self.url)}: {exc}") from exc

    def _key(self, ns: str, key: str) -> str:
        return f"{self.prefix}:{ns}:{key}"

    def _queue(self, ns: str) -> str:
        return f"{self.prefix}:{ns}"

    @staticmethod
    def _px(ttl: float) -> int:
        return max(1000, math.ceil((max(ttl, 0.0) + REDIS_TTL_MARGIN) * 1000))

    @staticmethod
    def _parse(raw: bytes) -> tuple[float, int, bytes]:
        e, s, body = raw.split(b"|", 2)
        return float(e), int(s), body

    def _live(self, raw: bytes | None, now: float) -> dict | None:
        if raw is None:
            return None
        expires_at, _seq, body = self._parse(raw)
        return _decode(body) if expires_at > now else None

    def put(self, ns, key, value, ttl):
        _check(ns, key)
        text, ttl = _encode(value), _ttl(ttl)
        now = self.clock()
        with self._call():
            self._put(keys=[self._key(ns, key), self._seq_key], args=[repr(now + ttl), text, self._px(ttl)])

    def get(self, ns, key):
        _check(ns, key)
        now = self.clock()
        with self._call():
            raw = self._r.get(self._key(ns, key))
        return self._live(raw, now)

    def take(self, ns, key):
        _check(ns, key)
        now = self.clock()
        with self._call():
            raw = self._r.getdel(self._key(ns, key))
        return self._live(raw, now)

    def add(self, ns, key, value, ttl):
        _check(ns, key)
        text, ttl = _encode(value), _ttl(ttl)
        now = self.clock()
        with self._call():
            done = self._add(
                keys=[self._key(ns, key), self._seq_key],
                args=[repr(now + ttl), text, self._px(ttl), repr(now)],
            )
        return bool(done)

    def delete(self, ns, key):
        _check(ns, key)
        with self._call():
            self._r.delete(self._key(ns, key))

    def push(self, ns, value, ttl):
        _check_ns(ns)
        text, ttl = _encode(value), _ttl(ttl)
        now = self.clock()
        with self._call():
            self._push(
                keys=[self._queue(ns), self._seq_key],
                args=[repr(now + ttl), text, self._px(ttl), repr(now)],
            )

    def pop(self, ns):
        _check_ns(ns)
        now = self.clock()
        with self._call():
            raw = self._pop(keys=[self._queue(ns)], args=[repr(now)])
        return None if raw is None else self._live(raw, now)

    def trim(self, ns, keep):
        _check_ns(ns)
        with self._call():
            if keep > 0:
                self._r.ltrim(self._queue(ns), -int(keep), -1)
            else:
                self._r.delete(self._queue(ns))

    def incr(self, ns, key, ttl):
        _check(ns, key)
        ttl = _ttl(ttl)
        now = self.clock()
        with self._call():
            n = self._incr(
                keys=[self._key(ns, key), self._seq_key],
                args=[repr(now + ttl), self._px(ttl), repr(now)],
            )
        return int(n)

    def _scan(self, pattern: str) -> Iterator[bytes]:
        return self._r.scan_iter(match=pattern, count=1000)

    def _ns_keys(self, ns: str) -> list[bytes]:
        return list(self._scan(_glob_escape(f"{self.prefix}:{ns}:") + "*"))

    def items(self, ns):
        _check_ns(ns)
        now = self.clock()
        cut = len(f"{self.prefix}:{ns}:".encode())
        found: list[tuple[int, str, bytes]] = []
        with self._call():
            keys = self._ns_keys(ns)
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                for k, raw in zip(chunk, self._r.mget(chunk)):
                    if raw is None:
                        continue
                    expires_at, seq, body = self._parse(raw)
                    if expires_at > now:
                        found.append((seq, k[cut:].decode(), body))
            for raw in self._r.lrange(self._queue(ns), 0, -1):
                expires_at, seq, body = self._parse(raw)
                if expires_at > now:
                    found.append((seq, str(seq), body))
        found.sort(key=lambda row: row[0])
        return [(k, _decode(body)) for _s, k, body in found]

    def clear(self, ns):
        _check_ns(ns)
        with self._call():
            keys = self._ns_keys(ns) + [self._queue(ns).encode()]
            for i in range(0, len(keys), 500):
                self._r.delete(*keys[i : i + 500])

    def purge_expired(self):
        now = self.clock()
        removed = 0
        with self._call():
            keys = [k for k in self._scan(_glob_escape(f"{self.prefix}:") + "*")]
            for i in range(0, len(keys), 200):
                removed += int(self._purge(keys=keys[i : i + 200], args=[repr(now)]))
        return removed

    def ping(self):
        if self._closed:
            raise StoreError(f"the redis store {_redacted(self.url)} is closed")
        try:
            self._r.ping()
        except self._redis_errors as exc:
            raise StoreError(
                f"Redis at {_redacted(self.url)} is not usable ({type(exc).__name__}: {exc}); "
                "is redis-server running and MOCK_BANKID_STORE right?"
            ) from exc

    def close(self):
        self._closed = True
        self._r.close()


# --------------------------------------------------------------------------------------------
# choosing a backend


def open_store(url: str, data_dir: Path, clock: Callable[[], float] = time.time) -> Store:
    """The store a ``MOCK_BANKID_STORE`` value names; see ``URL_HELP``. Does not connect yet."""
    if not isinstance(url, str):
        raise ValueError(f"store must be a string: {URL_HELP}")
    text = url.strip()
    if text == "memory":
        return MemoryStore(clock)
    if text == "sqlite":
        return SqliteStore(private_dir(Path(data_dir)) / SQLITE_FILENAME, clock)
    if text.startswith("sqlite:"):
        if not text.startswith("sqlite://"):
            raise ValueError(f"bad store {url!r}: {URL_HELP}")
        path = text[len("sqlite://") :]
        if not path.startswith("/") or path.endswith("/") or "?" in path:
            raise ValueError(
                f"bad store {url!r}: a sqlite URL names an absolute file, "
                "e.g. 'sqlite:///var/lib/mock-bankid/store.sqlite3'"
            )
        file = Path(path)
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a directory of the user's: not tightened
        return SqliteStore(file, clock)
    if text.startswith(("redis://", "rediss://")):
        return _open_redis(url, text, clock)
    raise ValueError(f"unknown store {url!r}: {URL_HELP}")


def _open_redis(url: str, text: str, clock: Callable[[], float]) -> RedisStore:
    parts = urlsplit(text)
    try:
        parts.port
    except ValueError:
        raise ValueError(f"bad store {_redacted(url)!r}: the port must be a number") from None
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise ValueError(f"bad store {_redacted(url)!r}: the database after '/' must be a number")
    query = parse_qs(parts.query, keep_blank_values=True)
    prefix = "mock-bankid"
    if "prefix" in query:
        prefix = query.pop("prefix")[-1]
        if not prefix or any(c in prefix for c in "*?[]\\ "):
            raise ValueError(f"bad store {_redacted(url)!r}: ?prefix= must be a plain, non-empty name")
    plain = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    return RedisStore(plain, clock, prefix=prefix)
