"""MDX over the fake's cubes, as ``POST {pivot}/cube/query/mdx`` answers it (SPEC §4.4, issue 8).

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
Anything else is an :class:`MdxError` (a 400 at the route) that names the part of the MDX it
cannot answer.

Values come from the table rows: ``contributors.COUNT`` counts facts, ``<column>.SUM`` sums
a numeric column. As on the real server, empty cells are left out of ``cells``; a member
named in the MDX that no row has selects nothing (it is not an error).

A subselect restricts the facts *and* the members of the hierarchies on its axes: to the
leaf members it selects, or to nothing at all when it selects none. An ``AllMember`` in it
(as ``Except([d].[h].Members, ...)`` leaves) restricts nothing by itself.

The package knows nothing about HTTP: :mod:`fakeserver.routes.mdx` reads the request, calls
:func:`parse`, :func:`find_cube` and :func:`evaluate`, and answers an :class:`MdxError` with
its status and message. Inside, one topic per module: :mod:`.lexer` → :mod:`.parser` (into
:mod:`.nodes`) → :mod:`.evaluator` over a :mod:`.schema`, which :mod:`.cells` aggregates;
:mod:`.formatting` writes names and values as the real server does.

Work is bounded by the target's :class:`~fakeserver.limits.Limits`: the query's length
and nesting when it is parsed, and one :mod:`.budget` of tuples for the whole evaluation.
"""

from .errors import MdxError
from .evaluator import evaluate, find_cube
from .formatting import decimal_format, member_name
from .nodes import Axis, Select
from .parser import MAX_NESTING, parse
from .schema import MEASURES

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
