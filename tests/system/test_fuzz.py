"""Fuzzing every route with hypothesis: no 5xx, no traceback, and the server still answers.

In-process through the WSGI app (the same code path as the socket, minus the socket) so a
few hundred examples run in seconds; a final check goes over the real socket.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from fakeserver import FakeServer
from fakeserver.protocol import ATOTI_PATH, DATABASE_PATH, GRAPHQL_PATH, PIVOT_PATH
from fakeserver.routes import ROUTES

from ..datasets import BASE

ADMIN = "Basic " + base64.b64encode(b"admin:admin-pass").decode()
NAMES = st.sampled_from(["trades", "t", "x y", "..", "%2e%2e", "é", "", "a" * 300])
SEGMENT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


@st.composite
def paths(draw: st.DrawFn) -> str:
    rule = draw(st.sampled_from([r.path for r in ROUTES.values()] + ["/", "/nope"]))
    path = re.sub(r"<(?:[^:>]+:)?[^>]+>", lambda _: draw(NAMES), rule)
    if draw(st.booleans()):
        path += "/" + draw(SEGMENT)
    return path


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


#: Numeric literals of every size: past a double (1e999), past Python's int parsing (over
#: 4,300 digits), and ordinary ones.
NUMBER = st.from_regex(r"\A-?[0-9]{1,5000}(\.[0-9]{1,5})?([eE][+-]?[0-9]{1,4})?\Z")
#: Where a number can stand in MDX, against the fuzzed targets' Trades cube.
MDX_NUMERIC = [
    "SELECT {{}} ON {} FROM [Trades]",
    "SELECT {{}} ON AXIS({}) FROM [Trades]",
    "SELECT Descendants([trades].[desk].[AllMember], {}) ON 0 FROM [Trades]",
    "SELECT Filter([trades].[id].[id].Members, [trades].[id].CurrentMember.MEMBER_VALUE "
    "> {}) ON 0 FROM [Trades]",
    "SELECT [Measures].[qty.SUM] ON 0 FROM [Trades] WHERE [trades].[id].[AllMember].[{}]",
]


@st.composite
def mdx_numbers(draw: st.DrawFn) -> bytes:
    mdx = draw(st.sampled_from(MDX_NUMERIC)).format(draw(NUMBER))
    return json.dumps({"mdx": mdx}).encode()


@st.composite
def nested(draw: st.DrawFn) -> bytes:
    """JSON nested up to 3,000 levels (past Python's recursion limit), where a route reads."""
    depth = draw(st.integers(min_value=1, max_value=3000))
    opening, closing = draw(st.sampled_from([("[", "]"), ('{"$not": ', "}"), ('{"a": [', "]}")]))
    deep = opening * depth + draw(st.sampled_from(["1", "[]", '"x"', "{}"])) + closing * depth
    key = draw(st.sampled_from(["conditions", "rows", "defaultValues", "fields", "options", ""]))
    return (f'{{"{key}": {deep}}}' if key else deep).encode()


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["json", "shaped", "bytes", "empty", "mdx", "nested"]))
    if kind == "mdx":
        return draw(mdx_numbers())
    if kind == "nested":
        return draw(nested())
    if kind == "json":
        return json.dumps(draw(JSON)).encode()
    if kind == "shaped":  # close to what the routes expect, so validation is reached
        shaped: dict[str, Any] = {
            key: draw(JSON)
            for key in draw(
                st.lists(
                    st.sampled_from(
                        [
                            "name",
                            "columns",
                            "keys",
                            "rows",
                            "conditions",
                            "fields",
                            "source",
                            "format",
                            "options",
                            "table",
                            "mdx",
                            "context",
                            "branch",
                            "timeout",
                        ]
                    ),
                    max_size=5,
                )
            )
        }
        return json.dumps(shaped).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    return b""


def check(response: Any, method: str, path: str) -> None:
    # 501 is py4j/configuration's documented answer to an admin (SPEC §4.4), nothing else's.
    allowed_5xx = {501} if path.rstrip("/").endswith("/py4j/configuration") else set()
    assert response.status_code < 500 or response.status_code in allowed_5xx, response.get_data()
    if response.status_code >= 400 and method != "HEAD":
        assert response.headers["Content-Type"] == "application/json"
        payload = json.loads(response.get_data())
        assert set(payload) == {"error", "path", "status"}
    text = response.get_data()
    for leak in (b"Traceback", b'File "', b"admin-pass"):
        assert leak not in text
    if response.headers.get("Content-Type") == "application/json" and method != "HEAD":
        json.loads(text, parse_constant=_not_json)  # strict JSON: no NaN, no Infinity


def _not_json(constant: str) -> None:
    raise AssertionError(f"{constant} in an answer")


@pytest.fixture(scope="module")
def targets() -> Iterator[dict[str, FakeServer]]:
    # A table and a cube, so MDX and conditions reach the model, not just "no such table".
    servers = {
        "secured": FakeServer(BASE),
        "unsecured": FakeServer(BASE.replace(security=None)),
    }
    for server in servers.values():
        server.start()
    yield servers
    for server in servers.values():
        server.stop()


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=st.sampled_from(["secured", "unsecured"]),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
    path=paths(),
    query=st.dictionaries(st.sampled_from(["pageSize", "x", ""]), st.text(max_size=8), max_size=2),
    authorization=st.one_of(
        st.none(),
        st.just(ADMIN),
        st.text(max_size=30).filter(lambda t: "\n" not in t and "\r" not in t),
    ),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "", "application/json; charset=latin-1"]
    ),
    body=bodies(),
)
def test_no_input_breaks_the_server(
    targets: dict[str, FakeServer],
    target: str,
    method: str,
    path: str,
    query: dict[str, str],
    authorization: str | None,
    content_type: str,
    body: bytes,
) -> None:
    server = targets[target]
    headers = {"Content-Type": content_type}
    if authorization is not None:
        headers["Authorization"] = authorization
    builder = EnvironBuilder(
        method=method, query_string=query, headers=list(headers.items()), data=body
    )
    environ = builder.get_environ()
    # Set the path by hand: the builder would parse it as a URL, and the fuzz is about the
    # server's parsing, not the test helper's. PEP 3333: bytes decoded as latin-1.
    environ["PATH_INFO"] = path.encode("utf-8").decode("latin-1")
    response = Response.from_app(server.wsgi_app, environ)
    check(response, method, path)
    server.reset()  # writes from one example must not shape the next


def _answer(server: FakeServer, method: str, path: str, body: bytes) -> Response:
    builder = EnvironBuilder(
        method=method,
        headers=[("Authorization", ADMIN), ("Content-Type", "application/json")],
        data=body,
    )
    environ = builder.get_environ()
    environ["PATH_INFO"] = path
    response = Response.from_app(server.wsgi_app, environ)
    check(response, method, path)
    server.reset()
    return response


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(target=st.sampled_from(["secured", "unsecured"]), body=mdx_numbers())
def test_mdx_numbers_of_any_size_are_answered_or_refused(
    targets: dict[str, FakeServer], target: str, body: bytes
) -> None:
    response = _answer(targets[target], "POST", PIVOT_PATH + "/cube/query/mdx", body)
    assert response.status_code in (200, 400), response.get_data()


#: Every route that reads a JSON body, with the method it takes.
JSON_ROUTES = [
    ("POST", PIVOT_PATH + "/database/data/tables/trades"),
    ("POST", PIVOT_PATH + "/cube/query/mdx"),
    ("POST", ATOTI_PATH + "/tables"),
    ("POST", ATOTI_PATH + "/tables/trades/rows"),
    ("POST", ATOTI_PATH + "/tables/trades/load"),
    ("POST", ATOTI_PATH + "/cubes"),
    ("PUT", ATOTI_PATH + "/security/basic/credentials"),
    ("PUT", ATOTI_PATH + "/security/individual-roles"),
    ("POST", GRAPHQL_PATH),
    ("POST", DATABASE_PATH + "/data/tables/trades"),
]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(route=st.sampled_from(JSON_ROUTES), body=nested())
def test_json_nested_at_any_depth_is_answered_or_refused(
    targets: dict[str, FakeServer], route: tuple[str, str], body: bytes
) -> None:
    method, path = route
    response = _answer(targets["secured"], method, path, body)
    assert response.status_code < 500, response.get_data()


def test_the_server_still_answers_after_fuzzing(targets: dict[str, FakeServer]) -> None:
    for server in targets.values():
        assert (
            httpx.get(server.url + PIVOT_PATH + "/ping", headers={"Authorization": ADMIN}).text
            == "pong"
        )
