"""Every route refuses every bad identity when secured, in the exact error format."""

from __future__ import annotations

import base64
import http.client
import json
import re
from collections.abc import Iterator

import pytest

from fakeserver import FakeServer, ServerConfig
from fakeserver.routes import ROUTES, Route
from fakeserver.security import Access

from ..conftest import SECURITY


def concrete(path: str) -> str:
    """A request path for a rule: every <variable> becomes a plausible name or number."""
    path = re.sub(r"<int:[^>]+>", "0", path)
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", "trades", path)


def b64(text: bytes) -> str:
    return base64.b64encode(text).decode()


GUARDED = [r for r in ROUTES.values() if r.access is not Access.PUBLIC]
CASES = [(r, m) for r in GUARDED for m in r.methods]
BAD_IDENTITIES: dict[str, bytes | None] = {
    "none": None,
    "wrong_password": f"Basic {b64(b'admin:wrong')}".encode(),
    "unknown_user": f"Basic {b64(b'ghost:admin-pass')}".encode(),
    "empty_user": f"Basic {b64(b':admin-pass')}".encode(),
    "empty_password": f"Basic {b64(b'admin:')}".encode(),
    "missing_scheme": b64(b"admin:admin-pass").encode(),
    "bad_base64": b"Basic ***",
    "no_colon": f"Basic {b64(b'adminadmin-pass')}".encode(),
    "non_utf8": b"Basic " + base64.b64encode(b"admin:\xff\xfe"),
    "raw_non_utf8": b"Basic \xff\xfe\xfd",
    "huge": b"Basic " + b"A" * 8192,
    "unknown_scheme": b"Negotiate abc",
    "trailing_junk": f"Basic {b64(b'admin:admin-pass')} junk".encode(),
    "double_space": f"Basic  {b64(b'admin:admin-pass')}".encode(),
    "unknown_token": b"Bearer nope",
    "lower_case_unknown_token": b"bearer nope",
    "lower_case_wrong_password": f"basic {b64(b'admin:wrong')}".encode(),
    "token_as_basic": f"Basic {b64(b'admin-token')}".encode(),
    "empty_bearer": b"Bearer",
}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    # The status page on: its routes exist, and must refuse like every other.
    with FakeServer(ServerConfig(security=SECURITY, status_page=True)) as running:
        yield running


def send(
    server: FakeServer, method: str, path: str, authorization: bytes | None
) -> tuple[int, bytes, str]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest(method, path)
        if authorization is not None:
            conn.putheader("Authorization", authorization)
        body = b"{}" if method in ("POST", "PUT") else b""
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Content-Type", "")
    finally:
        conn.close()


def assert_error(status: int, body: bytes, content_type: str, expected: int, path: str) -> None:
    assert status == expected, body
    assert content_type == "application/json"
    payload = json.loads(body)
    assert payload == {"error": payload["error"], "path": path, "status": expected}
    for leak in (b"Traceback", b"admin-pass", b"admin-token", b'File "'):
        assert leak not in body


@pytest.mark.parametrize("identity", list(BAD_IDENTITIES))
@pytest.mark.parametrize(("route", "method"), CASES, ids=[f"{m}-{r.endpoint}" for r, m in CASES])
def test_bad_identities_get_401(
    server: FakeServer, route: Route, method: str, identity: str
) -> None:
    path = concrete(route.path)
    status, body, content_type = send(server, method, path, BAD_IDENTITIES[identity])
    assert_error(status, body, content_type, 401, path)


ADMIN_CASES = [(r, m) for r, m in CASES if r.access is Access.ADMIN]
OPERATOR_CASES = [(r, m) for r, m in CASES if r.access is Access.OPERATOR]


@pytest.mark.parametrize(
    ("route", "method"),
    ADMIN_CASES + OPERATOR_CASES,
    ids=[f"{m}-{r.endpoint}" for r, m in ADMIN_CASES + OPERATOR_CASES],
)
def test_plain_users_get_403_on_live_extension_and_status_routes(
    server: FakeServer, route: Route, method: str
) -> None:
    path = concrete(route.path)
    for header in (f"Basic {b64(b'user:user-pass')}".encode(), b"Bearer user-token"):
        status, body, content_type = send(server, method, path, header)
        assert_error(status, body, content_type, 403, path)


#: The live-extension routes (Access.ADMIN) as declared in fakeserver/routes.py, by hand: a
#: route added, removed or re-graded there must be reviewed here too.
LIVE_EXTENSION_CASES = {
    ("py4j_configuration", "GET"),
    ("list_tables", "GET"),
    ("create_table", "POST"),
    ("drop_table", "DELETE"),
    ("append_rows", "POST"),
    ("load_table", "POST"),
    ("create_cube", "POST"),
    ("basic_credentials", "GET"),
    ("basic_credentials", "PUT"),
    ("individual_roles", "GET"),
    ("individual_roles", "PUT"),
}
READ_CASES = {
    ("ping", "GET"),
    ("session_descriptor", "GET"),
    ("query_table", "POST"),
    ("database_discovery", "GET"),
    ("cube_discovery_view", "GET"),
    ("mdx_query", "POST"),
    ("database_api_query", "POST"),
    ("database_api_discovery", "GET"),
    ("graphql", "POST"),
}
#: The status page (issue 16): ROLE_ADMIN when secured.
STATUS_CASES = {
    ("status_page", "GET"),
    ("status_asset", "GET"),
    ("status_summary", "GET"),
    ("status_requests", "GET"),
    ("status_reset", "POST"),
    ("status_restart", "POST"),
    ("status_fault", "POST"),
}


def test_the_sweep_covers_the_live_extension_and_the_status_page() -> None:
    assert {(r.endpoint, m) for r, m in ADMIN_CASES} == LIVE_EXTENSION_CASES
    assert {(r.endpoint, m) for r, m in OPERATOR_CASES} == STATUS_CASES
    assert {(r.endpoint, m) for r, m in CASES if r.access is Access.READ} == READ_CASES
    assert len(CASES) == len(LIVE_EXTENSION_CASES) + len(READ_CASES) + len(STATUS_CASES) == 27


#: Public: the versions listing, and the OAuth 2 issuer, which authenticates its clients
#: itself (tests/fakeserver/routes/test_oidc.py sweeps it).
PUBLIC_CASES = {
    ("versions", "GET"),
    ("discovery", "GET"),
    ("token", "POST"),
    ("jwks", "GET"),
}


def test_every_route_but_the_public_ones_is_swept() -> None:
    public = {
        (r.endpoint, m) for r in ROUTES.values() if r.access is Access.PUBLIC for m in r.methods
    }
    assert public == PUBLIC_CASES
    every = {(r.endpoint, m) for r in ROUTES.values() for m in r.methods}
    assert {(r.endpoint, m) for r, m in CASES} == every - PUBLIC_CASES
