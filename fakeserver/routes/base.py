"""What every view works with: its :class:`Context`, its :class:`Route`, and JSON in and out.

Views receive a :class:`Context` and return a werkzeug ``Response``; they raise
:class:`~fakeserver.errors.FakeHTTPError` for anything that is not a success.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from ..config import ServerConfig
from ..errors import FakeHTTPError
from ..host import HostIdentity
from ..limits import Limits
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

    @property
    def limits(self) -> Limits:
        return self.state.config.limits

    def json_body(self) -> Any:
        """The request's JSON body, held to this target's ``limits.max_json_depth``."""
        return json_body(self.request, max_depth=self.limits.max_json_depth)

    def json_object(self) -> dict[str, Any]:
        """The request's JSON body, which must be an object, held to the depth limit."""
        return json_object(self.request, max_depth=self.limits.max_json_depth)


View = Callable[..., Response]
#: How the issuer's routes begin (``/<path:prefix>/token``, ...): the issuer's path is a
#: matched part, checked against ``SecurityConfig.oidc.path`` by :meth:`Route.exists`.
ISSUER_PREFIX = "/<path:prefix>"


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
    issuer: bool = field(init=False)  # only exists under the configured SecurityConfig.oidc.path

    def __post_init__(self) -> None:
        # Computed once here: the application reads them on every request.
        object.__setattr__(self, "endpoint", self.view.__name__)
        object.__setattr__(self, "atoti", self.path.startswith(ATOTI_PATH + "/"))
        object.__setattr__(self, "status", self.path.startswith(STATUS_PREFIX + "/"))
        object.__setattr__(self, "issuer", self.path.startswith(ISSUER_PREFIX))

    def exists(self, config: ServerConfig, arguments: Mapping[str, Any]) -> bool:
        """Whether this target has the route at all: if not, its path is unknown (404).

        ``arguments`` are the path's matched parts: an issuer route exists only under the
        issuer's own path.
        """
        if self.issuer:
            oidc = config.security.oidc if config.security is not None else None
            return oidc is not None and f"/{arguments.get('prefix')}" == oidc.path
        return (config.exposed or not self.atoti) and (config.status_page or not self.status)


def json_response(data: Any, status: int = 200, media_type: str = JSON_CONTENT_TYPE) -> Response:
    """``data`` as a JSON answer: strict JSON, whatever a table or an aggregate holds.

    Double columns may hold NaN and infinities (as Atoti's do), and a SUM may overflow;
    JSON has no such numbers, so they travel as Java's ``Double.toString`` and Jackson
    write them: the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``. ``allow_nan``
    is off, so no other path can slip a bare ``NaN`` into an answer.
    """
    try:
        text = json.dumps(data, default=str, allow_nan=False)
    except ValueError:  # rare: only answers holding a non-finite double pay for the walk
        text = json.dumps(_finite(data), default=str, allow_nan=False)
    response = Response(text, status=status)
    response.headers["Content-Type"] = media_type
    return response


_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float as its Java name (answers are shallow)."""
    if isinstance(value, float) and not math.isfinite(value):
        return _NON_FINITE.get(value, "NaN")
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _not_json(constant: str) -> Any:
    # Python's json reads NaN and Infinity; JSON has neither, and answering them back
    # would hand clients a body their parsers refuse.
    raise ValueError(f"{constant} is not a JSON value")


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(_BRACKETS)))
_STEPS = bytes.maketrans(_BRACKETS, b"\x01\xff\x01\xff")  # +1 and -1 as signed bytes


def json_depth(raw: bytes) -> int:
    """How deeply the JSON text ``raw`` nests arrays and objects, without parsing it.

    No recursion and no Python loop over the text: strings are cut out, the brackets left
    become +1/-1 steps and the deepest running sum is the depth, all at C speed, so a
    body can be refused before a parser (or anything walking its value) recurses into it.
    On text that is not JSON the figure is meaningless but harmless: the parse refuses it.
    """
    if raw.count(b"[") + raw.count(b"{") == 0:
        return 0
    steps = _STRING.sub(b"", raw).translate(_STEPS, delete=_NOT_BRACKETS)
    return max(itertools.accumulate(memoryview(steps).cast("b")), default=0)


def json_body(request: Request, *, max_depth: int = Limits.max_json_depth) -> Any:
    """The request's JSON body, or a 400 that says what is wrong with it.

    Views call :meth:`Context.json_body`, which passes the target's own depth limit.
    """
    raw = request.get_data(cache=True)
    if not raw:
        raise FakeHTTPError(400, "a JSON body is required")
    if json_depth(raw) > max_depth:
        raise FakeHTTPError(
            400,
            f"the body nests arrays and objects more than {max_depth} levels deep "
            "(limits.max_json_depth)",
        )
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


def json_object(request: Request, *, max_depth: int = Limits.max_json_depth) -> dict[str, Any]:
    body = json_body(request, max_depth=max_depth)
    if not isinstance(body, dict):
        raise FakeHTTPError(400, "the body must be a JSON object")
    return body
