"""The MDX subset as a syntax tree: ``SELECT <axes> FROM <cube or subselect> [WHERE ...]``.

A recursive-descent parser pulling :mod:`.lexer`'s tokens one at a time. The query's length
(``limits.max_mdx_chars``) is checked before anything else; nesting is counted and refused
past ``limits.max_mdx_nesting`` with an error that says so, before Python's stack could
run out.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from ..limits import Limits
from .errors import MdxError, where
from .lexer import Token, tokenize
from .nodes import Axis, Call, Compare, Ident, Lit, Logic, Node, Select, SetLit, TupleLit

__all__ = ["MAX_NESTING", "parse", "too_deep"]

_DEFAULT_LIMITS = Limits()
#: The default nesting limit (``limits.max_mdx_nesting``): parentheses, braces, function
#: calls, ``NOT`` and subselects each open one level.
MAX_NESTING = _DEFAULT_LIMITS.max_mdx_nesting
#: Digits of a whole-number literal read as an integer; longer ones are read as a double,
#: as the real server reads every numeric literal (Python refuses ints over 4,300 digits).
_INT_DIGITS = 18

_AXES = {"COLUMNS": 0, "ROWS": 1}
_RESERVED = frozenset(
    {
        "SELECT",
        "FROM",
        "WHERE",
        "ON",
        "NON",
        "EMPTY",
        "DIMENSION",
        "PROPERTIES",
        "WITH",
        "AND",
        "OR",
        "NOT",
        "XOR",
        "CELL",
        "AS",
        "MEMBER",
        "SET",
    }
)
_COMPARISONS = ("=", "<>", "<", "<=", ">", ">=")


class _Parser:
    def __init__(self, mdx: str, max_nesting: int) -> None:
        self.mdx = mdx
        self.max_nesting = max_nesting
        self.stream: Iterator[Token] = tokenize(mdx)
        self.token = next(self.stream)
        self.following: Token | None = None  # one token of look-ahead, made when asked
        self.previous = self.token
        self.depth = 0

    def peek(self) -> Token:
        """The token after the current one."""
        if self.following is None:
            self.following = self.token if self.token.kind == "end" else next(self.stream)
        return self.following

    def take(self) -> Token:
        """The current token; the next one becomes current (``end`` stays)."""
        token = self.previous = self.token
        if token.kind != "end":
            self.token, self.following = self.peek(), None
        return token

    def syntax(self, expected: str, token: Token | None = None) -> MdxError:
        token = token or self.token
        found = (
            "the end of the query"
            if token.kind == "end"
            else repr(self.mdx[token.start : token.end])
        )
        return MdxError(
            f"MDX syntax error {where(self.mdx, token.start)}: expected {expected}, found {found}"
        )

    def unsupported(self, what: str, start: int, end: int | None = None) -> MdxError:
        return MdxError(f"unsupported MDX {where(self.mdx, start, end)}: {what}")

    def expect_word(self, word: str) -> Token:
        if not self.token.is_word(word):
            raise self.syntax(word)
        return self.take()

    def expect_punct(self, punct: str) -> Token:
        if self.token.kind != "punct" or self.token.text != punct:
            raise self.syntax(repr(punct))
        return self.take()

    def at_punct(self, punct: str) -> bool:
        return self.token.kind == "punct" and self.token.text == punct

    def enter(self, token: Token) -> None:
        """One more level of nesting opened at ``token``; refused past the nesting limit."""
        self.depth += 1
        if self.depth > self.max_nesting:
            raise self.unsupported(
                f"nesting deeper than {self.max_nesting} levels (parentheses, braces, function "
                f"calls, NOT and subselects; fakeserver answers at most {self.max_nesting}: "
                "limits.max_mdx_nesting)",
                token.start,
            )

    def leave(self) -> None:
        self.depth -= 1

    # -- statements --------------------------------------------------------------------

    def query(self) -> Select:
        select = self.select()
        if self.at_punct(";"):
            self.take()
        token = self.token
        if token.is_word("CELL"):
            raise self.unsupported(
                "CELL PROPERTIES (every cell has its value and formatted value)", token.start
            )
        if token.kind != "end":
            raise self.unsupported(
                "more than SELECT <axes> FROM <cube or subselect> [WHERE <slicer>]", token.start
            )
        return select

    def select(self) -> Select:
        token = self.token
        if token.is_word("WITH"):
            raise self.unsupported("WITH (calculated members and named sets)", token.start)
        if token.is_word("DRILLTHROUGH", "EXPLAIN"):
            raise self.unsupported(f"{token.text.upper()} statements (only SELECT)", token.start)
        start = self.expect_word("SELECT").start
        axes: list[Axis] = []
        if not self.token.is_word("FROM"):
            axes.append(self.axis())
            while self.at_punct(","):
                self.take()
                axes.append(self.axis())
        self.expect_word("FROM")
        source: str | Select
        if self.at_punct("("):
            self.enter(self.take())
            source = self.select()
            self.expect_punct(")")
            self.leave()
        elif self.token.kind == "id" or (
            self.token.kind == "word" and self.token.text.upper() not in _RESERVED
        ):
            source = self.take().text
            if self.at_punct("."):
                raise self.unsupported("a qualified cube name (give only [cube])", self.token.start)
        else:
            raise self.syntax("a [cube] name or a (SELECT ...) subselect")
        slicer = None
        if self.token.is_word("WHERE"):
            self.take()
            slicer = self.expression()
        seen: set[int] = set()
        for axis in axes:
            if axis.index in seen:
                raise self.unsupported("the same axis twice", axis.start)
            seen.add(axis.index)
        if seen and seen != set(range(len(seen))):
            raise MdxError(
                f"MDX error {where(self.mdx, start)}: ROWS needs a COLUMNS axis (axes 0 to n)"
            )
        return Select(tuple(sorted(axes, key=lambda a: a.index)), source, slicer, start, self.mdx)

    def axis(self) -> Axis:
        start = self.token.start
        non_empty = False
        if self.token.is_word("NON"):
            self.take()
            self.expect_word("EMPTY")
            non_empty = True
        expression = self.expression()
        if self.token.is_word("DIMENSION"):
            self.take()
            self.expect_word("PROPERTIES")
            self.ident_chain()  # asked-for member properties change no value: ignored
            while self.at_punct(","):
                self.take()
                self.ident_chain()
        self.expect_word("ON")
        token = self.token
        index: int | None = None
        if token.kind == "word" and token.text.upper() in _AXES:
            index = _AXES[token.text.upper()]
            self.take()
        elif token.kind == "num":
            index = self.axis_number(self.take())
        elif token.is_word("AXIS") and self.peek().text == "(":
            self.take()
            self.take()
            number = self.take()
            if number.kind != "num":
                raise self.syntax("an axis number", number)
            index = self.axis_number(number)
            self.expect_punct(")")
        else:
            raise self.syntax("COLUMNS or ROWS")
        if index not in (0, 1):
            raise self.unsupported(
                "axes other than COLUMNS (0) and ROWS (1)", token.start, self.token.start
            )
        return Axis(index, expression, non_empty, start)

    def axis_number(self, token: Token) -> int | None:
        value = self.number(token)
        return int(value) if float(value).is_integer() and abs(value) < 2**31 else None

    def number(self, token: Token) -> int | float:
        """A numeric literal's value; one past a double's range is refused, not infinite."""
        text = token.text
        if not any(c in text for c in ".eE") and len(text) <= _INT_DIGITS:
            return int(text)
        value = float(text)
        if math.isinf(value):
            raise self.unsupported(
                "a number beyond the range of a double (about 1.8E308)", token.start, token.end
            )
        return value

    # -- expressions -------------------------------------------------------------------

    def expression(self) -> Node:
        left = self.conjunction()
        while self.token.is_word("OR", "XOR"):
            op = self.take()
            if op.text.upper() == "XOR":
                raise self.unsupported("XOR", op.start, op.end)
            right = self.conjunction()
            left = Logic("OR", left, right, _start(left), _end(right))
        return left

    def conjunction(self) -> Node:
        left = self.negation()
        while self.token.is_word("AND"):
            self.take()
            right = self.negation()
            left = Logic("AND", left, right, _start(left), _end(right))
        return left

    def negation(self) -> Node:
        if self.token.is_word("NOT"):
            token = self.take()
            self.enter(token)
            operand = self.negation()
            self.leave()
            return Logic("NOT", operand, None, token.start, _end(operand))
        return self.comparison()

    def comparison(self) -> Node:
        left = self.primary()
        token = self.token
        if token.kind == "op" and token.text in _COMPARISONS:
            self.take()
            right = self.primary()
            left = Compare(token.text, left, right, _start(left), _end(right))
            token = self.token
        if token.kind == "op":
            what = "the range operator ':'" if token.text == ":" else f"the operator {token.text!r}"
            raise self.unsupported(what, token.start, token.end)
        return left

    def primary(self) -> Node:
        token = self.token
        if token.kind == "punct" and token.text == "{":
            self.enter(self.take())
            items = self.items("}")
            end = self.expect_punct("}").end
            self.leave()
            return SetLit(items, token.start, end)
        if token.kind == "punct" and token.text == "(":
            self.enter(self.take())
            items = self.items(")")
            end = self.expect_punct(")").end
            self.leave()
            if not items:
                raise self.syntax("an expression", self.previous)
            return items[0] if len(items) == 1 else TupleLit(items, token.start, end)
        if token.kind == "num":
            self.take()
            return Lit(self.number(token), token.start, token.end)
        if token.kind == "op" and token.text == "-" and self.peek().kind == "num":
            self.take()
            number = self.take()
            return Lit(-self.number(number), token.start, number.end)
        if token.kind == "str":
            self.take()
            return Lit(token.text, token.start, token.end)
        if token.is_word("TRUE", "FALSE"):
            self.take()
            return Lit(token.text.upper() == "TRUE", token.start, token.end)
        if token.kind == "word" and self.peek().text == "(":
            if token.text.upper() in _RESERVED:
                raise self.syntax("an expression")
            return self.call()
        if token.kind == "id" or (token.kind == "word" and token.text.upper() not in _RESERVED):
            return self.ident_chain()
        if token.kind == "op" and token.text == "&":
            raise self.unsupported("member keys (&[...])", token.start, self.peek().end)
        raise self.syntax("an expression")

    def items(self, closing: str) -> tuple[Node, ...]:
        items: list[Node] = []
        if self.at_punct(closing):
            return ()
        items.append(self.expression())
        while self.at_punct(","):
            self.take()
            items.append(self.expression())
        return tuple(items)

    def call(self) -> Node:
        name = self.take()
        self.expect_punct("(")
        self.enter(name)
        args = self.items(")")
        end = self.expect_punct(")").end
        self.leave()
        node = Call(name.text, args, name.start, end)
        if self.at_punct("."):
            dot = self.take()
            raise self.unsupported("a property of a function result", dot.start, self.token.end)
        return node

    def ident_chain(self) -> Ident:
        token = self.token
        if token.kind not in ("id", "word"):
            raise self.syntax("an identifier")
        parts = [(self.take().text, token.kind == "id")]
        end = token.end
        while self.at_punct("."):
            self.take()
            part = self.token
            if part.kind == "op" and part.text == "&":
                raise self.unsupported("member keys (&[...])", part.start, self.peek().end)
            if part.kind not in ("id", "word") or (
                part.kind == "word" and part.text.upper() in _RESERVED
            ):
                raise self.syntax("an identifier after '.'")
            self.take()
            if part.kind == "word" and self.at_punct("("):
                raise self.unsupported(f"the method .{part.text}(...)", part.start, self.token.end)
            parts.append((part.text, part.kind == "id"))
            end = part.end
        return Ident(tuple(parts), token.start, end)


def _start(node: Node) -> int:
    return node.start


def _end(node: Node) -> int:
    return node.end


def parse(mdx: str, limits: Limits = _DEFAULT_LIMITS) -> Select:
    """The syntax tree of one ``SELECT``, or an :class:`MdxError` naming the offending part.

    The length limit comes first, before a single token is made.
    """
    if len(mdx) > limits.max_mdx_chars:
        raise MdxError(
            f"unsupported MDX: the query is {len(mdx):,} characters long (fakeserver answers "
            f"at most {limits.max_mdx_chars:,}: limits.max_mdx_chars)"
        )
    try:
        return _Parser(mdx, limits.max_mdx_nesting).query()
    except RecursionError:  # the nesting limit should come first: never a 500 regardless
        raise MdxError(too_deep("parse", limits)) from None


def too_deep(what: str, limits: Limits) -> str:
    """The 400 for a query whose nesting ran out of stack while trying to ``what`` it."""
    return (
        f"unsupported MDX: the query is nested too deeply to {what} (fakeserver answers "
        f"at most {limits.max_mdx_nesting} levels of nesting: limits.max_mdx_nesting)"
    )
