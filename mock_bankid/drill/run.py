"""Run the drill: per case arrange the mock, sign in, classify where it ended, judge, clean up.

Cases never leak into one another: before each case the next-login queue and the server-wide
scenario are cleared, after it they are cleared again and the mock's clock is put back to where
it was when the drill started. A case that cannot be arranged (the mock refuses its persona or
scenario) is a usage error found before anything runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urljoin, urlsplit

from mock_bankid.drill.catalogue import POLICY, Case, CatalogueError, Policy
from mock_bankid.drill.follow import Follower, Trace, exchange_code
from mock_bankid.drill.mockapi import QUOTA_MARK, ControlError, MockAPI, Unreachable
from mock_bankid.drill.providers import Across, RelyingParty, queue_all
from mock_bankid.drill.success import SuccessRule

DEFAULT_TIMEOUT = 30.0
UNAVAILABLE = (502, 503, 504)
APP_UNAVAILABLE = ("temporarily_unavailable", "server_error")
"""The deep link's ``error`` codes that say "try again later": the app's 502/503/504 page."""
UNJUDGED = "unjudged"
"""Not an outcome: the case could not be arranged or judged (its problem says why); it fails."""


@dataclass
class Verdict:
    case: Case
    expected: tuple[str, ...]
    why: str
    seen: str
    detail: str
    trace: Trace
    first: Trace | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    problem: str = ""
    """Why the case could not be judged as it says (e.g. no 429 was ever sent): it then fails."""

    @property
    def met(self) -> bool:
        return not self.problem and self.seen in self.expected

    def message(self) -> str:
        """expected vs seen, and the last response: the JUnit failure message."""
        text = f"expected {' or '.join(self.expected)}, seen {self.seen}: {self.detail}"
        return f"{self.problem} ({text})" if self.problem else text

    def as_dict(self) -> dict[str, Any]:
        c = self.case
        return {
            "name": c.name, "rehearses": c.rehearses, "persona": c.persona, "scenario": c.scenario,
            "server_scenario": dict(c.server_scenario) if c.server_scenario else None,
            "expected": list(self.expected), "expected_because": self.why, "seen": self.seen, "met": self.met,
            "detail": self.detail, **({"problem": self.problem} if self.problem else {}),
            "notes": self.notes, "seconds": round(self.seconds, 3), "trace": self.trace.as_dict(),
            **({"first_delivery": self.first.as_dict()} if self.first is not None else {}),
        }


class Walker(Protocol):
    """How a sign-in is walked: headless (``follow``) or in Chromium (``browser``)."""

    name: str

    def sign_in(self, start: str, pick: tuple[str, str | None] | None,
                before_token: Callable[[str], None] | None) -> Trace: ...

    def deliver(self, callback: dict[str, Any], state: Any) -> Trace: ...

    def close(self) -> None: ...


class HeadlessWalker:
    """Redirects followed with urllib and a fresh cookie jar per sign-in; who signs in is queued."""

    name = "headless"

    def __init__(self, mock: MockAPI, timeout: float) -> None:
        self.mock, self.timeout = mock, timeout

    def sign_in(self, start: str, pick: tuple[str, str | None] | None,
                before_token: Callable[[str], None] | None) -> Trace:
        follower = Follower(self.mock.is_mock, self.mock.is_authorize, self.timeout, before_token)
        return follower.walk(start)

    def follow(self, url: str, jar: Any) -> Trace:
        """Go on in the same browser (its cookies): a link the relying party offered."""
        return Follower(self.mock.is_mock, self.mock.is_authorize, self.timeout).walk(url, jar)

    def deliver(self, callback: dict[str, Any], state: Any) -> Trace:
        follower = Follower(self.mock.is_mock, self.mock.is_authorize, self.timeout)
        if callback.get("method") == "POST":
            return follower.walk(callback["url"], state, method="POST", data=callback.get("params") or {})
        return follower.walk(callback["url"], state)

    def close(self) -> None:
        pass


def client_id_of(authorize_url: str) -> str | None:
    values = parse_qs(urlsplit(authorize_url).query).get("client_id")
    return values[0] if values else None


def where(trace: Trace, mock: MockAPI) -> str:
    """One line: where the walk ended and what the page said."""
    side = "mock-bankid" if trace.final_url and mock.is_mock(trace.final_url) else "relying party"
    page = f" {trace.title!r}" if trace.title else ""
    text = f" — {trace.excerpt}" if trace.excerpt and trace.excerpt != trace.title else ""
    return f"ended at {trace.final_url or '?'} ({side}, {trace.final_status or 'no answer'}{page}){text}"


def case_start(start: str, path: str | None) -> str:
    """Where a case begins: ``--start``, or the case's own path at the same origin with ``--start``'s
    query (the parameters that say which client of the relying party is walking, e.g. the mobile app's)."""
    if not path:
        return start
    query = urlsplit(start).query
    return urljoin(start, path) + (("&" if "?" in path else "?") + query if query else "")


def classify(trace: Trace, case: Case, success: SuccessRule, mock: MockAPI) -> tuple[str, str]:
    """signed-in / refused / error / timeout, and one line saying why."""
    if trace.timed_out:
        return "timeout", f"no end within {trace.seconds:.0f} s; last: {trace.final_url}"
    if trace.failure:
        if trace.failure_at_mock:  # the mock's drop-connection, seen by a browser: the RP never heard back
            return "refused", f"{trace.failure} (at mock-bankid)"
        return "error", trace.failure
    if trace.app_link:
        return classify_app_link(trace, case, success)
    at_mock = mock.is_mock(trace.final_url)
    status = trace.final_status
    line = where(trace, mock)
    if not at_mock and status >= 500:
        if case.unavailable_ok and status in UNAVAILABLE:
            return "refused", f"{line} [an 'unavailable' page counts as refused for this case]"
        return "error", line
    if not at_mock and status < 400 and success.matches(trace.final_url):
        return "signed-in", line
    if trace.login_page:
        line += " [stopped on the mock's login page: nobody was chosen to sign in]"
    return "refused", line


def classify_app_link(trace: Trace, case: Case, success: SuccessRule) -> tuple[str, str]:
    """The relying party handed the sign-in to its app: a one-time ``code`` on the success deep link
    is signed-in (until the exchange says otherwise), ``error=...`` is refused (an "unavailable"
    error only where the case says unavailable_ok, as a 503 page on the web), anything else refused."""
    query = parse_qs(urlsplit(trace.app_link).query)
    line = f"handed to the app at {trace.final_url}"
    if "error" in query:
        error, description = query["error"][0], (query.get("error_description") or [""])[0]
        line += f" (error={error}" + (f": {description})" if description else ")")
        if error in APP_UNAVAILABLE and not case.unavailable_ok:
            return "error", f"{line} [an 'unavailable' answer is refused only where the case says unavailable_ok]"
        return "refused", line
    if "code" in query and success.matches(trace.app_link):
        return "signed-in", line
    why = "not the success deep link" if "code" in query else "neither a code nor an error"
    return "refused", f"{line} [{why}]"


class Drill:
    """Everything one run needs: the mock, the relying party's two URLs, the policy, a walker."""

    def __init__(self, mock: MockAPI, start: str, success: SuccessRule, policy: Policy,
                 walker: Walker, timeout: float = DEFAULT_TIMEOUT, rp: RelyingParty | None = None) -> None:
        self.mock, self.start, self.success, self.policy = mock, start, success, policy
        self.walker, self.timeout = walker, timeout
        self.rp = rp or RelyingParty({"bankid": start})
        self.queues: tuple[str, ...] = ("bankid",)
        """The providers whose next-login queues the run uses (and so cleans)."""
        self.personas: dict[str, dict[str, Any]] = {}
        self.scenarios: dict[str, dict[str, Any]] = {}
        self.baseline_shift = 0.0
        self.warnings: list[str] = []

    # --- before the first case ---------------------------------------------------------------
    def prepare(self, cases: list[Case]) -> None:
        """Reach both sides, check every case can be arranged on this mock, start from a clean mock."""
        self.mock.connect()
        on = self.mock.server_scenarios()  # before discovery: an outage answers it with 503
        if on:
            self.mock.clear_scenario()
            names = ", ".join(f"{active.get('scenario', '?')} for {provider}"
                              for provider, active in on.items())
            self.warnings.append(f"a server-wide scenario was on ({names}); the drill switched it off")
        self.mock.read_discovery()
        self._probe_relying_party()
        self.personas = self.mock.personas()
        self.scenarios = self.mock.scenarios()
        self.queues = tuple(dict.fromkeys(p for case in cases for p in ("bankid", *case.providers)))
        for case in cases:
            self._check_case(case)
        if self.mock.queued():
            self.warnings.append("the next-login queue was not empty; the drill emptied it")
        self._clean()
        self.baseline_shift = float(self.mock.clock().get("shift") or 0.0)

    def _probe_relying_party(self) -> None:
        follower = Follower(lambda url: True, lambda url: False, min(self.timeout, 15.0))  # one hop, no redirects
        trace = follower.walk(self.start)
        if trace.timed_out:
            raise Unreachable(f"the relying party did not answer {self.start} within {follower.timeout:.0f} s")
        if trace.failure:
            raise Unreachable(f"cannot reach the relying party at {self.start}: {trace.failure}")

    def _check_case(self, case: Case) -> None:
        where_ = f"case {case.name}"
        if case.expect == POLICY and case.persona not in self.personas:
            raise CatalogueError(f"{where_}: expect = \"policy\" needs a fixture persona; "
                                 f"this mock has no {case.persona!r}")
        has = self.personas.get(case.persona, {}).get("providers")
        missing = [p for p in case.providers if p not in has] if isinstance(has, list) else []
        if missing:
            raise CatalogueError(f"{where_}: persona {case.persona} has no {missing[0]} on this mock "
                                 f"(it has {', '.join(map(str, has or [])) or 'none'})")
        for spec, key in ((case.scenario, "scenario"), (case.server_scenario, "server_scenario")):
            if not spec:
                continue
            name = str(spec["scenario"] if isinstance(spec, Mapping) else spec)
            info = self.scenarios.get(name)
            if info is None:
                raise CatalogueError(f"{where_}: this mock has no scenario {name!r} "
                                     "(`mock-bankid scenarios` lists them)")
            if key == "scenario" and not info.get("per_sign_in"):
                raise CatalogueError(f"{where_}: {name} acts on the whole server only: use server_scenario")
            if key == "server_scenario" and not info.get("server_wide"):
                raise CatalogueError(f"{where_}: {name} acts on one sign-in only: use scenario")

    def _clean(self) -> None:
        for provider in self.queues:
            self.mock.clear_queue(provider)
        self.mock.clear_scenario()  # every provider's: a scenario set without one is on for all

    # --- one case ----------------------------------------------------------------------------
    def expectation(self, case: Case) -> tuple[tuple[str, ...], str]:
        if case.expect == POLICY:
            outcome, why = self.policy.expect_for(self.personas[case.persona], case.final_provider)
            return (outcome,), f"policy: {why}"
        return tuple(case.expect), "the catalogue"

    def run(self, cases: list[Case], on_verdict: Callable[[Verdict], None] | None = None) -> list[Verdict]:
        verdicts = []
        try:
            for case in cases:
                verdict = self.run_case(case)
                verdicts.append(verdict)
                if on_verdict is not None:
                    on_verdict(verdict)
        finally:
            self.walker.close()
        return verdicts

    def run_case(self, case: Case) -> Verdict:
        expected, why = self.expectation(case)
        started = time.monotonic()
        self._clean()
        notes: list[str] = []
        try:
            if case.use_up_quota:
                self._align_window(case)
            if case.server_scenario:
                self.mock.set_scenario(dict(case.server_scenario))
            pick = self._pick(case)
            if pick is None:
                queue_all(case, self.mock.queue)
            quota = _Quota(self.mock) if case.use_up_quota else None
            start = case_start(self.rp.starts[case.provider], case.start)
            trace = self.walker.sign_in(start, pick, quota.use_up if quota else None)
            if pick is None and self.mock.queued(case.provider):
                notes.append("the relying party never sent the browser to mock-bankid's authorize endpoint")
            first = None
            if case.replay_callback:
                first, trace = trace, self._replay(trace)
            seen, detail = classify(trace, case, self.success, self.mock)
            problem = ""
            if isinstance(self.walker, HeadlessWalker) and (case.fallback or case.then or self.rp.whoami):
                outcome = Across(self.rp, _Walks(self, case), self.timeout).after_first(case, trace, seen, detail)
                seen, detail, trace, problem = outcome.seen, outcome.detail, outcome.trace, outcome.problem
                notes.extend(outcome.notes)
            if seen == "signed-in" and trace.app_link and self.success.exchange:
                seen, detail, problem = self._exchange(trace, detail, notes)
            verdict = Verdict(case, expected, why, seen, detail, trace, first, notes, problem=problem)
            if first is not None:
                first_seen, first_detail = classify(first, case, self.success, self.mock)
                if first_seen != "signed-in":
                    verdict.problem = (f"the first delivery did not sign in ({first_seen}: {first_detail}), "
                                       "so the replay proves nothing")
                else:
                    notes.append("first delivery: signed-in; the judged outcome is the second delivery's")
            if quota is not None:
                self._check_quota(verdict, quota)
        except ControlError as exc:  # the mock refused an arrangement mid-run: say so, go on with the next case
            verdict = Verdict(case, expected, why, UNJUDGED, "", Trace(), None, notes, problem=str(exc))
        finally:
            self._clean()
            self.mock.set_shift(self.baseline_shift)
        verdict.seconds = time.monotonic() - started
        return verdict

    def _exchange(self, trace: Trace, detail: str, notes: list[str]) -> tuple[str, str, str]:
        """The app's side of a mobile sign-in: trade the deep link's one-time code at --exchange.
        200 is signed-in; a second try must not be (the code is single use), else the case fails:
        (seen, detail, problem)."""
        assert self.success.exchange is not None
        code = (parse_qs(urlsplit(trace.app_link).query).get("code") or [""])[0]
        status, text = exchange_code(self.success.exchange, code, min(self.timeout, 15.0))
        if status != 200:
            answer = f"answered {status}: {text[:160]}" if status else text
            outcome = "error" if status == 0 or status >= 500 else "refused"
            return outcome, f"{detail}; the code's exchange at {self.success.exchange} {answer}", ""
        again, _ = exchange_code(self.success.exchange, code, min(self.timeout, 15.0))
        notes.append(f"the one-time code was exchanged (200); a second exchange answered {again or 'nothing'}")
        problem = "the one-time code was exchanged twice: it must be single use" if again == 200 else ""
        return "signed-in", f"{detail}; exchanged at {self.success.exchange}: 200", problem

    def _pick(self, case: Case) -> tuple[str, str | None] | None:
        """In a browser, who to click on the login page; None: arrange it through the queue."""
        if self.walker.name != "browser" or case.browser == "queue" or case.scenario_has_params:
            return None
        if case.persona not in self.personas:
            return None
        return case.persona, case.scenario_name

    def _replay(self, first: Trace) -> Trace:
        callback = self.mock.last_callback(client_id_of(first.authorize_url) if first.authorize_url else None)
        if callback is None:
            raise ControlError("callback-replay recorded no callback: did the relying party reach the mock?")
        return self.walker.deliver(callback, first.callback_jar)

    def _align_window(self, case: Case) -> None:
        """Move the mock clock back (less than one window) to the start of a rate-limit window, so
        the relying party's token request falls in the window the drill's own request used up."""
        window = float((case.server_scenario or {}).get("window", 60))
        clock = self.mock.clock()
        now, shift = float(clock["now"]), float(clock.get("shift") or 0.0)
        into = now % window
        self.mock.set_shift(shift - into + 0.05)

    def _check_quota(self, verdict: Verdict, quota: _Quota) -> None:
        if not quota.client_id:
            verdict.problem = "the relying party never reached the authorize endpoint, so no quota could be used up"
            return
        log = [e for e in self.mock.requests() if (e.get("endpoint") or "").startswith("token")
               and e.get("client_id") == quota.client_id]
        mine = [i for i, e in enumerate(log) if (e.get("form") or {}).get(QUOTA_MARK[0]) == QUOTA_MARK[1]]
        after = log[mine[-1] + 1:] if mine else []
        statuses = [int(e.get("status") or 0) for e in after]
        times = [float(e["time"]) for e in after]
        verdict.notes.append("the relying party's token requests were answered "
                             + (", ".join(map(str, statuses)) or "never (none were made)"))
        if 429 not in statuses:
            verdict.problem = ("the mock never answered the relying party's token request with 429: "
                               "the case did not rehearse a rate limit")
            return
        i = statuses.index(429)
        if i + 1 < len(statuses):
            verdict.notes.append(f"the relying party retried {times[i + 1] - times[i]:.1f} s after the 429")


class _Walks:
    """The run's walker and classification, as providers.Across uses them for one case."""

    def __init__(self, drill: Drill, case: Case) -> None:
        self.drill, self.case = drill, case
        assert isinstance(drill.walker, HeadlessWalker)
        self.walker = drill.walker

    def follow(self, url: str, trace: Trace) -> Trace:
        return self.walker.follow(url, trace.jar)

    def sign_in(self, start: str) -> Trace:
        return self.walker.sign_in(start, None, None)

    def classify(self, trace: Trace) -> tuple[str, str]:
        return classify(trace, self.case, self.drill.success, self.drill.mock)


class _Quota:
    """``use_up_quota = "token"``: one token request as the relying party's client, sent when the
    walk reaches the authorize endpoint (where the client id first shows)."""

    def __init__(self, mock: MockAPI) -> None:
        self.mock = mock
        self.client_id: str | None = None

    def use_up(self, authorize_url: str) -> None:
        self.client_id = client_id_of(authorize_url)
        if self.client_id:
            self.mock.use_up_token_quota(self.client_id)
