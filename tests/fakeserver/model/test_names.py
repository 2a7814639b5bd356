"""The one name rule: config, model and routes refuse the same names with the same words."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fakeserver import CubeSpec, FakeServer, TableSpec
from fakeserver.model import DataError, NameKind, Table, check_name
from fakeserver.protocol import ATOTI_PATH

from ...datasets import BASE, raw

#: Refused for every kind of name ("a\n": what a ``$``-anchored pattern alone lets by).
BAD = ["", "a:b", ":", "a\n", "\ttab", "nul\x00", "\x7f", "\x85", "\u2028", "nbsp\xa0"]
#: Refused for tables only: their names are URL path segments.
BAD_SEGMENTS = ["a/b", "/", ".", ".."]
KINDS: tuple[NameKind, ...] = ("table", "column", "cube", "user")
GOOD = ["t", "trades 2024", "é", "a.b", "...", "x" * 300, "[x]", "a-b_c"]


def problem(message: str) -> str:
    """A message without its leading ``field: ``, which differs between config and wire."""
    return message.partition(": ")[2]


@pytest.mark.parametrize("name", GOOD)
def test_good_names_pass_for_every_kind(name: str) -> None:
    for kind in KINDS:
        assert check_name("name", name, kind=kind) == name


@pytest.mark.parametrize("name", ["P/L", "EUR/USD", ".", ".."])
def test_only_table_names_are_url_segments(name: str) -> None:
    for kind in ("column", "cube", "user"):
        assert check_name("name", name, kind=kind) == name
    with pytest.raises(DataError, match="is not a table name"):
        check_name("name", name, kind="table")


@pytest.mark.parametrize("name", [*BAD, None, 3, ["a"]], ids=repr)
def test_bad_names_are_400s_naming_field_and_kind(name: object) -> None:
    for kind in KINDS:
        with pytest.raises(DataError, match=rf"^where: .* is not a {kind} name \(") as caught:
            check_name("where", name, kind=kind)
        assert caught.value.status == 400 and isinstance(caught.value, ValueError)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer(BASE) as server:
        yield server


def post(server: FakeServer, path: str, body: object) -> httpx.Response:
    return raw("POST", server.url + ATOTI_PATH + path, json=body, auth=("admin", "admin-pass"))


def refused(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    message: str = response.json()["error"]
    return message


@pytest.mark.parametrize("name", [*BAD, *BAD_SEGMENTS], ids=repr)
def test_config_and_create_table_refuse_the_same_table_names(server: FakeServer, name: str) -> None:
    with pytest.raises(ValueError, match=r"^table\.name: ") as config:
        TableSpec(name, {"a": "int"})
    assert type(config.value) is ValueError  # config mistakes stay plain ValueErrors
    with pytest.raises(DataError) as model:
        Table(name, {"a": "int"})
    wire = refused(post(server, "/tables", {"name": name, "columns": {"a": "int"}}))
    assert wire == model.value.message
    assert problem(wire) == problem(str(config.value))
    assert name not in server.state.tables


@pytest.mark.parametrize("name", BAD, ids=repr)
def test_config_and_create_table_refuse_the_same_column_names(
    server: FakeServer, name: str
) -> None:
    with pytest.raises(ValueError) as config:
        TableSpec("fresh", {name: "int"})
    wire = refused(post(server, "/tables", {"name": "fresh", "columns": {name: "int"}}))
    assert wire == str(config.value)
    assert wire.startswith("table 'fresh'.columns: ") and " is not a column name " in wire


@pytest.mark.parametrize("name", BAD, ids=repr)
def test_config_and_create_cube_refuse_the_same_cube_names(server: FakeServer, name: str) -> None:
    with pytest.raises(ValueError, match=r"^cube\.name: ") as config:
        CubeSpec(name, "trades")
    wire = refused(post(server, "/cubes", {"table": "trades", "name": name}))
    assert wire.startswith("name: ") and problem(wire) == problem(str(config.value))
    assert name not in server.state.cubes


def test_slashes_pass_in_columns_and_cubes_everywhere(server: FakeServer) -> None:
    assert TableSpec("pnl", {"P/L": "double"}).columns == {"P/L": "double"}
    assert CubeSpec("P/L", "pnl").name == "P/L"
    created = post(server, "/tables", {"name": "pnl", "columns": {"P/L": "double"}})
    assert created.status_code == 201, created.text
    cube = post(server, "/cubes", {"table": "pnl", "name": "P/L"})
    assert cube.status_code == 201, cube.text
    assert [m["name"] for m in cube.json()["measures"]] == ["contributors.COUNT", "P/L.SUM"]
