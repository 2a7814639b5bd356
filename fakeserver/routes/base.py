"""What every view works with: its :class:`Context`, its :class:`Route`, and JSON in and out.

Views receive a :class:`Context` and return a werkzeug ``Response``; they raise
:class:`~fakeserver.errors.FakeHTTPError` for anything that is not a success.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from ..config import ServerConfig
from ..errors import FakeHTTPError
from ..host import HostIdentity
from ..protocol import ATOTI_PATH, JSON_CONTENT_TYPE, STATUS_PREFIX
from ..security import Access, Identity
from ..state import ServerState
from ..status import Console

__all__ = ["Context", "Route", "View", "json_body", "json_object", "json_response"]


@dataclass(frozen=True)
class Context:
    request: Request
    identity: Identity
    state: ServerState
    host: HostIdentity
    console: Console | None = None  # the running server, for the status page

    @property
    def config(self) -> ServerConfig:
        return self.state.config


View = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    """One entry of the route table: a full path, its methods, the access it needs, its view.

    The endpoint is the view's name, so the table cannot name a view one way and the URL
    map another.
    """

    path: str
    methods: tuple[str, ...]
    access: Access
    view: View
    endpoint: str = field(init=False)
    atoti: bool = field(init=False)  # only exists when the target is exposed to the Python API
    status: bool = field(init=False)  # only exists when the config turns the status page on

    def __post_init__(self) -> None:
        # Computed once here: the application reads them on every request.
        object.__setattr__(self, "endpoint", self.view.__name__)
        object.__setattr__(self, "atoti", self.path.startswith(ATOTI_PATH + "/"))
        object.__setattr__(self, "status", self.path.startswith(STATUS_PREFIX + "/"))

    def exists(self, config: ServerConfig) -> bool:
        """Whether this target has the route at all: if not, its path is unknown (404)."""
        return (config.exposed or not self.atoti) and (config.status_page or not self.status)


def json_response(data: Any, status: int = 200) -> Response:
    response = Response(json.dumps(data, default=str), status=status)
    response.headers["Content-Type"] = JSON_CONTENT_TYPE
    return response


def _not_json(constant: str) -> Any:
    # Python's json reads NaN and Infinity; JSON has neither, and answering them back
    # would hand clients a body their parsers refuse.
    raise ValueError(f"{constant} is not a JSON value")


def json_body(request: Request) -> Any:
    """The request's JSON body, or a 400 that says what is wrong with it."""
    raw = request.get_data(cache=True)
    if not raw:
        raise FakeHTTPError(400, "a JSON body is required")
    try:
        return json.loads(raw, parse_constant=_not_json)
    except UnicodeDecodeError:
        raise FakeHTTPError(400, "the body is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise FakeHTTPError(400, f"the body is not valid JSON: {error.args[0]}") from None
    except ValueError as error:  # e.g. an integer literal of thousands of digits
        message = str(error).split(";")[0]
        raise FakeHTTPError(400, f"the body is not usable JSON: {message}") from None
    except RecursionError:
        raise FakeHTTPError(400, "the body is nested too deeply") from None


def json_object(request: Request) -> dict[str, Any]:
    body = json_body(request)
    if not isinstance(body, dict):
        raise FakeHTTPError(400, "the body must be a JSON object")
    return body
