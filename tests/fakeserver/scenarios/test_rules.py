"""SPEC §3 as data (``fakeserver.scenarios.rules``), checked against the client's own rules.

The two are written independently: each checks the other, cell by cell. The rules module
is light by contract: importing it loads no server, no trustme and no client.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest

import fakeserver_client as client
from fakeserver import scenarios
from fakeserver.scenarios import CAPABILITY_TABLE, TIER_RULES, Cell


@pytest.mark.parametrize("values", list(itertools.product((True, False), repeat=6)))
def test_declarative_table_agrees_with_client_decide_tier(values: tuple[bool, ...]) -> None:
    # The two are written independently: each checks the other, cell by cell.
    cell = Cell(*values)
    observed = scenarios.expected_conditions(cell)
    conditions = client.Conditions(**observed)
    assert client.decide_tier(conditions).value == scenarios.expected_tier(cell)
    from fakeserver_client._tiers import capabilities_for

    assert {c.value for c in capabilities_for(conditions)} == scenarios.expected_capabilities(cell)


def test_capability_table_names_every_client_capability() -> None:
    assert set(CAPABILITY_TABLE) == {c.value for c in client.Capability}
    assert [tier for tier, _ in TIER_RULES] == list(scenarios.TIERS)


def test_importing_the_rules_loads_no_server_trustme_or_client() -> None:
    # A fresh interpreter: this one has long loaded everything.
    probe = "\n".join(
        [
            "import json, sys",
            "import fakeserver.scenarios.rules",
            "print(json.dumps(sorted(sys.modules)))",
        ]
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(json.loads(result.stdout))
    assert "fakeserver.scenarios.rules" in loaded
    heavy = ("fakeserver.server", "trustme", "fakeserver_client", "fakeserver.scenarios.")
    unwanted = sorted(
        name for name in loaded if name != "fakeserver.scenarios.rules" and name.startswith(heavy)
    )
    assert not unwanted, f"importing the rules loaded {unwanted}"
