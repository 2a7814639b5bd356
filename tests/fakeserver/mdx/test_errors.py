"""The MDX package's one error (``fakeserver.mdx.errors``) and where in the query it points."""

from __future__ import annotations

from fakeserver.mdx.errors import MdxError, where


def test_an_mdx_error_is_a_400_carrying_its_message() -> None:
    error = MdxError("no cube named 'Nope'")
    assert (error.status, error.message, str(error)) == (400, "no cube named 'Nope'", error.message)


def test_where_counts_from_one_and_quotes_the_place() -> None:
    mdx = "SELECT [x] ON 0 FROM [Trades]"
    assert where(mdx, 7, 10) == "at character 8 ('[x]')"
    assert where(mdx, 21) == "at character 22 ('[Trades]')", "to the end without an end"
    assert where(mdx, len(mdx)) == f"at character {len(mdx) + 1}", "nothing left to quote"


def test_where_folds_whitespace_and_shortens_long_snippets() -> None:
    assert where("SELECT\n\t  x   ON 0", 0) == "at character 1 ('SELECT x ON 0')"
    snippet = where("Crossjoin(" + "a, " * 50 + "b)", 0)
    quoted = snippet.split("'")[1]
    assert len(quoted) == 60 and quoted.endswith("...")
