"""A bounded, append-only journal of dicts that every worker writes to without the store's lock,
merged when someone reads it. The request log (``requestlog.py``) keeps its entries here.

Why not the store: the request log is written by *every* request and read a few times per test
run; as a store ``push`` every request would take SQLite's one write lock, which all workers
share. Here:

- ``FileJournal`` (``SqliteStore``: every worker on one host): each process appends one JSON line
  per entry to its *own* file in a directory beside the database (``<db>-requests/<pid>.jsonl``),
  with one ``write`` to a file opened ``O_APPEND``: no lock shared between processes, no fsync.
  A reader merges every worker's file, ordered by the time each entry was appended. ``clear``
  records the time it cleared (entries appended before it are no longer shown) and empties the
  files. Each process compacts its own file to the newest ``keep`` lines once it holds twice that.
- ``MemoryJournal`` (``MemoryStore``: one process): a deque.
- ``StoreJournal`` (any other store, i.e. Redis with workers on several hosts): the store's queue
  (``push``, trimmed every ``TRIM_EVERY`` pushes per process), because only the store is shared
  between hosts.

Entries older than ``max_age`` seconds (wall time) are not shown.
``journal_of(store)`` gives the one journal of a store object.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from mock_bankid.store.base import Store
from mock_bankid.store.memory import MemoryStore
from mock_bankid.store.scoped import ScopedStore
from mock_bankid.store.sqlite import SqliteStore

JOURNAL_NS = "requests"
"""The store namespace ``StoreJournal`` uses (the request log's, as it always was)."""
MAX_AGE = 86400
TRIM_EVERY = 20
CLEARED = "cleared"
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode  # made once, not per line


class Journal:
    def append(self, entry: dict[str, Any], keep: int) -> None:
        """Add ``entry``; at least the newest ``keep`` entries stay readable."""
        raise NotImplementedError

    def recent(self, size: int) -> list[dict[str, Any]]:
        """The newest ``size`` entries of every worker, oldest first."""
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError


class MemoryJournal(Journal):
    """One process: a deque (entries are built per request and never changed afterwards)."""

    def __init__(self) -> None:
        self._entries: collections.deque[tuple[float, dict[str, Any]]] = collections.deque()
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any], keep: int) -> None:
        with self._lock:
            self._entries.append((time.time(), entry))
            while len(self._entries) > keep:
                self._entries.popleft()

    def recent(self, size: int) -> list[dict[str, Any]]:
        cutoff = time.time() - MAX_AGE
        with self._lock:
            found = [entry for at, entry in self._entries if at > cutoff][-size:] if size > 0 else []
        return json.loads(json.dumps(found))  # the caller's own copies

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class FileJournal(Journal):
    """Every process on one host: one append-only JSON-lines file per process, merged on read."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()  # this process's appends and compaction of its own file
        self._fd: int | None = None
        self._pid: int | None = None
        self._lines = 0

    def _own_path(self) -> Path:
        return self.directory / f"{os.getpid()}.jsonl"

    def _open(self) -> int:
        pid = os.getpid()
        if self._fd is None or self._pid != pid:  # first use in this process (a forked worker: its own file)
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._fd = os.open(self._own_path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._pid = pid
            self._lines = 0
        return self._fd

    def append(self, entry: dict[str, Any], keep: int) -> None:
        data = _ENCODE({"t": time.time_ns(), "e": entry}).encode() + b"\n"
        with self._lock:
            fd = self._open()
            os.write(fd, data)
            self._lines += 1
            if self._lines >= 2 * max(1, keep):
                self._compact(keep)

    def _compact(self, keep: int) -> None:
        """This process's file down to its newest ``keep`` lines (tmp + rename; readers see either)."""
        path = self._own_path()
        lines = path.read_bytes().splitlines(keepends=True)[-keep:]
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(b"".join(lines))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        if self._fd is not None:
            os.close(self._fd)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND, 0o600)
        self._lines = len(lines)

    def _cleared_at(self) -> int:
        try:
            return int((self.directory / CLEARED).read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def recent(self, size: int) -> list[dict[str, Any]]:
        if size <= 0 or not self.directory.is_dir():
            return []
        cutoff = max(self._cleared_at(), time.time_ns() - MAX_AGE * 10**9)
        found: list[tuple[int, int, int, dict[str, Any]]] = []
        for path in self.directory.glob("*.jsonl"):
            try:
                raw = path.read_bytes()
            except OSError:
                continue  # compacted away between the listing and the read: its lines are in the new file
            pid = int(path.stem) if path.stem.isdigit() else 0
            for n, line in enumerate(raw.splitlines()):
                try:
                    item = json.loads(line)
                    at = int(item["t"])
                except (ValueError, KeyError, TypeError):
                    continue  # a line being written right now
                if at > cutoff:
                    found.append((at, pid, n, item["e"]))
        found.sort(key=lambda x: x[:3])
        return [entry for *_order, entry in found[-size:]]

    def clear(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        mark = self.directory / CLEARED
        tmp = self.directory / f".{CLEARED}.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text(str(time.time_ns()))
        os.replace(tmp, mark)
        for path in self.directory.glob("*.jsonl"):
            with contextlib.suppress(OSError):
                os.truncate(path, 0)  # appends go on at the new end (O_APPEND)
            if not _alive(path.stem):
                with contextlib.suppress(OSError):
                    path.unlink()  # a worker that is gone
        with self._lock:
            self._lines = 0


def _alive(stem: str) -> bool:
    if not stem.isdigit():
        return False
    try:
        os.kill(int(stem), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StoreJournal(Journal):
    """Several hosts: the store's own queue in namespace ``requests``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pushes = itertools.count(1)

    def append(self, entry: dict[str, Any], keep: int) -> None:
        self.store.push(JOURNAL_NS, entry, MAX_AGE)
        if next(self._pushes) % TRIM_EVERY == 0:  # per process: one write per request, not two
            self.store.trim(JOURNAL_NS, keep)

    def recent(self, size: int) -> list[dict[str, Any]]:
        return [value for _key, value in self.store.items(JOURNAL_NS)][-size:] if size > 0 else []

    def clear(self) -> None:
        self.store.clear(JOURNAL_NS)


_JOURNALS: weakref.WeakKeyDictionary[Store, Journal] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def journal_of(store: Store) -> Journal:
    """The journal of ``store`` (one per store object, shared by every app using that object).

    A realm's ``ScopedStore`` keeps its journal on itself: a ``StoreJournal`` refers to its store,
    and kept in ``_JOURNALS`` that reference would keep every realm's store alive for good."""
    if isinstance(store, ScopedStore):
        with _LOCK:
            if store.journal is None:
                store.journal = StoreJournal(store)
            return store.journal
    with _LOCK:
        found = _JOURNALS.get(store)
        if found is None:
            if isinstance(store, MemoryStore):
                found = MemoryJournal()
            elif isinstance(store, SqliteStore):
                found = FileJournal(store.path.with_name(store.path.name + "-requests"))
            else:
                found = StoreJournal(store)
            _JOURNALS[store] = found
        return found
