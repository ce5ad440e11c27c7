"""The digits: kinds, control digits (classic and 2032), the century table, and generating numbers."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date

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
