"""The MDX parser on its own: every generated form, the syntax it names, and its limits."""

from __future__ import annotations

import tracemalloc

import pytest

from fakeserver import Limits
from fakeserver.mdx import MdxError, Select, parse

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


def test_a_recursion_error_while_parsing_is_the_same_400() -> None:
    unbounded = Limits()
    object.__setattr__(unbounded, "max_mdx_nesting", 10**6)  # past validation: only the stack
    with pytest.raises(MdxError) as caught:
        parse(TOO_DEEP["5000 parentheses"], unbounded)
    assert caught.value.status == 400
    assert caught.value.message.startswith(
        "unsupported MDX: the query is nested too deeply to parse"
    )


NUMBERS = {
    "axis 1e999": "SELECT {} ON 1e999 FROM [Trades]",
    "axis of 5000 digits": "SELECT {} ON " + "9" * 5000 + " FROM [Trades]",
    "AXIS(1e999)": "SELECT {} ON AXIS(1e999) FROM [Trades]",
    "Descendants depth": (
        "SELECT Descendants([Trades].[city].[AllMember], " + "9" * 5000 + ") ON 0 FROM [Trades]"
    ),
    "comparison": (
        "SELECT Filter([Trades].[id].[id].Members, "
        "[Trades].[id].CurrentMember.MEMBER_VALUE > 1e999) ON 0 FROM [Trades]"
    ),
    "negative": (
        "SELECT Filter([Trades].[id].[id].Members, "
        "[Trades].[id].CurrentMember.MEMBER_VALUE > -" + "9" * 400 + ") ON 0 FROM [Trades]"
    ),
}


@pytest.mark.parametrize("mdx", list(NUMBERS.values()), ids=list(NUMBERS))
def test_numbers_beyond_a_double_are_a_400_naming_them(mdx: str) -> None:
    with pytest.raises(MdxError) as caught:
        parse(mdx)
    assert caught.value.status == 400
    assert "a number beyond the range of a double" in caught.value.message
    assert caught.value.message.startswith("unsupported MDX at character ")


def test_long_numbers_within_a_double_are_read_as_one() -> None:
    zero = parse("SELECT {} ON " + "0" * 5000 + " FROM [Trades]")
    assert [a.index for a in zero.axes] == [0]
    assert [a.index for a in parse("SELECT {} ON 0.0e0, {} ON 1.0 FROM [Trades]").axes] == [0, 1]
    with pytest.raises(MdxError, match="axes other than COLUMNS"):
        parse("SELECT {} ON 0.5 FROM [Trades]")
    with pytest.raises(MdxError, match="axes other than COLUMNS"):
        parse("SELECT {} ON 1e300 FROM [Trades]")


def test_a_query_longer_than_the_limit_is_refused_before_it_is_read() -> None:
    limits = Limits(max_mdx_chars=1000)
    parse("SELECT {} ON 0 FROM [Trades]" + " " * (1000 - 28), limits)  # exactly the limit
    with pytest.raises(MdxError) as caught:
        parse("SELECT )" + "," * 993, limits)  # 1,001 characters, an error at the 8th
    assert caught.value.message == (
        "unsupported MDX: the query is 1,001 characters long (fakeserver answers at most "
        "1,000: limits.max_mdx_chars)"
    )


def test_an_early_syntax_error_costs_nothing_for_the_rest_of_the_query() -> None:
    # The longest query the default limits allow, wrong at its 8th character: the parser
    # must stop there, without a token list of the 65,528 commas after it.
    mdx = "SELECT )" + "," * (Limits().max_mdx_chars - 8)
    tracemalloc.start()
    try:
        with pytest.raises(MdxError) as caught:
            parse(mdx)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.message.startswith("MDX syntax error at character 8 (')"), (
        caught.value.message
    )
    # A token per comma would be megabytes; a lazy tokenizer holds a handful of tokens.
    assert peak < len(mdx) / 4, f"{peak:,} bytes allocated for a {len(mdx):,}-character query"
