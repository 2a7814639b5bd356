"""How a config refuses a value: a ``ValueError`` that names the field, raised at construction.

Every part of a config (:mod:`.parts`, :mod:`.target`) and the files it is read from
(:mod:`.files`) refuse the same way, so a mistake surfaces at the line that made it rather
than as a confusing answer on the wire.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from typing import Any, TypeVar

from ..model import DataError, NameKind, check_name, short

__all__ = ["checked_name", "fail", "instances", "is_number", "repeated", "sequence"]

T = TypeVar("T")


def fail(field_name: str, problem: str) -> ValueError:
    return ValueError(f"{field_name}: {problem}")


def sequence(
    field_name: str, value: object, what: str, *, unordered: bool = False
) -> Sequence[Any] | AbstractSet[Any]:
    """``value`` if it is a list or tuple (or a set, when order does not matter).

    Anything else is refused by name: a string or a mapping would otherwise be read as
    its characters or keys, and a generator would be used up by the first look.
    """
    if isinstance(value, (list, tuple)) or (unordered and isinstance(value, AbstractSet)):
        return value
    raise fail(field_name, f"must be {what}, not {short(value)}")


def instances(field_name: str, value: object, kind: type[T]) -> tuple[T, ...]:
    """``value`` as a tuple of ``kind``: a list or tuple of them, each checked."""
    items = tuple(sequence(field_name, value, f"a list of {kind.__name__}"))
    for item in items:
        if not isinstance(item, kind):
            raise fail(field_name, f"{short(item)} is not a {kind.__name__}")
    return items


def repeated(names: Sequence[str]) -> list[str]:
    """The names given more than once, sorted."""
    return sorted({n for n in names if names.count(n) > 1})


def checked_name(field_name: str, value: object, kind: NameKind) -> str:
    """``value`` if the model's one name rule accepts it for a ``kind``, as a config error."""
    try:
        return check_name(field_name, value, kind=kind)
    except DataError as error:
        raise ValueError(error.message) from None


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
