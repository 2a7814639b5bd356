"""The tier rules of the client (client/_tiers.py) beyond what the matrix checks."""

from __future__ import annotations

from fakeserver_client import Capability, Conditions, Tier
from fakeserver_client._tiers import nearest_unmet


def test_nearest_unmet_prefers_fewest_changes() -> None:
    remote = Conditions(True, True, True, False, True, True)
    assert nearest_unmet(Capability.LOAD_FILE, remote) == (Tier.LOCAL, ("same_host",))
    nothing = Conditions(False, False, False, False, False, False)
    assert nearest_unmet(Capability.TABLE_QUERY, nothing) == (
        Tier.READ_ONLY,
        ("same_server_version",),
    )
    tier, keys = nearest_unmet(Capability.SECURITY, nothing)
    assert tier is Tier.REMOTE and keys == ("secured", "admin", "same_python_api")
