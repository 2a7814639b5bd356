"""One GraphQL request end to end (``fakeserver.graphql.execution``), in-process.

Every operation observed on the wire (``operations.py``) runs against the dialect of every
server generation that speaks it, and answers what the data model holds; documents that
are malformed, unknown to the dialect, or too big get GraphQL errors, and change nothing.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from fakeserver import ServerConfig, TableSpec
from fakeserver.errors import FakeHTTPError
from fakeserver.generations import DIALECTS, Dialect, dialect_for
from fakeserver.graphql import resolvers, run
from fakeserver.limits import Limits
from fakeserver.state import ServerState

from .operations import CREATE_CUBE, MEASURES, READS, TRADES, TRADES_CUBE, WRITES, schema_read, wrap


def state(**fields: Any) -> ServerState:
    return ServerState(ServerConfig(tables=(TRADES,), cubes=(TRADES_CUBE,), **fields))


def allowed() -> None:
    """The write check of an admin on a secured target: nothing to refuse."""


def refused() -> None:
    raise FakeHTTPError(403, "access denied: ROLE_ADMIN is required")


def answer(
    target: ServerState,
    dialect: Dialect,
    document: str,
    variables: Any = None,
    check: Any = allowed,
) -> dict[str, Any]:
    body = {"query": document, "variables": variables, "operationName": None}
    return run(body, target, dialect, check)


def read(dialect: Dialect, operation: Any, target: ServerState | None = None) -> Any:
    document = wrap(operation, dialect.database, dialect.transaction_argument)
    result = answer(target or state(), dialect, document, {**operation.variables, "t": None})
    assert "errors" not in result, result
    model = result["data"]["dataModel"]
    return model["database"] if dialect.database else model


DIALECT_IDS = [d.name for d in DIALECTS]


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
@pytest.mark.parametrize("operation", READS, ids=[f"{o.name}:{o.action}" for o in READS])
def test_every_observed_read_answers_from_the_model(dialect: Dialect, operation: Any) -> None:
    assert read(dialect, operation) == operation.expected


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_the_schema_read_writes_defaults_as_the_dialect_does(dialect: Dialect) -> None:
    operation = schema_read(dialect.typed_defaults)
    assert read(dialect, operation) == operation.expected


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
@pytest.mark.parametrize("operation", MEASURES, ids=[o.name for o in MEASURES])
def test_measures_are_the_cube_discovery_ones(dialect: Dialect, operation: Any) -> None:
    document = wrap(operation, False, dialect.transaction_argument)
    result = answer(state(), dialect, document, {**operation.variables, "t": None})
    assert result == {"data": {"dataModel": operation.expected}}


def test_a_read_sees_rows_written_by_rest_and_the_other_way_round() -> None:
    target = state()
    dialect = dialect_for("6.1.23")
    [find_columns] = [o for o in READS if o.name == "GetTableColumns"]
    target.tables["Trades"].upsert(target.tables["Trades"].prepare([[3, "FX", 1.0, None]]))
    assert read(dialect, find_columns, target) == find_columns.expected  # columns, not rows
    assert len(target.tables["Trades"]) == 3


def test_the_transaction_argument_is_the_dialects_own() -> None:
    [tables] = READS[:1]
    old, new = dialect_for("6.1.6"), dialect_for("6.1.8")
    wrong = wrap(tables, True, new.transaction_argument)
    result = answer(state(), old, wrong, {"t": None})
    assert "Unknown argument 'transactionId'" in result["errors"][0]["message"]
    assert "data" not in result


# -- writes ---------------------------------------------------------------------------------


def writes_of(dialect: Dialect) -> tuple[Any, Any]:
    return WRITES[dialect.mutations]


def mutate(target: ServerState, dialect: Dialect, operation: Any, check: Any = allowed) -> Any:
    document = wrap(operation, dialect.database, dialect.transaction_argument)
    return answer(target, dialect, document, operation.variables, check)


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_create_then_drop_a_table(dialect: Dialect) -> None:
    target = state()
    create, drop = writes_of(dialect)
    assert mutate(target, dialect, create) == {"data": create.expected}
    made = target.tables["New"]
    assert made.schema() == {
        "name": "New",
        "columns": [{"name": "k", "type": "int", "defaultValue": 0, "nullable": False}],
        "keys": ["k"],
    }
    assert mutate(target, dialect, drop) == {"data": drop.expected}
    assert list(target.tables) == ["Trades"]


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_a_refused_write_changes_nothing(dialect: Dialect) -> None:
    target = state()
    create, _ = writes_of(dialect)
    result = mutate(target, dialect, create, refused)
    [error] = result["errors"]
    assert error["message"] == "access denied: ROLE_ADMIN is required"
    assert error["extensions"] == {"status": 403}
    assert list(target.tables) == ["Trades"]


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_a_write_of_another_dialect_is_a_validation_error(dialect: Dialect) -> None:
    others = [WRITES[m][0] for m in WRITES if m != dialect.mutations]
    for create in others:
        named = "tableName" in create.variables["input"]
        if dialect.mutations == "in-memory" and named:
            continue  # 6.1.11 still takes 6.1.8's createTable
        result = mutate(state(), dialect, create)
        assert result.get("errors"), (dialect.name, create.action)
        assert result.get("data") is None


def test_a_mutation_is_applied_whole_or_not_at_all() -> None:
    dialect = dialect_for("6.1.23")
    target = state()
    document = (
        "mutation($a: CreateInMemoryTableInput!, $b: CreateInMemoryTableInput!) "
        "{ one: createInMemoryTable(input: $a) { __typename } "
        "two: createInMemoryTable(input: $b) { __typename } }"
    )
    good = {"tableName": "Fresh", "columns": [{"columnName": "k", "dataType": "INT"}]}
    taken = {"tableName": "Trades", "columns": [{"columnName": "k", "dataType": "INT"}]}
    result = answer(target, dialect, document, {"a": good, "b": taken})
    assert result["errors"][0]["message"] == "a table named 'Trades' already exists"
    assert result["errors"][0]["extensions"] == {"status": 409}
    assert list(target.tables) == ["Trades"]  # "Fresh" was made, then undone


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ([{"columnName": "k", "dataType": "INT"}] * 2, "column 'k' is given twice"),
        ([], "columns must map at least one column name to a type"),
    ],
)
def test_bad_table_definitions_are_graphql_errors(columns: Any, message: str) -> None:
    dialect = dialect_for("6.1.23")
    create, _ = writes_of(dialect)
    variables = {"input": {**create.variables["input"], "columns": columns}}
    document = wrap(create, True, dialect.transaction_argument)
    result = answer(state(), dialect, document, variables)
    assert message in result["errors"][0]["message"]
    assert result["errors"][0]["extensions"]["status"] == 400


def test_the_drop_of_a_cubes_table_is_a_conflict() -> None:
    dialect = dialect_for("6.1.23")
    _, drop = writes_of(dialect)
    document = wrap(drop, True, dialect.transaction_argument)
    result = answer(state(), dialect, document, {"input": {"tableName": "Trades"}})
    assert result["errors"][0]["extensions"] == {"status": 409}


def test_cubes_are_created_over_graphql_from_6_2_on() -> None:
    target = state()
    dialect = dialect_for("6.2.2")
    assert mutate(target, dialect, CREATE_CUBE) == {"data": CREATE_CUBE.expected}
    assert target.cubes["Cube2"].table == "Trades"
    again = mutate(target, dialect, CREATE_CUBE)
    assert again["errors"][0]["message"] == "a cube named 'Cube2' already exists"
    older = mutate(state(), dialect_for("6.1.23"), CREATE_CUBE)
    assert "createCube" in older["errors"][-1]["message"]


# -- requests a real server refuses -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, 'the body must hold the document as a string: {"query": "..."}'),
        ({"query": 3}, "the body must hold the document as a string"),
        ({"query": "{ dataModel { cubes { name } } }", "operationName": 1}, "operationName"),
        ({"query": "{ dataModel { cubes { name } } }", "variables": [1]}, "variables must be"),
        ({"query": "query {"}, "Syntax Error"),
        ({"query": "{ dataModel { secrets } }"}, "Cannot query field 'secrets'"),
        ({"query": "query Q($n: String!) { dataModel { cube(name: $n) { name } } }"}, "$n"),
        (
            {
                "query": "query Q($n: String!) { dataModel { cube(name: $n) { name } } }",
                "variables": {"n": 5},
            },
            "String cannot represent a non string value",
        ),
        ({"query": "query A { __typename } query B { __typename }"}, "operation name"),
    ],
    ids=[
        "no-query",
        "query-not-string",
        "operation-name",
        "variables-list",
        "syntax",
        "unknown-field",
        "missing-variable",
        "wrong-variable",
        "ambiguous",
    ],
)
def test_malformed_requests_are_graphql_errors(body: dict[str, Any], message: str) -> None:
    result = run(body, state(), dialect_for("6.1.2"), allowed)
    assert set(result) <= {"errors", "data"} and result.get("data") is None
    assert any(message in e["message"] for e in result["errors"]), result


def limited(**limits: int) -> ServerState:
    return state(limits=Limits(**limits))


def test_the_document_size_is_bounded() -> None:
    document = "{ dataModel { cubes { name } } }" + " " * 200
    result = run({"query": document}, limited(max_graphql_chars=100), DIALECTS[0], allowed)
    assert result == {
        "errors": [
            {
                "message": f"the document has {len(document)} characters; the limit is 100 "
                "(limits.max_graphql_chars)"
            }
        ]
    }


def test_the_depth_is_bounded_fragments_included() -> None:
    document = (
        "{ dataModel { tables { ...c } } } fragment c on Table { columns { table { name } } }"
    )
    ok = run({"query": document}, limited(max_graphql_depth=5), DIALECTS[0], allowed)
    assert "errors" not in ok
    deep = run({"query": document}, limited(max_graphql_depth=4), DIALECTS[0], allowed)
    assert deep["errors"][0]["message"].startswith("the document is nested deeper than 4")


def test_the_fields_are_bounded_aliases_and_fragments_expanded() -> None:
    # Each level doubles the fields a fragment expands to: 2**12 from a short document.
    fragments = " ".join(
        f"fragment f{i} on DataModel {{ a: __typename ...f{i + 1} b: __typename ...f{i + 1} }}"
        for i in range(12)
    )
    document = "{ dataModel { ...f0 } } " + fragments + " fragment f12 on DataModel { __typename }"
    result = run({"query": document}, state(), DIALECTS[0], allowed)
    message = result["errors"][0]["message"]
    assert message == (
        "the document selects more than 2000 fields, fragments expanded (limits.max_graphql_fields)"
    )


def test_cyclic_fragments_are_a_validation_error_not_a_hang() -> None:
    document = (
        "{ dataModel { ...a } } fragment a on DataModel { ...b } fragment b on DataModel { ...a }"
    )
    result = run({"query": document}, state(), DIALECTS[0], allowed)
    assert "Cannot spread fragment" in result["errors"][0]["message"]


def cyclic(levels: int) -> str:
    """A column names its table, which lists its columns: each level multiplies the answer
    by the column count, from a document of a few dozen fields."""
    inner = "name"
    for _ in range(levels):
        inner = f"columns {{ table {{ {inner} }} }}"
    return "{ dataModel { tables { " + inner + " } } }"


def test_the_values_of_an_answer_are_bounded_not_only_the_documents_fields() -> None:
    # 8 columns, 6 levels (depth 15): 8**6 = 262,144 names (and as many tables), from a
    # document of 15 fields; 4 aliases of it, a million. Refused once the limit is reached.
    wide = TableSpec("Wide", {f"c{i}": "int" for i in range(8)})
    target = ServerState(ServerConfig(tables=(wide,)))
    result = run({"query": cyclic(6)}, target, DIALECTS[0], allowed)
    assert result == {"errors": [{"message": VALUES_REFUSAL.format(limit=100_000)}]}
    # Counted as resolved: dataModel, tables, name (one table).
    small = "{ dataModel { tables { name } } }"
    assert run({"query": small}, limited(max_graphql_values=3), DIALECTS[0], allowed) == {
        "data": {"dataModel": {"tables": [{"name": "Trades"}]}}
    }
    beyond = run({"query": small}, limited(max_graphql_values=2), DIALECTS[0], allowed)
    assert beyond == {"errors": [{"message": VALUES_REFUSAL.format(limit=2)}]}


VALUES_REFUSAL = (
    "the answer would hold more than {limit:,} values (fields resolved, in every list item): "
    "limits.max_graphql_values"
)


def test_a_mutation_whose_answer_is_too_large_changes_nothing() -> None:
    dialect = dialect_for("6.1.23")
    target = state(limits=Limits(max_graphql_values=20))
    document = (
        "mutation($a: CreateInMemoryTableInput!) { createInMemoryTable(input: $a) "
        "{ table { columns { table { columns { table { columns { name } } } } } } } }"
    )
    columns = [{"columnName": f"c{i}", "dataType": "INT"} for i in range(5)]
    result = answer(target, dialect, document, {"a": {"tableName": "Fresh", "columns": columns}})
    assert result == {"errors": [{"message": VALUES_REFUSAL.format(limit=20)}]}
    assert list(target.tables) == ["Trades"]


def lock_is_free(lock: Any) -> bool:
    """Whether another thread could take ``lock`` now (an RLock is its owner's to re-take)."""
    taken: list[bool] = []

    def attempt() -> None:
        if lock.acquire(blocking=False):
            taken.append(True)
            lock.release()

    probe = threading.Thread(target=attempt)
    probe.start()
    probe.join()
    return bool(taken)


def test_reads_resolve_outside_the_data_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    # A read may walk many values: holding the data lock meanwhile would stall every REST
    # query, discovery and write of the other clients (ARCHITECTURE: lookups only).
    target = state()
    seen: list[bool] = []
    original = resolvers._Table.__init__

    def recording(self: Any, *args: Any) -> None:
        seen.append(lock_is_free(target.lock))
        original(self, *args)

    monkeypatch.setattr(resolvers._Table, "__init__", recording)
    result = run({"query": "{ dataModel { tables { name } } }"}, target, DIALECTS[0], allowed)
    assert "errors" not in result
    assert seen == [True]
