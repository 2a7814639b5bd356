"""Every answer is strict JSON, even when a double holds NaN or an infinity (issue 13).

Atoti's double columns can hold NaN and ±Infinity, and a SUM can overflow to Infinity. JSON
has no such numbers: the fake answers them as Java's Jackson writes them by default, the
strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``. Each answer here is parsed by a
parser that refuses the bare tokens Python's ``json`` would otherwise write and read back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakeserver import CubeSpec, FakeServer, ServerConfig, TableSpec
from fakeserver.protocol import ATOTI_PATH, GRAPHQL_PATH, GRAPHQL_RESPONSE_TYPE, PIVOT_PATH

from ..conftest import SECURITY

ODD = TableSpec(
    "odd",
    {"id": "int", "x": "double", "f": "float"},
    keys=("id",),
    rows=(
        (1, math.nan, 1.0),
        (2, math.inf, 2.0),
        (3, -math.inf, 3.0),
        (4, 1e308, math.inf),
        (5, 1e308, 5.0),
    ),
    default_values={"x": math.nan},
)
#: The cells the issue names, as a CSV Atoti would load: nan, inf, and a literal past a double.
CSV = "id,x,f\n6,nan,1\n7,inf,2\n8,-1e999,3\n"
CONFIG = ServerConfig(
    security=SECURITY,
    tables=(ODD,),
    cubes=(CubeSpec("Odd", "odd"),),
    cloud_files={"s3://bucket/odd.csv": CSV},
)


def strict(text: str) -> Any:
    """JSON as a strict parser (Java's, JavaScript's) reads it: no NaN, no Infinity."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with FakeServer(CONFIG) as server:
        with httpx.Client(base_url=server.url, auth=("admin", "admin-pass")) as client:
            yield client


def answer(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    assert response.headers["content-type"] == "application/json"
    return strict(response.text)


def test_table_queries_answer_java_names(http: httpx.Client) -> None:
    rows = answer(http.post(PIVOT_PATH + "/database/data/tables/odd", json={}))["rows"]
    assert rows == [
        [1, "NaN", 1.0],
        [2, "Infinity", 2.0],
        [3, "-Infinity", 3.0],
        [4, 1e308, "Infinity"],
        [5, 1e308, 5.0],
    ]


def test_loaded_csv_cells_and_defaults_too(http: httpx.Client) -> None:
    loaded = http.post(
        ATOTI_PATH + "/tables/odd/load", json={"format": "csv", "source": "s3://bucket/odd.csv"}
    )
    schema = answer(loaded)
    assert schema["columns"][1]["defaultValue"] == "NaN"
    rows = answer(
        http.post(PIVOT_PATH + "/database/data/tables/odd", json={"conditions": {"id": {"$gt": 5}}})
    )["rows"]
    assert rows == [[6, "NaN", 1.0], [7, "Infinity", 2.0], [8, "-Infinity", 3.0]]
    discovery = answer(http.get(PIVOT_PATH + "/database/discovery"))
    assert discovery["tables"][0]["columns"][1]["defaultValue"] == "NaN"


def test_mdx_cells_and_an_overflowing_sum(http: httpx.Client) -> None:
    mdx = (
        "SELECT {[Measures].[x.SUM]} ON 0, [odd].[id].[id].Members ON 1 FROM (SELECT "
        "{[odd].[id].[AllMember].[4], [odd].[id].[AllMember].[5]} ON 0 FROM [Odd])"
    )
    cells = answer(http.post(PIVOT_PATH + "/cube/query/mdx", json={"mdx": mdx}))["cells"]
    assert [c["value"] for c in cells] == [1e308, 1e308]
    total = (
        "SELECT {[Measures].[x.SUM]} ON 0 FROM (SELECT {[odd].[id].[AllMember].[4], "
        "[odd].[id].[AllMember].[5]} ON 0 FROM [Odd])"
    )
    cell = answer(http.post(PIVOT_PATH + "/cube/query/mdx", json={"mdx": total}))["cells"][0]
    # formattedValue is DecimalFormat's, for the measure's DOUBLE[#,###.00]: the sign ∞.
    assert (cell["value"], cell["formattedValue"]) == ("Infinity", "\u221e")
    everything = answer(
        http.post(
            PIVOT_PATH + "/cube/query/mdx",
            json={
                "mdx": "SELECT {[Measures].[x.SUM]} ON 0, [odd].[id].[id].Members ON 1 FROM [Odd]"
            },
        )
    )
    values = [c["value"] for c in everything["cells"]]
    assert values[:3] == ["NaN", "Infinity", "-Infinity"]
    formatted = [c["formattedValue"] for c in everything["cells"]]
    assert formatted[:3] == ["NaN", "\u221e", "-\u221e"]


def test_every_read_route_answers_strict_json(http: httpx.Client) -> None:
    for path in ("/cube/discovery", "/database/discovery", "/ping"):
        response = http.get(PIVOT_PATH + path)
        assert response.status_code == 200
        if path != "/ping":
            answer(response)
    answer(http.get(ATOTI_PATH + "/tables"))
    answer(http.get(ATOTI_PATH + "/session"))


def test_graphql_answers_are_strict_json_too(http: httpx.Client) -> None:
    # Its own media type, the same one JSON-answer helper: a NaN default is "NaN" here too.
    query = '{ dataModel { table(name: "odd") { columns { name defaultValue } } } }'
    response = http.post(
        GRAPHQL_PATH, json={"query": query}, headers={"Accept": GRAPHQL_RESPONSE_TYPE}
    )
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_TYPE
    columns = strict(response.text)["data"]["dataModel"]["table"]["columns"]
    # This server's dialect types its defaults ({"data_type", "value"}).
    defaults = {c["name"]: c["defaultValue"]["value"] for c in columns}
    assert defaults == {"id": 0, "x": "NaN", "f": 0.0}
