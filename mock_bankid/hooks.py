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


class Hooks:
    def __init__(self) -> None:
        self._runners: list[Runner] = []

    def add(self, runner: Runner) -> None:
        self._runners.append(runner)

    def at(self, point: str, ctx: dict[str, Any]) -> Response | None:
        """Run every registered runner at ``point``; the first response wins."""
        for runner in self._runners:
            result = runner(point, ctx)
            if result is not None:
                return result
        return None
