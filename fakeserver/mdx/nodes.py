"""The syntax tree of one ``SELECT``: what the parser builds and the evaluator reads.

Every node keeps its ``start`` and ``end`` in the MDX text, so any message about it can
quote the part of the query it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Axis",
    "Call",
    "Compare",
    "Ident",
    "Lit",
    "Logic",
    "Node",
    "Select",
    "SetLit",
    "TupleLit",
]


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
