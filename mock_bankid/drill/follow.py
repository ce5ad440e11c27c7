"""The headless browser: follow a sign-in's redirects with a fresh cookie jar, record every hop.

A BankID sign-in is a chain of redirects (relying party → authorize → relying party's callback →
wherever it sends the user), so no browser is needed to walk it: the standard library's urllib
and ``http.cookiejar`` do what a browser does with cookies and ``Location``. It also submits the
self-posting form of ``response_mode=form_post``, which a browser would submit by script.

The standard library, not ``requests``: ``mock-bankid drill`` must run where only mock-bankid's
runtime dependencies are installed (``requests`` is a test extra), and for a redirect walk with
a cookie jar urllib lacks nothing.
"""

from __future__ import annotations

import contextlib
import copy
import html
import http.client
import http.cookiejar
import json
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

MAX_HOPS = 25
REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "mock-bankid-drill (a MOCK BankID rehearsal; not a real user)"


SECRET_PARAMS = ("code", "code_verifier", "access_token", "id_token", "refresh_token", "client_secret")


def redact(url: str | None) -> str | None:
    """A URL as reports show it: an authorization code (or any token) in it replaced, as the mock's
    own request log does, so a JUnit artifact never carries a usable credential."""
    if not url or not any(f"{name}=" in url for name in SECRET_PARAMS):
        return url
    names = "|".join(SECRET_PARAMS)
    return re.sub(rf"([?&#](?:{names})=)[^&#]*", r"\1[redacted]", url)


@dataclass
class Hop:
    method: str
    url: str
    status: int
    location: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"method": self.method, "url": self.url, "status": self.status,
                **({"location": self.location} if self.location else {})}


@dataclass
class Trace:
    """What one walk saw: every hop, where it ended, and what happened on the way."""

    hops: list[Hop] = field(default_factory=list)
    final_url: str = ""
    final_status: int = 0
    title: str = ""
    excerpt: str = ""
    timed_out: bool = False
    failure: str = ""
    """A transport failure (connection refused or closed, too many redirects); empty if none."""
    failure_at_mock: bool = False
    authorize_url: str = ""
    """The first authorize request the relying party sent the browser to (carries its client_id)."""
    callback_jar: http.cookiejar.CookieJar | None = None
    """The cookies as they were just before the browser came back from the mock (for a replay)."""
    seconds: float = 0.0
    login_page: bool = False
    """The walk stopped on the mock's login page (nobody was queued): only a browser can go on."""
    app_link: str = ""
    """The walk ended on a redirect to an app's deep link (``drop://...``: no browser follows it),
    unredacted: a one-time code in it is what the drill exchanges. Never reported (``final_url``
    has it redacted)."""
    links: list[str] = field(default_factory=list)
    """The links (``<a href>``, absolute) on the page the walk ended on: where a relying party offers
    another way to sign in (a fallback)."""
    jar: http.cookiejar.CookieJar | None = None
    """The cookie jar the walk ended with (its session): for ``--whoami`` and a fallback's walk."""

    def as_dict(self) -> dict[str, object]:
        return {"final": {"url": self.final_url, "status": self.final_status, "title": self.title,
                          "excerpt": self.excerpt},
                "hops": [h.as_dict() for h in self.hops], "timed_out": self.timed_out,
                **({"failure": self.failure} if self.failure else {}), "seconds": round(self.seconds, 3)}


class _PassThrough(urllib.request.HTTPErrorProcessor):
    """Hand every response back as it is: the walk decides about redirects and error statuses."""

    def http_response(self, request: urllib.request.Request, response: Any) -> Any:
        return response

    https_response = http_response


class _Page(HTMLParser):
    """Just enough of a page: its title, visible text, and forms with their hidden inputs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.text: list[str] = []
        self.forms: list[dict[str, Any]] = []
        self.links: list[str] = []
        self._in_title = self._skip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "title":
            self._in_title = True
        elif tag in ("script", "style"):
            self._skip = True
        elif tag == "form":
            self.forms.append({"method": a.get("method", "get").lower(), "action": a.get("action", ""),
                               "id": a.get("id", ""), "fields": [], "testids": []})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"].append((a.get("type", "text").lower(), a["name"], a.get("value", "")))
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "button" and self.forms and a.get("data-persona"):
            self.forms[-1]["testids"].append(a["data-persona"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in ("script", "style"):
            self._skip = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip and data.strip():
            self.text.append(data.strip())


def read_page(body: str) -> _Page:
    page = _Page()
    with contextlib.suppress(Exception):  # a broken page is still an answer: keep what was read
        page.feed(body)
    return page


def copy_jar(jar: http.cookiejar.CookieJar) -> http.cookiejar.CookieJar:
    """A snapshot of a cookie jar (a jar holds a lock, so it cannot be deep-copied itself)."""
    snapshot = http.cookiejar.CookieJar()
    for cookie in jar:
        snapshot.set_cookie(copy.copy(cookie))
    return snapshot


def excerpt_of(text: list[str], limit: int = 240) -> str:
    joined = re.sub(r"\s+", " ", " ".join(text)).strip()
    return joined if len(joined) <= limit else joined[: limit - 1] + "…"


def exchange_code(url: str, code: str, timeout: float) -> tuple[int, str]:
    """POST ``code=...`` (a form) to the relying party's exchange URL, as its app does with the
    one-time code from the deep link: (status, the start of the answer); status 0 = no answer."""
    body = urlencode({"code": code}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310 - --exchange is checked: http(s)
        "User-Agent": USER_AGENT, "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    opener = urllib.request.build_opener(_PassThrough())
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(2000).decode("utf-8", errors="replace")
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError) as exc:
        return 0, f"no answer ({getattr(exc, 'reason', exc) or type(exc).__name__})"


def whoami(url: str, jar: http.cookiejar.CookieJar | None, timeout: float) -> tuple[int, dict[str, Any] | None, str]:
    """GET the relying party's whoami URL with a walk's cookies: (status, the JSON object or None,
    the start of the answer); status 0 = no answer. The contract (docs/drill.md): 200 with
    ``{"user_id": ..., "auth_provider": ...}`` for a signed-in session."""
    handlers: list[Any] = [_PassThrough()] + ([urllib.request.HTTPCookieProcessor(jar)] if jar is not None else [])
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})  # noqa: S310 - --whoami is checked: http(s)
    try:
        with urllib.request.build_opener(*handlers).open(request, timeout=timeout) as response:
            status, text = response.status, response.read(20_000).decode("utf-8", errors="replace")
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError) as exc:
        return 0, None, f"no answer ({getattr(exc, 'reason', exc) or type(exc).__name__})"
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    return status, body if isinstance(body, dict) else None, text[:200]


class Follower:
    """Walks one sign-in. ``is_mock`` tells the mock's URLs from the relying party's;
    ``on_authorize(url)`` runs once, just before the first authorize request is sent."""

    def __init__(self, is_mock: Callable[[str], bool], is_authorize: Callable[[str], bool], timeout: float,
                 on_authorize: Callable[[str], None] | None = None) -> None:
        self.is_mock, self.is_authorize = is_mock, is_authorize
        self.timeout = timeout
        self.on_authorize = on_authorize

    def walk(self, url: str, jar: http.cookiejar.CookieJar | None = None, *, method: str = "GET",
             data: dict[str, str] | None = None) -> Trace:
        jar = jar if jar is not None else http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _PassThrough())
        trace = Trace(jar=jar)
        started = time.monotonic()
        deadline = started + self.timeout
        body: bytes | None = urlencode(data).encode() if data is not None else None
        previous_at_mock = False
        try:
            for _ in range(MAX_HOPS):
                at_mock = self.is_mock(url)
                if at_mock and self.is_authorize(url) and not trace.authorize_url:
                    trace.authorize_url = url
                    if self.on_authorize is not None:
                        self.on_authorize(url)
                if previous_at_mock and not at_mock and trace.callback_jar is None:
                    trace.callback_jar = copy_jar(jar)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                headers = {"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
                if body is not None:
                    headers["Content-Type"] = "application/x-www-form-urlencoded"
                request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 - http(s) only: --start is checked, the rest are Locations
                try:
                    response = opener.open(request, timeout=remaining)
                except (urllib.error.URLError, http.client.HTTPException, ConnectionError) as exc:
                    reason = getattr(exc, "reason", exc)
                    if isinstance(reason, (TimeoutError, socket.timeout)):
                        raise TimeoutError from None
                    trace.failure = f"{method} {redact(url)}: no answer ({reason or type(exc).__name__})"
                    trace.failure_at_mock = at_mock
                    trace.final_url = redact(url) or ""
                    break
                with response:
                    status = response.status
                    location = response.headers.get("Location")
                    text = response.read(200_000).decode(response.headers.get_content_charset() or "utf-8",
                                                          errors="replace")
                    kind = response.headers.get_content_type()
                trace.hops.append(Hop(method, redact(url) or "", status, redact(location)))
                trace.final_url, trace.final_status = redact(url) or "", status
                previous_at_mock = at_mock
                if status in REDIRECTS and location:
                    url = urljoin(url, location)
                    if urlsplit(url).scheme.lower() not in ("http", "https"):
                        # A deep link back into the app (drop://, exp://): where the system browser
                        # hands over to the app, so the walk ends here.
                        trace.app_link, trace.final_url = url, redact(url) or ""
                        break
                    if status not in (307, 308):
                        method, body = "GET", None
                    continue
                page = read_page(text) if kind in ("text/html", "application/xhtml+xml") else None
                if page is not None:
                    trace.title = html.unescape(page.title).strip()
                    trace.excerpt = excerpt_of(page.text)
                    trace.links = [urljoin(url, html.unescape(href)) for href in page.links]
                else:
                    trace.title, trace.excerpt = "", excerpt_of([text])
                post = self._self_posting_form(page, url, at_mock)
                if post is not None:  # response_mode=form_post: a browser's script would submit it now
                    url, method, body = post[0], "POST", urlencode(post[1]).encode()
                    continue
                if at_mock and page is not None and any(f["testids"] for f in page.forms):
                    trace.login_page = True
                break
            else:
                trace.failure = f"more than {MAX_HOPS} redirects (a loop?)"
        except TimeoutError:
            trace.timed_out = True
            trace.final_url = trace.final_url or redact(url) or ""
        trace.seconds = time.monotonic() - started
        return trace

    def _self_posting_form(self, page: _Page | None, url: str, at_mock: bool) -> tuple[str, dict[str, str]] | None:
        if page is None or not at_mock:
            return None
        for form in page.forms:
            if form["id"] == "form_post" and form["method"] == "post":
                action = urljoin(url, form["action"])
                if not self.is_mock(action) and urlsplit(action).scheme in ("http", "https"):
                    return action, {name: value for kind, name, value in form["fields"] if kind == "hidden"}
        return None
