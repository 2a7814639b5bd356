"""Typed tables: keys, defaults, rows checked whole, definitions refused with their field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeserver import Limits, ServerConfig, TableSpec
from fakeserver.model import DataError, Table

from .samples import KEYS, ROW, SCALARS, table


def test_rows_with_an_existing_key_replace_it_in_place() -> None:
    t = table()
    t.upsert(t.prepare([ROW, [2, *ROW[1:]], {"id": 1, "name": "b"}]))
    assert len(t) == 2
    first = t.rows()[0]
    assert first[:2] == (1, "b")
    assert first[2] == 0 and first[6] is None  # missing columns take their defaults


def test_same_schema_is_name_columns_and_keys_not_rows() -> None:
    table = Table("t", {"id": "int", "name": "String"}, keys=["id"])
    copy = table.copy()
    copy.upsert(copy.prepare([[1, "a"]]))
    assert table.same_schema(table) and table.same_schema(copy) and copy.same_schema(table)
    assert table.same_schema(Table("t", {"id": "int", "name": "String"}, keys=["id"]))
    for other in (
        Table("u", {"id": "int", "name": "String"}, keys=["id"]),
        Table("t", {"id": "long", "name": "String"}, keys=["id"]),
        Table("t", {"name": "String", "id": "int"}, keys=["id"]),
        Table("t", {"id": "int", "name": "String"}),
        Table("t", {"id": "int", "name": "String"}, ["id"], {"name": "?"}),
        Table("t", {"id": "int"}, keys=["id"]),
    ):
        assert not table.same_schema(other) and not other.same_schema(table)


def test_keyless_tables_keep_every_row() -> None:
    t = Table("log", {"v": "int"})
    t.upsert(t.prepare([[1], [1], [1]]))
    t.upsert(t.prepare([[1]]))
    assert len(t) == 4
    copy = t.copy()
    copy.upsert(copy.prepare([[2]]))
    assert len(copy) == 5 and len(t) == 4  # a copy has its own rows


def test_defaults_are_atoti_defaults_or_the_given_ones() -> None:
    t = Table(
        "d",
        {"k": "String", "n": "int", "x": "double", "b": "boolean", "d": "LocalDate"},
        default_values={"n": 7, "d": "2020-01-01"},
    )
    t.upsert(t.prepare([{}]))
    assert t.rows() == [("N/A", 7, 0.0, False, dt.date(2020, 1, 1))]
    schema = {c["name"]: c for c in t.schema()["columns"]}
    assert schema["d"] == {
        "name": "d",
        "type": "LocalDate",
        "defaultValue": "2020-01-01",
        "nullable": False,
    }
    assert schema["x"]["defaultValue"] == 0.0


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [ROW, [2, "b", 1, "cheap", 0, True, None, None, None]],
            "table 't', row 1, column 'price': 'cheap' is not a double",
        ),
        ([ROW[:3]], "table 't', row 0: 3 values for 9 columns"),
        ([{"id": 1, "nope": 2}], "table 't', row 0: no column 'nope'"),
        ([5], "table 't', row 0: a row is a list"),
        ("not a list", "rows must be a list"),
    ],
)
def test_a_bad_row_names_table_row_and_column_and_nothing_is_stored(
    rows: object, message: str
) -> None:
    t = table()
    with pytest.raises(DataError, match=message.replace("(", r"\(")) as caught:
        t.upsert(t.prepare(rows))
    assert caught.value.status == 400
    assert len(t) == 0


def test_a_key_without_a_value_is_refused() -> None:
    t = Table("k", {"day": "LocalDate", "v": "int"}, keys=("day",))
    with pytest.raises(DataError, match="column 'day': a key needs a value"):
        t.prepare([[None, 1]])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Table("a/b", {"x": "int"}), "not a table name"),
        (lambda: Table("t", {}), "at least one column"),
        (lambda: Table("t", {"x": "integer"}), "'integer' is not an Atoti type"),
        (lambda: Table("t", {"x": ["int"]}), r"\['int'\] is not an Atoti type"),  # type: ignore[dict-item]
        (lambda: Table("t", {"x": "int"}, keys=("y",)), "key 'y' is not a column"),
        (lambda: Table("t", {"x": "int[]"}, keys=("x",)), "array column 'x' cannot be a key"),
        (lambda: Table("t", {"x": "int"}, default_values={"x": "a"}), "default value 'a'"),
        (lambda: Table("t", {"x": "int"}, default_values={"y": 1}), "unknown column 'y'"),
    ],
)
def test_bad_table_definitions_are_refused(build: Any, message: str) -> None:
    with pytest.raises(DataError, match=message):
        build()


def test_table_specs_check_their_rows_when_built() -> None:
    with pytest.raises(ValueError, match=r"table 't', rows\[1\], column 'n': 'x' is not an int"):
        TableSpec("t", {"n": "int"}, rows=((1,), ("x",)))
    with pytest.raises(ValueError, match="not a table name"):
        TableSpec("a/b", {"n": "int"})
    with pytest.raises(ValueError, match="default_values"):
        TableSpec("t", {"n": "int"}, default_values=[1])  # type: ignore[arg-type]
    spec = TableSpec("t", {"n": "int", "d": "LocalDate"}, rows=((1, dt.date(2024, 1, 1)),))
    config = ServerConfig(tables=(spec,))
    assert ServerConfig.from_mapping(config.to_mapping()) == config


def test_query_projects_fields_and_pages(people: Table) -> None:
    answer = people.query({"age": {"$gt": 0}}, ["name", "day"], 2)
    assert answer == {
        "headers": [{"name": "name", "type": "String"}, {"name": "day", "type": "LocalDate"}],
        "rows": [["ann", "2024-01-01"], ["bob", "2024-06-01"]],
    }
    assert len(people.query({}, [], None)["rows"]) == 3
    with pytest.raises(DataError, match="fields: table 'p' has no column 'x'"):
        people.query({}, ["x"], None)
    with pytest.raises(DataError, match="fields must be a list"):
        people.query({}, "name", None)
    # Each field once: rows x fields is the answer's size, so repeats could blow it up.
    with pytest.raises(DataError, match="fields: 'name' is given twice"):
        people.query({}, ["name", "age", "name"], None)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(SCALARS, max_size=10) | st.dictionaries(KEYS, SCALARS), max_size=3))
def test_any_rows_are_stored_whole_or_refused_whole(rows: list[Any]) -> None:
    t = table()
    try:
        prepared = t.prepare(rows)
    except DataError as error:
        assert error.message.startswith("table 't'") and len(t) == 0
        return
    t.upsert(prepared)
    assert 0 < len(t) <= len(rows) or not rows


def test_a_copy_shares_its_rows_until_either_is_written() -> None:
    t = Table("t", {"id": "int", "v": "String"}, keys=["id"])
    t.upsert(t.prepare([[1, "a"], [2, "b"]]))
    snapshot = t.copy()
    assert snapshot._rows is t._rows, "a copy costs nothing while nobody writes"
    t.upsert(t.prepare([[2, "B"], [3, "c"]]))  # the writer copies, the reader keeps its view
    assert snapshot.rows() == [(1, "a"), (2, "b")]
    assert t.rows() == [(1, "a"), (2, "B"), (3, "c")]
    again = t.copy()
    again.upsert(again.prepare([[4, "d"]]))  # and a copy written to leaves the original be
    assert len(t) == 3 and len(again) == 4


def test_a_query_on_a_snapshot_is_bounded_by_the_limits_given() -> None:
    t = Table("t", {"id": "int"}, keys=["id"])
    t.upsert(t.prepare([[i] for i in range(5)]))
    answer = t.copy().query({"id": {"$in": [1, 3]}}, None, None, Limits(max_condition_size=4))
    assert answer["rows"] == [[1], [3]]
    with pytest.raises(DataError, match=r"limits\.max_condition_size"):
        t.query({"id": {"$in": [1, 3]}}, None, None, Limits(max_condition_size=3))


def colliding_pairs(count: int) -> list[tuple[int, int]]:
    """Pairs of longs whose tuples all have one hash in CPython (64-bit xxHash lanes).

    Python hashes ints and tuples of them the same way in every process: anyone can solve
    for the second lane that brings any first lane to a chosen state.
    """
    m, p1, p2, p5 = 2**64, 11400714785074694791, 14029467366897019727, 2870177450012600261
    prime = 2**61 - 1  # hash(n) == n for 0 <= n < prime

    def lane(acc: int, value: int) -> int:
        acc = (acc + value * p2) % m
        return (((acc << 31) | (acc >> 33)) % m) * p1 % m

    goal = 0x0123456789ABCDEF  # the state both lanes lead to, rotated back and unmultiplied
    goal = goal * pow(p1, -1, m) % m
    before = ((goal >> 31) | (goal << 33)) % m
    pairs: list[tuple[int, int]] = []
    first = 1
    while len(pairs) < count:
        second = (before - lane(p5, first)) * pow(p2, -1, m) % m
        if second < prime:
            pairs.append((first, second))
        first += 1
    return pairs


def test_keys_a_client_chose_to_collide_are_not_stored_under_one_hash() -> None:
    # Each insert under one hash compares with every key before it: n² under the data lock,
    # minutes for the rows of one 10 MiB append (0.4 s for 8,000 rows, 10 min for 300,000).
    pairs = colliding_pairs(50)
    if len({hash(pair) for pair in pairs}) != 1:  # not a 64-bit CPython
        pytest.skip("this interpreter hashes tuples another way")
    trades = Table("collide", {"a": "long", "b": "long"}, ["a", "b"])
    trades.upsert(trades.prepare([list(pair) for pair in pairs]))
    assert len(trades) == 50
    assert len({hash(trades.key_of(row)) for row in trades.rows()}) == 50, "all different"
