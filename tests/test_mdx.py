"""MDX: the parser on its own, then ``POST {pivot}/cube/query/mdx`` over real sockets.

Every expected number is computed here from ``TRADES`` / ``DAILY`` with plain Python, never
read back from the fake. The MDX strings marked "generated" are exactly what atoti-client
0.9.2's ``Cube.query`` sends for this cube (captured from its ``_generate_mdx.py``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeserver import CubeSpec, FakeServer, SecurityConfig, ServerConfig, TableSpec, User
from fakeserver import mdx as mdx_module
from fakeserver.mdx import (
    MAX_NESTING,
    MdxError,
    Select,
    decimal_format,
    evaluate,
    find_cube,
    member_name,
    parse,
)
from fakeserver.model import Cube, Table

PIVOT = "/activeviam/pivot/rest/v9"
MDX_PATH = f"{PIVOT}/cube/query/mdx"

TRADE_COLUMNS = {"id": "int", "desk": "String", "city": "String", "qty": "double", "n": "long"}
TRADES: tuple[tuple[Any, ...], ...] = (
    (1, "Equity", "Paris", 10.5, 3),
    (2, "Equity", "London", -2.25, 4),
    (3, "Rates", "Paris", 7.0, 1),
    (4, "Rates", "New York", 1.25, 10),
    (5, "FX", "London", 100.0, 2),
    (6, "R]&D", "Paris", 0.5, 7),  # a ']' that MDX must escape as ']]'
    (7, "Equity", "Paris", 3.0, 5),
)
DAILY_COLUMNS = {"day": "LocalDate", "product": "String", "price": "double"}
DAILY: tuple[tuple[Any, ...], ...] = (
    ("2024-01-01", "tea", 2.0),
    ("2024-01-02", "tea", 3.0),
    ("2024-01-03", "coffee", 5.0),
    ("2024-02-29", "coffee", 7.5),
)
ADMIN = User("admin", "admin-pass", roles=frozenset({"ROLE_USER", "ROLE_ADMIN"}))
READER = User("reader", "reader-pass")
CONFIG = ServerConfig(
    security=SecurityConfig(users=(ADMIN, READER)),
    tables=[
        TableSpec("Trades", TRADE_COLUMNS, keys=("id",), rows=TRADES),
        TableSpec("Daily", DAILY_COLUMNS, keys=("day",), rows=DAILY),
    ],
    cubes=[CubeSpec("Trades", "Trades"), CubeSpec("Daily", "Daily")],
)

Row = dict[str, Any]
ROWS: list[Row] = [dict(zip(TRADE_COLUMNS, r, strict=True)) for r in TRADES]


def total(column: str, keep: Callable[[Row], bool] = lambda r: True) -> Any:
    """Independent SUM of ``column`` over the kept rows; None when no row is kept."""
    kept = [r for r in ROWS if keep(r)]
    if not kept:
        return None
    return sum(r[column] for r in kept)


def count(keep: Callable[[Row], bool] = lambda r: True) -> int | None:
    kept = sum(1 for r in ROWS if keep(r))
    return kept or None


def grouped(
    column: str, *levels: str, keep: Callable[[Row], bool] = lambda r: True
) -> dict[tuple[str, ...], Any]:
    sums: dict[tuple[str, ...], Any] = defaultdict(int)
    for row in ROWS:
        if keep(row):
            sums[tuple(str(row[level]) for level in levels)] += row[column]
    return dict(sums)


# -- the cell set, decoded without the fake's help ---------------------------------------------


def decode(cellset: dict[str, Any]) -> dict[tuple[str, ...], Any]:
    """``{(member names of COLUMNS, then ROWS): value}``; ``Total`` for an AllMember."""
    axes = sorted((a for a in cellset["axes"] if a["id"] >= 0), key=lambda a: a["id"])
    values = {cell["ordinal"]: cell["value"] for cell in cellset["cells"]}
    assert len(values) == len(cellset["cells"]), "two cells with one ordinal"
    result: dict[tuple[str, ...], Any] = {}
    for ordinal in range(math.prod(len(a["positions"]) for a in axes)):
        rest, key = ordinal, []
        for axis in axes:
            rest, index = divmod(rest, len(axis["positions"]))
            for member in axis["positions"][index]:
                path = member["namePath"]
                key.append("Total" if path == ["AllMember"] else path[-1])
        result[tuple(key)] = values.get(ordinal)
    assert not set(values) - set(range(len(result))), "a cell outside the axes"
    return result


def positions(cellset: dict[str, Any], axis_id: int) -> list[list[str]]:
    axis = next(a for a in cellset["axes"] if a["id"] == axis_id)
    return [[m["namePath"][-1] for m in position] for position in axis["positions"]]


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


# -- parsing -----------------------------------------------------------------------------------

GENERATED = {
    "total": "SELECT {[Measures].[qty.SUM]} ON COLUMNS FROM [Trades]",
    "by desk": (
        "SELECT {[Measures].[qty.SUM], [Measures].[contributors.COUNT]} ON COLUMNS, "
        "NON EMPTY [Trades].[desk].[desk].Members ON ROWS FROM [Trades]"
    ),
    "two levels": (
        "SELECT {[Measures].[qty.SUM]} ON COLUMNS, NON EMPTY Crossjoin("
        "[Trades].[desk].[desk].Members, [Trades].[city].[city].Members) ON ROWS FROM [Trades]"
    ),
    "totals": (
        "SELECT {[Measures].[qty.SUM]} ON COLUMNS, NON EMPTY Crossjoin(Hierarchize(Descendants("
        "{[Trades].[desk].[ALL].[AllMember]}, 1, SELF_AND_BEFORE)), Hierarchize(Descendants("
        "{[Trades].[city].[ALL].[AllMember]}, 1, SELF_AND_BEFORE))) ON ROWS FROM [Trades]"
    ),
    "slicer": (
        "SELECT {[Measures].[qty.SUM]} ON COLUMNS, NON EMPTY [Trades].[desk].[desk].Members "
        "ON ROWS FROM [Trades] WHERE [Trades].[city].[ALL].[AllMember].[Paris]"
    ),
    "equal on rows": (
        "SELECT {[Measures].[qty.SUM]} ON COLUMNS, NON EMPTY [Trades].[desk].[desk].Members "
        "ON ROWS FROM (SELECT [Trades].[desk].[ALL].[AllMember].[Equity] ON COLUMNS "
        "FROM [Trades])"
    ),
    "not equal": (
        "SELECT {[Measures].[qty.SUM]} ON COLUMNS, NON EMPTY [Trades].[desk].[desk].Members "
        "ON ROWS FROM (SELECT Except([Trades].[desk].Members, "
        "[Trades].[desk].[ALL].[AllMember].[Equity]) ON COLUMNS FROM [Trades])"
    ),
    "isin": (
        "SELECT {[Measures].[qty.SUM]} ON COLUMNS, NON EMPTY [Trades].[desk].[desk].Members "
        "ON ROWS FROM (SELECT {[Trades].[desk].[ALL].[AllMember].[FX], "
        "[Trades].[desk].[ALL].[AllMember].[Rates]} ON COLUMNS FROM [Trades])"
    ),
    "greater": (
        "SELECT {[Measures].[qty.SUM]} ON COLUMNS, NON EMPTY [Trades].[desk].[desk].Members "
        "ON ROWS FROM (SELECT Filter([Trades].[id].[id].Members, "
        "[Trades].[id].CurrentMember.MEMBER_VALUE > 2) ON COLUMNS FROM [Trades])"
    ),
    "and": (
        "SELECT {[Measures].[qty.SUM]} ON COLUMNS, NON EMPTY [Trades].[desk].[desk].Members "
        "ON ROWS FROM (SELECT Filter([Trades].[id].[id].Members, "
        "[Trades].[id].CurrentMember.MEMBER_VALUE >= 2) ON COLUMNS FROM [Trades]) "
        "WHERE [Trades].[city].[ALL].[AllMember].[Paris]"
    ),
    "tuple slicer": (
        "SELECT {[Measures].[n.SUM]} ON COLUMNS, NON EMPTY [Trades].[city].[city].Members "
        "ON ROWS FROM [Trades] WHERE ([Trades].[id].[ALL].[AllMember].[2], "
        "[Trades].[desk].[ALL].[AllMember].[Equity])"
    ),
    "empty rows kept": (
        "SELECT {[Measures].[qty.SUM]} ON COLUMNS, [Trades].[desk].[desk].Members ON ROWS "
        "FROM [Trades] WHERE [Trades].[city].[ALL].[AllMember].[London]"
    ),
    "no measure": (
        "SELECT {} ON COLUMNS, NON EMPTY [Trades].[desk].[desk].Members ON ROWS FROM [Trades]"
    ),
}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_every_generated_form_parses(name: str) -> None:
    select = parse(GENERATED[name])
    assert isinstance(select, Select)
    assert select.cube == "Trades"
    assert [a.index for a in select.axes] == ([0] if name == "total" else [0, 1])


def test_a_subselect_chain_reads_from_the_innermost_cube() -> None:
    select = parse(
        "SELECT {[Measures].[qty.SUM]} ON COLUMNS FROM (SELECT [A].[B].[ALL].[AllMember] "
        "ON COLUMNS FROM (SELECT [A].[C].[ALL].[AllMember] ON COLUMNS FROM [Inner]) "
        "WHERE [A].[D].[ALL].[AllMember].[x])"
    )
    assert select.cube == "Inner"
    assert isinstance(select.source, Select) and isinstance(select.source.source, Select)
    assert select.source.slicer is not None and select.slicer is None


def test_lexical_forms_keywords_comments_and_escapes() -> None:
    select = parse(
        "-- leading comment\n select /* inline */ {[Measures].[a]]b]} on 0, "
        "non empty [D].[H].[L].members on axis(1) from [C]]ube] where [D].[H].[AllMember];"
    )
    assert select.cube == "C]ube"
    assert [(a.index, a.non_empty) for a in select.axes] == [(0, False), (1, True)]


@pytest.mark.parametrize(
    ("mdx", "expected", "where"),
    [
        ("SELECT {[Measures].[a] ON COLUMNS FROM [C]", "expected '}'", "character 24"),
        ("SELECT [Measures].[a] ON COLUMNS FROM", "expected a [cube] name", "character 38"),
        ("SELECT [Measures].[a] ON COLUMNS FROM [C", "unterminated [identifier]", "'[C'"),
        ('SELECT [Measures].[a] ON COLUMNS FROM [C] WHERE "x', "unterminated string", "'\"x'"),
        ("SELECT [Measures].[a] ON FROM [C]", "expected COLUMNS or ROWS", "'FROM'"),
        ("SELECT [Measures].[a] ON COLUMNS FROM [C] WHERE", "expected an expression", "end"),
        ("SELECT $ ON COLUMNS FROM [C]", "unexpected character '$'", "character 8"),
        ("SELECT [D].[H].[AllMember]. ON COLUMNS FROM [C]", "identifier after '.'", "'ON'"),
    ],
)
def test_syntax_errors_say_where(mdx: str, expected: str, where: str) -> None:
    with pytest.raises(MdxError) as caught:
        parse(mdx)
    assert caught.value.status == 400
    assert caught.value.message.startswith("MDX syntax error at character")
    assert expected in caught.value.message
    assert where in caught.value.message


UNSUPPORTED = [
    ("WITH MEMBER [Measures].[x] AS 1 SELECT [Measures].[x] ON 0 FROM [Trades]", "WITH"),
    ("DRILLTHROUGH SELECT FROM [Trades]", "DRILLTHROUGH statements"),
    ("SELECT [Measures].[qty.SUM] ON 0 FROM [Trades] CELL PROPERTIES VALUE", "CELL PROPERTIES"),
    (
        "SELECT [Measures].[qty.SUM] ON 0, [Trades].[desk].[desk].Members ON 1, "
        "[Trades].[city].[city].Members ON 2 FROM [Trades]",
        "axes other than COLUMNS",
    ),
    ("SELECT [Measures].[qty.SUM] ON PAGES FROM [Trades]", "expected COLUMNS or ROWS"),
    (
        "SELECT [Measures].[qty.SUM] ON 0, [Trades].[desk].[desk].Members ON 0 FROM [Trades]",
        "the same axis twice",
    ),
    ("SELECT [Measures].[qty.SUM] ON 0 FROM [Trades] WHERE [Trades].[id].&[1]", "member keys"),
    (
        "SELECT [Measures].[qty.SUM] ON 0, [Trades].[id].[ALL].[AllMember].[1]:"
        "[Trades].[id].[ALL].[AllMember].[3] ON 1 FROM [Trades]",
        "the range operator ':'",
    ),
    ("SELECT {[Measures].[qty.SUM] + [Measures].[n.SUM]} ON 0 FROM [Trades]", "operator '+'"),
    (
        "SELECT [Measures].[qty.SUM] ON 0, [Trades].[desk].[AllMember].Lag(1) ON 1 FROM [Trades]",
        "the method .Lag(...)",
    ),
    ("SELECT [Measures].[qty.SUM] ON 0 FROM [Trades] WHERE XOR", "XOR"),
    (
        "SELECT [Measures].[qty.SUM] ON 0, [Trades].[desk].[desk].Members ON 1 FROM [Trades] "
        "ORDER BY 1",
        "more than SELECT",
    ),
    (
        "SELECT Filter([Trades].[desk].[desk].Members, TRUE).Count ON 0 FROM [Trades]",
        "a property of a function result",
    ),
]


@pytest.mark.parametrize(("mdx", "part"), UNSUPPORTED)
def test_unsupported_syntax_is_named_by_the_parser(mdx: str, part: str) -> None:
    with pytest.raises(MdxError) as caught:
        parse(mdx)
    assert part in caught.value.message
    assert "at character" in caught.value.message


# -- formats and member names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "pattern", "text"),
    [
        (3510.0, "DOUBLE[#,###.00]", "3,510.00"),  # atoti's own docstrings show these
        (79.99, "DOUBLE[$#,##0.00]", "$79.99"),
        (79.99 / 889.97, "DOUBLE[0.00%]", "8.99%"),
        (1119.96, "DOUBLE[#,###]", "1,120"),
        (1, "INT[count: #,###]", "count: 1"),
        (0.25, "DOUBLE[#,###.00]", ".25"),  # Java's DecimalFormat drops the lone zero
        (0.25, "#,###.##", ".25"),
        (0, "#,###", "0"),
        (0.0, "#,###.00", ".00"),
        (1234567, "#,###", "1,234,567"),
        (-1234.5, "#,##0.00", "-1,234.50"),
        (2.5, "#", "2"),  # HALF_EVEN
        (3.5, "#", "4"),
        (1.5, None, "1.5"),
        (1e20, None, "1.0E20"),
        (7, "#;(#)", "7"),  # a negative subpattern is not understood: toString
        ("text", "#,###", "text"),
    ],
)
def test_decimal_format(value: Any, pattern: str | None, text: str) -> None:
    assert decimal_format(value, pattern) == text


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("x", "x"),
        (7, "7"),
        (True, "true"),
        (1.0, "1.0"),
        (1e-5, "1.0E-5"),
        (12345678.9, "1.23456789E7"),
        (dt.date(2024, 2, 29), "2024-02-29"),
        (dt.datetime(2024, 2, 29, 10, 30), "2024-02-29T10:30"),  # Java drops :00 seconds
        (dt.datetime(2024, 2, 29, 10, 30, 5, 120000), "2024-02-29T10:30:05.120"),
    ],
)
def test_member_names_are_java_to_string(value: Any, name: str) -> None:
    assert member_name(value) == name


# -- evaluation without a socket ---------------------------------------------------------------


def pure(mdx: str) -> dict[str, Any]:
    """What the route answers, without the socket: parse, the route's cube lookup, evaluate."""
    table = Table.from_spec(CONFIG.tables[0], seed=0)
    select = parse(mdx)
    cube, found = find_cube(select, {"Trades": Cube("Trades", "Trades")}, {"Trades": table})
    return evaluate(select, cube, found)


def test_pure_evaluation_over_model_objects() -> None:
    cellset = pure(GENERATED["by desk"])
    expected = grouped("qty", "desk")
    assert decode(cellset) == {
        **{("qty.SUM", d): pytest.approx(v) for (d,), v in expected.items()},
        **{("contributors.COUNT", d): count(lambda r, d=d: r["desk"] == d) for (d,) in expected},
    }


@pytest.mark.parametrize(
    ("mdx", "part"),
    [
        ("SELECT [Measures].[qty.MEAN] ON 0 FROM [Trades]", "no measure 'qty.MEAN'"),
        ("SELECT [Measures].[qty.SUM] ON 0 FROM [Nope]", "no cube named 'Nope'"),
        ("SELECT [Trades].[qty].[qty].Members ON 0 FROM [Trades]", "no hierarchy [Trades].[qty]"),
        ("SELECT [Trades].[desk].[nope].Members ON 0 FROM [Trades]", "no level 'nope'"),
        (
            "SELECT TopCount([Trades].[desk].[desk].Members, 2) ON 0 FROM [Trades]",
            "the function TopCount",
        ),
        ("SELECT [Trades].[desk].[AllMember].Parent ON 0 FROM [Trades]", "the property .Parent"),
        (
            "SELECT {[Measures].[qty.SUM], [Trades].[desk].[AllMember]} ON 0 FROM [Trades]",
            "a set mixes members",
        ),
        (
            "SELECT Crossjoin([Trades].[desk].[desk].Members, [Trades].[desk].[desk].Members) ON 0 "
            "FROM [Trades]",
            "appears twice",
        ),
        (
            "SELECT [Trades].[desk].[desk].Members ON 0, [Trades].[desk].[ALL].Members ON 1 "
            "FROM [Trades]",
            "is on two axes",
        ),
        (
            "SELECT [Measures].[qty.SUM] ON 0, [Trades].[desk].[desk].Members ON 1 FROM [Trades] "
            "WHERE [Trades].[desk].[AllMember].[FX]",
            "both on ROWS and in WHERE",
        ),
        (
            "SELECT [Measures].[qty.SUM] ON 0 FROM [Trades] WHERE "
            "{[Trades].[desk].[AllMember].[FX], [Trades].[desk].[AllMember].[Rates]}",
            "a WHERE clause that is not one member",
        ),
        (
            "SELECT Hierarchize([Trades].[desk].[desk].Members, POST) ON 0 FROM [Trades]",
            "Hierarchize with POST",
        ),
        (
            "SELECT Descendants([Trades].[desk].[AllMember], 1, LEAVES) ON 0 FROM [Trades]",
            "the Descendants flag LEAVES",
        ),
        (
            "SELECT Descendants([Trades].[desk].[AllMember], [Trades].[desk].[desk]) ON 0 "
            "FROM [Trades]",
            "a Descendants depth that is not a whole number",
        ),
        (
            "SELECT Filter([Trades].[desk].[desk].Members, IsEmpty([Measures].[qty.SUM])) ON 0 "
            "FROM [Trades]",
            "a Filter condition other than comparisons",
        ),
        (
            "SELECT Filter([Trades].[id].[id].Members, [Measures].[qty.SUM] > 1) ON 0 "
            "FROM [Trades]",
            "a comparison operand other than",
        ),
        (
            "SELECT Filter([Trades].[id].[id].Members, [Trades].[desk].CurrentMember.MEMBER_VALUE "
            '= "FX") ON 0 FROM [Trades]',
            "the filtered set has no member of that hierarchy",
        ),
        (
            "SELECT Filter([Trades].[id].[id].Members, [Trades].[id].CurrentMember.MEMBER_VALUE "
            '> "2") ON 0 FROM [Trades]',
            "cannot compare",
        ),
        (
            "SELECT [Trades].[desk].CurrentMember ON 0 FROM [Trades]",
            "CurrentMember and member properties outside a Filter",
        ),
        ("SELECT [Trades].[desk] ON 0 FROM [Trades]", "a hierarchy as a set"),
        ("SELECT [Trades].[desk].[Equity] ON 0 FROM [Trades]", "members are written"),
        ("SELECT [Trades].[desk].[AllMember].[Equity].[x] ON 0 FROM [Trades]", "is deeper than"),
        ("SELECT [desk] ON 0 FROM [Trades]", "write [dimension].[hierarchy]"),
        ("SELECT 1 ON 0 FROM [Trades]", "a literal where a set is expected"),
        (
            "SELECT [Measures].[qty.SUM] ON 0 "
            "FROM (SELECT [Measures].[qty.SUM] ON 0 FROM [Trades])",
            "a subselect axis over measures",
        ),
        (
            "SELECT [Measures].[qty.SUM] ON 0 FROM (SELECT Crossjoin("
            "[Trades].[desk].[desk].Members, [Trades].[city].[city].Members) ON 0 FROM [Trades])",
            "a subselect axis over tuples of several hierarchies",
        ),
    ],
)
def test_unsupported_or_wrong_queries_name_the_part(mdx: str, part: str) -> None:
    with pytest.raises(MdxError) as caught:
        pure(mdx)
    assert caught.value.status == 400
    assert part in caught.value.message


def test_a_runaway_crossjoin_is_refused_not_computed() -> None:
    spec = TableSpec("Big", {"a": "int", "b": "String", "c": "String"}, keys=("a",), generate=1100)
    table = Table.from_spec(spec, seed=1)
    mdx = (
        "SELECT Crossjoin([Big].[a].[a].Members, [Big].[b].[b].Members) ON 0, "
        "[Big].[c].[c].Members ON 1 FROM [Big]"
    )
    select = parse(mdx)
    cube, found = find_cube(select, {"Big": Cube("Big", "Big")}, {"Big": table})
    with pytest.raises(MdxError, match=r"tuples or cells \(fakeserver answers at most"):
        evaluate(select, cube, found)


# Token soup close enough to the grammar that the evaluator is reached, not just the parser.
VOCABULARY = [
    *["SELECT", "FROM", "WHERE", "ON", "COLUMNS", "ROWS", "NON", "EMPTY", "AND", "OR", "NOT"],
    *["DIMENSION", "PROPERTIES", "{", "}", "(", ")", ",", ".", "=", "<>", "<", ">", ">="],
    *["-", "0", "1", "2", "-1", "1.5", '"Paris"', '"2024-01-02"', "TRUE", "ÉTÉ", "²", "\u0661"],
    *["[Measures]", "[qty.SUM]", "[n.SUM]", "[contributors.COUNT]", "[Trades]", "[desk]"],
    *["[city]", "[id]", "[ALL]", "[AllMember]", "[Paris]", "[FX]", "[R]]&D]", "[3]"],
    *["Members", "Children", "CurrentMember", "MEMBER_VALUE", "Name", "Crossjoin", "Filter"],
    *["Descendants", "Hierarchize", "Except", "DrilldownLevel", "SELF_AND_BEFORE", "SELF"],
    *["TopCount", "Parent", "&", ":", "+"],
]
SKELETONS = [
    "{}",
    "SELECT {} ON COLUMNS FROM [Trades]",
    "SELECT {[Measures].[qty.SUM]} ON COLUMNS, {} ON ROWS FROM [Trades]",
    "SELECT {[Measures].[qty.SUM]} ON COLUMNS FROM (SELECT {} ON COLUMNS FROM [Trades])",
    "SELECT [Measures].[n.SUM] ON 0, Filter([Trades].[id].[id].Members, {}) ON 1 FROM [Trades]",
    "SELECT [Measures].[n.SUM] ON 0 FROM [Trades] WHERE {}",
]


@settings(max_examples=400, deadline=None)
@given(
    skeleton=st.sampled_from(SKELETONS),
    tokens=st.lists(st.sampled_from(VOCABULARY), max_size=14),
    noise=st.text(max_size=8),
)
def test_no_mdx_breaks_the_evaluator(skeleton: str, tokens: list[str], noise: str) -> None:
    """Every query is answered or refused with a 400: nothing else escapes."""
    mdx = skeleton.replace("{}", " ".join(tokens)) + noise
    try:
        cellset = pure(mdx)
    except MdxError as error:
        assert error.status == 400
        assert error.message.startswith(("MDX syntax error", "unsupported MDX", "MDX error"))
        return
    assert set(cellset) == {"cube", "axes", "cells", "defaultMembers"}
    decode(cellset)  # the ordinals fit the axes


def escape(name: str) -> str:
    return name.replace("]", "]]")


HIERARCHIES = {
    "id": [str(r["id"]) for r in ROWS],
    "desk": sorted({r["desk"] for r in ROWS}),
    "city": sorted({r["city"] for r in ROWS}),
}
LEAF = st.sampled_from(sorted(HIERARCHIES)).flatmap(
    lambda h: st.sampled_from([*HIERARCHIES[h], "Nowhere"]).map(
        lambda v: f"[Trades].[{h}].[ALL].[AllMember].[{escape(v)}]"
    )
)
MEASURE = st.sampled_from(["qty.SUM", "n.SUM", "contributors.COUNT"]).map(
    lambda m: f"[Measures].[{m}]"
)


def sets(hierarchy: str) -> st.SearchStrategy[str]:
    """Set expressions over one hierarchy, nested through every supported function."""
    literal = "3" if hierarchy == "id" else '"F"'
    base = st.sampled_from(
        [
            f"[Trades].[{hierarchy}].[{hierarchy}].Members",
            f"[Trades].[{hierarchy}].Members",
            f"[Trades].[{hierarchy}].[AllMember].Children",
            f"{{[Trades].[{hierarchy}].[ALL].[AllMember]}}",
            f"Descendants([Trades].[{hierarchy}].[AllMember], 1, SELF_AND_BEFORE)",
            f"Filter([Trades].[{hierarchy}].[{hierarchy}].Members, "
            f"[Trades].[{hierarchy}].CurrentMember.MEMBER_VALUE >= {literal})",
        ]
        + [f"[Trades].[{hierarchy}].[AllMember].[{escape(v)}]" for v in HIERARCHIES[hierarchy][:2]]
    )
    return st.recursive(
        base,
        lambda inner: st.one_of(
            inner.map(lambda e: f"Hierarchize({e})"),
            inner.map(lambda e: f"DrilldownLevel({e})"),
            st.tuples(inner, inner).map(lambda p: f"{{{p[0]}, {p[1]}}}"),
            st.tuples(inner, inner).map(lambda p: f"Except({p[0]}, {p[1]})"),
        ),
        max_leaves=4,
    )


@st.composite
def queries(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A query without subselects, and the hierarchies its WHERE slices."""
    on_axes = draw(st.lists(st.sampled_from(sorted(HIERARCHIES)), unique=True, max_size=2))
    measures = draw(st.lists(MEASURE, min_size=1, max_size=3, unique=True))
    columns = "{" + ", ".join(measures) + "}"
    if len(on_axes) == 2 and draw(st.booleans()):
        columns = f"Crossjoin({columns}, {draw(sets(on_axes.pop()))})"
    axes = [f"{'NON EMPTY ' if draw(st.booleans()) else ''}{columns} ON COLUMNS"]
    if on_axes:
        rows = " , ".join(draw(sets(h)) for h in on_axes)
        rows = f"Crossjoin({rows})" if len(on_axes) > 1 else rows
        axes.append(f"{'NON EMPTY ' if draw(st.booleans()) else ''}{rows} ON ROWS")
    free = sorted(set(HIERARCHIES) - set(on_axes) - {h for h in HIERARCHIES if h in columns})
    sliced = draw(st.lists(st.sampled_from(free), unique=True, max_size=2)) if free else []
    where = [
        f"[Trades].[{h}].[ALL].[AllMember].[{escape(draw(st.sampled_from(HIERARCHIES[h])))}]"
        for h in sliced
    ]
    slicer = (
        f" WHERE ({', '.join(where)})" if len(where) > 1 else f" WHERE {where[0]}" if where else ""
    )
    return f"SELECT {', '.join(axes)} FROM [Trades]{slicer}", where


def coordinates(cellset: dict[str, Any]) -> Iterator[tuple[dict[str, str], str | None, Any]]:
    """(leaf member per hierarchy, measure, value) for every ordinal of the regular axes."""
    axes = sorted((a for a in cellset["axes"] if a["id"] >= 0), key=lambda a: a["id"])
    slicer = [a for a in cellset["axes"] if a["id"] == -1]
    values = {cell["ordinal"]: cell["value"] for cell in cellset["cells"]}
    for ordinal in range(math.prod(len(a["positions"]) for a in axes)):
        rest, leaves, measure = ordinal, {}, None
        for axis in [*axes, *slicer]:
            rest, index = divmod(rest, len(axis["positions"])) if axis["id"] >= 0 else (rest, 0)
            for where, member in zip(axis["hierarchies"], axis["positions"][index], strict=True):
                if where["hierarchy"] == "Measures":
                    measure = member["namePath"][0]
                elif len(member["namePath"]) == 2:
                    leaves[where["hierarchy"]] = member["namePath"][1]
        yield leaves, measure, values.get(ordinal)


@settings(max_examples=150, deadline=None)
@given(queries())
def test_every_cell_is_the_aggregate_of_its_rows(query_and_slicer: tuple[str, list[str]]) -> None:
    mdx, _ = query_and_slicer
    for leaves, measure, value in coordinates(pure(mdx)):
        kept = [r for r in ROWS if all(str(r[h]) == name for h, name in leaves.items())]
        if not kept:
            assert value is None, (mdx, leaves)
        elif measure == "contributors.COUNT" or measure is None:
            assert value == len(kept), (mdx, leaves)
        else:
            column = measure.removesuffix(".SUM")
            assert value == pytest.approx(sum(r[column] for r in kept)), (mdx, leaves)


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
        **{("contributors.COUNT", d): count(lambda r, d=d: r["desk"] == d) for (d,) in expected},
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
        expected[("contributors.COUNT", city)] = count(
            lambda r, c=city: rates(r) and r["city"] == c
        )
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


SUM = "[Measures].[qty.SUM]"
DESKS = "[Trades].[desk].[desk].Members"


def nested(opening: str, closing: str, levels: int) -> str:
    return f"SELECT {opening * levels}{SUM}{closing * levels} ON 0 FROM [Trades]"


def subselects(levels: int) -> str:
    source = "[Trades]"
    for _ in range(levels):
        source = f"(SELECT {DESKS} ON 0 FROM {source})"
    return f"SELECT {SUM} ON 0 FROM {source}"


def crossjoins(levels: int) -> str:
    return f"SELECT {'Crossjoin(' * levels}{{{SUM}}}{f', {DESKS})' * levels} ON 0 FROM [Trades]"


#: Shapes that used to exhaust the server's stack (a 500) instead of being refused.
TOO_DEEP = {
    "5000 parentheses": nested("(", ")", 5000),
    "5000 braces": nested("{", "}", 5000),
    "3000 subselects": subselects(3000),
    "3000 crossjoins": crossjoins(3000),
}


@pytest.mark.parametrize("mdx", list(TOO_DEEP.values()), ids=list(TOO_DEEP))
def test_deep_nesting_is_a_400_naming_the_limit(http: httpx.Client, mdx: str) -> None:
    message = refused(http, mdx)
    assert message.startswith("unsupported MDX at character ")
    assert f"nesting deeper than {MAX_NESTING} levels" in message
    assert f"fakeserver answers at most {MAX_NESTING})" in message
    total_qty = [c["value"] for c in query(http, GENERATED["total"])["cells"]]
    assert total_qty == [pytest.approx(total("qty"))]  # the server is still answering


@pytest.mark.parametrize(
    "mdx",
    [nested("(", ")", MAX_NESTING), nested("{", "}", MAX_NESTING), subselects(MAX_NESTING)],
    ids=["parentheses", "braces", "subselects"],
)
def test_nesting_up_to_the_limit_is_answered(http: httpx.Client, mdx: str) -> None:
    assert [c["value"] for c in query(http, mdx)["cells"]] == [pytest.approx(total("qty"))]


def test_a_condition_too_long_to_evaluate_is_a_400_not_a_500(http: httpx.Client) -> None:
    # AND/OR chains open no level in the parser; evaluating 5000 of them still must not crash.
    condition = " OR ".join(['[Trades].[city].CurrentMember.MEMBER_VALUE = "Paris"'] * 5000)
    mdx = (
        f"SELECT {SUM} ON 0, Filter([Trades].[city].[city].Members, {condition}) ON 1 FROM [Trades]"
    )
    message = refused(http, mdx)
    assert message == (
        "unsupported MDX: the query is nested too deeply to evaluate "
        f"(fakeserver answers at most {MAX_NESTING} levels of nesting)"
    )


def test_a_recursion_error_while_parsing_is_the_same_400(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mdx_module, "MAX_NESTING", 10**6)  # only the stack stops it now
    with pytest.raises(MdxError) as caught:
        parse(TOO_DEEP["5000 parentheses"])
    assert caught.value.status == 400
    assert caught.value.message.startswith(
        "unsupported MDX: the query is nested too deeply to parse"
    )


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
