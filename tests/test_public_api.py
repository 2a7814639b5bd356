"""The public names of each package are part of the contract (SPEC §5): pin them, as httpx does.

Adding a public name is a deliberate act: add it here in the same change. Removing or
renaming one breaks users, and this test says so before they do.
"""

from __future__ import annotations

import types

import pytest

import fakeserver
import fakeserver.scenarios
import fakeserver_client as client

PUBLIC_NAMES: dict[types.ModuleType, frozenset[str]] = {
    fakeserver: frozenset(
        {
            "CertificateAuthority",
            "CubeSpec",
            "ExpectationError",
            "FakeServer",
            "Fault",
            "Limits",
            "OidcConfig",
            "SecurityConfig",
            "ServerConfig",
            "ServerFactory",
            "TableSpec",
            "TlsConfig",
            "User",
        }
    ),
    client: frozenset(
        {
            "ADMIN_ROLE",
            "DEFAULT_PYTHON_API_VERSION",
            "DEFAULT_SERVER_VERSION",
            "HOST_ID_ENV",
            "Authentication",
            "AuthenticationError",
            "BasicAuthentication",
            "Capability",
            "CapabilityUnavailableError",
            "ClientCertificate",
            "ClientError",
            "Column",
            "Condition",
            "Conditions",
            "ConnectFailedError",
            "Credentials",
            "Cube",
            "Cubes",
            "ForbiddenError",
            "HostIdentity",
            "IndividualRoles",
            "LiveExtensionUnavailableError",
            "OAuth2ResourceOwnerPasswordAuthentication",
            "ProtocolError",
            "QueryResult",
            "Security",
            "ServerError",
            "Session",
            "Table",
            "TableSchema",
            "Tables",
            "Tier",
            "TimeoutError",
            "TlsError",
            "TokenAuthentication",
            "decide_tier",
            "host_identity",
        }
    ),
    fakeserver.scenarios: frozenset(
        {
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
        }
    ),
}

#: Packages whose ``__init__`` only re-exports: every public attribute must be in ``__all__``.
REEXPORTING = (fakeserver, client, fakeserver.scenarios)

MODULES = pytest.mark.parametrize("module", list(PUBLIC_NAMES), ids=lambda m: m.__name__)


@MODULES
def test_all_is_exactly_the_pinned_public_names(module: types.ModuleType) -> None:
    exported = set(module.__all__)
    pinned = PUBLIC_NAMES[module]
    assert not exported - pinned, f"new public names in {module.__name__}: pin them here"
    assert not pinned - exported, f"public names gone from {module.__name__}: a breaking change"


@MODULES
def test_all_has_no_duplicates(module: types.ModuleType) -> None:
    assert len(module.__all__) == len(set(module.__all__))


@MODULES
def test_every_exported_name_exists(module: types.ModuleType) -> None:
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing


@MODULES
def test_star_import_gives_exactly_all(module: types.ModuleType) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {module.__name__} import *", namespace)
    namespace.pop("__builtins__", None)
    assert set(namespace) == set(module.__all__)


@pytest.mark.parametrize("module", REEXPORTING, ids=lambda m: m.__name__)
def test_no_public_name_outside_all(module: types.ModuleType) -> None:
    # As httpx's test_exported_members: a public attribute is either exported or private.
    # Submodules are attributes of a package once imported; they are not names to pin.
    stray = sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name not in module.__all__
    )
    assert not stray, f"{module.__name__} has public names outside __all__: {stray}"


@pytest.mark.parametrize("module", REEXPORTING, ids=lambda m: m.__name__)
def test_exported_classes_and_functions_are_defined_in_the_package(
    module: types.ModuleType,
) -> None:
    # e.g. client.TimeoutError must be the client's own error, not a re-exported builtin or
    # httpx class that happens to have the same name.
    # The host identity is the one fact both sides share, from its neutral home.
    shared = {"fakeserver.host"}
    foreign = []
    for name in module.__all__:
        value = getattr(module, name)
        if isinstance(value, type) or callable(value):
            owner = getattr(value, "__module__", "") or ""
            if owner in shared:
                continue
            if owner != module.__name__ and not owner.startswith(module.__name__ + "."):
                foreign.append(f"{name} (from {owner})")
    assert not foreign
