"""The route table: every view listed exactly once, and exactly the routes the SPEC states.

A route exists only because :data:`fakeserver.routes.ROUTE_TABLE` lists it; a view written
but not listed, listed twice, or a route the wire protocol does not name, fails here.
"""

from __future__ import annotations

import inspect
import pkgutil
import types
import typing
from collections import Counter
from importlib import import_module

from fakeserver import routes
from fakeserver.protocol import ATOTI_PATH, DATABASE_PATH, PIVOT_PATH, STATUS_PREFIX
from fakeserver.routes import ROUTE_TABLE, ROUTES, Context, Route, url_map

#: SPEC §4.1, the tables of §4.4 and §4.5, and the MDX query (§4.4, issue 8), as written
#: there: ``{pivot}`` and ``{atoti}`` are the restPaths the versions listing gives.
SPEC_ROUTES = {
    "GET /versions/rest",
    # §4.4
    "GET {pivot}/ping",
    "GET {atoti}/py4j/configuration",
    "GET {pivot}/cube/discovery",
    "POST {pivot}/database/data/tables/{name}",
    "GET {pivot}/database/discovery",
    "POST {pivot}/cube/query/mdx",
    # §4.5
    "GET {atoti}/session",
    "GET {atoti}/tables",
    "POST {atoti}/tables",
    "DELETE {atoti}/tables/{name}",
    "POST {atoti}/tables/{name}/rows",
    "POST {atoti}/tables/{name}/load",
    "POST {atoti}/cubes",
    "GET {atoti}/security/basic/credentials",
    "PUT {atoti}/security/basic/credentials",
    "GET {atoti}/security/individual-roles",
    "PUT {atoti}/security/individual-roles",
    # §4.3: the OAuth 2 issuer, under any prefix (its view answers only SecurityConfig.oidc.path)
    "GET {issuer}/.well-known/openid-configuration",
    "POST {issuer}/token",
    "GET {issuer}/jwks",
    # §4.6: what later server generations serve
    "POST /graphql",
    "POST {database}/data/tables/{name}",
    "GET {database}/discovery",
}
#: The fake's own status page (issue 16): under a prefix no Atoti route uses.
STATUS_ROUTES = {
    "GET {status}/",
    "GET {status}/assets/{name}",
    "GET {status}/api/status",
    "GET {status}/api/requests",
    "POST {status}/api/reset",
    "POST {status}/api/restart",
    "POST {status}/api/faults/{index}",
}


def _spec_form(method: str, path: str) -> str:
    """``path`` written as the SPEC writes it: placeholders for the REST roots and names."""
    roots = (
        (PIVOT_PATH, "{pivot}"),
        (ATOTI_PATH, "{atoti}"),
        (DATABASE_PATH, "{database}"),
        (STATUS_PREFIX, "{status}"),
    )
    for root, placeholder in roots:
        if path.startswith(root + "/"):
            path = placeholder + path[len(root) :]
    path = path.replace("/<path:prefix>", "{issuer}")
    path = path.replace("<name>", "{name}").replace("<int:index>", "{index}")
    return f"{method} {path}"


def _views() -> list[types.FunctionType]:
    """Every view of the routes package: a public function taking a :class:`Context` first."""
    found = []
    for info in pkgutil.iter_modules(routes.__path__):
        module = import_module(f"{routes.__name__}.{info.name}")
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            if value.__module__ != module.__name__:
                continue  # imported here, defined elsewhere
            parameters = list(inspect.signature(value).parameters)
            hints = typing.get_type_hints(value)
            if parameters and hints.get(parameters[0]) is Context:
                found.append(value)
    return found


def test_every_view_is_in_the_table_exactly_once() -> None:
    views = _views()
    assert len(views) == len(ROUTES) == 29  # a sanity floor: the search found the views
    listed = Counter(route.view for route in ROUTE_TABLE)
    assert {view: listed[view] for view in views} == dict.fromkeys(views, 1)
    assert set(listed) == set(views)  # and nothing else is listed


def test_the_table_is_the_wire_protocols_route_list() -> None:
    table = [_spec_form(m, r.path) for r in ROUTE_TABLE for m in r.methods]
    assert len(table) == len(set(table))
    assert set(table) == SPEC_ROUTES | STATUS_ROUTES


def test_only_the_status_routes_depend_on_the_status_page_switch() -> None:
    status = {r.endpoint for r in ROUTE_TABLE if r.status}
    assert len(status) == len(STATUS_ROUTES)
    assert all(r.path.startswith(STATUS_PREFIX + "/") for r in ROUTE_TABLE if r.status)
    assert not any(r.atoti for r in ROUTE_TABLE if r.status)


def test_routes_and_the_url_map_are_built_from_the_table() -> None:
    assert list(ROUTES.values()) == list(ROUTE_TABLE)
    assert all(ROUTES[r.endpoint] is r for r in ROUTE_TABLE)
    rules = {
        (rule.endpoint, rule.rule, frozenset(rule.methods or ())) for rule in url_map().iter_rules()
    }
    # werkzeug adds HEAD to every GET rule
    expected = {
        (r.endpoint, r.path, frozenset(r.methods) | ({"HEAD"} if "GET" in r.methods else set()))
        for r in ROUTE_TABLE
    }
    assert rules == expected


def test_a_route_is_named_by_its_view_and_placed_by_its_path() -> None:
    [versions] = [r for r in ROUTE_TABLE if r.endpoint == "versions"]
    assert (versions.path, versions.atoti) == ("/versions/rest", False)
    atoti = {r.endpoint for r in ROUTE_TABLE if r.atoti}
    assert atoti == {r.endpoint for r in ROUTE_TABLE if r.path.startswith("/atoti/rest/v1/")}
    assert "session_descriptor" in atoti and "ping" not in atoti
    assert isinstance(versions, Route)
