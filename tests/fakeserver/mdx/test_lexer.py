"""MDX tokens as the parser sees them: keywords in any case, comments, escaped names."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

from fakeserver.mdx import parse
from fakeserver.mdx.lexer import tokenize


def test_lexical_forms_keywords_comments_and_escapes() -> None:
    select = parse(
        "-- leading comment\n select /* inline */ {[Measures].[a]]b]} on 0, "
        "non empty [D].[H].[L].members on axis(1) from [C]]ube] where [D].[H].[AllMember];"
    )
    assert select.cube == "C]ube"
    assert [(a.index, a.non_empty) for a in select.axes] == [(0, False), (1, True)]


def test_tokens_are_made_as_they_are_asked_for() -> None:
    text = "SELECT " + "," * 200_000
    tracemalloc.start()
    try:
        tokens = tokenize(text)
        first, second = next(tokens), next(tokens)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(tokens, Iterator)
    assert (first.kind, first.text, second.text, second.start) == ("word", "SELECT", ",", 7)
    assert peak < len(text) / 10, f"{peak:,} bytes for two tokens of {len(text):,} characters"


def test_runs_of_white_space_are_one_step() -> None:
    tokens = list(tokenize("SELECT" + " \t\n" * 1000 + "FROM"))
    assert [(t.kind, t.text, t.start) for t in tokens] == [
        ("word", "SELECT", 0),
        ("word", "FROM", 3006),
        ("end", "", 3010),
    ]
