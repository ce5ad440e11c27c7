"""Fixture entries and recipes: checking ``fixtures/personas.toml`` entries, and the birth date a recipe gives.

A recipe ("age 17", "turns 18 today", ``age:17,kind:tenor`` in a login_hint) is resolved against a
date passed in by the caller (the mock's Europe/Oslo today), so "turns 18 today" is true on every
day the suite runs. ``personas.PersonaRegistry`` turns the result into people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from mock_bankid.core.fixture_files import did_you_mean
from mock_bankid.people import nnin
from mock_bankid.people.details import hash_int
from mock_bankid.people.person import PROVIDERS

GROUPS = ("adults", "minors", "edge", "malformed")
DEFAULT_AGE = 35
RECIPE_KEYS = ("age", "born", "kind", "gender", "providers")
FIXTURE_KEYS = {
    "id", "purpose", "purpose_nb", "group", "nnin", "kind", "gender", "birthdate", "birthdate_mismatch",
    "given_name", "family_name", "scenario", "index", "reserve_900", "method", "biometrics",
    "providers", "previous_phone_number",
    # recipes
    "age", "birthday", "days", "born", "turns", "on", "leap_day_near", "born_in_days",
}
METHODS = ("app", "otp")
"""How a persona signs in to BankID High: the BankID app (``bid-app``) or a code device (``bid-otp``)."""
RECIPE_FIXTURE_KEYS = ("age", "born", "turns", "leap_day_near", "born_in_days")
PHONE_NUMBER = re.compile(r"\+[1-9]\d{7,14}")
"""A phone number as a fixture gives it: E.164, ``+`` and country code (``+4791234567``)."""


class PersonaError(ValueError):
    """Unknown persona, bad recipe or selector, or a broken fixtures file; the message is for a tester."""


@dataclass(frozen=True)
class Spec:
    """One fixture entry, checked at load time."""

    id: str
    purpose: str
    group: str
    raw: dict = field(repr=False)


def parse_date(value: Any, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise PersonaError(f"{what}: {value!r} is not a date (use YYYY-MM-DD)") from None


def bounded_int(value: Any, what: str, lo: int = 0, hi: int = 10_000) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise PersonaError(f"{what}: {value!r} is not a whole number") from None
    if not lo <= value <= hi:
        raise PersonaError(f"{what}: {value} is outside {lo}-{hi}")
    return value


def check_spec(raw: dict, where: str) -> Spec:
    unknown = [key for key in raw if key not in FIXTURE_KEYS]
    if unknown:
        named = "; ".join(f"{key!r}{did_you_mean(key, FIXTURE_KEYS)}" for key in unknown)
        pid = f" (id {raw['id']})" if isinstance(raw.get("id"), str) else ""
        raise PersonaError(f"{where}{pid}: unknown key {named}. Known keys: {', '.join(sorted(FIXTURE_KEYS))}")
    for key in ("id", "purpose", "group"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise PersonaError(f"{where}: '{key}' is required (text)")
    if "purpose_nb" in raw and (not isinstance(raw["purpose_nb"], str) or not raw["purpose_nb"].strip()):
        raise PersonaError(f"{where}: 'purpose_nb' must be text (the purpose in Norwegian)")
    if "method" in raw and raw["method"] not in METHODS:
        raise PersonaError(f"{where}: method must be one of {', '.join(METHODS)} (the BankID app or a code "
                           f"device), not {raw['method']!r}")
    if "biometrics" in raw and not isinstance(raw["biometrics"], bool):
        raise PersonaError(f"{where}: biometrics must be true or false")
    pid = raw["id"].strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", pid):
        raise PersonaError(f"{where}: id {pid!r} must be lowercase letters, digits and hyphens")
    where = f"{where} (id {pid})"
    if "providers" in raw:
        check_providers(raw["providers"], f"{where}: providers")
    if "previous_phone_number" in raw and not (isinstance(raw["previous_phone_number"], str)
                                               and PHONE_NUMBER.fullmatch(raw["previous_phone_number"])):
        raise PersonaError(f"{where}: previous_phone_number must be quoted E.164 text such as \"+4791234567\", "
                           f"not {raw['previous_phone_number']!r}")
    if raw["group"] not in GROUPS:
        raise PersonaError(f"{where}: group must be one of {', '.join(GROUPS)}, not {raw['group']!r}")
    recipes = [k for k in RECIPE_FIXTURE_KEYS if k in raw]
    if ("nnin" in raw) == bool(recipes) or len(recipes) > 1:
        found = ["nnin"] * ("nnin" in raw) + recipes
        raise PersonaError(f"{where}: give either nnin = \"...\" or exactly one recipe "
                           f"({', '.join(RECIPE_FIXTURE_KEYS)}); found {found}")
    if "nnin" in raw and not isinstance(raw["nnin"], str):
        raise PersonaError(f"{where}: nnin must be quoted text (an unquoted number loses leading zeros)")
    if "gender" in raw:
        try:
            nnin.normalise_gender(str(raw["gender"]))
        except ValueError as exc:
            raise PersonaError(f"{where}: {exc}") from None
    if "kind" in raw and raw["kind"] != "malformed":
        try:
            kind = nnin.normalise_kind(str(raw["kind"]))
        except ValueError as exc:
            raise PersonaError(f"{where}: {exc}") from None
        if recipes and kind == "fh":
            raise PersonaError(f"{where}: an FH-number has no birth date; give it as nnin = \"...\"")
    if "birthdate" in raw:
        parse_date(raw["birthdate"], f"{where}: birthdate")
    if "born" in raw:
        parse_date(raw["born"], f"{where}: born")
    if "age" in raw:
        bounded_int(raw["age"], f"{where}: age", 0, 150)
    if "days" in raw:
        if "age" not in raw:
            raise PersonaError(f"{where}: days goes with age (\"age years and days days\")")
        bounded_int(raw["days"], f"{where}: days", 0, 364)
    if "birthday" in raw:
        if "age" not in raw or "days" in raw:
            raise PersonaError(f"{where}: birthday (MM-DD) goes with age, without days")
        _birthday(raw["birthday"], where)
    if "turns" in raw:
        bounded_int(raw["turns"], f"{where}: turns", 1, 150)
        if raw.get("on", "today") not in ("today", "tomorrow", "yesterday"):
            raise PersonaError(f"{where}: on must be today, tomorrow or yesterday")
    elif "on" in raw:
        raise PersonaError(f"{where}: on goes with turns")
    if "leap_day_near" in raw:
        bounded_int(raw["leap_day_near"], f"{where}: leap_day_near", 0, 150)
    if "born_in_days" in raw:
        bounded_int(raw["born_in_days"], f"{where}: born_in_days", 1, 36500)
    if "index" in raw:
        bounded_int(raw["index"], f"{where}: index", 0, 999)
    return Spec(pid, " ".join(raw["purpose"].split()), raw["group"], raw)


def check_providers(value: Any, what: str) -> tuple[str, ...]:
    """A ``providers`` list as written (fixture list, or recipe names joined by ``+``): a non-empty
    selection of ``PROVIDERS``, returned in ``PROVIDERS`` order without repeats."""
    if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
        raise PersonaError(f"{what} must be a non-empty list drawn from {', '.join(PROVIDERS)} "
                           f"(e.g. [\"bankid\", \"vipps\"]), not {value!r}")
    unknown = [v for v in value if v not in PROVIDERS]
    if unknown:
        named = "; ".join(f"{v!r}{did_you_mean(str(v), PROVIDERS)}" for v in unknown)
        raise PersonaError(f"{what}: unknown provider {named}. Known: {', '.join(PROVIDERS)}")
    return tuple(p for p in PROVIDERS if p in value)


def _birthday(value: Any, where: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{2})-(\d{2})", str(value))
    try:
        if not m:
            raise ValueError
        d = date(2001, int(m[1]), int(m[2]))  # 2001: no 29 Feb, on purpose
    except ValueError:
        raise PersonaError(f"{where}: birthday must be MM-DD (not 02-29; use leap_day_near or born), "
                           f"not {value!r}") from None
    return d.month, d.day


def birthday_from_key(key: str) -> tuple[int, int]:
    d = date(2001, 1, 1) + timedelta(days=hash_int(key, "birthday") % 365)
    return d.month, d.day


def born_for_age(age: int, today: date, month_day: tuple[int, int]) -> date:
    """Born on ``month_day`` and exactly ``age`` on ``today`` (so the number changes once a year)."""
    m, d = month_day
    year = today.year - age - (1 if (m, d) > (today.month, today.day) else 0)
    return date(year, m, d)


def recipe_birthdate(spec: Spec, today: date) -> date:
    raw = spec.raw
    if "born" in raw:
        return parse_date(raw["born"], spec.id)
    if "age" in raw:
        age = bounded_int(raw["age"], "age", 0, 150)
        if "days" in raw:
            # "age years and days days": the age-th birthday was `days` days ago.
            last = today - timedelta(days=bounded_int(raw["days"], "days", 0, 364))
            return nnin.born_turning(age, last) or date(last.year - age, 2, 28)
        md = _birthday(raw["birthday"], spec.id) if "birthday" in raw else birthday_from_key(spec.id)
        return born_for_age(age, today, md)
    if "turns" in raw:
        age = bounded_int(raw["turns"], "turns", 1, 150)
        when = raw.get("on", "today")
        on = today + timedelta(days={"today": 0, "tomorrow": 1, "yesterday": -1}[when])
        born = nnin.born_turning(age, on)
        if born is None:
            # `on` is 29 Feb and nobody born `age` years earlier has a birthday then. "today" and
            # "yesterday" take 28 Feb (already that age); "tomorrow" takes 1 March (not yet).
            born = date(on.year - age, 3, 1) if when == "tomorrow" else date(on.year - age, 2, 28)
        return born
    if "leap_day_near" in raw:
        target = nnin.add_years(today, -bounded_int(raw["leap_day_near"], "leap_day_near", 0, 150))
        cands = [date(y, 2, 29) for y in range(target.year - 4, target.year + 5)
                 if y % 4 == 0 and (y % 100 or y % 400 == 0) and date(y, 2, 29) <= today]
        return min(cands, key=lambda d: (abs((d - target).days), d))
    if "born_in_days" in raw:
        born = min(today + timedelta(days=bounded_int(raw["born_in_days"], "born_in_days", 1, 36500)),
                   date(nnin.LAST_YEAR, 12, 31))
        if born <= today:
            raise PersonaError(f"{spec.id}: no future birth date fits the number scheme after "
                               f"{nnin.LAST_YEAR}-12-30")
        return born
    raise PersonaError(f"{spec.id}: no recipe")  # unreachable after check_spec


def looks_like_recipe(s: str) -> bool:
    body = s[4:] if s.lower().startswith("gen:") else s
    keys = [re.split(r"[:=]", part, maxsplit=1)[0].strip().lower() for part in body.split(",")]
    return bool(keys) and all(k in RECIPE_KEYS for k in keys) and bool(re.search(r"[:=]", body))


def parse_recipe(recipe: str) -> dict[str, str]:
    body = recipe.strip()
    if body.lower().startswith("gen:"):
        body = body[4:]
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in body.split(","))):
        m = re.fullmatch(r"([A-Za-z_]+)\s*[:=]\s*(.+)", part)
        if not m or m[1].lower() not in RECIPE_KEYS:
            raise PersonaError(f"recipe part {part!r} is not key:value with a key of "
                               f"{', '.join(RECIPE_KEYS)} (e.g. age:17,kind:tenor,gender:f,providers:vipps)")
        key, value = m[1].lower(), m[2].strip()
        if key == "kind":
            try:
                value = nnin.normalise_kind(value)
            except ValueError as exc:
                raise PersonaError(str(exc)) from None
        if key == "gender":
            try:
                value = "m" if nnin.normalise_gender(value) == "male" else "f"
            except ValueError as exc:
                raise PersonaError(str(exc)) from None
        if key == "age":
            value = str(bounded_int(value, "age", 0, 150))
        if key == "providers":
            names = [v.strip().lower() for v in value.split("+") if v.strip()]
            value = "+".join(check_providers(names, f"recipe part {part!r}"))
        out[key] = value
    return out
