"""``explain``: what a number is, or every reason it is not valid, as an ordered table of rules."""

from __future__ import annotations

import calendar
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date

from mock_bankid.people.nnin.digits import (
    ASCII_DIGITS,
    K1_RESTS_2032,
    RULE_2032_FROM,
    _k1_sum,
    _k2_for,
    century_of,
    checksum_rule,
    control_digits,
    kind_name,
)


@dataclass(frozen=True)
class Explanation:
    """What a number is, or exactly why it is not a valid number.

    ``birthdate`` and ``gender`` are what the digits say whenever they can be read, even for an
    invalid number (a bad control digit does not hide the date); ``valid`` and ``problems`` say
    whether to trust them. ``kind`` is what the number looks like (None when it cannot be read).
    """

    number: str
    valid: bool
    kind: str | None
    birthdate: date | None
    century: int | None
    gender: str | None
    problems: list[str]
    notes: list[str] = field(default_factory=list)
    individual: str | None = None
    suggestion: str | None = None
    """A valid number with the same first nine digits (classic rule), when the typed one is not."""

    def summary(self) -> str:
        """One line for a terminal or a log."""
        if self.valid:
            bits = [kind_name(self.kind or "?")]
            if self.birthdate:
                bits.append(f"born {self.birthdate.isoformat()}")
            if self.gender:
                bits.append(self.gender)
            return f"{self.number}: valid, " + ", ".join(bits)
        return f"{self.number!r}: NOT valid: " + "; ".join(self.problems)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["birthdate"] = self.birthdate.isoformat() if self.birthdate else None
        d["kind_name"] = kind_name(self.kind) if self.kind else None
        return d


def _describe_char(pos: int, ch: str) -> str:
    if ch.isspace():
        what = "a space" if ch == " " else f"whitespace {unicodedata.name(ch, repr(ch))}"
        return f"character {pos} is {what}; BankID sends the 11 digits without separators"
    if ch in "-:./":
        return f"character {pos} is a separator {ch!r}; BankID sends the 11 digits without separators"
    if ch.isdigit():
        return (f"character {pos} is {ch!r} ({unicodedata.name(ch, '?')}), a digit but not an "
                "ASCII 0-9")
    return f"character {pos} is {ch!r}, not a digit"


def _without_separators(number: str) -> str:
    cleaned = "".join(c for c in unicodedata.normalize("NFKC", number) if not c.isspace() and c not in "-:.")
    return "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in cleaned)


@dataclass
class _Reading:
    """What the rules of ``explain`` have found out so far about one input (filled in rule by rule)."""

    given: object
    today: date
    shown: str = ""
    digits: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    suggestion: str | None = None
    rule_2032: bool = False
    kind: str | None = None
    individual: str | None = None
    day: int = 0
    month: int = 0
    yy: int = 0
    offset: int = 0
    is_d: bool = False
    date_ok: bool = True
    century: int | None = None
    birthdate: date | None = None
    gender: str | None = None

    def explanation(self) -> Explanation:
        return Explanation(self.shown, not self.problems, self.kind, self.birthdate, self.century, self.gender,
                           self.problems, self.notes, self.individual,
                           self.suggestion if self.problems else None)


_Rule = Callable[[_Reading], bool]
"""A rule of ``explain``: adds problems and notes, fills in fields; True when the reading is complete."""


def _rule_is_text(r: _Reading) -> bool:
    """A number that is not a ``str`` has already lost information (an int drops a leading zero)."""
    if isinstance(r.given, str):
        r.shown = r.given
        return False
    r.shown = repr(r.given)
    r.problems.append(f"is a {type(r.given).__name__}, not text: keep identity numbers as str "
                      "(an int loses the leading zero of days 01-09)")
    return True


def _rule_eleven_ascii_digits(r: _Reading) -> bool:
    """Exactly 11 ASCII digits; otherwise say which characters are wrong, and what it reads as without them."""
    number = r.shown
    bad = [(i, c) for i, c in enumerate(number, 1) if c not in ASCII_DIGITS]
    if len(number) == 11 and not bad:
        r.digits = number
        r.individual = number[6:9]
        return False
    if not number:
        r.problems.append("is empty; a fødselsnummer has exactly 11 digits")
    elif len(number) != 11:
        r.problems.append(f"has {len(number)} characters; a fødselsnummer has exactly 11 digits")
    r.problems += [_describe_char(i, c) for i, c in bad[:5]]
    if len(bad) > 5:
        r.problems.append(f"... and {len(bad) - 5} more characters that are not digits")
    cleaned = _without_separators(number)
    if cleaned != number and len(cleaned) == 11 and set(cleaned) <= ASCII_DIGITS:
        inner = explain(cleaned, r.today)
        r.notes.append(f"without separators it reads {cleaned}: " + inner.summary().split(": ", 1)[1])
        r.suggestion = cleaned if inner.valid else None
    return True


def _rule_control_digits(r: _Reading) -> bool:
    """Control digits first: they are what a typo breaks.

    The classic rule is the yardstick; a number that fails it but passes the 2032 rule is valid
    (Skatteetaten asks every system to accept both side by side), with a note, because before
    2032 it is more likely a typo.
    """
    digits = r.digits
    first9 = digits[:9]
    classic = control_digits(first9)
    suggestion = None if classic is None else f"{first9}{classic[0]}{classic[1]}"
    r.suggestion = None if suggestion == digits else suggestion
    rule = checksum_rule(digits)
    r.rule_2032 = rule == "2032"
    if rule is None:
        s = _k1_sum(first9)
        k1_given, k2_given = int(digits[9]), int(digits[10])
        k1_classic = (-s) % 11
        if k1_classic == 10:
            r.problems.append(f"k1 (10th digit) can never be right: for the first nine digits {first9} "
                              "it computes to 10, so that individual number is not issued on that date")
        elif k1_given != k1_classic:
            r.problems.append(f"k1 (10th digit) is {k1_given}, should be {k1_classic}")
        k2_expected = _k2_for(digits[:10])
        if k2_expected == 10:
            r.problems.append(f"k2 (11th digit) can never be right: for the first ten digits "
                              f"{digits[:10]} it computes to 10, so that number is never issued")
        elif k2_expected != k2_given:
            r.problems.append(f"k2 (11th digit) is {k2_given}, should be {k2_expected}"
                              + (" to match the 10th digit as typed" if r.problems else ""))
        rest = (s + k1_given) % 11
        if k1_given != k1_classic and rest in K1_RESTS_2032 and k2_expected != 10:
            r.notes.append(f"the 10th digit would pass the k1 rule for numbers issued from 2032 "
                           f"(remainder {rest}); then the number would be {digits[:10]}{k2_expected}")
        if r.suggestion:
            r.notes.append(f"the valid number with the same first nine digits is {r.suggestion}")
    elif r.rule_2032:
        rest = (_k1_sum(first9) + int(digits[9])) % 11
        r.notes.append(f"k1 follows the rule for numbers issued from 1 Jan 2032 (the k1 sum leaves "
                       f"remainder {rest}); validators that know only the classic rule (python-stdnum "
                       "2.2) reject it")
        if r.today < RULE_2032_FROM and r.suggestion:
            r.notes.append(f"no number is issued under that rule before {RULE_2032_FROM.isoformat()}; "
                           f"if this was typed, {r.suggestion} (classic control digits) may be meant")
    return False


def _rule_fh_number(r: _Reading) -> bool:
    """FH-numbers: first digit 8 or 9, no date, no gender."""
    if r.digits[0] not in "89":
        return False
    r.kind = "fh" + ("-2032" if r.rule_2032 else "")
    r.notes.append("an FH-number (felles hjelpenummer) carries no birth date and no gender")
    return True


def _rule_kind(r: _Reading) -> bool:
    """The kind from the date fields: day + 40 is a D-number, month + 40 H/NAV, month + 80 Tenor."""
    digits = r.digits
    r.day, r.month, r.yy = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    r.is_d = r.day > 40
    if r.is_d:
        r.day -= 40
    r.offset = 80 if r.month > 80 else 40 if r.month > 40 else 0
    r.month -= r.offset
    base = {0: "fnr", 40: "hnr", 80: "tenor"}[r.offset]
    if r.is_d:
        base = "dnr" if base == "fnr" else base + "-dnr"
    r.kind = base + ("-2032" if r.rule_2032 else "")
    if r.is_d:
        r.notes.append("D-number: the date may be the registration date rather than the birth date (UDI)")
    if r.offset == 40:
        r.notes.append("month + 40 is both the H-number format and NAV's synthetic test numbers (Dolly)")
    if r.offset == 80:
        r.notes.append("month + 80 is a Tenor synthetic test number: python-stdnum and other classic "
                       "validators reject it")
    return False


def _rule_date_fields(r: _Reading) -> bool:
    """Month 1-12 and day 1-31 once the offsets are removed."""
    raw_dd, raw_mm, offset = r.digits[0:2], r.digits[2:4], r.offset
    if not 1 <= r.month <= 12:
        r.date_ok = False
        where = f" (after removing the +{offset})" if offset else ""
        r.problems.append(f"impossible date: month {raw_mm} is not a month{where}"
                          if not offset else f"impossible date: month {raw_mm} gives month {r.month:02d}{where}")
    if not 1 <= r.day <= 31:
        r.date_ok = False
        r.problems.append(f"impossible date: day {raw_dd} is not a day"
                          + (f" (a D-number adds 40, giving {r.day:02d})" if r.is_d else ""))
    return False


def _rule_2032_date(r: _Reading) -> bool:
    """A 2032-rule number carries no gender and no century: read the date as far as it goes, then stop."""
    if not r.rule_2032:
        return False
    dd, mm = r.day, r.month
    century = century_of(int(r.digits[6:9]), r.yy)
    r.notes.append("2032-rule numbers carry no gender and do not show the century: read both from "
                   "the birthdate claim / Folkeregisteret")
    if r.date_ok and century is not None:
        try:
            cand = date(century + r.yy, mm, dd)
            r.birthdate = cand if cand <= r.today else None
        except ValueError:
            pass
    if r.date_ok and r.birthdate is None:
        try:  # DDMM must exist in some year: 29 Feb is fine (leap years exist)
            date(2000, mm, dd)
        except ValueError:
            r.problems.append(f"impossible date: {dd:02d}.{mm:02d} does not exist")
    if r.birthdate:
        r.notes.append(f"read with the pre-2032 century table the date is {r.birthdate.isoformat()}")
    return True


def _rule_century_and_date(r: _Reading) -> bool:
    """The century from individual number + year, then the date must exist in that year."""
    r.century = century_of(int(r.digits[6:9]), r.yy)
    if r.century is None:
        r.problems.append(f"the century cannot be determined: individual number {r.digits[6:9]} with year "
                          f"{r.digits[4:6]} is in no series (500-749 is for 1854-1899, 900-999 for 1940-1999, "
                          "500-999 for 2000-2039)")
    elif r.date_ok:
        dd, mm, year = r.day, r.month, r.century + r.yy
        try:
            r.birthdate = date(year, mm, dd)
        except ValueError:
            why = (f"{year} is not a leap year" if (mm, dd) == (2, 29)
                   else f"{calendar.month_name[mm]} has {calendar.monthrange(year, mm)[1]} days")
            r.problems.append(f"impossible date: {dd:02d}.{mm:02d}.{year} does not exist ({why})")
    return False


def _rule_born_by_today(r: _Reading) -> bool:
    """A birth date after ``today`` is a reason for rejection."""
    if r.birthdate is not None and r.birthdate > r.today:
        r.problems.append(f"birth date {r.birthdate.isoformat()} is after today ({r.today.isoformat()}): "
                          "this person has not been born yet")
    return False


def _rule_reserve_series(r: _Reading) -> bool:
    """Say so when the number comes from the 900-999 reserve for births 1940-1999."""
    if r.century == 1900 and int(r.digits[6:9]) >= 900:
        r.notes.append("individual number from the 900-999 reserve series for births 1940-1999")
    return False


def _rule_gender(r: _Reading) -> bool:
    """The last digit of the individual number: odd for men, even for women."""
    r.gender = "male" if int(r.digits[6:9]) % 2 else "female"
    return False


EXPLAIN_RULES: tuple[_Rule, ...] = (
    _rule_is_text,
    _rule_eleven_ascii_digits,
    _rule_control_digits,
    _rule_fh_number,
    _rule_kind,
    _rule_date_fields,
    _rule_2032_date,
    _rule_century_and_date,
    _rule_born_by_today,
    _rule_reserve_series,
    _rule_gender,
)
"""The rules of ``explain``, in the order they apply; a rule returning True ends the reading."""


def explain(number: str, today: date) -> Explanation:
    """Say what ``number`` is (kind, birth date, century, gender) or every reason it is not valid.

    Strict on purpose: a relying party receives exactly these characters, so separators, spaces
    and non-ASCII digits make a number invalid (with a note saying what it would be without them).
    ``today`` (Europe/Oslo) is needed because a birth date after today is a reason for rejection.
    The reasons come from ``EXPLAIN_RULES``, applied in order.
    """
    reading = _Reading(given=number, today=today)
    for rule in EXPLAIN_RULES:
        if rule(reading):
            break
    return reading.explanation()


def is_valid(number: str, today: date) -> bool:
    """Shorthand for ``explain(number, today).valid``."""
    return explain(number, today).valid
