"""The store's interface and what every backend shares: argument checks, JSON encoding, the purge timer.

Values are JSON-able dicts and come back as equal dicts (they are stored as JSON text). Expiry is
judged against the injected ``clock`` -- the mock's movable clock -- so moving the mock into the
future expires codes. Independently, every backend cleans up after itself so nothing grows
without bound.

``clock`` may itself read the store (the provider keeps the clock shift in it), so the store
always asks the clock *before* it takes any lock of its own.
"""

from __future__ import annotations

import json
import math
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from mock_bankid.core.errors import StoreUnavailable

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

    def clear_all(self) -> None:
        """Remove everything in every namespace: a fresh start without a restart (the pytest
        plugin resets its one server between tests with it)."""
        raise NotImplementedError(f"{type(self).__name__} cannot clear everything")

    def clear_prefix(self, prefix: str) -> None:
        """Remove everything in every namespace whose name starts with ``prefix`` (a realm's state)."""
        raise NotImplementedError(f"{type(self).__name__} cannot clear by prefix")

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
    return f'{{"{_COUNTER_FIELD}":{int(n)}}}'


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


def _redacted(url: str) -> str:
    """``url`` without its password, for messages and reprs (a store URL may carry one)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))
