"""The scenario engine: named failures applied at named hook points of each endpoint.

Endpoints call ``provider.hooks.at(ctx)`` with the typed context of their point (the engine
registers itself there with ``Scenarios.attach``) and never test for a scenario name
themselves. A hook may return a Flask response (which then answers the request), raise an
``OAuthError``, or change the fields its context lets it change (claims, redirect parameters,
the signed token). With nothing switched on every hook is a no-op.

Hook points and their contexts (``mock_bankid/oidc/hooks.py``; fields in brackets):
- ``request``            ``RequestContext``: every request before routing   [endpoint, path, blueprint]
- ``authorize``          ``AuthorizeContext``: the client and redirect URI are trusted   [request, client]
- ``authorize_redirect`` ``AuthorizeRedirectContext``: what goes back to the client   [params, client, grant,
                         request, error]
- ``token``              ``TokenContext``: before the grant is processed   [client_id, grant_type, sign_in]
- ``id_token_claims``    ``IdTokenClaimsContext``: the claims before signing   [claims, grant, client]
- ``id_token``           ``IdTokenContext``: the signed ID token   [token, claims, grant, client]
- ``jwks``               ``JwksContext``: the published key set   [jwks]
- ``discovery``          ``DiscoveryContext``: the discovery document   [document]
- ``userinfo``           ``UserinfoContext``: before userinfo answers   [grant]

An apply function reads its context with ``call.context(IdTokenContext)`` (typed; a scenario
acting at a point whose context is another is a bug, and says so).

Scenarios are data (``Definition``: name, summary, where it acts, parameters, an apply
function), registered in ``builtin.py`` and ``traps.py`` and extended by presets from
``fixtures/scenarios.toml``. Which one is on comes from, in this order:

1. the sign-in (``grant.extra["scenario"]``: next-login queue entry, persona, login page panel);
2. the server-wide state in the shared store (namespace ``scenario``), set over HTTP or the CLI,
   for a time on the mock clock and/or a count of requests;
3. ``MOCK_BANKID_SCENARIO`` at start (seeded into the store once per start, so it can be cleared).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context

from mock_bankid.core import jsontools, routes
from mock_bankid.core.errors import StoreUnavailable
from mock_bankid.core.request_notes import noted
from mock_bankid.core.settings import Settings
from mock_bankid.oidc.hooks import HOOK_POINTS, HookContext
from mock_bankid.oidc.provider import Provider, provider
from mock_bankid.scenarios.definitions import (
    ACTIVATION_KEYS,
    REGISTRY,
    SIGN_IN_POINTS,
    Active,
    Call,
    Definition,
    ScenarioError,
    load_presets,
)
from mock_bankid.store.generation import PerGeneration

log = logging.getLogger("mock_bankid.scenarios")


SCENARIO_NS = "scenario"
COUNT_NS = "scenario-count"
ACTIVE_KEY = "active"
FOREVER = 10 * 365 * 86400
ENGINE_KEY = "mock_bankid.scenarios"
MAX_REALM_CACHES = 1024
"""Realms whose scenario state one process remembers; past that it forgets all and reads again."""


def _where(p: Provider) -> str:
    """Whose scenario state it is: the provider and its realm (BankID and Vipps share the home realm)."""
    return f"{p.name}:{p.settings.realm}"


def _request_key(p: Provider) -> str:  # where a request keeps the scenario it found for ``p``
    return f"mock_bankid_scenario:{_where(p)}"


def split_provider(spec: str | Mapping[str, Any]) -> tuple[str | Mapping[str, Any], Any]:
    """``spec`` without its ``provider`` member, and that member (None when absent)."""
    if isinstance(spec, str) and spec.strip().startswith("{"):
        try:
            spec = jsontools.loads(spec.strip())
        except ValueError as exc:
            raise ScenarioError(f"not valid JSON: {exc}") from None
    given = spec.get("provider") if isinstance(spec, Mapping) else None
    if given is not None and given not in routes.PROVIDERS:
        raise ScenarioError(f"provider must be one of {', '.join(routes.PROVIDERS)}, not {given!r}")
    return ({k: v for k, v in spec.items() if k != "provider"} if isinstance(spec, Mapping) else spec), given


class Scenarios:
    """The scenario engine: the registry, where scenarios are switched on, and the hook points."""

    def __init__(self, provider: Provider | None = None, definitions: Mapping[str, Definition] | None = None,
                 start: str = "") -> None:
        self.provider = provider
        """Passed in by ``attach``; None for an engine that only lists the catalogue (the CLI)."""
        self.definitions: dict[str, Definition] = dict(definitions if definitions is not None else REGISTRY)
        start_spec, given = split_provider(start) if start else ("", None)
        self.start_provider: str | None = given
        self.start = self.parse(start_spec) if start_spec else None
        """MOCK_BANKID_SCENARIO, switched on at start for ``start_provider`` (None: every provider)."""
        if self.start is not None and given is not None:  # refused here as PUT /_mock/scenario refuses it
            self.start[0].check_offered(given)
        self.boot_id = secrets.token_hex(8)  # the master's; preloaded workers share it
        self._seeded: set[str] = set()
        """The realms whose start this process has seeded (``_seed_start``)."""
        self._server_entries: dict[str, PerGeneration[dict[str, Any] | None]] = {}
        """Per realm: its stored server-wide entry, read again only when the shared generation moves."""

    @classmethod
    def attach(cls, provider: Provider) -> Scenarios:
        """The engine for ``provider``: loaded from its settings, personas' scenarios checked, and
        registered at ``provider.hooks`` so every hook point runs it."""
        engine = cls.load(provider.settings, provider=provider)
        engine.check_personas(provider.personas.declared())  # as written: no persona built (Faker) yet
        provider.hooks.add(engine.at, acts_at=engine.acts_at)
        if provider.realms is not None:  # every realm made later runs the same engine, on its own state
            provider.realms.on_create(lambda realm: realm.hooks.add(engine.at, acts_at=engine.acts_at))
        return engine

    @classmethod
    def load(cls, settings: Settings, *, provider: Provider | None = None) -> Scenarios:
        """Built-ins plus the presets in ``fixtures/scenarios.toml``; checks MOCK_BANKID_SCENARIO."""
        definitions = dict(REGISTRY)
        load_presets(settings, definitions)
        try:
            return cls(provider, definitions=definitions, start=settings.scenario)
        except ScenarioError as exc:
            raise ScenarioError(f"MOCK_BANKID_SCENARIO: {exc}") from None

    def check_personas(self, personas: Any) -> None:
        """Every persona's ``scenario`` names a scenario that can act on one sign-in (checked at start)."""
        for persona in personas:
            if persona.scenario:
                try:
                    definition, _params, _activation = self.parse(persona.scenario)
                except ScenarioError as exc:
                    raise ScenarioError(f"personas: {persona.id}: {exc}") from None
                if not definition.sign_in_points:
                    raise ScenarioError(f"personas: {persona.id}: {definition.name} acts on the whole server only")

    def acting_provider(self) -> Provider:
        """The provider of the request's issuer (each realm has its own scenario), else the home one."""
        if self.provider is None:
            raise ScenarioError("this scenario engine lists the catalogue only; it is attached to no provider")
        return provider() if has_request_context() else self.provider

    # --- catalogue -----------------------------------------------------------------------
    def catalogue(self) -> list[dict[str, Any]]:
        return [d.describe() for d in self.definitions.values()]

    def login_panel(self, for_provider: str | None = None) -> list[Definition]:
        """The scenarios a tester can pick for one sign-in on the login page (of the request's provider)."""
        name = for_provider or (self.acting_provider().name if self.provider is not None else None)
        return [d for d in self.definitions.values() if d.sign_in_points and (name is None or d.offered_for(name))]

    def parse(self, spec: str | Mapping[str, Any]) -> tuple[Definition, dict[str, Any], dict[str, Any]]:
        """``"name"``, ``'{"scenario": "slow", "seconds": 12}'`` or that dict -> (definition, params, activation)."""
        if isinstance(spec, str):
            text = spec.strip()
            if text.startswith("{"):
                try:
                    spec = jsontools.loads(text)
                except ValueError as exc:
                    raise ScenarioError(f"not valid JSON: {exc}") from None
            else:
                spec = {"scenario": text}
        if not isinstance(spec, Mapping):
            raise ScenarioError("a scenario is a name or a JSON object with a scenario member")
        body = dict(spec)
        name = body.pop("scenario", None) or body.pop("name", None)
        params = body.pop("params", None) or {}
        if not isinstance(params, Mapping):
            raise ScenarioError("params must be an object")
        if not name or not isinstance(name, str):
            raise ScenarioError('name the scenario: {"scenario": "outage"}')
        definition = self.definitions.get(name)
        if definition is None:
            raise ScenarioError(
                f"unknown scenario {name!r}; `mock-bankid scenarios` or GET {routes.SCENARIOS.under_base} lists them"
            )
        activation = dict(definition.activation)
        for key in ACTIVATION_KEYS:
            if key in body:
                value = body.pop(key)
                if value is not None:
                    try:
                        number = float(value)
                        if key == "count":
                            if not number.is_integer():
                                raise ValueError
                            number = int(number)
                    except (TypeError, ValueError, OverflowError):
                        whole = "whole " if key == "count" else ""
                        raise ScenarioError(f"{key} must be a {whole}number, not {value!r}") from None
                    if not 0 < number <= FOREVER:
                        raise ScenarioError(f"{key} must be more than 0 and at most {FOREVER}")
                    activation[key] = number
        return definition, definition.resolve({**params, **body}), activation

    # --- server-wide state ---------------------------------------------------------------
    def set_server(self, spec: str | Mapping[str, Any], *, source: str = "server",
                   on: Provider | None = None) -> dict[str, Any]:
        """Switch a scenario on for every worker of provider ``on`` (default: the request's);
        returns the stored entry."""
        definition, params, activation = self.parse(spec)
        if not definition.points:
            raise ScenarioError(f"{definition.name} acts on one sign-in only: choose it with a persona, "
                                "the next-login queue or the login page")
        p = on or self.acting_provider()
        definition.check_offered(p.name)
        self._seed_start(p)  # first, or the first read for this provider clears what is put now
        now = p.clock.now()
        for_seconds = activation.get("for_seconds")
        entry = {
            "id": secrets.token_hex(8), "scenario": definition.name, "params": params, "source": source,
            "set_at": now, "until": now + for_seconds if for_seconds else None,
            "for_seconds": for_seconds, "count": activation.get("count"),
        }
        p.store.put(SCENARIO_NS, ACTIVE_KEY, entry, for_seconds or FOREVER)
        p.state_changed()
        self._forget_request_cache(p)
        return entry

    def clear_server(self, on: Provider | None = None) -> None:
        """Everything off for provider ``on`` (default: the request's), including the start
        scenario, at once for every worker."""
        p = on or self.acting_provider()
        self._seed_start(p)
        p.store.delete(SCENARIO_NS, ACTIVE_KEY)
        p.state_changed()
        self._forget_request_cache(p)

    def server_state(self, on: Provider | None = None) -> dict[str, Any]:
        """What is on for provider ``on`` (default: the request's): ``{"active": entry or None}``."""
        p = on or self.acting_provider()
        self._seed_start(p)
        entry = p.store.get(SCENARIO_NS, ACTIVE_KEY)
        if entry is None:
            return {"active": None}
        shown = dict(entry)
        if entry.get("until") is not None:
            shown["remaining_seconds"] = max(0.0, round(entry["until"] - p.clock.now(), 3))
        if entry.get("count") is not None:
            used = p.store.get(COUNT_NS, f"{entry['id']}:used")
            shown["used"] = int(used["n"]) if used else 0
            shown["remaining_count"] = max(0, int(entry["count"]) - shown["used"])
        return {"active": shown}

    @property
    def seeded(self) -> bool:
        """Whether this process has seeded this start's state of the home realm (its first request does it)."""
        return self.provider is not None and _where(self.provider) in self._seeded

    def restart(self) -> None:
        """As if the server had just started: the next request seeds ``MOCK_BANKID_SCENARIO``
        again (after the store was cleared, e.g. by the pytest plugin between tests)."""
        self._seeded.clear()
        self._server_entries.clear()

    def _seed_start(self, on: Provider | None = None) -> None:
        """Once per start (not per worker) and provider: put MOCK_BANKID_SCENARIO in the store (for
        the providers it names and is offered for), or clear old state."""
        if not has_request_context():
            return
        p = on or self.acting_provider()
        if _where(p) in self._seeded:
            return
        if len(self._seeded) >= MAX_REALM_CACHES:
            self._seeded.clear()  # seeding again is harmless: the store's boot mark decides
        self._seeded.add(_where(p))
        if p.store.add(SCENARIO_NS, f"boot:{self.boot_id}", {}, FOREVER):
            p.store.delete(SCENARIO_NS, ACTIVE_KEY)  # a restart starts clean
            p.state_changed()
            if self.start is not None and self.start_provider in (None, p.name) and self.start[0].offered_for(p.name):
                definition, params, activation = self.start
                self.set_server({"scenario": definition.name, **params, **activation}, source="start", on=p)

    def _server_active(self) -> Active | None:
        p = self.acting_provider()
        key = _request_key(p)
        if has_request_context() and key in g:
            active: Active | None = g.get(key)
            return active
        self._seed_start(p)
        entry = self._entry_cache(p).get(p.state_generation())
        if entry is not None and entry.get("until") is not None and entry["until"] <= p.clock.now():
            entry = None  # its time is up (the store's own expiry of the entry says the same)
        active = None
        if entry is not None and entry.get("scenario") in self.definitions:
            definition = self.definitions[entry["scenario"]]
            active = Active(definition, dict(entry["params"]), entry.get("source", "server"), entry)
        if has_request_context():
            setattr(g, key, active)
        return active

    def _entry_cache(self, p: Provider) -> PerGeneration[dict[str, Any] | None]:
        found = self._server_entries.get(_where(p))
        if found is None:
            if len(self._server_entries) >= MAX_REALM_CACHES:
                self._server_entries.clear()
            store = p.store
            found = PerGeneration(lambda: store.get(SCENARIO_NS, ACTIVE_KEY))
            self._server_entries[_where(p)] = found
        return found

    def _forget_request_cache(self, p: Provider) -> None:
        if has_request_context():
            g.pop(_request_key(p), None)

    def _consume(self, active: Active) -> bool:
        entry = active.entry
        if entry is None or entry.get("count") is None:
            return True
        cache: dict[str, bool] = g.setdefault("mock_bankid_consumed", {}) if has_request_context() else {}
        if entry["id"] in cache:  # one request counts once, however many hooks it passes
            return cache[entry["id"]]
        p = self.acting_provider()
        n = p.store.incr(COUNT_NS, entry["id"], FOREVER)
        count = int(entry["count"])
        p.store.put(COUNT_NS, f"{entry['id']}:used", {"n": min(n, count)}, FOREVER)
        if n >= count:  # used up: off for every worker (unless someone set another meanwhile)
            current = p.store.get(SCENARIO_NS, ACTIVE_KEY)
            if current is not None and current.get("id") == entry["id"]:
                p.store.delete(SCENARIO_NS, ACTIVE_KEY)
                p.state_changed()
        cache[entry["id"]] = n <= count
        return n <= count

    # --- per sign-in -----------------------------------------------------------------------
    def _sign_in_active(self, ctx: HookContext) -> Active | None:
        if ctx.point not in SIGN_IN_POINTS:
            return None
        spec = (ctx.sign_in_extra() or {}).get("scenario")  # at token: the code's sign-in, peeked at
        if not spec:
            return None
        try:
            definition, params, _activation = self.parse(spec)
        except ScenarioError as exc:
            log.warning("ignoring the sign-in's scenario %r: %s", spec, exc)
            return None
        if not definition.offered_for(self.acting_provider().name):
            return None
        return Active(definition, params, "sign-in")

    # --- the hook ------------------------------------------------------------------------
    def acts_at(self, point: str) -> bool:
        """Whether a scenario might act at ``point`` in this request: a point that knows its
        sign-in always might; any other only while a server-wide scenario acting there is on."""
        if point in SIGN_IN_POINTS:
            return True
        try:
            server = self._server_active() if self.provider is not None else None
        except StoreUnavailable:
            return False  # as in ``at``: no scenario can be read while the store is down, so none acts
        return server is not None and point in server.definition.points

    def at(self, ctx: HookContext) -> Response | None:
        """Run every scenario that is on and acts at ``ctx.point``; the first response wins."""
        point = ctx.point
        assert point in HOOK_POINTS, point
        actives: list[Active] = []
        try:
            sign_in = self._sign_in_active(ctx)
            server = self._server_active() if self.provider is not None else None
        except StoreUnavailable:
            # No scenario can be read while the store is down: go on without one. A route that
            # needs the store then answers 503 itself; health, discovery and /_mock/ready still answer.
            return None
        if sign_in is not None and point in sign_in.definition.sign_in_points:
            actives.append(sign_in)
        if server is not None and point in server.definition.points:
            actives.append(server)
        for active in actives:
            result = active.definition.apply(Call(ctx, active, self))
            if result is not None:
                return result
        return None

    def init_app(self, app: Flask) -> None:
        """Per-response work: the rate-limit headers."""

        @app.after_request
        def _scenario_headers(response: Response) -> Response:
            found = noted()
            for name, value in (found.headers if found else {}).items():
                response.headers.setdefault(name, value)
            return response


def engine() -> Scenarios:
    """The engine of the app handling the current request (the control surface, the login page)."""
    found: Scenarios = current_app.extensions[ENGINE_KEY]
    return found
