"""``mock-bankid scenarios`` (the catalogue) and ``mock-bankid scenario set|clear|show`` (a running server)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

import click

from mock_bankid.cli._common import one_line_errors
from mock_bankid.core import routes
from mock_bankid.core.settings import Settings
from mock_bankid.scenarios import Scenarios

_url_option = click.option(
    "--url", default=None,
    help="Base URL of the running mock (default: MOCK_BANKID_BASE_URL, else http://localhost:<MOCK_BANKID_PORT>).",
)


_realm_option = click.option(
    "--realm", default=None, metavar="NAME",
    help="The realm to act on (default: the server's own, MOCK_BANKID_REALM); each realm has its own scenario.",
)


_provider_option = click.option(
    "--provider", "provider_name", type=click.Choice(["bankid", "vipps"]), default=None,
    help="Only this provider's scenario (default: every provider of the realm, BankID and Vipps).",
)


def _base(url: str | None) -> str:
    return (url or Settings.from_env().base_url).rstrip("/")


def _scenario_url(url: str | None, realm: str | None, provider: str | None = None) -> str:
    """``{base}/_mock/scenario`` (one path for GET, PUT and DELETE), in ``realm`` and for
    ``provider`` if given."""
    query = {name: value for name, value in (("realm", realm), ("provider", provider)) if value}
    return f"{_base(url)}{routes.SCENARIO_GET.under_base}" + (f"?{urlencode(query)}" if query else "")


def _call(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    """One JSON call to the control surface, with the standard library only: the command must
    work where mock-bankid is installed without its test extras (e.g. the Docker image)."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    token = Settings.from_env().control_token  # MOCK_BANKID_CONTROL_TOKEN: a mock bound beyond loopback needs it
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - the user's own mock
    try:
        with urllib.request.urlopen(req, timeout=10) as response:  # noqa: S310 - the user's own mock
            text = response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", errors="replace")
        try:
            detail = json.loads(text).get("error_description") or text
        except (ValueError, AttributeError):
            detail = text
        raise ValueError(f"{exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OSError(f"cannot reach mock-bankid at {url}: {reason}") from None
    return json.loads(text) if text.strip() else None


def _param(value: str) -> tuple[str, Any]:
    if "=" not in value:
        raise click.BadParameter(f"{value!r}: write name=value")
    name, raw = value.split("=", 1)
    try:
        parsed = json.loads(raw)  # 5 -> int, true -> bool, ["token"] -> list
    except json.JSONDecodeError:
        parsed = raw
    return name.strip(), parsed


def _show(state: dict[str, Any]) -> str:
    """One line for one provider's state, named (``bankid: outage (server)``, as when the call
    named a provider); one line per provider for the state of them all."""
    if "providers" in state and any(one.get("active") for one in state["providers"].values()):
        return "\n".join(f"{name}: {_show(one)}" for name, one in state["providers"].items())
    if state.get("provider"):
        return f"{state['provider']}: {_show({'active': state.get('active')})}"
    active = state.get("active")
    if not active:
        return "no scenario is on"
    parts = [f"{active['scenario']} ({active.get('source', 'server')})"]
    if active.get("params"):
        parts.append(" ".join(f"{k}={json.dumps(v)}" for k, v in active["params"].items()))
    if active.get("remaining_seconds") is not None:
        parts.append(f"{active['remaining_seconds']:g} s left")
    if active.get("remaining_count") is not None:
        parts.append(f"{active['remaining_count']} requests left")
    return "  ".join(parts)


def register(group: click.Group) -> None:
    @group.command("scenarios")
    @click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
    @one_line_errors
    def scenarios_cmd(as_json: bool) -> None:
        """List every scenario: built-ins, traps and the presets in fixtures/scenarios.toml."""
        catalogue = Scenarios.load(Settings.from_env()).catalogue()
        if as_json:
            click.echo(json.dumps(catalogue, indent=2))
            return
        width = max(len(s["name"]) for s in catalogue)
        for s in catalogue:
            where = "/".join(w for w, on in (("server", s["server_wide"]), ("sign-in", s["per_sign_in"])) if on)
            params = " ".join(f"{k}={json.dumps(v)}" for k, v in s["params"].items())
            only = f" ({'/'.join(s['providers'])} only)" if s["providers"] != ["bankid", "vipps"] else ""
            line = f"{s['name'].ljust(width)}  [{where}]{only} {s['summary']}"
            click.echo(line + (f"  ({params})" if params else ""))

    @group.group("scenario")
    def scenario_group() -> None:
        """Switch a scenario on or off for a running server (every worker obeys it)."""

    @scenario_group.command("set")
    @click.argument("name")
    @click.option("--param", "-p", "params", multiple=True, help="A parameter as name=value (repeatable).")
    @click.option("--for", "for_seconds", type=click.FloatRange(min=0, min_open=True),
                  help="Off again after this many seconds (mock clock).")
    @click.option("--count", type=click.IntRange(min=1), help="Off again after this many matching requests.")
    @_url_option
    @_realm_option
    @_provider_option
    @one_line_errors
    def scenario_set(name: str, params: tuple[str, ...], for_seconds: float | None, count: int | None,
                     url: str | None, realm: str | None, provider_name: str | None) -> None:
        """Switch NAME on for the whole server, e.g. `scenario set rate-limit -p limit=5 -p window=60`."""
        body: dict[str, Any] = {"scenario": name, **dict(_param(p) for p in params)}
        if for_seconds is not None:
            body["for_seconds"] = for_seconds
        if count is not None:
            body["count"] = count
        click.echo(_show(_call("PUT", _scenario_url(url, realm, provider_name), body)))

    @scenario_group.command("clear")
    @_url_option
    @_realm_option
    @_provider_option
    @one_line_errors
    def scenario_clear(url: str | None, realm: str | None, provider_name: str | None) -> None:
        """Switch every server-wide scenario off (also the one from MOCK_BANKID_SCENARIO)."""
        _call("DELETE", _scenario_url(url, realm, provider_name))
        click.echo(f"{provider_name}: no scenario is on" if provider_name else "no scenario is on")

    @scenario_group.command("show")
    @click.option("--json", "as_json", is_flag=True)
    @_url_option
    @_realm_option
    @_provider_option
    @one_line_errors
    def scenario_show(as_json: bool, url: str | None, realm: str | None, provider_name: str | None) -> None:
        """Show the server-wide scenario that is on (for each provider)."""
        state = _call("GET", _scenario_url(url, realm, provider_name))
        click.echo(json.dumps(state, indent=2) if as_json else _show(state))
