"""What every view shares (``fakeserver.routes.base``): routes, and JSON in and out.

A body that is not usable JSON is a 400 saying what is wrong with it, never a 500 and
never Python's own advice.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from fakeserver import ServerConfig
from fakeserver.errors import FakeHTTPError
from fakeserver.host import host_identity
from fakeserver.protocol import ATOTI_PATH, PIVOT_PATH
from fakeserver.routes import Context, Route, json_body, json_object, json_response
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
        (b"[" * 100_000, "the body is nested too deeply"),
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
