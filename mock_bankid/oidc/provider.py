"""The bundle every endpoint works with: settings, clock, store, keys, clients, personas, hooks.

``create_app`` builds exactly one ``Provider`` and keeps it in ``app.extensions``; endpoints get it
with ``provider()``. Library users (the pytest plugin, ``mock-bankid token``) build one directly.
The scenario engine is not part of it: it is built above, gets the provider passed in, and
registers at ``hooks`` (``Scenarios.attach``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app, g, has_request_context

from mock_bankid.core.clock import Clock
from mock_bankid.core.settings import Settings
from mock_bankid.keys import KeyManager
from mock_bankid.oidc.clients import ClientRegistry
from mock_bankid.oidc.hooks import Hooks
from mock_bankid.people.personas import PersonaRegistry
from mock_bankid.store import Store, open_store
from mock_bankid.store.generation import Generation, PerGeneration, generation_of

EXTENSION_KEY = "mock_bankid"
CLOCK_NS = "clock"
_reading = threading.local()


def _once_per_request(name: str, read: Callable[[], Any]) -> Any:
    """``read()`` once per request, kept on the request's ``g`` as ``name`` (so every read in a
    request agrees); outside a request, read now. ``g`` is looked up once, not through its proxy
    per access: the clock asks for the shift ~16 times per sign-in."""
    if not has_request_context():
        return read()
    here = g._get_current_object()
    value = here.__dict__.get(name)
    if value is None:
        value = read()
        setattr(here, name, value)
    return value


@dataclass
class Provider:
    settings: Settings
    clock: Clock
    store: Store
    keys: KeyManager
    clients: ClientRegistry
    personas: PersonaRegistry
    hooks: Hooks = field(default_factory=Hooks)
    generation: Generation | None = None
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """What this worker remembers between requests, by owner module (e.g. the queue found empty)."""
    """Changes whenever server-wide state changes (``state_changed``); see ``store/generation.py``."""

    def __post_init__(self) -> None:
        if self.generation is None:
            self.generation = generation_of(self.store)
        self._shift = PerGeneration(self._load_clock_shift)

    @classmethod
    def build(cls, settings: Settings, *, store: Store | None = None) -> Provider:
        clock = Clock(offset=settings.clock_offset)
        store = store or open_store(settings.store, settings.data_dir, clock)
        keys = KeyManager(settings.keys_dir, clock, rotation_grace=max(300, settings.token_ttl))
        keys.ensure()
        provider = cls(
            settings=settings,
            clock=clock,
            store=store,
            keys=keys,
            clients=ClientRegistry.load(settings.fixtures_dir),
            personas=PersonaRegistry.load(settings.fixtures_dir),
        )
        clock.shift = provider._stored_clock_shift
        return provider

    def state_generation(self) -> int:
        """The shared generation of server-wide state, read once per request (then every read of
        that state in the request agrees); outside a request, read now."""
        assert self.generation is not None
        return int(_once_per_request("mock_bankid_generation", self.generation.current))

    def state_changed(self) -> None:
        """Call after writing server-wide state (clock shift, server scenario, next-login queue):
        every worker's next request reads it again. This request reads it again too."""
        assert self.generation is not None
        self.generation.bump()
        if has_request_context():
            g.pop("mock_bankid_generation", None)
            g.pop("mock_bankid_clock_shift", None)

    def _stored_clock_shift(self) -> float:
        """The control surface may move every worker's clock; it is kept in the shared store.

        Read from the store only when the shared generation moved (``state_changed``), once per
        request at most (every read in a request agrees), and guarded because the store itself
        asks the clock when it judges expiry.
        """
        return float(_once_per_request("mock_bankid_clock_shift", self._read_clock_shift))

    def _read_clock_shift(self) -> float:
        if getattr(_reading, "active", False):
            return 0.0
        _reading.active = True
        try:
            return self._shift.get(self.state_generation())
        finally:
            _reading.active = False

    def _load_clock_shift(self) -> float:
        entry = self.store.get(CLOCK_NS, "shift")
        return float(entry["seconds"]) if entry else 0.0

    def now(self) -> int:
        return int(self.clock.now())

    def today(self) -> date:
        return self.clock.oslo_today()

    @property
    def issuer(self) -> str:
        return self.settings.issuer


def provider() -> Provider:
    """The provider of the app handling the current request."""
    found: Provider = current_app.extensions[EXTENSION_KEY]
    return found
