"""The fake's in-memory data model: typed tables, Mongo-like conditions, CSV, cubes.

Nothing here knows about HTTP except :class:`DataError`, which carries the status a view
answers with. Stored values are Python values (``datetime.date`` for ``LocalDate``, tuples
for arrays); :func:`to_json` turns them back into wire values (ISO strings for dates).
Tables are not locked here: :class:`~fakeserver.state.ServerState` holds the one lock.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import math
import operator
import os
import random
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from .config import ATOTI_TYPES
from .errors import FakeHTTPError
from .protocol import CLOUD_SCHEMES

if TYPE_CHECKING:
    from faker import Faker

    from .config import TableSpec

__all__ = [
    "CATALOG_NAME",
    "COUNT_MEASURE",
    "DEFAULT_VALUES",
    "NUMERIC_TYPES",
    "Column",
    "CsvOptions",
    "Cube",
    "DataError",
    "Mismatch",
    "Predicate",
    "Table",
    "coerce",
    "compile_condition",
    "csv_rows",
    "cube_discovery",
    "generate_rows",
    "infer_types",
    "parse_csv",
    "parse_text",
    "read_source",
    "to_json",
]

NUMERIC_TYPES = frozenset({"int", "long", "float", "double"})
#: What a missing or null value becomes, as in Atoti's non-nullable columns; other types
#: (dates, arrays) have no default and stay null unless a table gives one.
DEFAULT_VALUES: Mapping[str, Any] = {
    "String": "N/A",
    "int": 0,
    "long": 0,
    "float": 0.0,
    "double": 0.0,
    "boolean": False,
}
CATALOG_NAME = "atoti"
COUNT_MEASURE = "contributors.COUNT"

_INT_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_FLOAT_MAX = {"float": 3.4028234663852886e38, "double": 1.7976931348623157e308}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


class DataError(FakeHTTPError, ValueError):
    """Input that does not fit the model; answered as-is (400 unless said otherwise)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(status, message)


class Mismatch(ValueError):
    """One value does not fit one type; the caller says where (table, column, row)."""


# -- types and values --------------------------------------------------------------------


def element_type(type_name: str) -> str | None:
    """``"int"`` for ``"int[]"``; None for a scalar type."""
    return type_name[:-2] if type_name.endswith("[]") else None


def _short(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int too long to print (Python >= 3.11)
        return f"<a {type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


def _article(type_name: str) -> str:
    return "an" if type_name[0] in "aeiouAEIOU" else "a"


def _mismatch(value: object, type_name: str) -> Mismatch:
    return Mismatch(f"{_short(value)} is not {_article(type_name)} {type_name}")


def _coerce_scalar(type_name: str, value: object) -> Any:
    if type_name == "String":
        if isinstance(value, str):
            return value
    elif type_name in _INT_RANGES:
        number: object = value
        if isinstance(value, float) and value.is_integer():
            number = int(value)
        if isinstance(number, int) and not isinstance(number, bool):
            low, high = _INT_RANGES[type_name]
            if not low <= number <= high:
                raise Mismatch(f"{number} is out of the range of {type_name}")
            return number
    elif type_name in _FLOAT_MAX:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                number_f = float(value)
            except OverflowError:
                raise Mismatch(f"{_short(value)} is out of the range of {type_name}") from None
            if math.isfinite(number_f) and abs(number_f) > _FLOAT_MAX[type_name]:
                raise Mismatch(f"{_short(value)} is out of the range of {type_name}")
            return number_f
    elif type_name == "boolean":
        if isinstance(value, bool):
            return value
    elif type_name == "LocalDate":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
    elif type_name == "LocalDateTime":
        parsed: object = value
        if isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                parsed = None
        if isinstance(parsed, dt.datetime):
            if parsed.tzinfo is not None:
                raise Mismatch(f"{_short(value)} has a time zone; a LocalDateTime has none")
            return parsed
    raise _mismatch(value, type_name)


def coerce(type_name: str, value: object) -> Any:
    """``value`` (JSON or Python) as stored in a column of ``type_name``; None stays None."""
    if value is None:
        return None
    element = element_type(type_name)
    if element is None:
        return _coerce_scalar(type_name, value)
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise _mismatch(value, type_name)
    if any(item is None for item in value):
        raise Mismatch(f"{type_name} elements cannot be null")
    return tuple(_coerce_scalar(element, item) for item in value)


def parse_text(type_name: str, text: str, *, array_separator: str = ";") -> Any:
    """A CSV cell as stored in a column of ``type_name``; an empty cell is null."""
    if text == "":
        return None
    element = element_type(type_name)
    if element is not None:
        try:
            return tuple(_parse_scalar(element, part) for part in text.split(array_separator))
        except Mismatch:
            raise _mismatch(text, type_name) from None
    return _parse_scalar(type_name, text)


def _parse_scalar(type_name: str, text: str) -> Any:
    value: object = text
    stripped = text.strip()
    if type_name in _INT_RANGES:
        try:
            value = int(stripped)
        except ValueError:
            raise _mismatch(text, type_name) from None
    elif type_name in _FLOAT_MAX:
        try:
            value = float(stripped)
        except ValueError:
            raise _mismatch(text, type_name) from None
    elif type_name == "boolean":
        lowered = stripped.lower()
        if lowered not in ("true", "false"):
            raise _mismatch(text, type_name)
        value = lowered == "true"
    elif type_name in ("LocalDate", "LocalDateTime"):
        value = stripped
    return _coerce_scalar(type_name, value)


def to_json(value: Any) -> Any:
    """A stored value as it travels in JSON."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return [to_json(item) for item in value]
    return value


# -- tables ------------------------------------------------------------------------------


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


def _check_table_name(name: object) -> str:
    # "." and ".." would be dot segments of the table's URL, dropped by every client.
    if (
        not isinstance(name, str)
        or not name
        or "/" in name
        or name in (".", "..")
        or not name.isprintable()
    ):
        raise DataError(
            f"{_short(name)} is not a table name (non-empty, printable, no '/', not . or ..)"
        )
    return name


class Table:
    """A typed table; rows with an existing key replace it, in place."""

    def __init__(
        self,
        name: str,
        data_types: Mapping[str, str],
        keys: Sequence[str] = (),
        default_values: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = _check_table_name(name)
        where = f"table {name!r}"
        if not isinstance(data_types, Mapping) or not data_types:
            raise DataError(f"{where}: columns must map at least one column name to a type")
        if isinstance(keys, str) or not isinstance(keys, Sequence):
            raise DataError(f"{where}: keys must be a list of column names")
        defaults = dict(default_values or {})
        columns = []
        for column, type_name in data_types.items():
            if not isinstance(column, str) or not column or not column.isprintable():
                raise DataError(f"{where}: {_short(column)} is not a column name")
            if not isinstance(type_name, str) or type_name not in ATOTI_TYPES:
                raise DataError(
                    f"{where}, column {column!r}: {_short(type_name)} is not an Atoti type "
                    "(String, int, long, float, double, boolean, LocalDate, LocalDateTime, X[])"
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
                raise DataError(f"{where}: key {_short(key)} is not a column")
            if key in seen:
                raise DataError(f"{where}: key {key!r} is given twice")
            if element_type(self.column(key).type) is not None:
                raise DataError(f"{where}: array column {key!r} cannot be a key")
            seen.add(key)
        self.keys: tuple[str, ...] = tuple(keys)
        self._key_positions = tuple(self._index[k] for k in self.keys)
        self._rows: dict[Any, tuple[Any, ...]] = {}
        self._next_id = 0  # row ids of a table without keys

    @classmethod
    def from_spec(cls, spec: TableSpec, seed: int) -> Table:
        table = cls(spec.name, spec.columns, spec.keys, spec.default_values)
        table.upsert(table.prepare([list(row) for row in spec.rows]))
        if spec.generate:
            table.upsert(generate_rows(table, spec.generate, seed))
        return table

    def copy(self) -> Table:
        """Same columns, its own rows: what a reset hands out from the baseline."""
        other = object.__new__(Table)
        other.__dict__.update(self.__dict__)
        other._rows = dict(self._rows)
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

    def query(self, conditions: object, fields: object, page_size: int | None) -> dict[str, Any]:
        """The answer of ``database/data/tables/{name}``: headers and matching rows."""
        predicate = compile_condition(self, conditions)
        if fields is None or fields == []:
            names = list(self.column_names)
        elif isinstance(fields, list) and all(isinstance(f, str) for f in fields):
            names = fields
            for name in names:
                if name not in self._index:
                    raise DataError(f"fields: table {self.name!r} has no column {name!r}")
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
        prepared = []
        width = len(self.columns)
        for index, row in enumerate(rows):
            where = f"table {self.name!r}, {labels[index] if labels else f'row {index}'}"
            if isinstance(row, Mapping):
                unknown = [k for k in row if k not in self._index]
                if unknown:
                    raise DataError(f"{where}: no column {_short(unknown[0])}")
                values = [row.get(c.name) for c in self.columns]
            elif isinstance(row, (list, tuple)):
                if len(row) != width:
                    raise DataError(
                        f"{where}: {len(row)} values for {width} columns "
                        f"({', '.join(self.column_names)})"
                    )
                values = list(row)
            else:
                raise DataError(f"{where}: a row is a list of values or an object of column: value")
            converted = []
            for column, value in zip(self.columns, values, strict=True):
                try:
                    stored = convert(column.type, value)
                except Mismatch as error:
                    raise DataError(f"{where}, column {column.name!r}: {error}") from None
                if stored is None:
                    stored = column.default
                    if stored is None and column.name in self.keys:
                        raise DataError(f"{where}, column {column.name!r}: a key needs a value")
                converted.append(stored)
            prepared.append(tuple(converted))
        return prepared

    def key_of(self, row: tuple[Any, ...]) -> Any:
        if not self._key_positions:
            return None
        return tuple(row[p] for p in self._key_positions)

    def upsert(self, prepared: Sequence[tuple[Any, ...]]) -> None:
        """Store rows from :meth:`prepare`; a row whose key exists replaces it."""
        for row in prepared:
            key = self.key_of(row)
            if key is None:
                key = self._next_id
                self._next_id += 1
            self._rows[key] = row


# -- conditions --------------------------------------------------------------------------

Predicate = Callable[[tuple[Any, ...]], bool]
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "$lt": operator.lt,
    "$lte": operator.le,
    "$gt": operator.gt,
    "$gte": operator.ge,
}
_COLUMN_OPERATORS = ("$eq", *_COMPARISONS, "$in")
_LOGICAL = ("$and", "$or", "$not")


def _always(row: tuple[Any, ...]) -> bool:
    return True


#: Deeper conditions are refused (a 400, not a recursion error on the server).
MAX_CONDITION_DEPTH = 32


def compile_condition(
    table: Table, condition: object, where: str = "conditions", depth: int = 0
) -> Predicate:
    """A Mongo-like condition as a row predicate; checked whole before any row is read.

    ``{}`` matches everything; several keys in one object must all hold; a column maps to
    a value (equality) or to ``{"$eq"|"$lt"|"$lte"|"$gt"|"$gte": v, "$in": [...]}``;
    ``$and``/``$or`` take non-empty lists of conditions, ``$not`` one condition.
    """
    if condition is None:
        return _always
    if depth > MAX_CONDITION_DEPTH:
        raise DataError(f"{where}: conditions nested deeper than {MAX_CONDITION_DEPTH} levels")
    if not isinstance(condition, dict):
        raise DataError(f"{where}: a condition is an object, not {_short(condition)}")
    parts: list[Predicate] = []
    for key, value in condition.items():
        here = f"{where}.{key}"
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise DataError(f"{here}: needs a non-empty list of conditions")
            subs = [
                compile_condition(table, v, f"{here}[{i}]", depth + 1) for i, v in enumerate(value)
            ]
            parts.append(_all_of(subs) if key == "$and" else _any_of(subs))
        elif key == "$not":
            parts.append(_none_of([compile_condition(table, value, here, depth + 1)]))
        elif key.startswith("$"):
            known = ", ".join(_LOGICAL)
            raise DataError(
                f"{here}: unknown operator (here: {known}; on a column: "
                f"{', '.join(_COLUMN_OPERATORS)})"
            )
        elif not table.has_column(key):
            raise DataError(f"{where}: table {table.name!r} has no column {key!r}")
        else:
            parts.extend(_column_predicates(table.column(key), table.position(key), value, here))
    if not parts:
        return _always
    return parts[0] if len(parts) == 1 else _all_of(parts)


def _all_of(predicates: list[Predicate]) -> Predicate:
    return lambda row: all(p(row) for p in predicates)


def _any_of(predicates: list[Predicate]) -> Predicate:
    return lambda row: any(p(row) for p in predicates)


def _none_of(predicates: list[Predicate]) -> Predicate:
    return lambda row: not any(p(row) for p in predicates)


def _member(position: int, members: list[Any]) -> Predicate:
    return lambda row: row[position] in members


def _equal(position: int, operand: Any) -> Predicate:
    return lambda row: bool(row[position] == operand)


def _ordered(position: int, compare: Callable[[Any, Any], bool], operand: Any) -> Predicate:
    # A null cell is never less or greater than anything.
    return lambda row: row[position] is not None and compare(row[position], operand)


def _operand(column: Column, value: object, where: str) -> Any:
    try:
        return coerce(column.type, value)
    except Mismatch as error:
        raise DataError(f"{where}: {error} (column {column.name!r} is {column.type})") from None


def _column_predicates(column: Column, position: int, spec: object, where: str) -> list[Predicate]:
    if not isinstance(spec, dict):
        spec = {"$eq": spec}
    if not spec:
        raise DataError(f"{where}: no operator given")
    predicates: list[Predicate] = []
    for op, value in spec.items():
        here = f"{where}.{op}"
        if op == "$in":
            if not isinstance(value, list):
                raise DataError(f"{here}: needs a list of values")
            members = [_operand(column, v, f"{here}[{i}]") for i, v in enumerate(value)]
            predicates.append(_member(position, members))
        elif op == "$eq":
            predicates.append(_equal(position, _operand(column, value, here)))
        elif op in _COMPARISONS:
            operand = _operand(column, value, here)
            if element_type(column.type) is not None:
                raise DataError(f"{here}: arrays cannot be ordered (column {column.name!r})")
            if operand is None:
                raise DataError(f"{here}: null cannot be ordered")
            predicates.append(_ordered(position, _COMPARISONS[op], operand))
        else:
            raise DataError(
                f"{here}: unknown operator (known on a column: {', '.join(_COLUMN_OPERATORS)})"
            )
    return predicates


# -- seeded rows ---------------------------------------------------------------------------

_STRING_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("email", "mail"), "email"),
    (("first_name", "firstname"), "first_name"),
    (("last_name", "lastname", "surname"), "last_name"),
    (("trader", "customer", "client", "person", "owner", "user", "name"), "name"),
    (("city", "town"), "city"),
    (("country",), "country"),
    (("company", "counterparty", "issuer", "vendor"), "company"),
    (("currency", "ccy"), "currency_code"),
    (("address", "street"), "street_address"),
)
_EPOCH_DATE = dt.date(2020, 1, 1)
_SPAN_DAYS = 5 * 365
_faker: Faker | None = None
_faker_lock = threading.Lock()


def _string_provider(column: str) -> str:
    lowered = column.lower()
    for hints, provider in _STRING_HINTS:
        if any(hint in lowered for hint in hints):
            return provider
    return "word"


def _random_scalar(type_name: str, column: str, faker: Faker, rng: random.Random) -> Any:
    if type_name == "String":
        return str(getattr(faker, _string_provider(column))())
    if type_name == "int":
        return rng.randint(1, 1_000)
    if type_name == "long":
        return rng.randint(1, 1_000_000)
    if type_name in ("float", "double"):
        return round(rng.uniform(0, 1_000), 2)
    if type_name == "boolean":
        return rng.random() < 0.5
    if type_name == "LocalDate":
        return _EPOCH_DATE + dt.timedelta(days=rng.randrange(_SPAN_DAYS))
    start = dt.datetime.combine(_EPOCH_DATE, dt.time())
    return start + dt.timedelta(seconds=rng.randrange(_SPAN_DAYS * 86_400))


def generate_rows(table: Table, count: int, seed: int) -> list[tuple[Any, ...]]:
    """``count`` faker rows for ``table``: the same ``seed`` and table name give the same rows.

    Numeric key columns count up from 1 so keys stay distinct; other keys are drawn again
    when they collide with a row already there.
    """
    global _faker
    with _faker_lock:  # one Faker per process (building one costs ~25 ms), reseeded per call
        if _faker is None:
            from faker import Faker

            _faker = Faker("en_US")
        faker = _faker
        faker.seed_instance(f"{seed}:{table.name}")
        rng: random.Random = faker.random
        serial = itertools.count(1)
        taken = {table.key_of(row) for row in table.rows()} if table.keys else set()
        rows: list[tuple[Any, ...]] = []
        for _ in range(count):
            for _attempt in range(100):
                row = tuple(_generated_value(table, c, faker, rng, serial) for c in table.columns)
                key = table.key_of(row)
                if key is None or key not in taken:
                    break
            else:
                raise DataError(
                    f"table {table.name!r}.generate: cannot make {count} rows with distinct keys "
                    f"{list(table.keys)}"
                )
            if key is not None:
                taken.add(key)
            rows.append(row)
        return rows


def _generated_value(
    table: Table, column: Column, faker: Faker, rng: random.Random, serial: Iterator[int]
) -> Any:
    if column.name in table.keys and column.type in ("int", "long"):
        return next(serial)
    element = element_type(column.type)
    if element is not None:
        return tuple(_random_scalar(element, column.name, faker, rng) for _ in range(3))
    return _random_scalar(column.type, column.name, faker, rng)


# -- CSV -----------------------------------------------------------------------------------

_CSV_OPTIONS = {"separator": str, "header": bool, "arraySeparator": str, "encoding": str}


@dataclass(frozen=True)
class CsvOptions:
    separator: str = ","
    header: bool = True
    array_separator: str = ";"
    encoding: str = "utf-8"

    @classmethod
    def from_json(cls, options: object) -> CsvOptions:
        if options is None:
            return cls()
        if not isinstance(options, dict):
            raise DataError("options must be an object")
        for name, value in options.items():
            kind = _CSV_OPTIONS.get(name)
            if kind is None:
                known = ", ".join(_CSV_OPTIONS)
                raise DataError(f"options.{name}: unknown option (known: {known})")
            if not isinstance(value, kind):
                raise DataError(f"options.{name}: must be a {kind.__name__}")
        made = cls(
            separator=options.get("separator", ","),
            header=options.get("header", True),
            array_separator=options.get("arraySeparator", ";"),
            encoding=options.get("encoding", "utf-8"),
        )
        try:
            codec = codecs.lookup(made.encoding)
        except LookupError:
            codec = None
        # bytes.decode refuses codecs such as rot13 or hex the same way: not text encodings.
        if codec is None or not getattr(codec, "_is_text_encoding", True):
            raise DataError(f"options.encoding: unknown encoding {made.encoding!r}")
        separators = (("separator", made.separator), ("arraySeparator", made.array_separator))
        for name, value in separators:
            if len(value) != 1 or value in '\r\n"':
                raise DataError(f"options.{name}: must be one character (not a quote or newline)")
        return made


Records = list[tuple[int, list[str]]]


def parse_csv(text: str, options: CsvOptions) -> tuple[list[str] | None, Records]:
    """(header or None, [(line number, cells)]); blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=options.separator, strict=True)
    header: list[str] | None = None
    records: Records = []
    try:
        for cells in reader:
            if not cells:
                continue
            if options.header and header is None:
                header = [c.strip() for c in cells]
                continue
            records.append((reader.line_num, cells))
    except csv.Error as error:
        raise DataError(f"CSV line {reader.line_num}: {error}") from None
    if options.header and header is None:
        raise DataError("the CSV is empty: it has no header row")
    if header is not None:
        duplicates = sorted({h for h in header if header.count(h) > 1})
        if duplicates or "" in header:
            raise DataError(f"CSV header: empty or repeated column names {duplicates or ['']}")
    return header, records


def csv_rows(table: Table, text: str, options: CsvOptions) -> list[tuple[Any, ...]]:
    """The CSV's rows prepared for ``table`` (header names map to columns, in any order)."""
    header, records = parse_csv(text, options)
    if header is not None:
        unknown = [h for h in header if not table.has_column(h)]
        if unknown:
            raise DataError(f"table {table.name!r} has no column {unknown[0]!r} (CSV header)")
    rows: list[Any] = []
    labels = []
    for index, (line, cells) in enumerate(records):
        label = f"row {index} (CSV line {line})"
        if header is not None:
            if len(cells) != len(header):
                raise DataError(
                    f"table {table.name!r}, {label}: {len(cells)} values for {len(header)} "
                    "header columns"
                )
            rows.append(dict(zip(header, cells, strict=True)))
        else:
            rows.append(cells)
        labels.append(label)

    def convert(type_name: str, value: Any) -> Any:
        return parse_text(
            type_name, "" if value is None else value, array_separator=options.array_separator
        )

    return table.prepare(rows, convert=convert, labels=labels)


_INFERENCE_ORDER = ("int", "long", "double", "boolean", "LocalDate", "LocalDateTime")


def infer_types(text: str, options: CsvOptions) -> dict[str, str]:
    """Column types for a CSV with a header: the narrowest type every non-empty cell fits."""
    if not options.header:
        raise DataError("creating a table from a CSV needs a header row (options.header)")
    header, records = parse_csv(text, options)
    assert header is not None
    types: dict[str, str] = {}
    for position, name in enumerate(header):
        cells = [c[position] for _, c in records if position < len(c) and c[position] != ""]
        types[name] = next(
            (t for t in _INFERENCE_ORDER if cells and _all_parse(t, cells)), "String"
        )
    return types


def _all_parse(type_name: str, cells: list[str]) -> bool:
    try:
        for cell in cells:
            _parse_scalar(type_name, cell)
    except Mismatch:
        return False
    return True


def read_source(
    source: object,
    *,
    local_host: bool,
    file_roots: Sequence[str],
    cloud_files: Mapping[str, str],
    encoding: str = "utf-8",
) -> str:
    """The text behind a load's ``source``: a cloud object, or a file under the roots.

    A target on another host cannot see the client's disk: it answers exactly as it
    does for a file that does not exist. Paths are refused when they use ``..`` or when
    they resolve (symlinks included) outside every configured root.
    """
    if not isinstance(source, str) or not source:
        raise DataError("source must be a local path or an s3://, gs:// or az:// URL")
    scheme = _SCHEME.match(source)
    if scheme is not None:
        if scheme.group(1).lower() not in CLOUD_SCHEMES:
            raise DataError(
                f"unsupported source scheme {scheme.group(1)}://: give a local path or an "
                "s3://, gs:// or az:// URL"
            )
        if source not in cloud_files:
            raise DataError(f"no such cloud object: {source}", 404)
        return cloud_files[source]
    not_found = DataError(f"cannot load {source!r}: no such file on the server", 404)
    if not local_host:
        raise not_found
    if not source.isprintable() or not os.path.isabs(source):
        raise DataError(f"{source!r} is not an absolute path")
    if ".." in PurePath(source).parts:
        raise DataError(f"{source!r} uses '..': refused", 403)
    real = os.path.realpath(source)
    roots = [os.path.realpath(r) for r in file_roots]
    if not any(os.path.commonpath([real, root]) == root for root in roots):
        raise DataError(f"{source!r} is outside the server's file roots", 403)
    try:
        with open(real, "rb") as file:
            data = file.read()
    except (FileNotFoundError, NotADirectoryError):
        raise not_found from None
    except IsADirectoryError:
        raise DataError(f"cannot load {source!r}: it is a directory") from None
    except PermissionError:
        raise DataError(f"cannot load {source!r}: permission denied", 403) from None
    except OSError as error:
        raise DataError(f"cannot load {source!r}: {error.strerror}") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise DataError(f"{source!r} is not {encoding} text (byte {error.start})") from None
    except (UnicodeError, ValueError, LookupError):
        raise DataError(f"{source!r} is not {encoding} text") from None


# -- cubes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cube:
    """A cube built from one table, described from the table's columns when asked."""

    name: str
    table: str

    def discovery(self, table: Table) -> dict[str, Any]:
        """This cube as ``cube/discovery`` lists it (the shape atoti-client 0.9 parses).

        One dimension named after the table holds a single-level hierarchy per key or
        String column (after ActivePivot's ``ALL`` level); measures are
        ``contributors.COUNT`` and ``<column>.SUM`` per numeric non-key column.
        """
        hierarchies = [
            {
                "name": c.name,
                "caption": c.name,
                "folder": None,
                "slicing": False,
                "visible": True,
                "levels": [
                    {"name": "ALL", "caption": "ALL", "type": "ALL"},
                    {"name": c.name, "caption": c.name, "type": "REGULAR"},
                ],
            }
            for c in table.columns
            if c.name in table.keys or c.type == "String"
        ]
        dimensions = (
            [
                {
                    "name": table.name,
                    "caption": table.name,
                    "type": "STANDARD",
                    "defaultHierarchy": hierarchies[0]["name"],
                    "hierarchies": hierarchies,
                }
            ]
            if hierarchies
            else []
        )
        # Atoti's own formatters (``Measure.formatter``): INT[...] for whole numbers.
        measures = [_measure(COUNT_MEASURE, "INT[#,###]")] + [
            _measure(
                f"{c.name}.SUM",
                "DOUBLE[#,###.00]" if c.type in ("float", "double") else "INT[#,###]",
            )
            for c in table.columns
            if c.type in NUMERIC_TYPES and c.name not in table.keys
        ]
        default_members = [
            {
                "dimension": table.name,
                "hierarchy": h["name"],
                "path": ["AllMember"],
                "captionPath": ["AllMember"],
            }
            for h in hierarchies
        ]
        return {
            "name": self.name,
            "defaultMembers": default_members,
            "dimensions": dimensions,
            "measures": measures,
        }


def _measure(name: str, format_string: str) -> dict[str, Any]:
    return {
        "name": name,
        "caption": name,
        "visible": True,
        "folder": None,
        "formatString": format_string,
        "description": None,
    }


def cube_discovery(cubes: Mapping[str, Cube], tables: Mapping[str, Table]) -> dict[str, Any]:
    """The whole ``cube/discovery`` answer: one catalog holding every cube."""
    described = [c.discovery(tables[c.table]) for c in cubes.values() if c.table in tables]
    return {"catalogs": [{"name": CATALOG_NAME, "cubes": described}]}
