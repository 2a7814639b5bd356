"""A small threaded WSGI server that keeps connections alive.

werkzeug's development server (what pytest-httpserver runs) closes the connection after
every answer, so every request of a pooled client pays a new TCP connect and, over HTTPS,
a full TLS handshake (~70 requests/s here). This engine keeps connections open, which is
what makes HTTPS fixtures cheap. llhttp (through httptools, as in uvicorn) frames every
request, so a body is always drained before the next request line is read, at a tenth of
a pure-Python parser's cost per request; Nagle is off on every accepted socket so a
kept-alive answer is not held back by delayed ACKs. Stopping wakes the accept loop at once
instead of waiting for a poll interval.
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
from .protocol import JSON_CONTENT_TYPE
from .wsgi import PEER_CERTIFICATE_KEY, DropConnection, WSGIApp

__all__ = ["KeepAliveServer"]

_RECV = 65536
_MAX_HEADER_BYTES = 64 * 1024


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

    def __init__(self, max_body_size: int, sock: socket.socket) -> None:
        self.max_body_size = max_body_size
        self.sock = sock
        self.parser: Any = None
        self.complete: collections.deque[_Request] = collections.deque()
        self.current: _Request | None = None
        self.head_size = 0
        self._body: list[bytes] = []
        self._body_size = 0
        self.headers_done = False
        self.progressed = False  # any callback since the last feed

    def on_message_begin(self) -> None:
        self.progressed = True
        self.headers_done = False
        self.current = _Request()
        self.head_size = 0
        self._body = []
        self._body_size = 0

    def on_url(self, url: bytes) -> None:
        assert self.current is not None
        self.progressed = True
        self.current.target += url
        self.head_size += len(url)
        if self.head_size > _MAX_HEADER_BYTES:
            raise _RequestRefused(431, "request header fields too large")

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.current is not None
        self.progressed = True
        self.head_size += len(name) + len(value)
        if self.head_size > _MAX_HEADER_BYTES:
            raise _RequestRefused(431, "request header fields too large")
        if self.headers_done:
            return  # a trailer field: never merged into the headers (RFC 9110 6.5.1)
        self.current.headers.append((name.lower(), value.strip(b" \t")))

    def on_headers_complete(self) -> None:
        request = self.current
        assert request is not None
        self.progressed = True
        self.headers_done = True
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
        handshake_timeout: float = 5.0,
        idle_timeout: float = 60.0,
    ) -> None:
        self.app = app
        self.host = host
        self.ssl_context = ssl_context
        self.max_body_size = max_body_size
        self.handshake_timeout = handshake_timeout
        self.idle_timeout = idle_timeout
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
            while not self._stopping:
                for key, _ in selector.select():
                    if key.fileobj is self._wake_r:
                        return
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
                    self._spawn(conn, address)

    def _spawn(self, conn: socket.socket, address: Any) -> None:
        worker = threading.Thread(
            target=self._serve_connection, args=(conn, address), name="fakeserver-conn", daemon=True
        )
        with self._lock:
            if self._stopping:
                conn.close()
                return
            self._connections.add(conn)
            self._workers.add(worker)
            self.connections_accepted += 1
        worker.start()

    # -- one connection ------------------------------------------------------------------

    def _serve_connection(self, raw: socket.socket, address: Any) -> None:
        sock: socket.socket = raw
        try:
            raw.setblocking(True)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            peer_der: bytes | None = None
            if self.ssl_context is not None:
                # The handshake runs here, not in the accept loop, so a client that
                # connects and says nothing only holds its own thread until the timeout.
                raw.settimeout(self.handshake_timeout)
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
                tls.do_handshake()
                peer_der = tls.getpeercert(binary_form=True)
            sock.settimeout(self.idle_timeout)
            self._converse(sock, address, peer_der)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with self._lock:
                self._connections.discard(raw)
                self._connections.discard(sock)
                self._workers.discard(threading.current_thread())

    def _converse(self, sock: socket.socket, address: Any, peer_der: bytes | None) -> None:
        protocol = _Requests(self.max_body_size, sock)
        parser = httptools.HttpRequestParser(protocol)
        protocol.parser = parser
        failure: tuple[int, str] | None = None
        stalled = 0
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
                sock.sendall(_response_head(status, headers, request.keep_alive) + payload)
                if not request.keep_alive:
                    return
            if failure is not None:
                status, message = failure
                self._send_error(sock, status, message, protocol.current)
                _linger_close(sock)  # unread input: a plain close would reset the answer away
                return
            data = sock.recv(_RECV)
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
                if stalled > _MAX_HEADER_BYTES:
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
