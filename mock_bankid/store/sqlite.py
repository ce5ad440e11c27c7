"""``SqliteStore``: the default store, one SQLite file shared by every gunicorn worker on a host."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mock_bankid.core.private_files import private_file, tighten_if_present
from mock_bankid.store.base import (
    Store,
    StoreError,
    _check,
    _check_ns,
    _count_of,
    _counter,
    _decode,
    _encode,
    _Purger,
    _ttl,
)

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
SYNCHRONOUS = "OFF"
"""Commits are handed to the operating system and not waited for on the disk: a killed or
restarted server loses nothing (the kernel has every write), an operating-system crash or power
loss may lose the newest writes or, rarely, leave the file corrupt -- test state: delete it and the
next start begins anew (docs/store.md). Why: without NORMAL's fsync at every WAL checkpoint a
write costs markedly less CPU (bench/README.md)."""
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


_SQLITE_STORES: weakref.WeakSet[SqliteStore] = weakref.WeakSet()


def _sqlite_before_fork() -> None:
    for store in list(_SQLITE_STORES):
        store._close_idle_before_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_sqlite_before_fork)


def _locked(exc: sqlite3.OperationalError) -> bool:
    """journal_mode and schema changes can report "locked" without waiting on busy_timeout."""
    return "locked" in str(exc)


def _opening_race(exc: sqlite3.OperationalError) -> bool:
    """An I/O error while a connection is being set up (SQLITE_IOERR and its extended codes)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith("SQLITE_IOERR") or "disk I/O error" in str(exc)


class SqliteStore(Store):
    """The default store: one SQLite file shared by every worker process on the host.

    WAL journal, ``synchronous=OFF`` (``SYNCHRONOUS`` says why), ``busy_timeout``. One connection
    per thread per process: a fork is detected by ``os.getpid()`` and the child opens its own
    connections (and the parent closes its idle ones just before a fork, so no open connection
    crosses it). take/pop are single ``DELETE ... RETURNING`` statements (sqlite >= 3.35) or
    ``BEGIN IMMEDIATE`` transactions; add/incr are ``BEGIN IMMEDIATE`` transactions. Expired rows
    are purged every ``purge_every_writes`` writes or ``purge_every_seconds`` seconds per process.
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
        """A new connection, set up. Opening a database in WAL mode while another process's last
        connection to it closes (and removes the ``-wal``/``-shm`` files) can fail once with
        ``disk I/O error`` (seen in tests/test_store.py's process races): that is tried again on a
        fresh connection, within ``busy_timeout``, like a lock."""
        return self._retry(self._open_once, _opening_race)

    def _open_once(self) -> sqlite3.Connection:
        # 0600 before SQLite creates it: the -wal and -shm files it adds take the database's mode
        # (ones left by an older version are tightened; they may vanish meanwhile, which is fine).
        private_file(self.path)
        for path in (Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
            tighten_if_present(path)
        db = sqlite3.connect(
            str(self.path),
            timeout=self.busy_timeout,
            isolation_level=None,  # autocommit; transactions are explicit
            check_same_thread=False,  # only its own thread uses it; close() may come from another
        )
        try:
            db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            self._retry(lambda: db.execute("PRAGMA journal_mode = WAL").fetchall(), _locked)
            db.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
            db.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
            if self._schema_pid != os.getpid():
                self._retry(lambda: db.executescript(_SCHEMA), _locked)
                self._schema_pid = os.getpid()
        except BaseException:
            db.close()
            raise
        return db

    def _retry(self, action: Callable[[], Any], passing: Callable[[sqlite3.OperationalError], bool]) -> Any:
        """``action()``, tried again every 10 ms within ``busy_timeout`` while it fails in a way
        that ``passing`` says goes away on its own."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if not passing(exc) or time.monotonic() > deadline:
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
            # opportunistic: a busy moment only postpones it to the next round
            with contextlib.suppress(sqlite3.OperationalError):
                db.execute("DELETE FROM entries WHERE expires_at <= ?", (now,))
                db.execute(
                    "DELETE FROM entries WHERE id IN (SELECT id FROM entries WHERE expires_at < ? "
                    "ORDER BY id LIMIT max(0, (SELECT count(*) FROM entries) - ?))",
                    (now + EVICT_BELOW_TTL, self.max_entries),
                )

    # --- operations ---------------------------------------------------------------------
    def put(self, ns: str, key: str, value: dict, ttl: float) -> None:
        _check(ns, key)
        text, ttl = _encode(value), _ttl(ttl)
        now = self.clock()
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO entries (ns, key, value, expires_at) VALUES (?, ?, ?, ?)",
                (ns, key, text, now + ttl),
            )
            self._after_write(db, now)

    def get(self, ns: str, key: str) -> dict | None:
        _check(ns, key)
        now = self.clock()
        with self._db() as db:
            row = db.execute(
                "SELECT value FROM entries WHERE ns = ? AND key = ? AND expires_at > ?",
                (ns, key, now),
            ).fetchone()
        return None if row is None else _decode(row[0])

    def take(self, ns: str, key: str) -> dict | None:
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

    def add(self, ns: str, key: str, value: dict, ttl: float) -> bool:
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

    def delete(self, ns: str, key: str) -> None:
        _check(ns, key)
        with self._db() as db:
            db.execute("DELETE FROM entries WHERE ns = ? AND key = ?", (ns, key))

    def push(self, ns: str, value: dict, ttl: float) -> None:
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

    def pop(self, ns: str) -> dict | None:
        _check_ns(ns)
        now = self.clock()
        with self._db() as db:
            # An empty queue is the usual case (the next-login queue on every authorize): answer it
            # with a read, which WAL never blocks, instead of taking the database's one write lock.
            if db.execute(self._POP_OLDEST, (ns, now)).fetchone() is None:
                return None
            if self._returning:
                rows = db.execute(
                    f"DELETE FROM entries WHERE id = ({self._POP_OLDEST}) RETURNING value",  # noqa: S608 - a constant
                    (ns, now),
                ).fetchall()
            else:
                with self._immediate(db):
                    rows = db.execute(
                        f"SELECT id, value FROM entries WHERE id = ({self._POP_OLDEST})",  # noqa: S608 - a constant
                        (ns, now),
                    ).fetchall()
                    if rows:
                        db.execute("DELETE FROM entries WHERE id = ?", (rows[0][0],))
                        rows = [(rows[0][1],)]
        return _decode(rows[0][0]) if rows else None

    def trim(self, ns: str, keep: int) -> None:
        _check_ns(ns)
        with self._db() as db:
            db.execute(
                "DELETE FROM entries WHERE ns = ? AND key IS NULL AND id NOT IN "
                "(SELECT id FROM entries WHERE ns = ? AND key IS NULL ORDER BY id DESC LIMIT ?)",
                (ns, ns, max(0, int(keep))),
            )

    def incr(self, ns: str, key: str, ttl: float) -> int:
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

    def items(self, ns: str) -> list[tuple[str, dict]]:
        _check_ns(ns)
        now = self.clock()
        with self._db() as db:
            rows = db.execute(
                "SELECT id, key, value FROM entries WHERE ns = ? AND expires_at > ? ORDER BY id",
                (ns, now),
            ).fetchall()
        return [(str(i) if k is None else k, _decode(v)) for i, k, v in rows]

    def clear(self, ns: str) -> None:
        _check_ns(ns)
        with self._db() as db:
            db.execute("DELETE FROM entries WHERE ns = ?", (ns,))

    def clear_all(self) -> None:
        with self._db() as db:
            db.execute("DELETE FROM entries")

    def clear_prefix(self, prefix: str) -> None:
        _check_ns(prefix)
        with self._db() as db:  # a range, not LIKE: '_' in a namespace is a wildcard there
            db.execute("DELETE FROM entries WHERE ns >= ? AND ns < ?", (prefix, prefix + "\U0010ffff"))

    def purge_expired(self) -> int:
        now = self.clock()
        with self._db() as db:
            return db.execute("DELETE FROM entries WHERE expires_at <= ?", (now,)).rowcount

    def ping(self) -> None:
        with self._db() as db:
            db.execute("SELECT count(*) FROM entries WHERE 0").fetchall()

    def close(self) -> None:
        self._closed = True
        pid = os.getpid()
        with self._registry_lock:
            conns = self._conns.pop(pid, [])
        for conn in conns:
            with conn.lock:
                if conn.db is not None:
                    conn.db.close()
                    conn.db = None
