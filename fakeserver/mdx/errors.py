"""The one error of the MDX package, and where in the query it points.

:class:`MdxError` is a plain exception: the package knows nothing about HTTP. It carries
the status the route answers with, so the route maps it to the error body unchanged.
"""

from __future__ import annotations

__all__ = ["MdxError", "where"]

#: Longest piece of the query quoted in a message.
_SNIPPET = 60
#: Characters read to make a snippet (runs of white space shrink to one).
_WINDOW = 16 * _SNIPPET


class MdxError(Exception):
    """A query the fake cannot answer; always a 400 whose message points into the MDX."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def where(mdx: str, start: int, end: int | None = None) -> str:
    """``at character N ('...')``: the place in ``mdx`` a message is about."""
    # A window, not the rest of the query: a message costs the same whatever follows.
    stop = start + _WINDOW if end is None else min(end, start + _WINDOW)
    text = " ".join(mdx[start:stop].split())
    if len(text) > _SNIPPET:
        text = text[: _SNIPPET - 3] + "..."
    return f"at character {start + 1} ({text!r})" if text else f"at character {start + 1}"
