"""Connecting (``fakeserver.routes.connect``): versions, ping, descriptor, py4j (SPEC §4.1-§4.5).

Spoken to over real sockets with a raw HTTP client: what a client reads before anything else.
"""

from __future__ import annotations

import httpx

from fakeserver import FakeServer, ServerConfig
from fakeserver.protocol import ATOTI_PATH, PIVOT_PATH

from ..wire import ADMIN, PLAIN, assert_error, basic


def test_versions_lists_the_apis(open_server: FakeServer) -> None:
    body = httpx.get(open_server.url + "/versions/rest").json()
    assert body["version"] == 1 and body["serverVersion"] == "6.1.2"
    pivot = body["apis"]["activeviam/pivot"]["versions"][0]
    assert pivot == {"id": "9", "restPath": PIVOT_PATH, "wsPath": "/activeviam/pivot/ws/v9"}
    assert body["apis"]["atoti"]["versions"][0]["restPath"] == ATOTI_PATH


def test_versions_without_atoti_when_not_exposed() -> None:
    with FakeServer(ServerConfig(exposed=False, server_version="6.0.9")) as server:
        body = httpx.get(server.url + "/versions/rest").json()
        assert "atoti" not in body["apis"] and body["serverVersion"] == "6.0.9"
        response = httpx.get(server.url + ATOTI_PATH + "/session")
        assert_error(response, 404, ATOTI_PATH + "/session")


def test_versions_never_needs_authentication(secured_server: FakeServer) -> None:
    assert httpx.get(secured_server.url + "/versions/rest").status_code == 200
    # Even wrong credentials are ignored there, as the real client sends them everywhere.
    wrong = basic("admin", "nope")
    assert httpx.get(secured_server.url + "/versions/rest", headers=wrong).status_code == 200


def test_ping_answers_pong(open_server: FakeServer) -> None:
    response = httpx.get(open_server.url + PIVOT_PATH + "/ping")
    assert response.status_code == 200 and response.text == "pong"
    assert response.headers["content-type"].startswith("text/plain")


def test_descriptor_reports_the_user_and_roles(secured_server: FakeServer) -> None:
    admin = httpx.get(secured_server.url + ATOTI_PATH + "/session", headers=ADMIN).json()
    assert admin["user"] == {"name": "admin", "roles": ["ROLE_ADMIN", "ROLE_USER"]}
    assert admin["security"] == {"enabled": True}
    assert admin["serverVersion"] == "6.1.2" and admin["pythonApiVersion"] == "0.9.2"
    plain = httpx.get(
        secured_server.url + ATOTI_PATH + "/session", headers={"Authorization": "Bearer user-token"}
    ).json()
    assert plain["user"] == {"name": "user", "roles": ["ROLE_USER"]}


def test_unsecured_descriptor_has_no_user(open_server: FakeServer) -> None:
    body = httpx.get(open_server.url + ATOTI_PATH + "/session", headers=ADMIN).json()
    assert body["user"] is None and body["security"] == {"enabled": False}


def test_py4j_is_never_200(secured_server: FakeServer, open_server: FakeServer) -> None:
    path = ATOTI_PATH + "/py4j/configuration"
    assert_error(httpx.get(secured_server.url + path, headers=ADMIN), 501, path)
    assert_error(httpx.get(secured_server.url + path, headers=PLAIN), 403, path)
    assert_error(httpx.get(secured_server.url + path), 401, path)
    body = assert_error(httpx.get(open_server.url + path), 403, path)
    assert body["error"] == "live extension requires a secured target"


def test_versions_lists_the_configured_pivot_ids() -> None:
    with FakeServer(ServerConfig(pivot_ids=("9", "10"))) as server:
        listed = httpx.get(server.url + "/versions/rest").json()["apis"]["activeviam/pivot"]
        assert listed["versions"] == [
            {
                "id": i,
                "restPath": f"/activeviam/pivot/rest/v{i}",
                "wsPath": f"/activeviam/pivot/ws/v{i}",
            }
            for i in ("9", "10")
        ]
