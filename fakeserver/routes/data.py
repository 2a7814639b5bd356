"""Data (SPEC §4.4, §4.5): table queries, discovery, tables, rows, CSV loads and cubes.

Writes convert their rows outside the state lock and store them under it (see
:func:`_write_rows`), and reads take a copy-on-write snapshot under it and do their work
(a condition's compile and scan, a discovery's description) outside, so no request holds
the lock for longer than a lookup, and one heavy request does not stall every other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from ..errors import FakeHTTPError
from ..model import (
    CsvOptions,
    Table,
    check_name,
    csv_rows,
    cube_discovery,
    infer_types,
    read_source,
)
from .base import Context, json_response

__all__ = [
    "append_rows",
    "create_cube",
    "create_table",
    "cube_discovery_view",
    "database_discovery",
    "drop_table",
    "list_tables",
    "load_table",
    "query_table",
]


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


def query_table(ctx: Context, name: str) -> Response:
    page_size = _page_size(ctx.request)
    body = ctx.json_object()
    if body.get("branch") not in (None, "master"):
        raise FakeHTTPError(404, f"no branch named {str(body['branch'])[:40]!r}")
    timeout = body.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
        raise FakeHTTPError(400, "timeout must be a number of milliseconds")
    with ctx.state.lock:
        snapshot = _table(ctx, name).copy()  # O(1): the rows are shared until a write
    answer = snapshot.query(body.get("conditions"), body.get("fields"), page_size, ctx.limits)
    return json_response(answer)


def database_discovery(ctx: Context) -> Response:
    with ctx.state.lock:
        tables = list(ctx.state.tables.values())  # columns never change: read them unlocked
    schemas = [t.schema() for t in tables]
    return json_response({"tables": schemas, "joins": [], "branches": ["master"]})


def cube_discovery_view(ctx: Context) -> Response:
    with ctx.state.lock:
        cubes, tables = dict(ctx.state.cubes), dict(ctx.state.tables)
    return json_response(cube_discovery(cubes, tables))


def list_tables(ctx: Context) -> Response:
    with ctx.state.lock:
        names = list(ctx.state.tables)
    return json_response(names)


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
    key_columns = _string_list(keys, "keys")
    # The table's own first check, made here so that the name reaches it as a str.
    return Table(check_name("name", name, kind="table"), columns, key_columns, defaults)


def create_table(ctx: Context) -> Response:
    body = ctx.json_object()
    table = _new_table(
        body.get("name"), body.get("columns"), body.get("keys"), body.get("defaultValues")
    )
    ctx.state.add_table(table)
    return json_response(table.schema(), status=201)


def drop_table(ctx: Context, name: str) -> Response:
    ctx.state.drop_table(name)
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


def append_rows(ctx: Context, name: str) -> Response:
    body = ctx.json_object()
    if "rows" not in body:
        raise FakeHTTPError(400, 'the body must be {"rows": [[...], ...]}')
    _, _, count = _write_rows(ctx, name, lambda table: table.prepare(body["rows"]))
    return json_response({"table": name, "received": len(body["rows"]), "rowCount": count})


def load_table(ctx: Context, name: str) -> Response:
    body = ctx.json_object()
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
        max_bytes=ctx.config.limits.max_load_bytes,
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


def create_cube(ctx: Context) -> Response:
    body = ctx.json_object()
    table_name = body.get("table")
    if not isinstance(table_name, str):
        raise FakeHTTPError(400, 'the body must be {"table": ..., "name": ...}')
    name = check_name("name", body.get("name", table_name), kind="cube")
    with ctx.state.lock:
        cube = ctx.state.add_cube(name, table_name)
        return json_response(cube.discovery(_table(ctx, table_name)), status=201)
