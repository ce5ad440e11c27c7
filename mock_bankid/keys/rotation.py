"""The rotation state machine: which key signs, which are published, what a rotation changes.

Pure functions of the key records in ``keys.json`` and a time ``now``: no files, locks or keys.
The manager (``manager.py``) reads the records under its lock, asks these functions what to do,
and writes the result back.

Timeline of a key (all judged with the injected clock)::

    created --(activates_at)--> signs --(successor activates)--> published only --(retires_at)--> gone
    state:  "next"              "active"                         "retiring"                       "retired"
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

ALGORITHMS: tuple[str, ...] = ("RS256", "ES256")
"""What ``ensure`` creates one key of, and what ``sign`` / ``rotate`` accept."""
STATES: tuple[str, ...] = ("next", "active", "retiring", "retired")
PUBLISHED_STATES = frozenset({"next", "active", "retiring"})


@dataclass
class Entry:
    """One key as ``keys.json`` records it: when it was made, signs from, and leaves the JWKS."""

    kid: str
    alg: str
    seq: int
    created: float
    activates_at: float
    retires_at: float | None
    jwk: dict[str, Any]  # public JWK, as published

    @property
    def order(self) -> tuple[float, int]:
        return (self.activates_at, self.seq)

    def retired(self, now: float) -> bool:
        return self.retires_at is not None and now >= self.retires_at

    def as_json(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "alg": self.alg,
            "seq": self.seq,
            "created": self.created,
            "activates_at": self.activates_at,
            "retires_at": self.retires_at,
            "file": f"{self.kid}.pem",
            "jwk": self.jwk,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Entry:
        retires = raw.get("retires_at")
        return cls(
            kid=str(raw["kid"]),
            alg=str(raw["alg"]),
            seq=int(raw["seq"]),
            created=float(raw["created"]),
            activates_at=float(raw["activates_at"]),
            retires_at=None if retires is None else float(retires),
            jwk=dict(raw["jwk"]),
        )


def check_alg(alg: str) -> None:
    """Raise ValueError for an algorithm the mock does not sign with."""
    if alg not in ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {alg!r}: use one of {', '.join(ALGORITHMS)}")


def check_seconds(name: str, value: object) -> float:
    """``value`` as a float number of seconds >= 0, or ValueError naming ``name``."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a number of seconds >= 0, not {value!r}")
    return float(value)


def signer(entries: Iterable[Entry], alg: str, now: float) -> Entry | None:
    """The key that signs ``alg`` at ``now``: the latest activated one that is not retired.

    If the clock reads earlier than every activation (it was moved back), the earliest key
    signs rather than none.
    """
    live = [e for e in entries if e.alg == alg and not e.retired(now)]
    if not live:
        return None
    activated = [e for e in live if e.activates_at <= now]
    if activated:
        return max(activated, key=lambda e: e.order)
    return min(live, key=lambda e: e.order)


def complete(entries: Iterable[Entry], now: float) -> bool:
    """True when every algorithm has a key that signs at ``now``."""
    entries = list(entries)
    return all(signer(entries, alg, now) is not None for alg in ALGORITHMS)


def states(entries: Iterable[Entry], now: float) -> dict[str, str]:
    """kid -> its state at ``now`` (one of ``STATES``)."""
    entries = list(entries)
    signers = {alg: signer(entries, alg, now) for alg in {e.alg for e in entries}}
    out: dict[str, str] = {}
    for e in entries:
        if e.retired(now):
            out[e.kid] = "retired"
        elif signers[e.alg] is e:
            out[e.kid] = "active"
        elif now < e.activates_at:
            out[e.kid] = "next"
        else:
            out[e.kid] = "retiring"
    return out


def display_order(e: Entry) -> tuple[int, tuple[float, int]]:
    """Sort key for listings and the JWKS: RS256 first, then ES256, each oldest first."""
    return (ALGORITHMS.index(e.alg) if e.alg in ALGORITHMS else 99, e.order)


def published(entries: Iterable[Entry], now: float) -> list[Entry]:
    """The keys in the JWKS at ``now`` (next, active, retiring), in display order."""
    entries = list(entries)
    state = states(entries, now)
    return sorted((e for e in entries if state[e.kid] in PUBLISHED_STATES), key=display_order)


def listing(entries: Iterable[Entry], now: float) -> list[dict[str, Any]]:
    """Every key with its times and its state at ``now``, in display order (``list_keys``)."""
    entries = list(entries)
    state = states(entries, now)
    return [
        {
            "kid": e.kid,
            "alg": e.alg,
            "created": e.created,
            "activates_at": e.activates_at,
            "retires_at": e.retires_at,
            "state": state[e.kid],
        }
        for e in sorted(entries, key=display_order)
    ]


def plan_rotation(entries: Iterable[Entry], alg: str, now: float, activates_at: float, grace: float) -> list[Entry]:
    """The records after a new ``alg`` key is scheduled to sign from ``activates_at``.

    A pending key that would only have activated after the new one is withdrawn (retired now: it
    never signed anything); the latest remaining key stops being published ``grace`` seconds after
    the new key activates. Returns new records; ``entries`` is not changed. The new key itself is
    not included: the manager makes it.
    """
    out = [dataclasses.replace(e) for e in entries]
    live = [e for e in out if e.alg == alg and not e.retired(now)]
    for e in live:
        if e.order[0] > activates_at:
            e.retires_at = now  # would have taken over after the new key: withdraw it
    remaining = [e for e in live if not e.retired(now)]
    if remaining:
        last = max(remaining, key=lambda e: e.order)
        last.retires_at = activates_at + grace
    return out
