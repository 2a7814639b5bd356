"""How a request is written down (``fakeserver.requestlog``): one line, nothing forged."""

from __future__ import annotations

import logging

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from fakeserver.requestlog import describe, loggable, request_log, write


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("/plain/path", "/plain/path"),
        ("/a\n12:00 GET /forged", "/a\\n12:00 GET /forged"),
        ("\x1b[2J", "\\x1b[2J"),
        ("back\\slash", "back\\\\slash"),
        ("\x85é", "\\x85é"),
    ],
)
def test_loggable_keeps_text_on_one_printable_line(text: str, written: str) -> None:
    assert loggable(text) == written
    assert loggable(text).isprintable()


def test_describe_names_the_method_path_and_query() -> None:
    request = Request(EnvironBuilder(path="/tables/t%0Ax", query_string="page=2").get_environ())
    assert describe(request) == "GET /tables/t\\nx?page=2"
    assert describe(Request(EnvironBuilder(path="/ping", method="POST").get_environ())) == (
        "POST /ping"
    )


def test_write_is_one_info_record(caplog: pytest.LogCaptureFixture) -> None:
    request = Request(EnvironBuilder(path="/ping").get_environ())
    with caplog.at_level(logging.INFO, logger=request_log.name):
        write(request, Response(status=204), "al\nice", 1.25)
    [record] = caplog.records
    assert record.getMessage() == "GET /ping user=al\\nice status=204 1.2ms"


def test_write_costs_nothing_when_info_is_off(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=request_log.name):
        write(Request(EnvironBuilder(path="/ping").get_environ()), Response(), "-", 0.0)
    assert caplog.records == []
