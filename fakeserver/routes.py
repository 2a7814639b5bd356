"""Every route of the fake target, and the URL map built once per process (SPEC §4).

A route is declared with :func:`route`: its path under one of the REST namespaces, its
methods, and the :class:`~fakeserver.security.Access` it needs. Views receive a
:class:`Context` and return a werkzeug ``Response``; they raise
:class:`~fakeserver.errors.FakeHTTPError` for anything that is not a success.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from client import HostIdentity

from .config import ServerConfig
from .errors import ERROR_CONTENT_TYPE, FakeHTTPError
from .security import Access, Identity
from .state import ServerState

__all__ = [
    "ATOTI_PATH",
    "CONTENT_PATH",
    "PIVOT_PATH",
    "ROUTES",
    "Context",
    "Route",
    "json_body",
    "json_response",
    "url_map",
]

PIVOT_PATH = "/activeviam/pivot/rest/v9"
CONTENT_PATH = "/activeviam/content/rest/v8"
ATOTI_PATH = "/atoti/rest/v1"
VERSIONS_PATH = "/versions/rest"


@dataclass(frozen=True)
class Context:
    request: Request
    identity: Identity
    state: ServerState
    host: HostIdentity

    @property
    def config(self) -> ServerConfig:
        return self.state.config


View = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    endpoint: str
    path: str
    methods: tuple[str, ...]
    access: Access
    view: View
    atoti: bool  # only exists when the target is exposed to the Python API


ROUTES: dict[str, Route] = {}


def route(prefix: str, path: str, *methods: str, access: Access) -> Callable[[View], View]:
    def register(view: View) -> View:
        endpoint = f"{view.__name__}"
        if endpoint in ROUTES:
            raise RuntimeError(f"duplicate endpoint {endpoint}")
        ROUTES[endpoint] = Route(
            endpoint, prefix + path, methods or ("GET",), access, view, prefix == ATOTI_PATH
        )
        return view

    return register


_URL_MAP: Map | None = None


def url_map() -> Map:
    """The werkzeug map, built on first use and shared by every server (it costs ~16 ms)."""
    global _URL_MAP
    if _URL_MAP is None:
        _URL_MAP = Map(
            [Rule(r.path, endpoint=r.endpoint, methods=list(r.methods)) for r in ROUTES.values()],
            strict_slashes=False,
            merge_slashes=False,
        )
    return _URL_MAP


# -- helpers -------------------------------------------------------------------------------


def json_response(data: Any, status: int = 200) -> Response:
    response = Response(json.dumps(data, default=str), status=status)
    response.headers["Content-Type"] = ERROR_CONTENT_TYPE
    return response


def json_body(request: Request) -> Any:
    """The request's JSON body, or a 400 that says what is wrong with it."""
    raw = request.get_data(cache=True)
    if not raw:
        raise FakeHTTPError(400, "a JSON body is required")
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise FakeHTTPError(400, "the body is not UTF-8") from None
    except ValueError as error:
        raise FakeHTTPError(400, f"the body is not valid JSON: {error.args[0]}") from None


# -- versions and connect --------------------------------------------------------------------


@route("", VERSIONS_PATH, "GET", access=Access.PUBLIC)
def versions(ctx: Context) -> Response:
    apis: dict[str, Any] = {
        "activeviam/pivot": {
            "versions": [
                {"id": "9", "restPath": PIVOT_PATH, "wsPath": "/activeviam/pivot/ws/v9"}
            ]
        },
        "activeviam/content": {
            "versions": [
                {"id": "8", "restPath": CONTENT_PATH, "wsPath": "/activeviam/content/ws/v8"}
            ]
        },
    }
    if ctx.config.exposed:
        apis["atoti"] = {"versions": [{"id": "1", "restPath": ATOTI_PATH}]}
    return json_response({"version": 1, "serverVersion": ctx.config.server_version, "apis": apis})


@route(PIVOT_PATH, "/ping", "GET", access=Access.READ)
def ping(ctx: Context) -> Response:
    return Response("pong", mimetype="text/plain")


@route(ATOTI_PATH, "/py4j/configuration", "GET", access=Access.ADMIN)
def py4j_configuration(ctx: Context) -> Response:
    # A 200 here would make the real client open a Py4J socket: never answer one.
    raise FakeHTTPError(501, "the live extension (Py4J) is not emulated by fakeserver")


@route(ATOTI_PATH, "/session", "GET", access=Access.READ)
def session_descriptor(ctx: Context) -> Response:
    identity = ctx.identity
    user = (
        None
        if identity.name is None
        else {"name": identity.name, "roles": sorted(identity.roles)}
    )
    return json_response(
        {
            "serverVersion": ctx.config.server_version,
            "pythonApiVersion": ctx.config.python_api_version,
            "host": {"id": ctx.host.id, "name": ctx.host.name},
            "security": {"enabled": ctx.config.secured},
            "user": user,
        }
    )
