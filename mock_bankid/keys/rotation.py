"""The rotation state machine: which key signs, which are published, what a rotation changes.

Pure functions of the key records in ``keys.json`` and a time ``now``: no files, locks or keys.
The manager (``manager.py``) reads the records under its lock, asks these functions what to do,
and writes the result back.

BankID publishes three signing keys per algorithm, "the next key, the currently used key, the
previously used key", and rotates by letting "current replace previous, next replace current; a
new one will be introduced and the oldest one will be discarded" (developer.bankid.no,
core-concepts/key-rotation). So does the mock, per algorithm::

    made, published --(rotate)--> signs --(rotate)--> published only --(rotate + grace)--> gone
    state: "next"                 "current"           "previous"                             "retired"

A next key has no activation time (``activates_at`` None) until a rotation promotes it. A relying
party that cached the JWKS at any time since the next key was made already holds the key that
signs after the next rotation, so the JWKS can be cached for hours (``routes.JWKS_MAX_AGE``).

Two more states appear only around a rotation: a promoted key whose activation was put off
(``rotate(activate_after=...)``) is still "next" until then, and the old previous key, if it
stopped signing less than ``grace`` ago (tokens it signed may still be live), is "retiring" until
``retires_at``. Retired means published nowhere: its file may be deleted.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import itertools
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

ALGORITHMS: tuple[str, ...] = ("RS256", "ES256")
"""What ``ensure`` creates keys of, and what ``sign`` / ``rotate`` accept."""
STATES: tuple[str, ...] = ("next", "current", "previous", "retiring", "retired")
PUBLISHED_STATES = frozenset({"next", "current", "previous", "retiring"})
FIRST_SET: tuple[str, ...] = ("previous", "current", "next")
"""What a key set starts with per algorithm: BankID's three keys at once, oldest first."""


def pem_name(kid: str) -> str:
    """The file a key's private PEM is kept in (a kid may hold a ':', which not every file system takes)."""
    return kid.replace(":", "_") + ".pem"


def thumbprint_kid(thumbprint: str) -> str:
    """BankID's kids: the key's RFC 7638 thumbprint."""
    return thumbprint


def uuid_kid(thumbprint: str) -> str:
    """Vipps's (ORY Hydra's) kids: ``public:`` and a UUID; here one derived from the thumbprint, so a
    key's kid still follows from the key (``files.load_own_private_key`` checks it)."""
    digest = hashlib.sha256(thumbprint.encode("ascii")).digest()
    return f"public:{uuid.UUID(bytes=digest[:16], version=4)}"


@dataclass
class Entry:
    """One key as ``keys.json`` records it: when it was made, signs from, and leaves the JWKS.

    ``activates_at`` is None for a next key that waits for a rotation to promote it.
    """

    kid: str
    alg: str
    seq: int
    created: float
    activates_at: float | None
    retires_at: float | None
    jwk: dict[str, Any]  # public JWK, as published

    @property
    def order(self) -> tuple[float, int]:
        return (math.inf if self.activates_at is None else self.activates_at, self.seq)

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
            "file": pem_name(self.kid),
            "jwk": self.jwk,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Entry:
        activates, retires = raw.get("activates_at"), raw.get("retires_at")
        return cls(
            kid=str(raw["kid"]),
            alg=str(raw["alg"]),
            seq=int(raw["seq"]),
            created=float(raw["created"]),
            activates_at=None if activates is None else float(activates),
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

    A next key never signs. If the clock reads earlier than every activation (it was moved back),
    the latest of the earliest-activated keys signs rather than none (in a first set the previous
    and the current key share their activation time: the current one).
    """
    live = [e for e in entries if e.alg == alg and e.activates_at is not None and not e.retired(now)]
    if not live:
        return None
    activated = [e for e in live if e.order[0] <= now]
    if activated:
        return max(activated, key=lambda e: e.order)
    earliest = min(e.order[0] for e in live)
    return max((e for e in live if e.order[0] == earliest), key=lambda e: e.order)


def next_key(entries: Iterable[Entry], alg: str, now: float) -> Entry | None:
    """The published ``alg`` key the next rotation promotes (the oldest waiting one), if any."""
    waiting = [e for e in entries if e.alg == alg and e.activates_at is None and not e.retired(now)]
    return min(waiting, key=lambda e: e.seq, default=None)


def missing(entries: Iterable[Entry], alg: str, now: float) -> tuple[str, ...]:
    """The keys ``ensure`` must make for ``alg``, oldest first: a whole first set when nothing
    signs, a next key when only that is missing (a key directory of an older mock-bankid)."""
    entries = list(entries)
    if signer(entries, alg, now) is None:
        return FIRST_SET
    if next_key(entries, alg, now) is None:
        return ("next",)
    return ()


def complete(entries: Iterable[Entry], now: float) -> bool:
    """True when every algorithm has a key that signs at ``now`` and a next key."""
    entries = list(entries)
    return not any(missing(entries, alg, now) for alg in ALGORITHMS)


def states(entries: Iterable[Entry], now: float) -> dict[str, str]:
    """kid -> its state at ``now`` (one of ``STATES``)."""
    entries = list(entries)
    signers = {alg: signer(entries, alg, now) for alg in {e.alg for e in entries}}
    out: dict[str, str] = {}
    for e in entries:
        if e.retired(now):
            out[e.kid] = "retired"
        elif signers[e.alg] is e:
            out[e.kid] = "current"
        elif now < e.order[0]:
            out[e.kid] = "next"
        elif e.retires_at is not None:
            out[e.kid] = "retiring"
        else:
            out[e.kid] = "previous"
    return out


def display_order(e: Entry) -> tuple[int, tuple[float, int]]:
    """Sort key for listings and the JWKS: RS256 first, then ES256, each oldest first."""
    return (ALGORITHMS.index(e.alg) if e.alg in ALGORITHMS else 99, e.order)


def published(entries: Iterable[Entry], now: float) -> list[Entry]:
    """The keys in the JWKS at ``now`` (every state but retired), in display order."""
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
    """The records after the ``alg`` next key is promoted to sign from ``activates_at``.

    Next replaces current (the next key signs from ``activates_at``), current replaces previous
    (it signs until then and stays published), and the old previous is discarded: it retires at
    ``activates_at``, or ``grace`` after it stopped signing if that is later, so the tokens it
    signed outlive it (a key that never signed, like a first set's previous, needs no grace). A
    promotion still pending from an earlier rotation takes effect now. The new next key is not
    included: the manager makes it. Returns new records; ``entries`` is not changed. Raises
    LookupError when ``alg`` has no next key (``missing`` says to make one).
    """
    out = [dataclasses.replace(e) for e in entries]
    live = [e for e in out if e.alg == alg and not e.retired(now)]
    promoted = next_key(live, alg, now)
    if promoted is None:
        raise LookupError(f"no next {alg} key to promote: ensure() makes one")
    for e in live:
        if e.activates_at is not None and e.activates_at > now:
            e.activates_at = now  # promoted earlier, activation put off: it signs from now
    promoted.activates_at = activates_at
    signed = sorted((e for e in live if e is not promoted and e.activates_at is not None), key=lambda e: e.order)
    for older, successor in itertools.pairwise(signed):
        if older.retires_at is None:  # it stopped signing when its successor started
            stopped = successor.order[0]
            never_signed = older.order[0] >= stopped  # a first set's previous key: no tokens to outlive
            older.retires_at = activates_at if never_signed else max(activates_at, stopped + grace)
    return out


@dataclass(frozen=True)
class Moment:
    """What the functions above say of one key set at one time: what signing and the JWKS read."""

    signers: dict[str, Entry | None]
    published: tuple[str, ...]
    complete: bool


class Timeline:
    """The functions above for one key set, at any time, each computed once per stretch of time.

    Every state depends on ``now`` only through comparisons with the keys' activation and
    retirement times, so between two consecutive such times every answer is the same: the
    signing path and the JWKS (several times per request) ask this instead of working it out.
    """

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = list(entries)
        self._times = sorted({t for e in self.entries for t in (e.activates_at, e.retires_at) if t is not None})
        self._window: tuple[float, float, Moment] | None = None

    def at(self, now: float) -> Moment:
        window = self._window
        if window is not None and window[0] <= now < window[1]:
            return window[2]
        i = bisect.bisect_right(self._times, now)
        low = self._times[i - 1] if i else -math.inf
        high = self._times[i] if i < len(self._times) else math.inf
        moment = Moment(
            signers={alg: signer(self.entries, alg, now) for alg in {*ALGORITHMS, *(e.alg for e in self.entries)}},
            published=tuple(e.kid for e in published(self.entries, now)),
            complete=complete(self.entries, now),
        )
        self._window = (low, high, moment)
        return moment
