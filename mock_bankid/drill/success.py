"""Where a relying party's sign-in counts as done: its success page, or the app's deep link."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from mock_bankid.drill.mockapi import origin


@dataclass(frozen=True)
class SuccessRule:
    """Where a signed-in user lands: a path prefix (``/dashboard``) or a URL prefix.

    ``/`` matches only the root itself, never every path. Without ``--success`` the drill guesses:
    the relying party answered 2xx at a path that is not ``/``, not the start path, and carries no
    ``error`` parameter. Guessing is weaker; the report says so.
    """

    spec: str | None
    start: str
    exchange: str | None = None
    """With an app deep link as ``spec``: where the app trades the one-time code (``--exchange``)."""

    @property
    def app_link(self) -> bool:
        """``--success drop://auth/done``: a mobile sign-in, which ends when the relying party sends
        the browser to the app's deep link (a custom scheme no browser follows) with a one-time code."""
        return self.spec is not None and "://" in self.spec and \
            urlsplit(self.spec).scheme.lower() not in ("http", "https")

    def matches(self, url: str) -> bool:
        if self.app_link:
            assert self.spec is not None
            return url == self.spec or (url.startswith(self.spec) and url[len(self.spec)] in "?#/")
        parts = urlsplit(url)
        if self.spec is None:
            start_path = urlsplit(self.start).path.rstrip("/")
            return (parts.path not in ("", "/") and parts.path.rstrip("/") != start_path
                    and "error" not in parse_qs(parts.query))
        spec = self.spec
        if "://" in spec:
            want = urlsplit(spec)
            if origin(spec) != origin(url):
                return False
            return _path_prefix(parts.path, want.path or "/")
        return _path_prefix(parts.path, spec)

    def describe(self) -> str:
        if self.app_link:
            then = f", exchanged at {self.exchange}" if self.exchange else " (not exchanged: no --exchange)"
            return f"{self.spec} with a one-time code (the app's deep link){then}"
        if self.spec is None:
            return "guessed (no --success): a 2xx page at the relying party other than / and the start path"
        path = urlsplit(self.spec).path if "://" in self.spec else self.spec
        return f"{self.spec} (exactly)" if path in ("", "/") else f"{self.spec} and below"


def _path_prefix(path: str, prefix: str) -> bool:
    path = path or "/"
    if prefix in ("", "/"):
        return path == "/"
    prefix = prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/")
