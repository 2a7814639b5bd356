"""The cell set (``fakeserver.mdx.cells``): ordinals, sparse cells, NON EMPTY, size limits."""

from __future__ import annotations

import pytest

from fakeserver import Limits
from fakeserver.mdx import MdxError, decimal_format, parse
from fakeserver.mdx.budget import Budget
from fakeserver.mdx.cells import cell_set
from fakeserver.mdx.schema import MEASURES, Member, MemberSet, Schema, cube_schema
from fakeserver.model import Cube, Table

DESK = ("T", "desk")
COUNT, QTY = "contributors.COUNT", "qty.SUM"


@pytest.fixture
def schema() -> Schema:
    table = Table("T", {"id": "int", "desk": "String", "qty": "double"}, keys=("id",))
    table.upsert(table.prepare([[1, "A", 1.5], [2, "B", 2.0], [3, "A", 0.25]]))
    return cube_schema(Cube("C", "T"), table)


def measures(*names: str) -> MemberSet:
    return MemberSet((MEASURES,), tuple((Member(MEASURES, (n,)),) for n in names))


def desks(*names: str) -> MemberSet:
    return MemberSet((DESK,), tuple((Member(DESK, ("AllMember", n)),) for n in names))


def test_ordinals_run_along_the_first_axis_first(schema: Schema) -> None:
    select = parse(f"SELECT {{[Measures].[{QTY}]}} ON 0, [T].[desk].[desk].Members ON 1 FROM [C]")
    facts = schema.table.rows()
    answer = cell_set(
        schema,
        select,
        [measures(QTY, COUNT), desks("A", "B")],
        (),
        facts,
        Budget(Limits(), select.text),
    )
    assert [(c["ordinal"], c["value"]) for c in answer["cells"]] == [
        (0, 1.75),  # (qty.SUM, A)
        (1, 2),  # (COUNT, A)
        (2, 2.0),  # (qty.SUM, B)
        (3, 1),  # (COUNT, B)
    ]
    assert answer["cells"][0]["formattedValue"] == decimal_format(1.75, "DOUBLE[#,###.00]")
    assert answer["cube"] == "C" and [a["id"] for a in answer["axes"]] == [0, 1]
    assert answer["defaultMembers"][0] == {
        "dimension": "Measures",
        "hierarchy": "Measures",
        "path": [COUNT],
        "captionPath": [COUNT],
    }


@pytest.mark.parametrize("non_empty", [False, True])
def test_empty_cells_are_left_out_and_non_empty_drops_their_positions(
    schema: Schema, non_empty: bool
) -> None:
    rows = ("NON EMPTY " if non_empty else "") + "[T].[desk].[desk].Members ON 1"
    select = parse(f"SELECT {{[Measures].[{QTY}]}} ON 0, {rows} FROM [C]")
    answer = cell_set(
        schema,
        select,
        [measures(QTY), desks("A", "Z", "B")],
        (),
        schema.table.rows(),
        Budget(Limits(), select.text),
    )
    positions = [p[0]["namePath"] for p in answer["axes"][1]["positions"]]
    if non_empty:
        assert positions == [["AllMember", "A"], ["AllMember", "B"]]
        assert [(c["ordinal"], c["value"]) for c in answer["cells"]] == [(0, 1.75), (1, 2.0)]
    else:
        assert positions == [["AllMember", "A"], ["AllMember", "Z"], ["AllMember", "B"]]
        assert [(c["ordinal"], c["value"]) for c in answer["cells"]] == [(0, 1.75), (2, 2.0)]


def test_the_slicer_is_echoed_as_axis_minus_one(schema: Schema) -> None:
    select = parse(f"SELECT {{[Measures].[{QTY}]}} ON 0 FROM [C] WHERE [T].[desk].[A]")
    slicer = (Member(DESK, ("AllMember", "A")),)
    # The evaluator has already kept only the facts the slicer selects.
    facts = [row for row in schema.table.rows() if row[1] == "A"]
    answer = cell_set(schema, select, [measures(QTY)], slicer, facts, Budget(Limits(), select.text))
    assert [a["id"] for a in answer["axes"]] == [-1, 0]
    assert answer["axes"][0]["positions"] == [
        [{"namePath": ["AllMember", "A"], "captionPath": ["AllMember", "A"]}]
    ]
    assert [c["value"] for c in answer["cells"]] == [1.75]


def test_a_measure_in_the_slicer_is_the_measure_of_every_cell(schema: Schema) -> None:
    select = parse(f"SELECT [T].[desk].[desk].Members ON 0 FROM [C] WHERE [Measures].[{QTY}]")
    slicer = (Member(MEASURES, (QTY,)),)
    answer = cell_set(
        schema,
        select,
        [desks("A", "B")],
        slicer,
        schema.table.rows(),
        Budget(Limits(), select.text),
    )
    assert [c["value"] for c in answer["cells"]] == [1.75, 2.0]  # sums, not counts


def test_cells_are_limited_and_the_message_points_at_the_axis(schema: Schema) -> None:
    select = parse("SELECT [T].[desk].[desk].Members ON 0 FROM [C]")
    three = desks("A", "Z", "B")
    cell_set(schema, select, [three], (), [], Budget(Limits(max_mdx_cells=3), select.text))
    with pytest.raises(MdxError) as raised:
        cell_set(schema, select, [three], (), [], Budget(Limits(max_mdx_cells=2), select.text))
    assert raised.value.message == (
        "unsupported MDX at character 8 ('[T].[desk].[desk].Members ON 0 FROM [C]'): 3 cells "
        "(fakeserver answers at most 2: limits.max_mdx_cells)"
    )


def test_every_pattern_of_cells_pays_for_the_facts_it_reads(schema: Schema) -> None:
    select = parse("SELECT [T].[desk].[desk].Members ON 0 FROM [C]")
    facts = schema.table.rows()  # 3 facts, one pattern (desk): 3 tuples read
    budget = Budget(Limits(max_mdx_tuples=3), select.text)
    cell_set(schema, select, [desks("A", "B")], (), facts, budget)
    assert budget.left == 0
    with pytest.raises(MdxError, match=r"more than 2 tuples .*limits\.max_mdx_tuples"):
        cell_set(schema, select, [desks("A")], (), facts, Budget(Limits(max_mdx_tuples=2), ""))
