"""A fake Atoti target server: every tier a ``Session.connect`` can land in, without a JVM."""

from .config import CubeSpec, SecurityConfig, ServerConfig, TableSpec, TlsConfig, User
from .server import FakeServer

__all__ = [
    "CubeSpec",
    "FakeServer",
    "SecurityConfig",
    "ServerConfig",
    "TableSpec",
    "TlsConfig",
    "User",
]
