"""The parts of a target's config: users, the issuer, security, TLS, tables, cubes, faults.

Each is a frozen dataclass checked when it is built (:mod:`.checks`), so a mistake surfaces
at the line that made it, as a ``ValueError`` naming the field, rather than as a confusing
answer on the wire.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..model import ATOTI_TYPES, SCALAR_TYPES, Table, short
from ..protocol import STATUS_PREFIX
from .checks import checked_name, fail, instances, is_number, repeated, sequence

__all__ = [
    "DEFAULT_OIDC_CLIENTS",
    "TOKEN68",
    "ClientCertificateMode",
    "CubeSpec",
    "Fault",
    "FaultKind",
    "OidcAlgorithm",
    "OidcConfig",
    "SecurityConfig",
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

ClientCertificateMode = Literal["none", "optional", "required"]
OidcAlgorithm = Literal["ES256", "RS256"]


def _row(field_name: str, row: object, columns: Mapping[str, str]) -> tuple[Any, ...]:
    """One row of a table: values in column order, or an object mapped by column name.

    An object's missing columns are null (their default applies) and an unknown one is
    an error: the same rule as rows over the wire (``Table.prepare``).
    """
    if isinstance(row, Mapping):
        unknown = [k for k in row if k not in columns]
        if unknown:
            raise fail(field_name, f"no column {short(unknown[0])}")
        return tuple(row.get(column) for column in columns)
    values = tuple(sequence(field_name, row, "a list of values or an object of column: value"))
    if len(values) != len(columns):
        raise fail(field_name, f"has {len(values)} values for {len(columns)} columns")
    return values


@dataclass(frozen=True)
class User:
    """A user of a secured target; ``roles`` are Spring-style ``ROLE_*`` names."""

    name: str
    password: str = field(repr=False)  # reprs end up in test reports and CI logs
    roles: frozenset[str] = frozenset({"ROLE_USER"})

    def __post_init__(self) -> None:
        checked_name("user.name", self.name, "user")
        if not isinstance(self.password, str):
            raise fail(f"user {self.name!r}.password", "must be a string")
        roles = sequence(
            f"user {self.name!r}.roles", self.roles, "a collection of role names", unordered=True
        )
        for role in roles:
            if not isinstance(role, str) or not _ROLE.fullmatch(role):
                raise fail(
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
            raise fail(
                "oidc.path", f"{short(path)} is not a path such as '/oidc' (no trailing '/')"
            )
        if any(path == p or path.startswith(p + "/") for p in _RESERVED_PREFIXES):
            raise fail("oidc.path", f"{path!r} would hide the target's own routes")
        if not isinstance(self.audience, str) or not self.audience.strip():
            raise fail("oidc.audience", "must be a non-empty string")
        if not isinstance(self.roles_claim, str) or not _CLAIM.fullmatch(self.roles_claim):
            raise fail("oidc.roles_claim", f"{short(self.roles_claim)} is not a claim name")
        if not isinstance(self.clients, Mapping) or not self.clients:
            raise fail("oidc.clients", "must map at least one client id to its secret")
        for client_id, secret in self.clients.items():
            # Never echo a secret: config errors end up in logs and CI output.
            if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
                raise fail("oidc.clients", f"{short(client_id)} is not a client id (visible ASCII)")
            if not isinstance(secret, str) or not secret:
                raise fail("oidc.clients", f"the secret of {client_id!r} must be non-empty")
        for name, low, high in (("token_lifetime", 1, 86_400), ("clock_skew", 0, 3_600)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise fail(f"oidc.{name}", f"must be whole seconds between {low} and {high}")
        if self.algorithm not in ("ES256", "RS256"):
            raise fail("oidc.algorithm", f"{short(self.algorithm)} is not 'ES256' or 'RS256'")
        object.__setattr__(self, "clients", dict(self.clients))


@dataclass(frozen=True)
class SecurityConfig:
    """A secured target: who may log in, with which tokens, and its OAuth 2 issuer."""

    users: tuple[User, ...] = ()
    tokens: Mapping[str, str] = field(default_factory=dict, repr=False)
    token_type: str = "Bearer"
    oidc: OidcConfig | None = None

    def __post_init__(self) -> None:
        users = instances("security.users", self.users, User)
        names = [u.name for u in users]
        duplicates = repeated(names)
        if duplicates:
            raise fail("security.users", f"duplicate user names {duplicates}")
        if not isinstance(self.tokens, Mapping):
            raise fail("security.tokens", "must map token -> user name")
        for token, owner in self.tokens.items():
            # Never echo a token: config errors end up in logs and CI output.
            if not isinstance(token, str) or not TOKEN68.fullmatch(token):
                raise fail(
                    "security.tokens",
                    "a token must be non-empty and use only letters, digits and -._~+/ "
                    "(then '=' padding), as an Authorization header carries it",
                )
            if owner not in names:
                raise fail("security.tokens", f"a token points at unknown user {short(owner)}")
        token_type = self.token_type
        if (
            not isinstance(token_type, str)
            or not _TOKEN_TYPE.fullmatch(token_type)
            or token_type.lower() == "basic"
        ):
            raise fail("security.token_type", f"{short(token_type)} is not a token scheme")
        if self.oidc is not None and not isinstance(self.oidc, OidcConfig):
            raise fail("security.oidc", "must be an OidcConfig or None")
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
            raise fail(
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
        checked_name("table.name", self.name, "table")
        where = f"table {self.name!r}"
        if not isinstance(self.columns, Mapping) or not self.columns:
            raise fail(f"{where}.columns", "must map at least one column name to a type")
        for column, type_name in self.columns.items():
            checked_name(f"{where}.columns", column, "column")
            if not isinstance(type_name, str) or type_name not in ATOTI_TYPES:
                raise fail(
                    f"{where}.columns.{column}",
                    f"{short(type_name)} is not an Atoti type ({', '.join(SCALAR_TYPES)}, or X[])",
                )
        keys = tuple(sequence(f"{where}.keys", self.keys, "a list of column names"))
        for key in keys:
            if not isinstance(key, str) or key not in self.columns:
                raise fail(f"{where}.keys", f"{short(key)} is not a column")
        if isinstance(self.generate, bool) or not isinstance(self.generate, int):
            raise fail(f"{where}.generate", "must be a whole number of rows")
        if not 0 <= self.generate <= 100_000:
            raise fail(f"{where}.generate", "must be between 0 and 100000")
        rows = tuple(
            _row(f"{where}.rows[{i}]", row, self.columns)
            for i, row in enumerate(sequence(f"{where}.rows", self.rows, "a list of rows"))
        )
        if not isinstance(self.default_values, Mapping):
            raise fail(f"{where}.default_values", "must map column names to values")
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
        checked_name("cube.name", self.name, "cube")
        checked_name(f"cube {self.name!r}.table", self.table, "table")


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
            raise fail("fault.kind", f"{short(self.kind)} is not 'latency', 'error' or 'drop'")
        if not isinstance(self.path, str) or not self.path:
            raise fail(f"{where}.path", "must be a non-empty glob such as '*/ping'")
        if self.method is not None and (
            not isinstance(self.method, str) or not self.method.isalpha()
        ):
            raise fail(f"{where}.method", f"{short(self.method)} is not an HTTP method")
        if not is_number(self.delay) or not 0 <= self.delay <= 600:
            raise fail(f"{where}.delay", "must be between 0 and 600 seconds")
        if self.delay_max is not None and (
            not is_number(self.delay_max) or not self.delay <= self.delay_max <= 600
        ):
            raise fail(f"{where}.delay_max", "must be between delay and 600 seconds")
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise fail(f"{where}.status", "must be an HTTP status code")
        if not 400 <= self.status <= 599:
            raise fail(f"{where}.status", f"{self.status} is not an error status (400-599)")
        if self.times is not None and (
            isinstance(self.times, bool) or not isinstance(self.times, int) or self.times < 1
        ):
            raise fail(f"{where}.times", "must be a positive count, or None for always")
        if not is_number(self.probability) or not 0 < self.probability <= 1:
            raise fail(f"{where}.probability", "must be in (0, 1]")
        if not isinstance(self.message, str):
            raise fail(f"{where}.message", "must be a string")
        if self.method is not None:
            object.__setattr__(self, "method", self.method.upper())
