"""HTTPS and mTLS with certificates minted at run time; every success has its failing twin."""

from __future__ import annotations

import os
import ssl
import stat
from pathlib import Path

import httpx
import pytest
import trustme

import fakeserver_client as client
from fakeserver import FakeServer, ServerConfig, TlsConfig
from fakeserver.protocol import ATOTI_PATH, PIVOT_PATH

from ..conftest import SECURITY


@pytest.fixture
def foreign_ca(tmp_path: Path) -> str:
    path = tmp_path / "foreign-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


def context(ca: str, cert: tuple[str, str] | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca)
    if cert is not None:
        ctx.load_cert_chain(*cert)
    return ctx


def test_https_with_the_server_ca(mtls_server: FakeServer) -> None:
    assert mtls_server.url.startswith("https://127.0.0.1:")
    assert mtls_server.ca_path is not None and Path(mtls_server.ca_path).is_file()
    with httpx.Client(verify=context(mtls_server.ca_path)) as http:
        assert http.get(mtls_server.url + "/versions/rest").status_code == 200


def test_https_with_a_foreign_ca_fails(mtls_server: FakeServer, foreign_ca: str) -> None:
    with httpx.Client(verify=context(foreign_ca)) as http, pytest.raises(httpx.ConnectError):
        http.get(mtls_server.url + "/versions/rest")


def test_client_certificate_identifies_the_user(mtls_server: FakeServer) -> None:
    assert mtls_server.ca_path is not None
    for user, admin in (("admin", True), ("user", False)):
        cert = mtls_server.client_certificate(user)
        with httpx.Client(verify=context(mtls_server.ca_path, cert)) as http:
            body = http.get(mtls_server.url + ATOTI_PATH + "/session").json()
        assert body["user"]["name"] == user
        assert ("ROLE_ADMIN" in body["user"]["roles"]) is admin


def test_certificate_for_an_unknown_user_is_401(mtls_server: FakeServer) -> None:
    assert mtls_server.ca_path is not None
    cert = mtls_server.client_certificate("nobody")
    with httpx.Client(verify=context(mtls_server.ca_path, cert)) as http:
        response = http.get(mtls_server.url + PIVOT_PATH + "/ping")
    assert response.status_code == 401


def assert_refused(server: FakeServer, leaf: trustme.LeafCert, tmp_path: Path) -> None:
    """A client presenting ``leaf`` cannot get an answer from ``server``."""
    assert server.ca_path is not None
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    with httpx.Client(verify=context(server.ca_path, (str(cert), str(key)))) as http:
        with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
            http.get(server.url + PIVOT_PATH + "/ping")


def test_untrusted_client_certificate_is_refused(mtls_server: FakeServer, tmp_path: Path) -> None:
    assert mtls_server.ca_path is not None
    assert_refused(mtls_server, trustme.CA().issue_cert("admin", common_name="admin"), tmp_path)
    # ... and the server keeps serving everyone else.
    with httpx.Client(verify=context(mtls_server.ca_path)) as http:
        assert http.get(mtls_server.url + "/versions/rest").status_code == 200


def test_optional_mode_falls_back_to_header_auth(mtls_server: FakeServer) -> None:
    assert mtls_server.ca_path is not None
    with httpx.Client(verify=context(mtls_server.ca_path)) as http:
        assert http.get(mtls_server.url + PIVOT_PATH + "/ping").status_code == 401
        ok = http.get(
            mtls_server.url + PIVOT_PATH + "/ping", headers={"Authorization": "Bearer user-token"}
        )
        assert ok.text == "pong"


def test_required_mode_refuses_connections_without_certificate() -> None:
    config = ServerConfig(security=SECURITY, tls=TlsConfig("required"))
    with FakeServer(config) as server:
        assert server.ca_path is not None
        with httpx.Client(verify=context(server.ca_path)) as http:
            with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
                http.get(server.url + "/versions/rest")
        with httpx.Client(
            verify=context(server.ca_path, server.client_certificate("user"))
        ) as http:
            assert http.get(server.url + PIVOT_PATH + "/ping").text == "pong"


def test_none_mode_ignores_client_certificates() -> None:
    config = ServerConfig(security=SECURITY, tls=TlsConfig("none"))
    with FakeServer(config) as server:
        assert server.ca_path is not None
        with httpx.Client(
            verify=context(server.ca_path, server.client_certificate("admin"))
        ) as http:
            # The certificate is not asked for, so it identifies nobody.
            assert http.get(server.url + PIVOT_PATH + "/ping").status_code == 401


def test_client_certificate_needs_tls(open_server: FakeServer) -> None:
    with pytest.raises(Exception, match="tls"):
        open_server.client_certificate("admin")
    assert open_server.ca_path is None


def test_thin_client_tls_errors_name_certificate_authority(
    mtls_server: FakeServer, foreign_ca: str
) -> None:
    with pytest.raises(client.TlsError, match="certificate_authority"):
        client.Session.connect(mtls_server.url)
    with pytest.raises(client.TlsError, match="certificate_authority"):
        client.Session.connect(mtls_server.url, certificate_authority=foreign_ca)
    with client.Session.connect(
        mtls_server.url,
        certificate_authority=mtls_server.ca_path,
        authentication=client.ClientCertificate(*mtls_server.client_certificate("admin")),
    ) as session:
        assert session.user == "admin" and session.conditions.admin is True


def test_tls_files_are_removed_at_stop() -> None:
    with FakeServer(ServerConfig(tls=TlsConfig())) as server:
        assert server.ca_path is not None
        ca = Path(server.ca_path)
        cert, _ = server.client_certificate("someone")
        assert ca.exists() and Path(cert).exists()
    assert not ca.exists() and not Path(cert).exists()


def test_restart_keeps_the_ca_and_url(mtls_server: FakeServer) -> None:
    assert mtls_server.ca_path is not None
    url, ca = mtls_server.url, mtls_server.ca_path
    cert = mtls_server.client_certificate("admin")
    mtls_server.restart()
    assert mtls_server.url == url and mtls_server.ca_path == ca
    with httpx.Client(verify=context(ca, cert)) as http:
        assert http.get(url + PIVOT_PATH + "/ping").text == "pong"


@pytest.mark.parametrize(
    ("not_before", "not_after"),
    [
        (-30, -1),  # expired yesterday
        (1, 30),  # valid from tomorrow
    ],
    ids=["expired", "not_yet_valid"],
)
def test_client_certificates_outside_their_validity_are_refused(
    mtls_server: FakeServer, tmp_path: Path, not_before: int, not_after: int
) -> None:
    import datetime

    assert mtls_server.ca_path is not None
    now = datetime.datetime.now(datetime.timezone.utc)
    authority = mtls_server.certificate_authority
    assert authority is not None
    leaf = authority.issue_cert(
        "admin",
        common_name="admin",
        not_before=now + datetime.timedelta(days=not_before),
        not_after=now + datetime.timedelta(days=not_after),
    )
    assert_refused(mtls_server, leaf, tmp_path)
    # The same CA's valid certificate still works: the refusal was about validity.
    with httpx.Client(
        verify=context(mtls_server.ca_path, mtls_server.client_certificate("admin"))
    ) as http:
        assert http.get(mtls_server.url + PIVOT_PATH + "/ping").text == "pong"


def test_certificate_names_cover_loopback_and_a_specific_bind_host() -> None:
    from fakeserver.tls import _server_names

    assert _server_names("127.0.0.1") == ["127.0.0.1", "localhost", "::1"]
    assert _server_names("192.0.2.7")[-1] == "192.0.2.7"  # never bound: names only
    assert len(_server_names("0.0.0.0")) == 4
    with FakeServer(ServerConfig(tls=TlsConfig())) as server:
        assert server.certificate_names == ("127.0.0.1", "localhost", "::1")
    with FakeServer() as plain:
        assert plain.certificate_names == ()


def test_a_failed_bind_leaves_no_key_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = FakeServer(ServerConfig(tls=TlsConfig()), port=taken.getsockname()[1])
        with pytest.raises(OSError):
            server.start()
    assert list(tmp_path.iterdir()) == []
    assert not server.is_running()


def test_client_certificates_are_issued_once_per_user(mtls_server: FakeServer) -> None:
    first = mtls_server.client_certificate("admin")
    assert mtls_server.client_certificate("admin") == first
    other = mtls_server.client_certificate("user")
    assert len({*first, *other}) == 4, "distinct files per user"
    same_name = mtls_server.client_certificate("user_1"), mtls_server.client_certificate("user 1")
    assert same_name[0] != same_name[1], "users whose names sanitise alike never share files"


def test_keys_are_private_and_certificates_public(mtls_server: FakeServer) -> None:
    # Before: the key was written 0644 by trustme and the certificate 0600 by mkstemp.
    cert, key = mtls_server.client_certificate("admin")
    assert mtls_server.ca_path is not None
    modes = [stat.S_IMODE(os.stat(path).st_mode) for path in (key, cert, mtls_server.ca_path)]
    assert modes == [0o600, 0o644, 0o644]
    directory = stat.S_IMODE(os.stat(Path(key).parent).st_mode)
    assert directory == 0o700, "and only their owner may reach them"


# -- servers given one CA share what it issued -----------------------------------------------


def test_servers_of_one_ca_share_their_context_and_files() -> None:
    ca = trustme.CA()
    optional = ServerConfig(security=SECURITY, tls=TlsConfig("optional"))
    with (
        FakeServer(optional, certificate_authority=ca) as one,
        FakeServer(optional, certificate_authority=ca) as two,
        FakeServer(ServerConfig(tls=TlsConfig()), certificate_authority=ca) as no_client,
        FakeServer(optional) as own_ca,
    ):
        assert one.ssl_context is two.ssl_context, "issued and loaded once per CA and mode"
        assert no_client.ssl_context is not one.ssl_context
        assert own_ca.ssl_context is not one.ssl_context
        assert one.ca_path == two.ca_path == no_client.ca_path != own_ca.ca_path
        cert = one.client_certificate("admin")
        assert two.client_certificate("admin") == cert
        for server in (one, two):  # the shared files work for each, and prove the user
            assert one.ca_path is not None
            with httpx.Client(verify=context(one.ca_path, cert)) as http:
                answer = http.get(server.url + ATOTI_PATH + "/session")
            assert answer.json()["user"]["name"] == "admin"
        # ... and another CA's server, whose CA is not trusted for clients, refuses them.
        assert own_ca.ca_path is not None
        with httpx.Client(verify=context(own_ca.ca_path, cert)) as http:
            with pytest.raises(httpx.TransportError):
                http.get(own_ca.url + ATOTI_PATH + "/session")


def test_shared_files_outlive_a_server_and_go_with_their_ca() -> None:
    import gc

    ca = trustme.CA()
    with FakeServer(ServerConfig(tls=TlsConfig()), certificate_authority=ca) as server:
        assert server.ca_path is not None
        shared = Path(server.ca_path)
        cert, _ = server.client_certificate("admin")
    assert shared.is_file() and Path(cert).is_file(), "the next server of this CA uses them"
    del ca, server
    gc.collect()
    assert not shared.parent.exists()
