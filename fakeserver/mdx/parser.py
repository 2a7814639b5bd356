"""The MDX subset as a syntax tree: ``SELECT <axes> FROM <cube or subselect> [WHERE ...]``.

A recursive-descent parser over :mod:`.lexer`'s tokens. Nesting is counted and refused past
:data:`MAX_NESTING` with an error that says so, before Python's stack could run out.
"""

from __future__ import annotations

from .errors import MdxError, where
from .lexer import Token, tokenize
from .nodes import Axis, Call, Compare, Ident, Lit, Logic, Node, Select, SetLit, TupleLit

__all__ = ["MAX_NESTING", "parse", "too_deep"]

#: Deeper MDX is refused with a 400 (not a recursion error on the server): parentheses,
#: braces, function calls, ``NOT`` and subselects each open one level.
MAX_NESTING = 64

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
    def __init__(self, mdx: str) -> None:
        self.mdx = mdx
        self.tokens = tokenize(mdx)
        self.pos = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.token
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
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
        """One more level of nesting opened at ``token``; refused past :data:`MAX_NESTING`."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.unsupported(
                f"nesting deeper than {MAX_NESTING} levels (parentheses, braces, function "
                f"calls, NOT and subselects; fakeserver answers at most {MAX_NESTING})",
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
            index = int(float(token.text))
            self.take()
        elif token.is_word("AXIS") and self.peek().text == "(":
            self.take()
            self.take()
            number = self.take()
            if number.kind != "num":
                raise self.syntax("an axis number", number)
            index = int(float(number.text))
            self.expect_punct(")")
        else:
            raise self.syntax("COLUMNS or ROWS")
        if index not in (0, 1):
            raise self.unsupported(
                "axes other than COLUMNS (0) and ROWS (1)", token.start, self.token.start
            )
        return Axis(index, expression, non_empty, start)

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
                raise self.syntax("an expression", self.tokens[self.pos - 1])
            return items[0] if len(items) == 1 else TupleLit(items, token.start, end)
        if token.kind == "num":
            self.take()
            return Lit(_number(token.text), token.start, token.end)
        if token.kind == "op" and token.text == "-" and self.peek().kind == "num":
            self.take()
            number = self.take()
            return Lit(-_number(number.text), token.start, number.end)
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


def _number(text: str) -> int | float:
    return float(text) if any(c in text for c in ".eE") else int(text)


def parse(mdx: str) -> Select:
    """The syntax tree of one ``SELECT``, or an :class:`MdxError` naming the offending part."""
    try:
        return _Parser(mdx).query()
    except RecursionError:  # the nesting limit should come first: never a 500 regardless
        raise MdxError(too_deep("parse")) from None


def too_deep(what: str) -> str:
    """The 400 for a query whose nesting ran out of stack while trying to ``what`` it."""
    return (
        f"unsupported MDX: the query is nested too deeply to {what} "
        f"(fakeserver answers at most {MAX_NESTING} levels of nesting)"
    )
