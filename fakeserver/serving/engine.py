"""The engine itself: the listener, the accept loop, and a thread per admitted connection.

At most ``max_connections`` connections are served at once (SPEC §6; from
:class:`~fakeserver.limits.Limits`), and one more is answered 503 from the accept loop
itself, without a thread; a thread that cannot be started costs one connection (503), never
the accept loop. TLS handshakes run in the connection's thread, never in the accept loop.
Stopping wakes the accept loop at once instead of waiting for a poll interval.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import threading
import time
from typing import Any

from ..limits import Limits
from ..wsgi import WSGIApp
from .connection import converse
from .framing import error_answer, response_head
from .gateway import Gateway

__all__ = ["KeepAliveServer"]

_RECV = 65536
# Refused connections the accept loop drains before closing, at most, and for how long.
_REFUSED_LINGER = 1.0
_MAX_REFUSED = 64


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
        self._gateway = Gateway(app, host, self.port, https=ssl_context is not None)
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
        headers, payload = error_answer(503, message, "")
        headers.append((b"retry-after", b"1"))
        refused.add(conn, response_head(503, headers, keep_alive=False) + payload)

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
            converse(
                sock,
                address,
                peer_der,
                opened,
                gateway=self._gateway,
                limits=self.limits,
                max_body_size=self.max_body_size,
                stopping=lambda: self._stopping,
            )
        except (OSError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with self._lock:
                self._connections.discard(raw)
                self._connections.discard(sock)
                self._workers.discard(threading.current_thread())
