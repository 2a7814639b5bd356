"""``Session.connect``: find the six conditions on the wire and decide the tier.

Every path is resolved from ``/versions/rest`` (only that one is fixed). The transport is a
seam: a real socket by default, or any ``httpx`` transport (e.g. ``httpx.WSGITransport``
over the fake's WSGI app) to run the same client in-process.
"""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Iterable, Mapping
from http.cookiejar import CookieJar
from typing import Any, Literal

import httpx

from ._auth import Authentication, ClientCertificate, authorization_header
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
from ._host import HostIdentity, host_identity
from ._security import Security
from ._tables import (
    Cube,
    Cubes,
    Table,
    Tables,
    TableSchema,
    read_csv,
    to_wire,
)
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

__all__ = ["DEFAULT_PYTHON_API_VERSION", "DEFAULT_SERVER_VERSION", "Session"]

DEFAULT_SERVER_VERSION = "6.1.2"
DEFAULT_PYTHON_API_VERSION = "0.9.2"
DEFAULT_TIMEOUT = 10.0
VERSIONS_PATH = "/versions/rest"
# The pivot API versions atoti-client 0.9.2 accepts, in its order of preference.
_PIVOT_IDS = ("9", "9zz1", "8")


def _file_key(path: str | None) -> tuple[str, int, int] | None:
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError as error:
        raise ClientError(f"cannot read {path!r}: {error.strerror}") from None
    return (os.path.abspath(path), stat.st_mtime_ns, stat.st_ino)


@functools.lru_cache(maxsize=64)
def _cached_context(
    ca: tuple[str, int, int] | None,
    cert: tuple[str, int, int] | None,
    key: tuple[str, int, int] | None,
) -> ssl.SSLContext:
    # Building a context (and loading certifi) costs milliseconds: share one per set of files.
    context = ssl.create_default_context(cafile=ca[0] if ca else None)
    if cert is not None:
        context.load_cert_chain(cert[0], key[0] if key else None)
    return context


@functools.lru_cache(maxsize=1024)
def _absolute_url(url: str) -> httpx.URL:
    """Parsed once per process: httpx's URL parsing costs ~40 µs a request otherwise."""
    return httpx.URL(url)


@functools.lru_cache(maxsize=1)
def _unused_context() -> ssl.SSLContext:
    # httpx builds a context per client unless given one (~0.1 ms); plain HTTP needs none.
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _ssl_context(
    certificate_authority: str | None, authentication: Authentication | None
) -> ssl.SSLContext:
    cert = key = None
    if isinstance(authentication, ClientCertificate):
        cert, key = authentication.certificate, authentication.keyfile
    try:
        return _cached_context(_file_key(certificate_authority), _file_key(cert), _file_key(key))
    except ssl.SSLError as error:
        raise TlsError(f"cannot load the TLS files given: {error.reason or error}") from None


def _error_message(response: httpx.Response) -> tuple[str, str]:
    """(message, path) from the documented error body, or the raw text."""
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, Mapping) and isinstance(body.get("error"), str):
        return body["error"], str(body.get("path", response.request.url.path))
    text = response.text.strip()[:200] or response.reason_phrase
    return text, response.request.url.path


class _NoCookies(CookieJar):
    """Atoti's client strips cookies, and so does this one (SPEC §4.3): credentials go with
    every request instead. Parsing Set-Cookie on every answer would also cost ~0.1 ms."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def add_cookie_header(self, request: Any) -> None:
        return None


class Session:
    """A connected session; build it with :meth:`connect`."""

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
    _http: httpx.Client
    _authentication: Authentication | None
    _certificate_authority: str | None
    _pivot_path: str
    _atoti_path: str | None
    _https: bool
    _answered: bool = False  # any answer yet: tells a refused handshake from a dropped request

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
        target started with others lands in a lesser tier, as SPEC §3.1 says. ``timeout``
        (seconds) bounds every request. Proxy and ``.netrc`` settings from the environment
        are ignored unless ``trust_env=True``.
        """
        self = object.__new__(cls)
        self.url = url.rstrip("/")
        parsed = httpx.URL(self.url)
        if parsed.query or parsed.fragment or parsed.scheme not in ("http", "https"):
            raise ClientError(f"{url!r} is not an http(s) URL without query or fragment")
        self._https = parsed.scheme == "https"  # httpx lower-cases the scheme
        self._authentication = authentication
        self._certificate_authority = (
            os.fspath(certificate_authority) if certificate_authority is not None else None
        )
        self.expected_server_version = server_version
        self.expected_python_api_version = python_api_version
        headers = {"Accept": "application/json"}
        header = authorization_header(authentication)
        if header is not None:
            headers["Authorization"] = header
        options: dict[str, Any] = {}
        if transport is not None:
            options["transport"] = transport
        elif self._https:
            options["verify"] = _ssl_context(self._certificate_authority, authentication)
        else:
            options["verify"] = _unused_context()  # plain HTTP: share one, never build one
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=timeout,
            follow_redirects=False,
            cookies=_NoCookies(),
            # By default test traffic goes where the URL says: an ambient HTTP_PROXY or .netrc
            # must not reroute or re-authenticate it (and reading them costs every connect).
            # trust_env=True reaches a remote target behind a proxy.
            trust_env=trust_env,
            **options,
        )
        try:
            self._handshake()
        except BaseException:
            self._http.close()
            raise
        return self

    # -- the handshake ---------------------------------------------------------------------

    def _handshake(self) -> None:
        versions = self._versions()
        self.server_version = versions["serverVersion"]
        apis = versions["apis"]
        self._pivot_path = self._pick_pivot(apis)
        atoti = apis.get("atoti")
        self._atoti_path = self._first_rest_path("atoti", atoti) if atoti else None
        self._ping()
        self.python_api_version = None
        self.host = None
        self.user = None
        self.roles = frozenset()
        secured = admin = same_api = same_host = None
        if self._atoti_path is not None:
            descriptor = self._descriptor()
            secured = descriptor["security"]["enabled"]
            user = descriptor["user"]
            if user is not None:
                self.user = user["name"]
                self.roles = frozenset(user["roles"])
            admin = bool(secured) and ADMIN_ROLE in self.roles
            self.python_api_version = descriptor["pythonApiVersion"]
            same_api = self.python_api_version == self.expected_python_api_version
            self.host = HostIdentity(descriptor["host"]["id"], descriptor["host"]["name"])
            same_host = self.host.id == host_identity().id
        self.conditions = Conditions(
            secured=secured,
            admin=admin,
            same_python_api=same_api,
            same_host=same_host,
            same_server_version=self.server_version == self.expected_server_version,
            exposed=self._atoti_path is not None,
        )
        self.tier = decide_tier(self.conditions)
        self.capabilities = capabilities_for(self.conditions)

    def _versions(self) -> dict[str, Any]:
        response = self._send("GET", VERSIONS_PATH, protocol_step=True)
        try:
            body = response.json()
        except (ValueError, UnicodeDecodeError):
            raise ProtocolError(f"{VERSIONS_PATH} did not answer JSON") from None
        if not isinstance(body, dict):
            raise ProtocolError(f"{VERSIONS_PATH} did not answer a JSON object")
        missing = [k for k in ("version", "serverVersion", "apis") if k not in body]
        if missing:
            raise ProtocolError(f"{VERSIONS_PATH} lacks {', '.join(missing)}: not an Atoti server")
        if not isinstance(body["serverVersion"], str) or not isinstance(body["apis"], dict):
            raise ProtocolError(f"{VERSIONS_PATH} has a malformed serverVersion or apis")
        return body

    def _first_rest_path(self, namespace: str, api: Any, ids: tuple[str, ...] = ()) -> str:
        try:
            versions = api["versions"]
            for version in versions:
                if not ids or str(version["id"]) in ids:
                    path = version["restPath"]
                    if isinstance(path, str) and path.startswith("/"):
                        return path.rstrip("/")
        except (KeyError, TypeError):
            pass
        wanted = f" with an id in {list(ids)}" if ids else ""
        raise ProtocolError(f"{VERSIONS_PATH} has no usable {namespace} version{wanted}")

    def _pick_pivot(self, apis: dict[str, Any]) -> str:
        if "activeviam/pivot" not in apis:
            raise ProtocolError(f"{VERSIONS_PATH} has no activeviam/pivot API")
        return self._first_rest_path("activeviam/pivot", apis["activeviam/pivot"], _PIVOT_IDS)

    def _descriptor(self) -> dict[str, Any]:
        assert self._atoti_path is not None
        response = self._send("GET", self._atoti_path + "/session", protocol_step=True)
        try:
            body = response.json()
            if not isinstance(body["security"]["enabled"], bool):
                raise TypeError
            user = body["user"]
            if user is not None and not (
                isinstance(user["name"], str)
                and isinstance(user["roles"], list)
                and all(isinstance(role, str) for role in user["roles"])
            ):
                raise TypeError
            host = body["host"]
            if not all(
                isinstance(v, str) for v in (body["pythonApiVersion"], host["id"], host["name"])
            ):
                raise TypeError
        except (KeyError, TypeError, ValueError):  # ValueError: not JSON at all
            raise ProtocolError("the session descriptor is malformed") from None
        return dict(body)

    # -- transport -------------------------------------------------------------------------

    def _send(
        self, method: str, path: str, *, protocol_step: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """One request; every failure becomes a typed ClientError, never an httpx one."""
        try:
            response = self._http.request(method, self._url(path), **kwargs)
        except httpx.TimeoutException:
            limit = self._http.timeout.read
            raise TimeoutError(
                f"{method} {self.url}{path} got no answer within {limit} s (timeout=)"
            ) from None
        except httpx.TransportError as error:
            raise self._transport_error(error, method, path) from None
        self._answered = True
        if response.is_success:
            return response
        message, where = _error_message(response)
        if response.status_code == 401:
            raise AuthenticationError(401, message, where)
        if response.status_code == 403:
            raise ForbiddenError(403, message, where)
        if protocol_step and response.status_code == 404:
            raise ProtocolError(f"{path} not found on {self.url}: not an Atoti server?")
        raise ServerError(response.status_code, message, where)

    def _url(self, path: str) -> httpx.URL:
        return _absolute_url(self.url + path)

    def _transport_error(self, error: httpx.TransportError, method: str, path: str) -> ClientError:
        cause: BaseException | None = error
        while cause is not None and not isinstance(cause, ssl.SSLError):
            cause = cause.__cause__ or cause.__context__
        if isinstance(cause, ssl.SSLCertVerificationError):
            return TlsError(
                f"cannot verify the TLS certificate of {self.url} ({cause.verify_message}): "
                "pass the CA file of the target as certificate_authority="
            )
        if isinstance(cause, ssl.SSLError):
            hint = (
                "; the target may require a client certificate it trusts "
                "(authentication=ClientCertificate(...))"
            )
            return TlsError(f"TLS with {self.url} failed ({cause.reason or cause}){hint}")
        closed = isinstance(error, httpx.RemoteProtocolError | httpx.ReadError)
        if closed and self._https and not self._answered:
            # TLS 1.3 reports a refused client certificate only at the first read.
            return TlsError(
                f"{self.url} closed the TLS connection before any answer: "
                "it may have refused the client certificate"
            )
        if closed:
            return ConnectFailedError(
                f"{self.url} closed the connection without answering {method} {path}"
            )
        return ConnectFailedError(f"cannot reach {self.url}{path}: {error or type(error).__name__}")

    # -- what every tier can do ------------------------------------------------------------

    def _require(self, capability: Capability) -> None:
        """Refuse before sending anything when the tier does not allow ``capability``."""
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

    def ping(self) -> None:
        """Check the target answers and the credentials are accepted."""
        self._require(Capability.PING)
        self._ping()

    def _ping(self) -> None:
        response = self._send("GET", self._pivot_path + "/ping")
        if response.text != "pong":
            raise ProtocolError(f"ping answered {response.text[:40]!r}, not 'pong'")

    @property
    def link(self) -> str:
        self._require(Capability.LINK)
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

    def _call(
        self,
        capability: Capability,
        method: str,
        route: str,
        *,
        api: Literal["atoti", "pivot"] = "atoti",
        **kwargs: Any,
    ) -> httpx.Response:
        """One request on behalf of ``capability``: refused before sending when not allowed."""
        self._require(capability)
        base = self._pivot_path if api == "pivot" else self._atoti_path
        if base is None:  # pragma: no cover - no tier allows live routes when unexposed
            raise ProtocolError("the target is not exposed to the Atoti Python API")
        return self._send(method, base + route, **kwargs)

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
        self._require(Capability.CREATE_TABLE)  # refuse before judging the arguments
        body: dict[str, Any] = {"name": name, "columns": dict(data_types), "keys": list(keys)}
        if default_values:
            body["defaultValues"] = to_wire(default_values)
        response = self._call(Capability.CREATE_TABLE, "POST", "/tables", json=body)
        return Table(self, TableSchema.from_json(response.json()))

    def create_cube(self, table: Table | str, *, name: str | None = None) -> Cube:
        """A cube over ``table``: a hierarchy per key or String column, SUM per number."""
        self._require(Capability.CREATE_CUBE)  # refuse before judging the arguments
        table_name = table.name if isinstance(table, Table) else table
        body = {"table": table_name, "name": table_name if name is None else name}
        response = self._call(Capability.CREATE_CUBE, "POST", "/cubes", json=body)
        return Cube.from_json(response.json())

    @property
    def cubes(self) -> Cubes:
        """The cubes of the target, by name, from one ``cube/discovery``."""
        response = self._call(Capability.CUBES, "GET", "/cube/discovery", api="pivot")
        return Cubes.from_json(response.json())

    # One implementation, beside table.load_csv in _tables: a local path needs
    # load.file, a cloud URL load.cloud; the table is created from the CSV's header.
    read_csv = read_csv

    @property
    def security(self) -> Security:
        """Users, passwords and roles of the target (capability ``security``)."""
        self._require(Capability.SECURITY)
        return Security(self)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Session {self.url} {self.tier.value}>"
