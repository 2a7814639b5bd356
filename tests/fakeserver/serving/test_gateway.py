"""The WSGI side of the engine (``fakeserver.serving.gateway``), without a socket."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from fakeserver.serving.framing import Request
from fakeserver.serving.gateway import Gateway
from fakeserver.wsgi import PEER_CERTIFICATE_KEY, DropConnection

StartResponse = Callable[..., Any]


def request(
    target: bytes, *headers: tuple[bytes, bytes], method: bytes = b"GET", body: bytes = b""
) -> Request:
    framed = Request()
    framed.method, framed.target, framed.body = method, target, body
    framed.headers = list(headers)
    return framed


def answering(
    status: str, headers: list[tuple[str, str]], body: bytes = b""
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        start_response(status, headers)
        return [body]

    return app


def test_the_environ_is_what_the_request_said() -> None:
    gateway = Gateway(answering("200 OK", []), "127.0.0.1", 8443, https=True)
    environ = gateway.environ(
        request(
            b"/tables/a%20b?page=2#fragment",
            (b"content-type", b"text/csv"),
            (b"content-length", b"3"),
            (b"x-tag", b"a"),
            (b"x-tag", b"b"),
            body=b"1,2",
            method=b"POST",
        ),
        ("127.0.0.9", 5555),
        b"DER",
    )
    assert (environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"]) == (
        "POST",
        "/tables/a b",
        "page=2",
    )
    assert environ["RAW_URI"] == "/tables/a%20b?page=2"  # a fragment never reaches a server
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("127.0.0.1", "8443")
    assert (environ["REMOTE_ADDR"], environ["REMOTE_PORT"]) == ("127.0.0.9", "5555")
    assert environ["wsgi.url_scheme"] == "https" and environ[PEER_CERTIFICATE_KEY] == b"DER"
    assert environ["CONTENT_TYPE"] == "text/csv" and environ["CONTENT_LENGTH"] == "3"
    assert environ["HTTP_X_TAG"] == "a,b" and "HTTP_CONTENT_LENGTH" not in environ
    assert environ["wsgi.input"].read() == b"1,2"


@pytest.mark.parametrize(
    ("target", "path"),
    [(b"http://host:1/a/b?q", "/a/b"), (b"https://host", "/"), (b"HTTP://host/", "/")],
)
def test_an_absolute_form_target_keeps_only_its_path(target: bytes, path: str) -> None:
    gateway = Gateway(answering("200 OK", []), "h", 1, https=False)
    environ = gateway.environ(request(target), None, None)
    assert environ["PATH_INFO"] == path and environ["wsgi.url_scheme"] == "http"


def test_the_answer_is_measured_by_the_engine() -> None:
    app = answering("201 Created", [("X-A", "1"), ("Content-Length", "99"), ("Connection", "x")])
    status, headers, body = Gateway(app, "h", 1, https=False).call(request(b"/"), None, None)
    assert (status, body) == (201, b"")
    assert headers == [(b"X-A", b"1"), (b"content-length", b"0")]


def test_head_keeps_the_length_get_would_send() -> None:
    app = answering("200 OK", [("Content-Length", "5")])
    gateway = Gateway(app, "h", 1, https=False)
    assert gateway.call(request(b"/", method=b"HEAD"), None, None)[1] == [(b"Content-Length", b"5")]


@pytest.mark.parametrize(
    "app",
    [
        answering("101 Switching Protocols", []),
        answering("200 OK", [("X-Bad", "a\r\nSet-Cookie: x")]),
    ],
    ids=["interim_status", "splitting_header"],
)
def test_what_the_engine_cannot_send_is_a_json_500(
    app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
) -> None:
    status, headers, body = Gateway(app, "h", 1, https=False).call(request(b"/p?q=1"), None, None)
    assert status == 500 and dict(headers)[b"content-type"] == b"application/json"
    assert json.loads(body) == {
        "error": "internal error in the fake server",
        "path": "/p",
        "status": 500,
    }


def test_an_app_that_raises_is_a_json_500_and_one_that_drops_drops() -> None:
    def broken(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        raise RuntimeError("bug")

    def dropping(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        raise DropConnection

    assert Gateway(broken, "h", 1, https=False).call(request(b"/"), None, None)[0] == 500
    with pytest.raises(DropConnection):
        Gateway(dropping, "h", 1, https=False).call(request(b"/"), None, None)


def test_the_answer_is_closed_after_it_is_read() -> None:
    closed = []

    class Body(list[bytes]):
        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [])
        return Body([b"a", b"b"])

    assert Gateway(app, "h", 1, https=False).call(request(b"/"), None, None)[2] == b"ab"
    assert closed == [True]
