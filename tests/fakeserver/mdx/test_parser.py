"""The MDX parser on its own: every generated form, the syntax it names, and its limits."""

from __future__ import annotations

import pytest

from fakeserver.mdx import MdxError, Select, parse
from fakeserver.mdx import parser as mdx_parser

from .trades import GENERATED, TOO_DEEP, UNSUPPORTED


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


@pytest.mark.parametrize(("mdx", "part"), UNSUPPORTED)
def test_unsupported_syntax_is_named_by_the_parser(mdx: str, part: str) -> None:
    with pytest.raises(MdxError) as caught:
        parse(mdx)
    assert part in caught.value.message
    assert "at character" in caught.value.message


def test_a_recursion_error_while_parsing_is_the_same_400(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mdx_parser, "MAX_NESTING", 10**6)  # only the stack stops it now
    with pytest.raises(MdxError) as caught:
        parse(TOO_DEEP["5000 parentheses"])
    assert caught.value.status == 400
    assert caught.value.message.startswith(
        "unsupported MDX: the query is nested too deeply to parse"
    )
