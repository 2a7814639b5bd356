"""The emulation as a WSGI application (``fakeserver.app``): match, authenticate, answer.

Whatever goes wrong leaves in the one error shape: unknown paths and methods, bodies that
are not JSON, a view that raises. Over real sockets first, then in process.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import httpx
import pytest
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request, Response

from fakeserver import FakeServer, Fault, ServerConfig
from fakeserver.app import Emulation
from fakeserver.protocol import ATOTI_PATH, PIVOT_PATH, STATUS_PREFIX
from fakeserver.routes import ROUTES, Context
from fakeserver.state import ServerState
from fakeserver.wsgi import USER_KEY, DropConnection

from ..conftest import OIDC_SECURITY, SECURITY
from .wire import ADMIN, PLAIN, assert_error


def test_unknown_paths_and_methods(secured_server: FakeServer, open_server: FakeServer) -> None:
    # A secured target asks who you are before admitting a path does not exist.
    assert_error(httpx.get(secured_server.url + "/nope"), 401, "/nope")
    assert_error(httpx.get(secured_server.url + "/nope", headers=PLAIN), 404, "/nope")
    assert_error(httpx.get(open_server.url + "/nope"), 404, "/nope")
    response = httpx.delete(open_server.url + PIVOT_PATH + "/ping")
    assert_error(response, 405, PIVOT_PATH + "/ping")
    assert "GET" in response.headers["allow"]


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


# -- in process --------------------------------------------------------------------------------


def emulation(config: ServerConfig) -> Emulation:
    return Emulation(ServerState(config))


def test_a_failing_view_is_a_json_500_that_keeps_its_details(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def ping(ctx: Context) -> Response:  # the endpoint is the view's name: keep "ping"
        raise RuntimeError("detail-for-the-log-only")

    monkeypatch.setitem(ROUTES, "ping", replace(ROUTES["ping"], view=ping))
    with caplog.at_level(logging.ERROR, logger="fakeserver"):
        response = Client(emulation(ServerConfig())).get(PIVOT_PATH + "/ping")
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    assert response.json == {
        "error": "internal error in the fake server",
        "path": PIVOT_PATH + "/ping",
        "status": 500,
    }
    assert b"detail-for-the-log-only" not in response.data
    assert "unexpected error answering GET " + PIVOT_PATH + "/ping" in caplog.text
    assert "detail-for-the-log-only" in caplog.text


def test_a_dropped_connection_leaves_the_app_for_the_engine() -> None:
    app = emulation(ServerConfig(faults=(Fault("drop", "*/ping"),)))
    with pytest.raises(DropConnection):
        Client(app).get(PIVOT_PATH + "/ping")
    assert Client(app).get("/versions/rest").status_code == 200


def test_an_unexposed_target_asks_who_you_are_before_hiding_the_live_extension() -> None:
    secured = Client(emulation(ServerConfig(security=SECURITY, exposed=False)))
    path = ATOTI_PATH + "/session"
    assert secured.get(path).status_code == 401
    assert secured.get(path, headers=ADMIN).status_code == 404
    unsecured = Client(emulation(ServerConfig(exposed=False)))
    assert unsecured.get(path).status_code == 404


@pytest.mark.parametrize(
    ("config", "method", "path"),
    [
        (ServerConfig(security=SECURITY, exposed=False), "GET", ATOTI_PATH + "/tables/t"),
        (ServerConfig(security=SECURITY, exposed=False), "PUT", ATOTI_PATH + "/tables"),
        (ServerConfig(security=SECURITY), "POST", STATUS_PREFIX + "/api/status"),
        (ServerConfig(security=SECURITY), "GET", STATUS_PREFIX + "/api/reset"),
        (ServerConfig(security=SECURITY), "GET", "/oidc/token"),
        (ServerConfig(security=SECURITY), "POST", "/anything/jwks"),
        (ServerConfig(security=OIDC_SECURITY), "GET", "/elsewhere/token"),
    ],
    ids=[
        "live_extension_not_exposed",
        "live_extension_not_exposed_listing",
        "status_page_off",
        "status_action_off",
        "no_issuer",
        "no_issuer_jwks",
        "issuer_elsewhere",
    ],
)
def test_a_route_the_target_lacks_is_not_found_whatever_the_method(
    config: ServerConfig, method: str, path: str
) -> None:
    # Not 405 with an Allow header: that would say the path exists for another method.
    app = Client(emulation(config))
    assert app.open(path, method=method).status_code == 401  # who you are first
    response = app.open(path, method=method, headers=ADMIN)
    assert response.status_code == 404
    assert "Allow" not in response.headers


def test_a_route_the_target_has_is_405_with_the_methods_it_has() -> None:
    app = Client(emulation(ServerConfig(security=OIDC_SECURITY, status_page=True)))
    for path, allowed in [
        ("/oidc/token", "POST"),
        (STATUS_PREFIX + "/api/reset", "POST"),
        (ATOTI_PATH + "/tables/t", "DELETE"),
    ]:
        response = app.open(path, method="PATCH", headers=ADMIN)
        assert response.status_code == 405, path
        assert response.headers["Allow"] == allowed, path


@pytest.mark.parametrize(
    ("path", "headers", "user"),
    [
        (PIVOT_PATH + "/ping", ADMIN, "admin"),
        (PIVOT_PATH + "/ping", PLAIN, "user"),
        ("/versions/rest", ADMIN, None),  # public: nobody is asked who they are
    ],
)
def test_the_user_is_noted_for_the_request_log(
    path: str, headers: dict[str, str], user: str | None
) -> None:
    app = emulation(ServerConfig(security=SECURITY))
    request = Request(EnvironBuilder(path=path, headers=list(headers.items())).get_environ())
    assert app.handle(request).status_code == 200
    assert request.environ.get(USER_KEY) == user
