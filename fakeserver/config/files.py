"""A config as plain data, TOML or JSON: reading it into the parts, and writing it back.

Files are parsed here, measured for depth the same way on every Python version, and their
plain data is turned into the parts of :mod:`.parts` field by field, each mistake a
``ValueError`` naming the field. :class:`~.target.ServerConfig`'s ``from_*`` classmethods
and ``to_mapping`` are the front door.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..limits import Limits
from .checks import fail
from .parts import CubeSpec, Fault, OidcConfig, SecurityConfig, TableSpec, TlsConfig, User

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from .target import ServerConfig

__all__ = ["fields_from", "plain", "read_json", "read_toml"]


def fields_from(kind: type[ServerConfig], data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a ``kind`` from plain data (the shape of the TOML and JSON files)."""
    if not isinstance(data, Mapping):
        raise fail("config", "must be a table/object of fields")
    known = {f.name for f in dataclasses.fields(kind)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise fail(unknown[0], f"unknown field (known: {', '.join(sorted(known))})")
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
    return fields


def read_toml(path: str | os.PathLike[str]) -> Any:
    """The plain data of a TOML file; what cannot be read is one ``config:`` error."""
    text = _read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise fail("config", f"{os.fspath(path)!r} is not valid TOML: {error}") from None
    except RecursionError:  # tomllib recurses into nested arrays and tables
        raise fail("config", f"{os.fspath(path)!r} {_TOO_DEEP}") from None
    return _shallow(path, data)


def read_json(path: str | os.PathLike[str]) -> Any:
    """The plain data of a JSON file; what cannot be read is one ``config:`` error."""
    text = _read_text(path)
    try:
        data = json.loads(text)
    except ValueError as error:
        raise fail("config", f"{os.fspath(path)!r} is not valid JSON: {error}") from None
    except RecursionError:
        raise fail("config", f"{os.fspath(path)!r} {_TOO_DEEP}") from None
    return _shallow(path, data)


#: The most a config file or pipe may hold: a config is written by hand or by a script, and
#: a stream with no end (a pipe from ``yes``) must not fill memory.
MAX_CONFIG_BYTES = 64 * 1024 * 1024
#: Opened without blocking, so a FIFO nobody writes to cannot hang the open; what was opened
#: (not what the path named a moment before) is then checked with fstat.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def _read_text(path: str | os.PathLike[str]) -> str:
    """The UTF-8 text of the regular file or pipe at ``path``, or one ``config:`` error.

    A pipe (``--config <(envsubst < t.toml)``, ``/dev/stdin``) is read to its end; a
    directory or a device is refused, never read.
    """
    name = repr(os.fspath(path))
    try:
        fd = os.open(path, _OPEN_FLAGS)
        try:
            mode = os.fstat(fd).st_mode
            pipe = stat.S_ISFIFO(mode)
            if not (pipe or stat.S_ISREG(mode)):
                raise fail("config", f"{name} is not a regular file or a pipe")
            if pipe:
                os.set_blocking(fd, True)  # its writer may still be writing
            with open(fd, "rb", closefd=False) as file:
                data = file.read(MAX_CONFIG_BYTES + 1)
        finally:
            os.close(fd)
    except OSError as error:
        raise fail("config", f"cannot read {name}: {error.strerror}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise fail("config", f"{name} holds more than {MAX_CONFIG_BYTES} bytes")
    if pipe and not data:
        raise fail("config", f"nothing came through the pipe {name} (is anything writing to it?)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise fail("config", f"{name} is not UTF-8 text: {error}") from None


def plain(config: ServerConfig) -> dict[str, Any]:
    """Plain data that :func:`fields_from` turns back into an equal config."""
    data = dataclasses.asdict(config)
    if config.security is not None:
        data["security"]["users"] = [
            {"name": u.name, "password": u.password, "roles": sorted(u.roles)}
            for u in config.security.users
        ]
    for table in data["tables"]:
        table["keys"] = list(table["keys"])
        table["rows"] = [list(r) for r in table["rows"]]
    data["file_roots"] = list(config.file_roots)
    data["pivot_ids"] = list(config.pivot_ids)
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
            raise fail("config", f"{os.fspath(path)!r} {_TOO_DEEP}")
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return data


def _list(field_name: str, value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise fail(field_name, "must be a list")
    return list(value)


def _fields_of(kind: type[Any], field_name: str, data: Any) -> dict[str, Any]:
    if isinstance(data, kind):
        return dataclasses.asdict(data)
    if not isinstance(data, Mapping):
        raise fail(field_name, "must be a table/object")
    known = {f.name for f in dataclasses.fields(kind)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise fail(
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
            raise fail(f"security.users[{index}]", "needs 'name' and 'password'") from None
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
        raise fail("tables[]", "needs 'name' and 'columns'") from None


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
        raise fail("faults[]", "needs 'kind' ('latency', 'error' or 'drop')") from None


def _cube_from(data: Any) -> CubeSpec:
    if isinstance(data, CubeSpec):
        return data
    try:
        return CubeSpec(**_fields_of(CubeSpec, "cubes[]", data))
    except TypeError:
        raise fail("cubes[]", "needs 'name' and 'table'") from None
