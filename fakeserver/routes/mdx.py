"""The MDX query (SPEC §4.4): the request read here, the query answered by :mod:`fakeserver.mdx`.

The MDX package knows nothing about HTTP; this view turns its :class:`~fakeserver.mdx.MdxError`
into the error answer, with the status and message the error carries.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..errors import FakeHTTPError
from ..mdx import MdxError, evaluate, find_cube, parse
from .base import Context, json_response

__all__ = ["mdx_query"]

_BODY = 'the body must be {"mdx": "SELECT ...", "context": {...}}'


def mdx_query(ctx: Context) -> Response:
    body = ctx.json_object()
    mdx = body.get("mdx")
    if not isinstance(mdx, str) or not mdx.strip():
        raise FakeHTTPError(400, _BODY)
    context = body.get("context")
    if context is not None and not isinstance(context, dict):
        raise FakeHTTPError(400, f"{_BODY}: context must be an object")
    try:
        select = parse(mdx, ctx.limits)  # before the lock: a bad query costs the others nothing
        with ctx.state.lock:
            cube, table = find_cube(select, ctx.state.cubes, ctx.state.tables)
            snapshot = table.copy()  # O(1): the rows are shared until a write
        return json_response(evaluate(select, cube, snapshot, ctx.limits))
    except MdxError as error:
        raise FakeHTTPError(error.status, error.message) from None
