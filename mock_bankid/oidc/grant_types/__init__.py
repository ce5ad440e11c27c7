"""The token endpoint's grant types: one module each, registered here by ``grant_type`` name.

A grant type is a ``GrantType`` subclass in its own module of this package. It owns its rules:
which form parameters it reads, what it checks and what it answers (the token response body);
refusals are typed errors (``mock_bankid/core/errors.py``). The token endpoint does only what
every grant type shares: the content type, the ``token`` hook, client authentication,
``unsupported_grant_type`` for a name not registered here, ``unauthorized_client`` for a client
whose ``grant_types`` (clients.toml) do not list it, and the JSON answer.

``names()`` is the one list of grant types: discovery's ``grant_types_supported``, the check of
``grant_types`` in clients.toml (``oidc/clients.py``) and the ``grant_type`` enum of the served
OpenAPI description read it. So that ``clients.py`` may read it, this module imports nothing from
``mock_bankid.oidc`` (``p`` and ``client`` are typed in each grant type's own module); the
built-in grant types are registered in ``mock_bankid/oidc/__init__.py``, which runs before any
module of ``mock_bankid.oidc``, so the registry is complete before clients.toml is read.

Adding a grant type:

1. ``mock_bankid/oidc/grant_types/<name>.py``: a ``GrantType`` subclass with ``name`` and
   ``handle(p, client, form)``; reach stored state only through its owner module's functions
   (``oidc/refresh.py``, ``oidc/codes.py``, ``oidc/tokens.py``).
2. ``mock_bankid/oidc/__init__.py``: one entry in ``BUILT_IN``.

Then clients may list it in ``grant_types``, and discovery and the served ``/_mock/openapi.json``
name it; the shipped ``mock_bankid/openapi.json`` wants its name in the ``grant_type`` enum
(``tests/test_openapi.py`` says so) and its form parameters. ``tests/test_grant_types.py`` does
steps 1 and 2 from a test module, with a toy RFC 8693 token exchange.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

Form = Mapping[str, str]
"""The token request's form (``request.form``: the first value of each parameter)."""


class GrantType(ABC):
    name: ClassVar[str]
    """The ``grant_type`` value it answers (RFC 6749 section 4, or a URI for an extension)."""

    def sign_in(self, p: Any, form: Form) -> Mapping[str, Any] | None:
        """``Grant.extra`` of the sign-in this request continues, if it can be found before client
        authentication (for per-sign-in scenarios at the ``token`` hook); None by default."""
        return None

    @abstractmethod
    def handle(self, p: Any, client: Any, form: Form) -> dict[str, Any]:
        """The token response body for authenticated ``client`` (``Provider``, ``Client``), which
        is registered for this grant type; refuse with a typed ``OAuthError``."""


_REGISTERED: dict[str, GrantType] = {}


def register(grant_type: GrantType) -> GrantType:
    """Add ``grant_type`` under its ``name``; a name already taken is an error (unregister first)."""
    if grant_type.name in _REGISTERED:
        raise ValueError(f"grant type {grant_type.name!r} is already registered")
    _REGISTERED[grant_type.name] = grant_type
    return grant_type


def unregister(name: str) -> None:
    """Remove a grant type (a test's own, when it is done)."""
    del _REGISTERED[name]


def get(name: str) -> GrantType | None:
    return _REGISTERED.get(name)


def names() -> tuple[str, ...]:
    """The registered ``grant_type`` names, sorted."""
    return tuple(sorted(_REGISTERED))
