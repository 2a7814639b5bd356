"""The fake states the protocol on its own (fakeserver.protocol); the client on its own.

Neither takes its constants from the other, so a mistake on one side shows up here as a
disagreement instead of passing silently on both.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fakeserver
import fakeserver_client as client
from fakeserver import oidc, protocol, scenarios
from fakeserver_client import _handshake, _oauth2, _tables, _tiers

PACKAGE = Path(fakeserver.__file__).parent
#: The only module of the fake that may drive the thin client: it runs it over the matrix.
MAY_IMPORT_CLIENT = {"scenarios/live.py"}


def test_roles_agree() -> None:
    assert protocol.ADMIN_ROLE == client.ADMIN_ROLE == "ROLE_ADMIN"


def test_default_versions_agree() -> None:
    assert protocol.DEFAULT_SERVER_VERSION == client.DEFAULT_SERVER_VERSION == "6.1.2"
    assert protocol.DEFAULT_PYTHON_API_VERSION == client.DEFAULT_PYTHON_API_VERSION == "0.9.2"


def test_the_fixed_path_agrees() -> None:
    assert protocol.VERSIONS_PATH == _handshake.VERSIONS_PATH == "/versions/rest"


def test_the_oidc_discovery_path_agrees() -> None:
    # OpenID Connect Discovery 1.0 §4: where a client finds the issuer's endpoints.
    assert oidc.DISCOVERY_PATH == _oauth2.DISCOVERY_PATH == "/.well-known/openid-configuration"


def test_cloud_schemes_agree() -> None:
    assert set(protocol.CLOUD_SCHEMES) == set(_tables.CLOUD_SCHEMES) == {"s3", "gs", "az"}


def test_condition_letters_agree() -> None:
    assert scenarios.KEYS == _tiers.CONDITION_KEYS
    assert scenarios.LETTERS == _tiers.LETTERS


def test_the_modules_allowed_the_client_exist() -> None:
    # A stale entry would let the next module of that name import the client unnoticed.
    assert all((PACKAGE / name).is_file() for name in MAY_IMPORT_CLIENT)


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path",
    sorted(PACKAGE.rglob("*.py")),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_the_server_core_never_imports_the_client(path: Path) -> None:
    relative = str(path.relative_to(PACKAGE))
    imported = _imported_modules(path)
    uses_client = any(
        n == "fakeserver_client" or n.startswith("fakeserver_client.") for n in imported
    )
    assert not uses_client or relative in MAY_IMPORT_CLIENT, (
        f"fakeserver/{relative} imports the thin client: take the constant from "
        "fakeserver.protocol instead"
    )
    assert "client" not in imported, f"fakeserver/{relative} imports a top-level 'client'"
