"""Tables, queries and cubes of a connected session (SPEC §3.2, wire formats of §4.4-§4.5).

Every method names the capability it needs and goes through the session as a
:class:`~._requester.Requester` (``require``, ``call``), which refuses before anything is
sent when the session's tier does not allow it. Results are plain Python: no pandas.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator, KeysView, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ._errors import ServerError
from ._requester import Requester
from ._tiers import Capability

__all__ = [
    "CLOUD_SCHEMES",
    "Column",
    "Condition",
    "Cube",
    "Cubes",
    "QueryResult",
    "Table",
    "TableSchema",
    "Tables",
    "load_source",
    "read_csv",
    "to_wire",
]

CLOUD_SCHEMES = ("s3", "gs", "az")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def to_wire(value: Any) -> Any:
    """A Python value as JSON carries it: dates as ISO strings, tuples as lists."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in value.items()}
    return value


def _from_wire(type_name: str, value: Any) -> Any:
    if value is None:
        return None
    if type_name.endswith("[]"):
        return [_from_wire(type_name[:-2], v) for v in value]
    if type_name == "LocalDate":
        return dt.date.fromisoformat(value)
    if type_name == "LocalDateTime":
        return dt.datetime.fromisoformat(value)
    return value


def load_source(source: str | os.PathLike[str]) -> tuple[Capability, str]:
    """What loading from ``source`` needs, and the source as the server should see it.

    A cloud URL needs ``load.cloud``; anything else is a path on the shared file system
    (``load.file``), sent absolute since the server resolves nothing relative.
    """
    if isinstance(source, str):
        scheme = _SCHEME.match(source)
        if scheme is not None:
            if scheme.group(1).lower() in CLOUD_SCHEMES:
                return Capability.LOAD_CLOUD, source
            raise ValueError(
                f"cannot load from {scheme.group(1)}:// URLs: give a local path or an "
                "s3://, gs:// or az:// URL"
            )
    return Capability.LOAD_FILE, os.path.abspath(os.fspath(source))


# -- filters --------------------------------------------------------------------------------


class Condition:
    """A filter built from columns (``t["a"] == 1``), combined with ``&``, ``|`` and ``~``."""

    def to_json(self) -> dict[str, Any]:
        """The Mongo-like ``conditions`` object of the query route."""
        raise NotImplementedError

    def __and__(self, other: Condition) -> Condition:
        return _Combined("$and", (*_parts(self, "$and"), *_parts(_condition(other), "$and")))

    def __or__(self, other: Condition) -> Condition:
        return _Combined("$or", (*_parts(self, "$or"), *_parts(_condition(other), "$or")))

    def __invert__(self) -> Condition:
        return self._inner if isinstance(self, _Not) else _Not(self)

    def __bool__(self) -> bool:
        # `a and b`, `not a` or `1 < t["x"] < 3` would silently drop a condition.
        raise TypeError("combine conditions with &, | and ~ (not and, or, not, or chained <)")

    def __repr__(self) -> str:
        return f"<Condition {self.to_json()}>"


def _condition(value: object) -> Condition:
    if not isinstance(value, Condition):
        raise TypeError(f"{value!r} is not a condition")
    return value


def _parts(condition: Condition, operator: str) -> tuple[Condition, ...]:
    if isinstance(condition, _Combined) and condition.operator == operator:
        return condition.conditions
    return (condition,)


@dataclass(frozen=True, repr=False, eq=False)
class _Comparison(Condition):
    column: str
    operator: str  # $eq $lt $lte $gt $gte $in
    value: Any

    def to_json(self) -> dict[str, Any]:
        return {self.column: {self.operator: to_wire(self.value)}}


@dataclass(frozen=True, repr=False, eq=False)
class _Combined(Condition):
    operator: str  # $and $or
    conditions: tuple[Condition, ...]

    def to_json(self) -> dict[str, Any]:
        return {self.operator: [c.to_json() for c in self.conditions]}


@dataclass(frozen=True, repr=False, eq=False)
class _Not(Condition):
    _inner: Condition

    def to_json(self) -> dict[str, Any]:
        return {"$not": self._inner.to_json()}


@dataclass(frozen=True, eq=False)
class Column:
    """A column of a table, to build filters with; comparing it makes a :class:`Condition`."""

    table: str
    name: str
    data_type: str

    def __eq__(self, value: object) -> Condition:  # type: ignore[override]
        return _Comparison(self.name, "$eq", value)

    def __ne__(self, value: object) -> Condition:  # type: ignore[override]
        return _Not(_Comparison(self.name, "$eq", value))

    def __lt__(self, value: object) -> Condition:
        return _Comparison(self.name, "$lt", value)

    def __le__(self, value: object) -> Condition:
        return _Comparison(self.name, "$lte", value)

    def __gt__(self, value: object) -> Condition:
        return _Comparison(self.name, "$gt", value)

    def __ge__(self, value: object) -> Condition:
        return _Comparison(self.name, "$gte", value)

    __hash__ = None  # type: ignore[assignment]

    def isin(self, *values: object) -> Condition:
        return _Comparison(self.name, "$in", list(values))


# -- results and schemas ------------------------------------------------------------------


@dataclass(frozen=True)
class QueryResult:
    """Rows of a query: ``columns``, ``types`` and ``rows`` (tuples), like a tiny frame."""

    columns: tuple[str, ...]
    types: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> QueryResult:
        headers = body["headers"]
        types = tuple(h["type"] for h in headers)
        rows = [
            tuple(_from_wire(t, v) for t, v in zip(types, row, strict=True)) for row in body["rows"]
        ]
        return cls(tuple(h["name"] for h in headers), types, rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def __getitem__(self, column: str) -> list[Any]:
        """Every value of one column, in row order."""
        position = self.columns.index(column) if column in self.columns else None
        if position is None:
            raise KeyError(column)
        return [row[position] for row in self.rows]

    def to_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def __repr__(self) -> str:
        return f"<QueryResult {len(self.rows)} rows x {list(self.columns)}>"


@dataclass(frozen=True)
class TableSchema:
    """A table as ``database/discovery`` describes it."""

    name: str
    data_types: Mapping[str, str]
    keys: tuple[str, ...] = ()
    default_values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> TableSchema:
        columns = body["columns"]
        return cls(
            name=body["name"],
            data_types={c["name"]: c["type"] for c in columns},
            keys=tuple(body["keys"]),
            default_values={c["name"]: _from_wire(c["type"], c["defaultValue"]) for c in columns},
        )


def _table_route(name: str) -> str:
    return "/tables/" + quote(name, safe="")


class Table:
    """A table of the target. Reading needs ``table.query``; writing the live extension."""

    def __init__(self, session: Requester, schema: TableSchema) -> None:
        self._session = session
        self.schema = schema

    @property
    def name(self) -> str:
        return self.schema.name

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.schema.data_types)

    @property
    def keys(self) -> tuple[str, ...]:
        return self.schema.keys

    @property
    def data_types(self) -> Mapping[str, str]:
        return self.schema.data_types

    def __getitem__(self, column: str) -> Column:
        if column not in self.schema.data_types:
            raise KeyError(f"table {self.name!r} has no column {column!r}")
        return Column(self.name, column, self.schema.data_types[column])

    def __repr__(self) -> str:
        return f"<Table {self.name} {dict(self.data_types)} keys={list(self.keys)}>"

    # -- reading -------------------------------------------------------------------------

    def head(self, n: int = 5) -> QueryResult:
        """The first ``n`` rows."""
        return self.query(max_rows=n)

    def query(
        self,
        *columns: str,
        filter: Condition | None = None,
        max_rows: int | None = None,
        timeout: float = 30.0,
    ) -> QueryResult:
        """Rows matching ``filter`` (all when None), with ``columns`` (all when none given)."""
        self._session.require(Capability.TABLE_QUERY)
        for column in columns:
            self[column]  # an unknown column fails here, not on the server
        if max_rows is not None and (isinstance(max_rows, bool) or max_rows < 0):
            raise ValueError("max_rows must be a whole number >= 0")
        params = {} if max_rows is None else {"pageSize": max_rows}
        body = {
            "branch": None,
            "conditions": {} if filter is None else _condition(filter).to_json(),
            "fields": list(columns or self.columns),
            "timeout": int(timeout * 1000),
        }
        response = self._session.call(
            Capability.TABLE_QUERY,
            "POST",
            "/database/data" + _table_route(self.name),
            api="pivot",
            json=body,
            params=params,
        )
        return QueryResult.from_json(response.json())

    # -- writing -------------------------------------------------------------------------

    def append(self, *rows: Sequence[Any] | Mapping[str, Any]) -> None:
        """Add rows (tuples in column order, or dicts); a row with an existing key replaces it."""
        self._session.require(Capability.TABLE_APPEND)
        if not rows:
            return
        self._session.call(
            Capability.TABLE_APPEND,
            "POST",
            _table_route(self.name) + "/rows",
            json={"rows": [to_wire(row) for row in rows]},
        )

    def __iadd__(self, row: Sequence[Any] | Mapping[str, Any]) -> Table:
        self.append(row)
        return self

    def load_csv(
        self, source: str | os.PathLike[str], *, separator: str = ",", header: bool = True
    ) -> int:
        """Load a CSV into this table from a path (``load.file``) or cloud URL (``load.cloud``).

        Returns the number of rows loaded.
        """
        capability, where = load_source(source)
        body = _load_body(where, separator, header)
        response = self._session.call(
            capability, "POST", _table_route(self.name) + "/load", json=body
        )
        return int(response.json()["loaded"])


def _load_body(source: str, separator: str, header: bool) -> dict[str, Any]:
    return {
        "format": "csv",
        "source": source,
        "options": {"separator": separator, "header": header},
    }


def read_csv(
    session: Requester,
    source: str | os.PathLike[str],
    *,
    table_name: str,
    keys: Iterable[str] = (),
    data_types: Mapping[str, str] | None = None,
    separator: str = ",",
) -> Table:
    """Create ``table_name`` from a CSV with a header; types are inferred unless given."""
    capability, where = load_source(source)
    body = _load_body(where, separator, True)
    body["create"] = {"keys": list(keys), "types": dict(data_types or {})}
    response = session.call(capability, "POST", _table_route(table_name) + "/load", json=body)
    return Table(session, TableSchema.from_json(response.json()))


class Tables(Mapping[str, Table]):
    """``session.tables``: ``[name]`` and ``.schema`` read; listing and ``del`` are live."""

    def __init__(self, session: Requester) -> None:
        self._session = session

    def _schemas(self, capability: Capability) -> dict[str, TableSchema]:
        response = self._session.call(capability, "GET", "/database/discovery", api="pivot")
        return {t["name"]: TableSchema.from_json(t) for t in response.json()["tables"]}

    @property
    def schema(self) -> Mapping[str, TableSchema]:
        """Every table's columns, types, defaults and keys (``tables.schema``)."""
        return self._schemas(Capability.TABLES_SCHEMA)

    def __getitem__(self, name: str) -> Table:
        schema = self._schemas(Capability.TABLE_QUERY).get(name)
        if schema is None:
            raise KeyError(name)
        return Table(self._session, schema)

    def _names(self) -> list[str]:
        response = self._session.call(Capability.TABLES_LIST, "GET", "/tables")
        return [str(name) for name in response.json()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def keys(self) -> KeysView[str]:
        # One answer for the whole view (the mixin's would ask again for its length).
        return dict.fromkeys(self._names()).keys()

    def __delitem__(self, name: str) -> None:
        try:
            self._session.call(Capability.TABLE_DROP, "DELETE", _table_route(name))
        except ServerError as error:
            if error.status == 404:
                raise KeyError(name) from None
            raise

    def __setitem__(self, name: str, table: Table) -> None:
        # Only so that `session.tables["t"] += row` works: Python stores the result back.
        same = isinstance(table, Table) and table._session is self._session
        if not (same and table.name == name):
            raise TypeError("tables are created with session.create_table() or read_csv()")

    def __repr__(self) -> str:
        return f"<Tables of {self._session.url}>"


# -- cubes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cube:
    """A cube as ``cube/discovery`` lists it: hierarchy and measure names."""

    name: str
    hierarchies: tuple[str, ...]
    measures: tuple[str, ...]

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Cube:
        return cls(
            name=body["name"],
            hierarchies=tuple(h["name"] for d in body["dimensions"] for h in d["hierarchies"]),
            measures=tuple(m["name"] for m in body["measures"]),
        )


class Cubes(Mapping[str, Cube]):
    """``session.cubes``: the cubes found by one discovery, by name."""

    def __init__(self, cubes: Iterable[Cube]) -> None:
        self._cubes = {c.name: c for c in cubes}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Cubes:
        return cls(Cube.from_json(c) for catalog in body["catalogs"] for c in catalog["cubes"])

    def __getitem__(self, name: str) -> Cube:
        return self._cubes[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._cubes)

    def __len__(self) -> int:
        return len(self._cubes)

    def __repr__(self) -> str:
        return f"<Cubes {list(self._cubes)}>"
