"""``FakeServer`` itself (``fakeserver.server``): its request log, and its public names.

The expectation layer is tested in test_expectations.py, the engine in serving/, the
lifecycle and TLS through every other test that starts a server.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

import fakeserver
from fakeserver import FakeServer, expectations, requestlog, server

from .conftest import PING
from .test_expectations import FORGING


@pytest.fixture
def running() -> Iterator[FakeServer]:
    with FakeServer() as started:
        yield started


def test_the_expectation_names_stay_importable_from_here() -> None:
    assert server.ExpectationError is expectations.ExpectationError is fakeserver.ExpectationError
    assert server.describe_matcher is expectations.describe_matcher
    assert server.HandlerFailure is expectations.HandlerFailure
    assert server.request_log is requestlog.request_log
    assert issubclass(FakeServer, expectations.ExpectationLayer)


# -- the request log -------------------------------------------------------------------------


def test_the_request_log_escapes_what_clients_send(
    running: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="fakeserver.requests"):
        with socket.create_connection(("127.0.0.1", running.port), timeout=30) as sock:
            sock.sendall(b"GET " + FORGING + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            while sock.recv(65536):
                pass
    [record] = [r for r in caplog.records if r.name == "fakeserver.requests"]
    line = record.getMessage()
    assert line.startswith(
        "GET /a\\n12:00:00 GET /forged user=admin status=200\\r\\x1b[2J\\x85\\\\x user=- "
        "status=404 "
    )
    assert line.isprintable()


def test_log_entries_are_numbered_in_log_order_by_every_thread(running: FakeServer) -> None:
    """The status page pages the log on these ids: they must rise along the log."""
    console = running.emulation.console
    assert console is not None
    with httpx.Client(base_url=running.url) as http, ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: http.get(PING), range(40)))
        http.get("/missing", headers={"Authorization": "Basic bm9ib2R5Og=="})
    entries = console.requests()
    assert [e.id for e in entries] == list(range(1, 42))
    assert [(e.method, e.path, e.status) for e in entries[-1:]] == [("GET", "/missing", 404)]
    assert all(e.ms is not None and e.ms >= 0 and e.time > 0 for e in entries)
    running.clear()
    http_again = httpx.get(running.url + PING)
    assert http_again.status_code == 200
    assert [e.id for e in console.requests()] == [42], "ids go on after a clear"


def test_the_log_limit_keeps_the_newest_entries() -> None:
    with FakeServer(log_limit=3) as limited, httpx.Client(base_url=limited.url) as http:
        for index in range(5):
            http.get(f"/n{index}")
        assert [rq.path for rq, _ in limited.log] == ["/n2", "/n3", "/n4"]
