"""Seeded fake rows: the same seed and table name give the same rows on every machine.

Faker is imported when rows are first generated, not with the model: most servers never
generate any, and importing it takes about as long as importing the whole server.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .values import DataError, element_type

if TYPE_CHECKING:
    from faker import Faker

    from .tables import Column, Table

__all__ = ["generate_rows"]

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
