"""The drill across providers, without a relying party: the Vipps cases and their keys, the policy
for a Vipps client without ``nin``, which cases need which options, the fallback link, and how whoami
answers are judged (one person, one user; the provider the drill used)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from conftest import FIXTURES

from mock_bankid.core.settings import PROJECT_ROOT
from mock_bankid.drill import providers
from mock_bankid.drill.catalogue import POLICY, CatalogueError, Policy, load_catalogue, parse_case
from mock_bankid.drill.follow import Trace, read_page
from mock_bankid.drill.providers import Across, RelyingParty, fallback_link, queue_all, resolve

CATALOGUE = load_catalogue(FIXTURES / "drills.toml")
BY_NAME = {c.name: c for c in CATALOGUE}
VIPPS_CASES = {"adult-vipps", "vipps-only", "under-18-vipps", "vipps-phone-changed-vipps",
               "outage-bankid-fallback-vipps", "adult-25-bankid-then-vipps"}
START = "http://rp.test:3000/api/auth/bankid"
VIPPS = "http://rp.test:3000/api/auth/vipps"
WHOAMI = "http://rp.test:3000/api/me"


def test_every_vipps_only_persona_has_a_vipps_case_named_after_it():
    from datetime import date

    from mock_bankid.people.personas import PersonaRegistry

    people = PersonaRegistry.load(FIXTURES)
    only = ({p.id for p in people.for_provider("vipps", date(2026, 6, 15))}
            - {p.id for p in people.for_provider("bankid", date(2026, 6, 15))})
    assert {"vipps-only", "under-18-vipps"} <= only
    for persona in only:
        cases = [c for c in CATALOGUE if c.persona == persona and c.provider == "vipps"]
        assert any(c.name.startswith(persona) for c in cases), persona


def test_the_catalogue_rehearses_the_fallback_and_the_dedupe():
    assert {c.name for c in CATALOGUE if "vipps" in c.providers} == VIPPS_CASES
    fallback = BY_NAME["outage-bankid-fallback-vipps"]
    assert fallback.provider == "bankid" and fallback.fallback == "vipps" and fallback.final_provider == "vipps"
    assert fallback.server_scenario == {"scenario": "outage", "provider": "bankid", "endpoints": ["token"]}
    assert fallback.unavailable_ok  # a 503 page without the link is refused (not met), not an error
    dedupe = BY_NAME["adult-25-bankid-then-vipps"]
    assert (dedupe.provider, dedupe.then, dedupe.providers) == ("bankid", "vipps", ("bankid", "vipps"))
    for name in VIPPS_CASES:  # the person decides, as for BankID; the policy says what a Vipps client without nin gets
        assert BY_NAME[name].expect == POLICY, name
    assert all(c.provider == "bankid" and not c.fallback and not c.then for c in CATALOGUE if c.name not in VIPPS_CASES)


@pytest.mark.parametrize("raw, message", [
    ({"provider": "vipps-login"}, "provider must be one of bankid, vipps, not 'vipps-login'"),
    ({"fallback": "bankid"}, "fallback names the provider the case already signs in with"),
    ({"fallback": "vipps", "then": "vipps"}, "fallback and then do not go together"),
    ({"then": "mitid"}, "then must be one of bankid, vipps"),
    ({"server_scenario": {"scenario": "outage", "provider": "mitid"}, "expect": "refused"},
     "server_scenario's provider must be one of bankid, vipps"),
    ({"server_scenario": "outage"}, "a server_scenario only with fallback"),
])
def test_a_broken_provider_key_is_one_line_naming_the_case(raw, message):
    with pytest.raises(CatalogueError, match=message) as caught:
        parse_case({"name": "x", "rehearses": "r", "expect": "policy", **raw}, "drills.toml [[case]] #1")
    assert "(case x)" in str(caught.value) and "\n" not in str(caught.value)


def test_policy_refuses_every_vipps_sign_in_when_the_client_gets_no_nin(tmp_path):
    adult = {"kind": "fnr", "age": 40}
    assert Policy().expect_for(adult, "vipps")[0] == "signed-in"
    assert Policy().expect_for({"kind": "fnr", "age": 16}, "vipps")[0] == "refused"
    path = tmp_path / "policy.toml"
    path.write_text("vipps_nin = false\n")
    no_nin = Policy.load(path)
    assert no_nin.expect_for(adult, "vipps") == (
        "refused", "the Vipps client gets no nin, so a Vipps sign-in cannot be linked to an account")
    assert no_nin.expect_for(adult)[0] == "signed-in"  # BankID carries the number itself
    assert "Vipps without nin: refused" in no_nin.describe() and no_nin.as_dict()["vipps_nin"] is False
    path.write_text('vipps_nin = "no"\n')
    with pytest.raises(CatalogueError, match="vipps_nin is true or false"):
        Policy.load(path)


def test_which_options_a_case_needs():
    bankid_only = RelyingParty({"bankid": START})
    both = RelyingParty({"bankid": START, "vipps": VIPPS})
    full = RelyingParty({"bankid": START, "vipps": VIPPS}, WHOAMI)
    assert bankid_only.missing(BY_NAME["adult"], browser=False) is None
    assert bankid_only.missing(BY_NAME["adult-vipps"], browser=False) == "needs --start-vipps"
    assert bankid_only.missing(BY_NAME["outage-bankid-fallback-vipps"], browser=False) == "needs --start-vipps"
    assert both.missing(BY_NAME["outage-bankid-fallback-vipps"], browser=False) is None
    assert both.missing(BY_NAME["adult-25-bankid-then-vipps"], browser=False) == "needs --whoami"
    assert full.missing(BY_NAME["adult-25-bankid-then-vipps"], browser=True) == "runs headless only"
    assert full.missing(BY_NAME["adult-vipps"], browser=True) is None  # a plain Vipps sign-in clicks as BankID's
    assert resolve("/api/auth/vipps", START) == VIPPS and resolve("https://x.test/me", START) == "https://x.test/me"


def test_queue_all_queues_the_person_with_every_provider_the_case_uses():
    calls: list[tuple[str, Any, str]] = []
    queue_all(BY_NAME["outage-bankid-fallback-vipps"], lambda *a: calls.append(a))
    assert calls == [("adult", None, "bankid"), ("adult", None, "vipps")]


def test_the_fallback_is_the_link_to_the_vipps_start_url_on_the_page():
    page = read_page('<html><title>BankID is unavailable</title><a class="button" href="/api/auth/vipps">'
                     'Sign in with Vipps instead</a> <a href="/api/auth/bankid">Try again</a></html>')
    assert page.links == ["/api/auth/vipps", "/api/auth/bankid"]
    trace = Trace(links=["http://rp.test:3000/api/auth/bankid", "http://rp.test:3000/api/auth/vipps?x=1"])
    assert fallback_link(trace, VIPPS) == "http://rp.test:3000/api/auth/vipps?x=1"
    assert fallback_link(Trace(links=["http://elsewhere.test/api/auth/vipps"]), VIPPS) is None
    assert fallback_link(Trace(links=["http://rp.test:3000/api/auth/vippsx"]), VIPPS) is None


class FakeWalks:
    """Walks that end where the test says: a list of (seen, trace) to hand out in order."""

    def __init__(self, *ends: tuple[str, Trace]) -> None:
        self.ends = list(ends)
        self.walked: list[str] = []

    def _next(self, url: str) -> Trace:
        self.walked.append(url)
        seen, trace = self.ends.pop(0)
        trace.excerpt = seen
        return trace

    def follow(self, url: str, trace: Trace) -> Trace:
        return self._next(url)

    def sign_in(self, start: str) -> Trace:
        return self._next(start)

    def classify(self, trace: Trace) -> tuple[str, str]:
        return trace.excerpt, f"ended at {trace.final_url}"


@pytest.fixture
def whoami_says(monkeypatch):
    """The relying party's whoami answers, in order: (status, body)."""
    answers: list[tuple[int, dict[str, Any] | None]] = []
    monkeypatch.setattr(providers, "whoami", lambda url, jar, timeout: (*answers.pop(0), "…"))
    return answers


def test_the_fallback_is_followed_and_judged_with_whoami(whoami_says):
    case = BY_NAME["outage-bankid-fallback-vipps"]
    rp = RelyingParty({"bankid": START, "vipps": VIPPS}, WHOAMI)
    down = Trace(final_url=START + "/callback", final_status=503, links=[VIPPS])
    walks = FakeWalks(("signed-in", Trace(final_url="http://rp.test:3000/dashboard")))
    whoami_says.append((200, {"user_id": "u1", "auth_provider": "vipps"}))
    out = Across(rp, walks, 5).after_first(case, down, "refused", "503 BankID is unavailable")
    assert (out.seen, out.problem, walks.walked) == ("signed-in", "", [VIPPS])
    assert any("followed the page's link" in n for n in out.notes)
    assert "whoami: user u1, signed in with vipps" in out.notes

    # no link on the page: nothing to follow, the first walk's end is judged
    out = Across(rp, FakeWalks(), 5).after_first(case, Trace(final_status=503), "refused", "503")
    assert out.seen == "refused" and "offers no link to http://rp.test:3000/api/auth/vipps" in out.notes[0]

    # signed in, but the relying party says it was BankID (while BankID was down)
    whoami_says.append((200, {"user_id": "u1", "auth_provider": "bankid"}))
    out = Across(rp, FakeWalks(("signed-in", Trace())), 5).after_first(case, down, "refused", "503")
    assert out.problem == "the drill signed in with vipps, but --whoami says auth_provider 'bankid'"


def test_one_person_must_be_one_user(whoami_says):
    case = BY_NAME["adult-25-bankid-then-vipps"]
    rp = RelyingParty({"bankid": START, "vipps": VIPPS}, WHOAMI)
    whoami_says.extend([(200, {"user_id": "u1", "auth_provider": "bankid"}), (200, {"user_id": "u1"})])
    walks = FakeWalks(("signed-in", Trace()))
    out = Across(rp, walks, 5).after_first(case, Trace(), "signed-in", "dashboard")
    assert (out.seen, out.problem, walks.walked) == ("signed-in", "", [VIPPS])

    whoami_says.extend([(200, {"user_id": "u1", "auth_provider": "bankid"}),
                        (200, {"user_id": "u2", "auth_provider": "vipps"})])
    out = Across(rp, FakeWalks(("signed-in", Trace())), 5).after_first(case, Trace(), "signed-in", "dashboard")
    assert out.problem == ("one person, two users: whoami named user u1 after the bankid sign-in "
                           "and user u2 after the vipps one")

    # the first sign-in did not work: the second is never walked, and the case cannot pass
    walks = FakeWalks()
    out = Across(rp, walks, 5).after_first(case, Trace(), "refused", "403")
    assert walks.walked == [] and "the first sign-in (bankid) did not sign in" in out.problem

    # whoami does not know the session the drill just signed in with
    whoami_says.append((401, {"error": "unauthorized"}))
    out = Across(rp, FakeWalks(), 5).after_first(BY_NAME["adult"], Trace(), "signed-in", "dashboard")
    assert out.problem.startswith("signed in, but --whoami http://rp.test:3000/api/me answered 401")


@pytest.mark.forks
@pytest.mark.parametrize("args, message", [
    (["--cases", "adult-vipps"], "case adult-vipps needs --start-vipps"),
    (["--cases", "adult-25-bankid-then-vipps", "--start-vipps", "/api/auth/vipps"], "needs --whoami"),
    (["--whoami", "ftp://x/me"], "--whoami must be an http(s) URL or a path"),
])
def test_a_vipps_case_without_its_options_is_exit_2(args, message):
    command = [sys.executable, "-m", "mock_bankid.cli", "drill", "--start", "http://127.0.0.1:1/x", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)
    assert result.returncode == 2 and message in result.stderr, result.stderr
