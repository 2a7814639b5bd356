"""Mongo-like conditions: what they select, and how a malformed one is refused."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from fakeserver import Limits
from fakeserver.model import DataError, Table, compile_condition

from .samples import JSON


def ids(t: Table, condition: object) -> list[int]:
    predicate = compile_condition(t, condition)
    return [row[0] for row in t.rows() if predicate(row)]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({}, [1, 2, 3]),
        (None, [1, 2, 3]),
        ({"name": "bob"}, [2]),
        ({"age": {"$gt": 30, "$lte": 50}}, [2, 3]),
        ({"age": {"$gte": 40}, "name": {"$in": ["ann", "cy"]}}, [3]),
        ({"$or": [{"age": {"$lt": 35}}, {"name": "cy"}]}, [1, 3]),
        ({"$and": [{"age": {"$gt": 20}}, {"$not": {"name": "bob"}}]}, [1, 3]),
        ({"$not": {"age": {"$in": []}}}, [1, 2, 3]),
        ({"day": {"$lt": "2024-03-01"}}, [1]),  # null dates are never less than anything
        ({"day": None}, [3]),
        ({"day": {"$eq": None}}, [3]),
        ({"tags": [2]}, [2]),
        ({"age": 40.0}, [2]),
        # What atoti-client 0.9 sends for `(age >= 40) & (name != "bob")`.
        ({"$or": [{"$and": [{"age": {"$gte": 40}}, {"$not": {"name": "bob"}}]}]}, [3]),
    ],
)
def test_conditions_select_rows(people: Table, condition: object, expected: list[int]) -> None:
    assert ids(people, condition) == expected


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ([], "conditions: a condition is an object"),
        ({"$and": []}, r"conditions\.\$and: needs a non-empty list"),
        ({"$or": {"a": 1}}, r"conditions\.\$or: needs a non-empty list"),
        ({"$and": [{"age": 1}, 3]}, r"conditions\.\$and\[1\]: a condition is an object"),
        ({"$nor": []}, r"conditions\.\$nor: unknown operator"),
        ({"height": 3}, "table 'p' has no column 'height'"),
        ({"age": {"$regex": "x"}}, r"conditions\.age\.\$regex: unknown operator"),
        ({"age": {}}, r"conditions\.age: no operator given"),
        ({"age": {"$lt": "old"}}, r"conditions\.age\.\$lt: 'old' is not an int \(column 'age'"),
        ({"age": {"$in": 3}}, r"\$in: needs a list of values"),
        ({"age": {"$in": [1, "x"]}}, r"\$in\[1\]: 'x' is not an int"),
        ({"tags": {"$gt": [1]}}, "arrays cannot be ordered"),
        ({"age": {"$gte": None}}, "null cannot be ordered"),
        ({"$not": [1]}, r"conditions\.\$not: a condition is an object"),
    ],
)
def test_malformed_conditions_say_what_is_wrong(
    people: Table, condition: object, message: str
) -> None:
    with pytest.raises(DataError, match=message) as caught:
        compile_condition(people, condition)
    assert caught.value.status == 400


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(condition=JSON)
def test_any_condition_compiles_and_runs_or_is_a_data_error(people: Table, condition: Any) -> None:
    try:
        predicate = compile_condition(people, condition)
    except DataError as error:
        assert error.status == 400 and error.message.startswith("conditions")
        return
    for row in people.rows():
        assert predicate(row) in (True, False)


@pytest.mark.parametrize(
    ("condition", "size"),
    [
        ({"age": 30}, 3),  # the column, $eq, the value
        ({"age": {"$gt": 20, "$lt": 40}}, 5),
        ({"name": {"$in": ["ann", "bob", "cy"]}}, 5),
        ({"$or": [{"age": 30}, {"name": "cy"}]}, 9),  # $or, its 2 items, 2 x 3
        ({"$not": {"age": {"$in": []}}}, 3),
        ({"$and": [{}, {}, {}]}, 4),  # an empty condition still counts as an item
        ({"tags": {"$in": [[1, 2], [3]]}}, 7),  # array operands count their elements
    ],
)
def test_a_condition_is_bounded_by_its_operators_and_values(
    people: Table, condition: object, size: int
) -> None:
    compile_condition(people, condition, Limits(max_condition_size=size))
    with pytest.raises(DataError) as caught:
        compile_condition(people, condition, Limits(max_condition_size=size - 1))
    assert caught.value.message.endswith(
        f"the condition has more than {size - 1:,} operators and values (limits.max_condition_size)"
    )


def test_a_huge_in_is_refused_before_any_value_is_converted(people: Table) -> None:
    values: list[object] = ["not an int"] * 100_000  # converting one would fail
    with pytest.raises(DataError, match="more than 10,000 operators and values"):
        compile_condition(people, {"age": {"$in": values}})


def test_nesting_is_bounded_by_the_json_depth_limit(people: Table) -> None:
    condition: object = {"age": 30}
    for _ in range(5):
        condition = {"$not": condition}
    compile_condition(people, condition, Limits(max_json_depth=5))
    with pytest.raises(DataError, match=r"nested deeper than 4 levels \(limits.max_json_depth\)"):
        compile_condition(people, condition, Limits(max_json_depth=4))
