"""The bundle every endpoint works with, per issuer: settings, clock, store, keys, clients, personas, hooks.

One server serves several issuers (BankID's layout has the realm in the path: ``/auth/realms/<realm>``).
``create_app`` builds the home ``Provider`` (``MOCK_BANKID_REALM``, ``current`` by default); any other
realm is made on first use by ``Realms`` with the same keys, clients and personas but a store of its
own (``store/scoped.py``), so its queue, scenario, clock shift, sessions, codes and request log are
its own. Endpoints get the provider of the request's issuer with ``provider()``.
The scenario engine is not part of it: it is built above, gets each provider passed in, and
registers at its ``hooks`` (``Scenarios.attach``).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app, g, has_request_context, request

from mock_bankid.core import routes
from mock_bankid.core.clock import Clock
from mock_bankid.core.errors import InvalidRequest
from mock_bankid.core.settings import Settings
from mock_bankid.keys import KeyManager
from mock_bankid.oidc.clients import ClientRegistry
from mock_bankid.oidc.dialect import Dialect
from mock_bankid.oidc.hooks import Hooks
from mock_bankid.people.personas import PersonaError, PersonaRegistry
from mock_bankid.store import Store, open_store
from mock_bankid.store.generation import Generation, PerGeneration, generation_of
from mock_bankid.store.scoped import REALM_TTL, ScopedStore, provider_prefix, realm_prefix

EXTENSION_KEY = "mock_bankid"
CLOCK_NS = "clock"
MAX_CLOCK_SHIFT = 100 * 366 * 86400
CLOCK_SHIFT_TTL = 2 * MAX_CLOCK_SHIFT + 10 * 365 * 86400
"""The store judges the shift's own expiry on the clock it shifts: written under one shift and read
under another (or under none, while the shift itself is read), it must outlive the largest
difference, 2 x 100 years."""
REALM_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\Z")
"""A realm made on first use: lowercase letters, digits and '-', as safe in a path as in a store key."""
REALMS_NS = "realms"
"""The home store's list of realms in use (``GET /_mock/realms``), each marked at most every ``MARK_EVERY`` s."""
MARK_EVERY = 600
MAX_CACHED_REALMS = 256
"""Realm providers one worker keeps; an evicted one is rebuilt from the store on its next request."""
_BOUND = "mock_bankid_provider"
_PATH_REALM = "mock_bankid_path_realm"
_PATH_PROVIDER = "mock_bankid_path_provider"
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
    dialect: Dialect
    """What this provider's tokens and answers say (BankID's claims, scopes, acr): ``oidc/dialect.py``."""
    hooks: Hooks = field(default_factory=Hooks)
    generation: Generation | None = None
    """Changes whenever shared state changes (``state_changed``); see ``store/generation.py``."""
    realms: Realms | None = field(default=None, repr=False, compare=False)
    """Every issuer this server serves; set by ``build`` and shared by each realm's provider."""

    def __post_init__(self) -> None:
        if self.generation is None:
            self.generation = generation_of(self.store)
        self._shift = PerGeneration(self._load_clock_shift)
        self._shift_key = f"mock_bankid_clock_shift:{self.settings.realm}"

    @classmethod
    def build(cls, settings: Settings, dialect: Dialect, *, store: Store | None = None,
              others: Mapping[str, Dialect] | None = None) -> Provider:
        """The home provider (``dialect``, every realm) and, in its realm, each of ``others``
        (provider name -> its dialect: Vipps) with its own URL layout, keys, clients and state."""
        clock = Clock(offset=settings.clock_offset)
        store = store or open_store(settings.store, settings.data_dir, _request_clock(clock))
        keys = KeyManager(settings.keys_dir, clock, rotation_grace=max(300, settings.token_ttl))
        keys.ensure()
        provider = cls(
            settings=settings,
            clock=clock,
            store=store,
            keys=keys,
            clients=ClientRegistry.load(settings.fixtures_dir).only(settings.provider),
            personas=PersonaRegistry.load(settings.fixtures_dir),
            dialect=dialect,
        )
        provider.realms = Realms(provider)
        for name, other in (others or {}).items():  # their keys made before the clock reads the store
            provider.realms.add_provider(name, other)
        clock.shift = provider._stored_clock_shift
        provider.check_auto_login()
        return provider

    def check_auto_login(self) -> None:
        """``MOCK_BANKID_AUTO_LOGIN`` names someone today, checked at start: otherwise every
        authorize that falls through to it would fail, long after the typo was made."""
        selector = self.settings.auto_login
        if not selector or selector in self.personas.ids:  # a fixture id: nothing to build
            return
        try:
            who = self.personas.resolve(selector, self.today())
        except PersonaError as exc:
            raise PersonaError(f"MOCK_BANKID_AUTO_LOGIN (--auto-login): {exc}") from None
        if who is None:
            raise PersonaError(f"MOCK_BANKID_AUTO_LOGIN (--auto-login): {selector!r} names an identity provider, "
                               "not a person: give a persona id, a number or a recipe")

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
            g.pop(self._shift_key, None)

    def _stored_clock_shift(self) -> float:
        """The control surface may move every worker's clock (of this issuer); it is kept in the store.

        Read from the store only when the shared generation moved (``state_changed``), once per
        request at most (every read in a request agrees), and guarded because the store itself
        asks the clock when it judges expiry.
        """
        return float(_once_per_request(self._shift_key, self._read_clock_shift))

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

    def stored_clock_shift(self) -> float:
        """The shift as stored now (the control surface shows it), not as this request read it."""
        return self._load_clock_shift()

    def set_clock_shift(self, seconds: float) -> None:
        """Move every worker's clock of this issuer to ``seconds`` from the start offset."""
        self.store.put(CLOCK_NS, "shift", {"seconds": seconds}, CLOCK_SHIFT_TTL)
        self.state_changed()  # every worker's next request reads the new shift; so does this one

    def reset_clock_shift(self) -> None:
        self.store.delete(CLOCK_NS, "shift")
        self.state_changed()

    def now(self) -> int:
        return int(self.clock.now())

    def today(self) -> date:
        return self.clock.oslo_today()

    @property
    def issuer(self) -> str:
        return self.settings.issuer

    @property
    def name(self) -> str:
        """Which provider it is (``bankid``, ``vipps``): whose URL layout, keys and clients."""
        return self.settings.provider


    def realm(self, name: str) -> Provider:
        """The provider of realm ``name`` on this server (this one for its own name)."""
        assert self.realms is not None
        return self.realms.get(name)


class Realms:
    """The issuers one server serves: the home realm and any other made on first use.

    A realm's provider shares the home's settings (but its realm), keys, clients, personas and
    generation, and has a ``ScopedStore`` and a clock of its own. Each worker keeps the
    ``MAX_CACHED_REALMS`` it used last; the state is in the store, so one rebuilt later is the same.
    """

    def __init__(self, home: Provider) -> None:
        self.home = home
        self._cache: OrderedDict[str, tuple[Provider, float]] = OrderedDict()
        self._lock = threading.RLock()  # a Vipps realm is made while its BankID realm is got
        self._on_create: list[Callable[[Provider], None]] = []
        self.others: dict[str, Provider] = {}
        """The home realm's other providers by name (Vipps): each has its own layout, keys, clients
        and store namespaces (``provider.<name>.``), and shares the home's clock and personas."""

    def on_create(self, callback: Callable[[Provider], None]) -> None:
        """Call ``callback(provider)`` for the other providers now and for each realm made later
        (the caller has the home provider already)."""
        self._on_create.append(callback)
        for other in self.others.values():
            callback(other)

    def add_provider(self, name: str, dialect: Dialect) -> Provider:
        """Serve provider ``name`` (its routes are in ``core/routes.py``) in the home realm."""
        home = self.home
        settings = replace(home.settings, provider=name, userinfo_base_url="")  # its userinfo: its own API host
        keys = KeyManager(Path(home.settings.keys_dir) / name, home.clock, rotation_grace=max(300, settings.token_ttl),
                          kid_of=dialect.kid_of)
        keys.ensure()
        other = Provider(settings=settings, clock=home.clock, keys=keys,
                         store=ScopedStore(home.store, name, prefix=provider_prefix(name), max_ttl=math.inf),
                         clients=ClientRegistry.load(settings.fixtures_dir).only(name), personas=home.personas,
                         dialect=dialect, generation=home.generation, realms=self)
        self.others[name] = other
        for callback in self._on_create:
            callback(other)
        return other

    def of(self, provider: str, realm: str | None = None) -> Provider:
        """Provider ``provider`` of ``realm`` (default: the home realm)."""
        if provider == self.home.name:
            return self.get(realm or self.home.settings.realm)
        other = self.others.get(provider)
        if other is None:
            raise InvalidRequest(f"No such provider {provider!r}: this server serves "
                                 f"{', '.join([self.home.name, *self.others])}.")
        if realm in (None, self.home.settings.realm):
            return other
        return self.get(realm, provider)

    @staticmethod
    def check_name(name: str) -> str:
        if not isinstance(name, str) or not REALM_NAME.match(name):
            raise InvalidRequest("A realm name is 1-63 characters of a-z, 0-9 and '-', starting with a letter "
                                 "or digit.")
        return name

    def get(self, name: str, provider: str | None = None) -> Provider:
        """Realm ``name``'s provider (the home provider's, or ``provider``'s: Vipps in that realm)."""
        if name == self.home.settings.realm and provider in (None, self.home.name):
            return self.home
        self.check_name(name)
        key = name if provider in (None, self.home.name) else f"{provider}:{name}"
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
            else:
                cached = (self._make(name, provider), -MARK_EVERY - 1.0)
                if len(self._cache) >= MAX_CACHED_REALMS:
                    self._cache.popitem(last=False)
            p, marked = cached
            stale = now - marked > MARK_EVERY
            self._cache[key] = (p, now if stale else marked)
        if stale and key == name:  # listed by GET /_mock/realms for as long as its state lives
            self.home.store.put(REALMS_NS, name, {"realm": name, "issuer": p.issuer, "marked": p.now()}, REALM_TTL)
        return p

    def by_issuer(self, issuer: str) -> Provider | None:
        """The provider whose issuer is ``issuer`` (a token's ``iss``), or None."""
        for other in self.others.values():
            if issuer == other.issuer:
                return other
        head = self.home.settings.issuer[: -len(self.home.settings.realm)]
        if not isinstance(issuer, str) or not issuer.startswith(head):
            return None
        name = issuer[len(head):]
        if name != self.home.settings.realm and not REALM_NAME.match(name):
            return None
        return self.get(name)

    def in_use(self) -> list[dict[str, Any]]:
        """The realms with state in the store (made, and used within ``REALM_TTL``), home first."""
        home = {"realm": self.home.settings.realm, "issuer": self.home.issuer, "home": True}
        return [home, *(value for _key, value in self.home.store.items(REALMS_NS))]

    def forget(self, name: str) -> None:
        """Remove every piece of realm ``name``'s state (not the home realm's: use a reset)."""
        if name == self.home.settings.realm:
            raise InvalidRequest("The home realm is not removed; clear its parts "
                                 f"(DELETE {routes.SCENARIO_CLEAR.under_base}, ...).")
        self.check_name(name)
        self.home.store.clear_prefix(realm_prefix(name))
        self.home.store.delete(REALMS_NS, name)
        with self._lock:
            for key in [name, *(f"{other}:{name}" for other in self.others)]:
                self._cache.pop(key, None)
        self.home.state_changed()

    def _make(self, name: str, provider: str | None = None) -> Provider:
        home = self.home
        if provider not in (None, home.name):  # another provider in this realm: the realm's clock, its own state
            other, realm = self.others[provider], self.get(name)
            p = Provider(settings=replace(other.settings, realm=name, home_realm=home.settings.realm),
                         clock=realm.clock, keys=other.keys, clients=other.clients, personas=home.personas,
                         store=ScopedStore(home.store, name, prefix=realm_prefix(name) + provider_prefix(provider)),
                         dialect=other.dialect, generation=home.generation, realms=self)
            for callback in self._on_create:
                callback(p)
            return p
        clock = Clock(offset=home.clock.offset)
        p = Provider(settings=replace(home.settings, realm=name, home_realm=home.settings.realm), clock=clock,
                     store=ScopedStore(home.store, name, uncapped=(CLOCK_NS,)), keys=home.keys,
                     clients=home.clients, personas=home.personas, dialect=home.dialect, generation=home.generation,
                     realms=self)
        clock.shift = p._stored_clock_shift
        for callback in self._on_create:
            callback(p)
        return p


def _request_clock(home: Clock) -> Callable[[], float]:
    """The store's clock: the clock of the issuer the current request is bound to (each realm's
    clock shift expires its own codes and sessions), else the home clock."""

    def now() -> float:
        if has_request_context():
            bound = g._get_current_object().__dict__.get(_BOUND)
            if bound is not None:
                return float(bound.clock.now())
        return home.now()

    return now


def bind_path_provider(name: str) -> None:
    """The provider whose URL layout the request's path is in (``/access-management-1.0/...``:
    Vipps); the app calls this while routing."""
    setattr(g._get_current_object(), _PATH_PROVIDER, name)


def bind_path_realm(name: str) -> None:
    """The realm named in the request's path (``/auth/realms/<realm>/...``); the app calls this
    while routing, before any view asks for ``provider()``."""
    setattr(g._get_current_object(), _PATH_REALM, name)


def bind(p: Provider) -> Provider:
    """Make ``p`` the provider of the rest of this request (userinfo, once it knows the token's issuer)."""
    setattr(g._get_current_object(), _BOUND, p)
    return p


def provider() -> Provider:
    """The provider of the issuer the current request is for: the realm in its path, else the
    ``realm`` query parameter (the ``/_mock`` control surface and the console), else the home realm."""
    here = g._get_current_object()
    found = here.__dict__.get(_BOUND)
    if found is None:
        home: Provider = current_app.extensions[EXTENSION_KEY]
        name = here.__dict__.get(_PATH_REALM) or request.args.get("realm")
        kind = here.__dict__.get(_PATH_PROVIDER) or request.args.get("provider")
        found = bind(home)  # so the error below (and its page) still has a provider
        if kind and kind != home.name:
            assert home.realms is not None
            found = bind(home.realms.of(kind, name))
        elif name:
            found = bind(home.realm(name))
    return found


def home_provider() -> Provider:
    """The home realm's provider, whatever the request (for work that is the server's, not a realm's)."""
    found: Provider = current_app.extensions[EXTENSION_KEY]
    return found
