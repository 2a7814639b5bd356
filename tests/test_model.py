"""The data model on its own: types, rows, conditions, seeded rows, CSV, sources, cubes."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeserver import ServerConfig, TableSpec
from fakeserver.model import (
    CsvOptions,
    Cube,
    DataError,
    Mismatch,
    Table,
    coerce,
    compile_condition,
    csv_rows,
    cube_discovery,
    generate_rows,
    infer_types,
    parse_text,
    read_source,
    to_json,
)
from fakeserver.state import ServerState

TYPES = {
    "id": "int",
    "name": "String",
    "big": "long",
    "price": "double",
    "ratio": "float",
    "ok": "boolean",
    "day": "LocalDate",
    "at": "LocalDateTime",
    "tags": "String[]",
}
ROW = [1, "a", 2**40, 1.5, 0.25, True, "2024-02-29", "2024-02-29T10:30:00", ["x", "y"]]


def table(**kwargs: Any) -> Table:
    return Table("t", TYPES, keys=("id",), **kwargs)


# -- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "given", "stored"),
    [
        ("String", "é", "é"),
        ("int", 7, 7),
        ("int", 7.0, 7),  # an integral float fits (clients often send 7.0)
        ("int", 2**31 - 1, 2**31 - 1),
        ("long", -(2**63), -(2**63)),
        ("double", 3, 3.0),
        ("float", 1.5, 1.5),
        ("boolean", False, False),
        ("LocalDate", "2024-01-31", dt.date(2024, 1, 31)),
        ("LocalDate", dt.date(2024, 1, 31), dt.date(2024, 1, 31)),
        ("LocalDateTime", "2024-01-31T23:59:59", dt.datetime(2024, 1, 31, 23, 59, 59)),
        ("int[]", [1, 2], (1, 2)),
        ("LocalDate[]", ["2024-01-01"], (dt.date(2024, 1, 1),)),
        ("double", None, None),
    ],
)
def test_coerce_accepts_values_that_fit(type_name: str, given: object, stored: object) -> None:
    assert coerce(type_name, given) == stored
    assert type(coerce(type_name, given)) is type(stored)


@pytest.mark.parametrize(
    ("type_name", "given", "reason"),
    [
        ("String", 3, "3 is not a String"),
        ("int", "3", "'3' is not an int"),
        ("int", 1.5, "1.5 is not an int"),
        ("int", True, "True is not an int"),
        ("int", 2**31, "out of the range of int"),
        ("long", 2**63, "out of the range of long"),
        ("float", 1e39, "out of the range of float"),
        ("double", 10**400, "out of the range of double"),
        ("double", "1.5", "'1.5' is not a double"),
        ("boolean", 1, "1 is not a boolean"),
        ("LocalDate", "2024-02-30", "is not a LocalDate"),
        ("LocalDate", dt.datetime(2024, 1, 1), "is not a LocalDate"),
        ("LocalDateTime", "2024-01-01T00:00:00+02:00", "has a time zone"),
        ("LocalDateTime", 5, "is not a LocalDateTime"),
        ("int[]", "1,2", "is not an int[]"),
        ("int[]", [1, None], "elements cannot be null"),
        ("int[]", [1, "x"], "'x' is not an int"),
    ],
)
def test_coerce_refuses_values_that_do_not_fit(type_name: str, given: object, reason: str) -> None:
    with pytest.raises(Mismatch, match=reason.replace("[", r"\[").replace("]", r"\]")):
        coerce(type_name, given)


def test_text_cells_parse_by_type() -> None:
    assert parse_text("int", " 42 ") == 42
    assert parse_text("double", "1e3") == 1000.0
    assert parse_text("boolean", "TRUE") is True
    assert parse_text("LocalDate", "2024-05-01") == dt.date(2024, 5, 1)
    assert parse_text("int[]", "1;2;3") == (1, 2, 3)
    assert parse_text("int[]", "1|2", array_separator="|") == (1, 2)
    assert parse_text("String", "") is None  # empty cells take the default
    for type_name, text in [("int", "1.5"), ("boolean", "yes"), ("int[]", "1;x"), ("long", "")]:
        if text:
            with pytest.raises(Mismatch):
                parse_text(type_name, text)


def test_to_json_round_trips_dates_and_arrays() -> None:
    assert to_json(dt.date(2024, 1, 2)) == "2024-01-02"
    assert to_json(dt.datetime(2024, 1, 2, 3, 4)) == "2024-01-02T03:04:00"
    assert to_json((dt.date(2024, 1, 2), 3)) == ["2024-01-02", 3]
    assert to_json("x") == "x"


# -- tables ----------------------------------------------------------------------------------


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
        (lambda: Table("t", {"x": ["int"]}), r"\['int'\] is not an Atoti type"),
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


# -- conditions ----------------------------------------------------------------------------


@pytest.fixture
def people() -> Table:
    t = Table(
        "p",
        {"id": "int", "name": "String", "age": "int", "day": "LocalDate", "tags": "int[]"},
        keys=("id",),
    )
    t.upsert(
        t.prepare(
            [
                [1, "ann", 30, "2024-01-01", [1]],
                [2, "bob", 40, "2024-06-01", [2]],
                [3, "cy", 50, None, None],
            ]
        )
    )
    return t


def ids(t: Table, condition: object) -> list[int]:
    predicate = compile_condition(t, condition)
    return [row[0] for row in t.rows() if predicate(row)]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({}, [1, 2, 3]),
        (None, [1, 2, 3]),
        ({"name": "bob"}, [2]),
        ({"age": {"$gt": 30, "$lte": 50}}, [2, 3]),
        ({"age": {"$gte": 40}, "name": {"$in": ["ann", "cy"]}}, [3]),
        ({"$or": [{"age": {"$lt": 35}}, {"name": "cy"}]}, [1, 3]),
        ({"$and": [{"age": {"$gt": 20}}, {"$not": {"name": "bob"}}]}, [1, 3]),
        ({"$not": {"age": {"$in": []}}}, [1, 2, 3]),
        ({"day": {"$lt": "2024-03-01"}}, [1]),  # null dates are never less than anything
        ({"day": None}, [3]),
        ({"day": {"$eq": None}}, [3]),
        ({"tags": [2]}, [2]),
        ({"age": 40.0}, [2]),
        # What atoti-client 0.9 sends for `(age >= 40) & (name != "bob")`.
        ({"$or": [{"$and": [{"age": {"$gte": 40}}, {"$not": {"name": "bob"}}]}]}, [3]),
    ],
)
def test_conditions_select_rows(people: Table, condition: object, expected: list[int]) -> None:
    assert ids(people, condition) == expected


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ([], "conditions: a condition is an object"),
        ({"$and": []}, r"conditions\.\$and: needs a non-empty list"),
        ({"$or": {"a": 1}}, r"conditions\.\$or: needs a non-empty list"),
        ({"$and": [{"age": 1}, 3]}, r"conditions\.\$and\[1\]: a condition is an object"),
        ({"$nor": []}, r"conditions\.\$nor: unknown operator"),
        ({"height": 3}, "table 'p' has no column 'height'"),
        ({"age": {"$regex": "x"}}, r"conditions\.age\.\$regex: unknown operator"),
        ({"age": {}}, r"conditions\.age: no operator given"),
        ({"age": {"$lt": "old"}}, r"conditions\.age\.\$lt: 'old' is not an int \(column 'age'"),
        ({"age": {"$in": 3}}, r"\$in: needs a list of values"),
        ({"age": {"$in": [1, "x"]}}, r"\$in\[1\]: 'x' is not an int"),
        ({"tags": {"$gt": [1]}}, "arrays cannot be ordered"),
        ({"age": {"$gte": None}}, "null cannot be ordered"),
        ({"$not": [1]}, r"conditions\.\$not: a condition is an object"),
    ],
)
def test_malformed_conditions_say_what_is_wrong(
    people: Table, condition: object, message: str
) -> None:
    with pytest.raises(DataError, match=message) as caught:
        compile_condition(people, condition)
    assert caught.value.status == 400


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


# -- seeded rows -----------------------------------------------------------------------------

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


# -- CSV -------------------------------------------------------------------------------------


def test_csv_maps_header_names_and_handles_quotes() -> None:
    t = table()
    text = 'name,id,tags\n"Doe, Jane",1,a;b\n\n"say ""hi""",2,\n'
    rows = csv_rows(t, text, CsvOptions())
    assert [(r[0], r[1], r[8]) for r in rows] == [
        (1, "Doe, Jane", ("a", "b")),
        (2, 'say "hi"', None),
    ]


def test_csv_options_and_their_errors() -> None:
    t = Table("s", {"a": "int", "b": "String"})
    rows = csv_rows(t, "1;x\n2;y\n", CsvOptions.from_json({"separator": ";", "header": False}))
    assert rows == [(1, "x"), (2, "y")]
    for options, message in [
        ({"sep": ";"}, "options.sep: unknown option"),
        ({"header": "yes"}, "options.header: must be a bool"),
        ({"separator": ";;"}, "options.separator: must be one character"),
        ({"encoding": "rot13"}, "options.encoding: unknown encoding 'rot13'"),
        ({"encoding": "no-such"}, "options.encoding: unknown encoding"),
        ([1], "options must be an object"),
    ]:
        with pytest.raises(DataError, match=message):
            CsvOptions.from_json(options)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,x\nz,y\n", r"table 's', row 1 \(CSV line 3\), column 'a': 'z' is not an int"),
        ("a,b\n1\n", r"row 0 \(CSV line 2\): 1 values for 2 header columns"),
        ("a,c\n1,2\n", "table 's' has no column 'c'"),
        ("a,a\n1,2\n", "repeated column names"),
        ("", "the CSV is empty"),
        ('a,b\n1,"x\n', "CSV line"),
    ],
)
def test_csv_errors_name_row_and_line(text: str, message: str) -> None:
    t = Table("s", {"a": "int", "b": "String"})
    with pytest.raises(DataError, match=message):
        csv_rows(t, text, CsvOptions())


def test_types_are_inferred_from_a_csv() -> None:
    text = (
        "i,l,d,b,day,at,s,empty\n1,5000000000,1.5,true,2024-01-01,2024-01-01T10:00:00,x,\n"
        "2,1,2,false,2024-01-02,2024-01-02T10:00:00,3,\n"
    )
    assert infer_types(text, CsvOptions()) == {
        "i": "int",
        "l": "long",
        "d": "double",
        "b": "boolean",
        "day": "LocalDate",
        "at": "LocalDateTime",
        "s": "String",
        "empty": "String",
    }
    with pytest.raises(DataError, match="needs a header row"):
        infer_types(text, CsvOptions(header=False))


# -- sources -------------------------------------------------------------------------------


def source(path: str | Path, root: Path, *, local: bool = True) -> str:
    return read_source(
        str(path), local_host=local, file_roots=(str(root),), cloud_files={"s3://b/k.csv": "a\n1\n"}
    )


def test_sources_under_the_roots_are_read(tmp_path: Path) -> None:
    (tmp_path / "ok.csv").write_text("a\n1\n")
    assert source(tmp_path / "ok.csv", tmp_path) == "a\n1\n"
    assert source("s3://b/k.csv", tmp_path, local=False) == "a\n1\n"


@pytest.mark.parametrize(
    ("make", "status", "message"),
    [
        (lambda p: str(p / "root" / ".." / "outside.csv"), 403, "uses '..'"),
        (lambda p: str(p / "outside.csv"), 403, "outside the server's file roots"),
        (lambda p: str(p / "root" / "link.csv"), 403, "outside the server's file roots"),
        (lambda p: str(p / "root" / "missing.csv"), 404, "no such file on the server"),
        (lambda p: str(p / "root"), 400, "it is a directory"),
        (lambda p: "relative.csv", 400, "not an absolute path"),
        (lambda p: str(p / "root" / "\ud800.csv"), 400, "not an absolute path"),
        (lambda p: str(p / "root" / ("x" * 300)), 400, "File name too long"),
        (lambda p: "s3://b/nope.csv", 404, "no such cloud object"),
        (lambda p: "http://example/x.csv", 400, "unsupported source scheme http://"),
        (lambda p: "", 400, "source must be"),
    ],
)
def test_sources_that_escape_or_do_not_exist_are_refused(
    tmp_path: Path, make: Any, status: int, message: str
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.csv").write_text("secret\n")
    os.symlink(tmp_path / "outside.csv", root / "link.csv")
    with pytest.raises(DataError, match=message) as caught:
        source(make(tmp_path), root)
    assert caught.value.status == status


def test_a_remote_host_cannot_see_files_that_exist(tmp_path: Path) -> None:
    (tmp_path / "ok.csv").write_text("a\n1\n")
    with pytest.raises(DataError) as remote:
        source(tmp_path / "ok.csv", tmp_path, local=False)
    with pytest.raises(DataError) as missing:
        source(tmp_path / "missing.csv", tmp_path)
    # Word for word what a missing file gets: the fake does not reveal the file is there.
    assert remote.value.status == missing.value.status == 404
    assert remote.value.message.replace("ok.csv", "X") == missing.value.message.replace(
        "missing.csv", "X"
    )


def test_symlinks_that_stay_inside_and_symlinked_roots_are_fine(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "data.csv").write_text("a\n1\n")
    os.symlink(real / "data.csv", real / "alias.csv")
    os.symlink(real, tmp_path / "rootlink")
    assert source(real / "alias.csv", real) == "a\n1\n"
    assert source(tmp_path / "rootlink" / "data.csv", tmp_path / "rootlink") == "a\n1\n"


def test_undecodable_files_are_a_400(tmp_path: Path) -> None:
    (tmp_path / "bin.csv").write_bytes(b"a\n\xff\n")
    with pytest.raises(DataError, match="is not utf-8 text"):
        source(tmp_path / "bin.csv", tmp_path)


# -- cubes -----------------------------------------------------------------------------------

# The fields atoti-client 0.9's discovery models require (pydantic, camelCase aliases).
REQUIRED = {
    "catalog": {"name", "cubes"},
    "cube": {"name", "defaultMembers", "dimensions", "measures"},
    "defaultMember": {"dimension", "hierarchy", "path", "captionPath"},
    "dimension": {"name", "caption", "type", "defaultHierarchy", "hierarchies"},
    "hierarchy": {"name", "caption", "slicing", "visible", "levels"},
    "level": {"name", "caption", "type"},
    "measure": {"name", "caption", "visible"},
}


def check_shape(discovery: dict[str, Any]) -> None:
    for catalog in discovery["catalogs"]:
        assert REQUIRED["catalog"] <= set(catalog)
        for cube in catalog["cubes"]:
            assert REQUIRED["cube"] <= set(cube)
            for member in cube["defaultMembers"]:
                assert REQUIRED["defaultMember"] <= set(member)
            for dimension in cube["dimensions"]:
                assert REQUIRED["dimension"] <= set(dimension)
                for hierarchy in dimension["hierarchies"]:
                    assert REQUIRED["hierarchy"] <= set(hierarchy)
                    for level in hierarchy["levels"]:
                        assert REQUIRED["level"] <= set(level)
            for measure in cube["measures"]:
                assert REQUIRED["measure"] <= set(measure)


def test_cubes_have_hierarchies_for_keys_and_strings_and_sums_for_numbers() -> None:
    t = Table(
        "trades",
        {"id": "int", "desk": "String", "qty": "int", "price": "double", "day": "LocalDate"},
        keys=("id",),
    )
    discovery = cube_discovery({"T": Cube("T", "trades")}, {"trades": t})
    check_shape(discovery)
    cube = discovery["catalogs"][0]["cubes"][0]
    dimension = cube["dimensions"][0]
    assert dimension["name"] == "trades" and dimension["defaultHierarchy"] == "id"
    assert [h["name"] for h in dimension["hierarchies"]] == ["id", "desk"]
    assert [lv["type"] for lv in dimension["hierarchies"][1]["levels"]] == ["ALL", "REGULAR"]
    assert [m["name"] for m in cube["measures"]] == ["contributors.COUNT", "qty.SUM", "price.SUM"]
    assert [m["hierarchy"] for m in cube["defaultMembers"]] == ["id", "desk"]


def test_a_cube_over_numbers_only_has_no_dimension() -> None:
    t = Table("n", {"x": "double"})
    cube = Cube("N", "n").discovery(t)
    check_shape({"catalogs": [{"name": "c", "cubes": [cube]}]})
    assert cube["dimensions"] == [] and [m["name"] for m in cube["measures"]][1:] == ["x.SUM"]


# -- no input makes anything but a DataError ----------------------------------------------

KEYS = st.sampled_from(
    [
        "$and",
        "$or",
        "$not",
        "$eq",
        "$lt",
        "$lte",
        "$gt",
        "$gte",
        "$in",
        "$nor",
        "id",
        "name",
        "age",
        "day",
        "tags",
        "x",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=5)
    | st.sampled_from(["2024-01-01", "ann", "", "2024-01-01T00:00:00"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=15,
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(condition=JSON)
def test_any_condition_compiles_and_runs_or_is_a_data_error(people: Table, condition: Any) -> None:
    try:
        predicate = compile_condition(people, condition)
    except DataError as error:
        assert error.status == 400 and error.message.startswith("conditions")
        return
    for row in people.rows():
        assert predicate(row) in (True, False)


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


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from('ab1,;"\n\r .-T:'), max_size=60))
def test_any_csv_loads_or_is_a_data_error(text: str) -> None:
    t = Table("s", {"a": "int", "b": "String"})
    try:
        types = infer_types("a,b\n" + text, CsvOptions())
        rows = csv_rows(t, "a,b\n" + text, CsvOptions())
    except DataError as error:
        assert error.status == 400
        return
    # A lone "\r" ends a record too, as in the csv module.
    records = len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    assert set(types) == {"a", "b"} and len(rows) <= records
