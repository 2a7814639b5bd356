"""Typed tables: columns with Atoti types and defaults, key columns, rows stored by key.

Tables are not locked here: :class:`~fakeserver.state.ServerState` holds the data lock.
Copies share their rows until one of them is written (copy on write), so a reader takes
:meth:`Table.copy` under the lock in O(1) and queries it without the lock while writers
go on with the original.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..limits import Limits
from .conditions import compile_condition
from .generation import generate_rows
from .names import check_name
from .values import (
    ATOTI_TYPES,
    DEFAULT_VALUES,
    SCALAR_TYPES,
    DataError,
    Mismatch,
    coerce,
    element_type,
    short,
    to_json,
)

__all__ = ["Column", "Convert", "Table", "TableDefinition"]

_DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    default: Any

    def schema(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "defaultValue": to_json(self.default),
            "nullable": self.default is None,
        }


Convert = Callable[[str, Any], Any]


class TableDefinition(Protocol):
    """What :meth:`Table.from_spec` reads: the shape of :class:`fakeserver.config.TableSpec`.

    A protocol, so the model never imports the config (the config imports the model).
    """

    @property
    def name(self) -> str: ...
    @property
    def columns(self) -> Mapping[str, str]: ...
    @property
    def keys(self) -> Sequence[str]: ...
    @property
    def rows(self) -> Sequence[Sequence[Any] | Mapping[str, Any]]: ...
    @property
    def generate(self) -> int: ...
    @property
    def default_values(self) -> Mapping[str, Any]: ...


class Table:
    """A typed table; rows with an existing key replace it, in place."""

    def __init__(
        self,
        name: str,
        data_types: Mapping[str, str],
        keys: Sequence[str] = (),
        default_values: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = check_name("name", name, kind="table")
        where = f"table {name!r}"
        if not isinstance(data_types, Mapping) or not data_types:
            raise DataError(f"{where}: columns must map at least one column name to a type")
        if isinstance(keys, str) or not isinstance(keys, Sequence):
            raise DataError(f"{where}: keys must be a list of column names")
        defaults = dict(default_values or {})
        columns = []
        for column, type_name in data_types.items():
            check_name(f"{where}.columns", column, kind="column")
            if not isinstance(type_name, str) or type_name not in ATOTI_TYPES:
                raise DataError(
                    f"{where}, column {column!r}: {short(type_name)} is not an Atoti type "
                    f"({', '.join(SCALAR_TYPES)}, X[])"
                )
            default = DEFAULT_VALUES.get(type_name)
            if column in defaults:
                try:
                    default = coerce(type_name, defaults.pop(column))
                except Mismatch as error:
                    raise DataError(f"{where}, column {column!r}: default value {error}") from None
            columns.append(Column(column, type_name, default))
        if defaults:
            raise DataError(f"{where}: default value for unknown column {next(iter(defaults))!r}")
        self.columns: tuple[Column, ...] = tuple(columns)
        self._index = {c.name: i for i, c in enumerate(self.columns)}
        seen: set[str] = set()
        for key in keys:
            if not isinstance(key, str) or key not in self._index:
                raise DataError(f"{where}: key {short(key)} is not a column")
            if key in seen:
                raise DataError(f"{where}: key {key!r} is given twice")
            if element_type(self.column(key).type) is not None:
                raise DataError(f"{where}: array column {key!r} cannot be a key")
            seen.add(key)
        self.keys: tuple[str, ...] = tuple(keys)
        self._key_positions = tuple(self._index[k] for k in self.keys)
        self._rows: dict[Any, tuple[Any, ...]] = {}
        self._shared = False  # _rows is also another copy's: copy it before a write
        self._next_id = 0  # row ids of a table without keys

    @classmethod
    def from_spec(cls, spec: TableDefinition, seed: int) -> Table:
        table = cls(spec.name, spec.columns, spec.keys, spec.default_values)
        table.upsert(table.prepare(list(spec.rows)))
        if spec.generate:
            table.upsert(generate_rows(table, spec.generate, seed))
        return table

    def copy(self) -> Table:
        """Same columns, rows of its own: a reset's table, or a reader's snapshot.

        O(1): both share the rows until either is written, and the first write copies
        them (:meth:`upsert`). So a snapshot taken under the state lock costs the lock
        nothing, and what reads it afterwards, without the lock, never sees a write.
        """
        other = object.__new__(Table)
        other.__dict__.update(self.__dict__)
        self._shared = other._shared = True
        return other

    # -- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return f"<Table {self.name} {len(self)} rows>"

    def column(self, name: str) -> Column:
        return self.columns[self._index[name]]

    def has_column(self, name: object) -> bool:
        return isinstance(name, str) and name in self._index

    def position(self, name: str) -> int:
        return self._index[name]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def rows(self) -> list[tuple[Any, ...]]:
        return list(self._rows.values())

    def same_schema(self, other: Table) -> bool:
        """Whether rows :meth:`prepare`-d for ``other`` fit this table as they are.

        Columns and keys never change after construction, so this (like :meth:`prepare`)
        needs no lock: rows can be converted outside it and checked again under it.
        """
        return other is self or (
            self.name == other.name and self.columns == other.columns and self.keys == other.keys
        )

    def schema(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": [c.schema() for c in self.columns],
            "keys": list(self.keys),
        }

    def query(
        self,
        conditions: object,
        fields: object,
        page_size: int | None,
        limits: Limits = _DEFAULT_LIMITS,
    ) -> dict[str, Any]:
        """The answer of ``database/data/tables/{name}``: headers and matching rows.

        Run it on a :meth:`copy` taken under the state lock, never on the live table.
        """
        predicate = compile_condition(self, conditions, limits)
        if fields is None or fields == []:
            names = list(self.column_names)
        elif isinstance(fields, list) and all(isinstance(f, str) for f in fields):
            names = fields
            seen: set[str] = set()
            for name in names:
                if name not in self._index:
                    raise DataError(f"fields: table {self.name!r} has no column {name!r}")
                # Once each: the answer's size is rows x fields, so a repeated name
                # (["id"] a million times) would make it as large as the body allows.
                if name in seen:
                    raise DataError(f"fields: {name!r} is given twice")
                seen.add(name)
        else:
            raise DataError("fields must be a list of column names")
        positions = [self._index[n] for n in names]
        matching: Iterable[tuple[Any, ...]] = filter(predicate, self._rows.values())
        if page_size is not None:
            matching = itertools.islice(matching, page_size)
        return {
            "headers": [{"name": n, "type": self.column(n).type} for n in names],
            "rows": [[to_json(row[p]) for p in positions] for row in matching],
        }

    # -- writing -------------------------------------------------------------------------

    def prepare(
        self,
        rows: object,
        *,
        convert: Convert = coerce,
        labels: Sequence[str] | None = None,
    ) -> list[tuple[Any, ...]]:
        """Every row checked and converted, or a DataError naming table, row and column.

        Nothing is stored: callers apply the result with :meth:`upsert`, so a request
        with one bad value stores nothing at all.
        """
        if not isinstance(rows, list):
            raise DataError(f"table {self.name!r}: rows must be a list")
        return self.prepare_each(
            rows, convert=convert, label=labels.__getitem__ if labels else None
        )

    def prepare_each(
        self,
        rows: Iterable[object],
        *,
        convert: Convert = coerce,
        label: Callable[[int], str] | None = None,
    ) -> list[tuple[Any, ...]]:
        """:meth:`prepare` over rows produced one at a time (a CSV's, as they are parsed).

        A row's cells are converted as soon as it arrives, so the cells of a whole file are
        never held as text beside its values; ``label(index)`` names a row in an error.
        """
        prepared = []
        width = len(self.columns)
        for index, row in enumerate(rows):

            def where(index: int = index) -> str:  # built only for an error message
                return f"table {self.name!r}, {label(index) if label else f'row {index}'}"

            if isinstance(row, Mapping):
                unknown = [k for k in row if k not in self._index]
                if unknown:
                    raise DataError(f"{where()}: no column {short(unknown[0])}")
                values = [row.get(c.name) for c in self.columns]
            elif isinstance(row, (list, tuple)):
                if len(row) != width:
                    raise DataError(
                        f"{where()}: {len(row)} values for {width} columns "
                        f"({', '.join(self.column_names)})"
                    )
                values = list(row)
            else:
                raise DataError(
                    f"{where()}: a row is a list of values or an object of column: value"
                )
            converted = []
            for column, value in zip(self.columns, values, strict=True):
                try:
                    stored = convert(column.type, value)
                except Mismatch as error:
                    raise DataError(f"{where()}, column {column.name!r}: {error}") from None
                if stored is None:
                    stored = column.default
                    if stored is None and column.name in self.keys:
                        raise DataError(f"{where()}, column {column.name!r}: a key needs a value")
                converted.append(stored)
            prepared.append(tuple(converted))
        return prepared

    def key_of(self, row: tuple[Any, ...]) -> Any:
        if not self._key_positions:
            return None
        return tuple(row[p] for p in self._key_positions)

    def upsert(self, prepared: Sequence[tuple[Any, ...]]) -> None:
        """Store rows from :meth:`prepare`; a row whose key exists replaces it."""
        if self._shared:  # copy on write: the other copies keep the rows they saw
            self._rows = dict(self._rows)
            self._shared = False
        for row in prepared:
            key = self.key_of(row)
            if key is None:
                key = self._next_id
                self._next_id += 1
            self._rows[key] = row
