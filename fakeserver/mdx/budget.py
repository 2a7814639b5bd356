"""One query's allowance of work: every tuple it builds or reads, and the cells it answers.

A bound per operation is not enough: a set literal of many ``Crossjoin``s, each under the
limit, wrapped in ``Filter(..., FALSE)`` answers an empty set after building millions of
tuples. So one :class:`Budget` follows the whole query, and each operation pays for what it
builds as it builds it (before, where the count is known first: a ``Crossjoin``'s product,
a set literal, a ``Filter``). What counts, against ``limits.max_mdx_tuples``:

- a member used as a set, and a tuple ``(m1, m2)``: 1;
- ``.Members``, ``.Children`` and a level's members: the tuples they list;
- a set literal ``{...}``, ``Hierarchize`` and ``DrilldownLevel``: the tuples they hold;
- ``Crossjoin``: each product, as it is formed; ``Except``: its first set;
- ``Descendants``: each member it starts from and the children it looks at;
- ``Filter``: per candidate tuple, 1 plus each comparison of its condition;
- the facts (rows, tuples too) each subselect axis and ``WHERE`` member keeps, and the
  facts read once per pattern of cells to aggregate them.

The answer's grid is bounded apart, by ``limits.max_mdx_cells``.
"""

from __future__ import annotations

from ..limits import Limits
from .errors import MdxError, where
from .nodes import Axis, Node

__all__ = ["Budget"]


class Budget:
    """What is left of one query's work; spending past it is a 400 naming the limit."""

    def __init__(self, limits: Limits, mdx: str) -> None:
        self.limits = limits
        self.mdx = mdx
        self.left = limits.max_mdx_tuples

    def _place(self, node: Node | Axis | None) -> str:
        return f" {where(self.mdx, node.start)}" if node is not None else ""

    def spend(self, count: int, node: Node | Axis | None) -> None:
        """Pay for ``count`` tuples built or read by the operation at ``node``."""
        self.left -= count
        if self.left < 0:
            limit = self.limits.max_mdx_tuples
            raise MdxError(
                f"unsupported MDX{self._place(node)}: the query builds or reads more than "
                f"{limit:,} tuples (fakeserver answers at most {limit:,}: "
                "limits.max_mdx_tuples)"
            )

    def cells(self, count: int, node: Node | Axis | None) -> None:
        """Refuse an answer of more than ``limits.max_mdx_cells`` cells, before building it."""
        limit = self.limits.max_mdx_cells
        if count > limit:
            raise MdxError(
                f"unsupported MDX{self._place(node)}: {count:,} cells (fakeserver answers at "
                f"most {limit:,}: limits.max_mdx_cells)"
            )
