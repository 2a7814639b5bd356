"""Every route of the fake target, and the URL map built once per process (SPEC §4).

A route is declared with :func:`route`: its path under one of the REST namespaces, its
methods, and the :class:`~fakeserver.security.Access` it needs. Views receive a
:class:`Context` and return a werkzeug ``Response``; they raise
:class:`~fakeserver.errors.FakeHTTPError` for anything that is not a success.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .config import ServerConfig
from .errors import FakeHTTPError
from .host import HostIdentity
from .model import (
    CsvOptions,
    Cube,
    Table,
    check_name,
    csv_rows,
    cube_discovery,
    infer_types,
    read_source,
)
from .protocol import ATOTI_PATH, CONTENT_PATH, JSON_CONTENT_TYPE, PIVOT_PATH, VERSIONS_PATH
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
    "json_object",
    "json_response",
    "url_map",
]


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


# -- versions and connect --------------------------------------------------------------------


@route("", VERSIONS_PATH, "GET", access=Access.PUBLIC)
def versions(ctx: Context) -> Response:
    apis: dict[str, Any] = {
        "activeviam/pivot": {
            "versions": [{"id": "9", "restPath": PIVOT_PATH, "wsPath": "/activeviam/pivot/ws/v9"}]
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
        None if identity.name is None else {"name": identity.name, "roles": sorted(identity.roles)}
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


# -- data: tables, queries, loads, cubes (SPEC §4.4, §4.5) ------------------------------------


def json_object(request: Request) -> dict[str, Any]:
    body = json_body(request)
    if not isinstance(body, dict):
        raise FakeHTTPError(400, "the body must be a JSON object")
    return body


def _table(ctx: Context, name: str) -> Table:
    table = ctx.state.tables.get(name)
    if table is None:
        raise FakeHTTPError(404, f"no table named {name!r}")
    return table


def _page_size(request: Request) -> int | None:
    raw = request.args.get("pageSize")
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]{1,18}", raw):
        raise FakeHTTPError(400, f"pageSize must be a whole number, not {raw[:20]!r}")
    return int(raw)


@route(PIVOT_PATH, "/database/data/tables/<name>", "POST", access=Access.READ)
def query_table(ctx: Context, name: str) -> Response:
    page_size = _page_size(ctx.request)
    body = json_object(ctx.request)
    if body.get("branch") not in (None, "master"):
        raise FakeHTTPError(404, f"no branch named {str(body['branch'])[:40]!r}")
    timeout = body.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
        raise FakeHTTPError(400, "timeout must be a number of milliseconds")
    with ctx.state.lock:
        answer = _table(ctx, name).query(body.get("conditions"), body.get("fields"), page_size)
    return json_response(answer)


@route(PIVOT_PATH, "/database/discovery", "GET", access=Access.READ)
def database_discovery(ctx: Context) -> Response:
    with ctx.state.lock:
        tables = [t.schema() for t in ctx.state.tables.values()]
    return json_response({"tables": tables, "joins": [], "branches": ["master"]})


@route(PIVOT_PATH, "/cube/discovery", "GET", access=Access.READ)
def cube_discovery_view(ctx: Context) -> Response:
    with ctx.state.lock:
        return json_response(cube_discovery(ctx.state.cubes, ctx.state.tables))


@route(ATOTI_PATH, "/tables", "GET", access=Access.ADMIN)
def list_tables(ctx: Context) -> Response:
    with ctx.state.lock:
        return json_response(list(ctx.state.tables))


def _string_list(value: object, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FakeHTTPError(400, f"{what} must be a list of column names")
    return value


def _new_table(name: object, columns: object, keys: object, defaults: object) -> Table:
    if defaults is not None and not isinstance(defaults, dict):
        raise FakeHTTPError(400, "defaultValues must map column names to values")
    if not isinstance(columns, dict):
        raise FakeHTTPError(400, "columns must map column names to Atoti types")
    return Table(name, columns, _string_list(keys, "keys"), defaults)  # type: ignore[arg-type]


@route(ATOTI_PATH, "/tables", "POST", access=Access.ADMIN)
def create_table(ctx: Context) -> Response:
    body = json_object(ctx.request)
    table = _new_table(
        body.get("name"), body.get("columns"), body.get("keys"), body.get("defaultValues")
    )
    with ctx.state.lock:
        if table.name in ctx.state.tables:
            raise FakeHTTPError(409, f"a table named {table.name!r} already exists")
        ctx.state.tables[table.name] = table
    return json_response(table.schema(), status=201)


@route(ATOTI_PATH, "/tables/<name>", "DELETE", access=Access.ADMIN)
def drop_table(ctx: Context, name: str) -> Response:
    with ctx.state.lock:
        _table(ctx, name)
        users = sorted(c.name for c in ctx.state.cubes.values() if c.table == name)
        if users:
            raise FakeHTTPError(409, f"table {name!r} is the base table of cube {users[0]!r}")
        del ctx.state.tables[name]
    return Response(status=204)


#: How often rows are prepared again when their table is replaced by one of other columns
#: while they are being converted (then a 409: the caller may simply retry).
_PREPARE_ATTEMPTS = 3


def _write_rows(
    ctx: Context, name: str, prepare: Callable[[Table], list[tuple[Any, ...]]]
) -> tuple[Table, int, int]:
    """Rows converted outside the lock, then stored under it: ``(table, stored, row count)``.

    Parsing and converting (a large CSV, many rows) holds no lock, so queries and other
    writes go on meanwhile; only the re-check of the table and the upsert do. A table
    dropped meanwhile is a 404; one replaced by a table of other columns gets the rows
    converted again for it. A conversion error stores nothing.
    """
    with ctx.state.lock:
        table = _table(ctx, name)
    for _ in range(_PREPARE_ATTEMPTS):
        rows = prepare(table)  # columns and keys are immutable: safe without the lock
        with ctx.state.lock:
            current = _table(ctx, name)
            if current.same_schema(table):
                current.upsert(rows)
                return current, len(rows), len(current)
        table = current
    raise FakeHTTPError(
        409, f"table {name!r} kept changing its columns while rows were written to it"
    )


@route(ATOTI_PATH, "/tables/<name>/rows", "POST", access=Access.ADMIN)
def append_rows(ctx: Context, name: str) -> Response:
    body = json_object(ctx.request)
    if "rows" not in body:
        raise FakeHTTPError(400, 'the body must be {"rows": [[...], ...]}')
    _, _, count = _write_rows(ctx, name, lambda table: table.prepare(body["rows"]))
    return json_response({"table": name, "received": len(body["rows"]), "rowCount": count})


@route(ATOTI_PATH, "/tables/<name>/load", "POST", access=Access.ADMIN)
def load_table(ctx: Context, name: str) -> Response:
    body = json_object(ctx.request)
    if body.get("format", "csv") != "csv":
        given = str(body["format"])[:20]
        raise FakeHTTPError(400, f"format {given!r} is not supported: only 'csv'")
    options = CsvOptions.from_json(body.get("options"))
    create = body.get("create")
    if create is not None and not isinstance(create, dict):
        raise FakeHTTPError(400, 'create must be {"keys": [...], "types": {column: type}}')
    with ctx.state.lock:  # fail before reading a source for nothing
        if create is None:
            _table(ctx, name)
        elif name in ctx.state.tables:
            raise FakeHTTPError(409, f"a table named {name!r} already exists")
    text = read_source(
        body.get("source"),
        local_host=ctx.config.host == "local",
        file_roots=ctx.config.file_roots,
        cloud_files=ctx.state.cloud_files,
        encoding=options.encoding,
    )
    # Parsing and converting happen outside the lock (see _write_rows).
    if create is None:
        table, loaded, count = _write_rows(ctx, name, lambda t: csv_rows(t, text, options))
        return json_response({"table": name, "loaded": loaded, "rowCount": count, **table.schema()})
    types = infer_types(text, options)
    overrides = create.get("types") or {}
    if not isinstance(overrides, dict):
        raise FakeHTTPError(400, "create.types must map column names to Atoti types")
    unknown = sorted(set(overrides) - set(types))
    if unknown:
        raise FakeHTTPError(400, f"create.types: the CSV has no column {unknown[0]!r}")
    table = _new_table(name, {**types, **overrides}, create.get("keys"), None)
    table.upsert(rows := csv_rows(table, text, options))  # nobody else sees it yet
    with ctx.state.lock:
        if name in ctx.state.tables:
            raise FakeHTTPError(409, f"a table named {name!r} already exists")
        ctx.state.tables[name] = table  # only now, so a failed load creates nothing
    return json_response(
        {"table": name, "loaded": len(rows), "rowCount": len(table), **table.schema()},
        status=201,
    )


@route(ATOTI_PATH, "/cubes", "POST", access=Access.ADMIN)
def create_cube(ctx: Context) -> Response:
    body = json_object(ctx.request)
    table_name = body.get("table")
    if not isinstance(table_name, str):
        raise FakeHTTPError(400, 'the body must be {"table": ..., "name": ...}')
    name = check_name("name", body.get("name", table_name), kind="cube")
    with ctx.state.lock:
        table = _table(ctx, table_name)
        if name in ctx.state.cubes:
            raise FakeHTTPError(409, f"a cube named {name!r} already exists")
        cube = ctx.state.cubes[name] = Cube(name, table_name)
        return json_response(cube.discovery(table), status=201)


# -- security management (SPEC §4.5) ---------------------------------------------------------


@route(ATOTI_PATH, "/security/basic/credentials", "GET", "PUT", access=Access.ADMIN)
def basic_credentials(ctx: Context) -> Response:
    if ctx.request.method == "PUT":
        ctx.state.update_credentials(json_body(ctx.request))
    return json_response(ctx.state.credentials())


@route(ATOTI_PATH, "/security/individual-roles", "GET", "PUT", access=Access.ADMIN)
def individual_roles(ctx: Context) -> Response:
    if ctx.request.method == "PUT":
        ctx.state.update_individual_roles(json_body(ctx.request))
    return json_response(ctx.state.individual_roles())
