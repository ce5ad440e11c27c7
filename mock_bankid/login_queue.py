"""The next-login queue: who signs in next, whatever the client sends (CI whose client cannot add
a ``login_hint``).

The one owner of namespace ``next-login``: a FIFO in the shared store, so the worker serving the
authorize request need not be the one that queued. Each entry is used by exactly one sign-in.
"""

from __future__ import annotations

from typing import Any

from mock_bankid.provider import Provider

NEXT_LOGIN_NS = "next-login"
NEXT_LOGIN_TTL = 600

Entry = dict[str, Any]
"""``{"selector": "<login_hint-style selector>", "scenario": "<per-sign-in scenario>" | None}``."""


def push(p: Provider, selector: str, scenario: str | None = None) -> Entry:
    entry: Entry = {"selector": selector, "scenario": scenario}
    p.store.push(NEXT_LOGIN_NS, entry, NEXT_LOGIN_TTL)
    return entry


def pop(p: Provider) -> Entry | None:
    """The oldest live entry, removed atomically: of racing workers exactly one gets it."""
    return p.store.pop(NEXT_LOGIN_NS)


def entries(p: Provider) -> list[Entry]:
    return [value for _key, value in p.store.items(NEXT_LOGIN_NS)]


def clear(p: Provider) -> None:
    p.store.clear(NEXT_LOGIN_NS)
