"""Named hook points the endpoints and token minting pass through, for higher layers to act on.

Core and domain code (``tokens.mint_id_token``, every endpoint) calls ``provider.hooks.at(point,
ctx)`` without knowing who listens; the scenario engine registers itself with ``add`` when it is
attached (``Scenarios.attach``). So the layers import one way: nothing below ``scenarios/``
imports it. With nothing registered every hook is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response

Runner = Callable[[str, dict[str, Any]], "Response | None"]
"""Runs at ``point`` with its ``ctx`` (which it may change in place); a response answers the request."""
ActsAt = Callable[[str], bool]
"""Whether a runner might act at ``point`` now (False: it certainly does nothing there)."""


class Hooks:
    def __init__(self) -> None:
        self._runners: list[Runner] = []
        self._checks: list[ActsAt | None] = []

    def add(self, runner: Runner, *, acts_at: ActsAt | None = None) -> None:
        """Register ``runner``; ``acts_at`` lets an endpoint serve a precomputed answer while the
        runner would do nothing at its point (a runner without it is assumed to act anywhere)."""
        self._runners.append(runner)
        self._checks.append(acts_at)

    def may_act(self, point: str) -> bool:
        """False if no runner would act at ``point`` now: its ctx need not even be built."""
        return any(check is None or check(point) for check in self._checks)

    def at(self, point: str, ctx: dict[str, Any]) -> Response | None:
        """Run every registered runner at ``point``; the first response wins."""
        for runner in self._runners:
            result = runner(point, ctx)
            if result is not None:
                return result
        return None
