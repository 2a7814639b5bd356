"""A fake Atoti target server: every tier a ``Session.connect`` can land in, without a JVM.

The names below load on first use (PEP 562), so ``import fakeserver`` — which the pytest
plugin and the thin client's host identity do in every run — costs nothing until a server
is actually wanted.
"""

import typing as _typing

from ._lazy import exports as _exports

if _typing.TYPE_CHECKING:
    from .config import (
        CubeSpec,
        Fault,
        OidcConfig,
        SecurityConfig,
        ServerConfig,
        TableSpec,
        TlsConfig,
        User,
    )
    from .limits import Limits
    from .plugin_support import ServerFactory
    from .pool import CertificateAuthority
    from .server import ExpectationError, FakeServer

__all__ = [
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
]

_HOMES = {
    "CertificateAuthority": "pool",
    "CubeSpec": "config",
    "ExpectationError": "server",
    "FakeServer": "server",
    "Fault": "config",
    "Limits": "limits",
    "OidcConfig": "config",
    "SecurityConfig": "config",
    "ServerConfig": "config",
    "ServerFactory": "plugin_support",
    "TableSpec": "config",
    "TlsConfig": "config",
    "User": "config",
}

__getattr__, __dir__ = _exports(__name__, _HOMES)
