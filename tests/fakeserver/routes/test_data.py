"""The data routes (``fakeserver.routes.data``) refuse bad input with a 400 that says why.

Raw HTTP, no client logic in the way: queries, table and cube writes, and bodies no
client would send. A refused write changes nothing.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fakeserver import FakeServer
from fakeserver.protocol import ATOTI_PATH, PIVOT_PATH

from ...datasets import BASE, raw


def nested(levels: int) -> dict[str, Any]:
    condition: dict[str, Any] = {"qty": 10}
    for _ in range(levels):
        condition = {"$not": condition}
    return condition


DEEP = nested(40)


def admin_post(server: FakeServer, path: str, body: object) -> httpx.Response:
    return raw("POST", server.url + path, json=body, auth=("admin", "admin-pass"))


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        (
            "/database/data/tables/trades",
            {"conditions": {"qty": {"$near": 1}}},
            400,
            "conditions.qty.$near: unknown operator",
        ),
        (
            "/database/data/tables/trades",
            {"conditions": {"$or": []}},
            400,
            "conditions.$or: needs a non-empty list of conditions",
        ),
        (
            "/database/data/tables/trades",
            {"conditions": {"qty": {"$gt": "x"}}},
            400,
            "conditions.qty.$gt: 'x' is not an int (column 'qty' is int)",
        ),
        (
            "/database/data/tables/trades",
            {"conditions": {"colour": 1}},
            400,
            "table 'trades' has no column 'colour'",
        ),
        ("/database/data/tables/trades", {"fields": ["id", 3]}, 400, "fields must be a list"),
        ("/database/data/tables/trades", {"timeout": "soon"}, 400, "timeout must be a number"),
        ("/database/data/tables/trades", {"branch": "dev"}, 404, "no branch named 'dev'"),
        ("/database/data/tables/trades", [1], 400, "the body must be a JSON object"),
        ("/database/data/tables/trades?pageSize=-1", {}, 400, "pageSize must be a whole number"),
        ("/database/data/tables/ghost", {}, 404, "no table named 'ghost'"),
        ("/database/data/tables/trades?pageSize=%C2%B2", {}, 400, "pageSize must be a whole"),
        ("/database/data/tables/trades?pageSize=" + "9" * 30, {}, 400, "pageSize must be"),
        (
            "/database/data/tables/trades",
            {"conditions": DEEP},
            400,
            "conditions nested deeper than 32 levels",
        ),
    ],
)
def test_bad_queries_are_400s_that_say_what_is_wrong(
    path: str, body: object, status: int, message: str
) -> None:
    with FakeServer(BASE) as server:
        response = admin_post(server, PIVOT_PATH + path, body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert message in answer["error"]
    assert answer == {
        "error": answer["error"],
        "path": PIVOT_PATH + path.split("?")[0],
        "status": status,
    }


def test_deep_but_legal_conditions_and_absurd_bodies() -> None:
    with FakeServer(BASE) as server:
        path = PIVOT_PATH + "/database/data/tables/trades"
        legal = admin_post(server, path, {"conditions": nested(32), "fields": ["id"]})
        assert legal.json()["rows"] == [[1]]  # an even number of $not: qty == 10
        legal = admin_post(server, path, {"conditions": nested(31), "fields": ["id"]})
        assert legal.json()["rows"] == [[2], [3]]
        deep_json = raw(
            "POST", server.url + path, content=b"[" * 100_000, auth=("admin", "admin-pass")
        )
        assert deep_json.status_code == 400
        assert deep_json.json()["error"] == "the body is nested too deeply"


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/tables", {"name": "t", "columns": ["a"]}, "columns must map column names"),
        ("/tables", {"name": "t", "columns": {"a": "int"}, "keys": "a"}, "keys must be a list"),
        ("/tables", {"name": "", "columns": {"a": "int"}}, "is not a table name"),
        (
            "/tables",
            {"name": "t", "columns": {"a": "int"}, "defaultValues": {"a": "x"}},
            "default value 'x' is not an int",
        ),
        ("/tables/trades/rows", {"row": []}, 'the body must be {"rows"'),
        ("/tables/trades/rows", {"rows": {"id": 1}}, "rows must be a list"),
        ("/cubes", {"name": "c"}, 'the body must be {"table"'),
        ("/cubes", {"table": "trades", "name": 3}, "name must be a non-empty cube name"),
    ],
)
def test_bad_writes_are_400s(path: str, body: object, message: str) -> None:
    with FakeServer(BASE) as server:
        before = {n: t.rows() for n, t in server.state.tables.items()}
        response = admin_post(server, ATOTI_PATH + path, body)
        assert {n: t.rows() for n, t in server.state.tables.items()} == before
    assert response.status_code == 400
    assert message in response.json()["error"]
