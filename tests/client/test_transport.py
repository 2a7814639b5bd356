"""The thin client's HTTP side (client/_transport.py): typed failures, never a hang.

Every httpx failure becomes a ClientError that says what to do; a finite timeout bounds
every request; the connection goes where the URL says and nowhere else.
"""

from __future__ import annotations

import socket

import httpx
import pytest

import fakeserver_client as client
from fakeserver import FakeServer, ServerConfig
from fakeserver_client import Tier


def test_unreachable_target() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        with pytest.raises(client.ConnectFailedError, match="cannot reach"):
            client.Session.connect(f"http://127.0.0.1:{port}", timeout=2)


def test_authentication_errors_carry_the_message_and_are_not_retried(
    secured_server: FakeServer,
) -> None:
    with pytest.raises(client.AuthenticationError) as caught:
        client.Session.connect(
            secured_server.url, authentication=client.BasicAuthentication("admin", "wrong")
        )
    assert caught.value.status == 401 and caught.value.message == "Bad credentials"
    assert isinstance(caught.value, client.ConnectFailedError)
    pings = [r for r, _ in secured_server.log if r.path.endswith("/ping")]
    assert len(pings) == 1
    assert all(
        r.headers.get("Authorization", "").startswith("Basic ") for r, _ in secured_server.log
    )


def test_same_client_runs_in_process(secured_server: FakeServer) -> None:
    transport = httpx.WSGITransport(app=secured_server.wsgi_app)
    with client.Session.connect(
        "http://fake",
        authentication=client.TokenAuthentication("admin-token"),
        transport=transport,
    ) as session:
        assert session.tier is Tier.LOCAL
        session.ping()


def test_a_dropped_request_is_a_clear_error_not_a_hang() -> None:
    from fakeserver.config import Fault

    config = ServerConfig(faults=(Fault("drop", path="*/ping", times=1),))
    with FakeServer(config) as server:
        with pytest.raises(
            client.ConnectFailedError, match="closed the connection without answering GET"
        ):
            client.Session.connect(server.url, timeout=5)
        with client.Session.connect(server.url) as session:  # the fault fired once
            assert session.tier is Tier.READ_ONLY


def test_a_dropped_request_over_https_after_the_handshake_is_not_a_tls_error() -> None:
    from fakeserver import TlsConfig
    from fakeserver.config import Fault

    config = ServerConfig(tls=TlsConfig(), faults=(Fault("drop", path="*/ping"),))
    with FakeServer(config) as server:
        with pytest.raises(client.ConnectFailedError) as caught:
            client.Session.connect(server.url, certificate_authority=server.ca_path)
        assert not isinstance(caught.value, client.TlsError)
        assert "without answering GET" in str(caught.value)


def test_timeouts_are_finite_and_configurable() -> None:
    from fakeserver.config import Fault

    config = ServerConfig(faults=(Fault("latency", path="/versions/rest", delay=30),))
    with FakeServer(config) as server:
        with pytest.raises(client.TimeoutError, match=r"within 0.3 s"):
            client.Session.connect(server.url, timeout=0.3)
    defaults = client.Session.connect.__kwdefaults__
    assert defaults is not None and defaults["timeout"] == 10.0


def test_client_timeout_is_also_the_builtin() -> None:
    import builtins

    assert issubclass(client.TimeoutError, builtins.TimeoutError)
    assert issubclass(client.TimeoutError, client.ConnectFailedError)


def test_non_json_error_bodies_still_give_a_message(open_server: FakeServer) -> None:
    open_server.expect_request("/versions/rest").respond_with_data("upstream exploded", status=502)
    with pytest.raises(client.ServerError) as caught:
        client.Session.connect(open_server.url)
    assert caught.value.status == 502 and caught.value.message == "upstream exploded"


def test_an_upper_case_https_scheme_still_uses_the_ca(mtls_server: FakeServer) -> None:
    url = mtls_server.url.replace("https://", "HTTPS://")
    with client.Session.connect(
        url,
        certificate_authority=mtls_server.ca_path,
        authentication=client.ClientCertificate(*mtls_server.client_certificate("admin")),
    ) as session:
        assert session.user == "admin"


@pytest.mark.parametrize("suffix", ["?x=1", "#frag"])
def test_urls_with_a_query_or_fragment_are_refused(open_server: FakeServer, suffix: str) -> None:
    with pytest.raises(client.ClientError, match="without query or fragment"):
        client.Session.connect(open_server.url + "/" + suffix)
    with pytest.raises(client.ClientError, match="http"):
        client.Session.connect("ftp://127.0.0.1:1")


def test_ambient_proxies_are_ignored_unless_asked_for(
    open_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy nobody listens on: honouring it would make the connect fail.
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{unused.getsockname()[1]}"
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", "")
        with client.Session.connect(open_server.url) as session:
            assert session.tier is Tier.READ_ONLY
        with pytest.raises(client.ConnectFailedError):
            client.Session.connect(open_server.url, trust_env=True, timeout=2)
