"""Norwegian national identity numbers (NNIN): make them, check them, explain them, and ages.

One module holds every rule so the login page, the CLI and the personas agree. The rules and
their sources are Skatteetaten's pages, listed in docs/personas.md; the short version:

* ``DDMMYY`` + a 3-digit individual number + two mod-11 control digits k1, k2. A control digit
  that computes to 10 means that individual number is never issued on that date.
* The century comes from the individual number together with YY (``century_of``); the last digit
  of the individual number is odd for men and even for women.
* D-number: day + 40. H-number and NAV synthetic (Dolly): month + 40 (one format, kind ``hnr``).
  Tenor synthetic (Skatteetaten's test Folkeregister): month + 80, also combined with D.
  FH-number: first digit 8 or 9, no date, no gender.
* Numbers issued from 1 Jan 2032 use a wider k1 rule (the k1 sum may leave a remainder of 0-3),
  carry no gender and do not show the century. A number that passes only that rule gets a
  ``-2032`` suffix on its kind (``fnr-2032``, ``dnr-2032``).

Numbers are always ``str``: an ``int`` loses the leading zero of everyone born on days 01-09.
"""

from __future__ import annotations

import calendar
import hashlib
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")

K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
K1_RESTS_2032 = (0, 1, 2, 3)
"""From 2032 the weighted k1 sum (k1 included) may leave these remainders mod 11 (Skatteetaten)."""

ASCII_DIGITS = frozenset("0123456789")
RULE_2032_FROM = date(2032, 1, 1)
"""Numbers issued from this date may use the wider k1 rule."""
FIRST_YEAR, LAST_YEAR = 1854, 2039
"""The individual-number table covers births 1854-2039 and nothing else."""

GENDERS = ("male", "female")
KINDS = ("fnr", "dnr", "hnr", "hnr-dnr", "tenor", "tenor-dnr", "fh",
         "fnr-2032", "dnr-2032", "hnr-2032", "hnr-dnr-2032", "tenor-2032", "tenor-dnr-2032", "fh-2032")
"""Every kind ``explain`` can report for a valid number; ``generate`` makes all but ``fh``."""

KIND_ALIASES = {
    "ordinary": "fnr", "fodselsnummer": "fnr", "fødselsnummer": "fnr",
    "d": "dnr", "d-number": "dnr",
    "h": "hnr", "h-number": "hnr", "nav": "hnr", "nav-synthetic": "hnr", "dolly": "hnr",
    "synthetic": "tenor", "tenor-d": "tenor-dnr", "tenor-d-number": "tenor-dnr",
    "2032": "fnr-2032", "fh-number": "fh",
}

KIND_NAMES = {
    "fnr": "ordinary fødselsnummer",
    "dnr": "D-number (day + 40)",
    "hnr": "H-number or NAV synthetic test number (month + 40)",
    "hnr-dnr": "NAV synthetic D-number (day + 40, month + 40)",
    "tenor": "Tenor synthetic test number (month + 80)",
    "tenor-dnr": "Tenor synthetic D-number (day + 40, month + 80)",
    "fh": "FH-number (felles hjelpenummer; no date, no gender)",
}


def kind_name(kind: str) -> str:
    """A reader's name for a kind, e.g. ``fnr-2032`` -> 'ordinary fødselsnummer, 2032 rule'."""
    if kind.endswith("-2032"):
        return f"{KIND_NAMES.get(kind[:-5], kind[:-5])}, issued under the 2032 control-digit rule"
    return KIND_NAMES.get(kind, kind)


def normalise_kind(kind: str) -> str:
    """Accept the CLI's and QA's spellings (``ordinary``, ``d``, ``h``, ``nav``...); return a kind."""
    k = kind.strip().lower().replace("_", "-").replace("+", "-")
    k = KIND_ALIASES.get(k, k)
    if k not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)} "
                         f"(or ordinary, d, h, nav, tenor-d, 2032)")
    return k


def normalise_gender(gender: str | None) -> str | None:
    """``m``/``f``/``male``/``female`` (any case) -> ``male``/``female``; None stays None."""
    if gender is None:
        return None
    g = gender.strip().lower()
    if g in ("m", "male", "mann"):
        return "male"
    if g in ("f", "female", "k", "kvinne"):
        return "female"
    raise ValueError(f"unknown gender {gender!r}; use m or f (male/female)")


# --- control digits -----------------------------------------------------------------------------

def _k1_sum(first9: str) -> int:
    return sum(w * int(c) for w, c in zip(K1_WEIGHTS, first9, strict=True))


def _k2_for(first10: str) -> int:
    """k2 for ten digits; 10 means 'not usable'."""
    return (-sum(w * int(c) for w, c in zip(K2_WEIGHTS, first10, strict=True))) % 11


def _check_first9(first9: str) -> None:
    if not (isinstance(first9, str) and len(first9) == 9 and set(first9) <= ASCII_DIGITS):
        raise ValueError(f"need exactly 9 ASCII digits, got {first9!r}")


def control_digits(first9: str) -> tuple[int, int] | None:
    """The classic (k1, k2) for nine digits, or None when either computes to 10.

    None is not an error: it means this individual number is never issued on this date, which is
    why a generator must skip it and why a typed number ending in it can never be valid.
    """
    _check_first9(first9)
    k1 = (-_k1_sum(first9)) % 11
    if k1 == 10:
        return None
    k2 = _k2_for(first9 + str(k1))
    if k2 == 10:
        return None
    return k1, k2


def control_digits_2032(first9: str) -> list[tuple[int, int, int]]:
    """Every (rest, k1, k2) the 2032 rule allows for nine digits, rest 0 (= classic) first.

    From 1 Jan 2032 the k1 sum may leave a remainder of 0, 1, 2 or 3, so k1 can take up to four
    values; k2 is computed as before, and a 10 in either place is still discarded.
    """
    _check_first9(first9)
    s = _k1_sum(first9)
    out = []
    for rest in K1_RESTS_2032:
        k1 = (rest - s) % 11
        if k1 == 10:
            continue
        k2 = _k2_for(first9 + str(k1))
        if k2 != 10:
            out.append((rest, k1, k2))
    return out


def checksum_rule(number: str) -> str | None:
    """'classic' if the 11 digits pass the classic rule, '2032' if only the 2032 rule, else None."""
    if not (isinstance(number, str) and len(number) == 11 and set(number) <= ASCII_DIGITS):
        return None
    rest = (_k1_sum(number[:9]) + int(number[9])) % 11
    if rest not in K1_RESTS_2032 or _k2_for(number[:10]) != int(number[10]):
        return None
    return "classic" if rest == 0 else "2032"


# --- century ------------------------------------------------------------------------------------

def century_of(individual: int, yy: int) -> int | None:
    """The century (1800, 1900, 2000) that individual number + two-digit year decode to, or None.

    000-499: 1900s. 500-749 with YY >= 54: 1854-1899. 500-999 with YY < 40: 2000-2039.
    900-999 with YY >= 40: the 1940-1999 reserve. Anything else (750-899 with YY >= 40, 500-749
    with YY 40-53) names no century: such a number can never be valid.
    """
    if individual <= 499:
        return 1900
    if individual >= 900 and yy >= 40:
        return 1900
    if individual <= 749 and yy >= 54:
        return 1800
    if yy < 40:
        return 2000
    return None


def _series(year: int, reserve_900: bool) -> list[range]:
    """Individual-number series for a birth year, in the order a generator should try them."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"birth year {year} is outside {FIRST_YEAR}-{LAST_YEAR}, "
                         "the years a Norwegian identity number can encode")
    if reserve_900 and not 1940 <= year <= 1999:
        raise ValueError("the 900-999 reserve series is only for births 1940-1999")
    if year <= 1899:
        return [range(500, 750)]
    if year <= 1999:
        if reserve_900:
            return [range(900, 1000)]
        return [range(0, 500), range(900, 1000)] if year >= 1940 else [range(0, 500)]
    return [range(500, 1000)]


# --- generate -----------------------------------------------------------------------------------

def _candidates(birthdate: date, gender: str | None, kind: str, rule_2032: bool,
                reserve_900: bool) -> Iterator[str]:
    base = kind[:-5] if kind.endswith("-2032") else kind
    day = birthdate.day + (40 if base.endswith("dnr") else 0)
    month = birthdate.month + (80 if base.startswith("tenor") else 40 if base.startswith("hnr") else 0)
    prefix = f"{day:02d}{month:02d}{birthdate.year % 100:02d}"
    series = _series(birthdate.year, reserve_900)
    if not rule_2032:
        parity = 1 if gender == "male" else 0
        for rng in series:
            for ind in rng:
                if ind % 2 != parity:
                    continue
                first9 = f"{prefix}{ind:03d}"
                k = control_digits(first9)
                if k is not None:
                    yield f"{first9}{k[0]}{k[1]}"
        return
    # 2032 rule: gender-neutral, allocated from the top of the series downwards (Skatteetaten),
    # and only numbers that NEED the new rule (k1 rest 1-3), so they differ from classic ones.
    for rng in series[::-1]:
        for ind in reversed(rng):
            first9 = f"{prefix}{ind:03d}"
            for rest, k1, k2 in control_digits_2032(first9):
                if rest:
                    yield f"{first9}{k1}{k2}"


def generate(birthdate: date, gender: str | None, kind: str = "fnr", index: int = 0,
             rule_2032: bool = False, *, reserve_900: bool = False) -> str:
    """The ``index``-th valid number of ``kind`` for a birth date and gender, deterministically.

    Classic numbers take the lowest individual numbers of the birth year's series first (real
    allocation runs downwards, so low numbers are the least likely to belong to someone) and skip
    any whose control digit would be 10. ``reserve_900`` uses the 900-999 series (1940-1999).
    A ``-2032`` kind or ``rule_2032=True`` makes a number that passes only the 2032 k1 rule; those
    are gender-neutral, so ``gender`` is ignored, and they are taken from the top of the series
    (999 down) so the digits still decode to the right century. Kinds: see ``KINDS`` (not fh; use
    ``generate_fh``). Raises ValueError for a year outside 1854-2039 or an exhausted index.
    """
    kind = normalise_kind(kind)
    if kind.startswith("fh"):
        raise ValueError("an FH-number has no birth date; use generate_fh(index)")
    if kind.endswith("-2032"):
        rule_2032 = True
    elif rule_2032:
        kind = kind + "-2032"
    g = normalise_gender(gender)
    if g is None and not rule_2032:
        raise ValueError("gender is required (male or female) except for 2032-rule numbers")
    if not isinstance(index, int) or index < 0:
        raise ValueError(f"index must be a whole number >= 0, not {index!r}")
    for i, number in enumerate(_candidates(birthdate, g, kind, rule_2032, reserve_900)):
        if i == index:
            return number
    raise ValueError(f"no {kind} number #{index} exists for {birthdate.isoformat()} ({g or 'any'}): "
                     "the series for that date is used up")


def generate_fh(index: int = 0) -> str:
    """The ``index``-th deterministic FH-number: first digit 8, pseudo-random rest, valid k1/k2.

    FH-numbers are random by design (NHN); hashing the index keeps them reproducible.
    """
    n = index
    while True:
        digest = hashlib.sha256(f"mock-bankid-fh:{n}".encode()).hexdigest()
        first9 = "8" + "".join(str(int(c, 16) % 10) for c in digest[:8])
        k = control_digits(first9)
        if k is not None:
            return f"{first9}{k[0]}{k[1]}"
        n += 1_000_003


# --- explain ------------------------------------------------------------------------------------

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


# --- age and today ------------------------------------------------------------------------------

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


__all__ = [
    "Explanation", "KINDS", "GENDERS", "LEAP_POLICIES", "DEFAULT_LEAP_POLICY", "OSLO",
    "add_years", "age_on", "birthday_in", "born_turning", "century_of", "checksum_rule",
    "control_digits", "control_digits_2032", "explain", "generate", "generate_fh", "is_valid",
    "kind_name", "normalise_gender", "normalise_kind", "oslo_today",
]
