"""Server configuration: what a fake target is, validated once, loadable from TOML or JSON.

Every field is checked when the object is built so a mistake surfaces at the line that made
it, as a ``ValueError`` naming the field, rather than as a confusing answer on the wire.
One topic per module: :mod:`.checks` (how a value is refused), :mod:`.parts` (users,
security, TLS, tables, cubes, faults), :mod:`.target` (``ServerConfig``), :mod:`.files`
(plain data, TOML and JSON).
"""

from ..protocol import DEFAULT_PYTHON_API_VERSION, DEFAULT_SERVER_VERSION
from .parts import DEFAULT_OIDC_CLIENTS as DEFAULT_OIDC_CLIENTS
from .parts import TOKEN68 as TOKEN68
from .parts import ClientCertificateMode as ClientCertificateMode
from .parts import (
    CubeSpec,
    Fault,
    OidcConfig,
    SecurityConfig,
    TableSpec,
    TlsConfig,
    User,
)
from .parts import FaultKind as FaultKind
from .parts import OidcAlgorithm as OidcAlgorithm
from .target import ServerConfig

__all__ = [
    "DEFAULT_PYTHON_API_VERSION",
    "DEFAULT_SERVER_VERSION",
    "CubeSpec",
    "Fault",
    "OidcConfig",
    "SecurityConfig",
    "ServerConfig",
    "TableSpec",
    "TlsConfig",
    "User",
]
