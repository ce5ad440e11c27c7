"""QA scenarios: named failures applied at named hook points of each endpoint.

Endpoints call ``provider.scenarios.at(point, ctx)`` and never test for a scenario name
themselves. A hook may return a Flask response (which then answers the request), or change
``ctx`` in place (claims, redirect parameters, the signed token). With nothing switched on
every hook is a no-op.

Hook points (``ctx`` keys in brackets):
- ``request``            every request before routing                  [endpoint, path]
- ``authorize``          after the client and redirect URI are trusted   [request, client]
- ``authorize_redirect`` the parameters about to go back to the client  [params, client, grant]
- ``token``              before the grant is processed                  [client_id, grant_type]
- ``id_token_claims``    the ID token claims before signing             [claims, grant]
- ``id_token``           the signed ID token                            [token, claims, grant]
- ``jwks``               the published key set                          [jwks]
- ``discovery``          the discovery document                         [document]
- ``userinfo``           before userinfo answers                        [grant]
"""

from __future__ import annotations

from typing import Any

HOOK_POINTS = (
    "request", "authorize", "authorize_redirect", "token", "id_token_claims", "id_token", "jwks", "discovery", "userinfo",
)


class Scenarios:
    """No scenario engine yet: every hook point is a no-op."""

    def __init__(self, provider: Any = None) -> None:
        self.provider = provider

    def at(self, point: str, ctx: dict[str, Any]) -> Any:
        assert point in HOOK_POINTS, point
        return None
