"""The OAuth 2 password grant at connect (client/_oauth2.py), against the fake's own issuer.

Real sockets and TLS with the fake's CA; the issuer's failures come from the fake's fault
hooks (``Fault(path="*/oidc/token")``) and key rotation, each ending in a typed error that
names the issuer and never in a hang (every wait is bounded by the session's timeout).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
import trustme

import fakeserver_client as client
from fakeserver import FakeServer, Fault, ServerConfig, TlsConfig
from fakeserver_client import Tier

from ..conftest import CLIENT_ID, CLIENT_SECRET, OIDC_SECURITY


def oauth2(server: FakeServer, user: str = "admin", **changes: Any) -> Any:
    fields: dict[str, Any] = {
        "username": user,
        "password": f"{user}-pass",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "issuer_url": server.issuer_url,
        **changes,
    }
    return client.OAuth2ResourceOwnerPasswordAuthentication(**fields)


def connect(server: FakeServer, authentication: Any, **options: Any) -> client.Session:
    return client.Session.connect(
        server.url, authentication=authentication, certificate_authority=server.ca_path, **options
    )


def faulty(*faults: Fault) -> Iterator[FakeServer]:
    config = ServerConfig(security=OIDC_SECURITY, tls=TlsConfig(), faults=faults)
    with FakeServer(config) as server:
        yield server


def test_the_tier_is_decided_as_for_basic(oidc_server: FakeServer) -> None:
    with connect(oidc_server, oauth2(oidc_server)) as admin:
        assert admin.tier is Tier.LOCAL
        assert (admin.user, admin.conditions.admin) == ("admin", True)
    with connect(oidc_server, oauth2(oidc_server, "user")) as user:
        assert user.tier is Tier.READ_ONLY
        assert (user.user, user.conditions.admin) == ("user", False)


def test_what_goes_on_the_wire(oidc_server: FakeServer) -> None:
    with connect(oidc_server, oauth2(oidc_server, scopes=["openid", "profile", "openid"])):
        pass
    requests = [(rq.method, rq.path) for rq, _ in oidc_server.log]
    assert requests[:2] == [
        ("GET", "/oidc/.well-known/openid-configuration"),
        ("POST", "/oidc/token"),
    ]
    grant = oidc_server.log[1][0]
    assert grant.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in grant.headers
    assert grant.form.to_dict() == {
        "grant_type": "password",
        "username": "admin",
        "password": "admin-pass",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": "openid profile",
    }
    token = json.loads(oidc_server.log[1][1].get_data())["access_token"]
    for request, _ in oidc_server.log[2:]:  # every request to the target carries it
        assert request.headers["Authorization"] == f"Bearer {token}"


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"password": "wrong"}, 400, "invalid_grant"),
        ({"username": "nobody"}, 400, "invalid_grant"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "another-app"}, 401, "invalid_client"),
        ({"scopes": ['"quoted"']}, 400, "invalid_scope"),
    ],
)
def test_refusals_are_authentication_errors_naming_the_oauth_error(
    oidc_server: FakeServer, changes: dict[str, Any], status: int, code: str
) -> None:
    with pytest.raises(client.AuthenticationError) as caught:
        connect(oidc_server, oauth2(oidc_server, **changes))
    error = caught.value
    assert (error.status, error.path) == (status, "/oidc/token")
    assert f"refused the password grant: {code}: " in str(error)
    assert oidc_server.issuer_url is not None and oidc_server.issuer_url in str(error)
    assert isinstance(error, client.ConnectFailedError)
    assert [rq.path for rq, _ in oidc_server.log][-1] == "/oidc/token"  # nothing retried


def test_the_issuer_is_verified_with_the_sessions_ca(oidc_server: FakeServer) -> None:
    with pytest.raises(client.TlsError, match=r"OAuth 2 discovery at .*certificate_authority"):
        client.Session.connect(oidc_server.url, authentication=oauth2(oidc_server))
    foreign = trustme.CA()
    with foreign.cert_pem.tempfile() as other_ca, pytest.raises(client.TlsError):
        client.Session.connect(
            oidc_server.url, authentication=oauth2(oidc_server), certificate_authority=other_ca
        )
    assert oidc_server.log == []  # refused in the handshake: no request was read


def test_a_wrong_issuer_url_is_a_clear_error(oidc_server: FakeServer) -> None:
    # a secured target asks who you are at a path it does not have: no document either way
    with pytest.raises(client.ProtocolError, match=r"401 .*\(is issuer_url right\?\)"):
        connect(oidc_server, oauth2(oidc_server, issuer_url=oidc_server.url + "/realms/x"))
    with FakeServer() as unsecured:
        with pytest.raises(client.ProtocolError, match=r"404 .*\(is issuer_url right\?\)"):
            connect(oidc_server, oauth2(oidc_server, issuer_url=unsecured.url + "/oidc"))
    with pytest.raises(client.ClientError, match="not an http\\(s\\) URL"):
        connect(oidc_server, oauth2(oidc_server, issuer_url="ftp://example.invalid/oidc"))


def test_an_unreachable_issuer(oidc_server: FakeServer) -> None:
    with FakeServer() as gone:
        url = gone.url
    with pytest.raises(client.ConnectFailedError, match="OAuth 2 discovery at http://127"):
        connect(oidc_server, oauth2(oidc_server, issuer_url=url + "/oidc"))


@pytest.fixture
def token_endpoint_down() -> Iterator[FakeServer]:
    yield from faulty(Fault("error", path="*/oidc/token", status=503, message="IdP down"))


def test_token_endpoint_down(token_endpoint_down: FakeServer) -> None:
    with pytest.raises(client.ServerError) as caught:
        connect(token_endpoint_down, oauth2(token_endpoint_down))
    assert not isinstance(caught.value, client.AuthenticationError)
    assert caught.value.status == 503
    assert "OAuth 2 token endpoint" in str(caught.value) and "IdP down" in str(caught.value)


@pytest.fixture
def token_endpoint_slow() -> Iterator[FakeServer]:
    yield from faulty(Fault("latency", path="*/oidc/token", delay=30))


def test_token_endpoint_slower_than_the_timeout(token_endpoint_slow: FakeServer) -> None:
    with pytest.raises(client.TimeoutError, match=r"OAuth 2 token endpoint .* within 0.3 s"):
        connect(token_endpoint_slow, oauth2(token_endpoint_slow), timeout=0.3)


@pytest.fixture
def slow_once() -> Iterator[FakeServer]:
    yield from faulty(Fault("latency", path="*/oidc/token", delay=0.2, times=1))


def test_a_slow_token_endpoint_within_the_timeout_connects(slow_once: FakeServer) -> None:
    with connect(slow_once, oauth2(slow_once), timeout=10) as session:
        assert session.tier is Tier.LOCAL


@pytest.fixture
def discovery_dropped() -> Iterator[FakeServer]:
    yield from faulty(Fault("drop", path="*/.well-known/openid-configuration"))


def test_discovery_dropped(discovery_dropped: FakeServer) -> None:
    with pytest.raises(client.ConnectFailedError, match=r"OAuth 2 discovery at .*closed"):
        connect(discovery_dropped, oauth2(discovery_dropped))


def test_a_rotated_key_fails_the_next_request(oidc_server: FakeServer) -> None:
    with connect(oidc_server, oauth2(oidc_server)) as session:
        oidc_server.rotate_signing_key()
        with pytest.raises(client.AuthenticationError, match="key the issuer does not publish"):
            session.ping()
    with connect(oidc_server, oauth2(oidc_server)) as fresh:  # a new connect: a new token
        fresh.ping()


def test_a_rotation_with_a_grace_period_keeps_sessions(oidc_server: FakeServer) -> None:
    with connect(oidc_server, oauth2(oidc_server)) as session:
        oidc_server.rotate_signing_key(keep_previous=True)
        session.ping()
        oidc_server.rotate_signing_key(keep_previous=True)  # the session's key is two back now
        with pytest.raises(client.AuthenticationError, match=r"invalid_token|invalid token"):
            session.ping()


def test_an_expired_token_is_refused_at_connect(oidc_server: FakeServer) -> None:
    token = oidc_server.issue_token("admin", expires_in=-3600)
    with pytest.raises(client.AuthenticationError, match="invalid token: the token has expired"):
        connect(oidc_server, client.TokenAuthentication(token))


def test_the_token_endpoint_may_live_on_another_origin(oidc_server: FakeServer) -> None:
    # An identity provider whose discovery names a token endpoint elsewhere.
    assert oidc_server.certificate_authority is not None
    with FakeServer(
        ServerConfig(tls=TlsConfig()), certificate_authority=oidc_server.certificate_authority
    ) as front:
        front.expect_request("/idp/.well-known/openid-configuration").respond_with_json(
            {"token_endpoint": f"{oidc_server.issuer_url}/token"}
        )
        with connect(oidc_server, oauth2(oidc_server, issuer_url=front.url + "/idp")) as session:
            assert session.tier is Tier.LOCAL


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "has no token_endpoint"),
        ({"token_endpoint": "not a url"}, "is not an http\\(s\\) URL"),
    ],
)
def test_a_discovery_document_without_a_usable_endpoint(
    open_server: FakeServer, document: dict[str, Any], message: str
) -> None:
    open_server.expect_request("/oidc/.well-known/openid-configuration").respond_with_json(document)
    auth = client.OAuth2ResourceOwnerPasswordAuthentication(
        username="a",
        password="b",
        client_id="c",
        client_secret="d",
        issuer_url=open_server.url + "/oidc",
    )
    with pytest.raises(client.ProtocolError, match=message):
        client.Session.connect(open_server.url, authentication=auth)


@pytest.mark.parametrize(
    "answer",
    [
        {"token_type": "Bearer"},
        {"access_token": "a b", "token_type": "Bearer"},
        {"access_token": "abc\n", "token_type": "Bearer"},
        {"access_token": "abc", "token_type": "Bearer\n"},
        {"access_token": "abc", "token_type": "Bearer\r\nX-Injected: 1"},
        {"access_token": "abc"},
    ],
)
def test_a_token_answer_that_cannot_become_a_header(
    open_server: FakeServer, answer: dict[str, Any]
) -> None:
    issuer = open_server.url + "/oidc"
    open_server.expect_request("/oidc/.well-known/openid-configuration").respond_with_json(
        {"token_endpoint": issuer + "/token"}
    )
    open_server.expect_request("/oidc/token", method="POST").respond_with_json(answer)
    auth = client.OAuth2ResourceOwnerPasswordAuthentication(
        username="a", password="b", client_id="c", client_secret="d", issuer_url=issuer
    )
    with pytest.raises(client.ProtocolError, match="no usable"):
        client.Session.connect(open_server.url, authentication=auth)


def test_in_process_the_issuer_shares_the_sessions_transport() -> None:
    server = FakeServer(ServerConfig(security=OIDC_SECURITY))  # never started: no socket
    auth = client.OAuth2ResourceOwnerPasswordAuthentication(
        username="admin",
        password="admin-pass",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        issuer_url="http://fake.test/oidc",
    )
    transport = httpx.WSGITransport(app=server.wsgi_app)
    with client.Session.connect(
        "http://fake.test", authentication=auth, transport=transport
    ) as session:
        assert session.tier is Tier.LOCAL


def test_credentials_are_never_printed() -> None:
    auth = client.OAuth2ResourceOwnerPasswordAuthentication(
        username="alice",
        password="pass-word",
        client_id="app",
        client_secret="the-secret",
        issuer_url="https://idp/oidc",
        scopes={"profile", "openid"},
    )
    shown = repr(auth)
    assert "pass-word" not in shown and "the-secret" not in shown
    assert "alice" in shown and "app" in shown and "https://idp/oidc" in shown
    assert auth.scopes == ("openid", "profile")  # a set, in a stable order
    assert replace(auth, scopes=["b", "a", "b"]).scopes == ("b", "a")
    with pytest.raises(TypeError, match="not a string"):
        replace(auth, scopes="openid profile")
    with pytest.raises(TypeError):
        client.OAuth2ResourceOwnerPasswordAuthentication("alice", "p", "c", "s", "u")  # type: ignore[call-arg]
