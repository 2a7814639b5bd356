"""The real ``atoti.OAuth2ResourceOwnerPasswordAuthentication`` through the fake's own issuer.

Opt-in (``tox -e atoti-compat``; deselected by default and not even collected without
atoti). Over HTTPS with the fake's CA, the real client fetches the discovery document,
posts the password grant, and presents the JWT to the target, which validates it.

What was seen on the wire (``server.log``) with atoti-client 0.9.2, and shapes this module:

- discovery is fetched once per process and then remembered; the form posted to the token
  endpoint holds ``client_id``, ``client_secret``, ``grant_type=password``, ``password``,
  ``scope`` (empty when no scopes are given) and ``username``; every request to the target
  then carries ``Authorization: Bearer <access_token>``.
- the issuer is reached *without* the session's ``certificate_authority``: the default
  trust store is used, so the fake's CA must be trusted through ``SSL_CERT_FILE``.
- a refused grant surfaces as httpx's ``HTTPStatusError`` (400 ``invalid_grant``, 401
  ``invalid_client``); the OAuth error body is left for the caller to read.
"""

from __future__ import annotations

import os

# Loopback only: atoti posts telemetry to the internet on import unless this is set.
os.environ["_ATOTI_DISABLE_TELEMETRY"] = "True"
os.environ["ATOTI_HIDE_EULA_MESSAGE"] = "True"

import importlib.metadata
import json
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from fakeserver import FakeServer, OidcConfig, SecurityConfig, ServerConfig, TlsConfig, User
from fakeserver.protocol import DEFAULT_PYTHON_API_VERSION, DEFAULT_SERVER_VERSION

atoti = pytest.importorskip("atoti")
pytestmark = pytest.mark.atoti_compat

if not hasattr(atoti, "OAuth2ResourceOwnerPasswordAuthentication"):  # pragma: no cover
    pytest.skip("this atoti-client has no OAuth 2 authentication", allow_module_level=True)

CLIENT_VERSION = importlib.metadata.version("atoti-client")
CLIENT_ID, CLIENT_SECRET = "atoti-app", "atoti-app-secret"
ADMIN = User("admin", "admin-pass", roles=frozenset({"ROLE_USER", "ROLE_ADMIN"}))
READER = User("reader", "reader-pass")
SECURITY = SecurityConfig(
    users=(ADMIN, READER), oidc=OidcConfig(clients={CLIENT_ID: CLIENT_SECRET})
)
PY4J = "/atoti/rest/v1/py4j/configuration"
ISSUER_PATHS = ("/oidc/.well-known/openid-configuration", "/oidc/token")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    # The server version this client generation expects, when an env says so.
    version = os.environ.get("FAKESERVER_SERVER_VERSION", DEFAULT_SERVER_VERSION)
    config = ServerConfig(security=SECURITY, tls=TlsConfig(), server_version=version)
    with FakeServer(config) as running:
        yield running


@pytest.fixture
def trusted(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    """The fake's CA trusted for the issuer requests too (see the module's docstring)."""
    assert server.ca_path is not None
    monkeypatch.setenv("SSL_CERT_FILE", server.ca_path)
    server.clear()
    return server


def authentication(server: FakeServer, user: str, **changes: Any) -> Any:
    fields = {
        "username": user,
        "password": f"{user}-pass",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "issuer_url": server.issuer_url,
        **changes,
    }
    return atoti.OAuth2ResourceOwnerPasswordAuthentication(**fields)


def connect(server: FakeServer, auth: Any) -> Any:
    return atoti.Session.connect(
        server.url, authentication=auth, certificate_authority=server.ca_path
    )


def target_requests(server: FakeServer) -> list[tuple[Any, Any]]:
    return [(rq, rs) for rq, rs in server.log if rq.path not in ISSUER_PATHS]


def presented(server: FakeServer) -> dict[str, Any]:
    """The claims of the one token every target request carried."""
    headers = {rq.headers.get("Authorization", "") for rq, _ in target_requests(server)}
    [header] = headers
    scheme, _, token = header.partition(" ")
    assert scheme.lower() == "bearer"
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def status_of(error: BaseException) -> int:
    """The HTTP status of an httpx (or httpx2) status error, whichever the generation uses."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    assert isinstance(status, int), f"{type(error).__module__}.{type(error).__name__}: {error}"
    return status


@pytest.mark.parametrize(("user", "py4j"), [("admin", 501), ("reader", 403)])
def test_connects_through_the_issuer_and_lands_as_its_roles(
    trusted: FakeServer, user: str, py4j: int
) -> None:
    with connect(trusted, authentication(trusted, user)):
        pass
    token_posts = [rq for rq, _ in trusted.log if rq.path == "/oidc/token"]
    [grant] = token_posts
    assert grant.form["grant_type"] == "password" and grant.form["username"] == user
    requests = target_requests(trusted)
    assert requests and all(rs.status_code in (200, py4j) for _, rs in requests), [
        (rq.path, rs.status_code) for rq, rs in requests
    ]
    claims = presented(trusted)
    assert claims["sub"] == user
    assert ("ROLE_ADMIN" in claims["roles"]) == (user == "admin")
    # Where the client is compatible it asks for Py4J: 501 for an admin (the live extension
    # is not emulated), 403 for a plain user, as with Basic.
    statuses = {rs.status_code for rq, rs in requests if rq.path == PY4J}
    assert statuses <= {py4j}
    if CLIENT_VERSION == DEFAULT_PYTHON_API_VERSION:  # the target emulates its server
        assert statuses == {py4j}


def test_scopes_are_sent_and_echoed(trusted: FakeServer) -> None:
    with connect(trusted, authentication(trusted, "reader", scopes={"openid"})):
        pass
    [answer] = [rs for rq, rs in trusted.log if rq.path == "/oidc/token"]
    assert json.loads(answer.get_data())["scope"] == "openid"
    assert presented(trusted)["scope"] == "openid"


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"password": "wrong"}, 400, "invalid_grant"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
    ],
)
def test_a_refused_grant_is_the_clients_http_error(
    trusted: FakeServer, changes: dict[str, str], status: int, code: str
) -> None:
    with pytest.raises(Exception) as caught:
        connect(trusted, authentication(trusted, "admin", **changes))
    assert status_of(caught.value) == status
    [answer] = [rs for rq, rs in trusted.log if rq.path == "/oidc/token"]
    assert json.loads(answer.get_data())["error"] == code
    assert target_requests(trusted) == []  # nothing reached the target


@pytest.mark.skipif(CLIENT_VERSION != "0.9.2", reason="measured with 0.9.2")
def test_the_issuer_is_not_verified_with_certificate_authority(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
        connect(server, authentication(server, "admin"))
