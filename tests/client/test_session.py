"""The session (client/_session.py): expected versions, refusals, reprs, what only the
starting process has."""

from __future__ import annotations

import pytest

import fakeserver_client as client
from fakeserver import FakeServer, ServerConfig
from fakeserver_client import Capability, Tier

from ..conftest import SECURITY


def test_versions_the_client_expects_are_parameters() -> None:
    config = ServerConfig(security=SECURITY, server_version="6.1.3", python_api_version="0.9.3")
    with FakeServer(config) as server:
        auth = client.BasicAuthentication("admin", "admin-pass")
        with client.Session.connect(server.url, authentication=auth) as session:
            assert session.tier is Tier.MINIMAL
            assert session.conditions.same_server_version is False
        with client.Session.connect(
            server.url, authentication=auth, server_version="6.1.3", python_api_version="0.9.3"
        ) as session:
            assert session.tier is Tier.LOCAL


def test_refusal_names_capability_tier_and_unmet_conditions(secured_server: FakeServer) -> None:
    auth = client.BasicAuthentication("user", "user-pass")
    with client.Session.connect(secured_server.url, authentication=auth) as session:
        assert session.tier is Tier.READ_ONLY
        before = len(secured_server.log)
        with pytest.raises(client.LiveExtensionUnavailableError) as caught:
            session.require(Capability.CREATE_TABLE)
        assert str(caught.value) == (
            "create_table is not available: this session is READ_ONLY because "
            "admin (b): the credentials do not grant ROLE_ADMIN"
        )
        assert isinstance(caught.value, RuntimeError)
        assert len(secured_server.log) == before, "a refusal sends nothing"


def test_refusal_of_read_capabilities_is_not_a_live_extension_error() -> None:
    with FakeServer(ServerConfig(server_version="6.0.0", exposed=False)) as server:
        with client.Session.connect(server.url) as session:
            assert session.tier is Tier.MINIMAL
            assert session.conditions.secured is None
            with pytest.raises(client.CapabilityUnavailableError) as caught:
                session.require(Capability.TABLES_SCHEMA)
            assert not isinstance(caught.value, client.LiveExtensionUnavailableError)
            assert "same_server_version (e): the target runs Atoti Server 6.0.0, not 6.1.2" in str(
                caught.value
            )
            with pytest.raises(
                client.LiveExtensionUnavailableError, match=r"secured \(a\): unknown"
            ):
                session.require(Capability.SECURITY)


def test_members_of_the_starting_process_are_refused(open_server: FakeServer) -> None:
    with client.Session.connect(open_server.url) as session:
        for member in ("endpoint", "logs_path"):
            with pytest.raises(client.ClientError, match="process that started"):
                getattr(session, member)
        with pytest.raises(client.ClientError, match="process that started"):
            session.wait()
        assert session.link == open_server.url
        assert repr(session).endswith("READ_ONLY>")


def test_session_cannot_be_built_directly() -> None:
    with pytest.raises(TypeError, match="connect"):
        client.Session()


def test_a_session_that_failed_to_connect_still_has_a_repr(open_server: FakeServer) -> None:
    # Every failed connect's traceback shows the half-built session: its repr must not raise.
    open_server.expect_request("/versions/rest").respond_with_data("not json")
    with pytest.raises(client.ProtocolError) as caught:
        client.Session.connect(open_server.url)
    halves = [
        entry.locals["self"]
        for entry in caught.traceback
        if isinstance(entry.locals.get("self"), client.Session)
    ]
    assert halves, "the traceback shows the session being connected"
    assert repr(halves[0]) == f"<Session {open_server.url} not connected>"
    assert "raised in repr()" not in str(caught.getrepr(showlocals=True, funcargs=True))
    assert repr(object.__new__(client.Session)) == "<Session ? not connected>"


def test_a_closed_session_keeps_its_repr(open_server: FakeServer) -> None:
    session = client.Session.connect(open_server.url)
    session.close()
    assert repr(session) == f"<Session {open_server.url} READ_ONLY>"
