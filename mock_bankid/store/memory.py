"""``MemoryStore``: one process, thread-safe. For the in-process pytest fixture and ``memory``."""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable

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

    def put(self, ns: str, key: str, value: dict, ttl: float) -> None:
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

    def get(self, ns: str, key: str) -> dict | None:
        _check(ns, key)
        now = self.clock()
        with self._lock:
            self._open()
            entry = self._kv.get(ns, {}).get(key)
        if entry is None or entry[1] <= now:
            return None
        return _decode(entry[2])

    def take(self, ns: str, key: str) -> dict | None:
        _check(ns, key)
        now = self.clock()
        with self._lock:
            self._open()
            entry = self._kv.get(ns, {}).pop(key, None)
        if entry is None or entry[1] <= now:
            return None
        return _decode(entry[2])

    def add(self, ns: str, key: str, value: dict, ttl: float) -> bool:
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

    def delete(self, ns: str, key: str) -> None:
        _check(ns, key)
        with self._lock:
            self._open()
            self._kv.get(ns, {}).pop(key, None)

    def push(self, ns: str, value: dict, ttl: float) -> None:
        _check_ns(ns)
        text, ttl = _encode(value), _ttl(ttl)
        now = self.clock()
        with self._lock:
            self._open()
            self._queues.setdefault(ns, deque()).append((next(self._seq), now + ttl, text))
            self._after_write(now)

    def pop(self, ns: str) -> dict | None:
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

    def trim(self, ns: str, keep: int) -> None:
        _check_ns(ns)
        with self._lock:
            self._open()
            queue = self._queues.get(ns)
            while queue and len(queue) > max(0, keep):
                queue.popleft()

    def incr(self, ns: str, key: str, ttl: float) -> int:
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

    def items(self, ns: str) -> list[tuple[str, dict]]:
        _check_ns(ns)
        now = self.clock()
        with self._lock:
            self._open()
            found = [(s, k, t) for k, (s, e, t) in self._kv.get(ns, {}).items() if e > now]
            found += [(s, str(s), t) for (s, e, t) in self._queues.get(ns, ()) if e > now]
        found.sort(key=lambda row: row[0])
        return [(k, _decode(t)) for _s, k, t in found]

    def clear(self, ns: str) -> None:
        _check_ns(ns)
        with self._lock:
            self._open()
            self._kv.pop(ns, None)
            self._queues.pop(ns, None)

    def clear_all(self) -> None:
        with self._lock:
            self._open()
            self._kv.clear()
            self._queues.clear()

    def clear_prefix(self, prefix: str) -> None:
        with self._lock:
            self._open()
            for table in (self._kv, self._queues):
                for ns in [ns for ns in table if ns.startswith(prefix)]:
                    del table[ns]

    def purge_expired(self) -> int:
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

    def ping(self) -> None:
        self._open()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._kv.clear()
            self._queues.clear()
