"""Ages, birthdays and the Oslo date: the birthday rule, and what to do about 29 February."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")

LEAP_POLICIES = ("mar1", "feb28")
DEFAULT_LEAP_POLICY = "mar1"
"""People born 29 Feb have their birthday on 1 March in non-leap years (so they turn 18 on 1 March).

No Norwegian source applies a rule to ages; the deadline analogy (domstolloven § 148) would give
28 Feb. 1 March is the conservative choice for an age gate: it never lets anyone in a day early,
and it is what the plain 'has the birthday passed' comparison gives. ``feb28`` is available.
"""


def birthday_in(birthdate: date, year: int, leap_policy: str = DEFAULT_LEAP_POLICY) -> date:
    """The date in ``year`` on which someone born on ``birthdate`` has their birthday."""
    if leap_policy not in LEAP_POLICIES:
        raise ValueError(f"leap_policy must be one of {LEAP_POLICIES}, not {leap_policy!r}")
    if (birthdate.month, birthdate.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 3, 1) if leap_policy == "mar1" else date(year, 2, 28)
    return birthdate.replace(year=year)


def age_on(birthdate: date, today: date, leap_policy: str = DEFAULT_LEAP_POLICY) -> int:
    """Age in whole years on ``today``: the birthday rule, never days / 365.x.

    Someone born 29 Feb turns a year older on 1 March in non-leap years (``DEFAULT_LEAP_POLICY``);
    pass ``leap_policy="feb28"`` for the other reading. Raises ValueError for a birth after today.
    """
    if birthdate > today:
        raise ValueError(f"born {birthdate.isoformat()}, after {today.isoformat()}: no age yet")
    return today.year - birthdate.year - (today < birthday_in(birthdate, today.year, leap_policy))


def oslo_today(now: datetime) -> date:
    """The calendar date in Europe/Oslo at the instant ``now`` (which must carry a timezone).

    Ages and 'turns 18 today' are judged on the Oslo date: 00:30 in Oslo is still yesterday in UTC.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware; a naive datetime has no Oslo date")
    return now.astimezone(OSLO).date()


def add_years(d: date, years: int) -> date:
    """``d`` moved by whole years; 29 Feb becomes 28 Feb when the target year has none."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def born_turning(age: int, on: date) -> date | None:
    """The birth date of someone whose ``age``-th birthday is ``on``, or None if nobody has one.

    Nobody has a birthday on 29 Feb of a year ``age`` years after a non-leap year (with the
    1-March rule those born 29 Feb celebrate on 1 March), so that case returns None.
    """
    try:
        return on.replace(year=on.year - age)
    except ValueError:
        return None
