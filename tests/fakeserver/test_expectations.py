"""The expectation layer over the emulation (``fakeserver.expectations``).

pytest-httpserver's expectations, on top of a target that answers everything else: what
they override, in which order, and how every problem is reported at the end of a test.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import httpx
import pytest
from werkzeug.wrappers import Request, Response

from fakeserver import FakeServer
from fakeserver.server import ExpectationError

from .conftest import PING


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def loose(handler: Callable[[Request], object]) -> Callable[[Request], Response]:
    """A handler returning what pytest-httpserver's types allow no other than a Response.

    The expectation layer also answers text and nothing, and reports anything else: the
    tests that hand it those do so on purpose.
    """
    return cast("Callable[[Request], Response]", handler)


def problems(server: FakeServer) -> str:
    with pytest.raises(ExpectationError) as raised:
        server.check_expectations()
    return str(raised.value)


def test_oneshot_answers_once_then_the_emulation(server: FakeServer, http: httpx.Client) -> None:
    server.expect_oneshot_request(PING).respond_with_data("down", status=503)
    assert http.get(server.url + PING).status_code == 503
    assert http.get(server.url + PING).text == "pong"
    server.check_expectations()
    assert [(rq.path, rs.status_code) for rq, rs in server.log] == [(PING, 503), (PING, 200)]


def test_permanent_overrides_only_what_it_matches(server: FakeServer, http: httpx.Client) -> None:
    server.expect_request("/versions/rest", method="GET").respond_with_json({"version": 0})
    for _ in range(2):
        assert http.get(server.url + "/versions/rest").json() == {"version": 0}
    assert http.post(server.url + "/versions/rest").status_code == 405  # the emulation's answer
    assert http.get(server.url + PING).text == "pong"
    server.check_expectations()  # permanent expectations may go unused or be used many times


def test_ordered_in_order_with_other_traffic_in_between(
    server: FakeServer, http: httpx.Client
) -> None:
    server.expect_ordered_request(PING).respond_with_data("one")
    server.expect_ordered_request(PING).respond_with_data("two")
    assert http.get(server.url + "/versions/rest").json()["serverVersion"] == "6.1.2"
    assert [http.get(server.url + PING).text for _ in range(3)] == ["one", "two", "pong"]
    assert not server.permanently_failed
    server.check_expectations()


def test_ordered_out_of_order_is_reported_and_not_consumed(
    server: FakeServer, http: httpx.Client
) -> None:
    server.expect_ordered_request(PING).respond_with_data("first")
    server.expect_ordered_request("/versions/rest").respond_with_data("second")
    assert http.get(server.url + "/versions/rest").json()["serverVersion"] == "6.1.2"
    report = problems(server)
    assert "GET /versions/rest matched ordered expectation #2" in report
    assert "while #1 (any method /activeviam/pivot/rest/v9/ping) was still waiting" in report
    assert "ordered expectation #1 was never requested" in report
    assert "ordered expectation #2 was never requested" in report


def test_oneshot_claimed_by_one_request_only(server: FakeServer) -> None:
    server.expect_oneshot_request(PING).respond_with_data("down", status=503)
    with httpx.Client() as http, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: http.get(server.url + PING).status_code, range(16)))
    assert sorted(statuses) == [200] * 15 + [503]
    server.check_expectations()


def test_handler_error_is_a_json_500_and_a_readable_report(
    server: FakeServer, http: httpx.Client
) -> None:
    def broken(request: Request) -> Response:
        raise KeyError("secret-token")

    server.expect_request(PING).respond_with_handler(broken)
    answer = http.get(server.url + PING, params={"q": "1"})
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["path"] == PING and "secret-token" not in answer.text
    report = problems(server)
    assert "the handler of expectation any method /activeviam/pivot/rest/v9/ping raised " in report
    assert "KeyError: 'secret-token'" in report
    assert "while answering GET /activeviam/pivot/rest/v9/ping?q=1:" in report
    assert re.search(r'File ".*test_expectations.py", line \d+, in broken', report)
    assert "fakeserver/server.py" not in report  # the layer's own frames are noise
    assert "fakeserver/expectations.py" not in report
    assert problems(server) == report  # not consumed by reporting
    with pytest.raises(KeyError):  # pytest-httpserver's own check still sees it
        server.check_handler_errors()


def test_handler_assertion_and_bad_return_are_reported(
    server: FakeServer, http: httpx.Client
) -> None:
    def asserts(request: Request) -> Response:
        raise AssertionError("the body should have been JSON")

    server.expect_request("/a").respond_with_handler(asserts)
    server.expect_request("/b").respond_with_handler(loose(lambda request: 42))
    server.expect_request("/c")
    assert [http.get(server.url + p).status_code for p in ("/a", "/b", "/c")] == [500] * 3
    report = problems(server)
    assert "the body should have been JSON" in report
    assert "the handler of expectation any method /b returned int" in report
    assert "expectation any method /c matched GET /c but has no response" in report


def test_handlers_may_return_text_or_nothing(server: FakeServer, http: httpx.Client) -> None:
    server.expect_request("/text").respond_with_handler(loose(lambda request: "hello"))
    server.expect_request("/none").respond_with_handler(loose(lambda request: None))
    assert http.get(server.url + "/text").text == "hello"
    none = http.get(server.url + "/none")
    assert (none.status_code, none.text) == (200, "")
    server.check_expectations()


def test_emulate_delays_the_real_answer(server: FakeServer, http: httpx.Client) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow(request: Request) -> Response:
        entered.set()
        release.wait(timeout=30)
        return server.emulate(request)

    server.expect_oneshot_request("/versions/rest").respond_with_handler(slow)
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(http.get, server.url + "/versions/rest")
        assert entered.wait(timeout=30)
        assert http.get(server.url + PING).text == "pong"  # others are not held up
        assert not server.wait_idle(timeout=0)
        release.set()
        assert answer.result().json()["serverVersion"] == "6.1.2"
    assert server.wait_idle(timeout=30)


def test_report_lists_the_recent_requests(server: FakeServer, http: httpx.Client) -> None:
    server.expect_oneshot_request("/never").respond_with_data("")
    for index in range(25):
        http.get(server.url + PING, params={"n": str(index)})
    report = problems(server)
    assert f"FakeServer {server.url}: 1 problem(s) with its expectations" in report
    assert "Requests received (25, last 20 shown):" in report
    assert f"GET {PING}?n=4 -> 200" not in report
    assert report.endswith(f"GET {PING}?n=24 -> 200")


def test_describes_what_a_matcher_requires(server: FakeServer) -> None:
    server.expect_oneshot_request(
        re.compile("/tables/.*"),
        method="post",
        query_string="pageSize=2",
        headers={"X-Id": "1"},
        json={"fields": []},
    )
    report = problems(server)
    assert (
        "oneshot expectation was never requested: POST re:/tables/.* query_string='pageSize=2' "
        "headers={'X-Id': '1'} json={'fields': []}"
    ) in report


def test_assert_requested(server: FakeServer, http: httpx.Client) -> None:
    http.get(server.url + PING)
    http.post(server.url + PING)
    server.assert_requested(PING, count=2)
    server.assert_requested(PING, "get")
    server.assert_requested("/versions/rest", count=0)
    with pytest.raises(AssertionError, match="found 2 times but expected 1"):
        server.assert_requested(PING)


def test_reset_and_clear_forget_problems(server: FakeServer, http: httpx.Client) -> None:
    server.expect_request(PING).respond_with_handler(loose(lambda request: 1 / 0))
    server.expect_ordered_request("/never").respond_with_data("")
    http.get(server.url + PING)
    http.get(server.url + "/versions/rest")
    assert problems(server)
    server.reset()
    server.check_expectations()
    assert server.log == [] and server.handler_errors == [] and server.handler_failures == []
    assert http.get(server.url + PING).text == "pong"


def test_wait_still_works(server: FakeServer, http: httpx.Client) -> None:
    server.expect_oneshot_request(PING).respond_with_data("once")
    with server.wait(timeout=30) as waiting:
        http.get(server.url + PING)
    assert waiting.result


# -- reports escape what clients send --------------------------------------------------------

#: A request target that tries to end its log line and forge another, then repaint a
#: terminal; sent raw, since an HTTP client would refuse to send some of it.
FORGING = b"/a%0A12:00:00%20GET%20/forged%20user=admin%20status=200%0D%1B[2J%C2%85\\x"


def test_the_teardown_report_escapes_request_paths(server: FakeServer) -> None:
    server.expect_ordered_request("/never").respond_with_data("")
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"GET " + FORGING + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        while sock.recv(65536):
            pass
    report = problems(server)
    assert "GET /a\\n12:00:00 GET /forged" in report
    assert not any(line.startswith("12:00:00") for line in report.splitlines())
