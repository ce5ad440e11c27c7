"""What a scenario is: its definition, the registry built-ins and presets register into, and the
``Call`` an apply function gets.

Apart from ``engine.py`` (which decides which scenario is on and runs it) so a scenario's author
reads this file alone. ``Call`` reaches the engine through the small ``Engine`` protocol below, so
this module does not import the engine back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from flask import Response

from mock_bankid.core.fixture_files import FixtureError, read_toml, unknown_keys
from mock_bankid.core.routes import PROVIDERS
from mock_bankid.core.settings import Settings
from mock_bankid.oidc.hooks import HOOK_POINTS, HookContext
from mock_bankid.oidc.provider import Provider

SIGN_IN_POINTS = ("authorize_redirect", "token", "id_token_claims", "id_token", "userinfo")
"""Where a per-sign-in scenario can act: the points that know which sign-in they serve."""

ACTIVATION_KEYS = ("for_seconds", "count")
GROUPS = ("provider", "client", "session", "rate-limits", "traps")
"""The runbook's groups (docs/scenarios.md), in the order the switchboard shows them."""


class Engine(Protocol):
    """What a ``Call`` needs of the engine (``engine.Scenarios``)."""

    provider: Provider | None

    def acting_provider(self) -> Provider: ...

    def _consume(self, active: Active) -> bool: ...


class ScenarioError(ValueError):
    """An unknown scenario or a bad parameter: a 400 at the control surface, one line in the CLI."""


Apply = Callable[["Call"], "Response | None"]
C = TypeVar("C", bound=HookContext)


@dataclass(frozen=True)
class Definition:
    """One named scenario: what it is, where it acts, its parameters and what it does."""

    name: str
    summary: str
    apply: Apply
    points: tuple[str, ...] = ()
    """Hook points where it acts when switched on for the whole server."""
    sign_in_points: tuple[str, ...] = ()
    """Hook points where it acts when chosen for one sign-in; empty: not offered per sign-in."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """Parameter defaults; a value's type is the default's type (lists accept "a,b")."""
    choices: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    limits: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    kind: str = "failure"
    """``failure`` (the runbook's causes), ``trap`` (tokens a correct client must refuse) or
    ``rehearsal`` (a sign-in that succeeds with a change BankID warns about, e.g. ``sub-changes``)."""
    uses: str | None = None
    """For a preset from fixtures: the built-in it configures."""
    activation: Mapping[str, Any] = field(default_factory=dict)
    """Preset defaults for ``for_seconds`` / ``count`` when switched on server-wide."""
    group: str = ""
    """One of ``GROUPS`` (a trap's is ``traps``): where the switchboard and the docs list it."""
    summary_nb: str = ""
    """The summary in Norwegian Bokmål, for the console in nb."""
    providers: tuple[str, ...] = PROVIDERS
    """The providers it can be switched on for: every one, or BankID only for what only BankID has
    (its error codes, its payment approval, its 10-minute session, its number in the ID token)."""

    def offered_for(self, provider: str) -> bool:
        return provider in self.providers

    def check_offered(self, provider: str) -> None:
        """Refuse this scenario at ``provider`` when it is not offered there (a BankID-only one at Vipps)."""
        if not self.offered_for(provider):
            raise ScenarioError(f"{self.name} is for {', '.join(self.providers)} only, not {provider}")

    def summary_in(self, locale: str) -> str:
        return self.summary_nb if locale in ("nb", "nn") and self.summary_nb else self.summary

    def resolve(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The full parameter set: defaults overridden by ``given``, coerced and checked."""
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            known = ", ".join(self.params) or "none"
            raise ScenarioError(f"scenario {self.name!r} has no parameter {', '.join(unknown)} (parameters: {known})")
        values = dict(self.params)
        for name, raw in given.items():
            values[name] = _coerce(self.name, name, self.params[name], raw)
        for name, value in values.items():
            allowed = self.choices.get(name)
            items = value if isinstance(value, list) else [value]
            if allowed is not None and any(v not in allowed for v in items):
                raise ScenarioError(f"{self.name}: {name} must be one of {', '.join(map(str, allowed))}, not {value!r}")
            bounds = self.limits.get(name)
            if bounds is not None and not bounds[0] <= value <= bounds[1]:
                raise ScenarioError(
                    f"{self.name}: {name} must be between {bounds[0]:g} and {bounds[1]:g}, not {value!r}"
                )
        return values

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name, "summary": self.summary, "kind": self.kind, "group": self.group, "uses": self.uses,
            "params": dict(self.params), "choices": {k: list(v) for k, v in self.choices.items()},
            "server_wide": bool(self.points), "per_sign_in": bool(self.sign_in_points),
            "points": list(self.points), "sign_in_points": list(self.sign_in_points),
            "providers": list(self.providers),
            **({"activation": dict(self.activation)} if self.activation else {}),
        }


def _coerce(scenario: str, name: str, default: Any, raw: Any) -> Any:
    where = f"{scenario}: {name}"
    try:
        if isinstance(default, bool):
            if isinstance(raw, str):
                if raw.lower() not in {"true", "false", "1", "0", "yes", "no"}:
                    raise ValueError
                return raw.lower() in {"true", "1", "yes"}
            return bool(raw)
        if isinstance(default, int):
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, list):
            items = raw.split(",") if isinstance(raw, str) else list(raw)
            return [str(x).strip() for x in items if str(x).strip()]
        if isinstance(raw, (dict, list)):
            raise ValueError
        return str(raw)
    except (TypeError, ValueError):
        raise ScenarioError(f"{where} must be {_TYPE_NAMES.get(type(default), 'text')}, not {raw!r}") from None


_TYPE_NAMES = {bool: "true or false", int: "a whole number", float: "a number", list: "a list (comma-separated)"}
"""What a parameter's type is called in an error a tester reads (not Python's ``int``, ``str``)."""


REGISTRY: dict[str, Definition] = {}


def scenario(**spec: Any) -> Callable[[Apply], Apply]:
    """Register a built-in: ``@scenario(name=..., summary=..., points=..., params=...)``."""

    def register(func: Apply) -> Apply:
        if spec.get("kind") == "trap":
            spec.setdefault("group", "traps")
        definition = Definition(apply=func, **spec)
        if definition.group not in GROUPS:  # a programming error in a built-in: fail at import, clearly
            raise ScenarioError(f"scenario {definition.name}: group must be one of {', '.join(GROUPS)}")
        for point in (*definition.points, *definition.sign_in_points):
            assert point in HOOK_POINTS, point
        assert set(definition.sign_in_points) <= set(SIGN_IN_POINTS), definition.name
        assert definition.providers and set(definition.providers) <= set(PROVIDERS), definition.name
        REGISTRY[definition.name] = definition
        return func

    return register


def preset(name: str, uses: str, summary: str, params: Mapping[str, Any] | None = None, summary_nb: str = "",
           **activation: Any) -> Definition:
    """A named configuration of a built-in (a fixture preset, or a built-in alias like ``slow-jwks``)."""
    base = REGISTRY.get(uses)
    if base is None or base.uses is not None:
        raise ScenarioError(f"preset {name!r}: uses must name a built-in scenario, not {uses!r}")
    unknown = sorted(set(activation) - set(ACTIVATION_KEYS))
    if unknown:
        raise ScenarioError(f"preset {name!r}: unknown key {', '.join(unknown)}")
    resolved = base.resolve(dict(params or {}))
    return Definition(
        name=name, summary=summary, apply=base.apply, points=base.points, sign_in_points=base.sign_in_points,
        params=resolved, choices=base.choices, limits=base.limits, kind=base.kind, uses=uses, group=base.group,
        summary_nb=summary_nb, providers=base.providers,
        activation={k: v for k, v in activation.items() if v is not None},
    )


FIXTURE_FILE = "scenarios.toml"
PRESET_KEYS = ("name", "uses", "summary", "summary_nb", "params", *ACTIVATION_KEYS)
"""What a ``[[preset]]`` table may hold (fixtures/scenarios.toml's header says what each means)."""


def load_presets(settings: Settings, definitions: dict[str, Definition]) -> None:
    """Add the presets of ``fixtures/scenarios.toml`` (if there is one) to ``definitions``."""
    path = Path(settings.fixtures_dir) / FIXTURE_FILE
    if not path.is_file():
        return
    try:
        data = read_toml(path)
        unknown_keys(data, ("preset",), str(path))
        for i, entry in enumerate(data.get("preset", []), 1):
            unknown_keys(entry, PRESET_KEYS, f"{path}: preset {entry.get('name', f'#{i}')}")
    except FixtureError as exc:
        raise ScenarioError(str(exc)) from None
    for entry in data.get("preset", []):
        entry = dict(entry)
        try:
            name, uses = entry.pop("name"), entry.pop("uses")
        except KeyError as exc:
            raise ScenarioError(f"{path}: every [[preset]] needs name and uses ({exc.args[0]} missing)") from None
        if name in definitions:
            raise ScenarioError(f"{path}: preset {name!r} clashes with an existing scenario")
        summary = entry.pop("summary", f"{uses} with {entry.get('params', {})}")
        params = entry.pop("params", {})
        summary_nb = entry.pop("summary_nb", "")
        definitions[name] = preset(name, uses, summary, params, summary_nb, **entry)


@dataclass
class Active:
    """A scenario that is on for this request, with where it came from."""

    definition: Definition
    params: dict[str, Any]
    source: str
    """``sign-in``, ``server`` (set at run time) or ``start`` (MOCK_BANKID_SCENARIO)."""
    entry: dict[str, Any] | None = None


@dataclass
class Call:
    """What an apply function gets: the hook's context, the parameters, the engine."""

    ctx: HookContext
    active: Active
    engine: Engine

    @property
    def point(self) -> str:
        return self.ctx.point

    def context(self, kind: type[C]) -> C:
        """The context as ``kind`` (the one of the point this scenario acts at), typed."""
        if not isinstance(self.ctx, kind):
            raise TypeError(f"scenario {self.active.definition.name} expects {kind.__name__} at {kind.point}, "
                            f"not {type(self.ctx).__name__} at {self.point}")
        return self.ctx

    @property
    def params(self) -> dict[str, Any]:
        return self.active.params

    @property
    def provider(self) -> Provider:
        """The provider of the issuer (realm) the request is for: a scenario acts on its state."""
        return self.engine.acting_provider()

    @property
    def per_sign_in(self) -> bool:
        return self.active.source == "sign-in"

    def consume(self) -> bool:
        """Count this request against the scenario's ``count``; False once it is used up."""
        return self.engine._consume(self.active)
