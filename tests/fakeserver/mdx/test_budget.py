"""One query's budget (``fakeserver.mdx.budget``): what is left, and the 400s past it."""

from __future__ import annotations

import pytest

from fakeserver import Limits
from fakeserver.mdx import MdxError, parse
from fakeserver.mdx.budget import Budget

MDX = "SELECT Crossjoin([T].[a].Members, [T].[b].Members) ON 0 FROM [C]"


def test_spending_up_to_the_limit_is_allowed_and_one_more_is_not() -> None:
    budget = Budget(Limits(max_mdx_tuples=10), MDX)
    budget.spend(4, None)
    budget.spend(6, None)
    assert budget.left == 0
    with pytest.raises(MdxError) as raised:
        budget.spend(1, parse(MDX).axes[0])
    assert raised.value.status == 400
    assert raised.value.message == (
        "unsupported MDX at character 8 ('Crossjoin([T].[a].Members, [T].[b].Members) ON 0 "
        "FROM [C]'): the query builds or reads more than 10 tuples (fakeserver answers at "
        "most 10: limits.max_mdx_tuples)"
    )


def test_the_budget_is_one_for_the_whole_query_not_per_call() -> None:
    budget = Budget(Limits(max_mdx_tuples=5), MDX)
    for _ in range(5):
        budget.spend(1, None)
    with pytest.raises(MdxError, match=r"^unsupported MDX: the query builds or reads more than 5"):
        budget.spend(1, None)


def test_cells_have_their_own_limit() -> None:
    budget = Budget(Limits(max_mdx_cells=4, max_mdx_tuples=1), MDX)
    budget.cells(4, None)
    assert budget.left == 1, "cells are not tuples spent"
    with pytest.raises(MdxError) as raised:
        budget.cells(5, None)
    assert raised.value.message == (
        "unsupported MDX: 5 cells (fakeserver answers at most 4: limits.max_mdx_cells)"
    )
