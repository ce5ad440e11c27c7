"""Personas: the people who sign in to the mock.

Fixture personas live in ``fixtures/personas.toml`` (edited by QA; see the header there and
``docs/personas.md``). Each has a fixed number or a *recipe* ("age 17", "turns 18 today", ...);
recipes are resolved against a date passed in by the caller (the mock's Europe/Oslo today), so
"turns 18 today" is true on every day the suite runs. ``resolve`` also makes people on demand from
a login_hint or the next-login queue: a number (even a malformed one) or a recipe like
``age:17,kind:tenor``.

Faker (``no_NO``) supplies names, addresses and phone numbers only, seeded from the persona's id
(or number) through hashlib, so a persona is the same person every day and in every process.
Numbers and dates never come from Faker: they come from ``mock_bankid.nnin``.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import threading
import tomllib
import unicodedata
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from mock_bankid import jsontools, nnin

GROUPS = ("adults", "minors", "edge", "malformed")
IDP_SELECTORS = ("", "BID", "BIS", "BIM")
"""login_hint values that pick BankID's sign-in method and name nobody."""
NAMESPACE = uuid.UUID("6f1c3c1e-5b1a-5d7e-9a51-6d6f636b2d62")
"""Fixed namespace for persona ``sub`` values (uuid5), so they never change between runs."""
ALTSUB_PREFIX = "9578-6000-4-"
EMAIL_DOMAIN = "example.com"
"""Reserved for documentation (RFC 2606): no real person can be mailed by accident."""
DEFAULT_AGE = 35
RECIPE_KEYS = ("age", "born", "kind", "gender")
FIXTURE_KEYS = {
    "id", "purpose", "purpose_nb", "group", "nnin", "kind", "gender", "birthdate", "birthdate_mismatch",
    "given_name", "family_name", "scenario", "index", "reserve_900",
    # recipes
    "age", "birthday", "days", "born", "turns", "on", "leap_day_near", "born_in_days",
}
RECIPE_FIXTURE_KEYS = ("age", "born", "turns", "leap_day_near", "born_in_days")


class PersonaError(ValueError):
    """Unknown persona, bad recipe or selector, or a broken fixtures file; the message is for a tester."""


@dataclass(frozen=True)
class Persona:
    """One person who can sign in. ``nnin`` is exactly what goes into ``pid`` / ``nnin_altsub``."""

    id: str
    purpose: str
    group: str
    nnin: str
    kind: str
    birthdate: date | None
    gender: str | None
    given_name: str
    family_name: str
    email: str
    phone_number: str
    address: dict
    sub: str
    bankid_altsub: str
    scenario: str | None = None
    purpose_nb: str | None = None
    """The purpose in Norwegian (``purpose_nb`` in the fixtures), for the nb/nn pages."""

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def purpose_in(self, locale: str) -> str:
        """The purpose for a page in ``locale``: Norwegian where the fixture has it, else English."""
        return self.purpose_nb if locale in ("nb", "nn") and self.purpose_nb else self.purpose

    def age(self, today: date) -> int | None:
        """Whole years on ``today`` (1-March rule for 29 Feb); None without a birth date or before it."""
        if self.birthdate is None or self.birthdate > today:
            return None
        return nnin.age_on(self.birthdate, today)

    def as_dict(self, today: date | None = None) -> dict[str, Any]:
        """JSON-ready fields (plus ``name``, and ``age`` when ``today`` is given)."""
        d = asdict(self)
        d["birthdate"] = self.birthdate.isoformat() if self.birthdate else None
        d["name"] = self.name
        if today is not None:
            d["age"] = self.age(today)
        return d


# --- deterministic details ----------------------------------------------------------------------

def _hash_int(key: str, salt: str = "") -> int:
    """A stable integer for a key (``hash()`` is randomised per process, so use sha256)."""
    return int.from_bytes(hashlib.sha256(f"mock-bankid:{salt}:{key}".encode()).digest()[:8], "big")


def _hash_gender(key: str) -> str:
    return nnin.GENDERS[_hash_int(key, "gender") % 2]


_faker = None
_faker_lock = threading.Lock()


def _get_faker():
    global _faker
    if _faker is None:
        from faker import (
            Faker,  # imported late: it takes a moment, and only personas need it
        )

        _faker = Faker("no_NO")  # nb_NO / nn_NO do not exist in Faker
    return _faker


_TRANSLIT = str.maketrans({"æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "å": "aa", "Å": "Aa", "ß": "ss"})


def ascii_fold(text: str) -> str:
    """'Bjørn Ødegård' -> 'Bjorn Odegaard': Norwegian letters transliterated, other accents dropped."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    return "".join(c for c in text if not unicodedata.combining(c)).encode("ascii", "ignore").decode()


def person_details(seed_key: str, gender: str, given_name: str | None = None,
                   family_name: str | None = None) -> dict[str, Any]:
    """Names, e-mail, phone and address for a seed key: the same key gives the same person.

    Names are built from ``first_name_male/female`` + ``last_name`` because ``no_NO`` has no
    gendered name formats (``name_male()`` returns women's names about half the time). Phone
    numbers are Norwegian mobiles (+47, 8 digits starting 4 or 9): Faker's own formats include
    numbers starting 0 or 1, which do not exist.
    """
    with _faker_lock:
        fake = _get_faker()
        fake.seed_instance(_hash_int(seed_key, "faker"))
        given = fake.first_name_male() if gender == "male" else fake.first_name_female()
        family = fake.last_name()
        street, postcode, city = fake.street_address(), fake.postcode(), fake.city()
        rnd = fake.random
        phone = "+47" + rnd.choice("49") + "".join(str(rnd.randrange(10)) for _ in range(7))
    given = given_name or given
    family = family_name or family
    local = re.sub(r"[^a-z0-9.-]+", "", ascii_fold(f"{given}.{family}").lower().replace(" ", "."))
    email = f"{local}{_hash_int(seed_key, 'email') % 1000:03d}@{EMAIL_DOMAIN}"
    return {
        "given_name": given, "family_name": family, "email": email, "phone_number": phone,
        "address": {
            "formatted": f"{street}\n{postcode} {city}",
            "street_address": street, "postal_code": postcode, "locality": city, "country": "NO",
        },
    }


def stable_sub(key: str) -> str:
    """``sub``: a uuid5 of a fixed namespace, so it survives restarts and machines."""
    return str(uuid.uuid5(NAMESPACE, key))


def stable_altsub(key: str) -> str:
    """``bankid_altsub`` in BankID's shape (``9578-6000-4-470125``), derived from the key."""
    return f"{ALTSUB_PREFIX}{100000 + _hash_int(key, 'altsub') % 9_900_000}"


# --- fixtures -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Spec:
    """One fixture entry, checked at load time."""

    id: str
    purpose: str
    group: str
    raw: dict = field(repr=False)


def _parse_date(value: Any, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise PersonaError(f"{what}: {value!r} is not a date (use YYYY-MM-DD)") from None


def _int(value: Any, what: str, lo: int = 0, hi: int = 10_000) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise PersonaError(f"{what}: {value!r} is not a whole number") from None
    if not lo <= value <= hi:
        raise PersonaError(f"{what}: {value} is outside {lo}-{hi}")
    return value


def _check_spec(raw: dict, where: str) -> _Spec:
    unknown = set(raw) - FIXTURE_KEYS
    if unknown:
        raise PersonaError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                           f"known keys: {', '.join(sorted(FIXTURE_KEYS))}")
    for key in ("id", "purpose", "group"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise PersonaError(f"{where}: '{key}' is required (text)")
    if "purpose_nb" in raw and (not isinstance(raw["purpose_nb"], str) or not raw["purpose_nb"].strip()):
        raise PersonaError(f"{where}: 'purpose_nb' must be text (the purpose in Norwegian)")
    pid = raw["id"].strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", pid):
        raise PersonaError(f"{where}: id {pid!r} must be lowercase letters, digits and hyphens")
    where = f"{where} (id {pid})"
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
        _parse_date(raw["birthdate"], f"{where}: birthdate")
    if "born" in raw:
        _parse_date(raw["born"], f"{where}: born")
    if "age" in raw:
        _int(raw["age"], f"{where}: age", 0, 150)
    if "days" in raw:
        if "age" not in raw:
            raise PersonaError(f"{where}: days goes with age (\"age years and days days\")")
        _int(raw["days"], f"{where}: days", 0, 364)
    if "birthday" in raw:
        if "age" not in raw or "days" in raw:
            raise PersonaError(f"{where}: birthday (MM-DD) goes with age, without days")
        _birthday(raw["birthday"], where)
    if "turns" in raw:
        _int(raw["turns"], f"{where}: turns", 1, 150)
        if raw.get("on", "today") not in ("today", "tomorrow", "yesterday"):
            raise PersonaError(f"{where}: on must be today, tomorrow or yesterday")
    elif "on" in raw:
        raise PersonaError(f"{where}: on goes with turns")
    if "leap_day_near" in raw:
        _int(raw["leap_day_near"], f"{where}: leap_day_near", 0, 150)
    if "born_in_days" in raw:
        _int(raw["born_in_days"], f"{where}: born_in_days", 1, 36500)
    if "index" in raw:
        _int(raw["index"], f"{where}: index", 0, 999)
    return _Spec(pid, " ".join(raw["purpose"].split()), raw["group"], raw)


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


def _birthday_from_key(key: str) -> tuple[int, int]:
    d = date(2001, 1, 1) + timedelta(days=_hash_int(key, "birthday") % 365)
    return d.month, d.day


def _born_for_age(age: int, today: date, month_day: tuple[int, int]) -> date:
    """Born on ``month_day`` and exactly ``age`` on ``today`` (so the number changes once a year)."""
    m, d = month_day
    year = today.year - age - (1 if (m, d) > (today.month, today.day) else 0)
    return date(year, m, d)


def _recipe_birthdate(spec: _Spec, today: date) -> date:
    raw = spec.raw
    if "born" in raw:
        return _parse_date(raw["born"], spec.id)
    if "age" in raw:
        age = _int(raw["age"], "age", 0, 150)
        if "days" in raw:
            # "age years and days days": the age-th birthday was `days` days ago.
            last = today - timedelta(days=_int(raw["days"], "days", 0, 364))
            return nnin.born_turning(age, last) or date(last.year - age, 2, 28)
        md = _birthday(raw["birthday"], spec.id) if "birthday" in raw else _birthday_from_key(spec.id)
        return _born_for_age(age, today, md)
    if "turns" in raw:
        age = _int(raw["turns"], "turns", 1, 150)
        when = raw.get("on", "today")
        on = today + timedelta(days={"today": 0, "tomorrow": 1, "yesterday": -1}[when])
        born = nnin.born_turning(age, on)
        if born is None:
            # `on` is 29 Feb and nobody born `age` years earlier has a birthday then. "today" and
            # "yesterday" take 28 Feb (already that age); "tomorrow" takes 1 March (not yet).
            born = date(on.year - age, 3, 1) if when == "tomorrow" else date(on.year - age, 2, 28)
        return born
    if "leap_day_near" in raw:
        target = nnin.add_years(today, -_int(raw["leap_day_near"], "leap_day_near", 0, 150))
        cands = [date(y, 2, 29) for y in range(target.year - 4, target.year + 5)
                 if y % 4 == 0 and (y % 100 or y % 400 == 0) and date(y, 2, 29) <= today]
        return min(cands, key=lambda d: (abs((d - target).days), d))
    if "born_in_days" in raw:
        born = min(today + timedelta(days=_int(raw["born_in_days"], "born_in_days", 1, 36500)),
                   date(nnin.LAST_YEAR, 12, 31))
        if born <= today:
            raise PersonaError(f"{spec.id}: no future birth date fits the number scheme after "
                               f"{nnin.LAST_YEAR}-12-30")
        return born
    raise PersonaError(f"{spec.id}: no recipe")  # unreachable after _check_spec


class PersonaRegistry:
    """The fixture personas, resolved per date, plus personas made on demand by ``resolve``."""

    def __init__(self, specs: list[_Spec], source: Path | None = None) -> None:
        self._specs = list(specs)
        self.source = source
        self._cache: dict[date, tuple[list[Persona], dict[str, Persona], dict[str, Persona]]] = {}
        self._lock = threading.Lock()

    # --- loading --------------------------------------------------------------------------
    @classmethod
    def load(cls, fixtures_dir: Path) -> "PersonaRegistry":
        """Read and check ``fixtures_dir/personas.toml``; errors name the file and persona."""
        path = Path(fixtures_dir) / "personas.toml"
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise PersonaError(f"{path}: no personas file (set MOCK_BANKID_FIXTURES_DIR?)") from None
        except tomllib.TOMLDecodeError as exc:
            raise PersonaError(f"{path}: not valid TOML: {exc}") from None
        return cls.from_data(data, str(path), path)

    @classmethod
    def from_data(cls, data: dict, where: str = "personas", source: Path | None = None) -> "PersonaRegistry":
        entries = data.get("persona")
        if not isinstance(entries, list) or not entries:
            raise PersonaError(f"{where}: expected [[persona]] tables")
        specs, seen = [], set()
        for i, raw in enumerate(entries, 1):
            spec = _check_spec(raw, f"{where}: persona #{i}")
            if spec.id in seen:
                raise PersonaError(f"{where}: persona id {spec.id!r} appears twice")
            seen.add(spec.id)
            specs.append(spec)
        return cls(specs, source)

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self._specs]

    # --- fixture personas -----------------------------------------------------------------
    def all(self, today: date) -> list[Persona]:
        """Every fixture persona in file order, recipes resolved for ``today`` (cached per date)."""
        return list(self._resolved(today)[0])

    def get(self, persona_id: str, today: date) -> Persona | None:
        return self._resolved(today)[1].get(persona_id)

    def _resolved(self, today: date):
        hit = self._cache.get(today)
        if hit is None:
            built = self._build(today)
            by_id = {p.id: p for p in built}
            by_number: dict[str, Persona] = {}
            for p in built:
                by_number.setdefault(p.nnin, p)
            hit = (built, by_id, by_number)
            with self._lock:
                if len(self._cache) > 16:
                    self._cache.clear()
                self._cache[today] = hit
        return hit

    def _build(self, today: date) -> list[Persona]:
        fixed = {s.raw["nnin"] for s in self._specs if "nnin" in s.raw}
        used: set[str] = set(fixed)
        out = []
        for spec in self._specs:
            try:
                out.append(self._make(spec, today, used))
            except PersonaError:
                raise
            except ValueError as exc:
                raise PersonaError(f"persona {spec.id} on {today.isoformat()}: {exc}") from None
        return out

    def _make(self, spec: _Spec, today: date, used: set[str]) -> Persona:
        raw = spec.raw
        gender = nnin.normalise_gender(raw.get("gender"))
        if "nnin" in raw:
            number = raw["nnin"]
            exp = nnin.explain(number, today)
            kind = exp.kind if exp.valid else "malformed"
            if "kind" in raw and _kind_or_malformed(raw["kind"]) != kind:
                raise PersonaError(f"persona {spec.id}: kind says {raw['kind']} but {number} is "
                                   f"{kind} on {today.isoformat()} ({exp.summary()})")
            birthdate = exp.birthdate
            if "birthdate" in raw:
                given = _parse_date(raw["birthdate"], spec.id)
                if (exp.valid and birthdate and given != birthdate and not raw.get("birthdate_mismatch")
                        and not kind.endswith("-2032")):
                    raise PersonaError(f"persona {spec.id}: birthdate {given} disagrees with the number "
                                       f"({birthdate}); set birthdate_mismatch = true if that is the point")
                birthdate = given
            if exp.gender:
                if gender and gender != exp.gender and exp.valid:
                    raise PersonaError(f"persona {spec.id}: gender {gender} disagrees with the number's "
                                       f"gender digit ({exp.gender})")
                gender = gender or exp.gender
            seed = spec.id
        else:
            wanted = _kind_or_malformed(raw.get("kind", "fnr"))
            kind = "fnr" if wanted == "malformed" else wanted
            birthdate = _recipe_birthdate(spec, today)
            if gender is None and not kind.endswith("-2032"):
                gender = _hash_gender(spec.id)
            index = _int(raw.get("index", 0), "index")
            while True:
                number = nnin.generate(birthdate, gender, kind, index,
                                       reserve_900=bool(raw.get("reserve_900", False)))
                if number not in used:
                    break
                index += 1
            exp = nnin.explain(number, today)
            if not exp.valid:
                kind = "malformed"  # e.g. born_in_days: valid digits, birth date in the future
            if wanted == "malformed" and exp.valid:
                raise PersonaError(f"persona {spec.id}: kind malformed, but {number} is valid on {today}")
            seed = spec.id
        used.add(number)
        details = person_details(seed, gender or _hash_gender(seed),
                                 raw.get("given_name"), raw.get("family_name"))
        return Persona(id=spec.id, purpose=spec.purpose, group=spec.group, nnin=number, kind=kind,
                       birthdate=birthdate, gender=gender, sub=stable_sub(f"persona:{spec.id}"),
                       bankid_altsub=stable_altsub(f"persona:{spec.id}"),
                       scenario=raw.get("scenario"),
                       purpose_nb=" ".join(str(raw["purpose_nb"]).split()) if raw.get("purpose_nb") else None, **details)

    # --- on demand ------------------------------------------------------------------------
    def persona_for_number(self, number: str, today: date) -> Persona:
        """The fixture persona with exactly this number, else a person made up for it.

        Any text is accepted (QA types malformed numbers on purpose): kind, birth date and gender
        come from ``nnin.explain``; an invalid number gives group and kind ``malformed``.
        """
        hit = self._resolved(today)[2].get(number)
        if hit is not None:
            return hit
        exp = nnin.explain(number, today)
        return _synthesize(number, exp, today, f"nnin:{number}",
                           f"signed in by number: {exp.summary()}")

    def require(self, selector: str, today: date) -> Persona:
        """Like ``resolve``, but a selector that names nobody (``""``, ``BID``) is an error too:
        for callers that must end up with a person (the queue, token minting, the CLI)."""
        persona = self.resolve(selector, today)
        if persona is None:
            raise PersonaError(
                f"{selector!r} names nobody (a BankID method selector); give a persona id, a number or a recipe"
            )
        return persona

    def resolve(self, selector: str, today: date) -> Persona | None:
        """Who a login_hint / next-login entry names; None for an IdP selector that names nobody.

        Accepted: a persona id; ``BID:<number>``, ``nnin:<number>``, ``pid:<number>``,
        ``:<number>`` or a bare 11-character number (any characters, even malformed);
        ``BIM:<8-digit phone>:<ddmmyy>``; a JSON hint ``{"scheme": "nnin", "value": ...}``;
        a recipe ``age:17,kind:tenor`` (keys age, born, kind, gender; ``gen:`` prefix and ``=``
        allowed). Anything else raises PersonaError with a hint.
        """
        if selector is None:
            return None
        s = str(selector).strip()
        if s.upper() in IDP_SELECTORS:
            return None
        hit = self.get(s, today) or self.get(s.lower(), today)
        if hit is not None:
            return hit
        if s.startswith("{"):
            return self._resolve_json(s, today)
        m = re.fullmatch(r"(?is)(bid|bis|nnin|pid|)\s*:\s*(.*)", s)
        if m and not _looks_like_recipe(s):
            value = m[2].strip()
            if m[1].lower() in ("bid", "bis", "") and ":" in value:
                value = value.split(":", 1)[0].strip()  # BID:<nnin>:<phone>:<ddmmyy>: the nnin counts
            if not value:
                raise PersonaError(f"{s!r} names no number: write {m[1] or 'BID'}:<11 digits>")
            return self.persona_for_number(value, today)
        m = re.fullmatch(r"(?i)bim\s*:\s*(\d{8})\s*:\s*(\d{6})", s)
        if m:
            return self._resolve_bim(m[1], m[2], today)
        if len(s) == 11 and sum(c.isdigit() for c in s) >= 6:
            return self.persona_for_number(s, today)
        if _looks_like_recipe(s):
            return self.generated(s, today)
        raise PersonaError(self._unknown_message(s))

    def _unknown_message(self, s: str) -> str:
        close = difflib.get_close_matches(s.lower(), self.ids, n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        digits = sum(c.isdigit() for c in s)
        if digits >= 6:
            hint += (f" It has {len(s)} characters, not 11; to sign in with it on purpose, "
                     f"use nnin:{s}.")
        return (f"unknown persona {s!r}.{hint} Use a persona id (mock-bankid personas), an 11-digit "
                "number, nnin:<any value>, or a recipe such as age:17,kind:tenor "
                f"(keys: {', '.join(RECIPE_KEYS)}).")

    def _resolve_json(self, s: str, today: date) -> Persona:
        try:
            hint = jsontools.loads(s)
        except ValueError:
            raise PersonaError(f"login hint {s!r} is not valid JSON") from None
        if not (isinstance(hint, dict) and hint.get("scheme") == "nnin"
                and isinstance(hint.get("value"), str)):
            raise PersonaError('a JSON login hint must be {"scheme": "nnin", "value": "<number>"}')
        return self.persona_for_number(hint["value"].strip(), today)

    def _resolve_bim(self, phone: str, ddmmyy: str, today: date) -> Persona:
        """BankID on mobile hint: a fixture persona with that phone (and birth date), else a new one."""
        for p in self.all(today):
            if p.phone_number == f"+47{phone}" and p.birthdate and p.birthdate.strftime("%d%m%y") == ddmmyy:
                return p
        try:
            day, month, yy = int(ddmmyy[:2]), int(ddmmyy[2:4]), int(ddmmyy[4:])
            born = date(2000 + yy, month, day)
            if born > today:
                born = date(1900 + yy, month, day)
        except ValueError:
            raise PersonaError(f"BIM hint: {ddmmyy} is not a date (ddmmyy)") from None
        p = self.generated(f"born:{born.isoformat()}", today)
        return Persona(**{**asdict(p), "phone_number": f"+47{phone}", "id": f"bim:{phone}:{ddmmyy}"})

    def generated(self, recipe: str, today: date) -> Persona:
        """A fresh valid person for a recipe such as ``age:17,kind:tenor`` (deterministic per date).

        Keys: ``age`` N (default 35), ``born`` YYYY-MM-DD, ``kind`` (fnr, dnr, hnr, tenor,
        tenor-dnr, fnr-2032, ...), ``gender`` m|f. The birthday of an ``age`` recipe is fixed per
        recipe, so the person only changes once a year.
        """
        parts = _parse_recipe(recipe)
        canon = ",".join(f"{k}={parts[k]}" for k in RECIPE_KEYS if k in parts)
        pid = f"gen:{canon}" if canon else f"gen:age={DEFAULT_AGE}"
        try:
            kind = nnin.normalise_kind(parts.get("kind", "fnr"))
            if kind == "fh":
                number, birthdate, gender = nnin.generate_fh(_hash_int(pid) % 1000), None, None
            else:
                gender = nnin.normalise_gender(parts.get("gender"))
                if "born" in parts:
                    birthdate = _parse_date(parts["born"], "born")
                    if "age" in parts:
                        raise PersonaError("give age or born, not both")
                    if birthdate > today:
                        raise PersonaError(f"born {birthdate} is after today ({today}); "
                                           "use nnin:<number> to sign in with a future birth date")
                else:
                    birthdate = _born_for_age(_int(parts.get("age", DEFAULT_AGE), "age", 0, 150),
                                              today, _birthday_from_key(pid))
                if gender is None and not kind.endswith("-2032"):
                    gender = _hash_gender(pid)
                taken = self._resolved(today)[2]
                index = 0
                while True:
                    number = nnin.generate(birthdate, gender, kind, index)
                    if number not in taken:
                        break
                    index += 1
        except PersonaError:
            raise
        except ValueError as exc:
            raise PersonaError(f"recipe {recipe!r}: {exc}") from None
        exp = nnin.explain(number, today)
        p = _synthesize(number, exp, today, pid, f"generated from recipe {canon or 'age=35'}",
                        birthdate=birthdate, gender=gender)
        return p


def _kind_or_malformed(kind: Any) -> str:
    return "malformed" if kind == "malformed" else nnin.normalise_kind(str(kind))


def _looks_like_recipe(s: str) -> bool:
    body = s[4:] if s.lower().startswith("gen:") else s
    keys = [re.split(r"[:=]", part, maxsplit=1)[0].strip().lower() for part in body.split(",")]
    return bool(keys) and all(k in RECIPE_KEYS for k in keys) and bool(re.search(r"[:=]", body))


def _parse_recipe(recipe: str) -> dict[str, str]:
    body = recipe.strip()
    if body.lower().startswith("gen:"):
        body = body[4:]
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in body.split(","))):
        m = re.fullmatch(r"([A-Za-z_]+)\s*[:=]\s*(.+)", part)
        if not m or m[1].lower() not in RECIPE_KEYS:
            raise PersonaError(f"recipe part {part!r} is not key:value with a key of "
                               f"{', '.join(RECIPE_KEYS)} (e.g. age:17,kind:tenor,gender:f)")
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
            value = str(_int(value, "age", 0, 150))
        out[key] = value
    return out


def _synthesize(number: str, exp: nnin.Explanation, today: date, pid: str, purpose: str,
                birthdate: date | None = None, gender: str | None = None) -> Persona:
    """A persona for a number nobody in the fixtures has; everything keyed on the number."""
    birthdate = birthdate or exp.birthdate
    gender = gender or exp.gender
    if not exp.valid:
        group, kind = "malformed", "malformed"
    else:
        kind = exp.kind or "fnr"
        age = nnin.age_on(birthdate, today) if birthdate and birthdate <= today else None
        group = "minors" if age is not None and age < 18 else "adults" if kind == "fnr" else "edge"
    key = f"nnin:{number}"
    details = person_details(key, gender or _hash_gender(key))
    return Persona(id=pid, purpose=purpose, group=group, nnin=number, kind=kind, birthdate=birthdate,
                   gender=gender, sub=stable_sub(key), bankid_altsub=stable_altsub(key), **details)


def persona_for_number(registry: PersonaRegistry, number: str, today: date) -> Persona:
    """Module-level shorthand for ``registry.persona_for_number``."""
    return registry.persona_for_number(number, today)


__all__ = ["GROUPS", "Persona", "PersonaError", "PersonaRegistry", "ascii_fold", "person_details",
           "persona_for_number", "stable_altsub", "stable_sub"]
