"""The scenario matrix: every condition cell for every authentication mode, plus the failures.

Three modules, one job each: :mod:`.rules` (the tier rules as data: the conditions, the
tier rules, the capability table), :mod:`.catalog` (the scenarios built from them, and
:func:`select`) and :mod:`.live` (the runner: a scenario's server running, the thin client
driven over it — the only module here that imports the client).

The names below load on first use (PEP 562), as :mod:`fakeserver`'s do: importing
``fakeserver.scenarios.rules`` loads neither a server, trustme nor the client.
"""

import typing as _typing

from .._lazy import exports as _exports

if _typing.TYPE_CHECKING:
    from .catalog import Credentials, Scenario, matrix, select
    from .live import LiveScenario, Outcome
    from .rules import (
        AUTH_MODES,
        CAPABILITY_TABLE,
        FAILURE,
        KEYS,
        LETTERS,
        TIER_RULES,
        TIERS,
        Cell,
        expected_capabilities,
        expected_conditions,
        expected_tier,
    )

__all__ = [
    "AUTH_MODES",
    "CAPABILITY_TABLE",
    "FAILURE",
    "KEYS",
    "LETTERS",
    "TIERS",
    "TIER_RULES",
    "Cell",
    "Credentials",
    "LiveScenario",
    "Outcome",
    "Scenario",
    "expected_capabilities",
    "expected_conditions",
    "expected_tier",
    "matrix",
    "select",
]

_HOMES = {
    "AUTH_MODES": "rules",
    "CAPABILITY_TABLE": "rules",
    "FAILURE": "rules",
    "KEYS": "rules",
    "LETTERS": "rules",
    "TIERS": "rules",
    "TIER_RULES": "rules",
    "Cell": "rules",
    "Credentials": "catalog",
    "LiveScenario": "live",
    "Outcome": "live",
    "Scenario": "catalog",
    "expected_capabilities": "rules",
    "expected_conditions": "rules",
    "expected_tier": "rules",
    "matrix": "catalog",
    "select": "catalog",
}

__getattr__, __dir__ = _exports(__name__, _HOMES)
