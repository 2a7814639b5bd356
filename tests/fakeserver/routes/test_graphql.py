"""``POST /graphql`` over real sockets (``fakeserver.routes.graphql``): who may read and write.

Reads need what every read route needs (a 401 in the documented shape otherwise); writes
need ROLE_ADMIN on a secured target, and an unsecured target refuses them (SPEC §4.3) —
as GraphQL errors that name the rule, with the data unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fakeserver import FakeServer, ServerConfig

from ...conftest import SECURITY
from ..graphql.operations import TRADES, TRADES_CUBE
from ..wire import ADMIN, PLAIN, assert_error, basic

TABLES = "{ dataModel { database { tables { name } } } }"
CREATE = "mutation($i: CreateInMemoryTableInput!) { createInMemoryTable(input: $i) { __typename } }"
NEW = {"i": {"tableName": "New", "columns": [{"columnName": "k", "dataType": "INT"}]}}


@pytest.fixture
def target() -> Iterator[FakeServer]:
    config = ServerConfig.for_client(
        "0.9.16", security=SECURITY, tables=(TRADES,), cubes=(TRADES_CUBE,)
    )
    with FakeServer(config) as server:
        yield server


def post(server: FakeServer, body: object, **headers: str) -> httpx.Response:
    return httpx.post(server.url + "/graphql", json=body, headers=headers)


def test_a_reader_reads(target: FakeServer) -> None:
    response = post(target, {"query": TABLES}, **PLAIN)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "data": {"dataModel": {"database": {"tables": [{"name": "Trades"}]}}}
    }


def test_the_graphql_media_type_when_asked(target: FakeServer) -> None:
    accept = "application/graphql-response+json"
    response = post(target, {"query": TABLES}, Accept=accept, **PLAIN)
    assert response.headers["content-type"] == accept


@pytest.mark.parametrize(
    "headers",
    [{}, basic("admin", "wrong"), basic("ghost", "admin-pass"), {"Authorization": "Bearer nope"}],
    ids=["anonymous", "wrong-password", "unknown-user", "unknown-token"],
)
def test_wrong_credentials_are_the_documented_401(
    target: FakeServer, headers: dict[str, str]
) -> None:
    response = post(target, {"query": TABLES}, **headers)
    assert_error(response, 401, "/graphql")
    assert "WWW-Authenticate" in response.headers


def test_a_reader_may_not_write_and_nothing_changes(target: FakeServer) -> None:
    response = post(target, {"query": CREATE, "variables": NEW}, **PLAIN)
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["message"] == "access denied: ROLE_ADMIN is required"
    assert error["extensions"] == {"status": 403}
    assert list(target.state.tables) == ["Trades"]


def test_an_admin_writes(target: FakeServer) -> None:
    response = post(target, {"query": CREATE, "variables": NEW}, **ADMIN)
    assert response.json() == {
        "data": {"createInMemoryTable": {"__typename": "CreateInMemoryTableOutput"}}
    }
    assert sorted(target.state.tables) == ["New", "Trades"]


def test_an_unsecured_target_refuses_writes() -> None:
    config = ServerConfig.for_client("0.9.16", tables=(TRADES,))
    with FakeServer(config) as server:
        response = post(server, {"query": CREATE, "variables": NEW})
        [error] = response.json()["errors"]
        assert error["message"] == "live extension requires a secured target"
        assert list(server.state.tables) == ["Trades"]
        assert post(server, {"query": TABLES}).status_code == 200  # reads are anonymous


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"{not json", "the body is not valid JSON"), (b"[1]", "the body must be a JSON object")],
)
def test_a_body_that_is_not_a_json_object_is_a_400(
    target: FakeServer, content: bytes, message: str
) -> None:
    response = httpx.post(target.url + "/graphql", content=content, headers=PLAIN)
    assert message in str(assert_error(response, 400, "/graphql")["error"])


def test_get_is_not_allowed(target: FakeServer) -> None:
    assert_error(httpx.get(target.url + "/graphql", headers=PLAIN), 405, "/graphql")
