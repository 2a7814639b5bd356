"""HTTP/1.1 framing (``fakeserver.serving.framing``): llhttp's requests, the engine's heads.

Fed straight to httptools, without a server: what the callbacks collect and what they refuse.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httptools
import pytest

from fakeserver.serving.framing import (
    Request,
    RequestRefused,
    Requests,
    error_answer,
    response_head,
    splits,
)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        yield ours, theirs


def parse(sock: socket.socket, data: bytes, *, max_body: int = 1024) -> Requests:
    protocol = Requests(max_body, 4096, sock)
    protocol.parser = httptools.HttpRequestParser(protocol)
    protocol.parser.feed_data(data)
    return protocol


def refusal(sock: socket.socket, data: bytes, *, max_body: int = 1024) -> RequestRefused:
    with pytest.raises(httptools.HttpParserCallbackError) as raised:
        parse(sock, data, max_body=max_body)
    cause = raised.value.__context__
    assert isinstance(cause, RequestRefused)
    return cause


def test_pipelined_requests_are_collected_whole_and_in_order(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    protocol = parse(
        pair[0],
        b"POST /a?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
        b"GET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    )
    first, second = protocol.complete
    assert (first.method, first.target, first.body, first.keep_alive) == (
        b"POST",
        b"/a?x=1",
        b"abc",
        True,
    )
    assert first.path == "/a" and (b"content-length", b"3") in first.headers
    assert (second.method, second.body, second.keep_alive) == (b"GET", b"", False)


def test_http_1_0_is_never_kept_alive(pair: tuple[socket.socket, socket.socket]) -> None:
    [request] = parse(pair[0], b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").complete
    assert request.http_version == "1.0" and not request.keep_alive


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n", 413),
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: h\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX: " + b"v" * 5000 + b"\r\n\r\n", 431),
    ],
    ids=["no_host", "two_hosts", "declared_body", "long_target", "long_header"],
)
def test_what_must_not_be_read_is_refused(
    pair: tuple[socket.socket, socket.socket], data: bytes, status: int
) -> None:
    assert refusal(pair[0], data).status == status


def test_a_chunked_body_over_the_limit_is_refused_while_it_arrives(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    chunks = b"".join(b"100\r\n" + b"x" * 256 + b"\r\n" for _ in range(5))
    head = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert refusal(pair[0], head + chunks, max_body=1024).status == 413


def test_trailers_never_become_headers(pair: tuple[socket.socket, socket.socket]) -> None:
    [request] = parse(
        pair[0],
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\nab\r\n0\r\nAuthorization: Basic eDp5\r\n\r\n",
    ).complete
    assert request.body == b"ab"
    assert b"authorization" not in dict(request.headers)


def test_100_continue_is_sent_before_the_body(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    protocol = parse(ours, b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n")
    assert not protocol.headers_done
    protocol.parser.feed_data(b"Content-Length: 1\r\n\r\n")
    assert theirs.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
    protocol.parser.feed_data(b"z")
    assert protocol.complete[0].body == b"z"


def test_a_request_names_its_path_without_the_query() -> None:
    request = Request()
    request.target = b"/tables/t%20x?page=2"
    assert request.path == "/tables/t%20x"


def test_response_heads_frame_the_answer() -> None:
    head = response_head(200, [(b"content-length", b"2")], keep_alive=True)
    assert head == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"
    closing = response_head(599, [], keep_alive=False)
    assert closing == b"HTTP/1.1 599 \r\nconnection: close\r\n\r\n"


@pytest.mark.parametrize("bad", [b"a\r\nb", b"a\nb", b"a\x00b"])
def test_a_header_that_would_split_the_response_is_seen(bad: bytes) -> None:
    assert splits([(b"x", bad)]) and splits([(bad, b"v")])
    assert not splits([(b"x", b"a b\tc")])


def test_error_answers_are_the_documented_shape() -> None:
    headers, payload = error_answer(408, "too slow", "/p")
    assert json.loads(payload) == {"error": "too slow", "path": "/p", "status": 408}
    assert headers == [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
