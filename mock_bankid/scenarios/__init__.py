"""QA scenarios: named failures applied at named hook points of each endpoint.

- ``definitions``: what a scenario is, the registry, presets, the ``Call`` an apply function gets;
- ``engine``: where a scenario is switched on and which one acts, ``Scenarios``;
- ``builtin``: the runbook's failures; ``traps``: tokens a correct client must refuse;
  ``identity``: rehearsals of identity changes BankID warns about (``sub-changes``).

Importing the package registers the built-ins and traps.
"""

from mock_bankid.scenarios import builtin, identity, traps  # noqa: F401 - registering is the import's effect
from mock_bankid.scenarios.definitions import REGISTRY, Active, Call, Definition, ScenarioError, preset, scenario
from mock_bankid.scenarios.engine import ENGINE_KEY, HOOK_POINTS, Scenarios, engine

__all__ = [
    "ENGINE_KEY", "HOOK_POINTS", "REGISTRY", "Active", "Call", "Definition", "ScenarioError", "Scenarios", "engine",
    "preset", "scenario",
]
