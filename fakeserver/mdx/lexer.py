"""MDX text as tokens: [quoted] identifiers, words, numbers, strings, operators, punctuation.

Comments (``--``, ``//``, ``/* */``) are skipped; ``]]`` inside an identifier and a doubled
quote inside a string stand for one character, and tokens hold the unescaped text.
"""

from __future__ import annotations

import re
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


def tokenize(mdx: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(mdx)
    while i < n:
        c = mdx[i]
        if c.isspace():
            i += 1
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
            tokens.append(Token("id", "".join(parts), i, close + 1))
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
            tokens.append(Token("str", "".join(parts), i, close + 1))
            i = close + 1
        elif (number := _NUMBER.match(mdx, i)) is not None:
            tokens.append(Token("num", number.group(), i, number.end()))
            i = number.end()
        elif (word := _WORD.match(mdx, i)) is not None:
            tokens.append(Token("word", word.group(), i, word.end()))
            i = word.end()
        elif mdx.startswith(("<=", ">=", "<>"), i):
            tokens.append(Token("op", mdx[i : i + 2], i, i + 2))
            i += 2
        elif c in "=<>+-*/:&^|!@":
            tokens.append(Token("op", c, i, i + 1))
            i += 1
        elif c in "{}(),.;":
            tokens.append(Token("punct", c, i, i + 1))
            i += 1
        else:
            raise MdxError(f"MDX syntax error {where(mdx, i)}: unexpected character {c!r}")
    tokens.append(Token("end", "", n, n))
    return tokens
