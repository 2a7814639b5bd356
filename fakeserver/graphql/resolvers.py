"""What the GraphQL fields answer: views of the fake's own data model, and its two writes.

graphql-core's default resolver reads a field from the parent object and calls it when it
is a method (``method(info, **arguments)``), so each GraphQL type is a small class here.
Everything is read from the tables of :class:`~fakeserver.state.ServerState`, the ones REST
queries read, so the two APIs cannot disagree: a query reads a :class:`Snapshot` taken under
the data lock and resolves outside it; a mutation runs under the lock and reads the state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from graphql import GraphQLError

from ..errors import FakeHTTPError
from ..generations import Dialect
from ..model import Column, Cube, Table, check_name, to_json
from ..state import ServerState
from .schema import DATA_TYPES

__all__ = ["DataView", "Root", "Snapshot", "WriteCheck"]

#: Raises when the caller may not change the data model (SPEC §4.3's live-extension rule).
WriteCheck = Callable[[], None]

_ATOTI_TYPES = {wire: atoti for atoti, wire in DATA_TYPES.items()}


class DataView(Protocol):
    """What reads resolve against: the state itself (a mutation, under the data lock) or a
    :class:`Snapshot` of it (a query, without the lock). Only names and columns are read,
    and those never change once a table exists."""

    @property
    def tables(self) -> Mapping[str, Table]: ...

    @property
    def cubes(self) -> Mapping[str, Cube]: ...


@dataclass(frozen=True)
class Snapshot:
    """The tables and cubes as they were when a query began (O(1) per table, under the lock)."""

    tables: Mapping[str, Table]
    cubes: Mapping[str, Cube]

    @classmethod
    def of(cls, state: ServerState) -> Snapshot:
        with state.lock:
            return cls(dict(state.tables), dict(state.cubes))


def _refusal(error: FakeHTTPError) -> GraphQLError:
    # The status a REST route would have answered travels in the error's extensions.
    return GraphQLError(error.message, extensions={"status": error.status})


def _column(column: Column, table: _Table, dialect: Dialect) -> dict[str, Any]:
    default = to_json(column.default)
    if dialect.typed_defaults and default is not None:
        default = {"data_type": column.type, "value": default}
    return {
        "name": column.name,
        "table": table,
        "dataType": DATA_TYPES[column.type],
        "defaultValue": default,
    }


class _Table:
    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.name = table.name
        self.columns = [_column(c, self, dialect) for c in table.columns]
        self.primaryIndex = [_column(table.column(k), self, dialect) for k in table.keys]
        self.joins: list[Any] = []  # the fake's tables are never joined
        self._by_name = {c["name"]: c for c in self.columns}

    def column(self, info: object, name: str) -> dict[str, Any] | None:
        return self._by_name.get(name)


class _Tables:
    """``tables`` and ``table(name)``: on ``dataModel`` itself or on its ``database``."""

    def __init__(self, view: DataView, dialect: Dialect) -> None:
        self._view = view
        self._dialect = dialect

    def tables(self, info: object) -> list[_Table]:
        return [_Table(t, self._dialect) for t in self._view.tables.values()]

    def table(self, info: object, name: str) -> _Table | None:
        found = self._view.tables.get(name)
        return _Table(found, self._dialect) if found is not None else None


class _Cube:
    def __init__(self, name: str, view: DataView) -> None:
        cube = view.cubes[name]
        self.name = name
        table = view.tables.get(cube.table)
        described = cube.discovery(table)["measures"] if table is not None else []
        self._measures = [{"name": m["name"]} for m in described]

    def measures(self, info: object) -> list[dict[str, Any]]:
        return self._measures

    def measure(self, info: object, name: str) -> dict[str, Any] | None:
        return next((m for m in self._measures if m["name"] == name), None)


class _DataModel(_Tables):
    def __init__(self, view: DataView, dialect: Dialect) -> None:
        super().__init__(view, dialect)
        self.database = _Tables(view, dialect) if dialect.database else None

    def cubes(self, info: object) -> list[_Cube]:
        return [_Cube(name, self._view) for name in self._view.cubes]

    def cube(self, info: object, name: str) -> _Cube | None:
        return _Cube(name, self._view) if name in self._view.cubes else None


def _data_types(columns: list[dict[str, Any]]) -> dict[str, str]:
    types: dict[str, str] = {}
    for column in columns:
        name = column["columnName"]
        if name in types:
            raise FakeHTTPError(400, f"column {name!r} is given twice")
        types[name] = _ATOTI_TYPES[column["dataType"]]
    return types


@dataclass
class Root:
    """The root value of every operation: ``dataModel`` (read from ``view``) and the
    data-model writes (applied to ``state``)."""

    state: ServerState
    dialect: Dialect
    check_write: WriteCheck
    view: DataView

    def dataModel(self, info: object, **transaction: Any) -> _DataModel:
        # The transaction argument names a pending data-model transaction; the fake has
        # none, so every read sees the committed model (what a null id means).
        return _DataModel(self.view, self.dialect)

    # -- writes ------------------------------------------------------------------------

    def createTable(self, info: object, input: dict[str, Any]) -> dict[str, Any]:
        if "tableIdentifier" in input:  # dialects up to 6.1.6
            name = input["tableIdentifier"]["tableName"]
            columns = input["dataTypes"]
            defaults = {d["columnName"]: d.get("value") for d in input.get("defaultValues") or ()}
        else:
            name, columns, defaults = input["tableName"], input["columns"], {}
        return self._write(lambda: self._create(name, columns, input.get("primaryIndex"), defaults))

    def createInMemoryTable(self, info: object, input: dict[str, Any]) -> dict[str, Any]:
        name, columns = input["tableName"], input["columns"]
        return self._write(lambda: self._create(name, columns, input.get("primaryIndex"), {}))

    def deleteTable(self, info: object, input: dict[str, Any]) -> dict[str, Any]:
        identifier = input.get("tableIdentifier")  # dialects up to 6.1.6
        name = identifier["tableName"] if identifier is not None else input["tableName"]
        return self._write(lambda: self._drop(name))

    def createCube(self, info: object, input: dict[str, Any]) -> dict[str, Any]:
        name, table = input["cubeName"], input["factTableName"]
        return self._write(lambda: self._cube(name, table))

    def _write(self, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``action`` if the caller may write (checked first, so a refusal reveals nothing)."""
        try:
            self.check_write()
            return action()
        except FakeHTTPError as error:
            raise _refusal(error) from None

    def _create(
        self,
        name: str,
        columns: list[dict[str, Any]],
        keys: list[str] | None,
        defaults: dict[str, Any],
    ) -> dict[str, Any]:
        table = Table(name, _data_types(columns), keys or [], defaults)
        return {"table": _Table(self.state.add_table(table), self.dialect)}

    def _cube(self, name: str, table: str) -> dict[str, Any]:
        cube = self.state.add_cube(check_name("cubeName", name, kind="cube"), table)
        return {"cube": _Cube(cube.name, self.state)}

    def _drop(self, name: str) -> dict[str, Any]:
        self.state.drop_table(name)
        left = [_Table(t, self.dialect) for t in self.state.tables.values()]
        return {"tables": left, "status": "DELETED"}
