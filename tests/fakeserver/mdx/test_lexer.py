"""MDX tokens as the parser sees them: keywords in any case, comments, escaped names."""

from __future__ import annotations

from fakeserver.mdx import parse


def test_lexical_forms_keywords_comments_and_escapes() -> None:
    select = parse(
        "-- leading comment\n select /* inline */ {[Measures].[a]]b]} on 0, "
        "non empty [D].[H].[L].members on axis(1) from [C]]ube] where [D].[H].[AllMember];"
    )
    assert select.cube == "C]ube"
    assert [(a.index, a.non_empty) for a in select.axes] == [(0, False), (1, True)]
