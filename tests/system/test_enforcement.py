"""The server enforces (a) and (b) itself: raw HTTP, no client logic in the way (SPEC §4.3).

Whatever a client believes its tier is, a plain user or an unsecured target cannot list
tables, write, load, build cubes or manage security; anonymous and wrong credentials get
nothing at all from a secured target.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakeserver import FakeServer

from ..datasets import BASE, LIVE_ROUTES, READ_ROUTES, raw

ROUTE_IDS = [f"{m} {p}" for m, p, _ in LIVE_ROUTES]
READ_IDS = [f"{m} {p}" for m, p, _ in READ_ROUTES]


def send(server: FakeServer, method: str, path: str, body: object, **kwargs: Any) -> httpx.Response:
    return raw(method, server.url + path, json=body, **kwargs)


def state_of(server: FakeServer) -> Any:
    """Everything a request could change, compared before and after."""
    with server.state.lock:
        return (
            {name: table.rows() for name, table in server.state.tables.items()},
            dict(server.state.cubes),
            {n: (a.password, a.roles) for n, a in server.state.accounts.items()},
        )


def assert_error(response: httpx.Response, status: int, message: str | None = None) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "path", "status"} and body["status"] == status
    if message is not None:
        assert body["error"] == message


@pytest.fixture(scope="module")
def secured() -> Iterator[FakeServer]:
    # Shared across the refusals: every one of them must leave the state untouched anyway.
    with FakeServer(BASE) as server:
        yield server


@pytest.fixture(scope="module")
def unsecured() -> Iterator[FakeServer]:
    with FakeServer(BASE.replace(security=None)) as server:
        yield server


@pytest.mark.parametrize(("method", "path", "body"), LIVE_ROUTES, ids=ROUTE_IDS)
def test_a_plain_user_gets_403_on_every_live_route(
    secured: FakeServer, method: str, path: str, body: object
) -> None:
    before = state_of(secured)
    token = {"Authorization": "Bearer user-token"}
    for auth in ({"auth": ("user", "user-pass")}, {"headers": token}):
        response = send(secured, method, path, body, **auth)
        assert_error(response, 403, "access denied: ROLE_ADMIN is required")
    assert state_of(secured) == before


@pytest.mark.parametrize(("method", "path", "body"), LIVE_ROUTES, ids=ROUTE_IDS)
def test_an_unsecured_target_refuses_every_live_route(
    unsecured: FakeServer, method: str, path: str, body: object
) -> None:
    before = state_of(unsecured)
    # Credentials change nothing: an unsecured target does not know any user.
    for auth in ({}, {"auth": ("admin", "admin-pass")}):
        response = send(unsecured, method, path, body, **auth)
        assert_error(response, 403, "live extension requires a secured target")
    assert state_of(unsecured) == before


@pytest.mark.parametrize(
    ("method", "path", "body"), LIVE_ROUTES + READ_ROUTES, ids=ROUTE_IDS + READ_IDS
)
def test_anonymous_and_wrong_credentials_get_401_everywhere(
    secured: FakeServer, method: str, path: str, body: object
) -> None:
    before = state_of(secured)
    wrong_password = "Basic " + base64.b64encode(b"admin:nope").decode()
    for headers in ({}, {"Authorization": wrong_password}, {"Authorization": "Bearer nope"}):
        response = send(secured, method, path, body, headers=headers)
        assert_error(response, 401)
        assert response.headers.get_list("www-authenticate")[0] == 'Basic realm="fakeserver"'
        assert "admin-pass" not in response.text and "nope" not in response.text
    assert state_of(secured) == before


@pytest.mark.parametrize(("method", "path", "body"), READ_ROUTES, ids=READ_IDS)
def test_reads_need_any_user_and_no_more(
    secured: FakeServer, unsecured: FakeServer, method: str, path: str, body: object
) -> None:
    assert send(secured, method, path, body, auth=("user", "user-pass")).status_code == 200
    assert send(unsecured, method, path, body).status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), LIVE_ROUTES, ids=ROUTE_IDS)
def test_an_admin_may_use_every_live_route(method: str, path: str, body: object) -> None:
    # The positive side, so the refusals above cannot pass by the routes being broken.
    with FakeServer(BASE) as server:
        before = state_of(server)
        response = send(server, method, path, body, auth=("admin", "admin-pass"))
        assert 200 <= response.status_code < 300, response.text
        if method != "GET":
            assert state_of(server) != before


def test_a_role_granted_over_the_wire_applies_to_the_next_request() -> None:
    with FakeServer(BASE) as server:
        tables = ("GET", "/atoti/rest/v1/tables", None)
        assert send(server, *tables, auth=("user", "user-pass")).status_code == 403
        grant = send(
            server,
            "PUT",
            "/atoti/rest/v1/security/individual-roles",
            {"user": ["ROLE_USER", "ROLE_ADMIN"]},
            auth=("admin", "admin-pass"),
        )
        assert grant.json()["user"] == ["ROLE_ADMIN", "ROLE_USER"]
        assert send(server, *tables, auth=("user", "user-pass")).json() == ["trades", "scratch"]
        revoke = send(
            server,
            "PUT",
            "/atoti/rest/v1/security/individual-roles",
            {"user": None},
            auth=("admin", "admin-pass"),
        )
        assert "user" not in revoke.json()
        assert send(server, *tables, auth=("user", "user-pass")).status_code == 403


def test_passwords_are_never_returned() -> None:
    with FakeServer(BASE) as server:
        path = "/atoti/rest/v1/security/basic/credentials"
        answer = send(server, "PUT", path, {"new": "very-secret"}, auth=("admin", "admin-pass"))
        assert answer.json() == {
            "admin": "**REDACTED**",
            "new": "**REDACTED**",
            "user": "**REDACTED**",
        }
        listed = send(server, "GET", path, None, auth=("admin", "admin-pass"))
        for response in (answer, listed):
            assert "very-secret" not in response.text and "admin-pass" not in response.text
