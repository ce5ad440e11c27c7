"""One issuer's view of a shared store: every namespace prefixed with the realm it belongs to.

Two issuers served by one server (``/auth/realms/a`` and ``/auth/realms/b``) must never see each
other's codes, sessions, next-login queue, scenario, clock shift or request log. Rather than every
owner module putting the issuer into its keys, each issuer gets a ``ScopedStore``: the same backend,
the same atomic operations, and namespaces of its own (``realm.<name>.<namespace>``).

A realm made on first use (parallel test workers make one each) must not outlive its use, so its
entries live at most ``max_ttl`` seconds after they were last written (a day by default): an idle
realm disappears from the store by itself. Namespaces in ``uncapped`` keep their own ttl (the clock
shift, whose expiry is judged on the clock it shifts, see ``control/ops.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from mock_bankid.store.base import Store

REALM_TTL = 86400
"""How long a realm's entries outlive their last write."""


def realm_prefix(realm: str) -> str:
    """The namespace prefix of ``realm``'s state (what ``clear_prefix`` removes)."""
    return f"realm.{realm}."


def provider_prefix(provider: str) -> str:
    """The namespace prefix of another provider's state in the home realm (Vipps's: ``provider.vipps.``)."""
    return f"provider.{provider}."


class ScopedStore(Store):
    """``base`` with every namespace prefixed; ttls capped at ``max_ttl`` except in ``uncapped``."""

    def __init__(self, base: Store, realm: str, *, max_ttl: float = REALM_TTL,
                 uncapped: Collection[str] = (), prefix: str | None = None) -> None:
        self.base = base
        self.clock: Callable[[], float] = base.clock
        self.realm = realm
        self.prefix = realm_prefix(realm) if prefix is None else prefix
        self.max_ttl = max_ttl
        self.uncapped = frozenset(uncapped)
        self.journal: Any = None
        """This realm's request log (``journal.journal_of`` sets it; kept here so it dies with the store)."""

    def _ns(self, ns: str) -> str:
        return self.prefix + ns

    def _ttl(self, ns: str, ttl: float) -> float:
        return ttl if ns in self.uncapped else min(ttl, self.max_ttl)

    def put(self, ns: str, key: str, value: dict, ttl: float) -> None:
        self.base.put(self._ns(ns), key, value, self._ttl(ns, ttl))

    def get(self, ns: str, key: str) -> dict | None:
        return self.base.get(self._ns(ns), key)

    def take(self, ns: str, key: str) -> dict | None:
        return self.base.take(self._ns(ns), key)

    def add(self, ns: str, key: str, value: dict, ttl: float) -> bool:
        return self.base.add(self._ns(ns), key, value, self._ttl(ns, ttl))

    def delete(self, ns: str, key: str) -> None:
        self.base.delete(self._ns(ns), key)

    def push(self, ns: str, value: dict, ttl: float) -> None:
        self.base.push(self._ns(ns), value, self._ttl(ns, ttl))

    def pop(self, ns: str) -> dict | None:
        return self.base.pop(self._ns(ns))

    def trim(self, ns: str, keep: int) -> None:
        self.base.trim(self._ns(ns), keep)

    def incr(self, ns: str, key: str, ttl: float) -> int:
        return self.base.incr(self._ns(ns), key, self._ttl(ns, ttl))

    def items(self, ns: str) -> list[tuple[str, dict]]:
        return self.base.items(self._ns(ns))

    def clear(self, ns: str) -> None:
        self.base.clear(self._ns(ns))

    def clear_all(self) -> None:
        """Everything of this realm, nothing of any other."""
        self.base.clear_prefix(self.prefix)

    def clear_prefix(self, prefix: str) -> None:
        self.base.clear_prefix(self._ns(prefix))

    def purge_expired(self) -> int:
        return self.base.purge_expired()

    def ping(self) -> None:
        self.base.ping()

    def close(self) -> None:
        """The base store belongs to the server, not to one realm: closing a realm closes nothing."""
