"""The callbacks ``callback-replay`` recorded: the one owner of store namespace ``callback``.

The scenario records the redirect it sent back to the client; ``GET /_mock/last-callback`` reads
it so a test can deliver the same callback a second time. Records live for a sign-in's time (at
least ten minutes) and belong to the issuer (realm) whose store they are in.
"""

from __future__ import annotations

from typing import Any

from mock_bankid.oidc.provider import Provider

CALLBACK_NS = "callback"
MIN_TTL = 600


def record(p: Provider, entry: dict[str, Any]) -> None:
    """Keep ``entry`` as the last callback, and as the last one of its client."""
    ttl = max(MIN_TTL, p.settings.code_ttl)
    p.store.put(CALLBACK_NS, "last", entry, ttl)
    p.store.put(CALLBACK_NS, f"client:{entry['client_id']}", entry, ttl)


def last(p: Provider, client_id: str | None = None) -> dict[str, Any] | None:
    """The last recorded callback (of ``client_id``, if given), or None."""
    return p.store.get(CALLBACK_NS, f"client:{client_id}" if client_id else "last")
