"""HTTP/1.1 framing: requests as llhttp frames them, and the heads of the answers.

llhttp (through httptools, as in uvicorn) frames every message (Content-Length, chunked,
pipelining) and rejects what smuggles (both length headers, bad chunk sizes), at a tenth of
a pure-Python parser's cost per request. :class:`Requests` adds what it leaves to the
server: the limits on body and header size, one Host, 100-continue. Answers are framed by
the engine alone (:func:`response_head`): an app never sets ``content-length`` or
``connection``, and a header that would split the response never leaves.
"""

from __future__ import annotations

import collections
import http
import re
import socket
import time
from typing import Any

from ..errors import error_body
from ..protocol import JSON_CONTENT_TYPE

__all__ = ["Request", "RequestRefused", "Requests", "error_answer", "response_head", "splits"]

# A name or value with one of these would end the header block early (response splitting).
_UNSAFE = re.compile(rb"[\r\n\x00]")

_REASONS = {status.value: status.phrase.encode() for status in http.HTTPStatus}


def response_head(status: int, headers: list[tuple[bytes, bytes]], keep_alive: bool) -> bytes:
    """The status line and headers; framing headers come from the engine, never the app."""
    lines = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b""))]
    lines.extend(b"%s: %s\r\n" % pair for pair in headers)
    if not keep_alive:
        lines.append(b"connection: close\r\n")
    lines.append(b"\r\n")
    return b"".join(lines)


def splits(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether a header name or value would break the response framing."""
    return any(_UNSAFE.search(k) or _UNSAFE.search(v) for k, v in headers)


def error_answer(status: int, message: str, path: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The headers and body of an error the engine answers itself (SPEC §4.2's shape)."""
    payload = error_body(status, message, path)
    headers = [
        (b"content-type", JSON_CONTENT_TYPE.encode()),
        (b"content-length", str(len(payload)).encode()),
    ]
    return headers, payload


class RequestRefused(Exception):
    """Raised from a parser callback: answer ``status`` and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Request:
    """One request as the parser saw it, body included."""

    __slots__ = ("body", "headers", "http_version", "keep_alive", "method", "target")

    def __init__(self) -> None:
        self.method = b""
        self.target = b""
        self.http_version = "1.1"
        self.headers: list[tuple[bytes, bytes]] = []  # names lower-cased
        self.body = b""
        self.keep_alive = False

    @property
    def path(self) -> str:
        """The target up to its query: what an error body names."""
        return self.target.partition(b"?")[0].decode("latin-1")


class Requests:
    """httptools callbacks: collect complete requests, refuse what must not be read.

    llhttp frames every message (Content-Length, chunked, pipelining) and rejects what
    smuggles (both length headers, bad chunk sizes); this adds the limits and checks it
    leaves to the server: body size, header size, Host, 100-continue.
    """

    def __init__(self, max_body_size: int, max_header_bytes: int, sock: socket.socket) -> None:
        self.max_body_size = max_body_size
        self.max_header_bytes = max_header_bytes
        self.sock = sock
        self.parser: Any = None
        self.complete: collections.deque[Request] = collections.deque()
        self.current: Request | None = None
        self.head_size = 0
        self._body: list[bytes] = []
        self._body_size = 0
        self.headers_done = False
        self.progressed = False  # any callback since the last feed
        #: When the current request's first byte, and its last header, were parsed.
        self.began = self.headed = 0.0

    def on_message_begin(self) -> None:
        self.progressed = True
        self.headers_done = False
        self.began = time.monotonic()
        self.current = Request()
        self.head_size = 0
        self._body = []
        self._body_size = 0

    def on_url(self, url: bytes) -> None:
        assert self.current is not None
        self.progressed = True
        self.current.target += url
        self.head_size += len(url)
        if self.head_size > self.max_header_bytes:
            raise RequestRefused(431, "request header fields too large")

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.current is not None
        self.progressed = True
        # The line's colon and CRLF too: 20,000 empty headers are 80 KB on the wire.
        self.head_size += len(name) + len(value) + 3
        if self.head_size > self.max_header_bytes:
            raise RequestRefused(431, "request header fields too large")
        if self.headers_done:
            return  # a trailer field: never merged into the headers (RFC 9110 6.5.1)
        self.current.headers.append((name.lower(), value.strip(b" \t")))

    def on_headers_complete(self) -> None:
        request = self.current
        assert request is not None
        self.progressed = True
        self.headers_done = True
        self.headed = time.monotonic()
        request.method = self.parser.get_method()
        request.http_version = self.parser.get_http_version()
        headers = dict(request.headers)
        hosts = sum(1 for name, _ in request.headers if name == b"host")
        if hosts > 1 or (request.http_version == "1.1" and not hosts):
            raise RequestRefused(400, "malformed request: HTTP/1.1 needs one Host header")
        length = headers.get(b"content-length")
        if length is not None and int(length) > self.max_body_size:
            raise RequestRefused(413, f"request body exceeds {self.max_body_size} bytes")
        # Not behind answers still owed to earlier pipelined requests (the client would take
        # it for theirs), and never to HTTP/1.0, which has no interim answers.
        expects = headers.get(b"expect", b"").lower() == b"100-continue"
        if expects and request.http_version == "1.1" and not self.complete:
            self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self.progressed = True
        self._body_size += len(body)
        if self._body_size > self.max_body_size:
            raise RequestRefused(413, f"request body exceeds {self.max_body_size} bytes")
        self._body.append(body)

    def on_message_complete(self) -> None:
        request = self.current
        assert request is not None
        request.body = b"".join(self._body)
        # HTTP/1.0 is always closed: its keep-alive would need headers this engine omits.
        request.keep_alive = request.http_version == "1.1" and self.parser.should_keep_alive()
        self.complete.append(request)
        self.current = None
