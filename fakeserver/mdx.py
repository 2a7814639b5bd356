"""MDX over the fake's cubes: ``POST {pivot}/cube/query/mdx`` (SPEC §4.4, issue 8).

The subset is what atoti-client 0.9.2 generates from ``Cube.query`` (its ``_generate_mdx.py``)
plus simple hand-written queries::

    SELECT [NON EMPTY] <set> [DIMENSION PROPERTIES ...] ON COLUMNS
         [, [NON EMPTY] <set> [DIMENSION PROPERTIES ...] ON ROWS]
    FROM [cube] | FROM (SELECT <set> ON COLUMNS FROM ... [WHERE ...])
    [WHERE <member> | (<member>, ...)]

Sets are ``{...}``, tuples ``(m1, m2)``, ``[Measures].[name]``, ``[Measures].Members``,
``[dim].[hier].[level].Members``, ``[dim].[hier].Members``, members
``[dim].[hier].[ALL].[AllMember].[name]`` (``[ALL]`` may be left out) and their ``.Children``,
and the functions ``Crossjoin``, ``Hierarchize``, ``Descendants``, ``DrilldownLevel``,
``Except`` and ``Filter`` (conditions on ``[dim].[hier].CurrentMember.MEMBER_VALUE``).
Anything else is a 400 that names the part of the MDX it cannot answer.

Values come from the table rows: ``contributors.COUNT`` counts facts, ``<column>.SUM`` sums
a numeric column. As on the real server, empty cells are left out of ``cells``; a member
named in the MDX that no row has selects nothing (it is not an error).

A subselect restricts the facts *and* the members of the hierarchies on its axes: to the
leaf members it selects, or to nothing at all when it selects none. An ``AllMember`` in it
(as ``Except([d].[h].Members, ...)`` leaves) restricts nothing by itself.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from werkzeug.wrappers import Response

from .errors import FakeHTTPError
from .model import COUNT_MEASURE, NUMERIC_TYPES, Cube, Table
from .protocol import PIVOT_PATH
from .routes import Context, json_object, json_response, route
from .security import Access

__all__ = [
    "MAX_NESTING",
    "MEASURES",
    "Axis",
    "MdxError",
    "Select",
    "decimal_format",
    "evaluate",
    "find_cube",
    "member_name",
    "parse",
]

ALL_MEMBER = "AllMember"
MEASURES = ("Measures", "Measures")
_FUNCTIONS = ("Crossjoin", "Descendants", "DrilldownLevel", "Except", "Filter", "Hierarchize")
_SNIPPET = 60
#: Deeper MDX is refused with a 400 (not a recursion error on the server): parentheses,
#: braces, function calls, ``NOT`` and subselects each open one level.
MAX_NESTING = 64


class MdxError(FakeHTTPError):
    """A query the fake cannot answer; always a 400 whose message points into the MDX."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


def _where(mdx: str, start: int, end: int | None = None) -> str:
    text = mdx[start:end] if end is not None else mdx[start:]
    text = " ".join(text.split())
    if len(text) > _SNIPPET:
        text = text[: _SNIPPET - 3] + "..."
    return f"at character {start + 1} ({text!r})" if text else f"at character {start + 1}"


# -- tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "id" ([quoted]), "word", "num", "str", "op", "punct", "end"
    text: str  # unescaped for "id" and "str"
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WORD = re.compile(r"[^\W\d]\w*")  # Unicode letters, as MDX allows in bare names


def _tokenize(mdx: str) -> list[_Token]:
    tokens: list[_Token] = []
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
                raise MdxError(f"MDX syntax error {_where(mdx, i)}: unterminated comment")
            i = close + 2
        elif c == "[":
            j, parts = i + 1, []
            while True:
                close = mdx.find("]", j)
                if close < 0:
                    raise MdxError(f"MDX syntax error {_where(mdx, i)}: unterminated [identifier]")
                parts.append(mdx[j:close])
                if mdx.startswith("]]", close):  # an escaped ]
                    parts.append("]")
                    j = close + 2
                    continue
                break
            tokens.append(_Token("id", "".join(parts), i, close + 1))
            i = close + 1
        elif c in "\"'":
            j, parts = i + 1, []
            while True:
                close = mdx.find(c, j)
                if close < 0:
                    raise MdxError(f"MDX syntax error {_where(mdx, i)}: unterminated string")
                parts.append(mdx[j:close])
                if mdx.startswith(c * 2, close):  # a doubled quote stands for one
                    parts.append(c)
                    j = close + 2
                    continue
                break
            tokens.append(_Token("str", "".join(parts), i, close + 1))
            i = close + 1
        elif (number := _NUMBER.match(mdx, i)) is not None:
            tokens.append(_Token("num", number.group(), i, number.end()))
            i = number.end()
        elif (word := _WORD.match(mdx, i)) is not None:
            tokens.append(_Token("word", word.group(), i, word.end()))
            i = word.end()
        elif mdx.startswith(("<=", ">=", "<>"), i):
            tokens.append(_Token("op", mdx[i : i + 2], i, i + 2))
            i += 2
        elif c in "=<>+-*/:&^|!@":
            tokens.append(_Token("op", c, i, i + 1))
            i += 1
        elif c in "{}(),.;":
            tokens.append(_Token("punct", c, i, i + 1))
            i += 1
        else:
            raise MdxError(f"MDX syntax error {_where(mdx, i)}: unexpected character {c!r}")
    tokens.append(_Token("end", "", n, n))
    return tokens


# -- syntax tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ident:
    """``[a].[b].Members``: every dotted part, and whether it was [quoted]."""

    parts: tuple[tuple[str, bool], ...]
    start: int
    end: int


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True)
class SetLit:
    items: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True)
class TupleLit:
    items: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Lit:
    value: int | float | str | bool
    start: int
    end: int


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node
    start: int
    end: int


@dataclass(frozen=True)
class Logic:
    op: str  # "AND", "OR" or "NOT" (right is unused for NOT)
    left: Node
    right: Node | None
    start: int
    end: int


Node = Ident | Call | SetLit | TupleLit | Lit | Compare | Logic


@dataclass(frozen=True)
class Axis:
    index: int  # 0 = COLUMNS, 1 = ROWS
    expression: Node
    non_empty: bool
    start: int


@dataclass(frozen=True)
class Select:
    axes: tuple[Axis, ...]
    source: str | Select  # a cube name, or the subselect it reads from
    slicer: Node | None
    start: int
    text: str = field(repr=False, compare=False)  # the whole MDX, for messages

    @property
    def cube(self) -> str:
        return self.source if isinstance(self.source, str) else self.source.cube


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
        self.tokens = _tokenize(mdx)
        self.pos = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.pos]

    def peek(self, ahead: int = 1) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.token
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def syntax(self, expected: str, token: _Token | None = None) -> MdxError:
        token = token or self.token
        found = (
            "the end of the query"
            if token.kind == "end"
            else repr(self.mdx[token.start : token.end])
        )
        return MdxError(
            f"MDX syntax error {_where(self.mdx, token.start)}: expected {expected}, found {found}"
        )

    def unsupported(self, what: str, start: int, end: int | None = None) -> MdxError:
        return MdxError(f"unsupported MDX {_where(self.mdx, start, end)}: {what}")

    def expect_word(self, word: str) -> _Token:
        if not self.token.is_word(word):
            raise self.syntax(word)
        return self.take()

    def expect_punct(self, punct: str) -> _Token:
        if self.token.kind != "punct" or self.token.text != punct:
            raise self.syntax(repr(punct))
        return self.take()

    def at_punct(self, punct: str) -> bool:
        return self.token.kind == "punct" and self.token.text == punct

    def enter(self, token: _Token) -> None:
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
                f"MDX error {_where(self.mdx, start)}: ROWS needs a COLUMNS axis (axes 0 to n)"
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
        raise MdxError(_too_deep("parse")) from None


def _too_deep(what: str) -> str:
    return (
        f"unsupported MDX: the query is nested too deeply to {what} "
        f"(fakeserver answers at most {MAX_NESTING} levels of nesting)"
    )


# -- member names and formats --------------------------------------------------------------


def _java_double(value: float) -> str:
    """``Double.toString``: what Atoti names a member of a double level."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    shown = "".join(map(str, digits)).rstrip("0") or "0"
    power = exponent + len(digits) - 1
    return f"{'-' if sign else ''}{shown[0]}.{shown[1:] or '0'}E{power}"


def member_name(value: Any) -> str:
    """A stored value as the real server names its member (Java ``toString``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%dT%H:%M")
        if value.second or value.microsecond:
            text += f":{value.second:02d}"
        if value.microsecond:
            micros = value.microsecond
            text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
        return text
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# Atoti's measure formatters: an optional TYPE[...] wrapper around a DecimalFormat pattern
# with a literal prefix and suffix ("INT[count: #,###]", "DOUBLE[$#,##0.00]", "DOUBLE[0.00%]").
_FORMATTER = re.compile(r"^(?:INT|LONG|FLOAT|DOUBLE)\[(.*)\]$", re.DOTALL)
_NUMBER_PATTERN = re.compile(r"[#0][#0,]*(?:\.[#0]*)?|\.[#0]+")


def decimal_format(value: Any, pattern: str | None) -> str:
    """``value`` as Atoti's formatter (Java ``DecimalFormat``: HALF_EVEN, grouping) writes it.

    Understood: ``#,###``, ``#,##0.00``, ``INT[...]``/``DOUBLE[...]`` wrappers, a literal
    prefix and suffix, and ``%``. Anything else (quotes, ``;``, exponents), and any
    non-number, is written as Java's ``toString`` would.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    plain = member_name(value)
    if not pattern or (isinstance(value, float) and not math.isfinite(value)):
        return plain
    wrapped = _FORMATTER.match(pattern)
    inner = wrapped.group(1) if wrapped else pattern
    match = _NUMBER_PATTERN.search(inner)
    if match is None:
        return plain
    prefix, suffix = inner[: match.start()], inner[match.end() :]
    if any(c in prefix + suffix for c in "'#0;E\u2030\u00a4"):
        return plain
    number = Decimal(value)  # the double's exact value, as Java rounds it since JDK 8
    if "%" in prefix + suffix:
        number *= 100
    integer_part, _, fraction_part = match.group().partition(".")
    grouping = len(integer_part) - integer_part.rfind(",") - 1 if "," in integer_part else 0
    min_integer = integer_part.count("0")
    min_fraction = len(fraction_part) - len(fraction_part.lstrip("0"))
    rounded = number.quantize(Decimal(1).scaleb(-len(fraction_part)), rounding=ROUND_HALF_EVEN)
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    fraction = fraction.rstrip("0")
    fraction += "0" * (min_fraction - len(fraction))
    whole = whole.lstrip("0").rjust(min_integer, "0")
    if grouping and whole:
        head = len(whole) % grouping or grouping
        rest = range(head, len(whole), grouping)
        whole = ",".join([whole[:head]] + [whole[i : i + grouping] for i in rest])
    # Java writes a lone zero when neither integer nor fraction digits are shown.
    text = f"{whole}.{fraction}" if fraction else whole or "0"
    return f"{'-' if rounded < 0 else ''}{prefix}{text}{suffix}"


# -- the cube as MDX sees it -------------------------------------------------------------

HierarchyKey = tuple[str, str]


@dataclass(frozen=True)
class Member:
    hierarchy: HierarchyKey
    path: tuple[str, ...]  # ("AllMember",), ("AllMember", name), or (measure,) for measures

    @property
    def depth(self) -> int:
        return len(self.path) - 1

    @property
    def is_leaf(self) -> bool:
        return self.hierarchy != MEASURES and len(self.path) == 2


@dataclass(frozen=True)
class MemberSet:
    hierarchies: tuple[HierarchyKey, ...]
    tuples: tuple[tuple[Member, ...], ...]


@dataclass
class _Hierarchy:
    key: HierarchyKey
    all_level: str
    level: str
    column: str
    type: str
    position: int
    names: list[str]  # leaf member names in the level's (natural) order
    values: dict[str, Any]  # name -> stored value
    order: dict[str, int]


@dataclass(frozen=True)
class _Measure:
    name: str
    caption: str
    column: str | None  # None: contributors.COUNT
    position: int
    format_string: str | None


@dataclass
class _Schema:
    name: str
    table: Table
    hierarchies: dict[HierarchyKey, _Hierarchy]
    unusable: dict[HierarchyKey, str]  # hierarchies discovery lists that MDX here cannot use
    measures: dict[str, _Measure]
    other_measures: set[str]  # listed by discovery, not computed here
    default_measure: str | None
    default_members: list[dict[str, Any]]


def _sort_key(value: Any) -> tuple[bool, Any]:
    return (value is None, value)


def _schema(cube: Cube, table: Table) -> _Schema:
    discovery = cube.discovery(table)
    hierarchies: dict[HierarchyKey, _Hierarchy] = {}
    unusable: dict[HierarchyKey, str] = {}
    rows = table.rows()
    for dimension in discovery.get("dimensions", []):
        for hierarchy in dimension.get("hierarchies", []):
            key = (str(dimension["name"]), str(hierarchy["name"]))
            levels = hierarchy.get("levels", [])
            shape_ok = (
                len(levels) == 2
                and levels[0].get("type") == "ALL"
                and not hierarchy.get("slicing", False)
                and table.has_column(levels[1].get("name"))
            )
            if not shape_ok:
                unusable[key] = (
                    "only hierarchies made of the ALL level and one level of a column are supported"
                )
                continue
            column = str(levels[1]["name"])
            position = table.position(column)
            values = sorted({row[position] for row in rows}, key=_sort_key)
            by_name = {member_name(v): v for v in values}
            names = list(by_name)
            hierarchies[key] = _Hierarchy(
                key,
                str(levels[0]["name"]),
                column,
                column,
                table.column(column).type,
                position,
                names,
                by_name,
                {n: i for i, n in enumerate(names)},
            )
    measures: dict[str, _Measure] = {}
    other: set[str] = set()
    for measure in discovery.get("measures", []):
        name = str(measure["name"])
        caption = str(measure.get("caption") or name)
        format_string = measure.get("formatString")
        summed = name[:-4] if name.endswith(".SUM") else None
        if name == COUNT_MEASURE:
            measures[name] = _Measure(name, caption, None, -1, format_string)
        elif (
            summed is not None
            and table.has_column(summed)
            and table.column(summed).type in NUMERIC_TYPES
        ):
            measures[name] = _Measure(name, caption, summed, table.position(summed), format_string)
        else:
            other.add(name)
    default = COUNT_MEASURE if COUNT_MEASURE in measures else next(iter(measures), None)
    return _Schema(
        cube.name,
        table,
        hierarchies,
        unusable,
        measures,
        other,
        default,
        list(discovery.get("defaultMembers", [])),
    )


def _quoted(key: HierarchyKey) -> str:
    return f"[{key[0]}].[{key[1]}]"


# -- evaluation ------------------------------------------------------------------------------

_MEMBER_PROPERTIES = {"MEMBER_VALUE", "MEMBER_CAPTION", "NAME", "MEMBER_NAME"}
_SET_PROPERTIES = {"MEMBERS", "ALLMEMBERS", "CHILDREN"}
# Well-known MDX properties this fake does not compute, named in errors as such.
_OTHER_PROPERTIES = {
    "PARENT",
    "FIRSTCHILD",
    "LASTCHILD",
    "SIBLINGS",
    "PREVMEMBER",
    "NEXTMEMBER",
    "LEVEL",
    "HIERARCHY",
    "DIMENSION",
    "ORDINAL",
    "VALUE",
    "UNIQUENAME",
    "CAPTION",
    "DEFAULTMEMBER",
    "ALLMEMBER",
    "FIRSTSIBLING",
    "LASTSIBLING",
    "LEVELS",
    "COUNT",
    "ITEM",
    "CURRENT",
}
_DESCENDANTS_FLAGS = ("SELF", "SELF_AND_BEFORE", "SELF_BEFORE_AFTER")


@dataclass
class _Scope:
    """What a (sub)select sees: the facts left, and the members each hierarchy keeps."""

    rows: list[tuple[Any, ...]]
    visible: dict[HierarchyKey, frozenset[str]]


class _Evaluator:
    def __init__(self, schema: _Schema, mdx: str) -> None:
        self.schema = schema
        self.mdx = mdx

    # -- errors ----------------------------------------------------------------------------

    def unsupported(self, what: str, node: Node | Axis) -> MdxError:
        end = node.end if not isinstance(node, Axis) else None
        return MdxError(f"unsupported MDX {_where(self.mdx, node.start, end)}: {what}")

    def error(self, what: str, node: Node | Axis) -> MdxError:
        end = node.end if not isinstance(node, Axis) else None
        return MdxError(f"MDX error {_where(self.mdx, node.start, end)}: {what}")

    # -- members -----------------------------------------------------------------------------

    def hierarchy(self, key: HierarchyKey, node: Node) -> _Hierarchy:
        found = self.schema.hierarchies.get(key)
        if found is not None:
            return found
        if key in self.schema.unusable:
            raise self.unsupported(f"hierarchy {_quoted(key)}: {self.schema.unusable[key]}", node)
        known = ", ".join(_quoted(k) for k in self.schema.hierarchies) or "none"
        raise self.error(
            f"cube {self.schema.name!r} has no hierarchy {_quoted(key)} (it has: {known})", node
        )

    def measure(self, name: str, node: Node) -> Member:
        if name in self.schema.measures:
            return Member(MEASURES, (name,))
        if name in self.schema.other_measures:
            raise self.unsupported(
                f"the measure {name!r}: only {COUNT_MEASURE} and <column>.SUM are computed", node
            )
        known = ", ".join(sorted(self.schema.measures)) or "none"
        raise self.error(
            f"cube {self.schema.name!r} has no measure {name!r} (it has: {known})", node
        )

    def leaves(self, hierarchy: _Hierarchy, scope: _Scope) -> list[Member]:
        visible = scope.visible.get(hierarchy.key)
        return [
            Member(hierarchy.key, (ALL_MEMBER, name))
            for name in hierarchy.names
            if visible is None or name in visible
        ]

    def children(self, member: Member, scope: _Scope) -> list[Member]:
        if member.hierarchy == MEASURES or member.depth > 0:
            return []
        return self.leaves(self.schema.hierarchies[member.hierarchy], scope)

    def resolve(self, node: Ident, scope: _Scope) -> MemberSet | Member:
        """A member or a set named by a dotted identifier."""
        names = [text for text, _ in node.parts]
        quoted = [q for _, q in node.parts]
        properties: list[str] = []
        while names and not quoted[len(names) - 1]:
            word = names[-1].upper()
            if word in _SET_PROPERTIES or word in _MEMBER_PROPERTIES or word == "CURRENTMEMBER":
                properties.insert(0, word)
                names.pop()
            elif word in _OTHER_PROPERTIES:
                raise self.unsupported(f"the property .{names[-1]}", node)
            else:
                break
        if "CURRENTMEMBER" in properties or set(properties) & _MEMBER_PROPERTIES:
            raise self.unsupported(
                "CurrentMember and member properties outside a Filter(...) condition", node
            )
        if len(properties) > 1:
            raise self.unsupported(f"the properties .{'.'.join(properties)}", node)
        prop = properties[0] if properties else None
        if not names:
            raise self.error("an identifier needs a name before its property", node)
        if names[0] == "Measures":
            if len(names) == 1 or (len(names) == 2 and names[1] == "Measures" and prop):
                if prop not in ("MEMBERS", "ALLMEMBERS"):
                    raise self.unsupported("[Measures] without .Members", node)
                members = [Member(MEASURES, (m,)) for m in self.schema.measures]
                return MemberSet((MEASURES,), tuple((m,) for m in members))
            if len(names) != 2 or prop is not None:
                raise self.unsupported("a measure is written [Measures].[name]", node)
            return self.measure(names[1], node)
        if len(names) < 2:
            raise self.unsupported(
                f"the identifier {names[0]!r}: write [dimension].[hierarchy]... in full", node
            )
        hierarchy = self.hierarchy((names[0], names[1]), node)
        rest = names[2:]
        all_member = Member(hierarchy.key, (ALL_MEMBER,))
        if not rest:
            if prop in ("MEMBERS", "ALLMEMBERS"):
                tuples = [(all_member,)] + [(m,) for m in self.leaves(hierarchy, scope)]
                return MemberSet((hierarchy.key,), tuple(tuples))
            raise self.unsupported("a hierarchy as a set: add .Members, or name a member", node)
        if len(rest) == 1 and prop in ("MEMBERS", "ALLMEMBERS") and rest[0] != ALL_MEMBER:
            if rest[0] == hierarchy.all_level:
                return MemberSet((hierarchy.key,), ((all_member,),))
            if rest[0] == hierarchy.level:
                return MemberSet(
                    (hierarchy.key,), tuple((m,) for m in self.leaves(hierarchy, scope))
                )
            raise self.error(
                f"hierarchy {_quoted(hierarchy.key)} has no level {rest[0]!r} "
                f"(it has: {hierarchy.all_level!r}, {hierarchy.level!r})",
                node,
            )
        path = rest[1:] if rest[0] == hierarchy.all_level else rest
        if not path or path[0] != ALL_MEMBER:
            raise self.unsupported(
                f"the member {'.'.join(f'[{p}]' for p in rest)}: members are written "
                f"{_quoted(hierarchy.key)}.[{hierarchy.all_level}].[{ALL_MEMBER}].[name]",
                node,
            )
        if len(path) > 2:
            raise self.error(
                f"{'.'.join(f'[{p}]' for p in path)} is deeper than hierarchy "
                f"{_quoted(hierarchy.key)} (one level under {ALL_MEMBER})",
                node,
            )
        member = Member(hierarchy.key, tuple(path))
        if prop == "CHILDREN":
            return MemberSet((hierarchy.key,), tuple((m,) for m in self.children(member, scope)))
        if prop is not None:
            raise self.unsupported(f"the property .{prop.title()} of a member", node)
        return member

    # -- sets ----------------------------------------------------------------------------------

    def as_set(self, node: Node, scope: _Scope) -> MemberSet:
        value = self.set_or_member(node, scope)
        if isinstance(value, Member):
            return MemberSet((value.hierarchy,), ((value,),))
        return value

    def set_or_member(self, node: Node, scope: _Scope) -> MemberSet | Member:
        if isinstance(node, Ident):
            return self.resolve(node, scope)
        if isinstance(node, SetLit):
            return self.union([self.as_set(item, scope) for item in node.items], node)
        if isinstance(node, TupleLit):
            members: list[Member] = []
            for item in node.items:
                value = self.set_or_member(item, scope)
                if isinstance(value, MemberSet):
                    if len(value.tuples) != 1:
                        raise self.unsupported("a set inside a tuple ( , )", item)
                    members.extend(value.tuples[0])
                else:
                    members.append(value)
            keys = tuple(m.hierarchy for m in members)
            self.check_distinct(keys, node)
            return MemberSet(keys, (tuple(members),))
        if isinstance(node, Call):
            return self.call(node, scope)
        if isinstance(node, Lit):
            raise self.unsupported("a literal where a set is expected", node)
        raise self.unsupported("a condition where a set is expected", node)

    def check_distinct(self, keys: Sequence[HierarchyKey], node: Node) -> None:
        repeated = sorted({k for k in keys if list(keys).count(k) > 1})
        if repeated:
            raise self.error(f"hierarchy {_quoted(repeated[0])} appears twice in a tuple", node)

    def union(self, sets: Sequence[MemberSet], node: Node) -> MemberSet:
        shapes = {s.hierarchies for s in sets if s.tuples}
        if len(shapes) > 1:
            described = " and ".join(
                sorted("(" + ", ".join(_quoted(k) for k in shape) + ")" for shape in shapes)
            )
            raise self.error(f"a set mixes members of {described}", node)
        hierarchies = shapes.pop() if shapes else (sets[0].hierarchies if sets else ())
        return MemberSet(hierarchies, tuple(t for s in sets for t in s.tuples))

    def call(self, node: Call, scope: _Scope) -> MemberSet:
        name = node.name.upper()
        args = node.args
        if name == "CROSSJOIN":
            if len(args) < 2:
                raise self.error("Crossjoin needs at least two sets", node)
            result = self.as_set(args[0], scope)
            for arg in args[1:]:
                other = self.as_set(arg, scope)
                keys = result.hierarchies + other.hierarchies
                self.check_distinct(keys, node)
                _check_size(len(result.tuples) * len(other.tuples), self.mdx, node)
                result = MemberSet(keys, tuple(a + b for a in result.tuples for b in other.tuples))
            return result
        if name == "HIERARCHIZE":
            if len(args) != 1:
                raise self.unsupported("Hierarchize with POST (only the default PRE order)", node)
            return self.hierarchize(self.as_set(args[0], scope))
        if name == "DESCENDANTS":
            return self.descendants(node, scope)
        if name == "DRILLDOWNLEVEL":
            if len(args) != 1:
                raise self.unsupported("DrilldownLevel with a level or an index", node)
            return self.drilldown(self.as_set(args[0], scope), node, scope)
        if name == "EXCEPT":
            if len(args) != 2:
                raise self.unsupported("Except with ALL (exactly two sets are supported)", node)
            first, second = self.as_set(args[0], scope), self.as_set(args[1], scope)
            if second.tuples and first.tuples and first.hierarchies != second.hierarchies:
                raise self.error("Except needs two sets of the same hierarchies", node)
            removed = set(second.tuples)
            return MemberSet(first.hierarchies, tuple(t for t in first.tuples if t not in removed))
        if name == "FILTER":
            if len(args) != 2:
                raise self.error("Filter needs a set and a condition", node)
            candidates = self.as_set(args[0], scope)
            return MemberSet(
                candidates.hierarchies,
                tuple(t for t in candidates.tuples if self.condition(args[1], t)),
            )
        raise self.unsupported(
            f"the function {node.name} (supported: {', '.join(_FUNCTIONS)})", node
        )

    def single_hierarchy(self, value: MemberSet, what: str, node: Node) -> HierarchyKey | None:
        if len(value.hierarchies) > 1:
            raise self.unsupported(f"{what} over tuples of several hierarchies", node)
        if value.hierarchies == (MEASURES,):
            raise self.unsupported(f"{what} over measures", node)
        return value.hierarchies[0] if value.hierarchies else None

    def hierarchize(self, value: MemberSet) -> MemberSet:
        def key(members: tuple[Member, ...]) -> tuple[tuple[int, int], ...]:
            return tuple(self.member_order(m) for m in members)

        return MemberSet(value.hierarchies, tuple(sorted(value.tuples, key=key)))  # stable

    def member_order(self, member: Member) -> tuple[int, int]:
        if member.hierarchy == MEASURES:
            return (0, list(self.schema.measures).index(member.path[0]))
        if member.depth == 0:
            return (0, 0)
        order = self.schema.hierarchies[member.hierarchy].order
        return (1, order.get(member.path[1], len(order)))

    def descendants(self, node: Call, scope: _Scope) -> MemberSet:
        args = node.args
        if not 1 <= len(args) <= 3:
            raise self.error("Descendants needs a member or set, a depth and a flag", node)
        start = self.as_set(args[0], scope)
        self.single_hierarchy(start, "Descendants", node)
        depth = 0
        if len(args) >= 2:
            depth_node = args[1]
            if (
                isinstance(depth_node, Lit)
                and isinstance(depth_node.value, int)
                and not isinstance(depth_node.value, bool)
            ):
                depth = depth_node.value
            else:
                raise self.unsupported("a Descendants depth that is not a whole number", depth_node)
        flag = "SELF"
        if len(args) == 3:
            flag_node = args[2]
            if not (isinstance(flag_node, Ident) and len(flag_node.parts) == 1):
                raise self.error(
                    "the Descendants flag is a keyword such as SELF_AND_BEFORE", flag_node
                )
            flag = flag_node.parts[0][0].upper()
            if flag not in _DESCENDANTS_FLAGS:
                raise self.unsupported(
                    f"the Descendants flag {flag} (supported: {', '.join(_DESCENDANTS_FLAGS)})",
                    flag_node,
                )
        result: list[tuple[Member, ...]] = []
        for (member,) in start.tuples:
            target = member.depth + depth
            family = [member, *self.children(member, scope)]
            for candidate in family:
                keep = (
                    candidate.depth == target
                    if flag == "SELF"
                    else candidate.depth <= target
                    if flag == "SELF_AND_BEFORE"
                    else True
                )
                if keep:
                    result.append((candidate,))
        return MemberSet(start.hierarchies, tuple(result))

    def drilldown(self, value: MemberSet, node: Call, scope: _Scope) -> MemberSet:
        self.single_hierarchy(value, "DrilldownLevel", node)
        deepest = max((t[0].depth for t in value.tuples), default=0)
        result: list[tuple[Member, ...]] = []
        for (member,) in value.tuples:
            result.append((member,))
            if member.depth == deepest:
                result.extend((child,) for child in self.children(member, scope))
        return MemberSet(value.hierarchies, tuple(result))

    # -- Filter conditions -------------------------------------------------------------------

    def condition(self, node: Node, current: tuple[Member, ...]) -> bool:
        if isinstance(node, Logic):
            left = self.condition(node.left, current)
            if node.op == "NOT":
                return not left
            assert node.right is not None
            if node.op == "AND":
                return left and self.condition(node.right, current)
            return left or self.condition(node.right, current)
        if isinstance(node, Compare):
            left_value, left_type = self.operand(node.left, current)
            right_value, right_type = self.operand(node.right, current)
            return self.compare(node, left_value, left_type, right_value, right_type)
        if isinstance(node, Lit) and isinstance(node.value, bool):
            return node.value
        raise self.unsupported(
            "a Filter condition other than comparisons of "
            "[dim].[hier].CurrentMember.MEMBER_VALUE joined by AND, OR, NOT",
            node,
        )

    def operand(self, node: Node, current: tuple[Member, ...]) -> tuple[Any, str | None]:
        """(value, Atoti type) of one side of a comparison; literals have no type."""
        if isinstance(node, Lit):
            return node.value, None
        if isinstance(node, Ident):
            names = [text for text, _ in node.parts]
            words = [w.upper() for w in names[2:]]
            if len(names) == 4 and words[0] == "CURRENTMEMBER" and words[1] in _MEMBER_PROPERTIES:
                hierarchy = self.hierarchy((names[0], names[1]), node)
                member = next((m for m in current if m.hierarchy == hierarchy.key), None)
                if member is None:
                    raise self.error(
                        f"{_quoted(hierarchy.key)}.CurrentMember: the filtered set has no "
                        "member of that hierarchy",
                        node,
                    )
                if words[1] != "MEMBER_VALUE":
                    return member.path[-1], "String"
                if member.depth == 0:
                    return None, hierarchy.type
                return hierarchy.values.get(member.path[1]), hierarchy.type
        raise self.unsupported(
            "a comparison operand other than [dim].[hier].CurrentMember.MEMBER_VALUE or a literal",
            node,
        )

    def compare(
        self, node: Compare, left: Any, left_type: str | None, right: Any, right_type: str | None
    ) -> bool:
        left = self.typed(left, left_type, right_type, node)
        right = self.typed(right, right_type, left_type, node)
        if left is None or right is None:
            return node.op == "<>" and (left is None) != (right is None)
        numbers = all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)
        )
        if not numbers and type(left) is not type(right):
            raise self.error(
                f"cannot compare {self.mdx[node.left.start : node.left.end]!r} "
                f"({left_type or type(left).__name__}) with "
                f"{self.mdx[node.right.start : node.right.end]!r} "
                f"({right_type or type(right).__name__})",
                node,
            )
        operators: dict[str, Callable[[Any, Any], bool]] = {
            "=": lambda a, b: bool(a == b),
            "<>": lambda a, b: bool(a != b),
            "<": lambda a, b: bool(a < b),
            "<=": lambda a, b: bool(a <= b),
            ">": lambda a, b: bool(a > b),
            ">=": lambda a, b: bool(a >= b),
        }
        return operators[node.op](left, right)

    def typed(self, value: Any, own: str | None, other: str | None, node: Compare) -> Any:
        # A string literal compared with a date level is read as an ISO date, as the client
        # sends dates (its Constant's JSON value).
        if own is None and other in ("LocalDate", "LocalDateTime") and isinstance(value, str):
            try:
                if other == "LocalDate":
                    return dt.date.fromisoformat(value)
                return dt.datetime.fromisoformat(value)
            except ValueError:
                raise self.error(f"{value!r} is not a {other}", node) from None
        return value

    # -- scopes: FROM, subselects and WHERE ----------------------------------------------------

    def restrict(self, scope: _Scope, members: Iterable[Member]) -> _Scope:
        """The facts of ``scope`` that every leaf member given selects."""
        rows = scope.rows
        for member in members:
            if not member.is_leaf:
                continue
            hierarchy = self.schema.hierarchies[member.hierarchy]
            position, name = hierarchy.position, member.path[1]
            rows = [row for row in rows if member_name(row[position]) == name]
        return _Scope(rows, scope.visible)

    def slicer(self, node: Node, scope: _Scope) -> tuple[Member, ...]:
        value = self.as_set(node, scope)
        if len(value.tuples) != 1:
            raise self.unsupported(
                "a WHERE clause that is not one member or one tuple (use a subselect "
                "FROM (SELECT {...} ON COLUMNS FROM [cube]) for several members)",
                node,
            )
        return value.tuples[0]

    def subselect(self, select: Select, scope: _Scope) -> _Scope:
        for axis in select.axes:
            value = self.as_set(axis.expression, scope)
            key = self.single_hierarchy(value, "a subselect axis", axis.expression)
            if key is None:
                continue
            leaves = frozenset(t[0].path[1] for t in value.tuples if t[0].is_leaf)
            if not leaves and value.tuples:
                continue  # only the AllMember: nothing to restrict
            hierarchy = self.schema.hierarchies[key]
            kept = scope.visible.get(key, frozenset(hierarchy.names)) & leaves
            position = hierarchy.position
            rows = [row for row in scope.rows if member_name(row[position]) in kept]
            scope = _Scope(rows, {**scope.visible, key: kept})
        if select.slicer is not None:
            scope = self.restrict(scope, self.slicer(select.slicer, scope))
        return scope

    def scope(self, select: Select) -> _Scope:
        if isinstance(select.source, str):
            return _Scope(self.schema.table.rows(), {})
        inner = select.source
        return self.subselect(inner, self.scope(inner))

    # -- cells ---------------------------------------------------------------------------------

    def run(self, select: Select) -> dict[str, Any]:
        scope = self.scope(select)
        sets = [self.as_set(axis.expression, scope) for axis in select.axes]
        slicer: tuple[Member, ...] = ()
        if select.slicer is not None:
            slicer = self.slicer(select.slicer, scope)
        owners: dict[HierarchyKey, str] = {}
        for axis, value in zip(select.axes, sets, strict=True):
            for key in value.hierarchies:
                if key in owners:
                    raise self.error(f"hierarchy {_quoted(key)} is on two axes", axis)
                owners[key] = "COLUMNS" if axis.index == 0 else "ROWS"
        for member in slicer:
            if member.hierarchy in owners:
                raise self.error(
                    f"hierarchy {_quoted(member.hierarchy)} is both on {owners[member.hierarchy]}"
                    " and in WHERE (filter it with a subselect instead)",
                    select.slicer or select.axes[0],
                )
        facts = self.restrict(scope, slicer).rows
        slicer_measure = next((m.path[0] for m in slicer if m.hierarchy == MEASURES), None)
        measure_fallback = slicer_measure or self.schema.default_measure
        values = _Cells(self.schema, facts)

        def value_of(indices: tuple[int, ...]) -> Any:
            members = [m for value, i in zip(sets, indices, strict=True) for m in value.tuples[i]]
            measure = next((m.path[0] for m in members if m.hierarchy == MEASURES), None)
            measure = measure or measure_fallback
            if measure is None:
                return None
            return values.get(self.schema.measures[measure], members)

        shape = [len(value.tuples) for value in sets]
        _check_size(math.prod(shape), self.mdx, select.axes[0] if select.axes else None)
        grid = {indices: value_of(indices) for indices in _product(shape)}
        kept = [list(range(n)) for n in shape]
        for a, axis in enumerate(select.axes):
            if axis.non_empty:
                filled = {indices[a] for indices, v in grid.items() if v is not None}
                kept[a] = [i for i in kept[a] if i in filled]
        final = [
            MemberSet(value.hierarchies, tuple(value.tuples[i] for i in keep))
            for value, keep in zip(sets, kept, strict=True)
        ]
        cells = []
        for ordinal, indices in enumerate(_product([len(k) for k in kept])):
            value = grid[tuple(keep[i] for keep, i in zip(kept, indices, strict=True))]
            if value is None:
                continue  # the cell set is sparse, as the real server's
            measure_name = next(
                (
                    m.path[0]
                    for value_set, i in zip(final, indices, strict=True)
                    for m in value_set.tuples[i]
                    if m.hierarchy == MEASURES
                ),
                measure_fallback,
            )
            assert measure_name is not None
            measure = self.schema.measures[measure_name]
            cells.append(
                {
                    "ordinal": ordinal,
                    "value": value,
                    "formattedValue": decimal_format(value, measure.format_string),
                    "properties": {},
                }
            )
        axes = [self.axis_json(i, value) for i, value in enumerate(final)]
        if select.slicer is not None:
            axes.insert(
                0, self.axis_json(-1, MemberSet(tuple(m.hierarchy for m in slicer), (slicer,)))
            )
        return {
            "cube": self.schema.name,
            "axes": axes,
            "cells": cells,
            "defaultMembers": self.default_members(),
        }

    def member_json(self, member: Member) -> dict[str, Any]:
        if member.hierarchy == MEASURES:
            caption = self.schema.measures[member.path[0]].caption
            return {"namePath": list(member.path), "captionPath": [caption]}
        return {"namePath": list(member.path), "captionPath": list(member.path)}

    def axis_json(self, axis_id: int, value: MemberSet) -> dict[str, Any]:
        return {
            "id": axis_id,
            "hierarchies": [{"dimension": d, "hierarchy": h} for d, h in value.hierarchies],
            "positions": [[self.member_json(m) for m in t] for t in value.tuples],
            "maxLevelPerHierarchy": [
                max((len(t[i].path) for t in value.tuples), default=0)
                for i in range(len(value.hierarchies))
            ],
        }

    def default_members(self) -> list[dict[str, Any]]:
        members = list(self.schema.default_members)
        default = self.schema.default_measure
        has_measure = any((m.get("dimension"), m.get("hierarchy")) == MEASURES for m in members)
        if default is not None and not has_measure:
            caption = self.schema.measures[default].caption
            members.insert(
                0,
                {
                    "dimension": MEASURES[0],
                    "hierarchy": MEASURES[1],
                    "path": [default],
                    "captionPath": [caption],
                },
            )
        return members


_MAX_CELLS = 1_000_000


def _check_size(count: int, mdx: str, node: Node | Axis | None) -> None:
    # A fake answers small queries; a runaway Crossjoin must not eat the test machine.
    if count > _MAX_CELLS:
        where = _where(mdx, node.start) if node is not None else ""
        raise MdxError(
            f"unsupported MDX {where}: {count:,} tuples or cells (fakeserver answers at most "
            f"{_MAX_CELLS:,})"
        )


def _product(shape: Sequence[int]) -> list[tuple[int, ...]]:
    """Every index tuple, the first axis varying fastest (the cell set's ordinal order)."""
    result: list[tuple[int, ...]] = [()]
    for size in shape:
        result = [(*prefix, i) for i in range(size) for prefix in result]
    return result


class _Cells:
    """Aggregates of the facts, grouped once per set of constrained hierarchies."""

    def __init__(self, schema: _Schema, facts: list[tuple[Any, ...]]) -> None:
        self.schema = schema
        self.facts = facts
        self.sums = [m for m in schema.measures.values() if m.column is not None]
        self.groups: dict[tuple[HierarchyKey, ...], dict[tuple[str, ...], list[Any]]] = {}

    def group(self, keys: tuple[HierarchyKey, ...]) -> dict[tuple[str, ...], list[Any]]:
        found = self.groups.get(keys)
        if found is not None:
            return found
        positions = [self.schema.hierarchies[k].position for k in keys]
        groups: dict[tuple[str, ...], list[Any]] = {}
        for row in self.facts:
            name = tuple(member_name(row[p]) for p in positions)
            acc = groups.get(name)
            if acc is None:
                acc = groups[name] = [0] + [None] * len(self.sums)
            acc[0] += 1
            for i, measure in enumerate(self.sums, 1):
                value = row[measure.position]
                if value is not None:
                    acc[i] = value if acc[i] is None else acc[i] + value
        self.groups[keys] = groups
        return groups

    def get(self, measure: _Measure, members: Sequence[Member]) -> Any:
        leaves = sorted((m.hierarchy, m.path[1]) for m in members if m.is_leaf)
        acc = self.group(tuple(k for k, _ in leaves)).get(tuple(n for _, n in leaves))
        if acc is None:
            return None
        if measure.column is None:
            return acc[0]
        return acc[1 + self.sums.index(measure)]


# -- entry points ----------------------------------------------------------------------------


def evaluate(select: Select, cube: Cube, table: Table) -> dict[str, Any]:
    """The cell set of ``select`` over ``cube`` built on ``table`` (the client's shape)."""
    try:
        return _Evaluator(_schema(cube, table), select.text).run(select)
    except RecursionError:  # e.g. a Filter condition of thousands of ORs
        raise MdxError(_too_deep("evaluate")) from None


def find_cube(
    select: Select, cubes: Mapping[str, Cube], tables: Mapping[str, Table]
) -> tuple[Cube, Table]:
    """The cube ``select`` reads from and its table, or the 400 naming the known cubes."""
    cube = cubes.get(select.cube)
    table = tables.get(cube.table) if cube is not None else None
    if cube is None or table is None:
        known = ", ".join(repr(c) for c in cubes) or "none"
        raise MdxError(f"MDX error: no cube named {select.cube!r} (cubes: {known})")
    return cube, table


_BODY = 'the body must be {"mdx": "SELECT ...", "context": {...}}'


@route(PIVOT_PATH, "/cube/query/mdx", "POST", access=Access.READ)
def mdx_query(ctx: Context) -> Response:
    body = json_object(ctx.request)
    mdx = body.get("mdx")
    if not isinstance(mdx, str) or not mdx.strip():
        raise MdxError(_BODY)
    context = body.get("context")
    if context is not None and not isinstance(context, dict):
        raise MdxError(f"{_BODY}: context must be an object")
    select = parse(mdx)  # before taking the lock: a bad query costs the others nothing
    with ctx.state.lock:
        cube, table = find_cube(select, ctx.state.cubes, ctx.state.tables)
        snapshot = table.copy()
    return json_response(evaluate(select, cube, snapshot))
