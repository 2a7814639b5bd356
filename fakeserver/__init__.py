"""A fake Atoti target server: every tier a ``Session.connect`` can land in, without a JVM."""

from .config import CubeSpec, Fault, SecurityConfig, ServerConfig, TableSpec, TlsConfig, User
from .server import ExpectationError, FakeServer

__all__ = [
    "CubeSpec",
    "ExpectationError",
    "FakeServer",
    "Fault",
    "SecurityConfig",
    "ServerConfig",
    "TableSpec",
    "TlsConfig",
    "User",
]
