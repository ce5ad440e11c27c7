"""What handling a request decided about its response, for the code that runs after the view.

A scenario that drops the connection or adds rate-limit headers acts in a hook; the request log
and the engine's after-request step read what it did. Rather than several modules passing values
under string keys on Flask's ``g``, they share one typed record per request, owned here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g

_KEY = "mock_bankid_request_notes"


@dataclass
class RequestNotes:
    dropped: bool = False
    """A scenario closed the connection: no response reached the client (the log shows status 0)."""
    headers: dict[str, str] = field(default_factory=dict)
    """Headers a scenario adds to the response (``rate-limit``'s ``X-RateLimit-*``)."""


def notes() -> RequestNotes:
    """This request's notes (made on first use)."""
    found = g.get(_KEY)
    if found is None:
        found = RequestNotes()
        setattr(g, _KEY, found)
    return found


def noted() -> RequestNotes | None:
    """This request's notes if anything was noted, else None (after-request steps: nothing to do)."""
    found: RequestNotes | None = g.get(_KEY)
    return found
