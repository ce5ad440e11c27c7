"""The drill's own rules, without a relying party: the catalogue, the policy, the success rule,
how a walk's end is classified, and the command's exit codes for what it cannot run."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import FIXTURES, free_port

from mock_bankid.core.settings import PROJECT_ROOT, Settings
from mock_bankid.drill.catalogue import POLICY, CatalogueError, Policy, load_catalogue, parse_case, select
from mock_bankid.drill.follow import Trace
from mock_bankid.drill.mockapi import MockAPI
from mock_bankid.drill.run import SuccessRule, classify
from mock_bankid.people.personas import PersonaRegistry
from mock_bankid.scenarios import REGISTRY, Scenarios

CATALOGUE = load_catalogue(FIXTURES / "drills.toml")
BY_NAME = {c.name: c for c in CATALOGUE}


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mock_bankid.cli", "drill", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=PROJECT_ROOT)


# --- the catalogue ---------------------------------------------------------------------------
def test_every_bankid_persona_and_every_trap_has_a_case_named_after_it():
    """The drill signs in through BankID: every persona who has a BankID gets a case."""
    Scenarios.load(Settings(fixtures_dir=FIXTURES))  # registers the built-ins
    ids = {p.id for p in PersonaRegistry.load(FIXTURES).for_provider("bankid", date(2026, 6, 15))}
    assert len(ids) > 40 and "bankid-only" in ids and "vipps-only" not in ids
    assert ids <= set(BY_NAME), sorted(ids - set(BY_NAME))
    traps = {name for name, d in REGISTRY.items() if d.kind == "trap"}
    assert traps <= set(BY_NAME), sorted(traps - set(BY_NAME))
    for name in ("state-mismatch", "state-missing", "cancel", "session-timeout", "callback-replay", "outage",
                 "server-error", "temporarily-unavailable", "slow", "drop-connection", "invalid-client", "rate-limit"):
        assert name in BY_NAME, name
    for case in CATALOGUE:  # named after what it uses
        used = {case.persona, case.scenario_name, (case.server_scenario or {}).get("scenario")}
        assert any(u and case.name.startswith(u) for u in used), case.name


def test_the_catalogue_says_what_the_issue_asks():
    assert BY_NAME["callback-replay"].replay_callback and BY_NAME["callback-replay"].expect == ("refused",)
    assert BY_NAME["rate-limit"].expect == ("signed-in",) and BY_NAME["rate-limit"].use_up_quota == "token"
    for name in ("outage", "outage-server-wide", "server-error", "temporarily-unavailable", "slow", "drop-connection",
                 "invalid-client"):
        assert BY_NAME[name].expect == ("refused",) and BY_NAME[name].unavailable_ok, name
    for name in ("state-mismatch", "state-missing", "cancel", "session-timeout"):
        assert BY_NAME[name].expect == ("refused",) and not BY_NAME[name].unavailable_ok, name
    assert all(c.expect == ("refused",) for c in CATALOGUE if c.name.startswith("trap-"))
    assert all(c.rehearses.startswith(("ADR-007", "runbook")) for c in CATALOGUE)


@pytest.mark.parametrize("raw, message", [
    ({"name": "x", "expect": "refused"}, "rehearses"),
    ({"name": "x", "rehearses": "r", "expect": "refusd"}, "did you mean refused"),
    ({"name": "x", "rehearses": "r", "expect": "refused", "scenaro": "cancel"}, "unknown key scenaro"),
    ({"name": "x", "rehearses": "r", "expect": "policy", "scenario": "cancel"}, "persona cases without a scenario"),
    ({"name": "x", "rehearses": "r", "expect": "signed-in", "use_up_quota": "token"}, "needs server_scenario"),
    ({"name": "x", "rehearses": "r", "expect": "refused", "scenario": {"seconds": 3}}, "scenario name or a table"),
    ({"rehearses": "r", "expect": "refused"}, "needs a name"),
])
def test_a_broken_case_is_one_line_naming_it(raw, message):
    with pytest.raises(CatalogueError, match=message):
        parse_case(raw, "drills.toml [[case]] #1")


def test_duplicate_names_and_unknown_selection(tmp_path):
    path = tmp_path / "d.toml"
    path.write_text('[[case]]\nname="a"\nrehearses="r"\nexpect="refused"\n' * 2)
    with pytest.raises(CatalogueError, match="two cases are named 'a'"):
        load_catalogue(path)
    with pytest.raises(CatalogueError, match="did you mean under-18"):
        select(CATALOGUE, "adult,under-17")
    assert [c.name for c in select(CATALOGUE, "cancel,adult")] == ["adult", "cancel"]  # catalogue order


# --- the policy ------------------------------------------------------------------------------
def test_policy_judges_age_kind_and_validity(tmp_path):
    default = Policy()
    assert default.expect_for({"kind": "tenor", "age": 30})[0] == "signed-in"
    assert default.expect_for({"kind": "fnr", "age": 17})[0] == "refused"
    assert default.expect_for({"kind": "fnr", "age": 18})[0] == "signed-in"
    assert default.expect_for({"kind": "fh", "age": None}) == (
        "refused", "the age cannot be known (fh has no birth date)")
    assert default.expect_for({"kind": "malformed", "age": 40})[0] == "refused"
    path = tmp_path / "policy.toml"
    path.write_text('min_age = 20\naccept = ["fnr", "dnr"]\n')
    strict = Policy.load(path)
    assert strict.expect_for({"kind": "fnr", "age": 19})[0] == "refused"
    assert strict.expect_for({"kind": "tenor", "age": 40}) == ("refused", "kind tenor is not accepted by the policy")
    assert strict.expect_for({"kind": "dnr", "age": 20})[0] == "signed-in"
    path.write_text("min_age = 18\nmax_age = 99\n")
    with pytest.raises(CatalogueError, match="unknown key max_age"):
        Policy.load(path)


def test_policy_cases_are_the_valid_personas_without_a_scenario():
    # Which persona cases are "policy": every valid-number persona without a scenario of its own.
    policy_cases = {c.name for c in CATALOGUE if c.expect == POLICY}
    assert {"adult", "under-18", "turns-18-today", "tenor", "d-number", "h-number", "fh-number"} <= policy_cases
    assert not policy_cases & {"bad-checksum", "scenario-cancel", "trap-nonce"}


# --- success and classification --------------------------------------------------------------
START = "http://rp.test:3000/api/auth/bankid"


@pytest.mark.parametrize("spec, url, expected", [
    ("/dashboard", "http://rp.test:3000/dashboard", True),
    ("/dashboard", "http://rp.test:3000/dashboard/settings?x=1", True),
    ("/dashboard", "http://rp.test:3000/dashboards", False),
    ("/", "http://rp.test:3000/", True),
    ("/", "http://rp.test:3000/anything", False),          # `/` never matches every path
    ("http://rp.test:3000/home", "http://rp.test:3000/home", True),
    ("http://rp.test:3000/home", "http://other.test:3000/home", False),
    (None, "http://rp.test:3000/", False),                   # guessed: the root never counts
    (None, "http://rp.test:3000/account", True),
    (None, "http://rp.test:3000/account?error=access_denied", False),
    (None, "http://rp.test:3000/api/auth/bankid", False),
])
def test_success_rule(spec, url, expected):
    assert SuccessRule(spec, START).matches(url) is expected


@pytest.mark.parametrize("url, expected", [
    ("drop://auth/done", True),
    ("drop://auth/done?code=abc", True),
    ("drop://auth/done/x?code=abc", True),
    ("drop://auth/doner?code=abc", False),
    ("drop://other?code=abc", False),
    ("http://rp.test:3000/dashboard", False),          # a mobile sign-in never succeeds on a web page
])
def test_a_deep_link_success_rule(url, expected):
    rule = SuccessRule("drop://auth/done", START, "http://rp.test:3000/api/auth/mobile/exchange")
    assert rule.app_link and rule.matches(url) is expected
    assert "one-time code" in rule.describe() and "exchanged at http://rp.test:3000" in rule.describe()
    assert not SuccessRule("/dashboard", START).app_link and not SuccessRule("https://rp.test/x", START).app_link


class _Mock(MockAPI):
    def __init__(self) -> None:
        super().__init__("http://mock.test:8080")
        self.discovery = {"authorization_endpoint": "http://mock.test:8080/auth/realms/current/precheck/auth"}


def _trace(url: str, status: int, **extra) -> Trace:
    return Trace(final_url=url, final_status=status, title="t", **extra)


@pytest.mark.parametrize("trace, unavailable_ok, seen", [
    (_trace("http://rp.test:3000/dashboard", 200), False, "signed-in"),
    (_trace("http://rp.test:3000/dashboard", 401), False, "refused"),
    (_trace("http://rp.test:3000/api/auth/bankid/callback", 400), False, "refused"),
    (_trace("http://rp.test:3000/api/auth/bankid/callback", 500), True, "error"),   # a 500 never counts
    (_trace("http://rp.test:3000/api/auth/bankid/callback", 503), False, "error"),
    (_trace("http://rp.test:3000/api/auth/bankid/callback", 503), True, "refused"),
    (_trace("http://mock.test:8080/auth/realms/current/precheck/auth", 503), False, "refused"),  # left at BankID
    (_trace("http://rp.test:3000/x", 0, timed_out=True), False, "timeout"),
    (_trace("http://rp.test:3000/api/auth/bankid/callback", 0, failure="no answer (reset)"), True, "error"),
])
def test_classify(trace, unavailable_ok, seen):
    case = parse_case({"name": "c", "rehearses": "r", "expect": "refused", "unavailable_ok": unavailable_ok}, "t")
    assert classify(trace, case, SuccessRule("/dashboard", START), _Mock())[0] == seen


def _app(link: str) -> Trace:
    return Trace(final_url=link, final_status=302, app_link=link)


@pytest.mark.parametrize("trace, unavailable_ok, seen", [
    (_app("drop://auth/done?code=abc"), False, "signed-in"),
    (_app("drop://auth/done?error=access_denied&error_description=Under+18"), False, "refused"),
    (_app("drop://auth/done?error=temporarily_unavailable"), True, "refused"),
    (_app("drop://auth/done?error=temporarily_unavailable"), False, "error"),   # as a 503 page without unavailable_ok
    (_app("drop://auth/done?error=server_error"), True, "refused"),
    (_app("drop://auth/done"), False, "refused"),                               # neither a code nor an error
    (_app("drop://elsewhere?code=abc"), False, "refused"),                      # not the success deep link
])
def test_classify_a_hand_off_to_the_app(trace, unavailable_ok, seen):
    case = parse_case({"name": "c", "rehearses": "r", "expect": "refused", "unavailable_ok": unavailable_ok}, "t")
    assert classify(trace, case, SuccessRule("drop://auth/done", START), _Mock())[0] == seen


# --- the command -----------------------------------------------------------------------------
@pytest.mark.forks
def test_list_needs_no_mock_and_no_start():
    result = run_cli("--list")
    assert result.returncode == 0 and result.stdout.splitlines()[0].startswith("adult ")
    assert len(result.stdout.splitlines()) == len(CATALOGUE)
    without = run_cli("--cases", "adult")  # a run, not a list: --start is what it drives
    assert without.returncode == 2 and without.stderr.startswith("mock-bankid drill: --start is required")


@pytest.mark.forks
def test_unreachable_mock_is_exit_2_with_one_line():
    result = run_cli("--start", "http://127.0.0.1:1/x", "--url", f"http://127.0.0.1:{free_port()}", "--cases", "adult")
    assert result.returncode == 2
    assert result.stderr.startswith("mock-bankid drill: cannot reach mock-bankid at http://127.0.0.1:")
    assert "Traceback" not in result.stderr


@pytest.mark.forks
@pytest.mark.parametrize("args, message", [
    (["--cases", "nobody"], "no case 'nobody'"),
    (["--policy", "/nonexistent/policy.toml"], "policy /nonexistent/policy.toml"),
    (["--catalogue", "/nonexistent/drills.toml"], "catalogue /nonexistent/drills.toml"),
    (["--success", "/dashboard", "--exchange", "http://127.0.0.1:1/e"], "--exchange is for a mobile sign-in"),
    (["--success", "drop://auth/done", "--exchange", "drop://x"], "--exchange must be an http(s) URL"),
    (["--success", "drop://auth/done", "--browser"], "--browser cannot follow an app's deep link"),
])
def test_bad_usage_is_exit_2(args, message):
    result = run_cli("--start", "http://127.0.0.1:1/x", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr


@pytest.mark.forks
def test_browser_without_playwright_is_one_clear_line():
    script = ("import sys; sys.modules['playwright'] = None\n"
              "from mock_bankid.cli import main\n"
              "main(['drill', '--start', 'http://127.0.0.1:1/x', '--browser', '--cases', 'adult'])\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            cwd=PROJECT_ROOT)
    assert result.returncode == 2
    assert "--browser needs Playwright: pip install 'mock-bankid[browser]'" in result.stderr


def test_the_fixture_ships_with_the_wheel():
    text = (PROJECT_ROOT / "pyproject.toml").read_text()
    assert '"fixtures/drills.toml"' in text
    assert Path(FIXTURES / "drills.toml").is_file()


def test_reports_never_carry_an_authorization_code():
    from mock_bankid.drill.follow import redact

    assert redact("http://rp/cb?code=abc&state=s") == "http://rp/cb?code=[redacted]&state=s"
    assert redact("http://rp/cb?state=s&code=abc#x") == "http://rp/cb?state=s&code=[redacted]#x"
    assert redact("http://rp/dashboard?encode=1") == "http://rp/dashboard?encode=1"


def test_the_drill_is_a_client_of_the_mock_and_imports_nothing_of_the_server():
    from test_layers import GRAPH

    used = {target for module, targets in GRAPH.items() if module.startswith("mock_bankid.drill") for target in targets}
    # The route table is the HTTP surface's description (pure data, importing nothing): the drill
    # calls the control API at the paths it declares, as any client could read them from OpenAPI.
    outside = {t for t in used if not t.startswith("mock_bankid.drill")}
    assert outside <= {"mock_bankid", "mock_bankid.core.routes"}, used
    assert GRAPH["mock_bankid.core.routes"] == []
