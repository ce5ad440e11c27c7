"""The QA switchboard: scenarios, the next-login queue, the clock, keys, personas and the request log.

Each form is turned into the same dict a JSON client would send and handed to the same function
in ``control/ops.py`` that the ``/_mock`` endpoint calls; an ``InvalidRequest`` from it is shown on
the page (status 400) with the form as it was sent.
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.wrappers import Response

from mock_bankid.control import ops
from mock_bankid.core import routes
from mock_bankid.core.errors import InvalidRequest
from mock_bankid.endpoints.console.texts import console_texts
from mock_bankid.endpoints.console.web import Refused, bp, done, href, locale, page
from mock_bankid.http.requestlog import REDACTED
from mock_bankid.http.web import routed
from mock_bankid.oidc.provider import provider
from mock_bankid.scenarios import Definition, engine
from mock_bankid.scenarios.definitions import GROUPS

QUICK_ADVANCES = (60, 300, 3600, 86400)
KEY_ALGS = ("RS256", "ES256")
MAX_SEARCH = 100


# --- scenario forms --------------------------------------------------------------------------
def param_fields(definition: Definition) -> list[dict[str, Any]]:
    """How each parameter is asked for: a select for choices, checkboxes for a list with choices."""
    fields = []
    for name, default in definition.params.items():
        choices = definition.choices.get(name)
        if isinstance(default, bool):
            kind = "bool"
        elif isinstance(default, list):
            kind = "checkboxes" if choices else "list"
        elif choices:
            kind = "select"
        elif isinstance(default, (int, float)):
            kind = "number"
        else:
            kind = "text"
        bounds = definition.limits.get(name)
        fields.append({"name": name, "kind": kind, "default": default, "choices": list(choices or ()),
                       "step": "any" if isinstance(default, float) else "1",
                       "min": bounds[0] if bounds else None, "max": bounds[1] if bounds else None})
    return fields


def scenario_body(form: Any) -> dict[str, Any]:
    """The switch-on form as the JSON body of ``PUT /_mock/scenario``."""
    name = form.get("scenario", "")
    definition = engine().definitions.get(name)
    body: dict[str, Any] = {"scenario": name}
    params: dict[str, Any] = {}
    if definition is not None:
        for field in param_fields(definition):
            key = f"param.{field['name']}"
            if field["kind"] == "checkboxes":
                if f"{key}.sent" in form:
                    params[field["name"]] = form.getlist(key)
            elif key in form:
                params[field["name"]] = form.get(key, "")
    if params:
        body["params"] = params
    for key in ("for_seconds", "count"):
        if form.get(key, "").strip():
            body[key] = form[key].strip()
    return body


def scenario_groups() -> list[tuple[str, list[dict[str, Any]]]]:
    """The scenarios in the runbook's groups (``definitions.GROUPS``), each group's presets after its built-ins."""
    groups: dict[str, list[dict[str, Any]]] = {g: [] for g in GROUPS}
    for d in sorted(engine().definitions.values(), key=lambda d: d.uses is not None):
        groups.setdefault(d.group or "provider", []).append({"definition": d, "fields": param_fields(d)})
    return [(k, v) for k, v in groups.items() if v]


def _switchboard(status: int = 200, **context: Any) -> Response:
    p = provider()
    return page(
        "console/switchboard.html", status=status, active="switchboard", page_title=_t("nav_switchboard"),
        scenario=ops.scenario_state(p), groups=scenario_groups(), queue=ops.next_login_queue(p),
        providers=(providers := ops.providers_overview(p)), provider_labels={x["name"]: x["label"] for x in providers},
        clock=ops.clock_state(p), keys=(keys := ops.keys(p)), key_algs=KEY_ALGS,
        current_since={k["alg"]: k["activates_at"] for k in keys if k["state"] == "current"},
        quick_advances=QUICK_ADVANCES,
        sign_in_scenarios=engine().login_panel(), max_activate_after=ops.MAX_ACTIVATE_AFTER, **context,
    )


def _t(key: str) -> str:
    return console_texts(locale())[key]


@routed(bp, routes.CONSOLE_SWITCHBOARD)
def switchboard() -> Response:
    return _switchboard()


@routed(bp, routes.CONSOLE_SCENARIO_ON)
def scenario_on() -> Response:
    body = scenario_body(request.form)
    try:
        ops.set_scenario(provider(), body, request.form.get("provider") or None)
    except InvalidRequest as exc:
        return _switchboard(400, error_message=exc.description, open_scenario=body.get("scenario"))
    return done("scenario", ok="scenario_on")


@routed(bp, routes.CONSOLE_SCENARIO_OFF)
def scenario_off() -> Response:
    ops.clear_scenario(provider(), request.form.get("provider") or None)
    return done("scenario", ok="scenario_off")


@routed(bp, routes.CONSOLE_CLOCK)
def clock() -> Response:
    action = request.form.get("action", "")
    try:
        if action == "reset":
            ops.reset_clock(provider())
        elif action in ("shift", "advance"):
            ops.set_clock(provider(), {action: request.form.get(action, "")})
        else:
            raise InvalidRequest("Choose shift, advance or reset.")
    except InvalidRequest as exc:
        return _switchboard(400, error_message=exc.description)
    return done("clock", ok="clock_" + action)


@routed(bp, routes.CONSOLE_KEYS_ROTATE)
def keys_rotate() -> Response:
    try:
        ops.rotate_key(provider(), {"alg": request.form.get("alg", ""),
                                    "activate_after": request.form.get("activate_after", "")})
    except InvalidRequest as exc:
        return _switchboard(400, error_message=exc.description)
    return done("keys", ok="key_rotated")


# --- the next-login queue and personas -------------------------------------------------------
@routed(bp, routes.CONSOLE_NEXT_LOGIN)
def next_login() -> Response:
    """Queue a persona (``persona`` id, or any selector) with an optional per-sign-in scenario."""
    body = {k: request.form.get(k, "").strip() for k in ("persona", "selector", "scenario", "provider")}
    body = {k: v for k, v in body.items() if v}
    try:
        ops.queue_next_login(provider(), body)
    except InvalidRequest as exc:
        if request.form.get("back", "").startswith(href(routes.CONSOLE_PERSONAS)):
            return _personas(400, error_message=exc.description)
        return _switchboard(400, error_message=exc.description)
    return done("queue", ok="queued")


@routed(bp, routes.CONSOLE_NEXT_LOGIN_CLEAR)
def next_login_clear() -> Response:
    chosen = request.form.get("provider") or None
    for target in ops.realm_providers(provider()).values():
        if chosen in (None, target.name):
            ops.clear_next_login(target)
    return done("queue", ok="queue_cleared")


def persona_matches(persona: dict[str, Any], query: str) -> bool:
    """Search by id, name, number, kind, group, purpose (either language) or provider (``vipps``),
    case-insensitively."""
    words = query.lower().split()
    text = " ".join(str(persona.get(k) or "") for k in
                    ("id", "name", "nnin", "kind", "group", "purpose", "purpose_nb", "age", "birthdate")).lower()
    text += " " + " ".join(persona.get("providers") or ())
    return all(w in text for w in words)


PERSONA_GROUPS = ("adults", "minors", "edge", "malformed")


def _personas(status: int = 200, **context: Any) -> Response:
    """The personas, a tab per group (``?group=``) and a search (``?q=``) within it."""
    p = provider()
    query = request.args.get("q", "")[:MAX_SEARCH]
    group = request.args.get("group", "")
    group = group if group in PERSONA_GROUPS else ""
    everyone = ops.personas(p)["personas"]
    found = [x for x in everyone if persona_matches(x, query)] if query.strip() else everyone
    counts = {g: sum(1 for x in found if x["group"] == g) for g in PERSONA_GROUPS}
    shown = [x for x in found if x["group"] == group] if group else found
    return page("console/personas.html", status=status, active="personas", page_title=_t("nav_personas"),
                personas=shown, total=len(everyone), found=len(found), query=query, group=group,
                groups=[g for g in PERSONA_GROUPS if counts[g]], counts=counts, queue=ops.next_login_queue(p),
                sign_in_scenarios=engine().login_panel(), **context)


@routed(bp, routes.CONSOLE_PERSONAS)
def personas() -> Response:
    return _personas()


@routed(bp, routes.CONSOLE_PERSONA)
def persona(persona_id: str) -> Response:
    p = provider()
    found = p.personas.get(persona_id, p.today())
    if found is None:
        raise Refused("no_persona", 404, error="not_found")
    offered = [d for d in engine().definitions.values()  # at a provider they have: no BankID-only one for Vipps-only
               if d.sign_in_points and any(map(d.offered_for, found.providers))]
    return page("console/persona.html", active="personas", page_title=found.name, persona=found,
                details=found.as_dict(p.today()), sign_in_scenarios=offered,
                purpose=found.purpose_in(locale()))


# --- the request log -------------------------------------------------------------------------
def sign_ins(entries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The log's entries (newest first) joined into sign-ins: entries sharing a link (a state, a
    code, an access token: ``requestlog.sign_in_links``) are one; each group in time order, the
    group with the newest request first. An entry with no link is a group of its own."""
    parent = list(range(len(entries)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, entry in enumerate(entries):
        for link in entry.get("links") or ():
            if link in first:
                parent[root(i)] = root(first[link])
            else:
                first[link] = i
    groups: dict[int, list[dict[str, Any]]] = {}
    for i, entry in enumerate(entries):
        groups.setdefault(root(i), []).append(entry)
    return [list(reversed(g)) for g in groups.values()]


def _requests_context() -> dict[str, Any]:
    entries = list(reversed(ops.recent_requests(provider(), request.args.get("path") or None, every_provider=True)))
    return {"entries": entries, "groups": sign_ins(entries), "redacted": REDACTED,
            "path_filter": request.args.get("path", "")}


@routed(bp, routes.CONSOLE_REQUESTS)
def requests_page() -> Response:
    if request.args.get("fragment"):
        return page("console/_requests_list.html", **_requests_context())
    return page("console/requests.html", active="requests", page_title=_t("nav_requests"), **_requests_context())


@routed(bp, routes.CONSOLE_REQUESTS_CLEAR)
def requests_clear() -> Response:
    ops.clear_requests(provider(), every_provider=True)
    return done(to=href(routes.CONSOLE_REQUESTS), ok="requests_cleared")
