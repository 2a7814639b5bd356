"""Server configuration: what a fake target is, validated once, loadable from TOML or JSON.

Every field is checked when the object is built so a mistake surfaces at the line that made
it, as a ``ValueError`` naming the field, rather than as a confusing answer on the wire.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .generations import generation
from .host import HostKind
from .limits import Limits
from .model import ATOTI_TYPES, SCALAR_TYPES, DataError, NameKind, Table, check_name, short
from .protocol import (
    CLOUD_SCHEMES,
    DEFAULT_PIVOT_IDS,
    DEFAULT_PYTHON_API_VERSION,
    DEFAULT_SERVER_VERSION,
    STATUS_PREFIX,
    check_version,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

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


# Every pattern is used with ``fullmatch``: ``$`` also matches before a final newline, and
# "ROLE_ADMIN\n" would be a valid role that is silently not the admin role.
_ROLE = re.compile(r"ROLE_[A-Z0-9_]+")
#: RFC 7235's token68: what a bearer token may be, so the header can carry it.
TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*")
_TOKEN_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_CLOUD_URL = re.compile(rf"(?:{'|'.join(CLOUD_SCHEMES)})://[^/]+/.+")

ClientCertificateMode = Literal["none", "optional", "required"]
OidcAlgorithm = Literal["ES256", "RS256"]


def _fail(field_name: str, problem: str) -> ValueError:
    return ValueError(f"{field_name}: {problem}")


def _sequence(
    field_name: str, value: object, what: str, *, unordered: bool = False
) -> Sequence[Any] | AbstractSet[Any]:
    """``value`` if it is a list or tuple (or a set, when order does not matter).

    Anything else is refused by name: a string or a mapping would otherwise be read as
    its characters or keys, and a generator would be used up by the first look.
    """
    if isinstance(value, (list, tuple)) or (unordered and isinstance(value, AbstractSet)):
        return value
    raise _fail(field_name, f"must be {what}, not {short(value)}")


def _row(field_name: str, row: object, columns: Mapping[str, str]) -> tuple[Any, ...]:
    """One row of a table: values in column order, or an object mapped by column name.

    An object's missing columns are null (their default applies) and an unknown one is
    an error: the same rule as rows over the wire (``Table.prepare``).
    """
    if isinstance(row, Mapping):
        unknown = [k for k in row if k not in columns]
        if unknown:
            raise _fail(field_name, f"no column {short(unknown[0])}")
        return tuple(row.get(column) for column in columns)
    values = tuple(_sequence(field_name, row, "a list of values or an object of column: value"))
    if len(values) != len(columns):
        raise _fail(field_name, f"has {len(values)} values for {len(columns)} columns")
    return values


def _check_name(field_name: str, value: object, kind: NameKind) -> str:
    # The model's one name rule, raised as the plain ValueError of every config mistake.
    try:
        return check_name(field_name, value, kind=kind)
    except DataError as error:
        raise ValueError(error.message) from None


@dataclass(frozen=True)
class User:
    """A user of a secured target; ``roles`` are Spring-style ``ROLE_*`` names."""

    name: str
    password: str = field(repr=False)  # reprs end up in test reports and CI logs
    roles: frozenset[str] = frozenset({"ROLE_USER"})

    def __post_init__(self) -> None:
        _check_name("user.name", self.name, "user")
        if not isinstance(self.password, str):
            raise _fail(f"user {self.name!r}.password", "must be a string")
        roles = _sequence(
            f"user {self.name!r}.roles", self.roles, "a collection of role names", unordered=True
        )
        for role in roles:
            if not isinstance(role, str) or not _ROLE.fullmatch(role):
                raise _fail(
                    f"user {self.name!r}.roles",
                    f"{short(role)} is not a role name such as 'ROLE_USER' (ROLE_ + upper case)",
                )
        object.__setattr__(self, "roles", frozenset(roles))


#: The client of ``OidcConfig()``: documented, so as public as the demo passwords.
DEFAULT_OIDC_CLIENTS: Mapping[str, str] = {"fakeserver": "fakeserver-secret"}
_ISSUER_PATH = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")
_RESERVED_PREFIXES = ("/versions", "/activeviam", "/atoti", STATUS_PREFIX)
_CLAIM = re.compile(r"^[A-Za-z_][A-Za-z0-9_:-]*(\.[A-Za-z_][A-Za-z0-9_:-]*)*$")
_CLIENT_ID = re.compile(r"^[\x21-\x7e]+$")  # RFC 6749 A.1: visible ASCII


@dataclass(frozen=True)
class OidcConfig:
    """The target as its own OpenID Connect issuer: the password grant.

    The issuer is the server's URL plus ``path``: discovery at
    ``{issuer}/.well-known/openid-configuration``, tokens at ``{issuer}/token``, keys at
    ``{issuer}/jwks``. Access tokens are JWTs signed with ``algorithm`` by a key made when
    the server starts, for ``audience``, valid ``token_lifetime`` seconds, with the user's
    roles in ``roles_claim`` (a dotted name nests: ``realm_access.roles``). The target
    accepts them within ``clock_skew`` seconds of their ``exp``/``nbf``. ``clients`` maps
    each OAuth 2 client id to its secret.
    """

    path: str = "/oidc"
    audience: str = "fakeserver"
    roles_claim: str = "roles"
    clients: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_OIDC_CLIENTS), repr=False
    )
    token_lifetime: int = 300
    clock_skew: int = 30
    algorithm: OidcAlgorithm = "ES256"

    def __post_init__(self) -> None:
        path = self.path
        if not isinstance(path, str) or not _ISSUER_PATH.fullmatch(path):
            raise _fail(
                "oidc.path", f"{short(path)} is not a path such as '/oidc' (no trailing '/')"
            )
        if any(path == p or path.startswith(p + "/") for p in _RESERVED_PREFIXES):
            raise _fail("oidc.path", f"{path!r} would hide the target's own routes")
        if not isinstance(self.audience, str) or not self.audience.strip():
            raise _fail("oidc.audience", "must be a non-empty string")
        if not isinstance(self.roles_claim, str) or not _CLAIM.fullmatch(self.roles_claim):
            raise _fail("oidc.roles_claim", f"{short(self.roles_claim)} is not a claim name")
        if not isinstance(self.clients, Mapping) or not self.clients:
            raise _fail("oidc.clients", "must map at least one client id to its secret")
        for client_id, secret in self.clients.items():
            # Never echo a secret: config errors end up in logs and CI output.
            if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
                raise _fail(
                    "oidc.clients", f"{short(client_id)} is not a client id (visible ASCII)"
                )
            if not isinstance(secret, str) or not secret:
                raise _fail("oidc.clients", f"the secret of {client_id!r} must be non-empty")
        for name, low, high in (("token_lifetime", 1, 86_400), ("clock_skew", 0, 3_600)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise _fail(f"oidc.{name}", f"must be whole seconds between {low} and {high}")
        if self.algorithm not in ("ES256", "RS256"):
            raise _fail("oidc.algorithm", f"{short(self.algorithm)} is not 'ES256' or 'RS256'")
        object.__setattr__(self, "clients", dict(self.clients))


@dataclass(frozen=True)
class SecurityConfig:
    """A secured target: who may log in, with which tokens, and its OAuth 2 issuer."""

    users: tuple[User, ...] = ()
    tokens: Mapping[str, str] = field(default_factory=dict, repr=False)
    token_type: str = "Bearer"
    oidc: OidcConfig | None = None

    def __post_init__(self) -> None:
        users = tuple(_sequence("security.users", self.users, "a list of User"))
        for user in users:
            if not isinstance(user, User):
                raise _fail("security.users", f"{short(user)} is not a User")
        names = [u.name for u in users]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise _fail("security.users", f"duplicate user names {duplicates}")
        if not isinstance(self.tokens, Mapping):
            raise _fail("security.tokens", "must map token -> user name")
        for token, owner in self.tokens.items():
            # Never echo a token: config errors end up in logs and CI output.
            if not isinstance(token, str) or not TOKEN68.fullmatch(token):
                raise _fail(
                    "security.tokens",
                    "a token must be non-empty and use only letters, digits and -._~+/ "
                    "(then '=' padding), as an Authorization header carries it",
                )
            if owner not in names:
                raise _fail("security.tokens", f"a token points at unknown user {short(owner)}")
        token_type = self.token_type
        if (
            not isinstance(token_type, str)
            or not _TOKEN_TYPE.fullmatch(token_type)
            or token_type.lower() == "basic"
        ):
            raise _fail("security.token_type", f"{short(token_type)} is not a token scheme")
        if self.oidc is not None and not isinstance(self.oidc, OidcConfig):
            raise _fail("security.oidc", "must be an OidcConfig or None")
        object.__setattr__(self, "users", users)
        object.__setattr__(self, "tokens", dict(self.tokens))

    def user(self, name: str) -> User | None:
        return next((u for u in self.users if u.name == name), None)


@dataclass(frozen=True)
class TlsConfig:
    """HTTPS for the target, with a CA made for that server at start."""

    client_certificate: ClientCertificateMode = "none"

    def __post_init__(self) -> None:
        if self.client_certificate not in ("none", "optional", "required"):
            raise _fail(
                "tls.client_certificate",
                f"{short(self.client_certificate)} is not one of 'none', 'optional', 'required'",
            )


@dataclass(frozen=True)
class TableSpec:
    """A table of the baseline: explicit ``rows``, or ``generate`` seeded faker rows.

    A row is its values in column order, or an object of ``column: value`` (a missing
    column takes its default); either way it is stored as values in column order.
    """

    name: str
    columns: Mapping[str, str]
    keys: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...] | Mapping[str, Any], ...] = ()
    generate: int = 0
    default_values: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_name("table.name", self.name, "table")
        where = f"table {self.name!r}"
        if not isinstance(self.columns, Mapping) or not self.columns:
            raise _fail(f"{where}.columns", "must map at least one column name to a type")
        for column, type_name in self.columns.items():
            _check_name(f"{where}.columns", column, "column")
            if not isinstance(type_name, str) or type_name not in ATOTI_TYPES:
                raise _fail(
                    f"{where}.columns.{column}",
                    f"{short(type_name)} is not an Atoti type ({', '.join(SCALAR_TYPES)}, or X[])",
                )
        keys = tuple(_sequence(f"{where}.keys", self.keys, "a list of column names"))
        for key in keys:
            if not isinstance(key, str) or key not in self.columns:
                raise _fail(f"{where}.keys", f"{short(key)} is not a column")
        if isinstance(self.generate, bool) or not isinstance(self.generate, int):
            raise _fail(f"{where}.generate", "must be a whole number of rows")
        if not 0 <= self.generate <= 100_000:
            raise _fail(f"{where}.generate", "must be between 0 and 100000")
        rows = tuple(
            _row(f"{where}.rows[{i}]", row, self.columns)
            for i, row in enumerate(_sequence(f"{where}.rows", self.rows, "a list of rows"))
        )
        if not isinstance(self.default_values, Mapping):
            raise _fail(f"{where}.default_values", "must map column names to values")
        # Values are checked by the data model itself, so config and wire agree on types.
        try:
            Table(self.name, self.columns, keys, self.default_values).prepare(
                list(rows), labels=[f"rows[{i}]" for i in range(len(rows))]
            )
        except ValueError as error:
            raise ValueError(str(error)) from None
        object.__setattr__(self, "columns", dict(self.columns))
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "default_values", dict(self.default_values))


@dataclass(frozen=True)
class CubeSpec:
    """A cube of the baseline, built from one table."""

    name: str
    table: str

    def __post_init__(self) -> None:
        _check_name("cube.name", self.name, "cube")
        _check_name(f"cube {self.name!r}.table", self.table, "table")


FaultKind = Literal["latency", "error", "drop"]


@dataclass(frozen=True)
class Fault:
    """A fault injected before the emulation answers a matching request.

    ``path`` is a glob over the request path (``*/ping``, ``/versions/rest``, ``*``).
    ``latency`` sleeps ``delay`` seconds, or a seeded random time in ``[delay, delay_max]``;
    ``error`` answers ``status`` in the documented error shape; ``drop`` closes the
    connection without answering. ``times`` limits how often it fires (``None``: always;
    ``1``: once) and ``probability`` makes it fire at random (seeded by the config's seed).
    """

    kind: FaultKind
    path: str = "*"
    method: str | None = None
    delay: float = 0.0
    delay_max: float | None = None
    status: int = 503
    message: str = "fault injected by fakeserver"
    times: int | None = None
    probability: float = 1.0

    def __post_init__(self) -> None:
        where = f"faults[{short(self.kind)} {short(self.path)}]"
        if self.kind not in ("latency", "error", "drop"):
            raise _fail("fault.kind", f"{short(self.kind)} is not 'latency', 'error' or 'drop'")
        if not isinstance(self.path, str) or not self.path:
            raise _fail(f"{where}.path", "must be a non-empty glob such as '*/ping'")
        if self.method is not None and (
            not isinstance(self.method, str) or not self.method.isalpha()
        ):
            raise _fail(f"{where}.method", f"{short(self.method)} is not an HTTP method")
        if not _is_number(self.delay) or not 0 <= self.delay <= 600:
            raise _fail(f"{where}.delay", "must be between 0 and 600 seconds")
        if self.delay_max is not None and (
            not _is_number(self.delay_max) or not self.delay <= self.delay_max <= 600
        ):
            raise _fail(f"{where}.delay_max", "must be between delay and 600 seconds")
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise _fail(f"{where}.status", "must be an HTTP status code")
        if not 400 <= self.status <= 599:
            raise _fail(f"{where}.status", f"{self.status} is not an error status (400-599)")
        if self.times is not None and (
            isinstance(self.times, bool) or not isinstance(self.times, int) or self.times < 1
        ):
            raise _fail(f"{where}.times", "must be a positive count, or None for always")
        if not _is_number(self.probability) or not 0 < self.probability <= 1:
            raise _fail(f"{where}.probability", "must be in (0, 1]")
        if not isinstance(self.message, str):
            raise _fail(f"{where}.message", "must be a string")
        if self.method is not None:
            object.__setattr__(self, "method", self.method.upper())


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _default_file_roots() -> tuple[str, ...]:
    return (tempfile.gettempdir(), os.getcwd())


@dataclass(frozen=True)
class ServerConfig:
    """Everything that makes one fake target differ from another."""

    server_version: str = DEFAULT_SERVER_VERSION
    python_api_version: str = DEFAULT_PYTHON_API_VERSION
    exposed: bool = True
    host: HostKind = "local"
    security: SecurityConfig | None = None
    tls: TlsConfig | None = None
    tables: tuple[TableSpec, ...] = ()
    cubes: tuple[CubeSpec, ...] = ()
    seed: int = 0
    cloud_files: Mapping[str, str] = field(default_factory=dict)
    file_roots: tuple[str, ...] = field(default_factory=_default_file_roots)
    max_body_size: int = 10 * 1024 * 1024
    limits: Limits = field(default_factory=Limits)
    faults: tuple[Fault, ...] = ()
    #: The ``activeviam/pivot`` version ids ``versions/rest`` lists; only ``9`` is served.
    pivot_ids: tuple[str, ...] = DEFAULT_PIVOT_IDS
    #: Serve the status page and its JSON under ``/_fakeserver/`` (``fakeserver serve``
    #: turns it on); off, those paths are unknown like any other.
    status_page: bool = False

    def __post_init__(self) -> None:
        check_version("server_version", self.server_version, quote=short)
        pivot_ids = (self.pivot_ids,) if isinstance(self.pivot_ids, str) else tuple(self.pivot_ids)
        if not pivot_ids or not all(
            isinstance(i, str) and re.fullmatch(r"[0-9A-Za-z._-]{1,20}", i) for i in pivot_ids
        ):
            raise _fail("pivot_ids", "must be one or more version ids such as '9'")
        object.__setattr__(self, "pivot_ids", pivot_ids)
        check_version("python_api_version", self.python_api_version, quote=short)
        if not isinstance(self.exposed, bool):
            raise _fail("exposed", f"{short(self.exposed)} is not a boolean")
        if not isinstance(self.status_page, bool):
            raise _fail("status_page", f"{short(self.status_page)} is not a boolean")
        if self.host not in ("local", "remote"):
            raise _fail("host", f"{short(self.host)} is not 'local' or 'remote'")
        if self.security is not None and not isinstance(self.security, SecurityConfig):
            raise _fail("security", "must be a SecurityConfig or None")
        if self.tls is not None and not isinstance(self.tls, TlsConfig):
            raise _fail("tls", "must be a TlsConfig or None")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise _fail("seed", f"{short(self.seed)} is not an integer")
        if isinstance(self.max_body_size, bool) or not isinstance(self.max_body_size, int):
            raise _fail("max_body_size", "must be a number of bytes")
        if self.max_body_size < 1024:
            raise _fail("max_body_size", "must be at least 1024 bytes")
        if not isinstance(self.limits, Limits):
            raise _fail("limits", "must be a Limits")
        tables = tuple(_sequence("tables", self.tables, "a list of TableSpec"))
        for table in tables:
            if not isinstance(table, TableSpec):
                raise _fail("tables", f"{short(table)} is not a TableSpec")
        names = [t.name for t in tables]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise _fail("tables", f"duplicate table name {duplicates[0]!r}")
        cubes = tuple(_sequence("cubes", self.cubes, "a list of CubeSpec"))
        for cube in cubes:
            if not isinstance(cube, CubeSpec):
                raise _fail("cubes", f"{short(cube)} is not a CubeSpec")
            if cube.table not in names:
                raise _fail(
                    f"cube {cube.name!r}.table", f"{cube.table!r} is not a configured table"
                )
        cube_names = [c.name for c in cubes]
        if len(set(cube_names)) != len(cube_names):
            raise _fail("cubes", "duplicate cube names")
        if not isinstance(self.cloud_files, Mapping):
            raise _fail("cloud_files", "must map cloud URLs to CSV text")
        for url, text in self.cloud_files.items():
            if not isinstance(url, str) or not _CLOUD_URL.fullmatch(url):
                raise _fail(
                    "cloud_files", f"{short(url)} is not an s3://, gs:// or az:// object URL"
                )
            if not isinstance(text, str):
                raise _fail(f"cloud_files[{short(url)}]", "must be CSV text")
        roots = tuple(_sequence("file_roots", self.file_roots, "a list of absolute paths"))
        for root in roots:
            if not isinstance(root, str) or not os.path.isabs(root):
                raise _fail("file_roots", f"{short(root)} is not an absolute path")
        faults = tuple(_sequence("faults", self.faults, "a list of Fault"))
        for fault in faults:
            if not isinstance(fault, Fault):
                raise _fail("faults", f"{short(fault)} is not a Fault")
        object.__setattr__(self, "faults", faults)
        object.__setattr__(self, "tables", tables)
        object.__setattr__(self, "cubes", cubes)
        object.__setattr__(self, "cloud_files", dict(self.cloud_files))
        object.__setattr__(self, "file_roots", roots)

    @property
    def secured(self) -> bool:
        return self.security is not None

    def replace(self, **changes: Any) -> ServerConfig:
        """A copy with ``changes`` applied and validated again."""
        try:
            return dataclasses.replace(self, **changes)
        except TypeError as error:
            raise ValueError(str(error)) from None

    @classmethod
    def for_client(cls, client: str, **fields: Any) -> ServerConfig:
        """A target that atoti-client release ``client`` calls compatible.

        Its server version is the one that release expects and its Python API version the
        release's own; ``fields`` set the rest. An unknown release is a ``ValueError``
        listing the known ones.
        """
        found = generation(client)
        versions = {
            "server_version": found.server_version,
            "python_api_version": found.python_api_version,
        }
        return cls(**{**versions, **fields})

    # -- loading -------------------------------------------------------------------------

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ServerConfig:
        """Build from plain data (the shape of the TOML and JSON files)."""
        if not isinstance(data, Mapping):
            raise _fail("config", "must be a table/object of fields")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise _fail(unknown[0], f"unknown field (known: {', '.join(sorted(known))})")
        fields: dict[str, Any] = dict(data)
        if "security" in fields:
            fields["security"] = _security_from(fields["security"])
        if "tls" in fields:
            fields["tls"] = _tls_from(fields["tls"])
        if "tables" in fields:
            fields["tables"] = tuple(_table_from(t) for t in _list("tables", fields["tables"]))
        if "cubes" in fields:
            fields["cubes"] = tuple(_cube_from(c) for c in _list("cubes", fields["cubes"]))
        if "limits" in fields:
            fields["limits"] = _limits_from(fields["limits"])
        if "faults" in fields:
            fields["faults"] = tuple(_fault_from(f) for f in _list("faults", fields["faults"]))
        if "file_roots" in fields:
            fields["file_roots"] = tuple(_list("file_roots", fields["file_roots"]))
        if "pivot_ids" in fields:
            fields["pivot_ids"] = tuple(_list("pivot_ids", fields["pivot_ids"]))
        return cls(**fields)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> ServerConfig:
        try:
            with open(path, "rb") as file:
                data = tomllib.load(file)
        except OSError as error:
            raise _fail("config", f"cannot read {os.fspath(path)!r}: {error.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise _fail("config", f"{os.fspath(path)!r} is not valid TOML: {error}") from None
        except RecursionError:  # tomllib recurses into nested arrays and tables
            raise _fail("config", f"{os.fspath(path)!r} {_TOO_DEEP}") from None
        return cls.from_mapping(_shallow(path, data))

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> ServerConfig:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise _fail("config", f"cannot read {os.fspath(path)!r}: {error.strerror}") from None
        except (ValueError, UnicodeDecodeError) as error:
            raise _fail("config", f"{os.fspath(path)!r} is not valid JSON: {error}") from None
        except RecursionError:
            raise _fail("config", f"{os.fspath(path)!r} {_TOO_DEEP}") from None
        return cls.from_mapping(_shallow(path, data))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> ServerConfig:
        """TOML or JSON, chosen by the file's suffix."""
        if os.fspath(path).endswith(".json"):
            return cls.from_json(path)
        return cls.from_toml(path)

    def to_mapping(self) -> dict[str, Any]:
        """Plain data that :meth:`from_mapping` turns back into an equal config."""
        data = dataclasses.asdict(self)
        if self.security is not None:
            data["security"]["users"] = [
                {"name": u.name, "password": u.password, "roles": sorted(u.roles)}
                for u in self.security.users
            ]
        for table in data["tables"]:
            table["keys"] = list(table["keys"])
            table["rows"] = [list(r) for r in table["rows"]]
        data["file_roots"] = list(self.file_roots)
        data["pivot_ids"] = list(self.pivot_ids)
        return data


_TOO_DEEP = "nests arrays and tables too deeply to be read (no config needs more than a few)"
#: The deepest a config file may nest (rows of array values are 5 levels down).
_MAX_FILE_DEPTH = 32


def _shallow(path: str | os.PathLike[str], data: Any) -> Any:
    """``data`` as parsed, refused when it nests beyond :data:`_MAX_FILE_DEPTH`.

    Whether a parser gives up on deep input depends on the Python version (3.13's json
    reads 3,000 levels that 3.11's refuses), so the depth is measured here, without
    recursion, and every version answers the same.
    """
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > _MAX_FILE_DEPTH:
            raise _fail("config", f"{os.fspath(path)!r} {_TOO_DEEP}")
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return data


def _list(field_name: str, value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise _fail(field_name, "must be a list")
    return list(value)


def _fields_of(kind: type[Any], field_name: str, data: Any) -> dict[str, Any]:
    if isinstance(data, kind):
        return dataclasses.asdict(data)
    if not isinstance(data, Mapping):
        raise _fail(field_name, "must be a table/object")
    known = {f.name for f in dataclasses.fields(kind)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise _fail(
            f"{field_name}.{unknown[0]}", f"unknown field (known: {', '.join(sorted(known))})"
        )
    return dict(data)


def _security_from(data: Any) -> SecurityConfig | None:
    if data is None or isinstance(data, SecurityConfig):
        return data
    fields = _fields_of(SecurityConfig, "security", data)
    users = []
    for index, user in enumerate(_list("security.users", fields.get("users", []))):
        if isinstance(user, User):
            users.append(user)
            continue
        user_fields = _fields_of(User, f"security.users[{index}]", user)
        if "roles" in user_fields:  # a list: User checks each role before hashing any
            user_fields["roles"] = _list(f"security.users[{index}].roles", user_fields["roles"])
        try:
            users.append(User(**user_fields))
        except TypeError:
            raise _fail(f"security.users[{index}]", "needs 'name' and 'password'") from None
    fields["users"] = tuple(users)
    if fields.get("oidc") is not None and not isinstance(fields["oidc"], OidcConfig):
        fields["oidc"] = OidcConfig(**_fields_of(OidcConfig, "security.oidc", fields["oidc"]))
    return SecurityConfig(**fields)


def _tls_from(data: Any) -> TlsConfig | None:
    if data is None or isinstance(data, TlsConfig):
        return data
    if data is True:
        return TlsConfig()
    return TlsConfig(**_fields_of(TlsConfig, "tls", data))


def _table_from(data: Any) -> TableSpec:
    if isinstance(data, TableSpec):
        return data
    fields = _fields_of(TableSpec, "tables[]", data)
    if "keys" in fields:
        fields["keys"] = tuple(_list("table.keys", fields["keys"]))
    if "rows" in fields:  # objects stay objects: TableSpec maps them by column name
        fields["rows"] = tuple(
            r if isinstance(r, Mapping) else tuple(_list("table.rows[]", r))
            for r in _list("table.rows", fields["rows"])
        )
    try:
        return TableSpec(**fields)
    except TypeError:
        raise _fail("tables[]", "needs 'name' and 'columns'") from None


def _limits_from(data: Any) -> Limits:
    if isinstance(data, Limits):
        return data
    return Limits(**_fields_of(Limits, "limits", data))


def _fault_from(data: Any) -> Fault:
    if isinstance(data, Fault):
        return data
    try:
        return Fault(**_fields_of(Fault, "faults[]", data))
    except TypeError:
        raise _fail("faults[]", "needs 'kind' ('latency', 'error' or 'drop')") from None


def _cube_from(data: Any) -> CubeSpec:
    if isinstance(data, CubeSpec):
        return data
    try:
        return CubeSpec(**_fields_of(CubeSpec, "cubes[]", data))
    except TypeError:
        raise _fail("cubes[]", "needs 'name' and 'table'") from None
