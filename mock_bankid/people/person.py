"""One person who can sign in (``Persona``) and a fixture persona as declared (``Declared``)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from mock_bankid.people import nnin

PROVIDERS = ("bankid", "vipps")
"""The ways a person can sign in: with BankID, with Vipps (Login), or both (``Persona.providers``)."""


def default_providers(kind: str) -> tuple[str, ...]:
    """Who has what when a persona does not say: BankID and Vipps, except BankID only for a
    malformed number or an FH-number. Those personas exist to test how a BankID relying party parses
    what it is sent; a Vipps account needs a Norwegian national identity number or D-number, so its
    ``nin`` is always a valid one (docs/personas.md)."""
    return ("bankid",) if kind == "malformed" or kind.startswith("fh") else PROVIDERS


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
    method: str = "app"
    """How this person signs in to BankID High: ``app`` (the BankID app) or ``otp`` (a code device)."""
    biometrics: bool = True
    """Whether this person has BankID with biometrics set up; without it a biometrics sign-in is a
    step-up through BankID High (``bis-bid`` and that sign-in's ``bid-*`` values)."""
    providers: tuple[str, ...] = PROVIDERS
    """Which of ``PROVIDERS`` this person has: a BankID, a Vipps account, or both (docs/personas.md)."""
    previous_phone_number: str | None = None
    """A phone number this person had before ``phone_number`` (E.164): what a relying party may have
    stored from an earlier sign-in, for the case of a Vipps account whose number has changed."""

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def has(self, provider: str) -> bool:
        """Whether this person can sign in with ``provider`` (``"bankid"`` or ``"vipps"``)."""
        return provider in self.providers

    def purpose_in(self, locale: str) -> str:
        """The purpose for a page in ``locale``: Norwegian where the fixture has it, else English."""
        return self.purpose_nb if locale in ("nb", "nn") and self.purpose_nb else self.purpose

    def age(self, today: date) -> int | None:
        """Whole years on ``today`` (1-March rule for 29 Feb); None without a birth date or before it."""
        if self.birthdate is None or self.birthdate > today:
            return None
        return nnin.age_on(self.birthdate, today)

    def as_dict(self, today: date | None = None) -> dict[str, Any]:
        """JSON-ready fields (``providers`` as a list; plus ``name``, and ``age`` when ``today`` is given),
        a fresh copy.

        What ``dataclasses.asdict`` gives, built directly: it runs on every sign-in, and the generic
        recursion is a measurable share of one (bench/README.md)."""
        d = {name: getattr(self, name) for name in _FIELDS}
        d["address"] = _copied(self.address)
        d["providers"] = list(self.providers)
        d["birthdate"] = self.birthdate.isoformat() if self.birthdate else None
        d["name"] = self.name
        if today is not None:
            d["age"] = self.age(today)
        return d


_FIELDS = tuple(f.name for f in fields(Persona))


def _copied(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, tuples of plain values)."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copied(v) for v in value)
    return value


@dataclass(frozen=True)
class Declared:
    """A fixture persona as declared, before it is built for a date."""

    id: str
    scenario: str | None
