"""The issuer's routes (``fakeserver.routes.oidc``): discovery, the token endpoint, the JWKS.

Over real sockets; every refusal is checked for its RFC 6749 §5.2 code, its status, and
the fake's own error shape beside it (``path``, ``status``), with no secret echoed.
"""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus

import httpx
import jwt
import pytest

from fakeserver import FakeServer, Limits, OidcConfig, SecurityConfig, ServerConfig

from ...conftest import CLIENT_ID, CLIENT_SECRET, OIDC_SECURITY, SECURITY

PATH = "/oidc"
GRANT = {
    "grant_type": "password",
    "username": "admin",
    "password": "admin-pass",
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    config = ServerConfig(security=OIDC_SECURITY, limits=Limits(max_token_request_bytes=2048))
    with FakeServer(config) as running:
        yield running


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def basic(user: str, password: str) -> str:
    pair = f"{quote_plus(user)}:{quote_plus(password)}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def assert_oauth_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["error"] == code
    assert body["path"] == response.request.url.path and body["status"] == status
    assert isinstance(body["error_description"], str) and body["error_description"]
    for secret in ("admin-pass", CLIENT_SECRET, "not-the-password"):
        assert secret not in response.text
    return body


def test_discovery_names_the_endpoints_under_the_servers_url(
    server: FakeServer, http: httpx.Client
) -> None:
    response = http.get(f"{server.url}{PATH}/.well-known/openid-configuration")
    assert response.status_code == 200
    document = response.json()
    issuer = f"{server.url}{PATH}"
    assert server.issuer_url == issuer
    assert document["issuer"] == issuer
    assert document["token_endpoint"] == issuer + "/token"
    assert document["jwks_uri"] == issuer + "/jwks"
    assert document["grant_types_supported"] == ["password"]
    assert set(document["token_endpoint_auth_methods_supported"]) == {
        "client_secret_post",
        "client_secret_basic",
    }
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]


def test_jwks_lists_public_keys_only(server: FakeServer, http: httpx.Client) -> None:
    keys = http.get(f"{server.url}{PATH}/jwks").json()["keys"]
    assert [k["kty"] for k in keys] == ["EC"]
    assert all("d" not in k and k["kid"] for k in keys)


def test_the_password_grant_with_form_credentials(server: FakeServer, http: httpx.Client) -> None:
    response = http.post(f"{server.url}{PATH}/token", data={**GRANT, "scope": "openid profile"})
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == "openid profile"  # echoed
    keys = http.get(f"{server.url}{PATH}/jwks").json()["keys"]
    key = jwt.PyJWK(keys[0])
    claims = jwt.decode(
        body["access_token"],
        key,
        algorithms=["ES256"],
        audience="fakeserver",
        issuer=server.issuer_url,
    )
    assert (claims["sub"], claims["azp"], claims["scope"]) == ("admin", CLIENT_ID, "openid profile")
    assert claims["roles"] == ["ROLE_ADMIN", "ROLE_USER"]


def test_the_password_grant_with_http_basic_client_credentials(
    server: FakeServer, http: httpx.Client
) -> None:
    form = {"grant_type": "password", "username": "user", "password": "user-pass"}
    response = http.post(
        f"{server.url}{PATH}/token",
        data=form,
        headers={"Authorization": basic(CLIENT_ID, CLIENT_SECRET)},
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == ""
    # the same client named in the form too is allowed (RFC 6749 §2.3.1)
    response = http.post(
        f"{server.url}{PATH}/token",
        data={**form, "client_id": CLIENT_ID},
        headers={"Authorization": basic(CLIENT_ID, CLIENT_SECRET)},
    )
    assert response.status_code == 200, response.text


def test_a_token_answers_on_the_target(server: FakeServer, http: httpx.Client) -> None:
    token = http.post(f"{server.url}{PATH}/token", data=GRANT).json()["access_token"]
    descriptor = http.get(
        f"{server.url}/atoti/rest/v1/session", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert descriptor["user"] == {"name": "admin", "roles": ["ROLE_ADMIN", "ROLE_USER"]}


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"password": "not-the-password"}, 400, "invalid_grant"),
        ({"username": "nobody"}, 400, "invalid_grant"),
        ({"client_secret": "not-the-password"}, 401, "invalid_client"),
        ({"client_id": "another-app"}, 401, "invalid_client"),
        ({"client_id": None, "client_secret": None}, 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, 400, "unsupported_grant_type"),
        ({"grant_type": None}, 400, "invalid_request"),
        ({"username": None}, 400, "invalid_request"),
        ({"password": None}, 400, "invalid_request"),
        ({"password": ""}, 400, "invalid_request"),  # empty means omitted (§3.2)
        ({"scope": 'openid "quoted"'}, 400, "invalid_scope"),
        ({"scope": "back\\slash"}, 400, "invalid_scope"),
        ({"scope": "trailing-newline\n"}, 400, "invalid_scope"),
    ],
)
def test_refusals_of_the_token_endpoint(
    server: FakeServer,
    http: httpx.Client,
    change: dict[str, str | None],
    status: int,
    code: str,
) -> None:
    form = {k: v for k, v in {**GRANT, **change}.items() if v is not None}
    response = http.post(f"{server.url}{PATH}/token", data=form)
    assert_oauth_error(response, status, code)
    if status == 401:  # RFC 6749 §5.2: say which scheme the client may authenticate with
        assert response.headers["WWW-Authenticate"] == 'Basic realm="fakeserver"'


def test_client_authentication_twice_or_malformed(server: FakeServer, http: httpx.Client) -> None:
    url = f"{server.url}{PATH}/token"
    both = http.post(url, data=GRANT, headers={"Authorization": basic(CLIENT_ID, CLIENT_SECRET)})
    assert_oauth_error(both, 400, "invalid_request")
    other_id = http.post(
        url,
        data={**GRANT, "client_secret": None, "client_id": "someone-else"},
        headers={"Authorization": basic(CLIENT_ID, CLIENT_SECRET)},
    )
    assert_oauth_error(other_id, 400, "invalid_request")
    form = {k: v for k, v in GRANT.items() if not k.startswith("client_")}
    for header in ("Basic ***", "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer x"):
        response = http.post(url, data=form, headers={"Authorization": header})
        assert_oauth_error(response, 401, "invalid_client")
    wrong = http.post(url, data=form, headers={"Authorization": basic(CLIENT_ID, "nope")})
    assert_oauth_error(wrong, 401, "invalid_client")


def test_a_form_the_endpoint_cannot_read(server: FakeServer, http: httpx.Client) -> None:
    url = f"{server.url}{PATH}/token"
    as_json = http.post(url, json=GRANT)
    assert_oauth_error(as_json, 400, "invalid_request")
    twice = http.post(
        url,
        content="grant_type=password&grant_type=password&username=a&password=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (
        "more than once" in assert_oauth_error(twice, 400, "invalid_request")["error_description"]
    )
    not_utf8 = http.post(
        url,
        content=b"username=\xff\xfe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_oauth_error(not_utf8, 400, "invalid_request")


def test_a_form_beyond_the_limit_is_413(server: FakeServer, http: httpx.Client) -> None:
    big = {**GRANT, "scope": " ".join(f"s{i}" for i in range(1000))}
    response = http.post(f"{server.url}{PATH}/token", data=big)
    assert "2048 bytes" in assert_oauth_error(response, 413, "invalid_request")["error_description"]
    # chunked, so no Content-Length announces it: the body itself is measured
    chunks = iter([b"grant_type=password&scope=" + b"x" * 4096])
    response = http.post(
        f"{server.url}{PATH}/token",
        content=chunks,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_oauth_error(response, 413, "invalid_request")


def test_wrong_methods_are_405_once_authenticated(server: FakeServer, http: httpx.Client) -> None:
    # As for every route of a secured target: who you are before what the path allows.
    assert http.get(f"{server.url}{PATH}/token").status_code == 401
    admin = ("admin", "admin-pass")
    assert http.get(f"{server.url}{PATH}/token", auth=admin).status_code == 405
    assert http.post(f"{server.url}{PATH}/jwks", auth=admin).status_code == 405


def test_other_prefixes_are_unknown_paths(server: FakeServer, http: httpx.Client) -> None:
    # Secured: who you are first (401), then that the path does not exist (404).
    for path in ("/other/token", "/oidc/x/jwks", "/jwks-not/.well-known/openid-configuration"):
        for method in ("GET", "POST"):  # not 405 either: no method has these paths here
            assert http.request(method, server.url + path).status_code == 401
            response = http.request(method, server.url + path, auth=("admin", "admin-pass"))
            assert response.status_code == 404, (method, path)


def test_without_an_issuer_the_routes_do_not_exist(http: httpx.Client) -> None:
    with FakeServer(ServerConfig(security=SECURITY)) as secured:
        assert secured.issuer_url is None
        url = f"{secured.url}{PATH}/.well-known/openid-configuration"
        assert http.get(url).status_code == 401
        assert http.get(url, auth=("admin", "admin-pass")).status_code == 404
        assert http.post(f"{secured.url}{PATH}/token", data=GRANT).status_code == 401
    with FakeServer() as unsecured:
        assert http.get(f"{unsecured.url}{PATH}/jwks").status_code == 404


def test_a_configured_path_and_lifetime(http: httpx.Client) -> None:
    oidc = OidcConfig(path="/realms/test", clients={"app": "s"}, token_lifetime=60)
    config = ServerConfig(security=SecurityConfig(users=OIDC_SECURITY.users, oidc=oidc))
    with FakeServer(config) as server:
        assert server.issuer_url == f"{server.url}/realms/test"
        document = http.get(f"{server.issuer_url}/.well-known/openid-configuration").json()
        form = {**GRANT, "client_id": "app", "client_secret": "s"}
        body = http.post(document["token_endpoint"], data=form).json()
        assert body["expires_in"] == 60
        assert http.get(f"{server.url}/oidc/jwks", auth=("admin", "admin-pass")).status_code == 404


def test_over_https_the_issuer_is_the_https_url(oidc_server: FakeServer) -> None:
    assert oidc_server.ca_path is not None
    context = ssl.create_default_context(cafile=oidc_server.ca_path)
    with httpx.Client(verify=context) as client:
        document = client.get(f"{oidc_server.issuer_url}/.well-known/openid-configuration").json()
        assert document["issuer"].startswith("https://127.0.0.1:")
        body = client.post(document["token_endpoint"], data=GRANT).json()
        session = client.get(
            f"{oidc_server.url}/atoti/rest/v1/session",
            headers={"Authorization": f"Bearer {body['access_token']}"},
        )
        assert session.json()["user"]["name"] == "admin"


def test_in_process_the_issuer_is_the_requests_origin(server: FakeServer) -> None:
    # No socket: the WSGI app names the origin the request came to.
    transport = httpx.WSGITransport(app=server.wsgi_app)
    with httpx.Client(transport=transport, base_url="http://fake.test") as client:
        unbound = FakeServer(ServerConfig(security=OIDC_SECURITY))  # never started
        with httpx.Client(
            transport=httpx.WSGITransport(app=unbound.wsgi_app), base_url="http://fake.test"
        ) as inproc:
            document = inproc.get(f"{PATH}/.well-known/openid-configuration").json()
            assert document["issuer"] == "http://fake.test/oidc"
            token = inproc.post(f"{PATH}/token", data=GRANT).json()["access_token"]
            descriptor = inproc.get(
                "/atoti/rest/v1/session", headers={"Authorization": f"Bearer {token}"}
            )
            assert descriptor.json()["user"]["name"] == "admin"
        # the running server's issuer is its bound URL, whatever the request's origin
        assert (
            json.loads(client.get(f"{PATH}/.well-known/openid-configuration").text)["issuer"]
            == server.issuer_url
        )
