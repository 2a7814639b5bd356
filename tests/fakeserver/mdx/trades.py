"""The cubes every MDX test reads, the queries they send, and numbers computed without the fake.

Every expected number is computed here from ``TRADES`` / ``DAILY`` with plain Python, never
read back from the fake. The MDX strings in ``GENERATED`` are exactly what atoti-client
0.9.2's ``Cube.query`` sends for this cube (captured from its ``_generate_mdx.py``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from fakeserver import CubeSpec, SecurityConfig, ServerConfig, TableSpec, User
from fakeserver.mdx import evaluate, find_cube, parse
from fakeserver.model import Cube, Table

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
    tables=(
        TableSpec("Trades", TRADE_COLUMNS, keys=("id",), rows=TRADES),
        TableSpec("Daily", DAILY_COLUMNS, keys=("day",), rows=DAILY),
    ),
    cubes=(CubeSpec("Trades", "Trades"), CubeSpec("Daily", "Daily")),
)

Row = dict[str, Any]
ROWS: list[Row] = [dict(zip(TRADE_COLUMNS, r, strict=True)) for r in TRADES]


def total(column: str, keep: Callable[[Row], bool] = lambda r: True) -> Any:
    """Independent SUM of ``column`` over the kept rows; None when no row is kept."""
    kept = [r for r in ROWS if keep(r)]
    if not kept:
        return None
    return sum(r[column] for r in kept)


def equal(
    column: str, value: Any, keep: Callable[[Row], bool] = lambda r: True
) -> Callable[[Row], bool]:
    """The kept rows whose ``column`` is ``value``: a filter bound now (not to a loop variable)."""
    return lambda row: keep(row) and row[column] == value


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


def pure(mdx: str) -> dict[str, Any]:
    """What the route answers, without the socket: parse, the route's cube lookup, evaluate."""
    table = Table.from_spec(CONFIG.tables[0], seed=0)
    select = parse(mdx)
    cube, found = find_cube(select, {"Trades": Cube("Trades", "Trades")}, {"Trades": table})
    return evaluate(select, cube, found)


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
    "1000 subselects": subselects(1000),  # 3000 would pass the length limit (64 KiB)
    "1000 crossjoins": crossjoins(1000),
}
