"""The data model as GraphQL sees it (``fakeserver.graphql.resolvers``): types, defaults, keys."""

from __future__ import annotations

from typing import Any

import pytest

from fakeserver import ServerConfig, TableSpec
from fakeserver.generations import dialect_for
from fakeserver.graphql import DATA_TYPES, run
from fakeserver.state import ServerState

EVERY_TYPE = TableSpec("Every", {f"c{i}": t for i, t in enumerate(DATA_TYPES)}, keys=("c2",))
SCHEMA = (
    '{ dataModel { database { table(name: "Every") { columns { name dataType defaultValue } } } } }'
)


def columns(server_version: str) -> list[dict[str, Any]]:
    target = ServerState(ServerConfig(tables=(EVERY_TYPE,)))
    result = run({"query": SCHEMA}, target, dialect_for(server_version), lambda: None)
    return list(result["data"]["dataModel"]["database"]["table"]["columns"])


def test_every_column_answers_its_wire_type_and_default() -> None:
    table = ServerState(ServerConfig(tables=(EVERY_TYPE,))).tables["Every"]
    expected = [
        {"name": c.name, "dataType": DATA_TYPES[c.type], "defaultValue": c.schema()["defaultValue"]}
        for c in table.columns
    ]
    assert columns("6.1.23") == expected
    assert {c["dataType"] for c in expected} == set(DATA_TYPES.values())


@pytest.mark.parametrize("atoti_type", list(DATA_TYPES), ids=list(DATA_TYPES))
def test_a_table_created_over_graphql_has_the_atoti_type(atoti_type: str) -> None:
    target = ServerState(ServerConfig(security=None))
    document = (
        "mutation($i: CreateInMemoryTableInput!) { createInMemoryTable(input: $i) { __typename } }"
    )
    variables = {
        "i": {
            "tableName": "T",
            "columns": [{"columnName": "c", "dataType": DATA_TYPES[atoti_type]}],
        }
    }
    result = run(
        {"query": document, "variables": variables}, target, dialect_for("6.1.23"), lambda: None
    )
    assert "errors" not in result
    assert target.tables["T"].column("c").type == atoti_type
