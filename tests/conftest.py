from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from fakeserver import FakeServer, OidcConfig, SecurityConfig, ServerConfig, TlsConfig, User

ADMIN = User("admin", "admin-pass", roles=frozenset({"ROLE_USER", "ROLE_ADMIN"}))
PLAIN = User("user", "user-pass")
SECURITY = SecurityConfig(
    users=(ADMIN, PLAIN), tokens={"admin-token": "admin", "user-token": "user"}
)

#: The same users with the target as its own OAuth 2 issuer (one client).
CLIENT_ID, CLIENT_SECRET = "test-client", "test-client-secret"
OIDC_SECURITY = SecurityConfig(
    users=(ADMIN, PLAIN),
    tokens={"admin-token": "admin"},
    oidc=OidcConfig(clients={CLIENT_ID: CLIENT_SECRET}),
)


@pytest.fixture
def oidc_server() -> Iterator[FakeServer]:
    """Secured, HTTPS, and its own OAuth 2 issuer."""
    with FakeServer(ServerConfig(security=OIDC_SECURITY, tls=TlsConfig())) as server:
        yield server


@pytest.fixture
def open_server() -> Iterator[FakeServer]:
    """Exposed, unsecured, plain HTTP: the ServerConfig() defaults."""
    with FakeServer() as server:
        yield server


@pytest.fixture
def secured_server() -> Iterator[FakeServer]:
    with FakeServer(ServerConfig(security=SECURITY)) as server:
        yield server


@pytest.fixture
def mtls_server() -> Iterator[FakeServer]:
    config = ServerConfig(security=SECURITY, tls=TlsConfig(client_certificate="optional"))
    with FakeServer(config) as server:
        yield server


# The real atoti-client is opt-in (tox -e atoti-compat): without it, its tests are not
# even collected, so the default suite neither runs nor skips them.
collect_ignore = [] if importlib.util.find_spec("atoti") else ["atoti_compat"]

# pytester runs downstream test files against the installed plugin
# (tests/fakeserver/test_plugin.py).
pytest_plugins = ["pytester"]
