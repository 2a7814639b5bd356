"""How a config refuses a value (``fakeserver.config.checks``): by name, as a ``ValueError``."""

from __future__ import annotations

import pytest

from fakeserver.config.checks import (
    checked_name,
    fail,
    instances,
    is_number,
    repeated,
    sequence,
)


def test_fail_names_the_field() -> None:
    error = fail("table 't'.keys", "must be a list")
    assert isinstance(error, ValueError) and str(error) == "table 't'.keys: must be a list"


@pytest.mark.parametrize("value", [[1, 2], (1, 2)])
def test_sequence_takes_lists_and_tuples(value: object) -> None:
    assert sequence("f", value, "a list") is value


@pytest.mark.parametrize("value", ["ab", {"a": 1}, (i for i in range(2)), 3, None])
def test_sequence_refuses_what_would_be_misread(value: object) -> None:
    with pytest.raises(ValueError, match=r"^f: must be a list, not "):
        sequence("f", value, "a list")


def test_sets_only_where_order_does_not_matter() -> None:
    roles = frozenset({"ROLE_USER"})
    assert sequence("roles", roles, "roles", unordered=True) is roles
    with pytest.raises(ValueError, match=r"^roles: must be roles"):
        sequence("roles", roles, "roles")


def test_checked_name_is_the_models_rule_as_a_value_error() -> None:
    assert checked_name("table.name", "trades", "table") == "trades"
    with pytest.raises(ValueError, match=r"^table\.name") as caught:
        checked_name("table.name", "a:b", "table")
    assert type(caught.value) is ValueError  # not the model's DataError


@pytest.mark.parametrize(("value", "number"), [(1, True), (0.5, True), (True, False), ("1", False)])
def test_is_number_leaves_out_booleans(value: object, number: bool) -> None:
    assert is_number(value) is number


def test_instances_are_a_tuple_of_one_kind() -> None:
    assert instances("tables", [1, 2], int) == (1, 2)
    with pytest.raises(ValueError, match=r"^tables: must be a list of int, not 'ab'"):
        instances("tables", "ab", int)
    with pytest.raises(ValueError, match=r"^tables: 'x' is not a int"):
        instances("tables", (1, "x"), int)


def test_repeated_names_are_each_named_once_in_order() -> None:
    assert repeated(["b", "a", "b", "c", "a", "b"]) == ["a", "b"]
    assert repeated(["a", "b"]) == []
