"""What every view shares (``fakeserver.routes.base``): routes, and JSON in and out.

A body that is not usable JSON is a 400 saying what is wrong with it, never a 500 and
never Python's own advice.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from fakeserver import Limits, ServerConfig
from fakeserver.errors import FakeHTTPError
from fakeserver.host import host_identity
from fakeserver.protocol import ATOTI_PATH, PIVOT_PATH
from fakeserver.routes import Context, Route, json_body, json_object, json_response
from fakeserver.routes.base import json_depth
from fakeserver.security import ANONYMOUS, Access
from fakeserver.state import ServerState


def posted(body: bytes) -> Request:
    return Request(EnvironBuilder(method="POST", data=body).get_environ())


def refusal(body: bytes) -> str:
    with pytest.raises(FakeHTTPError) as raised:
        json_body(posted(body))
    assert raised.value.status == 400
    return raised.value.message


def test_a_json_body_is_read() -> None:
    assert json_body(posted(b'{"rows": [[1, 2.5, null, "x"]]}')) == {"rows": [[1, 2.5, None, "x"]]}
    assert json_body(posted(b"[1]")) == [1]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "a JSON body is required"),
        (b'{"a": "\xff"}', "the body is not UTF-8"),
        (b'{"a": ', "the body is not valid JSON: Expecting value"),
        (b"[NaN]", "the body is not usable JSON: NaN is not a JSON value"),
        (b"[Infinity]", "the body is not usable JSON: Infinity is not a JSON value"),
        (b"[" + b"9" * 5000 + b"]", "the body is not usable JSON: Exceeds the limit"),
        (b"[" * 100_000, "the body nests arrays and objects more than 64 levels deep"),
    ],
    ids=["empty", "not_utf8", "invalid", "nan", "infinity", "huge_integer", "too_deep"],
)
def test_unusable_bodies_are_400s_that_say_why(body: bytes, message: str) -> None:
    said = refusal(body)
    assert said.startswith(message)
    assert "sys.set_int_max_str_digits" not in said


def test_a_json_object_is_required_where_fields_are_read() -> None:
    assert json_object(posted(b'{"a": 1}')) == {"a": 1}
    with pytest.raises(FakeHTTPError, match="the body must be a JSON object"):
        json_object(posted(b"[1]"))


def test_json_answers_are_exactly_application_json() -> None:
    response = json_response({"day": dt.date(2024, 1, 2), "n": 1}, status=201)
    assert response.status_code == 201
    assert response.headers.getlist("Content-Type") == ["application/json"]
    # What JSON cannot carry is sent as text (dates as ISO), not refused mid-answer.
    assert json.loads(response.get_data()) == {"day": "2024-01-02", "n": 1}


def _view(ctx: Context) -> Response:
    return json_response(None)


def test_a_route_is_named_after_its_view_and_knows_its_api() -> None:
    live = Route(f"{ATOTI_PATH}/things", ("GET",), Access.ADMIN, _view)
    pivot = Route(f"{PIVOT_PATH}/things", ("GET",), Access.READ, _view)
    assert (live.endpoint, live.atoti) == ("_view", True)
    assert (pivot.endpoint, pivot.atoti) == ("_view", False)
    # A path that merely starts like the live extension's is not under it.
    assert not Route(ATOTI_PATH + "-other", ("GET",), Access.READ, _view).atoti


def test_a_context_reads_the_config_of_its_state() -> None:
    config = ServerConfig(seed=5)
    request = Request(EnvironBuilder().get_environ())
    ctx = Context(request, ANONYMOUS, ServerState(config), host_identity())
    assert ctx.config is config


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": [[]]}]}', 5),
        (b'["[[[[", "{{{"]', 1),  # brackets inside strings are text
        (b'["\\"[[[", {}]', 2),  # an escaped quote does not end the string
        (b"[[]][[[]]]", 3),
        (b"[" * 100_000, 100_000),
    ],
)
def test_json_depth_is_read_from_the_text(body: bytes, depth: int) -> None:
    assert json_depth(body) == depth


def test_the_depth_limit_comes_before_parsing() -> None:
    deep = b'{"a": ' + b"[" * 10 + b"]" * 10 + b"}"
    assert json_body(posted(deep), max_depth=11) == {"a": [[[[[[[[[[]]]]]]]]]]}
    with pytest.raises(FakeHTTPError) as raised:
        json_body(posted(deep), max_depth=10)
    assert raised.value.message == (
        "the body nests arrays and objects more than 10 levels deep (limits.max_json_depth)"
    )


def test_a_context_holds_bodies_to_its_targets_depth_limit() -> None:
    config = ServerConfig(limits=Limits(max_json_depth=2))
    ctx = Context(posted(b'{"a": [1]}'), ANONYMOUS, ServerState(config), host_identity())
    assert ctx.json_object() == {"a": [1]}
    deeper = Context(posted(b'{"a": [[1]]}'), ANONYMOUS, ServerState(config), host_identity())
    with pytest.raises(FakeHTTPError, match="more than 2 levels deep"):
        deeper.json_body()


def test_non_finite_doubles_are_answered_as_java_names_in_strict_json() -> None:
    data = {"rows": [[1, math.nan], [2, math.inf]], "cells": [{"value": -math.inf}], "x": 1.5}
    text = json_response(data).get_data(as_text=True)

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in an answer")

    assert json.loads(text, parse_constant=refuse) == {
        "rows": [[1, "NaN"], [2, "Infinity"]],
        "cells": [{"value": "-Infinity"}],
        "x": 1.5,
    }
