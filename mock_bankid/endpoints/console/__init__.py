"""The web console for people: ``/`` (home), and under ``/_mock/console/`` the debugger, the QA
switchboard, personas and the request log. Server-rendered Jinja, forms that work without
JavaScript; every action calls the same ``control_ops`` function as the JSON control API.

``app.py`` mounts the blueprint with the others; ``register(provider)`` adds the debugger's built-in
client and the console's error pages.
"""

from __future__ import annotations

from mock_bankid.endpoints.console import debugger, filters, home, switchboard  # noqa: F401 - routes register on import
from mock_bankid.endpoints.console.web import bar_on_provider_pages, bp, error_page
from mock_bankid.http.web import ERROR_PAGES, PAGE_EXTRAS
from mock_bankid.oidc.provider import Provider


def register(provider: Provider) -> None:
    provider.clients.add(debugger.console_client(provider.settings, provider.dialect.supported_scopes))
    ERROR_PAGES[bp.name] = error_page  # web.render_error shows the console's errors in its own pages
    if bar_on_provider_pages not in PAGE_EXTRAS:  # the login and error pages show a scenario that is on
        PAGE_EXTRAS.append(bar_on_provider_pages)


__all__ = ["bp", "register"]
