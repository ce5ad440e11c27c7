"""What the control surface does, once: the ``/_mock`` JSON endpoints and the web console both call these.

Each operation takes the provider and a plain dict (the JSON body, or the console's form turned
into the same dict) and either returns the new state or raises ``InvalidRequest`` with the message
a tester sees. The JSON endpoints render that as an OAuth-shaped 400; the console shows it on the
page. Keeping one copy is what makes "every console action does exactly what the JSON API does"
true by construction rather than by review.

It sits above the scenario engine (it switches scenarios) and below the endpoints: both the
``/_mock`` blueprints and the console import it, and endpoints never import each other.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from typing import Any

from mock_bankid.core import routes
from mock_bankid.core.clock import Clock
from mock_bankid.core.errors import InvalidRequest
from mock_bankid.core.numbers import json_number
from mock_bankid.http import requestlog
from mock_bankid.oidc import login_queue
from mock_bankid.oidc.mint import DEFAULT_TEST_SCOPE, TEST_DEFAULTS, mint_for_tests
from mock_bankid.oidc.provider import MAX_CLOCK_SHIFT, Provider
from mock_bankid.people.personas import Persona, PersonaError
from mock_bankid.scenarios import ScenarioError, engine
from mock_bankid.scenarios.engine import split_provider

SELECTOR_FIELDS = ("persona", "nnin", "login_hint", "selector")
SUMMARY_FIELDS = ("id", "name", "nnin", "kind", "group", "age", "birthdate", "purpose", "purpose_nb", "sub", "scenario",
                  "providers")
MAX_ACTIVATE_AFTER = 86400


def persona_summary(persona: Persona, today: Any) -> dict[str, Any]:
    full = persona.as_dict(today)
    return {name: full[name] for name in SUMMARY_FIELDS}


def personas(p: Provider) -> dict[str, Any]:
    today = p.today()
    return {"today": today.isoformat(), "personas": [persona_summary(x, today) for x in p.personas.all(today)]}


# --- the next-login queue --------------------------------------------------------------------
def queue_next_login(p: Provider, body: Mapping[str, Any]) -> dict[str, Any]:
    """Queue who signs in next: exactly one of ``persona``/``nnin``/``login_hint``/``selector``,
    optionally a per-sign-in ``scenario``, at ``provider`` (default: ``p``, the request's).
    Returns ``{"queued": entry, "persona": summary, "provider": name}``."""
    if body.get("provider") is not None:
        p = chosen_provider(p, body["provider"])
    given = [f for f in SELECTOR_FIELDS if body.get(f)]
    if len(given) != 1:
        raise InvalidRequest(f"Send exactly one of {', '.join(SELECTOR_FIELDS)}.")
    selector = str(body[given[0]])
    if given[0] == "nnin":
        selector = f"nnin:{selector}"
    try:
        persona = p.personas.require(selector, p.today())
    except PersonaError as exc:
        raise InvalidRequest(str(exc)) from None
    if not persona.has(p.name):
        raise InvalidRequest(f"{persona.id} has no {p.dialect.name} account (they have: "
                             f"{', '.join(persona.providers) or 'none'}): queue them at one of those providers.")
    scenario = body.get("scenario") or None
    if scenario is not None:
        try:
            definition, _params, _activation = engine().parse(scenario)
        except ValueError as exc:
            raise InvalidRequest(f"scenario: {exc}") from None
        if not definition.sign_in_points:
            raise InvalidRequest(f"scenario {definition.name!r} acts on the whole server: "
                                 f"PUT {routes.SCENARIO_SET.under_base} instead.")
        if not definition.offered_for(p.name):
            raise InvalidRequest(f"scenario {definition.name!r} is for {', '.join(definition.providers)} only.")
    entry = login_queue.push(p, selector, scenario)
    return {"queued": entry, "persona": persona_summary(persona, p.today()), "provider": p.name}


def next_login_queue(p: Provider) -> list[dict[str, Any]]:
    return login_queue.entries(p)


def clear_next_login(p: Provider) -> None:
    login_queue.clear(p)


# --- the clock -------------------------------------------------------------------------------
def clock_state(p: Provider) -> dict[str, Any]:
    return {"now": p.now(), "shift": p.stored_clock_shift(),
            "offset": p.settings.clock_offset, "today": p.today().isoformat()}


def set_clock(p: Provider, body: Mapping[str, Any]) -> dict[str, Any]:
    """``{"shift": seconds}`` sets every worker's shift, ``{"advance": seconds}`` adds to it."""
    if "shift" not in body and "advance" not in body:
        raise InvalidRequest("Send a JSON object with shift or advance, in seconds.")
    name = "shift" if "shift" in body else "advance"
    try:
        # Parsed with bounds before any arithmetic: a 400-digit number is out of range, not an OverflowError.
        seconds = json_number(body[name], minimum=-2 * MAX_CLOCK_SHIFT, maximum=2 * MAX_CLOCK_SHIFT)
    except ValueError:
        raise InvalidRequest(
            f"{name} must be a number of seconds, at most {MAX_CLOCK_SHIFT} (100 years) either way."
        ) from None
    if name == "advance":
        seconds += p.stored_clock_shift()
    if not math.isfinite(seconds) or abs(seconds) > MAX_CLOCK_SHIFT:
        # Beyond this every date computation overflows (and NaN poisons them): refuse instead of breaking the mock.
        raise InvalidRequest(f"The clock can move at most {MAX_CLOCK_SHIFT} seconds (100 years) either way.")
    _check_personas_on(p, seconds)
    p.set_clock_shift(seconds)
    return clock_state(p)


def _check_personas_on(p: Provider, shift: float) -> None:
    """Refuse a date the fixture personas cannot exist on.

    A fødselsnummer encodes birth years 1854-2039 only, so a minor persona has no number after
    2039 + its age: with the clock there, every page that lists personas would fail. Checked
    before the move, so the mock is never left in that state.
    """
    today = Clock(offset=p.clock.offset + shift).oslo_today()
    try:
        p.personas.all(today)
    except PersonaError as exc:
        raise InvalidRequest(f"The clock cannot move to {today.isoformat()}: {exc}.") from None


def reset_clock(p: Provider) -> None:
    p.reset_clock_shift()


# --- signing keys ----------------------------------------------------------------------------
def keys(p: Provider) -> list[dict[str, Any]]:
    return p.keys.list_keys()


def rotate_key(p: Provider, body: Mapping[str, Any]) -> dict[str, Any]:
    """Rotate on the server's own clock (shift included), unlike ``mock-bankid keys rotate``,
    which runs in another process and knows only the wall clock and the start offset."""
    alg = str(body.get("alg") or "RS256")
    try:
        given = body.get("activate_after")
        activate_after = None if given in (None, "") else json_number(given, minimum=0, maximum=MAX_ACTIVATE_AFTER)
    except ValueError:
        raise InvalidRequest(f"activate_after must be a number of seconds from 0 to {MAX_ACTIVATE_AFTER}.") from None
    try:
        kid = p.keys.rotate(alg, activate_after=activate_after)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    return {"kid": kid, "next": p.keys.next_kid(alg), "keys": p.keys.list_keys()}


# --- which provider ----------------------------------------------------------------------------
def realm_providers(p: Provider) -> dict[str, Provider]:
    """The providers of ``p``'s realm by name: BankID's and Vipps's (every realm has both)."""
    assert p.realms is not None
    realm = p.settings.realm
    return {p.realms.home.name: p.realms.get(realm), **{name: p.realms.of(name, realm) for name in p.realms.others}}


def chosen_provider(p: Provider, name: Any) -> Provider:
    """Provider ``name`` of ``p``'s realm; a 400 naming the choices for any other name."""
    choices = realm_providers(p)
    if isinstance(name, str) and name in choices:
        return choices[name]
    raise InvalidRequest(f"provider must be one of {', '.join(choices)}, not {name!r}.")


def providers_overview(p: Provider) -> list[dict[str, Any]]:
    """Each provider of ``p``'s realm as the console shows it: name, label, issuer, discovery,
    clients, its scenario state and its next-login queue."""
    return [{"name": name, "label": target.dialect.name, "issuer": target.issuer,
             "discovery": routes.url(routes.DISCOVERY, target.settings), "clients": target.clients.all(),
             "scenario": engine().server_state(on=target), "queue": login_queue.entries(target)}
            for name, target in realm_providers(p).items()]


# --- server-wide scenarios -------------------------------------------------------------------
def scenario_state(p: Provider, name: str | None = None) -> dict[str, Any]:
    """What is on: for provider ``name`` ``{"provider", "active"}``; without one, BankID's ``active``
    (as before Vipps) and ``providers``: each provider's ``{"active": ...}``."""
    if name is not None:
        return {"provider": name, **engine().server_state(on=chosen_provider(p, name))}
    states = {other: engine().server_state(on=target) for other, target in realm_providers(p).items()}
    return {**next(iter(states.values())), "providers": states}


def set_scenario(p: Provider, body: str | Mapping[str, Any], name: str | None = None) -> dict[str, Any]:
    """Switch one scenario on (it replaces any other) for provider ``name`` (the body's
    ``provider``, else the query's), or for every provider of the realm it is offered for;
    returns the new state as ``scenario_state`` does."""
    try:
        spec, given = split_provider(body)
        definition, _params, _activation = engine().parse(spec)
    except ScenarioError as exc:
        raise InvalidRequest(str(exc)) from None
    name = given if given is not None else name
    targets = [chosen_provider(p, name)] if name is not None else [
        target for target in realm_providers(p).values() if definition.offered_for(target.name)]
    try:
        for target in targets:
            engine().set_server(spec, on=target)
    except ScenarioError as exc:
        raise InvalidRequest(str(exc)) from None
    return scenario_state(p, name)


def clear_scenario(p: Provider, name: str | None = None) -> None:
    """Switch off what is on for provider ``name``, or for every provider of the realm."""
    targets = [chosen_provider(p, name)] if name is not None else list(realm_providers(p).values())
    for target in targets:
        engine().clear_server(on=target)


# --- the request log -------------------------------------------------------------------------
def recent_requests(p: Provider, path: str | None = None, every_provider: bool = False) -> list[dict[str, Any]]:
    """The newest requests, oldest first, each with the ``provider`` it went to: ``p``'s (each
    provider keeps its own log), or with ``every_provider`` those of every provider of the realm
    merged by time (the console)."""
    targets = list(realm_providers(p).values()) if every_provider else [p]
    size = p.settings.request_log_size
    logs = [[{**e, "provider": t.name} for e in requestlog.recent(t.store, size)] for t in targets]
    # One log keeps the order requests came in: its times are the mock's clock, which a test may move
    # back (the drill's rate-limit case does). Merging logs can only go by those times.
    entries = logs[0] if len(logs) == 1 else sorted((e for log in logs for e in log), key=lambda e: e["time"])
    entries = entries[-size:] if size else []
    if path:
        entries = [e for e in entries if path in e["path"]]
    return entries


def clear_requests(p: Provider, every_provider: bool = False) -> None:
    for target in (realm_providers(p).values() if every_provider else [p]):
        requestlog.clear(target.store)


# --- realms ----------------------------------------------------------------------------------
def realms(p: Provider) -> list[dict[str, Any]]:
    """The realms with state on this server, the home realm first."""
    assert p.realms is not None
    return p.realms.in_use()


def create_realm(p: Provider, body: Mapping[str, Any]) -> dict[str, Any]:
    """``{"realm": name}`` or nothing (a fresh random name): the realm's issuer, made now.

    Any realm is also made by its first request; this call is for a suite that wants a fresh one
    and its URLs before it starts."""
    assert p.realms is not None
    name = body.get("realm") or f"r-{secrets.token_hex(6)}"
    realm = p.realms.get(p.realms.check_name(name))
    others = {other: p.realms.of(other, realm.settings.realm) for other in p.realms.others}
    return {"realm": realm.settings.realm, "issuer": realm.issuer,
            "discovery_url": routes.url(routes.DISCOVERY, realm.settings),
            "providers": {other: {"issuer": q.issuer, "discovery_url": routes.url(routes.DISCOVERY, q.settings)}
                          for other, q in others.items()}}


def delete_realm(p: Provider, name: str) -> None:
    """Every piece of the realm's state removed (its queue, scenario, clock, sessions, codes, log)."""
    assert p.realms is not None
    p.realms.forget(name)


# --- tokens without a browser ----------------------------------------------------------------
def mint(p: Provider, body: Mapping[str, Any]) -> dict[str, Any]:
    """``{"persona": "adult", "client_id": "ci", "scope": "...", "nonce": ..., "acr_values": ...}``:
    the token endpoint's answer for that sign-in, without the redirect (``mint_for_tests``)."""
    if body.get("provider") is not None:
        p = chosen_provider(p, body["provider"])
    persona = body.get("persona") or "adult"
    fields = {name: body.get(name) for name in ("client_id", "scope", "nonce", "acr_values")}
    if not all(value is None or isinstance(value, str) for value in (persona, *fields.values())):
        raise InvalidRequest("persona, client_id, scope, nonce and acr_values are strings.")
    client_id, scope = TEST_DEFAULTS.get(p.name, ("ci", DEFAULT_TEST_SCOPE))
    try:
        return mint_for_tests(p, str(persona), client_id=fields["client_id"] or client_id,
                              scope=fields["scope"] or scope, nonce=fields["nonce"],
                              acr_values=fields["acr_values"])
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
