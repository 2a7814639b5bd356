"""``POST {pivot}/cube/query/mdx`` over real sockets: every supported form, every refusal.

Every expected number is computed from ``TRADES`` / ``DAILY`` with plain Python
(:mod:`tests.fakeserver.mdx.trades`), never read back from the fake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from fakeserver import CubeSpec, FakeServer, Limits, ServerConfig, TableSpec
from fakeserver.mdx import MAX_NESTING, decimal_format

from ..mdx.trades import (
    CONFIG,
    DAILY,
    DESKS,
    GENERATED,
    ROWS,
    SUM,
    TOO_DEEP,
    TRADES,
    UNSUPPORTED,
    Row,
    count,
    decode,
    equal,
    grouped,
    nested,
    positions,
    subselects,
    total,
)

PIVOT = "/activeviam/pivot/rest/v9"
MDX_PATH = f"{PIVOT}/cube/query/mdx"


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer(CONFIG) as running:
        yield running


@pytest.fixture
def http(server: FakeServer) -> Iterator[httpx.Client]:
    server.reset()
    with httpx.Client(base_url=server.url, auth=("reader", "reader-pass")) as client:
        yield client


def query(http: httpx.Client, mdx: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    response = http.post(MDX_PATH, json={"mdx": mdx, "context": context or {}})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def refused(http: httpx.Client, mdx: str) -> str:
    response = http.post(MDX_PATH, json={"mdx": mdx, "context": {}})
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body == {"error": body["error"], "path": MDX_PATH, "status": 400}
    message: str = body["error"]
    return message


# -- over HTTP: every supported form against independent numbers ---------------------------------


def test_grand_total_of_each_measure_and_cell_set_shape(http: httpx.Client) -> None:
    cellset = query(
        http,
        "SELECT {[Measures].[qty.SUM], [Measures].[contributors.COUNT], [Measures].[n.SUM]} "
        "ON COLUMNS FROM [Trades]",
        context={"queriesTimeLimit": 30},
    )
    assert set(cellset) == {"cube", "axes", "cells", "defaultMembers"}
    assert cellset["cube"] == "Trades"
    [axis] = cellset["axes"]
    assert axis["id"] == 0
    assert axis["hierarchies"] == [{"dimension": "Measures", "hierarchy": "Measures"}]
    assert axis["maxLevelPerHierarchy"] == [1]
    assert [p[0]["captionPath"] for p in axis["positions"]] == [
        ["qty.SUM"],
        ["contributors.COUNT"],
        ["n.SUM"],
    ]
    values = [c["value"] for c in sorted(cellset["cells"], key=lambda c: c["ordinal"])]
    assert values == [pytest.approx(total("qty")), len(TRADES), total("n")]
    assert isinstance(values[1], int) and isinstance(values[2], int)  # long sums stay whole
    assert all(c["properties"] == {} for c in cellset["cells"])
    measures_default = {
        "dimension": "Measures",
        "hierarchy": "Measures",
        "path": ["contributors.COUNT"],
        "captionPath": ["contributors.COUNT"],
    }
    assert measures_default in cellset["defaultMembers"]
    assert {
        "dimension": "Trades",
        "hierarchy": "desk",
        "path": ["AllMember"],
        "captionPath": ["AllMember"],
    } in cellset["defaultMembers"]


def test_formatted_values_follow_the_discovery_format(http: httpx.Client) -> None:
    discovery = http.get(f"{PIVOT}/cube/discovery").json()
    [cube] = [c for c in discovery["catalogs"][0]["cubes"] if c["name"] == "Trades"]
    formats = {m["name"]: m.get("formatString") for m in cube["measures"]}
    cellset = query(http, GENERATED["by desk"])
    measures = [p[0]["namePath"][0] for p in cellset["axes"][0]["positions"]]
    for cell in cellset["cells"]:
        measure = measures[cell["ordinal"] % len(measures)]
        assert cell["formattedValue"] == decimal_format(cell["value"], formats[measure])


def test_level_members_on_rows_sorted_with_empty_ones_removed(http: httpx.Client) -> None:
    cellset = query(http, GENERATED["by desk"])
    expected = grouped("qty", "desk")
    assert positions(cellset, 1) == [[d] for (d,) in sorted(expected)]
    assert decode(cellset) == {
        **{("qty.SUM", d): pytest.approx(v) for (d,), v in expected.items()},
        **{("contributors.COUNT", d): count(equal("desk", d)) for (d,) in expected},
    }
    rows_axis = next(a for a in cellset["axes"] if a["id"] == 1)
    assert rows_axis["positions"][0] == [
        {"namePath": ["AllMember", "Equity"], "captionPath": ["AllMember", "Equity"]}
    ]


def test_two_levels_crossjoined(http: httpx.Client) -> None:
    expected = grouped("qty", "desk", "city")
    decoded = decode(query(http, GENERATED["two levels"]))
    assert decoded == {("qty.SUM", d, c): pytest.approx(v) for (d, c), v in expected.items()}


def test_totals_and_subtotals(http: httpx.Client) -> None:
    decoded = decode(query(http, GENERATED["totals"]))
    expected: dict[tuple[str, ...], Any] = {("qty.SUM", "Total", "Total"): total("qty")}
    for (desk,), value in grouped("qty", "desk").items():
        expected[("qty.SUM", desk, "Total")] = value
    for (city,), value in grouped("qty", "city").items():
        expected[("qty.SUM", "Total", city)] = value
    for (desk, city), value in grouped("qty", "desk", "city").items():
        expected[("qty.SUM", desk, city)] = value
    assert decoded == {k: pytest.approx(v) for k, v in expected.items()}
    rows = positions(query(http, GENERATED["totals"]), 1)
    assert rows[0] == ["AllMember", "AllMember"]  # Hierarchize: parents first
    assert rows[1] == ["AllMember", "London"]


def test_where_slices_and_is_echoed_as_the_slicer_axis(http: httpx.Client) -> None:
    cellset = query(http, GENERATED["slicer"])
    expected = grouped("qty", "desk", keep=lambda r: r["city"] == "Paris")
    assert decode(cellset) == {("qty.SUM", d): pytest.approx(v) for (d,), v in expected.items()}
    slicer = next(a for a in cellset["axes"] if a["id"] == -1)
    assert slicer["hierarchies"] == [{"dimension": "Trades", "hierarchy": "city"}]
    assert slicer["positions"] == [
        [{"namePath": ["AllMember", "Paris"], "captionPath": ["AllMember", "Paris"]}]
    ]


@pytest.mark.parametrize(
    ("name", "keep"),
    [
        ("equal on rows", lambda r: r["desk"] == "Equity"),
        ("not equal", lambda r: r["desk"] != "Equity"),
        ("isin", lambda r: r["desk"] in ("FX", "Rates")),
        ("greater", lambda r: r["id"] > 2),
        ("and", lambda r: r["id"] >= 2 and r["city"] == "Paris"),
    ],
)
def test_generated_filters(http: httpx.Client, name: str, keep: Callable[[Row], bool]) -> None:
    expected = grouped("qty", "desk", keep=keep)
    assert expected  # the filter keeps something, so the test can tell filters apart
    decoded = decode(query(http, GENERATED[name]))
    assert decoded == {("qty.SUM", d): pytest.approx(v) for (d,), v in expected.items()}


def test_a_tuple_slicer_ands_its_members(http: httpx.Client) -> None:
    decoded = decode(query(http, GENERATED["tuple slicer"]))
    assert decoded == {("n.SUM", "London"): 4}


def test_without_non_empty_every_member_stays_and_empty_cells_are_left_out(
    http: httpx.Client,
) -> None:
    cellset = query(http, GENERATED["empty rows kept"])
    desks = sorted({r["desk"] for r in ROWS})
    assert positions(cellset, 1) == [[d] for d in desks]
    london = grouped("qty", "desk", keep=lambda r: r["city"] == "London")
    assert decode(cellset) == {
        ("qty.SUM", d): (pytest.approx(london[(d,)]) if (d,) in london else None) for d in desks
    }
    assert len(cellset["cells"]) == len(london) < len(desks)  # sparse, as the real server


def test_no_measures_and_no_axes(http: httpx.Client) -> None:
    empty = query(http, GENERATED["no measure"])
    assert empty["cells"] == [] and positions(empty, 1) == []
    default = query(http, "SELECT FROM [Trades]")
    assert default["axes"] == [] and [c["value"] for c in default["cells"]] == [len(TRADES)]
    sliced = query(
        http,
        "SELECT FROM [Trades] WHERE ([Measures].[n.SUM], [Trades].[city].[AllMember].[Paris])",
    )
    assert [c["value"] for c in sliced["cells"]] == [total("n", lambda r: r["city"] == "Paris")]


def test_hand_written_transposed_with_children_and_escaped_names(http: httpx.Client) -> None:
    cellset = query(
        http,
        "SELECT NON EMPTY [Trades].[desk].[ALL].[AllMember].Children ON COLUMNS, "
        "{[Measures].[n.SUM]} ON ROWS FROM [Trades] WHERE [Trades].[city].[AllMember].[Paris]",
    )
    expected = grouped("n", "desk", keep=lambda r: r["city"] == "Paris")
    assert decode(cellset) == {(d, "n.SUM"): v for (d,), v in expected.items()}
    escaped = query(
        http,
        "SELECT {[Measures].[qty.SUM]} ON 0 FROM [Trades] "
        "WHERE [Trades].[desk].[AllMember].[R]]&D]",
    )
    assert [c["value"] for c in escaped["cells"]] == [0.5]


def test_hierarchy_members_drilldown_and_descendants(http: httpx.Client) -> None:
    by_city = grouped("n", "city")
    expected = {("n.SUM", "Total"): total("n")} | {("n.SUM", c): v for (c,), v in by_city.items()}
    for rows in (
        "[Trades].[city].Members",
        "Hierarchize(DrilldownLevel([Trades].[city].[ALL].[AllMember]))",
        "Descendants([Trades].[city].[AllMember], 1, SELF_BEFORE_AFTER)",
        "{[Trades].[city].[ALL].Members, [Trades].[city].[city].Members}",
    ):
        cellset = query(http, f"SELECT [Measures].[n.SUM] ON 0, {rows} ON 1 FROM [Trades]")
        assert decode(cellset) == expected, rows
        assert positions(cellset, 1)[0] == ["AllMember"], rows
    leaves = query(
        http,
        "SELECT [Measures].[n.SUM] ON 0, Descendants([Trades].[city].[AllMember], 1) ON 1 "
        "FROM [Trades]",
    )
    assert decode(leaves) == {("n.SUM", c): v for (c,), v in by_city.items()}


def test_hierarchize_puts_parents_first_then_the_level_order(http: httpx.Client) -> None:
    cellset = query(
        http,
        "SELECT [Measures].[n.SUM] ON 0, Hierarchize({[Trades].[city].[AllMember].[Paris], "
        "[Trades].[city].[AllMember], [Trades].[city].[AllMember].[London]}) ON 1 FROM [Trades]",
    )
    assert positions(cellset, 1) == [["AllMember"], ["London"], ["Paris"]]
    as_written = query(
        http,
        "SELECT [Measures].[n.SUM] ON 0, {[Trades].[city].[AllMember].[Paris], "
        "[Trades].[city].[AllMember]} ON 1 FROM [Trades]",
    )
    assert positions(as_written, 1) == [["Paris"], ["AllMember"]]


def test_the_all_member_has_no_value_in_filter_conditions(http: httpx.Client) -> None:
    def rows(condition: str) -> list[list[str]]:
        return positions(
            query(
                http,
                "SELECT [Measures].[n.SUM] ON 0, Filter([Trades].[desk].Members, "
                f"[Trades].[desk].CurrentMember.MEMBER_VALUE {condition}) ON 1 FROM [Trades]",
            ),
            1,
        )

    desks = sorted({r["desk"] for r in ROWS})
    assert rows('<> "FX"') == [["AllMember"]] + [[d] for d in desks if d != "FX"]
    assert rows('= "FX"') == [["FX"]]
    assert rows('>= "A"') == [[d] for d in desks]


def test_measures_members_and_a_crossjoin_on_columns(http: httpx.Client) -> None:
    cellset = query(
        http,
        "SELECT NON EMPTY Crossjoin([Measures].Members, [Trades].[city].[city].Members) ON 0 "
        "FROM [Trades] WHERE [Trades].[desk].[AllMember].[Rates]",
    )
    rates = lambda r: r["desk"] == "Rates"  # noqa: E731
    expected: dict[tuple[str, ...], Any] = {}
    for (city,), value in grouped("qty", "city", keep=rates).items():
        expected[("qty.SUM", city)] = pytest.approx(value)
        expected[("n.SUM", city)] = grouped("n", "city", keep=rates)[(city,)]
        expected[("contributors.COUNT", city)] = count(equal("city", city, keep=rates))
    assert decode(cellset) == expected


@pytest.mark.parametrize(
    ("condition", "keep"),
    [
        (
            "[Trades].[id].CurrentMember.MEMBER_VALUE <= 2 OR "
            "[Trades].[id].CurrentMember.MEMBER_VALUE = 7",
            lambda r: r["id"] <= 2 or r["id"] == 7,
        ),
        (
            "NOT ([Trades].[id].CurrentMember.MEMBER_VALUE < 3) AND "
            "[Trades].[id].CurrentMember.MEMBER_VALUE <> 5",
            lambda r: r["id"] >= 3 and r["id"] != 5,
        ),
        (
            "-1 < [Trades].[id].CurrentMember.MEMBER_VALUE AND "
            '[Trades].[id].CurrentMember.Name = "4"',
            lambda r: r["id"] == 4,
        ),
    ],
)
def test_filter_conditions(http: httpx.Client, condition: str, keep: Callable[[Row], bool]) -> None:
    cellset = query(
        http,
        "SELECT {[Measures].[qty.SUM]} ON 0, NON EMPTY [Trades].[desk].[desk].Members ON 1 "
        f"FROM (SELECT Filter([Trades].[id].[id].Members, {condition}) ON 0 FROM [Trades])",
    )
    expected = grouped("qty", "desk", keep=keep)
    assert decode(cellset) == {("qty.SUM", d): pytest.approx(v) for (d,), v in expected.items()}


def test_subselect_restricts_members_even_without_non_empty(http: httpx.Client) -> None:
    cellset = query(
        http,
        "SELECT {[Measures].[qty.SUM]} ON 0, [Trades].[desk].[desk].Members ON 1 "
        "FROM (SELECT {[Trades].[desk].[AllMember].[FX], [Trades].[desk].[AllMember].[Rates]} "
        "ON 0 FROM [Trades])",
    )
    assert positions(cellset, 1) == [["FX"], ["Rates"]]
    nothing = query(
        http,
        "SELECT {[Measures].[qty.SUM]} ON 0, [Trades].[desk].[desk].Members ON 1 "
        "FROM (SELECT Filter([Trades].[id].[id].Members, "
        "[Trades].[id].CurrentMember.MEMBER_VALUE > 100) ON 0 FROM [Trades])",
    )
    assert nothing["cells"] == []  # no fact survives: every cell is empty


def test_date_levels_compare_as_dates(http: httpx.Client) -> None:
    cellset = query(
        http,
        "SELECT {[Measures].[price.SUM]} ON 0, NON EMPTY [Daily].[day].[day].Members ON 1 "
        "FROM (SELECT Filter([Daily].[day].[day].Members, "
        '[Daily].[day].CurrentMember.MEMBER_VALUE >= "2024-01-02") ON 0 FROM [Daily])',
    )
    expected = {("price.SUM", d): p for d, _, p in DAILY if d >= "2024-01-02"}
    assert decode(cellset) == expected
    bad = refused(
        http,
        "SELECT {[Measures].[price.SUM]} ON 0 FROM (SELECT Filter([Daily].[day].[day].Members, "
        '[Daily].[day].CurrentMember.MEMBER_VALUE >= "Feb 2") ON 0 FROM [Daily])',
    )
    assert "'Feb 2' is not a LocalDate" in bad


def test_an_unknown_member_selects_nothing(http: httpx.Client) -> None:
    cellset = query(
        http,
        "SELECT {[Measures].[qty.SUM]} ON 0 FROM [Trades] WHERE [Trades].[desk].[AllMember].[Nope]",
    )
    assert cellset["cells"] == []


def test_answers_follow_the_data(http: httpx.Client, server: FakeServer) -> None:
    with httpx.Client(base_url=server.url, auth=("admin", "admin-pass")) as admin:
        added = admin.post(
            "/atoti/rest/v1/tables/Trades/rows",
            json={
                "rows": [
                    [8, "FX", "Tokyo", 0.75, 1],
                    [5, "FX", "London", 1.0, 2],  # 5 replaces a row
                ]
            },
        )
        assert added.status_code == 200, added.text
    cellset = query(http, GENERATED["by desk"])
    assert decode(cellset)[("qty.SUM", "FX")] == pytest.approx(0.75 + 1.0)
    assert decode(cellset)[("contributors.COUNT", "FX")] == 2


# -- over HTTP: refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(("mdx", "part"), UNSUPPORTED[:4])
def test_unsupported_mdx_is_a_400_in_the_error_format(
    http: httpx.Client, mdx: str, part: str
) -> None:
    message = refused(http, mdx)
    assert part in message and "unsupported MDX at character" in message


def test_unknown_names_are_400_naming_them(http: httpx.Client) -> None:
    assert "no cube named 'Nope' (cubes: 'Trades', 'Daily')" in refused(http, "SELECT FROM [Nope]")
    assert "has no measure 'qty.MEAN'" in refused(
        http, "SELECT [Measures].[qty.MEAN] ON 0 FROM [Trades]"
    )


@pytest.mark.parametrize("mdx", list(TOO_DEEP.values()), ids=list(TOO_DEEP))
def test_deep_nesting_is_a_400_naming_the_limit(http: httpx.Client, mdx: str) -> None:
    message = refused(http, mdx)
    assert message.startswith("unsupported MDX at character ")
    assert f"nesting deeper than {MAX_NESTING} levels" in message
    assert f"fakeserver answers at most {MAX_NESTING}: limits.max_mdx_nesting)" in message
    total_qty = [c["value"] for c in query(http, GENERATED["total"])["cells"]]
    assert total_qty == [pytest.approx(total("qty"))]  # the server is still answering


@pytest.mark.parametrize(
    "mdx",
    [nested("(", ")", MAX_NESTING), nested("{", "}", MAX_NESTING), subselects(MAX_NESTING)],
    ids=["parentheses", "braces", "subselects"],
)
def test_nesting_up_to_the_limit_is_answered(http: httpx.Client, mdx: str) -> None:
    assert [c["value"] for c in query(http, mdx)["cells"]] == [pytest.approx(total("qty"))]


def test_a_long_chain_of_or_is_one_level_not_a_recursion(http: httpx.Client) -> None:
    # AND/OR chains open no level in the parser; 7,000 of them once ran out of stack when
    # evaluated (a 400 at best). A chain is now evaluated as one level, however long.
    paris = '[Trades].[city].CurrentMember.MEMBER_VALUE = "Paris"'
    condition = " OR ".join(["FALSE"] * 7000 + [paris])
    mdx = (
        f"SELECT {SUM} ON 0, Filter([Trades].[city].[city].Members, {condition}) ON 1 FROM [Trades]"
    )
    assert len(mdx) < Limits().max_mdx_chars
    cellset = query(http, mdx)
    assert positions(cellset, 1) == [["Paris"]]
    assert [c["value"] for c in cellset["cells"]] == [
        pytest.approx(total("qty", equal("city", "Paris")))
    ]


@pytest.mark.parametrize(
    ("body", "part"),
    [
        (b"not json", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"context": {}}', '"mdx": "SELECT ...'),
        (b'{"mdx": 7}', '"mdx": "SELECT ...'),
        (b'{"mdx": "   "}', '"mdx": "SELECT ...'),
        (b'{"mdx": "SELECT FROM [Trades]", "context": []}', "context must be an object"),
    ],
)
def test_bad_bodies(http: httpx.Client, body: bytes, part: str) -> None:
    response = http.post(MDX_PATH, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert part in response.json()["error"]


def test_queries_need_an_authenticated_user_not_an_admin(server: FakeServer) -> None:
    mdx = {"mdx": GENERATED["total"], "context": {}}
    with httpx.Client(base_url=server.url) as anonymous:
        response = anonymous.post(MDX_PATH, json=mdx)
        assert response.status_code == 401
        assert response.headers["Content-Type"] == "application/json"
        wrong = anonymous.post(MDX_PATH, json=mdx, auth=("reader", "wrong"))
        assert wrong.status_code == 401
        assert anonymous.post(MDX_PATH, json=mdx, auth=("reader", "reader-pass")).status_code == 200
        assert anonymous.get(MDX_PATH, auth=("reader", "reader-pass")).status_code == 405


def test_an_unsecured_target_answers_anonymous_queries() -> None:
    config = ServerConfig(tables=CONFIG.tables[:1], cubes=CONFIG.cubes[:1])
    with FakeServer(config) as server, httpx.Client(base_url=server.url) as http:
        cellset = query(http, GENERATED["total"])
    assert [c["value"] for c in cellset["cells"]] == [pytest.approx(total("qty"))]


# -- bounded work (issue 13) -------------------------------------------------------------------

BIG = TableSpec(
    "Big", {"a": "int", "b": "String"}, keys=("a",), rows=tuple((i, f"b{i}") for i in range(200))
)


def test_crossjoins_under_a_filter_are_one_budget_over_http() -> None:
    # 200 x 200 = 40,000 tuples per Crossjoin, within any per-call bound; three in one set
    # literal under Filter(..., FALSE) answer nothing after building 240,000 (each with its
    # inputs, then the literal). One query's budget (200,000 here) refuses them, naming the
    # limit; one alone (160,400 with its literal and Filter) is still answered.
    config = ServerConfig(
        tables=(BIG,), cubes=(CubeSpec("Big", "Big"),), limits=Limits(max_mdx_tuples=200_000)
    )
    crossjoin = "Crossjoin([Big].[a].[a].Members, [Big].[b].[b].Members)"
    with FakeServer(config) as server, httpx.Client(base_url=server.url) as http:
        one = query(http, f"SELECT Filter({{{crossjoin}}}, FALSE) ON 0 FROM [Big]")
        assert one["cells"] == [] and one["axes"][0]["positions"] == []
        three = ", ".join([crossjoin] * 3)
        message = refused(http, f"SELECT Filter({{{three}}}, FALSE) ON 0 FROM [Big]")
    assert message.startswith("unsupported MDX at character ")
    assert message.endswith(
        "the query builds or reads more than 200,000 tuples (fakeserver answers at most "
        "200,000: limits.max_mdx_tuples)"
    )


def test_the_query_text_is_bounded_before_it_is_read(http: httpx.Client) -> None:
    longest = Limits().max_mdx_chars
    early = refused(http, "SELECT )" + "," * (longest - 8))
    assert early.startswith("MDX syntax error at character 8 (')"), early
    assert refused(http, "SELECT )" + "," * (longest - 7)) == (
        f"unsupported MDX: the query is {longest + 1:,} characters long (fakeserver answers "
        f"at most {longest:,}: limits.max_mdx_chars)"
    )


@pytest.mark.parametrize(
    "mdx",
    [
        "SELECT {} ON 1e999 FROM [Trades]",
        "SELECT {} ON " + "7" * 5000 + " FROM [Trades]",
        f"SELECT Filter({DESKS}, [Trades].[desk].CurrentMember.MEMBER_VALUE = -1e999) ON 0 "
        "FROM [Trades]",
    ],
    ids=["1e999", "5000_digits", "negative"],
)
def test_numbers_no_double_holds_are_400s_not_500s(http: httpx.Client, mdx: str) -> None:
    assert "a number beyond the range of a double" in refused(http, mdx)
