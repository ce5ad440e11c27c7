"""The mock's clock: wall time plus an offset, so expiry can be tested without sleeping.

The offset has two parts: ``MOCK_BANKID_CLOCK_OFFSET`` fixed at start, and a shift that the
control surface stores in the shared store (so every worker moves together).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


class Clock:
    """Seconds since the epoch as the mock sees them."""

    def __init__(self, offset: float = 0.0, wall: Callable[[], float] = time.time) -> None:
        self.offset = float(offset)
        self._wall = wall
        self.shift: Callable[[], float] = lambda: 0.0
        """Replaced by the provider with a read of the shared, control-set shift."""

    def now(self) -> float:
        return self._wall() + self.offset + self.shift()

    def __call__(self) -> float:
        return self.now()

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)

    def oslo_today(self) -> date:
        """Today's date in Europe/Oslo: the date ages and 'turns 18 today' are judged on."""
        return self.datetime().astimezone(OSLO).date()
