"""The data routes (``fakeserver.routes.data``) refuse bad input with a 400 that says why.

Raw HTTP, no client logic in the way: queries, table and cube writes, and bodies no
client would send. A refused write changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from fakeserver import FakeServer, Limits, TableSpec
from fakeserver.limits import JSON_DEPTH_CEILING
from fakeserver.protocol import ATOTI_PATH, PIVOT_PATH

from ...datasets import BASE, raw

#: The routes' source folder.
ROUTES = Path(__file__).resolve().parents[3] / "fakeserver" / "routes"


def nested(levels: int) -> dict[str, Any]:
    condition: dict[str, Any] = {"qty": 10}
    for _ in range(levels):
        condition = {"$not": condition}
    return condition


DEEP = nested(70)  # deeper than the JSON depth limit (64)


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
        ("/database/data/tables/trades", {"fields": ["id"] * 9}, 400, "'id' is given twice"),
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
            "the body nests arrays and objects more than 64 levels deep (limits.max_json_depth)",
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
        legal = admin_post(server, path, {"conditions": nested(62), "fields": ["id"]})
        assert legal.json()["rows"] == [[1]]  # an even number of $not: qty == 10
        legal = admin_post(server, path, {"conditions": nested(61), "fields": ["id"]})
        assert legal.json()["rows"] == [[2], [3]]
        deep_json = raw(
            "POST", server.url + path, content=b"[" * 100_000, auth=("admin", "admin-pass")
        )
        assert deep_json.status_code == 400
        assert deep_json.json()["error"] == (
            "the body nests arrays and objects more than 64 levels deep (limits.max_json_depth)"
        )


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


@pytest.mark.parametrize("name", [5, None, ["t"], {"t": "int"}], ids=repr)
def test_a_table_name_that_is_no_string_is_a_400_naming_the_field(name: object) -> None:
    with FakeServer(BASE) as server:
        response = admin_post(server, ATOTI_PATH + "/tables", {"name": name, "columns": {}})
        assert set(server.state.tables) == {t.name for t in BASE.tables}
    assert response.status_code == 400
    assert response.json()["error"].startswith("name: ")
    assert "is not a table name" in response.json()["error"]


def test_the_routes_narrow_what_a_body_holds_instead_of_silencing_mypy() -> None:
    # A body's values are `object` until checked: each route narrows them first (a check
    # mypy follows), so the checks and the types cannot drift apart.
    silenced = [
        f"{path.name}:{number}"
        for path in sorted(ROUTES.glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "type: ignore" in line
    ]
    assert silenced == []


# -- bounded work and bad data (issue 13) --------------------------------------------------------

QUERY = PIVOT_PATH + "/database/data/tables/trades"


def test_a_condition_is_bounded_by_its_size() -> None:
    config = BASE.replace(limits=Limits(max_condition_size=1_000))
    with FakeServer(config) as server:
        # {"qty": {"$in": [...]}}: 1 column + 1 operator + its values.
        fits = admin_post(server, QUERY, {"conditions": {"qty": {"$in": list(range(998))}}})
        assert fits.status_code == 200 and len(fits.json()["rows"]) == 3
        over = admin_post(server, QUERY, {"conditions": {"qty": {"$in": list(range(999))}}})
        many = {"$or": [{"qty": i} for i in range(400)]}  # 1 + 400 x (1 + 1 + 1) operators
        wide = admin_post(server, QUERY, {"conditions": many})
    assert over.status_code == 400
    assert over.json()["error"] == (
        "conditions.qty.$in: the condition has more than 1,000 operators and values "
        "(limits.max_condition_size)"
    )
    assert wide.status_code == 400
    assert "the condition has more than 1,000 operators and values" in wide.json()["error"]


def test_the_default_condition_size_refuses_a_huge_in() -> None:
    with FakeServer(BASE) as server:
        response = admin_post(server, QUERY, {"conditions": {"qty": {"$in": list(range(20_000))}}})
    assert response.status_code == 400
    assert "more than 10,000 operators and values" in response.json()["error"]


#: Where 975 levels of JSON once reached a recursion (a 500): ``DEEP`` marks the spot.
DEEP_BODIES = {
    "query conditions": (QUERY, '{"conditions": {"qty": {"$in": [DEEP]}}}'),
    "query fields": (QUERY, '{"fields": DEEP}'),
    "default values": (
        ATOTI_PATH + "/tables",
        '{"name": "t", "columns": {"a": "int"}, "defaultValues": {"a": DEEP}}',
    ),
    "rows": (ATOTI_PATH + "/tables/trades/rows", '{"rows": [DEEP]}'),
    "credentials": (ATOTI_PATH + "/security/basic/credentials", '{"eve": DEEP}'),
}


@pytest.mark.parametrize("where", list(DEEP_BODIES))
def test_json_nested_975_levels_is_a_400_not_a_500(where: str) -> None:
    path, template = DEEP_BODIES[where]
    body = template.replace("DEEP", "[" * 970 + "]" * 970)  # text: json.dumps would recurse
    method = "PUT" if "security" in path else "POST"
    with FakeServer(BASE) as server:
        response = raw(
            method,
            server.url + path,
            content=body,
            headers={"Content-Type": "application/json"},
            auth=("admin", "admin-pass"),
        )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == (
        "the body nests arrays and objects more than 64 levels deep (limits.max_json_depth)"
    )


def test_the_deepest_json_a_target_may_allow_is_answered() -> None:
    config = BASE.replace(limits=Limits(max_json_depth=JSON_DEPTH_CEILING))
    levels = JSON_DEPTH_CEILING - 2  # the body object, then the conditions object
    with FakeServer(config) as server:
        answer = admin_post(server, QUERY, {"conditions": nested(levels), "fields": ["id"]})
        too_deep = admin_post(server, QUERY, {"conditions": nested(levels + 1), "fields": ["id"]})
    assert answer.status_code == 200 and answer.json()["rows"] == [[1]]
    assert too_deep.status_code == 400
    assert f"more than {JSON_DEPTH_CEILING} levels deep" in too_deep.json()["error"]


def test_rows_as_objects_mean_the_same_in_a_config_and_on_the_wire() -> None:
    columns = {"name": "String", "city": "String", "age": "int"}
    objects = [{"name": "ann", "city": "Paris", "age": 30}, {"age": 41, "name": "bob"}]
    configured = TableSpec("people", columns, rows=tuple(objects))
    config = BASE.replace(tables=(*BASE.tables, configured, TableSpec("wire", columns)))
    with FakeServer(config) as server:
        sent = admin_post(server, ATOTI_PATH + "/tables/wire/rows", {"rows": objects})
        assert sent.status_code == 200
        unknown = admin_post(server, ATOTI_PATH + "/tables/wire/rows", {"rows": [{"town": "x"}]})
        answers = [
            admin_post(server, PIVOT_PATH + f"/database/data/tables/{name}", {}).json()["rows"]
            for name in ("people", "wire")
        ]
    assert answers[0] == answers[1] == [["ann", "Paris", 30], ["bob", "N/A", 41]]
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "table 'wire', row 0: no column 'town'"
    with pytest.raises(ValueError, match=r"table 'people'.rows\[0\]: no column 'town'"):
        TableSpec("people", columns, rows=({"town": "x"},))
