"""The emulated target on the wire, with a raw HTTP client (SPEC §4.1-§4.3, §4.5)."""

from __future__ import annotations

import base64
import http.client
import json

import httpx
import pytest

from fakeserver import FakeServer, ServerConfig
from fakeserver.protocol import ATOTI_PATH, PIVOT_PATH

from ..conftest import SECURITY


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


ADMIN = basic("admin", "admin-pass")
PLAIN = basic("user", "user-pass")


def assert_error(response: httpx.Response, status: int, path: str) -> dict[str, object]:
    assert response.status_code == status
    # Exactly this type: the real client only parses errors with it.
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "path", "status"}
    assert body["status"] == status and body["path"] == path
    assert "Traceback" not in response.text
    return body  # type: ignore[no-any-return]


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


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Full authentication is required"),
        (basic("admin", "wrong"), "Bad credentials"),
        (basic("ghost", "admin-pass"), "Bad credentials"),
        ({"Authorization": "Bearer not-a-token"}, "invalid token"),
        ({"Authorization": "Basic %%%"}, "malformed"),
        ({"Authorization": "Basic"}, "malformed"),
        ({"Authorization": "Basic dXNlcg=="}, "malformed"),  # "user": no colon
        ({"Authorization": "Basic YWRtaW46YWRtaW4tcGFzcw== junk"}, "malformed"),
        ({"Authorization": "Basic  YWRtaW46YWRtaW4tcGFzcw=="}, "malformed"),
        ({"Authorization": "Digest abc"}, "unsupported"),
    ],
)
def test_secured_target_refuses_bad_identities(
    secured_server: FakeServer, headers: dict[str, str], message: str
) -> None:
    path = PIVOT_PATH + "/ping"
    response = httpx.get(secured_server.url + path, headers=headers)
    body = assert_error(response, 401, path)
    assert message in str(body["error"])
    challenges = response.headers.get_list("www-authenticate")
    assert 'Basic realm="fakeserver"' in challenges
    assert 'Bearer realm="fakeserver"' in challenges
    for secret in ("admin-pass", "not-a-token", "wrong"):
        assert secret not in response.text


def test_bearer_challenge_only_when_tokens_are_configured() -> None:
    config = ServerConfig(security=SECURITY.__class__(users=SECURITY.users))
    with FakeServer(config) as server:
        response = httpx.get(server.url + PIVOT_PATH + "/ping")
        assert response.headers.get_list("www-authenticate") == ['Basic realm="fakeserver"']


@pytest.mark.parametrize(
    "headers",
    [ADMIN, PLAIN, {"Authorization": "Bearer admin-token"}, {"Authorization": "Bearer user-token"}],
)
def test_secured_target_accepts_valid_identities(
    secured_server: FakeServer, headers: dict[str, str]
) -> None:
    assert httpx.get(secured_server.url + PIVOT_PATH + "/ping", headers=headers).text == "pong"


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


def test_unknown_paths_and_methods(secured_server: FakeServer, open_server: FakeServer) -> None:
    # A secured target asks who you are before admitting a path does not exist.
    assert_error(httpx.get(secured_server.url + "/nope"), 401, "/nope")
    assert_error(httpx.get(secured_server.url + "/nope", headers=PLAIN), 404, "/nope")
    assert_error(httpx.get(open_server.url + "/nope"), 404, "/nope")
    response = httpx.delete(open_server.url + PIVOT_PATH + "/ping")
    assert_error(response, 405, PIVOT_PATH + "/ping")
    assert "GET" in response.headers["allow"]


def test_host_identity_local_and_remote(open_server: FakeServer) -> None:
    import fakeserver_client as client

    local = httpx.get(open_server.url + ATOTI_PATH + "/session").json()["host"]
    assert local == {"id": client.host_identity().id, "name": client.host_identity().name}
    with FakeServer(ServerConfig(host="remote", seed=3)) as remote:
        first = httpx.get(remote.url + ATOTI_PATH + "/session").json()["host"]
    with FakeServer(ServerConfig(host="remote", seed=3)) as again:
        second = httpx.get(again.url + ATOTI_PATH + "/session").json()["host"]
    with FakeServer(ServerConfig(host="remote", seed=4)) as other:
        third = httpx.get(other.url + ATOTI_PATH + "/session").json()["host"]
    assert first == second, "the same seed gives the same remote identity"
    assert first["id"] != local["id"] and third["id"] != first["id"]


def test_host_identity_override(monkeypatch: pytest.MonkeyPatch) -> None:
    import fakeserver_client as client

    derived = client.host_identity()
    assert derived == client.host_identity(), "stable across calls"
    monkeypatch.setenv(client.HOST_ID_ENV, "pinned-host")
    assert client.host_identity().id == "pinned-host"
    with FakeServer() as server:
        body = httpx.get(server.url + ATOTI_PATH + "/session").json()
        assert body["host"]["id"] == "pinned-host"
        with client.Session.connect(server.url) as session:
            assert session.conditions.same_host is True
    monkeypatch.delenv(client.HOST_ID_ENV)
    assert client.host_identity() == derived


def test_malformed_headers_never_crash_the_server(secured_server: FakeServer) -> None:
    # httpx refuses to send such headers, so speak HTTP by hand.
    for value in (
        b"Basic",
        b"Basic \xff\xfe",
        b"Bearer ",
        b"Basic YWRtaW46YWRtaW4tcGFzcw== junk",
        b"Basic " + b"\xc3\xa9" * 10,
        b"B" * 8192,
        b"Basic " + b"Q" * 8192,
    ):
        conn = http.client.HTTPConnection("127.0.0.1", secured_server.port, timeout=5)
        try:
            conn.putrequest("GET", PIVOT_PATH + "/ping")
            conn.putheader("Authorization", value)
            conn.endheaders()
            response = conn.getresponse()
            body = json.loads(response.read())
        finally:
            conn.close()
        assert response.status == 401, value
        assert body["status"] == 401
    assert httpx.get(secured_server.url + PIVOT_PATH + "/ping", headers=ADMIN).text == "pong"


def test_scheme_is_case_insensitive_as_on_the_real_server(secured_server: FakeServer) -> None:
    # RFC 7235 and Spring Security both match the scheme case-insensitively.
    lower = {"Authorization": ADMIN["Authorization"].replace("Basic", "basic")}
    assert httpx.get(secured_server.url + PIVOT_PATH + "/ping", headers=lower).text == "pong"
    bearer = {"Authorization": "bearer admin-token"}
    assert httpx.get(secured_server.url + PIVOT_PATH + "/ping", headers=bearer).text == "pong"


def test_a_running_server_follows_the_host_id_override(
    open_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fakeserver_client as client

    monkeypatch.setenv(client.HOST_ID_ENV, "changed-while-running")
    body = httpx.get(open_server.url + ATOTI_PATH + "/session").json()
    assert body["host"]["id"] == "changed-while-running"
    with client.Session.connect(open_server.url) as session:
        assert session.conditions.same_host is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"rows": [[NaN]]}', "NaN is not a JSON value"),
        (b'{"rows": [[-Infinity]]}', "-Infinity is not a JSON value"),
        (b'{"rows": [[' + b"9" * 5000 + b"]]}", "integer string conversion"),
    ],
    ids=["nan", "infinity", "huge_integer"],
)
def test_non_json_numbers_are_a_400_without_python_advice(
    secured_server: FakeServer, body: bytes, message: str
) -> None:
    path = ATOTI_PATH + "/tables/anything/rows"
    response = httpx.post(
        secured_server.url + path,
        content=body,
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    payload = assert_error(response, 400, path)
    assert message in str(payload["error"])
    assert "sys.set_int_max_str_digits" not in response.text
