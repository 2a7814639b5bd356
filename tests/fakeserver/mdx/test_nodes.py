"""The syntax tree (``fakeserver.mdx.nodes``): positions into the text, and the cube read."""

from __future__ import annotations

from fakeserver.mdx import parse
from fakeserver.mdx.nodes import Ident, Select


def test_a_subselect_reads_from_the_cube_of_the_innermost_select() -> None:
    mdx = (
        "SELECT [Measures].[n.SUM] ON 0 FROM (SELECT [T].[d].[ALL].[AllMember].[x] ON 0 "
        "FROM (SELECT [T].[c].[ALL].[AllMember].[y] ON 0 FROM [Cube]))"
    )
    select = parse(mdx)
    assert isinstance(select.source, Select) and isinstance(select.source.source, Select)
    assert select.cube == select.source.cube == "Cube"


def test_nodes_point_into_the_text_they_come_from() -> None:
    mdx = "SELECT  [Measures].[n.SUM] ON COLUMNS FROM [Cube]"
    select = parse(mdx)
    axis = select.axes[0]
    assert isinstance(axis.expression, Ident)
    expression = axis.expression
    assert mdx[expression.start : expression.end] == "[Measures].[n.SUM]"
    assert expression.parts == (("Measures", True), ("n.SUM", True))
    assert select.text == mdx
