"""A shared *generation*: one number every worker can read for almost nothing, changed whenever
server-wide state (the clock shift, the server-wide scenario, the next-login queue) is written.

Why: those few entries are read by every request, by every worker, but written a handful of times
per test run: reading them from the store on every request would be two or three store round
trips per request for nothing. So each worker keeps what it read together with the generation it read it at
(``PerGeneration``) and reads the store again only when the generation has moved. A writer calls
``bump()`` *after* its store write, and a reader reads the generation *before* the store, so a
worker can never keep a value older than the generation it is tagged with: a change made by any
worker is seen by every worker's next request.

The generation lives where every worker sharing the store can see it:

- ``SqliteStore`` (every worker on one host): 8 bytes of a memory-mapped file beside the database
  (``<db>-generation``). Reading it is a memory load, no system call. ``bump`` writes a fresh
  random value: readers only ask "has it changed?", so no lock is needed.
- ``MemoryStore`` (one process): a counter in memory.
- any other store (``RedisStore``, several hosts): a counter in the store itself, read once per
  request instead of once per piece of state.

``generation_of(store)`` gives the one ``Generation`` of a store object (every app sharing the
store object shares it).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import secrets
import struct
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from mock_bankid.store.base import Store
from mock_bankid.store.memory import MemoryStore
from mock_bankid.store.sqlite import SqliteStore

GENERATION_NS = "generation"
_FOREVER = 10 * 365 * 86400
_SIZE = 8
T = TypeVar("T")


class Generation:
    """Read with ``current()`` (cheap), change with ``bump()`` after writing shared state."""

    def current(self) -> int:
        raise NotImplementedError

    def bump(self) -> None:
        raise NotImplementedError


class LocalGeneration(Generation):
    """One process (the memory store): a counter."""

    def __init__(self) -> None:
        self._n = 0
        self._lock = threading.Lock()

    def current(self) -> int:
        return self._n

    def bump(self) -> None:
        with self._lock:
            self._n += 1


class MappedGeneration(Generation):
    """Every process on one host: 8 bytes of a shared memory-mapped file.

    The mapping is made once and survives ``fork`` (gunicorn's workers inherit the master's), so
    every worker reads the same page. A write is one aligned 8-byte store; a fresh random value
    differs from the old one, which is all a reader checks.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _SIZE:
                os.ftruncate(fd, _SIZE)  # zero-filled; growing never loses a value another process wrote
            self._map = mmap.mmap(fd, _SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)  # the mapping keeps the file

    def current(self) -> int:
        value: int = struct.unpack_from("<Q", self._map, 0)[0]
        return value

    def bump(self) -> None:
        old = self.current()
        new = old
        while new == old:
            new = secrets.randbits(64)
        struct.pack_into("<Q", self._map, 0, new)


class StoreGeneration(Generation):
    """Several hosts (Redis): a counter in the store. One store read per request."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def current(self) -> int:
        entry = self.store.get(GENERATION_NS, "n")
        return int(entry.get("count", 0)) if entry else 0

    def bump(self) -> None:
        self.store.incr(GENERATION_NS, "n", _FOREVER)


_GENERATIONS: weakref.WeakKeyDictionary[Store, Generation] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def generation_of(store: Store) -> Generation:
    """The shared generation of ``store`` (made once per store object)."""
    with _LOCK:
        found = _GENERATIONS.get(store)
        if found is None:
            found = _make(store)
            _GENERATIONS[store] = found
        return found


def _make(store: Store) -> Generation:
    if isinstance(store, MemoryStore):
        return LocalGeneration()
    if isinstance(store, SqliteStore):
        with contextlib.suppress(OSError, ValueError):  # no shared mmap here: fall back to the store's counter
            return MappedGeneration(store.path.with_name(store.path.name + "-generation"))
    return StoreGeneration(store)


class PerGeneration(Generic[T]):
    """A value loaded from the store, kept while the generation stays what it was at loading.

    ``get(generation)`` loads again only when ``generation`` differs from the one the kept value
    was loaded at. The caller reads the generation *before* calling, so the tag is never newer
    than the value: at worst a value is loaded once more than needed.
    """

    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._kept: tuple[int, T] | None = None

    def get(self, generation: int) -> T:
        kept = self._kept
        if kept is not None and kept[0] == generation:
            return kept[1]
        value = self._load()
        self._kept = (generation, value)
        return value

    def forget(self) -> None:
        self._kept = None
