"""Hostile clients against a real server: nothing they do holds threads or stalls others.

Raw sockets, because what is under test is what a well-behaved client never does: trickle a
request head, say nothing at all, open hundreds of connections, or break the thread limit.
Every wait is bounded and generous; nothing asserts on how fast anything happened.
"""

from __future__ import annotations

import contextlib
import io
import json
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from fakeserver import FakeServer, Limits, ServerConfig, TlsConfig
from fakeserver.protocol import PIVOT_PATH

from ..fakeserver.serving.test_engine import read_response

PING = PIVOT_PATH + "/ping"
GET_PING = f"GET {PING} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
#: How long any wait here may take before the test gives up (a broken build, not a timing).
PATIENCE = 30.0


def served(**limits: Any) -> FakeServer:
    return FakeServer(ServerConfig(limits=Limits(**limits)))


def eventually(check: Callable[[], bool], what: str) -> None:
    """Poll ``check`` until it holds; fail after :data:`PATIENCE` seconds."""
    deadline = time.monotonic() + PATIENCE
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (fails if it never does)."""
    sock.settimeout(PATIENCE)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def pong(server: FakeServer) -> bool:
    try:
        return httpx.get(server.url + PING, timeout=5).text == "pong"
    except httpx.TransportError:
        return False


def workers() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "fakeserver-conn")


# -- head deadline (item 8) ----------------------------------------------------------------


def test_a_head_trickled_a_byte_at_a_time_gets_a_408_at_the_deadline() -> None:
    # Before: each byte restarted a 60 s idle timeout, so this client held a thread forever.
    with served(head_timeout=1.0) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE) as sock:
            answer = b""
            deadline = time.monotonic() + PATIENCE
            for byte in (GET_PING[:-4] + b"\r\nX-Slow: " + b"a" * 10_000)[:2000]:
                assert time.monotonic() < deadline
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    break
                ready, _, _ = select.select([sock], [], [], 0.1)
                if ready:
                    break
            answer = closed_by_server(sock)
        status, headers, payload = read_response(_stream(answer))
        assert status == 408 and headers["content-type"] == "application/json"
        assert json.loads(payload)["error"] == "request head not received within 1.0 s"
        assert pong(server)


def test_a_client_that_connects_and_says_nothing_is_dropped() -> None:
    with served(head_timeout=0.5) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            assert closed_by_server(sock) == b"", "closed without a word: nothing was asked"
        eventually(lambda: workers() == 0, "the worker of the silent client ends")


def test_the_first_head_of_a_connection_counts_from_the_connection() -> None:
    # Its first byte late, the rest within head_timeout of that byte but not of the
    # connection: one deadline from the connection, so a client cannot double it.
    with served(head_timeout=2.0) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            time.sleep(1.2)
            sock.sendall(GET_PING[:1])
            time.sleep(1.4)  # now 2.6 s after the connection, 1.4 s after the first byte
            with contextlib.suppress(OSError):
                sock.sendall(GET_PING[1:])
            status, _, _ = read_response(_stream(closed_by_server(sock)))
        assert status == 408


def test_a_body_trickled_past_its_deadline_gets_a_408() -> None:
    head = b"POST /versions/rest HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
    with served(body_timeout=0.5) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(head + b"x")  # then nothing: 99 bytes never come
            status, _, payload = read_response(_stream(closed_by_server(sock)))
        assert status == 408
        assert json.loads(payload)["error"] == "request body not received within 0.5 s"


def test_kept_alive_connections_wait_idle_timeout_not_head_timeout() -> None:
    with served(head_timeout=0.2, idle_timeout=PATIENCE) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE) as sock:
            stream = sock.makefile("rb")
            sock.sendall(GET_PING)
            assert read_response(stream)[2] == b"pong"
            time.sleep(1.0)  # five head timeouts of silence between two requests
            sock.sendall(GET_PING)
            assert read_response(stream)[2] == b"pong"
        assert server._engine is not None and server._engine.connections_accepted == 1


def test_the_idle_timeout_closes_a_kept_alive_connection() -> None:
    with served(idle_timeout=0.3) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE) as sock:
            sock.sendall(GET_PING)
            stream = sock.makefile("rb")
            assert read_response(stream)[2] == b"pong"
            assert stream.read() == b"", "closed after the idle timeout, without an answer"


def test_a_tls_handshake_trickled_in_is_cut_at_the_head_deadline() -> None:
    config = ServerConfig(tls=TlsConfig(), limits=Limits(head_timeout=1.0))
    with FakeServer(config) as server:
        assert server.ca_path is not None
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            # A TLS record header announcing a ClientHello that never comes, one byte a time.
            for byte in b"\x16\x03\x01\x02\x00":
                sock.sendall(bytes([byte]))
                time.sleep(0.1)
            closed_by_server(sock)
        eventually(lambda: workers() == 0, "the worker of the stalled handshake ends")
        ctx = ssl.create_default_context(cafile=server.ca_path)
        assert httpx.get(server.url + PING, verify=ctx).text == "pong"


# -- connection cap (item 8) -----------------------------------------------------------------


def test_hundreds_of_idle_sockets_do_not_keep_a_client_from_being_served() -> None:
    cap = 64
    with served(max_connections=cap, head_timeout=2.0) as server:
        before = threading.active_count()
        kept = httpx.Client(base_url=server.url, timeout=PATIENCE)
        idle: list[socket.socket] = []
        try:
            assert kept.get(PING).text == "pong"  # a kept-alive client, connected first
            for _ in range(300):
                idle.append(socket.create_connection(("127.0.0.1", server.port)))
            # No thread for the ones over the cap, and the kept-alive client is still served.
            assert threading.active_count() <= before + cap
            assert kept.get(PING).text == "pong"
            # Over the cap: a 503 from the accept loop; within it: dropped at the deadline.
            answers = {closed_by_server(sock) for sock in idle}
            refusal = {
                "error": f"too many connections: at most {cap} are served at once",
                "path": "",
                "status": 503,
            }
            assert b"" in answers and len(answers) == 2
            status, headers, payload = read_response(_stream(max(answers)))
            assert status == 503 and headers["content-type"] == "application/json"
            assert json.loads(payload) == refusal
            # Once the head deadline has dropped the idle ones, new clients are served too.
            eventually(lambda: pong(server), "a new client is answered")
        finally:
            kept.close()
            for sock in idle:
                sock.close()


def test_a_tls_connection_over_the_cap_is_closed() -> None:
    config = ServerConfig(tls=TlsConfig(), limits=Limits(max_connections=1))
    with FakeServer(config) as server:
        assert server.ca_path is not None
        ctx = ssl.create_default_context(cafile=server.ca_path)
        with socket.create_connection(("127.0.0.1", server.port)) as holder:
            eventually(lambda: workers() == 1, "the first connection has its worker")
            with pytest.raises(httpx.ConnectError):
                httpx.get(server.url + PING, verify=ctx, timeout=PATIENCE)
            holder.close()
            eventually(lambda: workers() == 0, "the slot is free again")
        assert httpx.get(server.url + PING, verify=ctx).text == "pong"


# -- a thread that cannot start (item 7) ---------------------------------------------------


@pytest.fixture
def failing_thread_start(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The next connection's thread fails to start, as under a process limit."""
    failures: list[str] = []
    start = threading.Thread.start

    def fail_once(thread: threading.Thread) -> None:
        if thread.name == "fakeserver-conn" and not failures:
            failures.append(thread.name)
            raise RuntimeError("can't start new thread")
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", fail_once)
    yield failures


def test_a_thread_that_cannot_start_costs_one_connection_not_the_server(
    failing_thread_start: list[str],
) -> None:
    with FakeServer() as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            answer = closed_by_server(sock)
        assert failing_thread_start, "the failure was injected"
        status, _, payload = read_response(_stream(answer))
        assert status == 503
        assert json.loads(payload)["error"] == "the server cannot take this connection now"
        assert httpx.get(server.url + PING, timeout=PATIENCE).text == "pong"
        assert server._engine is not None and server._engine.connections_refused == 1


# -- helpers -----------------------------------------------------------------------------------


def _stream(data: bytes) -> io.BytesIO:
    assert data, "the server closed without an answer"
    return io.BytesIO(data)
