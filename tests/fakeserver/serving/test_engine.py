"""The keep-alive engine, spoken to with raw sockets where framing matters."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
from typing import BinaryIO

import httpx
import pytest

from fakeserver import FakeServer, Limits, ServerConfig, TlsConfig
from fakeserver.protocol import PIVOT_PATH
from fakeserver.serving import KeepAliveServer


def engine(server: FakeServer) -> KeepAliveServer:
    assert server._engine is not None
    return server._engine


def read_response(stream: BinaryIO) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length body, from ``sock.makefile("rb")``."""
    status_line = stream.readline()
    assert status_line, "connection closed before the status line"
    status = int(status_line.split(b" ")[1])
    headers: dict[str, str] = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.lower()] = value.strip()
    return status, headers, stream.read(int(headers.get("content-length", "0")))


def test_a_pooled_client_keeps_one_connection(open_server: FakeServer) -> None:
    with httpx.Client(base_url=open_server.url) as http:
        for _ in range(20):
            response = http.get(PIVOT_PATH + "/ping")
            assert response.text == "pong"
            assert response.headers.get("connection", "").lower() != "close"
    assert engine(open_server).connections_accepted == 1


def test_https_keeps_one_connection_too() -> None:
    with FakeServer(ServerConfig(tls=TlsConfig())) as server:
        assert server.ca_path is not None
        ctx = ssl.create_default_context(cafile=server.ca_path)
        with httpx.Client(base_url=server.url, verify=ctx) as http:
            for _ in range(10):
                assert http.get(PIVOT_PATH + "/ping").text == "pong"
        assert engine(server).connections_accepted == 1


def test_request_bodies_are_drained_before_the_next_request(open_server: FakeServer) -> None:
    # A POST whose body the route ignores, then a GET on the same connection: the body
    # must not be misread as the next request line.
    body = b'{"x": "' + b"y" * 5000 + b'"}'
    post = (
        f"POST {PIVOT_PATH}/ping HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    get = f"GET {PIVOT_PATH}/ping HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", open_server.port), timeout=5) as sock:
        sock.sendall(post + get)  # pipelined
        stream = sock.makefile("rb")
        status, headers, payload = read_response(stream)
        assert status == 405 and headers["content-type"] == "application/json"
        status, _, payload = read_response(stream)
        assert (status, payload) == (200, b"pong")


def test_chunked_request_bodies_are_framed(open_server: FakeServer) -> None:
    request = (
        f"POST /versions/rest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n0\r\n\r\n"
        f"GET {PIVOT_PATH}/ping HTTP/1.1\r\nHost: x\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", open_server.port), timeout=5) as sock:
        sock.sendall(request)
        stream = sock.makefile("rb")
        assert read_response(stream)[0] == 405
        assert read_response(stream)[2] == b"pong"


def test_head_has_no_body(open_server: FakeServer) -> None:
    response = httpx.head(open_server.url + "/versions/rest")
    assert response.status_code == 200 and response.content == b""


@pytest.mark.parametrize(
    "raw",
    [
        b"NONSENSE\r\n\r\n",
        b"GET / HTTP/1.1\r\nNo-Colon-Header\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",  # HTTP/1.1 without Host
    ],
)
def test_malformed_requests_get_a_json_400(open_server: FakeServer, raw: bytes) -> None:
    with socket.create_connection(("127.0.0.1", open_server.port), timeout=5) as sock:
        sock.sendall(raw)
        stream = sock.makefile("rb")
        status, headers, payload = read_response(stream)
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert json.loads(payload)["status"] == 400
    assert httpx.get(open_server.url + PIVOT_PATH + "/ping").text == "pong"


def test_oversized_bodies_are_refused_unread() -> None:
    with FakeServer(ServerConfig(max_body_size=4096)) as server:
        head = b"POST /versions/rest HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n"
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(head)  # announce 1 GB, send none of it
            stream = sock.makefile("rb")
            status, headers, payload = read_response(stream)
        assert status == 413 and json.loads(payload)["status"] == 413
        assert headers["connection"] == "close"
        small = httpx.post(server.url + "/versions/rest", content=b"x" * 100)
        assert small.status_code == 405


def test_a_silent_client_does_not_block_others() -> None:
    with FakeServer(ServerConfig(tls=TlsConfig())) as server:
        assert server.ca_path is not None
        silent = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        try:
            ctx = ssl.create_default_context(cafile=server.ca_path)
            with httpx.Client(verify=ctx, timeout=5) as http:
                assert http.get(server.url + PIVOT_PATH + "/ping").text == "pong"
        finally:
            silent.close()


def test_plain_http_to_the_tls_port_is_refused_cleanly() -> None:
    with FakeServer(ServerConfig(tls=TlsConfig())) as server:
        plain = server.url.replace("https://", "http://")
        with pytest.raises(httpx.TransportError):
            httpx.get(plain + "/versions/rest", timeout=5)
        assert server.ca_path is not None
        ctx = ssl.create_default_context(cafile=server.ca_path)
        assert httpx.get(server.url + "/versions/rest", verify=ctx).status_code == 200


def test_stop_closes_kept_alive_connections_and_threads() -> None:
    before = threading.active_count()
    server = FakeServer()
    server.start()
    http = httpx.Client(base_url=server.url)
    try:
        assert http.get(PIVOT_PATH + "/ping").text == "pong"  # leaves an idle kept-alive connection
        server.stop()
        assert threading.active_count() == before
        with pytest.raises(httpx.TransportError):
            http.get(PIVOT_PATH + "/ping")
    finally:
        http.close()
    assert not server.is_running()


def test_restart_serves_the_same_url(open_server: FakeServer) -> None:
    url = open_server.url
    open_server.restart()
    assert open_server.url == url
    assert httpx.get(url + PIVOT_PATH + "/ping").text == "pong"


def test_start_twice_and_stop_twice_are_errors() -> None:
    server = FakeServer()
    with server, pytest.raises(Exception, match="already running"):
        server.start()
    with pytest.raises(Exception, match="not running"):
        server.stop()


def test_ipv6_loopback_when_available() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        server = FakeServer(host="::1")
        server.start()
    except OSError:
        pytest.skip("::1 cannot be bound here")
    try:
        assert server.url.startswith("http://[::1]:")
        assert httpx.get(server.url + PIVOT_PATH + "/ping").text == "pong"
    finally:
        server.stop()


def test_chunked_bodies_reach_the_app() -> None:
    from ...conftest import SECURITY

    with FakeServer(ServerConfig(security=SECURITY)) as server:
        auth = base64.b64encode(b"admin:admin-pass").decode()
        body = json.dumps({"name": "chunky", "columns": {"id": "int"}, "keys": ["id"]}).encode()
        half = len(body) // 2
        request = (
            "POST /atoti/rest/v1/tables HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Basic {auth}\r\nTransfer-Encoding: chunked\r\n\r\n"
        ).encode()
        for part in (body[:half], body[half:]):
            request += f"{len(part):x}\r\n".encode() + part + b"\r\n"
        request += b"0\r\n\r\n"
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(request)
            status, _, payload = read_response(sock.makefile("rb"))
        assert status == 201, payload
        tables = httpx.get(
            server.url + "/atoti/rest/v1/tables", headers={"Authorization": f"Basic {auth}"}
        )
        assert "chunky" in tables.json()


def test_expect_100_continue_is_answered(open_server: FakeServer) -> None:
    body = b'{"ignored": true}'
    head = (
        f"POST {PIVOT_PATH}/ping HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
        "Expect: 100-continue\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", open_server.port), timeout=5) as sock:
        sock.sendall(head)
        stream = sock.makefile("rb")
        assert stream.readline().startswith(b"HTTP/1.1 100")
        assert stream.readline() == b"\r\n"
        sock.sendall(body)
        assert read_response(stream)[0] == 405


def test_head_keeps_the_length_of_get_and_204_has_none(open_server: FakeServer) -> None:
    get = httpx.get(open_server.url + "/versions/rest")
    head = httpx.head(open_server.url + "/versions/rest")
    assert head.headers["content-length"] == get.headers["content-length"] != "0"
    assert head.content == b""
    open_server.expect_request("/nothing").respond_with_data("", status=204)
    with socket.create_connection(("127.0.0.1", open_server.port), timeout=5) as sock:
        sock.sendall(
            b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /versions/rest HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        stream = sock.makefile("rb")
        status, headers, payload = read_response(stream)
        assert (status, payload) == (204, b"") and "content-length" not in headers
        assert read_response(stream)[0] == 200  # the stream is still in step


def test_an_interim_status_from_an_expectation_is_a_json_500(open_server: FakeServer) -> None:
    open_server.expect_request("/weird").respond_with_data("", status=101)
    response = httpx.get(open_server.url + "/weird")
    assert response.status_code == 500 and response.json()["status"] == 500
    assert httpx.get(open_server.url + PIVOT_PATH + "/ping").text == "pong"


def test_stop_wakes_a_client_stuck_in_the_tls_handshake() -> None:
    before = threading.active_count()
    server = FakeServer(ServerConfig(tls=TlsConfig()))
    server.start()
    silent = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        for _ in range(200):  # until its worker exists (no sleep-and-hope)
            if any(t.name == "fakeserver-conn" for t in threading.enumerate()):
                break
            threading.Event().wait(0.01)
        server.stop()
        assert not any(t.name == "fakeserver-conn" for t in threading.enumerate())
        assert threading.active_count() == before
    finally:
        silent.close()


def test_restart_of_a_stopped_tls_server_stays_https() -> None:
    server = FakeServer(ServerConfig(tls=TlsConfig()))
    server.start()
    url = server.url
    server.stop()
    server.restart()
    try:
        assert server.url.startswith("https://") and server.ca_path is not None
        ctx = ssl.create_default_context(cafile=server.ca_path)
        assert httpx.get(server.url + PIVOT_PATH + "/ping", verify=ctx).text == "pong"
        assert server.url.split(":")[0] == url.split(":")[0]
    finally:
        server.stop()


def test_a_413_survives_a_client_that_keeps_sending() -> None:
    with FakeServer(ServerConfig(max_body_size=4096)) as server:
        head = b"POST /versions/rest HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n"
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(head + b"x" * 100_000)  # far more than the limit, already in flight
            status, _, payload = read_response(sock.makefile("rb"))
        assert status == 413 and json.loads(payload)["status"] == 413


def test_log_limit_keeps_the_newest_entries() -> None:
    with FakeServer(log_limit=3) as server, httpx.Client(base_url=server.url) as http:
        for index in range(10):
            http.get(f"/nope/{index}")
        assert [request.path for request, _ in server.log] == ["/nope/7", "/nope/8", "/nope/9"]
    with FakeServer() as unlimited, httpx.Client(base_url=unlimited.url) as http:
        for index in range(10):
            http.get(f"/nope/{index}")
        assert len(unlimited.log) == 10


@pytest.mark.parametrize(
    "request_head",
    [
        b"GET /versions/rest HTTP/1.0\r\n\r\n",
        b"GET /versions/rest HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ],
    ids=["http_1_0", "connection_close"],
)
def test_clients_that_ask_to_close_get_one_answer_then_eof(
    open_server: FakeServer, request_head: bytes
) -> None:
    with socket.create_connection(("127.0.0.1", open_server.port), timeout=5) as sock:
        sock.sendall(request_head)
        stream = sock.makefile("rb")
        status, headers, payload = read_response(stream)
        assert status == 200 and json.loads(payload)["version"] == 1
        assert headers["connection"] == "close"
        assert stream.read() == b"", "the server closed the connection"


def test_a_header_that_would_split_the_response_is_a_500(open_server: FakeServer) -> None:
    from werkzeug.wrappers import Response

    response = Response("x")
    response.headers.set("X-Bad", "ok")
    response.headers._list[-1] = ("X-Bad", "a\r\nInjected: yes")  # bypass werkzeug's check
    open_server.expect_request("/split").respond_with_response(response)
    answer = httpx.get(open_server.url + "/split")
    assert answer.status_code == 500 and "injected" not in answer.headers


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 431),
        # 80 KB of head in 20,000 empty headers: what counts is the bytes on the wire
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"a:\r\n" * 20_000 + b"\r\n", 431),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            400,
        ),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    ],
    ids=["huge_header", "huge_target", "many_tiny_headers", "smuggling_lengths", "bad_chunk"],
)
def test_requests_the_engine_must_not_read_are_refused(
    open_server: FakeServer, raw: bytes, status: int
) -> None:
    with socket.create_connection(("127.0.0.1", open_server.port), timeout=5) as sock:
        sock.sendall(raw)
        answer, headers, payload = read_response(sock.makefile("rb"))
    assert answer == status and headers["content-type"] == "application/json"
    assert json.loads(payload)["status"] == status
    assert httpx.get(open_server.url + PIVOT_PATH + "/ping").text == "pong"


def test_an_upgrade_request_is_answered_once_then_closed(open_server: FakeServer) -> None:
    raw = (
        b"GET /versions/rest HTTP/1.1\r\nHost: x\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", open_server.port), timeout=5) as sock:
        sock.sendall(raw)
        stream = sock.makefile("rb")
        status, headers, _ = read_response(stream)
        assert status == 200 and headers["connection"] == "close"
        assert stream.read() == b"", "one answer, then the end of the stream"


def test_chunked_trailers_never_become_headers() -> None:
    from ...conftest import SECURITY

    with FakeServer(ServerConfig(security=SECURITY)) as server:
        auth = base64.b64encode(b"admin:admin-pass").decode()
        body = json.dumps({"name": "smuggled", "columns": {"id": "int"}}).encode()
        request = (
            b"POST /atoti/rest/v1/tables HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
            + f"{len(body):x}\r\n".encode()
            + body
            + b"\r\n0\r\nAuthorization: Basic "
            + auth.encode()
            + b"\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(request)
            status, _, _ = read_response(sock.makefile("rb"))
        assert status == 401, "credentials in a trailer must not authenticate"


@pytest.mark.parametrize("where", ["header_value", "url"])
def test_a_head_trickled_in_pieces_hits_the_limit(open_server: FakeServer, where: str) -> None:
    start = b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " if where == "header_value" else b"GET /"
    with socket.create_connection(("127.0.0.1", open_server.port), timeout=10) as sock:
        sock.sendall(start)
        for _ in range(64):  # up to 1 MB, 16 KB at a time: the server must stop us first
            try:
                sock.sendall(b"a" * 16384)
            except OSError:
                break
        stream = sock.makefile("rb")
        status, _, payload = read_response(stream)
    assert status == 431 and json.loads(payload)["status"] == 431
    assert httpx.get(open_server.url + PIVOT_PATH + "/ping").text == "pong"


@pytest.mark.parametrize(
    ("raw", "status", "expected"),
    [
        (b"GET /versions/rest HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, None),
        (b"GET HTTP://x/versions/rest HTTP/1.1\r\nHost: x\r\n\r\n", 200, "/versions/rest"),
        (b"GET /versions/rest#frag HTTP/1.1\r\nHost: x\r\n\r\n", 200, "/versions/rest"),
    ],
    ids=["two_hosts", "absolute_form_upper_case", "fragment"],
)
def test_request_targets_and_hosts(
    open_server: FakeServer, raw: bytes, status: int, expected: str | None
) -> None:
    with socket.create_connection(("127.0.0.1", open_server.port), timeout=5) as sock:
        sock.sendall(raw)
        answer, _, _ = read_response(sock.makefile("rb"))
    assert answer == status
    if expected is not None:
        assert open_server.log[-1][0].path == expected


def test_the_engine_takes_its_limits_from_the_config() -> None:
    head = b"GET /versions/rest HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 2000 + b"\r\n\r\n"
    for limits, status in ((Limits(max_header_bytes=1024), 431), (Limits(), 200)):
        with FakeServer(ServerConfig(limits=limits)) as server:
            assert engine(server).limits is server.config.limits
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                sock.sendall(head)
                assert read_response(sock.makefile("rb"))[0] == status
