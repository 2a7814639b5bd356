"""The one shape of every non-2xx answer (SPEC §4.2).

The real client parses an error body only when its content type is exactly
``application/json``, so no charset parameter is ever added.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from werkzeug.wrappers import Response

from .protocol import JSON_CONTENT_TYPE

__all__ = ["FakeHTTPError", "error_body", "error_response"]


class FakeHTTPError(Exception):
    """Raised anywhere in request handling; turned into the error body at the edge."""

    def __init__(self, status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = tuple(headers)


def error_body(
    status: int, message: str, path: str, extra: Mapping[str, str] | None = None
) -> bytes:
    """The body; ``extra`` adds fields a protocol needs beside these three (RFC 6749 §5.2's
    ``error_description``), never replacing them."""
    return json.dumps({**(extra or {}), "error": message, "path": path, "status": status}).encode()


def error_response(
    status: int,
    message: str,
    path: str,
    headers: Iterable[tuple[str, str]] = (),
    extra: Mapping[str, str] | None = None,
) -> Response:
    response = Response(error_body(status, message, path, extra), status=status)
    # Set after construction: werkzeug would append "; charset=utf-8" to a mimetype.
    response.headers["Content-Type"] = JSON_CONTENT_TYPE
    for name, value in headers:
        response.headers.add(name, value)
    return response
