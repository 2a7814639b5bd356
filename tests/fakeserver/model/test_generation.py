"""Seeded faker rows: the same for the same seed, pinned across machines."""

from __future__ import annotations

import datetime as dt

import pytest

from fakeserver import ServerConfig, TableSpec
from fakeserver.model import DataError, Table, generate_rows
from fakeserver.state import ServerState

NUMBERS = TableSpec(
    "n",
    {"id": "long", "q": "int", "p": "double", "ok": "boolean", "d": "LocalDate"},
    keys=("id",),
    generate=3,
)


def test_generated_rows_are_the_same_for_the_same_seed() -> None:
    first = ServerState(ServerConfig(tables=(NUMBERS,), seed=5)).tables["n"].rows()
    again = ServerState(ServerConfig(tables=(NUMBERS,), seed=5)).tables["n"].rows()
    other = ServerState(ServerConfig(tables=(NUMBERS,), seed=6)).tables["n"].rows()
    assert first == again != other
    assert [r[0] for r in first] == [1, 2, 3]  # numeric keys count up


def test_generated_numbers_are_pinned_across_machines() -> None:
    # Only Python's seeded Random is involved for these types: stable on every machine.
    rows = ServerState(ServerConfig(tables=(NUMBERS,), seed=0)).tables["n"].rows()
    assert rows == generate_rows(Table("n", NUMBERS.columns, NUMBERS.keys), 3, 0)
    assert rows == [
        (1, 547, 743.71, False, dt.date(2023, 11, 25)),
        (2, 357, 657.62, False, dt.date(2024, 7, 20)),
        (3, 441, 15.94, True, dt.date(2021, 10, 14)),
    ]


def test_generated_strings_follow_column_names_and_keys_stay_distinct() -> None:
    spec = TableSpec(
        "c", {"email": "String", "city": "String", "flag": "boolean"}, keys=("email",), generate=50
    )
    rows = ServerState(ServerConfig(tables=(spec,))).tables["c"].rows()
    assert len(rows) == 50 and all("@" in r[0] for r in rows)
    impossible = TableSpec("b", {"flag": "boolean"}, keys=("flag",), generate=3)
    with pytest.raises(DataError, match=r"'b'\.generate: cannot make 3 rows with distinct keys"):
        ServerState(ServerConfig(tables=(impossible,)))


def test_explicit_and_generated_rows_combine() -> None:
    spec = TableSpec("m", {"id": "int", "v": "int[]"}, keys=("id",), rows=((1, [9]),), generate=2)
    rows = ServerState(ServerConfig(tables=(spec,))).tables["m"].rows()
    assert rows[0] == (1, (9,)) and len(rows) == 3 and len(rows[1][1]) == 3
