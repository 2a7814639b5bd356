"""Atoti's value types: coercion of wire values, CSV cells, and back to JSON."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from fakeserver.model import Mismatch, coerce, parse_text, short, to_json


@pytest.mark.parametrize(
    ("type_name", "given", "stored"),
    [
        ("String", "é", "é"),
        ("int", 7, 7),
        ("int", 7.0, 7),  # an integral float fits (clients often send 7.0)
        ("int", 2**31 - 1, 2**31 - 1),
        ("long", -(2**63), -(2**63)),
        ("double", 3, 3.0),
        ("float", 1.5, 1.5),
        ("boolean", False, False),
        ("LocalDate", "2024-01-31", dt.date(2024, 1, 31)),
        ("LocalDate", dt.date(2024, 1, 31), dt.date(2024, 1, 31)),
        ("LocalDateTime", "2024-01-31T23:59:59", dt.datetime(2024, 1, 31, 23, 59, 59)),
        ("int[]", [1, 2], (1, 2)),
        ("LocalDate[]", ["2024-01-01"], (dt.date(2024, 1, 1),)),
        ("double", None, None),
    ],
)
def test_coerce_accepts_values_that_fit(type_name: str, given: object, stored: object) -> None:
    assert coerce(type_name, given) == stored
    assert type(coerce(type_name, given)) is type(stored)


@pytest.mark.parametrize(
    ("type_name", "given", "reason"),
    [
        ("String", 3, "3 is not a String"),
        ("int", "3", "'3' is not an int"),
        ("int", 1.5, "1.5 is not an int"),
        ("int", True, "True is not an int"),
        ("int", 2**31, "out of the range of int"),
        ("long", 2**63, "out of the range of long"),
        ("float", 1e39, "out of the range of float"),
        ("double", 10**400, "out of the range of double"),
        ("double", "1.5", "'1.5' is not a double"),
        ("boolean", 1, "1 is not a boolean"),
        ("LocalDate", "2024-02-30", "is not a LocalDate"),
        ("LocalDate", dt.datetime(2024, 1, 1), "is not a LocalDate"),
        ("LocalDateTime", "2024-01-01T00:00:00+02:00", "has a time zone"),
        ("LocalDateTime", 5, "is not a LocalDateTime"),
        ("int[]", "1,2", "is not an int[]"),
        ("int[]", [1, None], "elements cannot be null"),
        ("int[]", [1, "x"], "'x' is not an int"),
    ],
)
def test_coerce_refuses_values_that_do_not_fit(type_name: str, given: object, reason: str) -> None:
    with pytest.raises(Mismatch, match=reason.replace("[", r"\[").replace("]", r"\]")):
        coerce(type_name, given)


def test_text_cells_parse_by_type() -> None:
    assert parse_text("int", " 42 ") == 42
    assert parse_text("double", "1e3") == 1000.0
    assert parse_text("boolean", "TRUE") is True
    assert parse_text("LocalDate", "2024-05-01") == dt.date(2024, 5, 1)
    assert parse_text("int[]", "1;2;3") == (1, 2, 3)
    assert parse_text("int[]", "1|2", array_separator="|") == (1, 2)
    assert parse_text("String", "") is None  # empty cells take the default
    for type_name, text in [("int", "1.5"), ("boolean", "yes"), ("int[]", "1;x"), ("long", "")]:
        if text:
            with pytest.raises(Mismatch):
                parse_text(type_name, text)


def test_to_json_round_trips_dates_and_arrays() -> None:
    assert to_json(dt.date(2024, 1, 2)) == "2024-01-02"
    assert to_json(dt.datetime(2024, 1, 2, 3, 4)) == "2024-01-02T03:04:00"
    assert to_json((dt.date(2024, 1, 2), 3)) == ["2024-01-02", 3]
    assert to_json("x") == "x"


def test_messages_quote_any_value_briefly_and_without_recursion() -> None:
    deep: list[object] = []
    for _ in range(5000):  # repr() of this raises RecursionError
        deep = [deep]
    assert short(deep) == "[[[[...]]]]"
    assert short("x" * 10_000) == "'" + "x" * 36 + "..."
    assert short(10**5000) == "<a int>"  # too long for str(): not a ValueError either
    assert short({"a": [1, {"b": deep}]}) == "{'a': [1, {'b': [...]}]}"
    with pytest.raises(Mismatch, match=r"^\[\[\[\[\.\.\.\]\]\]\] is not an int$"):
        coerce("int", deep)


def test_csv_cells_may_hold_what_a_double_holds() -> None:
    # Atoti's double columns hold NaN and the infinities (answers name them as Java does).
    assert math.isnan(parse_text("double", "nan"))
    assert parse_text("double", "-1e999") == -math.inf
    assert parse_text("float", "inf") == math.inf
