"""The drill's cases (``fixtures/drills.toml``) and the relying party's policy (``--policy``).

A case is data: which persona signs in, which scenario is on (for that sign-in, or for the whole
server), what the relying party should do about it, and which ADR rule or runbook cause it
rehearses. Both files are edited by QA, so every mistake is one clear line naming file and case.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUTCOMES = ("signed-in", "refused", "error", "timeout")
"""Where a sign-in can end: reached the success URL; anywhere else below 500; the relying party
answered 500 or more; no end within the time limit."""

POLICY = "policy"
"""``expect = "policy"``: the expectation follows from the persona (age, kind) and the policy."""

CATALOGUE_FILE = "drills.toml"
CASE_KEYS = {"name", "rehearses", "expect", "persona", "scenario", "server_scenario", "unavailable_ok",
             "replay_callback", "use_up_quota", "timeout", "browser", "start", "provider", "fallback", "then"}
QUOTA_ENDPOINTS = ("token",)
PROVIDERS = ("bankid", "vipps")
"""The providers one mock serves; a case signs in with one (``provider``), falls back to another
(``fallback``) or signs in again with another (``then``)."""


class CatalogueError(ValueError):
    """A catalogue or policy file the drill cannot use; the message names the file and the case."""


@dataclass(frozen=True)
class Policy:
    """What the relying party accepts: a minimum age (Europe/Oslo) and the number kinds.

    ``accept`` holds kinds as ``mock-bankid personas`` names them (``fnr``, ``dnr``, ``hnr``,
    ``tenor``, ``tenor-dnr``, ``fnr-2032``, ``fh``, ...); ``None`` accepts every valid kind (the
    default). A person whose age cannot be known (an FH-number has no date) is never old enough.
    """

    min_age: int = 18
    accept: tuple[str, ...] | None = None
    source: str = "default"
    vipps_nin: bool = True
    """The relying party's Vipps client is allowed the ``nin`` scope. Without it a Vipps sign-in brings
    no number to link the account by, and the policy is to refuse it (``vipps_nin = false``)."""

    @classmethod
    def load(cls, path: Path | None) -> Policy:
        if path is None:
            return cls()
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CatalogueError(f"policy {path}: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise CatalogueError(f"policy {path}: {exc}") from None
        unknown = sorted(set(data) - {"min_age", "accept", "vipps_nin"})
        if unknown:
            raise CatalogueError(f"policy {path}: unknown key {', '.join(unknown)} (keys: min_age, accept, vipps_nin)")
        vipps_nin = data.get("vipps_nin", True)
        if not isinstance(vipps_nin, bool):
            raise CatalogueError(f"policy {path}: vipps_nin is true or false "
                                 "(is the relying party's Vipps client allowed nin?)")
        min_age = data.get("min_age", 18)
        if not isinstance(min_age, int) or isinstance(min_age, bool) or not 0 <= min_age <= 150:
            raise CatalogueError(f"policy {path}: min_age must be a whole number of years, not {min_age!r}")
        accept = data.get("accept")
        if accept is not None and (not isinstance(accept, list) or not all(isinstance(k, str) for k in accept)):
            raise CatalogueError(f'policy {path}: accept must be a list of kinds, e.g. ["fnr", "dnr"]')
        return cls(min_age, tuple(k.strip().lower() for k in accept) if accept is not None else None, str(path),
                   vipps_nin)

    def expect_for(self, persona: Mapping[str, Any], provider: str = "bankid") -> tuple[str, str]:
        """(``signed-in`` | ``refused``, why) for a persona as the mock resolves it today, signing in
        with ``provider``."""
        if provider == "vipps" and not self.vipps_nin:
            return "refused", "the Vipps client gets no nin, so a Vipps sign-in cannot be linked to an account"
        kind, age = persona.get("kind"), persona.get("age")
        if not kind or kind == "malformed":
            return "refused", "the number is not valid"
        if self.accept is not None and kind not in self.accept:
            return "refused", f"kind {kind} is not accepted by the policy"
        if age is None:
            return "refused", f"the age cannot be known ({kind} has no birth date)"
        if age < self.min_age:
            return "refused", f"age {age} is under {self.min_age}"
        return "signed-in", f"age {age} ≥ {self.min_age}, kind {kind} accepted"

    def describe(self) -> str:
        kinds = "every valid kind" if self.accept is None else ", ".join(self.accept) or "none"
        nin = "" if self.vipps_nin else ", Vipps without nin: refused"
        return f"min age {self.min_age}, accepts {kinds}{nin} ({self.source})"

    def as_dict(self) -> dict[str, Any]:
        return {"min_age": self.min_age, "accept": list(self.accept) if self.accept is not None else None,
                "vipps_nin": self.vipps_nin, "source": self.source}


@dataclass(frozen=True)
class Case:
    """One rehearsal: arrange the mock so, sign in, expect this."""

    name: str
    rehearses: str
    expect: tuple[str, ...] | str
    """One or more of OUTCOMES, or POLICY."""
    persona: str = "adult"
    scenario: Any = None
    """A scenario for this sign-in only (next-login queue): a name or a table with its parameters."""
    server_scenario: Mapping[str, Any] | None = None
    """A scenario for the whole server while the case runs (``PUT /_mock/scenario``)."""
    unavailable_ok: bool = False
    """A 502, 503 or 504 page from the relying party counts as refused ("BankID is unavailable")."""
    replay_callback: bool = False
    """Deliver the callback a second time (``callback-replay``); that delivery is what is judged."""
    use_up_quota: str | None = None
    """``"token"``: just before the relying party's token request, one request as its client uses up
    the rate limit's window, so the relying party meets exactly one 429 there (``rate-limit``)."""
    timeout: float | None = None
    start: str | None = None
    """A path at the relying party to begin at instead of ``--start``'s (same origin): a payment
    approval starts where the relying party pushes its statement (``/api/payments/approve``)."""
    browser: str = "panel"
    """``--browser``: ``panel`` clicks the persona (and picks the scenario) on the real login page;
    ``queue`` arranges it through the next-login queue as headless runs do (scenario parameters the
    login page cannot choose)."""
    provider: str = "bankid"
    """Who the persona signs in with: the walk begins at that provider's start URL (``--start``,
    ``--start-vipps``) and the persona is queued with that provider."""
    fallback: str | None = None
    """``"vipps"``: the sign-in begins with ``provider`` as usual; where it ends at the relying party
    without signing in, the drill follows the page's link to the fallback's start URL (same browser),
    the persona queued there too. Judged: where that ends (``--whoami``: signed in with the fallback)."""
    then: str | None = None
    """``"vipps"``: once signed in, the same persona signs in again with this provider in a fresh
    browser; ``--whoami`` must name the same user both times (one person, one user). Judged: the second."""

    @property
    def providers(self) -> tuple[str, ...]:
        """Every provider the case signs in with, in order."""
        return tuple(dict.fromkeys(p for p in (self.provider, self.fallback, self.then) if p))

    @property
    def final_provider(self) -> str:
        """The provider of the sign-in that is judged."""
        return self.then or self.fallback or self.provider

    @property
    def scenario_name(self) -> str | None:
        spec = self.scenario
        if isinstance(spec, Mapping):
            return spec.get("scenario")
        return spec

    @property
    def scenario_has_params(self) -> bool:
        return isinstance(self.scenario, Mapping) and len(self.scenario) > 1


def _expect(raw: Any, where: str) -> tuple[str, ...] | str:
    if raw == POLICY:
        return POLICY
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise CatalogueError(f"{where}: expect must be one of {', '.join(OUTCOMES)}, a list of them, or \"policy\"")
    for item in items:
        if item not in OUTCOMES:
            hint = difflib.get_close_matches(item, OUTCOMES, 1)
            raise CatalogueError(f"{where}: expect {item!r} is not an outcome"
                                 + (f"; did you mean {hint[0]}?" if hint else f" ({', '.join(OUTCOMES)})"))
    return tuple(items)


def _scenario_spec(raw: Any, where: str, key: str) -> Any:
    if raw is None or (isinstance(raw, str) and raw):
        return raw
    if isinstance(raw, Mapping) and isinstance(raw.get("scenario"), str):
        return dict(raw)
    raise CatalogueError(f'{where}: {key} is a scenario name or a table like {{ scenario = "slow", seconds = 8 }}')


def parse_case(raw: Mapping[str, Any], where: str) -> Case:
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CatalogueError(f"{where}: every [[case]] needs a name")
    where = f"{where} (case {name})"
    unknown = sorted(set(raw) - CASE_KEYS)
    if unknown:
        raise CatalogueError(f"{where}: unknown key {', '.join(unknown)} (keys: {', '.join(sorted(CASE_KEYS))})")
    rehearses = raw.get("rehearses")
    if not isinstance(rehearses, str) or not rehearses.strip():
        raise CatalogueError(f"{where}: say which ADR rule or runbook cause it rehearses (rehearses = \"...\")")
    if "expect" not in raw:
        raise CatalogueError(f"{where}: expect is missing ({', '.join(OUTCOMES)} or \"policy\")")
    expect = _expect(raw["expect"], where)
    scenario = _scenario_spec(raw.get("scenario"), where, "scenario")
    server = _scenario_spec(raw.get("server_scenario"), where, "server_scenario")
    if isinstance(server, str):
        server = {"scenario": server}
    if server and server.get("provider", "bankid") not in PROVIDERS:
        raise CatalogueError(f"{where}: server_scenario's provider must be one of {', '.join(PROVIDERS)} (absent: all)")
    provider, fallback, then = raw.get("provider", "bankid"), raw.get("fallback"), raw.get("then")
    for key, value in (("provider", provider), ("fallback", fallback), ("then", then)):
        if value is not None and value not in PROVIDERS:
            raise CatalogueError(f"{where}: {key} must be one of {', '.join(PROVIDERS)}, not {value!r}")
    if fallback is not None and then is not None:
        raise CatalogueError(f"{where}: fallback and then do not go together (one second sign-in per case)")
    if (fallback or then) == provider:
        raise CatalogueError(f"{where}: {'fallback' if fallback else 'then'} names the provider "
                             "the case already signs in with")
    if expect == POLICY and (scenario or (server and not fallback)):
        raise CatalogueError(f"{where}: expect = \"policy\" is for persona cases without a scenario "
                             "(a server_scenario only with fallback)")
    quota = raw.get("use_up_quota")
    if quota is not None:
        if quota not in QUOTA_ENDPOINTS:
            raise CatalogueError(f"{where}: use_up_quota must be one of {', '.join(QUOTA_ENDPOINTS)}")
        if not server or server.get("scenario") != "rate-limit":
            raise CatalogueError(f"{where}: use_up_quota needs server_scenario = {{ scenario = \"rate-limit\", ... }}")
    timeout = raw.get("timeout")
    if timeout is not None and (not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0):
        raise CatalogueError(f"{where}: timeout is a number of seconds")
    persona = raw.get("persona", "adult")
    if not isinstance(persona, str) or not persona:
        raise CatalogueError(f"{where}: persona is a persona id, number or recipe")
    browser = raw.get("browser", "panel")
    if browser not in ("panel", "queue"):
        raise CatalogueError(f"{where}: browser must be panel or queue")
    start = raw.get("start")
    if start is not None and (not isinstance(start, str) or not start.startswith("/") or start.startswith("//")):
        raise CatalogueError(f"{where}: start is a path at the relying party, like \"/api/payments/approve\"")
    for flag in ("unavailable_ok", "replay_callback"):
        if not isinstance(raw.get(flag, False), bool):
            raise CatalogueError(f"{where}: {flag} is true or false")
    return Case(
        name=name.strip(), rehearses=" ".join(rehearses.split()), expect=expect, persona=persona,
        scenario=scenario, server_scenario=server, unavailable_ok=raw.get("unavailable_ok", False),
        replay_callback=raw.get("replay_callback", False), use_up_quota=quota,
        timeout=float(timeout) if timeout is not None else None, browser=browser, start=start,
        provider=provider, fallback=fallback, then=then,
    )


def load_catalogue(path: Path) -> list[Case]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(f"catalogue {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"catalogue {path}: {exc}") from None
    unknown = sorted(set(data) - {"case"})
    if unknown:
        raise CatalogueError(f"{path}: unknown table {', '.join(unknown)} (cases are [[case]])")
    cases: list[Case] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("case", []), 1):
        case = parse_case(raw, f"{path} [[case]] #{i}")
        if case.name in seen:
            raise CatalogueError(f"{path}: two cases are named {case.name!r}")
        seen.add(case.name)
        cases.append(case)
    if not cases:
        raise CatalogueError(f"{path}: no [[case]] in it")
    return cases


def select(cases: list[Case], names: str | None) -> list[Case]:
    """``--cases a,b``: those cases, in catalogue order; an unknown name is a usage error."""
    if not names:
        return cases
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    known = {c.name for c in cases}
    for name in wanted:
        if name not in known:
            hint = difflib.get_close_matches(name, known, 1)
            raise CatalogueError(f"no case {name!r} in the catalogue" + (f"; did you mean {hint[0]}?" if hint else ""))
    return [c for c in cases if c.name in set(wanted)]


__all__ = ["OUTCOMES", "POLICY", "PROVIDERS", "Case", "Policy", "CatalogueError", "load_catalogue", "select",
           "parse_case"]
