"""One connection (``fakeserver.serving.connection``): its answers and its deadlines.

``converse`` runs on one end of a socket pair, the test plays the client on the other.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from fakeserver.limits import Limits
from fakeserver.serving.connection import converse
from fakeserver.serving.gateway import Gateway

from .test_engine import read_response


def echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["PATH_INFO"].encode()]


class Served:
    """``converse`` on a thread, over one end of a socket pair."""

    def __init__(self, limits: Limits, *, stopping: Callable[[], bool] = lambda: False) -> None:
        self.server, self.client = socket.socketpair()
        self.client.settimeout(30)
        self.thread = threading.Thread(
            target=converse,
            args=(self.server, ("127.0.0.1", 1), None, time.monotonic()),
            kwargs={
                "gateway": Gateway(echo, "127.0.0.1", 1, https=False),
                "limits": limits,
                "max_body_size": 1024,
                "stopping": stopping,
            },
            daemon=True,
        )
        self.thread.start()

    def finished(self) -> bool:
        self.thread.join(timeout=30)
        return not self.thread.is_alive()

    def close(self) -> None:
        self.client.close()
        self.finished()
        self.server.close()


@pytest.fixture
def served() -> Iterator[Served]:
    connection = Served(Limits(head_timeout=0.3, idle_timeout=0.3))
    yield connection
    connection.close()


def test_pipelined_requests_are_answered_in_order(served: Served) -> None:
    served.client.sendall(
        b"GET /one HTTP/1.1\r\nHost: h\r\n\r\nGET /two HTTP/1.1\r\nHost: h\r\n\r\n"
    )
    stream = served.client.makefile("rb")
    assert read_response(stream)[2] == b"/one"
    assert read_response(stream)[2] == b"/two"


def test_a_head_that_does_not_arrive_in_time_is_a_408(served: Served) -> None:
    served.client.sendall(b"GET /slow HTTP/1.1\r\nHost: h\r\n")  # ... and never the end
    status, _, body = read_response(served.client.makefile("rb"))
    assert status == 408 and json.loads(body)["path"] == "/slow"
    assert served.finished()


def test_a_silent_connection_is_given_up_without_an_answer(served: Served) -> None:
    assert served.finished()  # after head_timeout; closing the socket is the engine's part
    served.server.close()
    assert served.client.recv(100) == b""


def test_a_malformed_request_is_a_400_then_the_end(served: Served) -> None:
    served.client.sendall(b"NOT HTTP AT ALL\r\n\r\n")
    status, headers, _ = read_response(served.client.makefile("rb"))
    assert (status, headers["connection"]) == (400, "close")
    assert served.finished()


def test_a_stopping_server_serves_nothing_more() -> None:
    connection = Served(Limits(), stopping=lambda: True)
    try:
        assert connection.finished()
    finally:
        connection.close()
