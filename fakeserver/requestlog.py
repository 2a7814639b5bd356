"""How a request is written down: one line each, and nothing a client sent can forge another.

``FakeServer`` keeps every answered request in ``server.log`` (numbered, bounded by its
``log_limit``) and writes one INFO record of each to :data:`request_log`; the expectation
layer's teardown report lists the recent ones. Both print text that clients chose — paths,
user names — so both go through :func:`loggable`.
"""

from __future__ import annotations

import logging

from werkzeug.wrappers import Request, Response

__all__ = ["describe", "loggable", "request_log", "write"]

#: One INFO record per request: method, path, user, status, milliseconds.
request_log = logging.getLogger("fakeserver.requests")


def loggable(text: str) -> str:
    """``text`` on one line: control characters (and the backslash) escaped as ``repr`` does.

    Paths and user names come from clients: a ``%0A`` in a path must not start a forged
    line in the request log, nor an escape sequence repaint a terminal.
    """
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(c if c.isprintable() and c != "\\" else repr(c)[1:-1] for c in text)


def describe(request: Request) -> str:
    """``GET /path?query``, safe to print."""
    query = request.query_string.decode("latin-1")
    return loggable(f"{request.method} {request.path}" + (f"?{query}" if query else ""))


def write(request: Request, response: Response, user: object, ms: float) -> None:
    """The request's INFO record (``user`` is ``-`` when no one authenticated)."""
    if request_log.isEnabledFor(logging.INFO):
        request_log.info(
            "%s %s user=%s status=%d %.1fms",
            loggable(request.method),
            loggable(request.path),
            loggable(str(user)),
            response.status_code,
            ms,
        )
