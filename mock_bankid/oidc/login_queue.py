"""The next-login queue: who signs in next, whatever the client sends (CI whose client cannot add
a ``login_hint``).

The one owner of namespace ``next-login``: a FIFO in the shared store, so the worker serving the
authorize request need not be the one that queued. Each entry is used by exactly one sign-in.
"""

from __future__ import annotations

import weakref
from typing import Any

from mock_bankid.oidc.provider import Provider
from mock_bankid.store import Store

NEXT_LOGIN_NS = "next-login"
NEXT_LOGIN_TTL = 600

Entry = dict[str, Any]
"""``{"selector": "<login_hint-style selector>", "scenario": "<per-sign-in scenario>" | None}``."""


_empty_at: weakref.WeakKeyDictionary[Store, int] = weakref.WeakKeyDictionary()
"""Per store (one per issuer): the shared generation at which this worker last found the queue empty."""


def push(p: Provider, selector: str, scenario: str | None = None) -> Entry:
    entry: Entry = {"selector": selector, "scenario": scenario}
    p.store.push(NEXT_LOGIN_NS, entry, NEXT_LOGIN_TTL)
    p.state_changed()  # every worker looks at the queue again on its next authorize
    return entry


def pop(p: Provider) -> Entry | None:
    """The oldest live entry, removed atomically: of racing workers exactly one gets it.

    The queue is nearly always empty, and asked on every authorize: once this worker found it
    empty it does not ask the store again until the shared generation moves (``push`` moves it).
    """
    generation = p.state_generation()  # read before the store, so a push after it is never missed
    if _empty_at.get(p.store) == generation:
        return None
    entry = p.store.pop(NEXT_LOGIN_NS)
    if entry is None:
        _empty_at[p.store] = generation
    return entry


def entries(p: Provider) -> list[Entry]:
    return [value for _key, value in p.store.items(NEXT_LOGIN_NS)]


def clear(p: Provider) -> None:
    p.store.clear(NEXT_LOGIN_NS)
