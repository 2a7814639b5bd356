"""A thin client for Atoti targets: connect, establish the six conditions, decide the tier."""

from ._auth import (
    Authentication,
    BasicAuthentication,
    ClientCertificate,
    OAuth2ResourceOwnerPasswordAuthentication,
    TokenAuthentication,
)
from ._errors import (
    AuthenticationError,
    CapabilityUnavailableError,
    ClientError,
    ConnectFailedError,
    ForbiddenError,
    LiveExtensionUnavailableError,
    ProtocolError,
    ServerError,
    TimeoutError,
    TlsError,
)
from ._host import HOST_ID_ENV, HostIdentity, host_identity
from ._security import Credentials, IndividualRoles, Security
from ._session import DEFAULT_PYTHON_API_VERSION, DEFAULT_SERVER_VERSION, Session
from ._tables import Column, Condition, Cube, Cubes, QueryResult, Table, Tables, TableSchema
from ._tiers import ADMIN_ROLE, Capability, Conditions, Tier, decide_tier

__all__ = [
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
]
