"""``Session.connect``: find the six conditions on the wire, decide the tier, and allow or
refuse each capability by it.

Every path is resolved from ``/versions/rest`` (only that one is fixed). The HTTP side is
:mod:`._transport`, the judgement of what the target answered :mod:`._handshake`; this
module fetches, keeps the result, and explains refusals.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import httpx

from ._auth import Authentication, OAuth2ResourceOwnerPasswordAuthentication
from ._errors import (
    CapabilityUnavailableError,
    ClientError,
    LiveExtensionUnavailableError,
    ProtocolError,
)
from ._handshake import (
    MALFORMED_DESCRIPTOR,
    VERSIONS_PATH,
    Versions,
    conditions,
    parse_descriptor,
    parse_versions,
)
from ._host import HostIdentity, host_identity
from ._oauth2 import obtain_token
from ._security import Security
from ._tables import Cube, Cubes, Table, Tables, TableSchema, read_csv, to_wire
from ._tiers import (
    ADMIN_ROLE,
    LIVE_CAPABILITIES,
    Capability,
    Conditions,
    Tier,
    capabilities_for,
    decide_tier,
    nearest_unmet,
)
from ._transport import Transport

__all__ = ["DEFAULT_PYTHON_API_VERSION", "DEFAULT_SERVER_VERSION", "Session"]

DEFAULT_SERVER_VERSION = "6.1.2"
DEFAULT_PYTHON_API_VERSION = "0.9.2"
DEFAULT_TIMEOUT = 10.0


def _json(response: httpx.Response, complaint: str) -> object:
    """The answer decoded; judging it is :mod:`._handshake`'s job."""
    try:
        return response.json()
    except ValueError:  # UnicodeDecodeError is one
        raise ProtocolError(complaint) from None


def _pong(response: httpx.Response) -> None:
    if response.text != "pong":
        raise ProtocolError(f"ping answered {response.text[:40]!r}, not 'pong'")


class Session:
    """A connected session; build it with :meth:`connect`.

    Its tables and security mappings reach the target through :meth:`require` and
    :meth:`call` (the :class:`~._requester.Requester` seam), never its internals.
    """

    url: str
    tier: Tier
    conditions: Conditions
    capabilities: frozenset[Capability]
    server_version: str
    python_api_version: str | None
    host: HostIdentity | None
    user: str | None
    roles: frozenset[str]
    expected_server_version: str
    expected_python_api_version: str
    _transport: Transport
    _versions: Versions

    def __init__(self) -> None:  # use Session.connect()
        raise TypeError("use Session.connect(url, ...)")

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        authentication: Authentication | None = None,
        certificate_authority: str | os.PathLike[str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        server_version: str = DEFAULT_SERVER_VERSION,
        python_api_version: str = DEFAULT_PYTHON_API_VERSION,
        trust_env: bool = False,
    ) -> Session:
        """Connect to the target at ``url`` and establish its tier.

        ``server_version`` and ``python_api_version`` are what this client expects; a
        target started with others lands in a lesser tier (:func:`decide_tier`). ``timeout``
        (seconds) bounds every request. Proxy and ``.netrc`` settings from the environment
        are ignored unless ``trust_env=True``.
        """
        self = object.__new__(cls)
        self.expected_server_version = server_version
        self.expected_python_api_version = python_api_version
        ca = os.fspath(certificate_authority) if certificate_authority is not None else None
        if isinstance(authentication, OAuth2ResourceOwnerPasswordAuthentication):
            authentication = obtain_token(
                authentication,
                certificate_authority=ca,
                timeout=timeout,
                transport=transport,
                trust_env=trust_env,
            )
        self._transport = Transport(
            url,
            authentication=authentication,
            certificate_authority=ca,
            timeout=timeout,
            transport=transport,
            trust_env=trust_env,
        )
        self.url = self._transport.url
        try:
            self._handshake()
        except BaseException:
            self._transport.close()
            raise
        return self

    def _handshake(self) -> None:
        send = self._transport.send
        response = send("GET", VERSIONS_PATH, protocol_step=True)
        versions = parse_versions(_json(response, f"{VERSIONS_PATH} did not answer JSON"))
        self.server_version = versions.server_version
        self._versions = versions
        _pong(send("GET", versions.pivot_path + "/ping"))
        self.python_api_version = self.host = self.user = None
        self.roles = frozenset()
        descriptor = None
        if versions.atoti_path is not None:
            response = send("GET", versions.atoti_path + "/session", protocol_step=True)
            descriptor = parse_descriptor(_json(response, MALFORMED_DESCRIPTOR))
            self.python_api_version = descriptor.python_api_version
            self.host = descriptor.host
            self.user = descriptor.user
            self.roles = descriptor.roles
        self.conditions = conditions(
            versions,
            descriptor,
            server_version=self.expected_server_version,
            python_api_version=self.expected_python_api_version,
            host=host_identity(),
        )
        self.tier = decide_tier(self.conditions)
        self.capabilities = capabilities_for(self.conditions)

    # -- the seam its tables and security go through (a Requester) ------------------------

    def require(self, capability: Capability) -> None:
        """Refuse, before anything is sent, when this session's tier does not allow
        ``capability``: the error names the tier and the nearest unmet conditions."""
        if capability in self.capabilities:
            return
        _, unmet = nearest_unmet(capability, self.conditions)
        reasons = [(key, self._explain(key)) for key in unmet]
        error = (
            LiveExtensionUnavailableError
            if capability in LIVE_CAPABILITIES
            else CapabilityUnavailableError
        )
        raise error(capability, self.tier, reasons)

    def _explain(self, key: str) -> str:
        if getattr(self.conditions, key) is None:
            return "unknown: the target is not exposed to the Atoti Python API"
        explanations = {
            "secured": "the target does not require authentication",
            "admin": f"the credentials do not grant {ADMIN_ROLE}",
            "same_python_api": (
                f"the target was started with Atoti Python API {self.python_api_version}, "
                f"not {self.expected_python_api_version}"
            ),
            "same_host": (
                f"the target runs on another host ({self.host.name if self.host else '?'})"
            ),
            "same_server_version": (
                f"the target runs Atoti Server {self.server_version}, "
                f"not {self.expected_server_version}"
            ),
            "exposed": "the target is not exposed to the Atoti Python API",
        }
        return explanations[key]

    def call(
        self,
        capability: Capability,
        method: str,
        route: str,
        *,
        api: Literal["atoti", "pivot"] = "atoti",
        **kwargs: Any,
    ) -> httpx.Response:
        """``method route`` under the path ``/versions/rest`` gave ``api``, on behalf of
        ``capability``: refused before sending when the tier does not allow it."""
        self.require(capability)
        base = self._versions.pivot_path if api == "pivot" else self._versions.atoti_path
        if base is None:  # pragma: no cover - no tier allows live routes when unexposed
            raise ProtocolError("the target is not exposed to the Atoti Python API")
        return self._transport.send(method, base + route, **kwargs)

    # -- what every tier can do ------------------------------------------------------------

    def ping(self) -> None:
        """Check the target answers and the credentials are accepted."""
        _pong(self.call(Capability.PING, "GET", "/ping", api="pivot"))

    @property
    def link(self) -> str:
        self.require(Capability.LINK)
        return self.url

    @property
    def endpoint(self) -> Any:
        raise ClientError("endpoint only exists in the process that started the session")

    @property
    def logs_path(self) -> Any:
        raise ClientError("logs_path only exists in the process that started the session")

    def wait(self) -> None:
        raise ClientError("wait() only exists in the process that started the session")

    # -- capabilities beyond the handshake (SPEC §3.2) ----------------------------------

    @property
    def tables(self) -> Tables:
        """The target's tables: ``[name]``, ``.schema``, listing and ``del`` (see Tables)."""
        return Tables(self)

    def create_table(
        self,
        name: str,
        *,
        data_types: Mapping[str, str],
        keys: Iterable[str] = (),
        default_values: Mapping[str, Any] | None = None,
    ) -> Table:
        """A new empty table; types are Atoti names (``String``, ``int``, ``LocalDate``...)."""
        self.require(Capability.CREATE_TABLE)  # refuse before judging the arguments
        body: dict[str, Any] = {"name": name, "columns": dict(data_types), "keys": list(keys)}
        if default_values:
            body["defaultValues"] = to_wire(default_values)
        response = self.call(Capability.CREATE_TABLE, "POST", "/tables", json=body)
        return Table(self, TableSchema.from_json(response.json()))

    # One implementation, beside table.load_csv in _tables: a local path needs
    # load.file, a cloud URL load.cloud; the table is created from the CSV's header.
    read_csv = read_csv

    def create_cube(self, table: Table | str, *, name: str | None = None) -> Cube:
        """A cube over ``table``: a hierarchy per key or String column, SUM per number."""
        self.require(Capability.CREATE_CUBE)  # refuse before judging the arguments
        table_name = table.name if isinstance(table, Table) else table
        body = {"table": table_name, "name": table_name if name is None else name}
        response = self.call(Capability.CREATE_CUBE, "POST", "/cubes", json=body)
        return Cube.from_json(response.json())

    @property
    def cubes(self) -> Cubes:
        """The cubes of the target, by name, from one ``cube/discovery``."""
        response = self.call(Capability.CUBES, "GET", "/cube/discovery", api="pivot")
        return Cubes.from_json(response.json())

    @property
    def security(self) -> Security:
        """Users, passwords and roles of the target (capability ``security``)."""
        self.require(Capability.SECURITY)
        return Security(self)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        # Never raises: a connect that fails half-way shows this object in its traceback.
        tier = getattr(self, "tier", None)
        state = tier.value if isinstance(tier, Tier) else "not connected"
        return f"<Session {getattr(self, 'url', '?')} {state}>"
