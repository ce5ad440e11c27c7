"""The mock's control surface (``{base}/_mock/...``) as the drill uses it, with the standard library.

``mock-bankid drill`` runs where mock-bankid is installed without its test extras (a CI image, a
QA laptop), so like ``mock-bankid scenario`` it speaks plain urllib.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode, urlsplit

from mock_bankid.core import routes
from mock_bankid.core.routes import Route

QUOTA_MARK = ("mock_bankid_drill", "uses-up-the-quota")
"""A form parameter the token endpoint ignores and the request log shows: finds the drill's own request."""


class Unreachable(OSError):
    """The mock (or the relying party) does not answer at all: the drill cannot judge anything."""


class ControlError(ValueError):
    """The mock refused a control call (e.g. an unknown persona or scenario in the catalogue)."""


def origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


class MockAPI:
    """One mock-bankid, found by its base URL (``--url``, ``MOCK_BANKID_BASE_URL``/``_PORT``)."""

    def __init__(self, base_url: str, timeout: float = 10.0, realm: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.realm = realm
        """The realm the drill arranges its cases in (``--realm``); None: the server's own."""
        self.info: dict[str, Any] = {}
        self.discovery: dict[str, Any] = {}

    def call(self, route: Route, body: Any = None, query: dict[str, str] | None = None) -> Any:
        """One call to a control route (its first method) in the drill's realm, JSON in and out."""
        method = route.methods[0]
        query = {**(query or {}), **({"realm": self.realm} if self.realm else {})}
        url = f"{self.base_url}{route.under_base}" + (f"?{urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method,  # noqa: S310 - the user's own mock
                                     headers={"Content-Type": "application/json"} if data is not None else {})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:  # noqa: S310 - the user's own mock
                text = response.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", errors="replace")
            try:
                detail = json.loads(text).get("error_description") or text
            except (ValueError, AttributeError):
                detail = text[:200]
            raise ControlError(f"{method} {url}: {exc.code} {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise Unreachable(f"cannot reach mock-bankid at {self.base_url}: {getattr(exc, 'reason', exc)}") from None
        return json.loads(text) if text.strip() else None

    def connect(self) -> None:
        """Check it is a mock-bankid (its ``/_mock`` index); ``read_discovery`` then reads its endpoints."""
        try:
            info = self.call(routes.CONTROL_INDEX)
        except ControlError as exc:
            raise Unreachable(f"{self.base_url} does not look like mock-bankid ({exc})") from None
        if not isinstance(info, dict) or info.get("mock") is not True:
            raise Unreachable(f"{self.base_url}{routes.CONTROL_INDEX.under_base} did not answer as mock-bankid does")
        self.info = info

    def read_discovery(self) -> None:
        """Read the issuer's endpoints (the authorize URL's path): after ``connect`` and after any
        scenario is off, as an outage answers discovery with 503."""
        try:
            with urllib.request.urlopen(self.info["discovery"], timeout=self.timeout) as response:  # noqa: S310
                self.discovery = json.loads(response.read())
        except (OSError, ValueError, KeyError) as exc:
            raise Unreachable(f"cannot read mock-bankid's discovery document: {exc}") from None

    @property
    def authorize_endpoint(self) -> str:
        return self.discovery.get("authorization_endpoint", "")

    @property
    def token_endpoint(self) -> str:
        return self.discovery.get("token_endpoint", "")

    def is_mock(self, url: str) -> bool:
        """Is this URL the mock's (its browser-facing base)? Everything else is the relying party's side."""
        return origin(url) in {origin(self.base_url), origin(self.authorize_endpoint or self.base_url)}

    def is_authorize(self, url: str) -> bool:
        return self.is_mock(url) and urlsplit(url).path == urlsplit(self.authorize_endpoint).path

    # --- what a case arranges ----------------------------------------------------------------
    def personas(self) -> dict[str, dict[str, Any]]:
        return {p["id"]: p for p in self.call(routes.PERSONAS)["personas"]}

    def scenarios(self) -> dict[str, dict[str, Any]]:
        answer = self.call(routes.SCENARIOS)
        items = answer.get("scenarios", answer) if isinstance(answer, dict) else answer
        return {s["name"]: s for s in items}

    # Each provider (BankID, Vipps) has its own next-login queue and scenario, chosen by the control
    # calls' ``provider`` query parameter, always sent when the drill knows it (a mock that serves
    # BankID only ignores it). A server scenario without one is every provider's.
    @staticmethod
    def _provider(provider: str | None) -> dict[str, str] | None:
        return {"provider": provider} if provider else None

    def queue(self, persona: str, scenario: Any = None, provider: str = "bankid") -> None:
        body: dict[str, Any] = {"persona": persona}
        if scenario:
            body["scenario"] = scenario
        self.call(routes.NEXT_LOGIN_PUSH, body, query=self._provider(provider))

    def queued(self, provider: str = "bankid") -> list[Any]:
        return self.call(routes.NEXT_LOGIN_LIST, query=self._provider(provider)).get("queue", [])

    def clear_queue(self, provider: str = "bankid") -> None:
        self.call(routes.NEXT_LOGIN_CLEAR, query=self._provider(provider))

    def server_scenarios(self) -> dict[str, dict[str, Any]]:
        """The server-wide scenario on at each provider that has one, by provider (BankID's first);
        a mock that serves BankID only answers with its one ``active``, named ``bankid``."""
        answer = self.call(routes.SCENARIO_GET)
        states = answer.get("providers") if isinstance(answer.get("providers"), dict) else {"bankid": answer}
        return {name: state["active"] for name, state in states.items()
                if isinstance(state, dict) and state.get("active")}

    def set_scenario(self, spec: dict[str, Any]) -> None:
        """A server-wide scenario; ``provider`` in the spec (a case's ``server_scenario``) picks whose."""
        spec = dict(spec)
        provider = spec.pop("provider", None)
        self.call(routes.SCENARIO_SET, spec, query=self._provider(provider))

    def clear_scenario(self, provider: str | None = None) -> None:
        """Switch the server-wide scenario off for ``provider`` (None: every provider)."""
        self.call(routes.SCENARIO_CLEAR, query=self._provider(provider))

    def clock(self) -> dict[str, Any]:
        return self.call(routes.CLOCK_GET)

    def set_shift(self, seconds: float) -> None:
        if seconds:
            self.call(routes.CLOCK_SET, {"shift": seconds})
        else:
            self.call(routes.CLOCK_RESET)

    def requests(self, path_part: str = "") -> list[dict[str, Any]]:
        return self.call(routes.REQUESTS_GET, query={"path": path_part} if path_part else None)["requests"]

    def last_callback(self, client_id: str | None) -> dict[str, Any] | None:
        try:
            return self.call(routes.LAST_CALLBACK, query={"client_id": client_id} if client_id else None)
        except ControlError:
            return None

    def use_up_token_quota(self, client_id: str) -> int:
        """One token request as ``client_id`` (no secret: it fails, but it is counted by rate-limit)."""
        data = urlencode({"grant_type": "authorization_code", "code": "-", "client_id": client_id,
                          QUOTA_MARK[0]: QUOTA_MARK[1]}).encode()
        req = urllib.request.Request(self.token_endpoint, data=data, method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except (urllib.error.URLError, OSError) as exc:
            raise Unreachable(f"cannot reach mock-bankid's token endpoint: {getattr(exc, 'reason', exc)}") from None
