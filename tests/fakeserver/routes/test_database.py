"""The ``activeviam/database`` API (``fakeserver.routes.database``): listed by 6.1.11+ servers.

Its table queries and discovery answer exactly what the pivot API's do, from the same model.
"""

from __future__ import annotations

import httpx
import pytest

from fakeserver import FakeServer, ServerConfig
from fakeserver.protocol import DATABASE_PATH, PIVOT_PATH

from ...conftest import SECURITY
from ..graphql.operations import TRADES
from ..wire import PLAIN, assert_error


def listed(server: FakeServer) -> dict[str, object]:
    apis: dict[str, object] = httpx.get(server.url + "/versions/rest").json()["apis"]
    return apis


@pytest.mark.parametrize(
    ("client", "listed_there"),
    [("0.9.2", False), ("0.9.7", False), ("0.9.8", True), ("0.9.16", True), ("6.2.2", True)],
)
def test_listed_from_server_6_1_11_on(client: str, listed_there: bool) -> None:
    with FakeServer(ServerConfig.for_client(client)) as server:
        apis = listed(server)
        assert ("activeviam/database" in apis) is listed_there
        if listed_there:
            assert apis["activeviam/database"] == {
                "versions": [{"id": "1", "restPath": DATABASE_PATH}]
            }


def test_queries_and_discovery_equal_the_pivot_apis() -> None:
    config = ServerConfig.for_client("0.9.16", security=SECURITY, tables=(TRADES,))
    body = {"branch": None, "conditions": {"desk": {"$eq": "Equity"}}, "fields": ["id", "qty"]}
    with FakeServer(config) as server, httpx.Client(headers=PLAIN) as http:
        new = http.post(f"{server.url}{DATABASE_PATH}/data/tables/Trades", json=body)
        old = http.post(f"{server.url}{PIVOT_PATH}/database/data/tables/Trades", json=body)
        assert new.status_code == 200 and new.json() == old.json()
        assert new.json()["rows"] == [[1, 10.5]]
        discovery = http.get(f"{server.url}{DATABASE_PATH}/discovery").json()
        assert discovery == http.get(f"{server.url}{PIVOT_PATH}/database/discovery").json()
        missing = http.post(f"{server.url}{DATABASE_PATH}/data/tables/Nope", json=body)
        assert_error(missing, 404, f"{DATABASE_PATH}/data/tables/Nope")
        anonymous = httpx.get(f"{server.url}{DATABASE_PATH}/discovery")
        assert_error(anonymous, 401, f"{DATABASE_PATH}/discovery")
