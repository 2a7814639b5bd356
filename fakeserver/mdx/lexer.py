"""MDX text as tokens: [quoted] identifiers, words, numbers, strings, operators, punctuation.

Comments (``--``, ``//``, ``/* */``) are skipped; ``]]`` inside an identifier and a doubled
quote inside a string stand for one character, and tokens hold the unescaped text.

Tokens are made one at a time as the parser asks for them, so a syntax error early in a
long query costs what the text before it costs, never a token list of the whole query.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import MdxError, where

__all__ = ["Token", "tokenize"]


@dataclass(frozen=True)
class Token:
    kind: str  # "id" ([quoted]), "word", "num", "str", "op", "punct", "end"
    text: str  # unescaped for "id" and "str"
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WORD = re.compile(r"[^\W\d]\w*")  # Unicode letters, as MDX allows in bare names
_SPACE = re.compile(r"\s+")


def tokenize(mdx: str) -> Iterator[Token]:
    """The tokens of ``mdx``, lazily, ending with one ``end`` token."""
    i, n = 0, len(mdx)
    while i < n:
        c = mdx[i]
        if (space := _SPACE.match(mdx, i)) is not None:
            i = space.end()
        elif mdx.startswith(("--", "//"), i):
            newline = mdx.find("\n", i)
            i = n if newline < 0 else newline + 1
        elif mdx.startswith("/*", i):
            close = mdx.find("*/", i + 2)
            if close < 0:
                raise MdxError(f"MDX syntax error {where(mdx, i)}: unterminated comment")
            i = close + 2
        elif c == "[":
            j, parts = i + 1, []
            while True:
                close = mdx.find("]", j)
                if close < 0:
                    raise MdxError(f"MDX syntax error {where(mdx, i)}: unterminated [identifier]")
                parts.append(mdx[j:close])
                if mdx.startswith("]]", close):  # an escaped ]
                    parts.append("]")
                    j = close + 2
                    continue
                break
            yield Token("id", "".join(parts), i, close + 1)
            i = close + 1
        elif c in "\"'":
            j, parts = i + 1, []
            while True:
                close = mdx.find(c, j)
                if close < 0:
                    raise MdxError(f"MDX syntax error {where(mdx, i)}: unterminated string")
                parts.append(mdx[j:close])
                if mdx.startswith(c * 2, close):  # a doubled quote stands for one
                    parts.append(c)
                    j = close + 2
                    continue
                break
            yield Token("str", "".join(parts), i, close + 1)
            i = close + 1
        elif (number := _NUMBER.match(mdx, i)) is not None:
            yield Token("num", number.group(), i, number.end())
            i = number.end()
        elif (word := _WORD.match(mdx, i)) is not None:
            yield Token("word", word.group(), i, word.end())
            i = word.end()
        elif mdx.startswith(("<=", ">=", "<>"), i):
            yield Token("op", mdx[i : i + 2], i, i + 2)
            i += 2
        elif c in "=<>+-*/:&^|!@":
            yield Token("op", c, i, i + 1)
            i += 1
        elif c in "{}(),.;":
            yield Token("punct", c, i, i + 1)
            i += 1
        else:
            raise MdxError(f"MDX syntax error {where(mdx, i)}: unexpected character {c!r}")
    yield Token("end", "", n, n)
