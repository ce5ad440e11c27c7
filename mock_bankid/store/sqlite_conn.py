"""The SQLite store's file layout and connection helpers (``sqlite.py`` is the store itself)."""

from __future__ import annotations

import sqlite3
import threading

SCHEMA = """
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

class Conn:
    """One thread's connection in one process, with a lock so a fork never closes it mid-use."""

    __slots__ = ("db", "pid", "lock")

    def __init__(self, db: sqlite3.Connection, pid: int) -> None:
        self.db: sqlite3.Connection | None = db
        self.pid = pid
        self.lock = threading.RLock()


def locked(exc: sqlite3.OperationalError) -> bool:
    """journal_mode and schema changes can report "locked" without waiting on busy_timeout."""
    return "locked" in str(exc)


def opening_race(exc: sqlite3.OperationalError) -> bool:
    """An I/O error while a connection is being set up (SQLITE_IOERR and its extended codes)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith("SQLITE_IOERR") or "disk I/O error" in str(exc)
