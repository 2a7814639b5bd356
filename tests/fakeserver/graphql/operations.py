"""The GraphQL operations each atoti-client release sends, as observed on the wire.

Recorded by running every release against the fake in its compatible state (the opt-in
``tox -e atoti-X`` environments, reading ``server.log``), then written down here in this
project's own words: what the client action is, the operation's name and variables, the
fields it selects (in our order, with our own fragment names where it uses fragments), and
the answer the fake must give for :data:`TRADES`. The default suite checks the schema and
the resolvers against them without atoti (``test_schema.py``, ``test_execution.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakeserver import CubeSpec, TableSpec

__all__ = ["OPERATIONS", "TRADES", "TRADES_CUBE", "Operation", "wrap"]

TRADES = TableSpec(
    "Trades",
    {"id": "int", "desk": "String", "qty": "double", "day": "LocalDate"},
    keys=("id",),
    rows=((1, "Equity", 10.5, "2024-01-02"), (2, "Rates", -2.25, None)),
)
TRADES_CUBE = CubeSpec("Trades", "Trades")


@dataclass(frozen=True)
class Operation:
    """One observed operation: ``selection`` sits under the tables' home (see :func:`wrap`)."""

    action: str  # the client call that sends it
    name: str | None
    selection: str  # our statement of what it selects
    expected: Any  # the answer under the tables' home (or the mutation's data)
    variables: dict[str, Any] = field(default_factory=dict)
    mutation: bool = False
    fragments: str = ""
    input_type: str = ""  # a mutation's ``$input`` type


def wrap(operation: Operation, dialect_database: bool, argument: str) -> str:
    """The whole document: ``dataModel(<argument>: $t) { [database {] ... [}] }``."""
    if operation.mutation:
        return f"mutation {operation.name or ''}{_declared(operation)} {{ {operation.selection} }}"
    inner = f"database {{ {operation.selection} }}" if dialect_database else operation.selection
    declared = _declared(operation, extra="$t: ID")
    body = f"dataModel({argument}: $t) {{ {inner} }}"
    return f"query {operation.name}{declared} {{ {body} }} {operation.fragments}"


def _declared(operation: Operation, extra: str = "") -> str:
    types = dict.fromkeys(("tableName", "columnName", "cubeName", "measureName"), "String!")
    declared = [f"${name}: {types[name]}" for name in operation.variables if name in types]
    if operation.mutation:
        declared = [f"$input: {operation.input_type}!"]
    declared += [extra] if extra else []
    return f"({', '.join(declared)})" if declared else ""


_COLUMNS = ["id", "desk", "qty", "day"]
_TYPES = {"id": "INT", "desk": "STRING", "qty": "DOUBLE", "day": "LOCAL_DATE"}
_DEFAULTS = {"id": 0, "desk": "N/A", "qty": 0.0, "day": None}

#: Reads every release from 0.9.4 on sends, wherever its dialect puts the tables.
READS: tuple[Operation, ...] = (
    Operation(
        "list(session.tables)", "GetTables", "tables { name }", {"tables": [{"name": "Trades"}]}
    ),
    Operation(
        "session.tables[name]",
        "FindTable",
        "table(name: $tableName) { __typename name }",
        {"table": {"__typename": "Table", "name": "Trades"}},
        {"tableName": "Trades"},
    ),
    Operation(
        "a table that does not exist",
        "FindTable",
        "table(name: $tableName) { name }",
        {"table": None},
        {"tableName": "Nope"},
    ),
    Operation(
        "list(table)",
        "GetTableColumns",
        "table(name: $tableName) { columns { name } }",
        {"table": {"columns": [{"name": c} for c in _COLUMNS]}},
        {"tableName": "Trades"},
    ),
    Operation(
        "table.keys",
        "GetTablePrimaryIndex",
        "table(name: $tableName) { primaryIndex { name } }",
        {"table": {"primaryIndex": [{"name": "id"}]}},
        {"tableName": "Trades"},
    ),
    Operation(
        "table[column] (0.9.8 on: with the column's table, through fragments)",
        "FindColumn",
        "table(name: $tableName) { column(name: $columnName) { ...col } }",
        {"table": {"column": {"name": "qty", "table": {"name": "Trades"}}}},
        {"tableName": "Trades", "columnName": "qty"},
        fragments="fragment col on Column { name table { ...tab } } fragment tab on Table { name }",
    ),
    Operation(
        "table[column].data_type",
        "GetColumnDataType",
        "table(name: $tableName) { column(name: $columnName) { dataType } }",
        {"table": {"column": {"dataType": "LOCAL_DATE"}}},
        {"tableName": "Trades", "columnName": "day"},
    ),
)


#: session.tables.schema: what differs is only how a default value is written.
def schema_read(typed_defaults: bool) -> Operation:
    def default(column: str) -> Any:
        value = _DEFAULTS[column]
        if typed_defaults and value is not None:
            atoti = {"INT": "int", "STRING": "String", "DOUBLE": "double"}[_TYPES[column]]
            return {"data_type": atoti, "value": value}
        return value

    columns = [{"name": c, "dataType": _TYPES[c], "defaultValue": default(c)} for c in _COLUMNS]
    return Operation(
        "session.tables.schema",
        "GetDatabaseSchema",
        "tables { name primaryIndex { name } columns { name dataType defaultValue } "
        "joins { isPartial targetOptionality target { name } "
        "mappingItems { source { name } target { name } } } }",
        {
            "tables": [
                {
                    "name": "Trades",
                    "primaryIndex": [{"name": "id"}],
                    "columns": columns,
                    "joins": [],
                }
            ]
        },
    )


#: cube.measures and query_mdx (0.9.10 on): measures are read over GraphQL too.
MEASURES: tuple[Operation, ...] = (
    Operation(
        "cube.measures",
        "GetMeasures",
        "cube(name: $cubeName) { measures { name } }",
        {"cube": {"measures": [{"name": "contributors.COUNT"}, {"name": "qty.SUM"}]}},
        {"cubeName": "Trades"},
    ),
    Operation(
        "cube.measures[name]",
        "FindMeasure",
        "cube(name: $cubeName) { measure(name: $measureName) { name } }",
        {"cube": {"measure": {"name": "qty.SUM"}}},
        {"cubeName": "Trades", "measureName": "qty.SUM"},
    ),
)

#: The writes, per mutation shape: (create a table, drop it), in the client's input words.
WRITES: dict[str, tuple[Operation, Operation]] = {
    "identifier": (
        Operation(
            "session.create_table (0.9.4, 0.9.5)",
            "CreateTable",
            "made: createTable(input: $input) { table { name } }",
            {"made": {"table": {"name": "New"}}},
            {
                "input": {
                    "tableIdentifier": {"tableName": "New"},
                    "dataTypes": [{"columnName": "k", "dataType": "INT"}],
                    "primaryIndex": ["k"],
                    "defaultValues": [],
                    "partitioning": None,
                }
            },
            mutation=True,
            input_type="CreateTableInput",
        ),
        Operation(
            "del session.tables[name] (0.9.4, 0.9.5)",
            "DeleteTable",
            "gone: deleteTable(input: $input) { tables { name } }",
            {"gone": {"tables": [{"name": "Trades"}]}},
            {"input": {"tableIdentifier": {"tableName": "New"}}},
            mutation=True,
            input_type="DeleteTableInput",
        ),
    ),
    "named": (
        Operation(
            "session.create_table (0.9.6, 0.9.7)",
            "UpdateTables",
            "createTable_0: createTable(input: $input) { __typename }",
            {"createTable_0": {"__typename": "CreateTablePayload"}},
            {
                "input": {
                    "tableName": "New",
                    "columns": [{"columnName": "k", "dataType": "INT"}],
                    "primaryIndex": ["k"],
                    "dataModelTransactionId": None,
                }
            },
            mutation=True,
            input_type="CreateTableInput",
        ),
        Operation(
            "del session.tables[name] (0.9.6, 0.9.7)",
            "DeleteTables",
            "deleteTable_0: deleteTable(input: $input) { __typename }",
            {"deleteTable_0": {"__typename": "DeleteTablePayload"}},
            {"input": {"tableName": "New"}},
            mutation=True,
            input_type="DeleteTableInput",
        ),
    ),
    "in-memory": (
        Operation(
            "session.create_table (0.9.8 on)",
            None,
            "createInMemoryTable(input: $input) { __typename }",
            {"createInMemoryTable": {"__typename": "CreateInMemoryTableOutput"}},
            {
                "input": {
                    "tableName": "New",
                    "columns": [{"columnName": "k", "dataType": "INT"}],
                    "primaryIndex": ["k"],
                }
            },
            mutation=True,
            input_type="CreateInMemoryTableInput",
        ),
        Operation(
            "del session.tables[name] (0.9.8 on)",
            None,
            "deleteTable(input: $input) { status }",
            {"deleteTable": {"status": "DELETED"}},
            {"input": {"tableName": "New"}},
            mutation=True,
            input_type="DeleteTableInput",
        ),
    ),
}

#: session.create_cube (6.2 on), on the table ``New`` the create above made.
CREATE_CUBE = Operation(
    "session.create_cube (6.2 on)",
    None,
    "createCube(input: $input) { __typename }",
    {"createCube": {"__typename": "CreateCubeOutput"}},
    {
        "input": {
            "cubeName": "Cube2",
            "factTableName": "Trades",
            "applicationName": "Cube2",
            "catalogNames": ["atoti"],
            "feeding": "ENABLED",
            "hierarchies": "AUTO",
            "measures": "AUTO",
        }
    },
    mutation=True,
    input_type="CreateCubeInput",
)

OPERATIONS = {"reads": READS, "measures": MEASURES, "writes": WRITES, "cube": CREATE_CUBE}
