"""The cube as MDX sees it (``fakeserver.mdx.schema``): read from discovery, members from rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from fakeserver.mdx.schema import MEASURES, Member, bracketed, cube_schema
from fakeserver.model import Cube, Table


@pytest.fixture
def table() -> Table:
    table = Table("T", {"id": "int", "desk": "String", "qty": "double", "n": "long"}, keys=("id",))
    table.upsert(table.prepare([[3, "B", 1.5, 1], [1, "A", 2.0, 2], [2, "B", 0.5, 3]]))
    return table


def test_hierarchies_and_measures_are_those_discovery_lists(table: Table) -> None:
    schema = cube_schema(Cube("C", "T"), table)
    assert (schema.name, schema.table) == ("C", table)
    assert set(schema.hierarchies) == {("T", "id"), ("T", "desk")}
    desk = schema.hierarchies[("T", "desk")]
    assert (desk.all_level, desk.level, desk.column, desk.type) == ("ALL", "desk", "desk", "String")
    assert desk.names == ["A", "B"] and desk.order == {"A": 0, "B": 1}
    ids = schema.hierarchies[("T", "id")]
    assert ids.names == ["1", "2", "3"] and ids.values == {"1": 1, "2": 2, "3": 3}
    assert set(schema.measures) == {"contributors.COUNT", "qty.SUM", "n.SUM"}
    assert schema.measures["contributors.COUNT"].column is None
    qty = schema.measures["qty.SUM"]
    assert (qty.column, qty.position, qty.format_string) == ("qty", 2, "DOUBLE[#,###.00]")
    assert schema.default_measure == "contributors.COUNT"
    assert schema.unusable == {} and schema.other_measures == set()


@dataclass(frozen=True)
class _OddCube(Cube):
    """A cube whose discovery lists what MDX here cannot compute."""

    def discovery(self, table: Table) -> dict[str, Any]:
        found = super().discovery(table)
        slicing = {**found["dimensions"][0]["hierarchies"][1], "name": "sliced", "slicing": True}
        found["dimensions"][0]["hierarchies"].append(slicing)
        found["measures"] += [{"name": "qty.MEAN"}, {"name": "desk.SUM"}]
        return found


def test_what_cannot_be_computed_is_kept_by_name(table: Table) -> None:
    # So that a query naming it is told "unsupported", not "unknown".
    schema = cube_schema(_OddCube("C", "T"), table)
    assert list(schema.unusable) == [("T", "sliced")]
    assert "only hierarchies made of the ALL level" in schema.unusable[("T", "sliced")]
    assert schema.other_measures == {"qty.MEAN", "desk.SUM"}
    assert ("T", "sliced") not in schema.hierarchies


def test_members_and_names() -> None:
    leaf = Member(("T", "desk"), ("AllMember", "A"))
    assert (leaf.depth, leaf.is_leaf) == (1, True)
    root = Member(("T", "desk"), ("AllMember",))
    assert (root.depth, root.is_leaf) == (0, False)
    assert not Member(MEASURES, ("qty.SUM",)).is_leaf
    assert bracketed(("T", "desk")) == "[T].[desk]"
