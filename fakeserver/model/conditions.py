"""Mongo-like conditions compiled to row predicates, checked whole before any row is read."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .values import DataError, Mismatch, coerce, element_type, short

if TYPE_CHECKING:
    from .tables import Column, Table

__all__ = ["MAX_CONDITION_DEPTH", "Predicate", "compile_condition"]

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
        raise DataError(f"{where}: a condition is an object, not {short(condition)}")
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
