"""Tables, queries and filters of the thin client (client/_tables.py), without a server.

A :class:`~tests.client.stub.Recorder` stands in for the session: what each call checks
before sending, and exactly what it sends.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

import fakeserver_client as client
from fakeserver_client import Capability
from fakeserver_client._tables import load_source

from .stub import Recorder


def test_filters_translate_to_mongo_like_conditions() -> None:
    table = client.Table(Recorder(), client.TableSchema("t", {"a": "int", "d": "LocalDate"}))
    a, d = table["a"], table["d"]
    assert (a == 1).to_json() == {"a": {"$eq": 1}}
    assert (a != 1).to_json() == {"$not": {"a": {"$eq": 1}}}
    assert (a < 1).to_json() == {"a": {"$lt": 1}}
    assert (a <= 1).to_json() == {"a": {"$lte": 1}}
    assert (a > 1).to_json() == {"a": {"$gt": 1}}
    assert (a >= 1).to_json() == {"a": {"$gte": 1}}
    assert a.isin(1, 2).to_json() == {"a": {"$in": [1, 2]}}
    assert (d == dt.date(2024, 1, 2)).to_json() == {"d": {"$eq": "2024-01-02"}}
    both = (a > 1) & (a < 5) & (d == None)  # noqa: E711 - builds a condition
    assert both.to_json() == {"$and": [{"a": {"$gt": 1}}, {"a": {"$lt": 5}}, {"d": {"$eq": None}}]}
    either = (a == 1) | ~(a == 2)
    assert either.to_json() == {"$or": [{"a": {"$eq": 1}}, {"$not": {"a": {"$eq": 2}}}]}
    assert (~~(a == 1)).to_json() == {"a": {"$eq": 1}}
    with pytest.raises(TypeError, match="combine conditions with &"):
        bool(a == 1)
    with pytest.raises(TypeError, match="combine conditions"):
        1 < a < 3  # noqa: B015 - chained comparisons would silently drop half
    with pytest.raises(TypeError):
        (a == 1) & True  # type: ignore[operator]
    with pytest.raises(KeyError, match="no column 'b'"):
        table["b"]


def test_a_query_is_checked_then_sent_as_the_route_expects() -> None:
    stub = Recorder(
        {
            "headers": [{"name": "id", "type": "int"}, {"name": "day", "type": "LocalDate"}],
            "rows": [[1, "2024-01-02"], [2, None]],
        }
    )
    schema = client.TableSchema("a b", {"id": "int", "day": "LocalDate", "qty": "int"})
    table = client.Table(stub, schema)
    result = table.query("id", "day", filter=table["qty"] > 1, max_rows=2, timeout=1.5)
    body = {
        "branch": None,
        "conditions": {"qty": {"$gt": 1}},
        "fields": ["id", "day"],
        "timeout": 1500,
    }
    assert stub.calls == [
        ("require", Capability.TABLE_QUERY),
        (
            Capability.TABLE_QUERY,
            "POST",
            "/database/data/tables/a%20b",
            "pivot",
            {"json": body, "params": {"pageSize": 2}},
        ),
    ]
    assert (result.columns, result.types) == (("id", "day"), ("int", "LocalDate"))
    assert result.rows == [(1, dt.date(2024, 1, 2)), (2, None)]
    assert result["day"] == [dt.date(2024, 1, 2), None]
    assert result.to_dicts() == [{"id": 1, "day": dt.date(2024, 1, 2)}, {"id": 2, "day": None}]
    assert repr(result) == "<QueryResult 2 rows x ['id', 'day']>"
    with pytest.raises(KeyError):
        result["qty"]


def test_mistakes_are_caught_before_anything_is_sent() -> None:
    stub = Recorder()
    table = client.Table(stub, client.TableSchema("t", {"a": "int"}))
    with pytest.raises(KeyError, match="no column 'b'"):
        table.query("b")
    for bad in (-1, True):
        with pytest.raises(ValueError, match="max_rows must be a whole number"):
            table.query(max_rows=bad)
    table.append()  # nothing to append: checked, not sent
    assert all(call[0] == "require" for call in stub.calls)


def test_rows_are_sent_as_json_carries_them() -> None:
    stub = Recorder({})
    table = client.Table(stub, client.TableSchema("t", {"a": "int", "d": "LocalDate"}))
    table.append((1, dt.date(2024, 1, 2)), {"a": 2, "d": None})
    assert stub.calls[-1] == (
        Capability.TABLE_APPEND,
        "POST",
        "/tables/t/rows",
        "atoti",
        {"json": {"rows": [[1, "2024-01-02"], {"a": 2, "d": None}]}},
    )


@pytest.mark.parametrize(
    ("source", "capability"),
    [
        ("s3://bucket/a.csv", Capability.LOAD_CLOUD),
        ("GS://bucket/a.csv", Capability.LOAD_CLOUD),
        ("az://container/a.csv", Capability.LOAD_CLOUD),
        ("data/a.csv", Capability.LOAD_FILE),
    ],
)
def test_the_source_decides_the_capability(source: str, capability: Capability) -> None:
    needed, sent = load_source(source)
    assert needed is capability
    assert sent == (source if capability is Capability.LOAD_CLOUD else os.path.abspath(source))


def test_other_url_schemes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"cannot load from https:// URLs"):
        load_source("https://example.com/a.csv")


def test_dropping_a_table_the_server_does_not_have_is_a_key_error() -> None:
    missing = Recorder(error=client.ServerError(404, "no table named 'ghost'", "/t"))
    with pytest.raises(KeyError, match="ghost"):
        del client.Tables(missing)["ghost"]
    broken = Recorder(error=client.ServerError(500, "boom", "/t"))
    with pytest.raises(client.ServerError, match="boom"):
        del client.Tables(broken)["t"]
