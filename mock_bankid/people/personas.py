"""Personas: the people who sign in to the mock.

Fixture personas live in ``fixtures/personas.toml`` (edited by QA; see the header there and
``docs/personas.md``). Each has a fixed number or a *recipe* ("age 17", "turns 18 today", ...);
recipes are resolved against a date passed in by the caller (the mock's Europe/Oslo today), so
"turns 18 today" is true on every day the suite runs. ``resolve`` also makes people on demand from
a login_hint or the next-login queue: a number (even a malformed one) or a recipe like
``age:17,kind:tenor``.

Faker (``no_NO``) supplies names, addresses and phone numbers only, seeded from the persona's id
(or number) through hashlib, so a persona is the same person every day and in every process.
Numbers and dates never come from Faker: they come from ``mock_bankid.people.nnin``.

The registry's parts live beside it: ``person`` (the ``Persona`` record), ``details`` (Faker details,
``sub``, ``bankid_altsub``) and ``recipes`` (checking fixture entries; the birth date a recipe gives).
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
import tomllib
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from mock_bankid.core import jsontools
from mock_bankid.people import nnin
from mock_bankid.people.details import (
    ALTSUB_PREFIX,
    EMAIL_DOMAIN,
    NAMESPACE,
    ascii_fold,
    hash_gender,
    hash_int,
    person_details,
    stable_altsub,
    stable_sub,
)
from mock_bankid.people.person import PROVIDERS, Declared, Persona, default_providers
from mock_bankid.people.recipes import (
    DEFAULT_AGE,
    FIXTURE_KEYS,
    GROUPS,
    RECIPE_FIXTURE_KEYS,
    RECIPE_KEYS,
    PersonaError,
    Spec,
    birthday_from_key,
    born_for_age,
    bounded_int,
    check_providers,
    check_spec,
    looks_like_recipe,
    parse_date,
    parse_recipe,
    recipe_birthdate,
)

log = logging.getLogger(__name__)
IDP_SELECTORS = ("", "BID", "BIS", "BIM")
"""login_hint values that pick BankID's sign-in method and name nobody."""


def _warn_if_malformed_by_mistake(spec: Spec, where: str) -> None:
    """A fixed number that is not valid, in a group that promises valid ones, is most likely a typo
    (a digit dropped, a control digit miscounted): the persona would sign in as ``malformed``. Said
    loudly at load, not refused: a tester may mean it, and says so with group "malformed" or kind."""
    number = spec.raw.get("nnin")
    if number is None or spec.group == "malformed" or spec.raw.get("kind") == "malformed":
        return
    explained = nnin.explain(number, date.today())
    if not explained.valid:
        log.warning("%s: persona %s (group %s): nnin %r is not a valid number (%s); it signs in as malformed. "
                    "Put it in group \"malformed\" (or kind = \"malformed\") if that is the point",
                    where, spec.id, spec.group, number, "; ".join(explained.problems))


class PersonaRegistry:
    """The fixture personas, resolved per date, plus personas made on demand by ``resolve``."""

    def __init__(self, specs: list[Spec], source: Path | None = None) -> None:
        self._specs = list(specs)
        self.source = source
        self._cache: dict[date, tuple[list[Persona], dict[str, Persona], dict[str, Persona]]] = {}
        self._lock = threading.Lock()

    # --- loading --------------------------------------------------------------------------
    @classmethod
    def load(cls, fixtures_dir: Path) -> PersonaRegistry:
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
    def from_data(cls, data: dict, where: str = "personas", source: Path | None = None) -> PersonaRegistry:
        entries = data.get("persona")
        if not isinstance(entries, list) or not entries:
            raise PersonaError(f"{where}: expected [[persona]] tables")
        specs, seen = [], set()
        for i, raw in enumerate(entries, 1):
            spec = check_spec(raw, f"{where}: persona #{i}")
            if spec.id in seen:
                raise PersonaError(f"{where}: persona id {spec.id!r} appears twice")
            seen.add(spec.id)
            specs.append(spec)
            _warn_if_malformed_by_mistake(spec, where)
        return cls(specs, source)

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self._specs]

    def declared(self) -> list[Declared]:
        """Every fixture persona's id and scenario as the file says: what start-up checks need,
        without building any persona (which imports Faker: most of an in-process start)."""
        return [Declared(s.id, s.raw.get("scenario")) for s in self._specs]

    # --- fixture personas -----------------------------------------------------------------
    def all(self, today: date) -> list[Persona]:
        """Every fixture persona in file order, recipes resolved for ``today`` (cached per date)."""
        return list(self._resolved(today)[0])

    def get(self, persona_id: str, today: date) -> Persona | None:
        return self._resolved(today)[1].get(persona_id)

    def for_provider(self, provider: str, today: date) -> list[Persona]:
        """The fixture personas who have ``provider`` (``PROVIDERS``), in file order: whom its login page offers."""
        if provider not in PROVIDERS:
            raise PersonaError(f"unknown provider {provider!r}; known: {', '.join(PROVIDERS)}")
        return [p for p in self._resolved(today)[0] if provider in p.providers]

    def _resolved(self, today: date) -> tuple[list[Persona], dict[str, Persona], dict[str, Persona]]:
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

    def _make(self, spec: Spec, today: date, used: set[str]) -> Persona:
        raw = spec.raw
        gender = nnin.normalise_gender(raw.get("gender"))
        if "nnin" in raw:
            number = raw["nnin"]
            exp = nnin.explain(number, today)
            kind = exp.kind if exp.valid and exp.kind else "malformed"
            if "kind" in raw and _kind_or_malformed(raw["kind"]) != kind:
                raise PersonaError(f"persona {spec.id}: kind says {raw['kind']} but {number} is "
                                   f"{kind} on {today.isoformat()} ({exp.summary()})")
            birthdate = exp.birthdate
            if "birthdate" in raw:
                given = parse_date(raw["birthdate"], spec.id)
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
            birthdate = recipe_birthdate(spec, today)
            if gender is None and not kind.endswith("-2032"):
                gender = hash_gender(spec.id)
            index = bounded_int(raw.get("index", 0), "index")
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
        details = person_details(seed, gender or hash_gender(seed),
                                 raw.get("given_name"), raw.get("family_name"))
        previous = raw.get("previous_phone_number")
        if previous is not None and previous == details["phone_number"]:
            raise PersonaError(f"persona {spec.id}: previous_phone_number {previous} is the persona's phone_number")
        providers = (check_providers(raw["providers"], f"persona {spec.id}: providers")
                     if "providers" in raw else default_providers(kind))
        return Persona(id=spec.id, purpose=spec.purpose, group=spec.group, nnin=number, kind=kind,
                       birthdate=birthdate, gender=gender, sub=stable_sub(f"persona:{spec.id}"),
                       bankid_altsub=stable_altsub(f"persona:{spec.id}"),
                       scenario=raw.get("scenario"),
                       purpose_nb=" ".join(str(raw["purpose_nb"]).split()) if raw.get("purpose_nb") else None,
                       method=raw.get("method", "app"), biometrics=raw.get("biometrics", True),
                       providers=providers, previous_phone_number=previous, **details)

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
        a recipe ``age:17,kind:tenor`` (keys age, born, kind, gender, providers; ``gen:`` prefix and
        ``=`` allowed). Anything else raises PersonaError with a hint.
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
        if m and not looks_like_recipe(s):
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
        if looks_like_recipe(s):
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

        Keys: ``age`` N (default 35), ``born`` YYYY-MM-DD, ``kind`` (fnr, dnr, hnr, tenor, tenor-dnr,
        fnr-2032, ...), ``gender`` m|f, ``providers`` (vipps, bankid+vipps, ...; else ``default_providers``).
        The birthday of an ``age`` recipe is fixed per recipe, so the person only changes once a year.
        """
        parts = parse_recipe(recipe)
        canon = ",".join(f"{k}={parts[k]}" for k in RECIPE_KEYS if k in parts)
        pid = f"gen:{canon}" if canon else f"gen:age={DEFAULT_AGE}"
        try:
            kind = nnin.normalise_kind(parts.get("kind", "fnr"))
            if kind == "fh":
                number, birthdate, gender = nnin.generate_fh(hash_int(pid) % 1000), None, None
            else:
                gender = nnin.normalise_gender(parts.get("gender"))
                if "born" in parts:
                    birthdate = parse_date(parts["born"], "born")
                    if "age" in parts:
                        raise PersonaError("give age or born, not both")
                    if birthdate > today:
                        raise PersonaError(f"born {birthdate} is after today ({today}); "
                                           "use nnin:<number> to sign in with a future birth date")
                else:
                    birthdate = born_for_age(bounded_int(parts.get("age", DEFAULT_AGE), "age", 0, 150),
                                              today, birthday_from_key(pid))
                if gender is None and not kind.endswith("-2032"):
                    gender = hash_gender(pid)
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
        return _synthesize(number, exp, today, pid, f"generated from recipe {canon or 'age=35'}", birthdate=birthdate,
                           gender=gender, providers=tuple(filter(None, parts.get("providers", "").split("+"))))


def _kind_or_malformed(kind: Any) -> str:
    return "malformed" if kind == "malformed" else nnin.normalise_kind(str(kind))


def _synthesize(number: str, exp: nnin.Explanation, today: date, pid: str, purpose: str, birthdate: date | None = None,
                gender: str | None = None, providers: tuple[str, ...] | None = None) -> Persona:
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
    details = person_details(key, gender or hash_gender(key))
    return Persona(id=pid, purpose=purpose, group=group, nnin=number, kind=kind, birthdate=birthdate,
                   gender=gender, sub=stable_sub(key), bankid_altsub=stable_altsub(key),
                   providers=providers or default_providers(kind), **details)


def persona_for_number(registry: PersonaRegistry, number: str, today: date) -> Persona:
    """Module-level shorthand for ``registry.persona_for_number``."""
    return registry.persona_for_number(number, today)


__all__ = ["GROUPS", "IDP_SELECTORS", "PROVIDERS", "Declared", "Persona", "PersonaError", "PersonaRegistry",
           "ascii_fold", "default_providers", "person_details", "persona_for_number", "stable_altsub", "stable_sub",
           "ALTSUB_PREFIX", "DEFAULT_AGE", "EMAIL_DOMAIN", "FIXTURE_KEYS", "NAMESPACE", "RECIPE_FIXTURE_KEYS",
           "RECIPE_KEYS"]
