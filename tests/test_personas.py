"""Fixture personas: every one loads and is what its purpose says, on any date the suite runs."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from faker.providers.person.no_NO import Provider as NoPersonProvider
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_bankid.core.clock import Clock
from mock_bankid.people import nnin
from mock_bankid.people.personas import Persona, PersonaError, PersonaRegistry

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

REQUIRED_IDS = ["adult", "under-18", "turns-18-today", "turns-18-tomorrow", "leap-day", "tenor",
                "d-number", "bad-checksum", "wrong-length"]
ISSUE_IDS = ["adult-1985", "adult-25", "adult-67", "born-1899", "born-2000", "series-900",
             "h-number", "tenor-d-number", "rule-2032", "letters", "bad-k1", "bad-k2",
             "impossible-date", "future-birth", "all-zeros", "unknown-century", "minor-child"]

# Dates that stress the recipes: the reference's frozen day, 28/29 Feb and 1 Mar in leap and
# non-leap years, year ends, the 2032 switch, and late in the number scheme.
DATES = [date(2026, 6, 15), date(2026, 11, 21), date(2026, 1, 1), date(2026, 2, 28),
         date(2026, 3, 1), date(2027, 2, 28), date(2027, 3, 1), date(2028, 2, 28),
         date(2028, 2, 29), date(2028, 3, 1), date(2029, 2, 28), date(2030, 12, 31),
         date(2032, 1, 1), date(2039, 6, 30)]


def plain_age(born: date, today: date) -> int:
    """Independent age: the tuple comparison (which is the 1-March rule for 29 Feb)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


FIXED = {  # id -> (number, kind, birth date from the reference tables)
    "adult-1985": ("12038500110", "fnr", date(1985, 3, 12)),
    "series-900": ("04077590043", "fnr", date(1975, 7, 4)),
    "born-2000": ("01010050053", "fnr", date(2000, 1, 1)),
    "leap-day-adult": ("29029600366", "fnr", date(1996, 2, 29)),
    "born-1899": ("01129950184", "fnr", date(1899, 12, 1)),
    "born-1900": ("01010000110", "fnr", date(1900, 1, 1)),
    "d-number": ("63049000148", "dnr", date(1990, 4, 23)),
    "h-number": ("13527200029", "hnr", date(1972, 12, 13)),
    "tenor": ("30918700079", "tenor", date(1987, 11, 30)),
    "tenor-d-number": ("48887900038", "tenor-dnr", date(1979, 8, 8)),
    "rule-2032": ("30108299939", "fnr-2032", date(1982, 10, 30)),
    "birthdate-mismatch": ("12038500463", "fnr", date(1990, 1, 1)),
}
RECIPE_AGES = {  # id -> (kind, age on every day)
    "adult": ("fnr", 35), "adult-25": ("fnr", 25), "adult-67": ("fnr", 67), "code-device": ("fnr", 45),
    "under-18": ("fnr", 17), "turns-18-tomorrow": ("fnr", 17), "minor-child": ("fnr", 11),
    "infant": ("fnr", 0), "d-number-minor": ("dnr", 15), "tenor-minor": ("tenor", 14),
    "turns-18-today": ("fnr", 18), "turned-18-yesterday": ("fnr", 18), "tenor-18-today": ("tenor", 18),
    "bankid-only": ("fnr", 52), "vipps-only": ("dnr", 29), "under-18-vipps": ("fnr", 16),
    "vipps-phone-changed": ("fnr", 38),
}
MALFORMED = {  # id -> (number, birthdate claim); the claim is None where the number has no date
    "bad-checksum": ("01010050035", date(2000, 1, 1)),
    "bad-k1": ("12038500153", date(1985, 3, 12)),
    "bad-k2": ("12038500111", date(1985, 3, 12)),
    "k1-is-10": ("12038548700", date(1985, 3, 12)),
    "wrong-length": ("1203850011", date(1985, 3, 12)),
    "too-long": ("120385001100", date(1985, 3, 12)),
    "letters": ("12038A00110", date(1985, 3, 12)),
    "spaced": ("120385 00110", date(1985, 3, 12)),
    "impossible-date": ("31029949932", None),
    "feb29-1900": ("29020049942", None),
    "all-zeros": ("00000000000", None),
    "unknown-century": ("01014569940", None),
}
PROVIDERS = {  # id -> providers, where a persona has other than BankID and Vipps
    "bankid-only": ("bankid",), "vipps-only": ("vipps",), "under-18-vipps": ("vipps",),
    "fh-number": ("bankid",), **{pid: ("bankid",) for pid in MALFORMED}, "future-birth": ("bankid",),
}
MALFORMED_REASON = {
    "bad-checksum": "k1 (10th digit) is 3, should be 5", "bad-k1": "k1 (10th digit) is 5, should be 1",
    "bad-k2": "k2 (11th digit) is 1, should be 0", "k1-is-10": "computes to 10",
    "wrong-length": "has 10 characters", "too-long": "has 12 characters",
    "letters": "not a digit", "spaced": "is a space", "impossible-date": "31.02.1999 does not exist",
    "feb29-1900": "1900 is not a leap year", "all-zeros": "day 00 is not a day",
    "unknown-century": "century cannot be determined", "future-birth": "has not been born yet",
}


@pytest.fixture(scope="module")
def registry() -> PersonaRegistry:
    return PersonaRegistry.load(FIXTURES)


def test_contract_shape():
    names = [f.name for f in dataclasses.fields(Persona)]
    assert names == ["id", "purpose", "group", "nnin", "kind", "birthdate", "gender", "given_name",
                     "family_name", "email", "phone_number", "address", "sub", "bankid_altsub",
                     "scenario", "purpose_nb", "method", "biometrics", "providers", "previous_phone_number"]
    assert [f.default for f in dataclasses.fields(Persona)[-6:]] == [  # optional fields
        None, None, "app", True, ("bankid", "vipps"), None]
    assert issubclass(PersonaError, ValueError)


def test_required_ids_exist_once(registry):
    ids = registry.ids
    assert len(ids) == len(set(ids))
    for pid in REQUIRED_IDS + ISSUE_IDS + list(FIXED) + list(RECIPE_AGES) + list(MALFORMED):
        assert pid in ids, pid
    assert {"adults", "minors", "edge", "malformed"} == {p.group for p in registry.all(DATES[0])}


def check_day(registry: PersonaRegistry, today: date) -> None:
    """Everything a persona's purpose promises, on ``today``."""
    people = registry.all(today)
    assert [p.id for p in people] == registry.ids  # fixture order
    assert len({p.nnin for p in people}) == len(people), "two personas share a number"
    for p in people:
        assert isinstance(p.nnin, str)
        e = nnin.explain(p.nnin, today)
        age = p.age(today)
        # group <-> validity and age
        if p.group == "malformed":
            assert not e.valid and p.kind == "malformed", p.id
            assert any(MALFORMED_REASON[p.id] in x for x in e.problems), (p.id, e.problems)
        else:
            assert e.valid, (p.id, e.problems)
            assert p.kind == e.kind, p.id
        if p.group == "adults":
            assert age is not None and age >= 18, p.id
        if p.group == "minors":
            assert age is not None and age < 18, p.id
        # the birthdate claim agrees with the digits wherever they carry a trustworthy date
        if e.valid and e.birthdate and p.id != "birthdate-mismatch":
            assert p.birthdate == e.birthdate, p.id
        if e.valid and e.gender:
            assert p.gender == e.gender, p.id
        if p.id in FIXED:
            number, kind, born = FIXED[p.id]
            assert (p.nnin, p.kind, p.birthdate) == (number, kind, born)
            assert age == plain_age(born, today)
        if p.id in RECIPE_AGES:
            kind, years = RECIPE_AGES[p.id]
            assert (p.kind, age, plain_age(p.birthdate, today)) == (kind, years, years), p.id
        if p.id in MALFORMED:
            assert (p.nnin, p.birthdate) == MALFORMED[p.id], p.id
        assert p.providers == PROVIDERS.get(p.id, ("bankid", "vipps")), p.id
        # Vipps only knows valid national identity numbers and D-numbers (docs/personas.md)
        assert not p.has("vipps") or (e.valid and not p.kind.startswith("fh")), p.id

    by = {p.id: p for p in people}
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    # turns-18-today: 18 today, 17 yesterday. On 29 Feb nobody turns 18 (18 years ago had no 29
    # Feb): the persona is then born 28 Feb and turned 18 yesterday (documented).
    t = by["turns-18-today"].birthdate
    if (today.month, today.day) == (2, 29):
        assert t == date(today.year - 18, 2, 28)
    else:
        assert t == date(today.year - 18, today.month, today.day)
        assert plain_age(t, yesterday) == 17
    assert by["tenor-18-today"].birthdate == t
    # turns-18-tomorrow: 17 today, 18 tomorrow (or the day after, when tomorrow is 29 Feb).
    t = by["turns-18-tomorrow"].birthdate
    if (tomorrow.month, tomorrow.day) == (2, 29):
        assert t == date(tomorrow.year - 18, 3, 1) and plain_age(t, tomorrow + timedelta(days=1)) == 18
    else:
        assert plain_age(t, tomorrow) == 18
    # turned-18-yesterday
    t = by["turned-18-yesterday"].birthdate
    if (yesterday.month, yesterday.day) == (2, 29):  # nobody turned 18 on 29 Feb: 28 Feb instead
        assert t == date(yesterday.year - 18, 2, 28)
    else:
        assert t == date(yesterday.year - 18, yesterday.month, yesterday.day)
        assert plain_age(t, yesterday - timedelta(days=1)) == 17
    assert plain_age(t, today) == 18
    # under-18: 17 years and 364 days, i.e. the 17th birthday was 364 days ago. When that day was
    # 29 Feb nobody had a 17th birthday then; the persona is born 28 Feb (365 days, still 17).
    u = by["under-18"].birthdate
    seventeenth = nnin.birthday_in(u, u.year + 17)
    ago = today - timedelta(days=364)
    if (ago.month, ago.day) == (2, 29):
        assert (today - seventeenth).days == 365
    else:
        assert (today - seventeenth).days == 364
    assert plain_age(u, today) == 17
    # leap-day: born 29 Feb, the one nearest to 18 years ago
    b = by["leap-day"].birthdate
    assert (b.month, b.day) == (2, 29)
    target = nnin.add_years(today, -18)
    assert abs((b - target).days) <= 2 * 366 + 1
    # future-birth: valid control digits, a birth date after today, and that date as the claim
    f = by["future-birth"]
    assert f.birthdate > today and f.age(today) is None and nnin.checksum_rule(f.nnin) == "classic"
    assert nnin.explain(f.nnin, f.birthdate).valid  # valid from the day of birth
    # no date, no age
    assert by["fh-number"].birthdate is None and by["fh-number"].age(today) is None
    assert by["rule-2032"].gender is None


@pytest.mark.parametrize("today", DATES, ids=[d.isoformat() for d in DATES])
def test_every_persona_is_what_it_claims(registry, today):
    check_day(registry, today)


@settings(max_examples=60, deadline=None)
@given(today=st.dates(date(2026, 1, 1), date(2039, 9, 1)))
def test_every_persona_is_what_it_claims_on_any_date(registry, today):
    check_day(registry, today)


def test_leap_day_persona_and_the_1_march_rule(registry):
    for today, age in ((date(2026, 2, 27), 17), (date(2026, 2, 28), 17), (date(2026, 3, 1), 18)):
        p = registry.get("leap-day", today)
        assert p.birthdate == date(2008, 2, 29) and p.nnin == "29020850025"  # P11
        assert p.age(today) == age
    adult = registry.get("leap-day-adult", date(2027, 2, 28))
    assert adult.age(date(2027, 2, 28)) == 30 and adult.age(date(2027, 3, 1)) == 31


def test_turns_18_today_follows_the_oslo_date_not_utc(registry):
    """00:30 in Oslo on 15 June is still 14 June in UTC: Oslo decides who is 18 today."""
    instant = datetime(2026, 6, 14, 22, 30, tzinfo=UTC)
    oslo = Clock(wall=instant.timestamp).oslo_today()
    assert oslo == date(2026, 6, 15)
    p = registry.get("turns-18-today", oslo)
    assert p.birthdate == date(2008, 6, 15) and p.age(oslo) == 18
    assert p.age(instant.date()) == 17  # what a UTC-dated gate would wrongly say
    assert registry.get("turns-18-today", instant.date()).birthdate == date(2008, 6, 14)
    winter = datetime(2026, 1, 14, 23, 30, tzinfo=UTC)  # 00:30 CET
    assert registry.get("turns-18-today", nnin.oslo_today(winter)).birthdate == date(2008, 1, 15)


def test_recipe_personas_keep_their_number_between_birthdays(registry):
    a, b = registry.get("adult", date(2026, 5, 17)), registry.get("adult", date(2027, 5, 16))
    assert a.nnin == b.nnin and a.birthdate == date(1991, 5, 17)
    assert registry.get("adult", date(2027, 5, 17)).birthdate == date(1992, 5, 17)


def test_details_are_stable_unique_and_well_formed(registry):
    days = [registry.all(d) for d in (date(2026, 6, 15), date(2031, 2, 28), date(2038, 12, 31))]
    for people in days:
        for key in ("sub", "bankid_altsub", "email", "phone_number"):
            values = [getattr(p, key) for p in people]
            assert len(set(values)) == len(values), key
    stable = ("sub", "bankid_altsub", "given_name", "family_name", "email", "phone_number", "address")
    for same in zip(*days, strict=True):
        assert len({json.dumps([getattr(p, k) for k in stable]) for p in same}) == 1, same[0].id
    for p in days[0]:
        assert re.fullmatch(r"\+47[49]\d{7}", p.phone_number), p.phone_number
        assert re.fullmatch(r"[a-z0-9.-]+@example\.com", p.email), p.email
        assert uuid.UUID(p.sub).version == 5
        assert re.fullmatch(r"9578-6000-4-\d{6,7}", p.bankid_altsub)
        a = p.address
        assert set(a) == {"formatted", "street_address", "postal_code", "locality", "region", "country"}
        assert a["country"] == "NO" and re.fullmatch(r"\d{4}", a["postal_code"])
        assert a["region"] == a["locality"] and a["region"]  # the town: Vipps's name and BankID's
        assert a["formatted"] == f"{a['street_address']}\n{a['postal_code']} {a['locality']}"
        assert p.name == f"{p.given_name} {p.family_name}"


def test_given_name_matches_the_gender(registry):
    male, female = set(NoPersonProvider.first_names_male), set(NoPersonProvider.first_names_female)
    checked = 0
    for p in registry.all(date(2026, 6, 15)):
        if p.gender:
            names = male if p.gender == "male" else female
            assert all(part in names for part in p.given_name.split("-")), (p.id, p.given_name)
            checked += 1
    assert checked > 25


@pytest.mark.forks
def test_same_person_in_another_process(registry):
    """Seeds come from hashlib, not hash(): a fresh interpreter makes the same people."""
    code = ("from datetime import date; from pathlib import Path; import json;"
            "from mock_bankid.people.personas import PersonaRegistry;"
            f"r = PersonaRegistry.load(Path({str(FIXTURES)!r}));"
            "print(json.dumps([[p.name, p.email, p.phone_number, p.sub, p.nnin]"
            " for p in r.all(date(2026, 6, 15))]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"})
    here = [[p.name, p.email, p.phone_number, p.sub, p.nnin] for p in registry.all(date(2026, 6, 15))]
    assert json.loads(out.stdout) == here


# --- resolve ------------------------------------------------------------------------------------

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize("selector", ["", "  ", "BID", "bid", "BIS", "bim", None])
def test_resolve_idp_selectors_name_nobody(registry, selector):
    assert registry.resolve(selector, TODAY) is None


def test_resolve_ids_and_numbers(registry):
    assert registry.resolve(" adult ", TODAY).id == "adult"
    assert registry.resolve("TENOR", TODAY).id == "tenor"
    for sel in ("BID:12038500110", "nnin:12038500110", "pid:12038500110", "12038500110",
                ":12038500110", "bid:12038500110:91234567:120385",
                '{"scheme": "nnin", "value": "12038500110"}'):
        assert registry.resolve(sel, TODAY).id == "adult-1985", sel
    # a recipe persona's number of the day finds that persona
    adult = registry.get("adult", TODAY)
    assert registry.resolve(f"BID:{adult.nnin}", TODAY) == adult


def test_resolve_unknown_numbers_become_people(registry):
    number = nnin.generate(date(2010, 1, 5), "male", index=3)
    assert number not in {p.nnin for p in registry.all(TODAY)}
    p = registry.resolve(f"BID:{number}", TODAY)
    assert (p.id, p.group, p.kind, p.birthdate, p.gender) == (
        f"nnin:{number}", "minors", "fnr", date(2010, 1, 5), "male")
    assert p.given_name in NoPersonProvider.first_names_male
    assert registry.resolve(number, TODAY) == p  # same person, however it is named
    assert registry.resolve(f"BID:{number}", date(2027, 1, 1)).sub == p.sub
    # on another day the same number can belong to a recipe persona (turns-18-tomorrow here)
    assert registry.resolve("BID:16060850198", TODAY).id == "turns-18-tomorrow"
    assert registry.resolve("BID:16060850198", date(2026, 6, 16)).id == "nnin:16060850198"

    bad = registry.resolve("12345678901", TODAY)  # bare, 11 characters, malformed
    assert (bad.group, bad.kind, bad.nnin) == ("malformed", "malformed", "12345678901")
    for sel, value in (("nnin:123", "123"), ("pid:abc", "abc"), ("BID:1203850011", "1203850011"),
                       ("nnin:120385 00110", "120385 00110")):
        p = registry.resolve(sel, TODAY)
        assert (p.nnin, p.group) == (value, "malformed")
    assert registry.resolve("BID:30918700079", TODAY).id == "tenor"
    fh = nnin.generate_fh(5)
    ok = registry.resolve("nnin:" + fh, TODAY)
    assert (ok.kind, ok.group, ok.birthdate, ok.gender) == ("fh", "edge", None, None)
    broken = registry.resolve("nnin:" + fh[:10] + str((int(fh[10]) + 1) % 10), TODAY)
    assert (broken.kind, broken.group) == ("malformed", "malformed")


def test_resolve_recipes(registry):
    p = registry.resolve("age:17", TODAY)
    assert (p.age(TODAY), p.kind, p.group) == (17, "fnr", "minors")
    assert p.id == "gen:age=17" and nnin.explain(p.nnin, TODAY).valid
    assert registry.resolve("age:17", TODAY) == p  # deterministic for the same recipe and date
    t = registry.resolve("kind:tenor", TODAY)
    assert (t.kind, t.age(TODAY), t.group) == ("tenor", 35, "edge")
    t = registry.resolve("age: 17 , kind: tenor, gender:F", TODAY)
    assert (t.id, t.kind, t.age(TODAY), t.gender) == ("gen:age=17,kind=tenor,gender=f", "tenor", 17, "female")
    assert registry.resolve(t.id, TODAY) == t  # a generated id resolves back to the same person
    b = registry.resolve("born:2008-06-15,kind:d", TODAY)
    assert (b.kind, b.birthdate, b.age(TODAY)) == ("dnr", date(2008, 6, 15), 18)
    c = registry.resolve("kind:2032,born:1982-10-30", TODAY)
    # 30108299939 belongs to the fixture rule-2032, so the generated person gets the next one
    assert (c.kind, c.nnin, c.gender) == ("fnr-2032", "30108299947", None)
    assert nnin.checksum_rule(c.nnin) == "2032"
    numbers = {registry.resolve(f"age:{n}", TODAY).nnin for n in range(0, 100)}
    assert len(numbers) == 100
    fixture_numbers = {p.nnin for p in registry.all(TODAY)}
    assert not numbers & fixture_numbers


def test_recipe_ages_hold_on_awkward_days(registry):
    for today in (date(2028, 2, 29), date(2027, 2, 28), date(2026, 12, 31), date(2026, 1, 1)):
        for n in (0, 17, 18, 90):
            assert registry.resolve(f"age:{n}", today).age(today) == n


@pytest.mark.parametrize("selector,message", [
    ("nobody", "unknown persona 'nobody'"),
    ("adult-19855", "Did you mean adult-1985"),  # 11 characters, but clearly a typo'd id
    ("turns-18-todya", "Did you mean turns-18-today"),
    ("1203850011", "use nnin:1203850011"),
    ("age:abc", "'abc' is not a whole number"),
    ("age:17,colour:blue", "unknown persona"),
    ("kind:zz", "unknown kind 'zz'"),
    ("gender:x", "unknown gender 'x'"),
    ("born:2099-01-01", "after today"),
    ("born:1800-01-01", "outside 1854-2039"),
    ("age:17,born:2000-01-01", "give age or born, not both"),
    ("BID:", "names no number"),
    ('{"scheme": "phone"}', "JSON login hint must be"),
    ("BIM:91234567:311399", "not a date"),
])
def test_resolve_errors_are_readable(registry, selector, message):
    with pytest.raises(PersonaError, match=re.escape(message)):
        registry.resolve(selector, TODAY)


def test_resolve_bim_hint(registry):
    adult = registry.get("adult", TODAY)
    hint = f"BIM:{adult.phone_number[3:]}:{adult.birthdate:%d%m%y}"
    assert registry.resolve(hint, TODAY) == adult
    p = registry.resolve("BIM:91234567:010190", TODAY)
    assert (p.phone_number, p.birthdate) == ("+4791234567", date(1990, 1, 1))


# --- loading ------------------------------------------------------------------------------------

def load_text(tmp_path: Path, text: str) -> PersonaRegistry:
    (tmp_path / "personas.toml").write_text(text, encoding="utf-8")
    return PersonaRegistry.load(tmp_path)


@pytest.mark.parametrize("body,message", [
    ('[[persona]]\nid="a"\npurpose="p"\ngroup="adults"\nnnin=12038500110\n', "must be quoted text"),
    ('[[persona]]\nid="a"\npurpose="p"\ngroup="adults"\n', "give either nnin"),
    ('[[persona]]\nid="a"\npurpose="p"\ngroup="adults"\nage=3\nnnin="12038500110"\n', "give either nnin"),
    ('[[persona]]\nid="a"\npurpose="p"\ngroup="grown-ups"\nage=30\n', "group must be one of"),
    ('[[persona]]\nid="a"\npurpose="p"\ngroup="adults"\nage=30\nagee=3\n',
     "(id a): unknown key 'agee' (did you mean 'age'?)"),
    ('[[persona]]\nid="A b"\npurpose="p"\ngroup="adults"\nage=30\n', "must be lowercase"),
    ('[[persona]]\nid="a"\ngroup="adults"\nage=30\n', "'purpose' is required"),
    ('[[persona]]\nid="a"\npurpose="p"\ngroup="adults"\nage=30\n' * 2, "appears twice"),
    ('[[persona]]\nid="a"\npurpose="p"\ngroup="adults"\nage=30\nbirthday="02-29"\n', "not 02-29"),
    ('[[persona]]\nid="a"\npurpose="p"\ngroup="adults"\nage=30\nkind="x"\n', "unknown kind"),
    ('[[persona]]\nid="a"\npurpose="p"\ngroup="adults"\nturns=18\non="someday"\n', "on must be"),
    ("[[persona]\n", "not valid TOML"),
    ("title = 'x'\n", "expected [[persona]] tables"),
])
def test_load_errors_name_the_problem(tmp_path, body, message):
    with pytest.raises(PersonaError, match=re.escape(message)):
        load_text(tmp_path, body)


def test_load_missing_file(tmp_path):
    with pytest.raises(PersonaError, match="no personas file"):
        PersonaRegistry.load(tmp_path)


@pytest.mark.parametrize("body,message", [
    ('nnin="12038500110"\nkind="tenor"\n', "kind says tenor but 12038500110 is fnr"),
    ('nnin="12038500110"\ngender="female"\n', "disagrees with the number's gender digit"),
    ('nnin="12038500110"\nbirthdate="1990-01-01"\n', "set birthdate_mismatch = true"),
    ('born_in_days=10\nkind="malformed"\n', "valid on 2026"[:5]),  # a future birth is malformed: fine
])
def test_fixture_consistency_is_checked_when_resolved(tmp_path, body, message):
    reg = load_text(tmp_path, f'[[persona]]\nid="a"\npurpose="p"\ngroup="adults"\n{body}')
    if "born_in_days" in body:
        assert reg.get("a", TODAY).kind == "malformed"
        return
    with pytest.raises(PersonaError, match=re.escape(message)):
        reg.all(TODAY)


def test_overrides_and_scenario(tmp_path):
    reg = load_text(tmp_path, '[[persona]]\nid="x"\npurpose="p"\ngroup="adults"\nage=40\n'
                              'given_name="Ærlig"\nfamily_name="Åsmund-Øien"\nscenario="slow-token"\n')
    p = reg.get("x", TODAY)
    assert (p.given_name, p.family_name, p.scenario, p.age(TODAY)) == (
        "Ærlig", "Åsmund-Øien", "slow-token", 40)
    assert p.email.startswith("aerlig.aasmund-oien") and p.email.isascii()
    assert reg.get("nope", TODAY) is None


def test_as_dict_is_dataclasses_asdict_plus_name_and_a_copy(registry: PersonaRegistry) -> None:
    """``as_dict`` is built by hand for speed: it must still equal what ``asdict`` gives, for every
    persona, and hand out a copy (claims code may change it without touching the persona)."""
    for p in registry.all(date(2026, 12, 2)):
        expected = {**dataclasses.asdict(p), "birthdate": p.birthdate.isoformat() if p.birthdate else None,
                    "name": p.name, "providers": list(p.providers)}
        assert p.as_dict() == expected, p.id
        copy = p.as_dict(date(2026, 12, 2))
        assert copy["age"] == p.age(date(2026, 12, 2))
        copy["address"]["street_address"] = "changed"
        assert p.address.get("street_address") != "changed"


# --- BankID, Vipps or both ----------------------------------------------------------------------

def test_each_provider_has_its_own_people(registry):
    bankid = [p.id for p in registry.for_provider("bankid", TODAY)]
    vipps = [p.id for p in registry.for_provider("vipps", TODAY)]
    assert bankid == [pid for pid in registry.ids if pid in bankid]  # file order
    assert "bankid-only" in bankid and "bankid-only" not in vipps
    for pid in ("vipps-only", "under-18-vipps"):
        assert pid in vipps and pid not in bankid
    assert "vipps-phone-changed" in bankid and "vipps-phone-changed" in vipps
    assert not set(MALFORMED) & set(vipps) and "fh-number" not in vipps and "adult" in vipps
    assert set(bankid) | set(vipps) == set(registry.ids)  # everyone has one at least
    with pytest.raises(PersonaError, match=re.escape("unknown provider 'mitid'; known: bankid, vipps")):
        registry.for_provider("mitid", TODAY)


def test_the_provider_personas_are_what_they_say(registry):
    vipps_only, minor = registry.get("vipps-only", TODAY), registry.get("under-18-vipps", TODAY)
    assert (vipps_only.kind, vipps_only.group, vipps_only.has("vipps"), vipps_only.has("bankid")) == (
        "dnr", "edge", True, False)
    assert (minor.age(TODAY), minor.group, minor.providers) == (16, "minors", ("vipps",))
    assert registry.get("bankid-only", TODAY).as_dict()["providers"] == ["bankid"]
    assert registry.get("adult", TODAY).as_dict()["providers"] == ["bankid", "vipps"]
    assert all(p.purpose_nb for p in registry.all(TODAY))


def test_a_changed_vipps_phone_number_keeps_the_one_stored_before(registry):
    people = registry.all(TODAY)
    changed = registry.get("vipps-phone-changed", TODAY)
    assert changed.has("bankid") and changed.has("vipps")
    assert changed.previous_phone_number == "+4791234567" != changed.phone_number
    assert changed.as_dict()["previous_phone_number"] == "+4791234567"
    assert changed.previous_phone_number not in {p.phone_number for p in people}  # nobody else's
    assert [p.id for p in people if p.previous_phone_number] == ["vipps-phone-changed"]


def test_vipps_reads_phone_email_address_and_birthdate_from_as_dict(registry):
    """What a Vipps userinfo needs: the fields exist for everyone with Vipps, and stay the same every day."""
    days = (date(2026, 6, 15), date(2031, 2, 28))
    for p in registry.for_provider("vipps", days[0]):
        d = p.as_dict()
        assert re.fullmatch(r"\+47\d{8}", d["phone_number"]) and d["email"].endswith("@example.com"), p.id
        assert {"street_address", "postal_code", "region", "country"} <= set(d["address"]), p.id
        assert d["address"]["country"] == "NO" and d["birthdate"], p.id
        later = registry.get(p.id, days[1]).as_dict()
        assert (later["phone_number"], later["email"], later["address"]) == (
            d["phone_number"], d["email"], d["address"]), p.id


def test_made_up_people_get_default_providers_and_recipes_may_choose(registry):
    assert registry.resolve("age:17", TODAY).providers == ("bankid", "vipps")
    assert registry.resolve("nnin:12345678901", TODAY).providers == ("bankid",)  # malformed
    assert registry.resolve("nnin:" + nnin.generate_fh(5), TODAY).providers == ("bankid",)
    teen = registry.resolve("age:16, providers:Vipps", TODAY)
    assert (teen.id, teen.providers, teen.age(TODAY)) == ("gen:age=16,providers=vipps", ("vipps",), 16)
    assert registry.resolve(teen.id, TODAY) == teen
    both = registry.resolve("providers:vipps+bankid", TODAY)
    assert (both.id, both.providers) == ("gen:providers=bankid+vipps", ("bankid", "vipps"))
    with pytest.raises(PersonaError, match=re.escape("unknown provider 'vips' (did you mean 'vipps'?)")):
        registry.resolve("age:16,providers:vips", TODAY)
    with pytest.raises(PersonaError, match="non-empty list"):
        registry.resolve("age:16,providers:+", TODAY)


ENTRY = '[[persona]]\nid="x"\npurpose="p"\ngroup="adults"\nage=30\n'


@pytest.mark.parametrize("extra,message", [
    ('providers=["bankid","vips"]\n',
     "personas.toml: persona #1 (id x): providers: unknown provider 'vips' (did you mean 'vipps'?). "
     "Known: bankid, vipps"),
    ("providers=[]\n", "personas.toml: persona #1 (id x): providers must be a non-empty list drawn from bankid, vipps"),
    ('providers="vipps"\n', "(id x): providers must be a non-empty list"),
    ("providers=[1]\n", "(id x): providers: unknown provider 1"),
    ("previous_phone_number=4791234567\n", "(id x): previous_phone_number must be quoted E.164 text"),
    ('previous_phone_number="91234567"\n', "(id x): previous_phone_number must be quoted E.164 text"),
    ('providrs=["vipps"]\n', "(id x): unknown key 'providrs' (did you mean 'providers'?)"),
])
def test_a_bad_providers_or_phone_key_is_one_line_naming_file_persona_and_key(tmp_path, extra, message):
    with pytest.raises(PersonaError, match=re.escape(message)) as raised:
        load_text(tmp_path, ENTRY + extra)
    assert str(tmp_path / "personas.toml") in str(raised.value) and "\n" not in str(raised.value)


def test_providers_as_written_and_a_previous_number_that_is_the_current_one(tmp_path):
    reg = load_text(tmp_path, ENTRY + 'providers=["vipps","bankid","vipps"]\n')
    assert reg.get("x", TODAY).providers == ("bankid", "vipps")  # PROVIDERS order, once each
    phone = reg.get("x", TODAY).phone_number
    reg = load_text(tmp_path, ENTRY + f'previous_phone_number="{phone}"\n')
    with pytest.raises(PersonaError, match=re.escape(f"persona x: previous_phone_number {phone} is the persona's")):
        reg.all(TODAY)
