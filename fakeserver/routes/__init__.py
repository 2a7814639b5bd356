"""Every route of the fake target, in one explicit table, and the URL map built from it (SPEC §4).

A route exists because it is listed in :data:`ROUTE_TABLE`, never because some module was
imported: its full path, its methods, the :class:`~fakeserver.security.Access` it needs and
its view. The views live by area — :mod:`.connect`, :mod:`.data`, :mod:`.security`,
:mod:`.mdx`, :mod:`.oidc`, :mod:`.database`, :mod:`.graphql`, and :mod:`.status` for the
fake's own status page — and share :mod:`.base`.
"""

from __future__ import annotations

from werkzeug.routing import Map, Rule

from ..oidc import DISCOVERY_PATH, JWKS_PATH, TOKEN_PATH
from ..protocol import (
    ATOTI_PATH,
    DATABASE_PATH,
    GRAPHQL_PATH,
    PIVOT_PATH,
    STATUS_PREFIX,
    VERSIONS_PATH,
)
from ..security import Access
from . import connect, data, database, graphql, mdx, oidc, security, status
from .base import ISSUER_PREFIX, Context, Route, json_body, json_object, json_response

__all__ = [
    "ROUTES",
    "ROUTE_TABLE",
    "Context",
    "Route",
    "json_body",
    "json_object",
    "json_response",
    "url_map",
]

#: Every route, once. Live-extension routes (under ``ATOTI_PATH``) only exist when the
#: target is exposed to the Python API.
ROUTE_TABLE: tuple[Route, ...] = (
    # versions and connect (SPEC §4.1, §4.4, §4.5)
    Route(VERSIONS_PATH, ("GET",), Access.PUBLIC, connect.versions),
    Route(f"{PIVOT_PATH}/ping", ("GET",), Access.READ, connect.ping),
    Route(f"{ATOTI_PATH}/py4j/configuration", ("GET",), Access.ADMIN, connect.py4j_configuration),
    Route(f"{ATOTI_PATH}/session", ("GET",), Access.READ, connect.session_descriptor),
    # data: queries and discovery (SPEC §4.4)
    Route(f"{PIVOT_PATH}/database/data/tables/<name>", ("POST",), Access.READ, data.query_table),
    Route(f"{PIVOT_PATH}/database/discovery", ("GET",), Access.READ, data.database_discovery),
    Route(f"{PIVOT_PATH}/cube/discovery", ("GET",), Access.READ, data.cube_discovery_view),
    # the database API of servers 6.1.11 and later (SPEC §4.6): the same views, another home
    Route(
        f"{DATABASE_PATH}/data/tables/<name>", ("POST",), Access.READ, database.database_api_query
    ),
    Route(f"{DATABASE_PATH}/discovery", ("GET",), Access.READ, database.database_api_discovery),
    # data: tables, rows, loads, cubes (SPEC §4.5)
    Route(f"{ATOTI_PATH}/tables", ("GET",), Access.ADMIN, data.list_tables),
    Route(f"{ATOTI_PATH}/tables", ("POST",), Access.ADMIN, data.create_table),
    Route(f"{ATOTI_PATH}/tables/<name>", ("DELETE",), Access.ADMIN, data.drop_table),
    Route(f"{ATOTI_PATH}/tables/<name>/rows", ("POST",), Access.ADMIN, data.append_rows),
    Route(f"{ATOTI_PATH}/tables/<name>/load", ("POST",), Access.ADMIN, data.load_table),
    Route(f"{ATOTI_PATH}/cubes", ("POST",), Access.ADMIN, data.create_cube),
    # security management (SPEC §4.5)
    Route(
        f"{ATOTI_PATH}/security/basic/credentials",
        ("GET", "PUT"),
        Access.ADMIN,
        security.basic_credentials,
    ),
    Route(
        f"{ATOTI_PATH}/security/individual-roles",
        ("GET", "PUT"),
        Access.ADMIN,
        security.individual_roles,
    ),
    # MDX (SPEC §4.4)
    Route(f"{PIVOT_PATH}/cube/query/mdx", ("POST",), Access.READ, mdx.mdx_query),
    # the OAuth 2 issuer (SPEC §4.3): under SecurityConfig.oidc.path only (Route.exists)
    Route(f"{ISSUER_PREFIX}{DISCOVERY_PATH}", ("GET",), Access.PUBLIC, oidc.discovery),
    Route(f"{ISSUER_PREFIX}{TOKEN_PATH}", ("POST",), Access.PUBLIC, oidc.token),
    Route(f"{ISSUER_PREFIX}{JWKS_PATH}", ("GET",), Access.PUBLIC, oidc.jwks),
    # the data-model API over GraphQL (SPEC §4.6); writes check the live-extension rule
    Route(GRAPHQL_PATH, ("POST",), Access.READ, graphql.graphql),
    # the fake's own status page, when the config turns it on (not Atoti's)
    Route(f"{STATUS_PREFIX}/", ("GET",), Access.OPERATOR, status.status_page),
    Route(f"{STATUS_PREFIX}/assets/<name>", ("GET",), Access.OPERATOR, status.status_asset),
    Route(f"{STATUS_PREFIX}/api/status", ("GET",), Access.OPERATOR, status.status_summary),
    Route(f"{STATUS_PREFIX}/api/requests", ("GET",), Access.OPERATOR, status.status_requests),
    Route(f"{STATUS_PREFIX}/api/reset", ("POST",), Access.OPERATOR, status.status_reset),
    Route(f"{STATUS_PREFIX}/api/restart", ("POST",), Access.OPERATOR, status.status_restart),
    Route(
        f"{STATUS_PREFIX}/api/faults/<int:index>", ("POST",), Access.OPERATOR, status.status_fault
    ),
)


def _by_endpoint(table: tuple[Route, ...]) -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for route in table:
        if route.endpoint in routes:
            raise RuntimeError(f"duplicate endpoint {route.endpoint}")
        routes[route.endpoint] = route
    return routes


#: The table by endpoint (the view's name), as the application looks a matched rule up.
ROUTES: dict[str, Route] = _by_endpoint(ROUTE_TABLE)

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
