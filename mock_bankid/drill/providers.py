"""Cases across providers: where each provider's sign-in starts, the fallback, whoami, one user.

A relying party with BankID and Vipps Login has a start URL per provider (``--start``,
``--start-vipps``) and, to be asked who is signed in, a whoami URL (``--whoami``): a GET with the
session's cookies answering ``{"user_id": ..., "auth_provider": ...}``. With those the drill
rehearses ADR-007 Phase 2:

- ``fallback = "vipps"``: BankID fails; the page the relying party shows must link to its Vipps
  start URL; the drill follows that link in the same browser and judges where it ends;
- ``then = "vipps"``: a person who signed in with BankID signs in again with Vipps (a fresh
  browser): whoami must name the same user both times;
- whoami after every case that signs in: the session must be a user, signed in with the provider
  the drill used (``auth_provider``, where the relying party says it).

The walks themselves are the walker's; this module only decides what to walk next and what the
whoami answers mean.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from mock_bankid.drill.catalogue import Case
from mock_bankid.drill.follow import Trace, whoami
from mock_bankid.drill.mockapi import origin

START_OPTION = {"bankid": "--start", "vipps": "--start-vipps"}


@dataclass(frozen=True)
class RelyingParty:
    """The relying party's URLs: a start URL per provider, and optionally where to ask who is signed in."""

    starts: Mapping[str, str]
    whoami: str | None = None

    def missing(self, case: Case, browser: bool) -> str | None:
        """Why this case cannot run with these options, in a few words (None: it can)."""
        for provider in case.providers:
            if provider not in self.starts:
                return f"needs {START_OPTION.get(provider, '--start-' + provider)}"
        if case.then and not self.whoami:
            return "needs --whoami"
        if browser and (case.fallback or case.then):
            return "runs headless only"
        return None


def resolve(url_or_path: str, start: str) -> str:
    """``--start-vipps``/``--whoami`` as given: a URL, or a path at ``--start``'s origin."""
    return url_or_path if "://" in url_or_path else urljoin(start, url_or_path)


def fallback_link(trace: Trace, start: str) -> str | None:
    """The link on the page where the walk ended that starts the fallback's sign-in: same origin
    and path as its start URL (any query)."""
    want = urlsplit(start)
    for link in trace.links:
        if origin(link) == origin(start) and urlsplit(link).path.rstrip("/") == want.path.rstrip("/"):
            return link
    return None


class Walks(Protocol):
    """What this module needs of the run: walk on, sign in afresh, classify."""

    def follow(self, url: str, trace: Trace) -> Trace: ...

    def sign_in(self, start: str) -> Trace: ...

    def classify(self, trace: Trace) -> tuple[str, str]: ...


@dataclass
class Outcome:
    seen: str
    detail: str
    trace: Trace
    problem: str = ""
    notes: list[str] = field(default_factory=list)


class Across:
    """One case's walks beyond the first: the fallback, whoami and the second sign-in."""

    def __init__(self, rp: RelyingParty, walks: Walks, timeout: float) -> None:
        self.rp, self.walks, self.timeout = rp, walks, timeout

    def after_first(self, case: Case, trace: Trace, seen: str, detail: str) -> Outcome:
        out = Outcome(seen, detail, trace)
        provider = case.provider
        if case.fallback and seen != "signed-in" and not trace.app_link:
            start = self.rp.starts[case.fallback]
            link = fallback_link(trace, start)
            if link is None:
                out.notes.append(f"{provider} did not sign in ({seen}) and the page offers no link to "
                                 f"{start}: no fallback was offered")
                return out
            out.notes.append(f"{provider} did not sign in ({detail}); followed the page's link to {link}")
            second = self.walks.follow(link, trace)
            second.hops[:0] = trace.hops
            out.trace, provider = second, case.fallback
            out.seen, out.detail = self.walks.classify(second)
        elif case.fallback and seen == "signed-in":
            provider = case.fallback  # the relying party went to the fallback by itself (a redirect)
        if out.seen != "signed-in" or out.trace.app_link:
            if case.then:
                out.problem = f"the first sign-in ({case.provider}) did not sign in, so the second proves nothing"
            return out
        user = self._whoami(out, provider)
        if case.then and user and not out.problem:
            self._then(case, out, user)
        return out

    def _whoami(self, out: Outcome, provider: str) -> str | None:
        """Ask the relying party who is signed in with this walk's session; a problem when the answer
        is not a user, or names another provider than the one the drill signed in with."""
        if not self.rp.whoami:
            return None
        status, body, text = whoami(self.rp.whoami, out.trace.jar, min(self.timeout, 15.0))
        user = body.get("user_id") if body else None
        if status != 200 or not isinstance(user, (str, int)) or isinstance(user, bool) or str(user) == "":
            answer = f"answered {status}: {text}" if status else text
            out.problem = f"signed in, but --whoami {self.rp.whoami} {answer} (want 200 with a user_id)"
            return None
        said = (body or {}).get("auth_provider")
        out.notes.append(f"whoami: user {user}" + (f", signed in with {said}" if said else ""))
        if said is not None and said != provider:
            out.problem = f"the drill signed in with {provider}, but --whoami says auth_provider {said!r}"
        return str(user)

    def _then(self, case: Case, out: Outcome, first_user: str) -> None:
        assert case.then is not None
        out.notes.append(f"first sign-in ({case.provider}): {out.detail}")
        second = self.walks.sign_in(self.rp.starts[case.then])
        out.trace = second
        out.seen, out.detail = self.walks.classify(second)
        if out.seen != "signed-in" or second.app_link:
            return
        user = self._whoami(out, case.then)
        if user is not None and user != first_user:
            out.problem = (f"one person, two users: whoami named user {first_user} after the {case.provider} "
                           f"sign-in and user {user} after the {case.then} one")


def queue_all(case: Case, queue: Callable[[str, Any, str], None]) -> None:
    """Queue the persona with every provider the case signs in with (its scenario with the first)."""
    for provider in case.providers:
        queue(case.persona, case.scenario if provider == case.provider else None, provider)


__all__ = ["Across", "Outcome", "RelyingParty", "START_OPTION", "fallback_link", "queue_all", "resolve"]
