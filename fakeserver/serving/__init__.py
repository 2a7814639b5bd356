"""A small threaded WSGI server that keeps connections alive: the engine behind ``FakeServer``.

werkzeug's development server (what pytest-httpserver runs) closes the connection after
every answer, so every request of a pooled client pays a new TCP connect and, over HTTPS,
a full TLS handshake (~70 requests/s here). This engine keeps connections open, which is
what makes HTTPS fixtures cheap. llhttp (through httptools, as in uvicorn) frames every
request, so a body is always drained before the next request line is read; Nagle is off on
every accepted socket so a kept-alive answer is not held back by delayed ACKs.

Nothing a client does holds a thread for long (SPEC §6; the bounds come from
:class:`~fakeserver.limits.Limits`). One topic per module: :mod:`.engine` (listener, accept
loop, the connection cap, TLS handshakes), :mod:`.connection` (one connection's
requests and deadlines), :mod:`.framing` (requests in, response heads out),
:mod:`.gateway` (the WSGI environ and the app's answer). Only :mod:`fakeserver.server`
imports this package (``tests/test_imports.py``).
"""

from .engine import KeepAliveServer

__all__ = ["KeepAliveServer"]
