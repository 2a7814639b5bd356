"""The one shape of every non-2xx answer (``fakeserver.errors``, SPEC §4.2)."""

from __future__ import annotations

import json

from fakeserver.errors import FakeHTTPError, error_body, error_response


def test_the_body_has_exactly_error_path_and_status() -> None:
    body = json.loads(error_body(404, "no table named 'ghost'", "/tables/ghost"))
    assert body == {"error": "no table named 'ghost'", "path": "/tables/ghost", "status": 404}


def test_the_content_type_is_exactly_json_without_a_charset() -> None:
    response = error_response(400, "the body is not valid JSON", "/x")
    assert response.status_code == 400
    # The real client parses an error body only under exactly this type.
    assert response.headers.getlist("Content-Type") == ["application/json"]
    assert json.loads(response.get_data()) == {
        "error": "the body is not valid JSON",
        "path": "/x",
        "status": 400,
    }


def test_extra_headers_are_added_not_merged() -> None:
    challenges = [
        ("WWW-Authenticate", 'Basic realm="fakeserver"'),
        ("WWW-Authenticate", 'Bearer realm="fakeserver"'),
    ]
    response = error_response(401, "Bad credentials", "/ping", challenges)
    assert response.headers.getlist("WWW-Authenticate") == [value for _, value in challenges]


def test_a_raised_error_carries_what_the_answer_needs() -> None:
    error = FakeHTTPError(405, "method not allowed", iter([("Allow", "GET")]))
    assert (error.status, error.message, str(error)) == (
        405,
        "method not allowed",
        "method not allowed",
    )
    assert error.headers == (("Allow", "GET"),), "headers are kept, even from an iterator"
