"""What the engine (:mod:`fakeserver.serving`) and request handling agree on.

Request handling (app, security, faults) imports this, never the engine itself, so the
same app runs under any WSGI server — ``httpx.WSGITransport`` in-process included — and
only :mod:`fakeserver.server` knows which engine serves it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["PEER_CERTIFICATE_KEY", "USER_KEY", "DropConnection", "WSGIApp"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: environ key holding the DER bytes of a verified TLS client certificate (or None).
PEER_CERTIFICATE_KEY = "fakeserver.peer_certificate"

#: environ key holding the authenticated user's name, once known (for the request log).
USER_KEY = "fakeserver.user"


class DropConnection(Exception):
    """Raised by the app to close the connection without answering (a fault, on purpose).

    Under an engine that cannot drop a connection (a WSGI transport), it propagates.
    """
