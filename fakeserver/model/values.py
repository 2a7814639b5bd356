"""Atoti's value types: what a column may hold, and how wire and CSV values become stored ones.

Stored values are Python values (``datetime.date`` for ``LocalDate``, tuples for arrays);
:func:`to_json` turns them back into wire values (ISO strings for dates). This is the
bottom of the model: every other module of it imports from here, never the reverse.
"""

from __future__ import annotations

import datetime as dt
import math
import reprlib
from collections.abc import Mapping
from typing import Any

from ..errors import FakeHTTPError

__all__ = [
    "ATOTI_TYPES",
    "DEFAULT_VALUES",
    "NUMERIC_TYPES",
    "SCALAR_TYPES",
    "DataError",
    "Mismatch",
    "coerce",
    "element_type",
    "parse_text",
    "short",
    "to_json",
]

SCALAR_TYPES = (
    "String",
    "int",
    "long",
    "float",
    "double",
    "boolean",
    "LocalDate",
    "LocalDateTime",
)
#: Every column type: a scalar type, or an array of one (``"int[]"``).
ATOTI_TYPES: frozenset[str] = frozenset(SCALAR_TYPES) | {f"{t}[]" for t in SCALAR_TYPES}
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

_INT_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_FLOAT_MAX = {"float": 3.4028234663852886e38, "double": 1.7976931348623157e308}


class DataError(FakeHTTPError, ValueError):
    """Input that does not fit the model; answered as-is (400 unless said otherwise)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(status, message)


class Mismatch(ValueError):
    """One value does not fit one type; the caller says where (table, column, row)."""


def element_type(type_name: str) -> str | None:
    """``"int"`` for ``"int[]"``; None for a scalar type."""
    return type_name[:-2] if type_name.endswith("[]") else None


class _Quote(reprlib.Repr):
    """Quotes values in messages a few levels and items deep, whatever the value holds, so
    a message about a deeply nested or huge value costs no recursion and no time."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxstring, self.maxother = 3, 41, 41

    def repr_str(self, x: str, level: int) -> str:
        return repr(x[: self.maxstring])  # the start of a string, cut below like the rest


_QUOTE = _Quote()


def short(value: object) -> str:
    """``value`` as an error message quotes it: a bounded repr cut to 40 characters."""
    try:
        text = _QUOTE.repr(value)
    except ValueError:  # an int too long to print (Python >= 3.11)
        return f"<a {type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


def _article(type_name: str) -> str:
    return "an" if type_name[0] in "aeiouAEIOU" else "a"


def _mismatch(value: object, type_name: str) -> Mismatch:
    return Mismatch(f"{short(value)} is not {_article(type_name)} {type_name}")


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
                raise Mismatch(f"{short(value)} is out of the range of {type_name}") from None
            if math.isfinite(number_f) and abs(number_f) > _FLOAT_MAX[type_name]:
                raise Mismatch(f"{short(value)} is out of the range of {type_name}")
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
                raise Mismatch(f"{short(value)} has a time zone; a LocalDateTime has none")
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
