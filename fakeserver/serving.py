"""A small threaded WSGI server that keeps connections alive.

werkzeug's development server (what pytest-httpserver runs) closes the connection after
every answer, so every request of a pooled client pays a new TCP connect and, over HTTPS,
a full TLS handshake (~70 requests/s here). This engine keeps connections open, which is
what makes HTTPS fixtures cheap. llhttp (through httptools, as in uvicorn) frames every
request, so a body is always drained before the next request line is read, at a tenth of
a pure-Python parser's cost per request; Nagle is off on every accepted socket so a
kept-alive answer is not held back by delayed ACKs. Stopping wakes the accept loop at once
instead of waiting for a poll interval.

Nothing a client does holds a thread for long (SPEC §6; the bounds come from
:class:`~fakeserver.limits.Limits`): at most ``max_connections`` connections are served at
once, and one more is answered 503 from the accept loop itself, without a thread; a request
head must arrive whole within ``head_timeout`` of its first byte (of the connection, for
the first one: the TLS handshake counts), however slowly it trickles, and a body within
``body_timeout``; a kept-alive connection may stay silent ``idle_timeout`` between requests.
A thread that cannot be started costs one connection (503), never the accept loop.
"""

from __future__ import annotations

import collections
import contextlib
import http
import io
import re
import selectors
import socket
import ssl
import sys
import threading
import time
from typing import Any
from urllib.parse import unquote_to_bytes

import httptools

from .errors import error_body
from .limits import Limits
from .protocol import JSON_CONTENT_TYPE
from .wsgi import PEER_CERTIFICATE_KEY, DropConnection, WSGIApp

__all__ = ["KeepAliveServer"]

_RECV = 65536
# Refused connections the accept loop drains before closing, at most, and for how long.
_REFUSED_LINGER = 1.0
_MAX_REFUSED = 64


def _linger_close(sock: socket.socket) -> None:
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


# A name or value with one of these would end the header block early (response splitting).
_UNSAFE = re.compile(rb"[\r\n\x00]")

_REASONS = {status.value: status.phrase.encode() for status in http.HTTPStatus}


def _response_head(status: int, headers: list[tuple[bytes, bytes]], keep_alive: bool) -> bytes:
    """The status line and headers; framing headers come from the engine, never the app."""
    lines = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b""))]
    lines.extend(b"%s: %s\r\n" % pair for pair in headers)
    if not keep_alive:
        lines.append(b"connection: close\r\n")
    lines.append(b"\r\n")
    return b"".join(lines)


class _RequestRefused(Exception):
    """Raised from a parser callback: answer ``status`` and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Request:
    """One request as the parser saw it, body included."""

    __slots__ = ("body", "headers", "http_version", "keep_alive", "method", "target")

    def __init__(self) -> None:
        self.method = b""
        self.target = b""
        self.http_version = "1.1"
        self.headers: list[tuple[bytes, bytes]] = []  # names lower-cased
        self.body = b""
        self.keep_alive = False


class _Requests:
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
        self.complete: collections.deque[_Request] = collections.deque()
        self.current: _Request | None = None
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
        self.current = _Request()
        self.head_size = 0
        self._body = []
        self._body_size = 0

    def on_url(self, url: bytes) -> None:
        assert self.current is not None
        self.progressed = True
        self.current.target += url
        self.head_size += len(url)
        if self.head_size > self.max_header_bytes:
            raise _RequestRefused(431, "request header fields too large")

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.current is not None
        self.progressed = True
        # The line's colon and CRLF too: 20,000 empty headers are 80 KB on the wire.
        self.head_size += len(name) + len(value) + 3
        if self.head_size > self.max_header_bytes:
            raise _RequestRefused(431, "request header fields too large")
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
            raise _RequestRefused(400, "malformed request: HTTP/1.1 needs one Host header")
        length = headers.get(b"content-length")
        if length is not None and int(length) > self.max_body_size:
            raise _RequestRefused(413, f"request body exceeds {self.max_body_size} bytes")
        # Not behind answers still owed to earlier pipelined requests (the client would take
        # it for theirs), and never to HTTP/1.0, which has no interim answers.
        expects = headers.get(b"expect", b"").lower() == b"100-continue"
        if expects and request.http_version == "1.1" and not self.complete:
            self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self.progressed = True
        self._body_size += len(body)
        if self._body_size > self.max_body_size:
            raise _RequestRefused(413, f"request body exceeds {self.max_body_size} bytes")
        self._body.append(body)

    def on_message_complete(self) -> None:
        request = self.current
        assert request is not None
        request.body = b"".join(self._body)
        # HTTP/1.0 is always closed: its keep-alive would need headers this engine omits.
        request.keep_alive = request.http_version == "1.1" and self.parser.should_keep_alive()
        self.complete.append(request)
        self.current = None


class _Refused:
    """Connections refused at the accept loop: answered, drained briefly, then closed.

    The answer (503) is written before the client's request is read; closing at once with
    that request unread would make the kernel send a reset that can destroy the answer
    before the client reads it. So each is half-closed and read from by the accept loop
    itself (never a thread) until the client closes or :data:`_REFUSED_LINGER` passes.
    """

    def __init__(self, selector: selectors.BaseSelector) -> None:
        self._selector = selector
        self._deadlines: dict[socket.socket, float] = {}

    def add(self, conn: socket.socket, answer: bytes) -> None:
        with contextlib.suppress(OSError):
            conn.setblocking(False)
            conn.send(answer)  # a few hundred bytes into an empty buffer: never blocks
            conn.shutdown(socket.SHUT_WR)
            if len(self._deadlines) < _MAX_REFUSED:
                self._selector.register(conn, selectors.EVENT_READ, self)
                self._deadlines[conn] = time.monotonic() + _REFUSED_LINGER
                return
        conn.close()

    def drain(self, conn: socket.socket) -> None:
        try:
            if conn.recv(_RECV):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._close(conn)

    def timeout(self) -> float | None:
        """Seconds until the next lingering connection is due (None: none lingers)."""
        if not self._deadlines:
            return None
        return max(0.0, min(self._deadlines.values()) - time.monotonic())

    def expire(self) -> None:
        now = time.monotonic()
        for conn in [c for c, deadline in self._deadlines.items() if deadline <= now]:
            self._close(conn)

    def close_all(self) -> None:
        for conn in list(self._deadlines):
            self._close(conn)

    def _close(self, conn: socket.socket) -> None:
        del self._deadlines[conn]
        self._selector.unregister(conn)
        conn.close()


class KeepAliveServer:
    """Serve ``app`` on ``host:port`` (0 = ephemeral) in background threads."""

    def __init__(
        self,
        app: WSGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_body_size: int = 10 * 1024 * 1024,
        limits: Limits | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.ssl_context = ssl_context
        self.max_body_size = max_body_size
        self.limits = limits if limits is not None else Limits()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listener.bind((host, port))
            self._listener.listen(128)
            self._listener.setblocking(False)
        except OSError:
            self._listener.close()
            raise
        self.port: int = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()
        self._stopping = False
        #: Connections accepted so far: keep-alive means this stays at one per client.
        self.connections_accepted = 0
        #: Connections refused so far (over ``max_connections``, or no thread to serve them).
        self.connections_refused = 0
        self._thread = threading.Thread(
            target=self._accept_loop, name=f"fakeserver-accept-{self.port}", daemon=True
        )
        self._thread.start()

    # -- lifecycle -----------------------------------------------------------------------

    def stop(self) -> None:
        """Stop accepting, close every open connection, and wait for the workers."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        self._thread.join()
        with self._lock:
            connections = list(self._connections)
            workers = list(self._workers)
        for conn in connections:
            # shutdown() wakes a worker blocked in recv() at once.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(conn, socket.SHUT_RDWR)  # SSLSocket's would drop _sslobj
        deadline = time.monotonic() + 2.0  # one budget for all, not 2 s per stuck worker
        for worker in workers:
            worker.join(timeout=max(0.0, deadline - time.monotonic()))
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            refused = _Refused(selector)
            try:
                while not self._stopping:
                    for key, _ in selector.select(refused.timeout()):
                        if key.fileobj is self._wake_r:
                            return
                        if key.data is refused:
                            refused.drain(key.fileobj)
                            continue
                        try:
                            conn, address = self._listener.accept()
                        except (BlockingIOError, InterruptedError):
                            continue
                        except OSError:
                            if self._stopping:
                                return
                            # e.g. EMFILE: the listener stays readable, so pause, don't spin.
                            time.sleep(0.05)
                            continue
                        self._admit(conn, address, refused)
                    refused.expire()
            finally:
                refused.close_all()

    def _admit(self, conn: socket.socket, address: Any, refused: _Refused) -> None:
        """Serve ``conn`` in a thread of its own, or refuse it without one."""
        worker = threading.Thread(
            target=self._serve_connection, args=(conn, address), name="fakeserver-conn", daemon=True
        )
        with self._lock:
            if self._stopping:
                conn.close()
                return
            full = len(self._connections) >= self.limits.max_connections
            if not full:
                self._connections.add(conn)
                self._workers.add(worker)
                self.connections_accepted += 1
        if full:
            limit = self.limits.max_connections
            self._refuse(conn, refused, f"too many connections: at most {limit} are served at once")
            return
        try:
            worker.start()
        except Exception:  # "can't start new thread": this connection pays, not the server
            with self._lock:
                self._connections.discard(conn)
                self._workers.discard(worker)
                self.connections_accepted -= 1
            self._refuse(conn, refused, "the server cannot take this connection now")

    def _refuse(self, conn: socket.socket, refused: _Refused, message: str) -> None:
        with self._lock:
            self.connections_refused += 1
        if self.ssl_context is not None:
            conn.close()  # a plain-text answer would be noise to a TLS client; no handshake
            return
        payload = error_body(503, message, "")
        headers = [
            (b"content-type", JSON_CONTENT_TYPE.encode()),
            (b"content-length", str(len(payload)).encode()),
            (b"retry-after", b"1"),
        ]
        refused.add(conn, _response_head(503, headers, keep_alive=False) + payload)

    # -- one connection ------------------------------------------------------------------

    def _serve_connection(self, raw: socket.socket, address: Any) -> None:
        # The first request's head is due head_timeout after the connection, handshake
        # included: a client that connects and says nothing is dropped then.
        opened = time.monotonic()
        first_deadline = opened + self.limits.head_timeout
        sock: socket.socket = raw
        try:
            raw.setblocking(True)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            peer_der: bytes | None = None
            if self.ssl_context is not None:
                # The handshake runs here, not in the accept loop, so a client that
                # connects and says nothing only holds its own thread until the deadline.
                tls = self.ssl_context.wrap_socket(
                    raw, server_side=True, do_handshake_on_connect=False
                )
                sock = tls
                # Registered before the handshake: stop() must be able to wake it.
                with self._lock:
                    self._connections.discard(raw)
                    self._connections.add(tls)
                    if self._stopping:
                        return
                # One timeout for the whole handshake (CPython's SSL calls keep a deadline
                # across their retries), however slowly its records trickle in.
                tls.settimeout(max(first_deadline - time.monotonic(), 0.001))
                tls.do_handshake()
                peer_der = tls.getpeercert(binary_form=True)
            self._converse(sock, address, peer_der, opened)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with self._lock:
                self._connections.discard(raw)
                self._connections.discard(sock)
                self._workers.discard(threading.current_thread())

    def _deadline(self, protocol: _Requests, since: float, answered: bool) -> float:
        """When the next read must have happened: the clock of what is being waited for.

        ``since`` is when the connection opened, or when its last answer was sent.
        """
        limits = self.limits
        if protocol.current is None:  # nothing of a request yet
            return since + (limits.idle_timeout if answered else limits.head_timeout)
        if not protocol.headers_done:  # the first head counts from the connection itself
            start = max(protocol.began, since) if answered else since
            return start + limits.head_timeout
        return max(protocol.headed, since) + limits.body_timeout

    def _converse(
        self, sock: socket.socket, address: Any, peer_der: bytes | None, opened: float
    ) -> None:
        limits = self.limits
        protocol = _Requests(self.max_body_size, limits.max_header_bytes, sock)
        parser = httptools.HttpRequestParser(protocol)
        protocol.parser = parser
        failure: tuple[int, str] | None = None
        stalled = 0
        since, answered = opened, False
        while not self._stopping:
            # Answer, in order, every request the last read completed (pipelining).
            while protocol.complete:
                request = protocol.complete.popleft()
                try:
                    status, headers, payload = self._call_app(request, address, peer_der)
                except DropConnection:
                    return
                if request.method == b"HEAD" or status in (204, 304):
                    payload = b""
                # A client that does not read its answers is dropped after idle_timeout.
                sock.settimeout(limits.idle_timeout)
                sock.sendall(_response_head(status, headers, request.keep_alive) + payload)
                if not request.keep_alive:
                    return
                since, answered = time.monotonic(), True
            if failure is not None:
                status, message = failure
                sock.settimeout(limits.idle_timeout)
                self._send_error(sock, status, message, protocol.current)
                _linger_close(sock)  # unread input: a plain close would reset the answer away
                return
            remaining = self._deadline(protocol, since, answered) - time.monotonic()
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
                if isinstance(cause, _RequestRefused):
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

    def _environ(self, request: _Request, address: Any, peer_der: bytes | None) -> dict[str, Any]:
        body = request.body
        target = request.target.partition(b"#")[0]  # a fragment never reaches a server
        path, _, query = target.partition(b"?")
        if path[:8].lower().startswith((b"http://", b"https://")):  # absolute-form target
            path = b"/" + path.split(b"/", 3)[3] if path.count(b"/") >= 3 else b"/"
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method.decode("ascii"),
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query.decode("latin-1"),
            "RAW_URI": target.decode("latin-1"),
            "SERVER_NAME": self.host,
            "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": "HTTP/" + request.http_version,
            "REMOTE_ADDR": address[0] if isinstance(address, tuple) else "",
            "REMOTE_PORT": str(address[1]) if isinstance(address, tuple) else "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if self.ssl_context is not None else "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            PEER_CERTIFICATE_KEY: peer_der,
        }
        for name, value in request.headers:
            text = value.decode("latin-1")
            if name == b"content-type":
                environ["CONTENT_TYPE"] = text
            elif name in (b"content-length", b"transfer-encoding"):
                continue  # the body is already whole: CONTENT_LENGTH below says how long
            else:
                key = "HTTP_" + name.decode("ascii").upper().replace("-", "_")
                environ[key] = f"{environ[key]},{text}" if key in environ else text
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input_terminated"] = True
        return environ

    def _call_app(
        self, request: _Request, address: Any, peer_der: bytes | None
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        captured: dict[str, Any] = {}
        head = request.method == b"HEAD"

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers
            return lambda data: None  # the legacy write() callable; nothing here uses it

        try:
            result = self.app(self._environ(request, address, peer_der), start_response)
            try:
                payload = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            status = captured["status"]
            if status < 200:
                raise ValueError(f"the app answered {status}, an interim status")
            # HEAD keeps the length GET would send (RFC 9110); everything else is measured.
            dropped = (
                ("transfer-encoding", "connection")
                if head
                else ("content-length", "transfer-encoding", "connection")
            )
            headers = [
                (k.encode("latin-1"), v.encode("latin-1"))
                for k, v in captured["headers"]
                if k.lower() not in dropped
            ]
            if any(_UNSAFE.search(k) or _UNSAFE.search(v) for k, v in headers):
                raise ValueError("a header name or value would break the response framing")
        except DropConnection:
            raise
        except Exception:
            # The app is meant to never raise; if it does, the client still gets the
            # documented error shape, and no traceback.
            path = request.target.partition(b"?")[0].decode("latin-1")
            body = error_body(500, "internal error in the fake server", path)
            length = str(len(body)).encode()
            return (
                500,
                [(b"content-type", JSON_CONTENT_TYPE.encode()), (b"content-length", length)],
                body,
            )
        if status not in (204, 304) and not head:
            headers.append((b"content-length", str(len(payload)).encode()))
        return status, headers, payload

    def _send_error(
        self, sock: socket.socket, status: int, message: str, request: _Request | None
    ) -> None:
        path = request.target.partition(b"?")[0].decode("latin-1") if request else ""
        payload = error_body(status, message, path)
        headers = [
            (b"content-type", JSON_CONTENT_TYPE.encode()),
            (b"content-length", str(len(payload)).encode()),
        ]
        with contextlib.suppress(OSError):
            sock.sendall(_response_head(status, headers, keep_alive=False) + payload)
