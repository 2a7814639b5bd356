"""One kept-alive connection: read, frame, answer in order, until it closes or a deadline passes.

Nothing a client does holds its thread for long (SPEC §6; the bounds come from
:class:`~fakeserver.limits.Limits`): a request head must arrive whole within
``head_timeout`` of its first byte (of the connection, for the first one: the TLS handshake
counts), however slowly it trickles, and a body within ``body_timeout``; a kept-alive
connection may stay silent ``idle_timeout`` between requests.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from typing import Any

import httptools

from ..limits import Limits
from ..wsgi import DropConnection
from .framing import Request, RequestRefused, Requests, error_answer, response_head
from .gateway import Gateway

__all__ = ["converse", "linger_close"]

_RECV = 65536


def linger_close(sock: socket.socket) -> None:
    """Half-close, then read a little of what the peer still sends before closing.

    Closing with unread data makes the kernel send a reset, which can reach the client
    before the answer just written and destroy it.
    """
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(0.5)
        deadline = time.monotonic() + 1.0
        received = 0
        while time.monotonic() < deadline and received < 1024 * 1024:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += len(chunk)


def converse(
    sock: socket.socket,
    address: Any,
    peer_der: bytes | None,
    opened: float,
    *,
    gateway: Gateway,
    limits: Limits,
    max_body_size: int,
    stopping: Callable[[], bool],
) -> None:
    """Serve requests on ``sock`` (opened at ``opened``) until it is done or ``stopping()``."""
    protocol = Requests(max_body_size, limits.max_header_bytes, sock)
    parser = httptools.HttpRequestParser(protocol)
    protocol.parser = parser
    failure: tuple[int, str] | None = None
    stalled = 0
    since, answered = opened, False
    while not stopping():
        # Answer, in order, every request the last read completed (pipelining).
        while protocol.complete:
            request = protocol.complete.popleft()
            try:
                status, headers, payload = gateway.call(request, address, peer_der)
            except DropConnection:
                return
            if request.method == b"HEAD" or status in (204, 304):
                payload = b""
            # A client that does not read its answers is dropped after idle_timeout.
            sock.settimeout(limits.idle_timeout)
            sock.sendall(response_head(status, headers, request.keep_alive) + payload)
            if not request.keep_alive:
                return
            since, answered = time.monotonic(), True
        if failure is not None:
            status, message = failure
            sock.settimeout(limits.idle_timeout)
            _send_error(sock, status, message, protocol.current)
            linger_close(sock)  # unread input: a plain close would reset the answer away
            return
        remaining = _deadline(limits, protocol, since, answered) - time.monotonic()
        try:
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)  # one recv: returns with whatever has arrived
            data = sock.recv(_RECV)
        except TimeoutError:
            if protocol.current is None:
                return  # silent between requests (or from the start): just close
            if protocol.headers_done:
                failure = (408, f"request body not received within {limits.body_timeout} s")
            else:
                failure = (408, f"request head not received within {limits.head_timeout} s")
            continue
        if not data:
            return  # closed, possibly mid-request: nothing to answer
        protocol.progressed = False
        try:
            parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # The request is answered as if Upgrade were absent (RFC 9110 allows it);
            # what follows is not HTTP any more, so the connection ends there.
            if protocol.complete:
                protocol.complete[-1].keep_alive = False
            else:
                failure = (400, "protocol upgrades are not supported")
        except httptools.HttpParserCallbackError as error:
            cause = error.__context__
            if isinstance(cause, RequestRefused):
                failure = (cause.status, cause.message)
            else:  # pragma: no cover - the callbacks raise nothing else
                failure = (400, "malformed request")
        except httptools.HttpParserError:
            failure = (400, "malformed request")
        else:
            if protocol.current is None or protocol.progressed:
                stalled = 0
            else:  # httptools buffers a header name/value (or trailer) it has not ended
                stalled += len(data)
            if stalled > limits.max_header_bytes:
                failure = (431, "request header fields too large")


def _deadline(limits: Limits, protocol: Requests, since: float, answered: bool) -> float:
    """When the next read must have happened: the clock of what is being waited for.

    ``since`` is when the connection opened, or when its last answer was sent.
    """
    if protocol.current is None:  # nothing of a request yet
        return since + (limits.idle_timeout if answered else limits.head_timeout)
    if not protocol.headers_done:  # the first head counts from the connection itself
        start = max(protocol.began, since) if answered else since
        return start + limits.head_timeout
    return max(protocol.headed, since) + limits.body_timeout


def _send_error(sock: socket.socket, status: int, message: str, request: Request | None) -> None:
    headers, payload = error_answer(status, message, request.path if request else "")
    with contextlib.suppress(OSError):
        sock.sendall(response_head(status, headers, keep_alive=False) + payload)
