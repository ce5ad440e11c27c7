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

The package: ``digits`` (kinds, control digits, century, generating), ``rules`` (``explain``: the
ordered rules that say what a number is or why not) and ``age`` (birthdays, ages, the Oslo date). Import
everything from ``mock_bankid.people.nnin``.
"""

from __future__ import annotations

from mock_bankid.people.nnin.age import (
    DEFAULT_LEAP_POLICY,
    LEAP_POLICIES,
    OSLO,
    add_years,
    age_on,
    birthday_in,
    born_turning,
    oslo_today,
)
from mock_bankid.people.nnin.digits import (
    ASCII_DIGITS,
    FIRST_YEAR,
    GENDERS,
    K1_RESTS_2032,
    K1_WEIGHTS,
    K2_WEIGHTS,
    KIND_ALIASES,
    KIND_NAMES,
    KINDS,
    LAST_YEAR,
    RULE_2032_FROM,
    century_of,
    checksum_rule,
    control_digits,
    control_digits_2032,
    generate,
    generate_fh,
    kind_name,
    normalise_gender,
    normalise_kind,
)
from mock_bankid.people.nnin.rules import EXPLAIN_RULES, Explanation, explain, is_valid

__all__ = [
    "Explanation", "KINDS", "GENDERS", "LEAP_POLICIES", "DEFAULT_LEAP_POLICY", "OSLO",
    "add_years", "age_on", "birthday_in", "born_turning", "century_of", "checksum_rule",
    "control_digits", "control_digits_2032", "explain", "generate", "generate_fh", "is_valid",
    "kind_name", "normalise_gender", "normalise_kind", "oslo_today",
    # the tables behind the functions
    "ASCII_DIGITS", "EXPLAIN_RULES", "FIRST_YEAR", "K1_RESTS_2032", "K1_WEIGHTS", "K2_WEIGHTS",
    "KIND_ALIASES", "KIND_NAMES", "LAST_YEAR", "RULE_2032_FROM",
]
