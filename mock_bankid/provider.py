"""The bundle every endpoint works with: settings, clock, store, keys, clients, personas, hooks.

``create_app`` builds exactly one ``Provider`` and keeps it in ``app.extensions``; endpoints get it
with ``provider()``. Library users (the pytest plugin, ``mock-bankid token``) build one directly.
The scenario engine is not part of it: it is built above, gets the provider passed in, and
registers at ``hooks`` (``Scenarios.attach``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, g, has_request_context

from mock_bankid.clients import ClientRegistry
from mock_bankid.clock import Clock
from mock_bankid.hooks import Hooks
from mock_bankid.keys import KeyManager
from mock_bankid.personas import PersonaRegistry
from mock_bankid.settings import Settings
from mock_bankid.store import Store, open_store

EXTENSION_KEY = "mock_bankid"
CLOCK_NS = "clock"
_reading = threading.local()


@dataclass
class Provider:
    settings: Settings
    clock: Clock
    store: Store
    keys: KeyManager
    clients: ClientRegistry
    personas: PersonaRegistry
    hooks: Hooks = field(default_factory=Hooks)

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

    def _stored_clock_shift(self) -> float:
        """The control surface may move every worker's clock; read it from the shared store.

        Read once per request (every worker then agrees within a request), and guarded because
        the store itself asks the clock when it judges expiry.
        """
        if has_request_context():
            if "mock_bankid_clock_shift" not in g:
                g.mock_bankid_clock_shift = self._read_clock_shift()
            return g.mock_bankid_clock_shift
        return self._read_clock_shift()

    def _read_clock_shift(self) -> float:
        if getattr(_reading, "active", False):
            return 0.0
        _reading.active = True
        try:
            entry = self.store.get(CLOCK_NS, "shift")
        finally:
            _reading.active = False
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
