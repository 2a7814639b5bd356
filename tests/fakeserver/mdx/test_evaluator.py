"""MDX evaluated over model objects, without a socket: answers, refusals, and properties.

The property tests check every cell against the rows it aggregates, computed here with
plain Python; the token soup checks that no query escapes as anything but an ``MdxError``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeserver import Limits, TableSpec
from fakeserver.mdx import MdxError, evaluate, find_cube, parse, schema
from fakeserver.model import Cube, Table

from .trades import CONFIG, GENERATED, ROWS, count, decode, equal, grouped, pure


def test_pure_evaluation_over_model_objects() -> None:
    cellset = pure(GENERATED["by desk"])
    expected = grouped("qty", "desk")
    assert decode(cellset) == {
        **{("qty.SUM", d): pytest.approx(v) for (d,), v in expected.items()},
        **{("contributors.COUNT", d): count(equal("desk", d)) for (d,) in expected},
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
    with pytest.raises(MdxError, match=r"cells \(fakeserver answers at most 100,000: limits"):
        evaluate(select, cube, found)


def budgeted(mdx: str, tuples: int) -> dict[str, Any]:
    """``mdx`` over the Trades cube, with a budget of ``tuples``."""
    table = Table.from_spec(CONFIG.tables[0], seed=0)
    select = parse(mdx)
    cube, found = find_cube(select, {"Trades": Cube("Trades", "Trades")}, {"Trades": table})
    return evaluate(select, cube, found, Limits(max_mdx_tuples=tuples))


ID, DESK, CITY = "[Trades].[id]", "[Trades].[desk]", "[Trades].[city]"
#: Each set operation and what it costs, counted by hand from TRADES (7 rows; 4 desks:
#: Equity, Rates, FX, R]&D; 3 cities) and the rules of fakeserver.mdx.budget.
COSTS = {
    # id members 7, desk members 4, their Crossjoin 28; Filter: 28 candidates x (1 + 1).
    "crossjoin": (f"Filter(Crossjoin({ID}.[id].Members, {DESK}.[desk].Members), FALSE)", 95),
    # 3 + 3 cities, the set literal holding 6; Filter 6 x 2.
    "set literal": (f"Filter({{{CITY}.[city].Members, {CITY}.[city].Members}}, FALSE)", 24),
    # desks 4, FX as a set 1, Except pays its first set 4; Filter 3 x 2.
    "except": (f"Filter(Except({DESK}.[desk].Members, {DESK}.[AllMember].[FX]), FALSE)", 15),
    # the hierarchy's members (AllMember + 3) 4, Hierarchize 4; Filter 4 x 2.
    "hierarchize": (f"Filter(Hierarchize({CITY}.Members), FALSE)", 16),
    # AllMember as a set 1, the literal 1, DrilldownLevel 1 + 3 children; Filter 4 x 2.
    "drilldown": (f"Filter(DrilldownLevel({{{CITY}.[AllMember]}}), FALSE)", 14),
    # AllMember as a set 1, Descendants looks at it and its 3 children 4; Filter 3 x 2.
    "descendants": (f"Filter(Descendants({CITY}.[AllMember], 1, SELF), FALSE)", 11),
    # 3 children; Filter 3 x 2.
    "children": (f"Filter({CITY}.[AllMember].Children, FALSE)", 9),
    # 7 ids; Filter 7 x (1 + 2 comparisons); ids 3 and 4 kept: one pattern reads 7 facts.
    "filter": (
        f"Filter({ID}.[id].Members, {ID}.CurrentMember.MEMBER_VALUE > 2 "
        f"AND {ID}.CurrentMember.MEMBER_VALUE < 5)",
        35,
    ),
}


@pytest.mark.parametrize("operation", list(COSTS))
def test_every_set_operation_pays_from_one_budget(operation: str) -> None:
    expression, cost = COSTS[operation]
    mdx = f"SELECT {expression} ON 0 FROM [Trades]"
    budgeted(mdx, cost)  # exactly enough
    with pytest.raises(MdxError) as raised:
        budgeted(mdx, cost - 1)
    assert raised.value.status == 400
    assert f"more than {cost - 1} tuples" in raised.value.message
    assert "limits.max_mdx_tuples" in raised.value.message


@pytest.mark.parametrize(
    ("mdx", "cost"),
    [
        # Paris as a set 1, the subselect keeps Paris's 4 facts; qty.SUM as a set 1; one
        # pattern (no leaf) reads the 4 facts.
        (
            f"SELECT [Measures].[qty.SUM] ON 0 FROM (SELECT {CITY}.[AllMember].[Paris] ON 0 "
            "FROM [Trades])",
            10,
        ),
        # qty.SUM 1, Equity in WHERE 1, WHERE keeps Equity's 3 facts, one pattern reads 3.
        (
            f"SELECT [Measures].[qty.SUM] ON 0 FROM [Trades] WHERE {DESK}.[AllMember].[Equity]",
            8,
        ),
    ],
    ids=["subselect", "where"],
)
def test_facts_kept_and_read_pay_too(mdx: str, cost: int) -> None:
    budgeted(mdx, cost)
    with pytest.raises(MdxError, match=rf"more than {cost - 1} tuples"):
        budgeted(mdx, cost - 1)


def test_crossjoins_that_each_fit_do_not_fit_together() -> None:
    # The attack: each Crossjoin is within any per-call bound, their literal is
    # not, and Filter(..., FALSE) keeps the answer empty. 28 per Crossjoin (plus 11 for
    # its inputs): three of them are past 100, and the third is the one refused.
    crossjoin = f"Crossjoin({ID}.[id].Members, {DESK}.[desk].Members)"
    mdx = f"SELECT Filter({{{crossjoin}, {crossjoin}, {crossjoin}}}, FALSE) ON 0 FROM [Trades]"
    with pytest.raises(MdxError) as raised:
        budgeted(mdx, 100)
    third = mdx.index(crossjoin, mdx.index(crossjoin, mdx.index(crossjoin) + 1) + 1)
    assert raised.value.message.startswith(f"unsupported MDX at character {third + 1} ")


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


class CountedMeasures(dict[str, Any]):
    """A schema's measures that count how often they are walked."""

    walks = 0

    def __iter__(self) -> Iterator[str]:
        CountedMeasures.walks += 1
        return super().__iter__()


def test_ordering_measures_does_not_walk_them_once_per_tuple(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Hierarchize looked each measure's position up by listing every measure: with a wide
    # table's thousands of measures, time quadratic in them, within every budget.
    measures = 300
    columns = {"id": "int", **{f"m{i}": "double" for i in range(measures)}}
    table = Table("Wide", columns, ["id"])
    made = schema.cube_schema

    def counted(cube: Cube, table: Table) -> Any:
        described = made(cube, table)
        described.measures = CountedMeasures(described.measures)
        return described

    monkeypatch.setattr("fakeserver.mdx.evaluator.cube_schema", counted)
    CountedMeasures.walks = 0
    mdx = "SELECT Hierarchize([Measures].Members) ON 0 FROM [Wide]"
    cellset = evaluate(parse(mdx), Cube("Wide", "Wide"), table)
    assert len(cellset["axes"][0]["positions"]) == measures + 1  # and contributors.COUNT
    assert CountedMeasures.walks < 10


def test_a_cell_finds_its_measure_without_comparing_it_to_every_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each cell looked its measure up in the list of summed ones (a dataclass compared field
    # by field): cells times measures, 8 s for 95 rows by 1,000 measures.
    measures = 300
    columns = {"id": "int", **{f"m{i}": "double" for i in range(measures)}}
    table = Table("Wide", columns, ["id"])
    table.upsert(table.prepare([[i, *range(measures)] for i in range(3)]))
    comparisons = 0
    equal = schema.Measure.__eq__

    def counted(self: schema.Measure, other: object) -> bool:
        nonlocal comparisons
        comparisons += 1
        return equal(self, other)

    monkeypatch.setattr(schema.Measure, "__eq__", counted)
    mdx = "SELECT [Measures].Members ON 0, [Wide].[id].[id].Members ON 1 FROM [Wide]"
    cellset = evaluate(parse(mdx), Cube("Wide", "Wide"), table)
    cells = len(cellset["cells"])
    assert cells == (measures + 1) * 3
    assert comparisons < cells
