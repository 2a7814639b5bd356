"""Mongo-like conditions compiled to row predicates, checked whole before any row is read.

A condition's work is bounded before any row is read: its size (operators plus operand
values, ``limits.max_condition_size``) and its nesting (``limits.max_json_depth``, the
bound of the JSON it came in) are counted while it compiles, so a hostile one costs at
most a few thousand steps before it is refused.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..limits import Limits
from .values import DataError, Mismatch, coerce, element_type, short

if TYPE_CHECKING:
    from .tables import Column, Table

__all__ = ["Predicate", "compile_condition"]

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


_DEFAULT_LIMITS = Limits()


class _Budget:
    """What is left of one condition's size and nesting limits while it compiles."""

    def __init__(self, limits: Limits) -> None:
        self.size = limits.max_condition_size
        self.left = self.size
        self.depth = limits.max_json_depth

    def spend(self, count: int, where: str) -> None:
        self.left -= count
        if self.left < 0:
            raise DataError(
                f"{where}: the condition has more than {self.size:,} operators and values "
                "(limits.max_condition_size)"
            )


def compile_condition(
    table: Table, condition: object, limits: Limits = _DEFAULT_LIMITS
) -> Predicate:
    """A Mongo-like condition as a row predicate; checked whole before any row is read.

    ``{}`` matches everything; several keys in one object must all hold; a column maps to
    a value (equality) or to ``{"$eq"|"$lt"|"$lte"|"$gt"|"$gte": v, "$in": [...]}``;
    ``$and``/``$or`` take non-empty lists of conditions, ``$not`` one condition.
    """
    return _compile(table, condition, "conditions", 0, _Budget(limits))


def _compile(table: Table, condition: object, where: str, depth: int, budget: _Budget) -> Predicate:
    if condition is None:
        return _always
    if depth > budget.depth:
        raise DataError(
            f"{where}: conditions nested deeper than {budget.depth} levels (limits.max_json_depth)"
        )
    if not isinstance(condition, dict):
        raise DataError(f"{where}: a condition is an object, not {short(condition)}")
    budget.spend(len(condition), where)
    parts: list[Predicate] = []
    for key, value in condition.items():
        here = f"{where}.{key}"
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise DataError(f"{here}: needs a non-empty list of conditions")
            budget.spend(len(value), here)  # even {} counts: it is a value of the list
            subs = [
                _compile(table, v, f"{here}[{i}]", depth + 1, budget) for i, v in enumerate(value)
            ]
            parts.append(_all_of(subs) if key == "$and" else _any_of(subs))
        elif key == "$not":
            parts.append(_none_of([_compile(table, value, here, depth + 1, budget)]))
        elif key.startswith("$"):
            known = ", ".join(_LOGICAL)
            raise DataError(
                f"{here}: unknown operator (here: {known}; on a column: "
                f"{', '.join(_COLUMN_OPERATORS)})"
            )
        elif not table.has_column(key):
            raise DataError(f"{where}: table {table.name!r} has no column {key!r}")
        else:
            column, position = table.column(key), table.position(key)
            parts.extend(_column_predicates(column, position, value, here, budget))
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
    # A set, so a long $in costs each row one lookup (stored values are all hashable).
    kept = frozenset(members)
    return lambda row: row[position] in kept


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


def _column_predicates(
    column: Column, position: int, spec: object, where: str, budget: _Budget
) -> list[Predicate]:
    if not isinstance(spec, dict):
        spec = {"$eq": spec}
    if not spec:
        raise DataError(f"{where}: no operator given")
    predicates: list[Predicate] = []
    for op, value in spec.items():
        here = f"{where}.{op}"
        # The operator and its operand values, counted before any of them is converted.
        budget.spend(1 + (len(value) if isinstance(value, list) else 1), here)
        if op == "$in":
            if not isinstance(value, list):
                raise DataError(f"{here}: needs a list of values")
            budget.spend(sum(len(v) for v in value if isinstance(v, list)), here)  # arrays
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
