"""Host identity (``fakeserver.host``): this machine's, and the one a target reports (SPEC §4.5)."""

from __future__ import annotations

import httpx
import pytest

from fakeserver import FakeServer, ServerConfig
from fakeserver.host import HOST_ID_ENV, host_identity, reported_host
from fakeserver.protocol import ATOTI_PATH


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


def test_a_running_server_follows_the_host_id_override(
    open_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fakeserver_client as client

    monkeypatch.setenv(client.HOST_ID_ENV, "changed-while-running")
    body = httpx.get(open_server.url + ATOTI_PATH + "/session").json()
    assert body["host"]["id"] == "changed-while-running"
    with client.Session.connect(open_server.url) as session:
        assert session.conditions.same_host is True


def test_a_local_target_reports_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HOST_ID_ENV, raising=False)
    assert reported_host("local", seed=7) == host_identity()
    identity = host_identity()
    assert len(identity.id) == 32 and int(identity.id, 16) >= 0  # a digest, not the raw ids
    monkeypatch.setenv(HOST_ID_ENV, "  ")
    assert host_identity() == identity, "a blank override is no override"


def test_a_remote_target_is_another_host_per_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HOST_ID_ENV, raising=False)
    remote = reported_host("remote", seed=3)
    assert remote == reported_host("remote", seed=3)
    assert remote.id != host_identity().id and remote.name
    assert reported_host("remote", seed=4).id != remote.id


def test_a_remote_target_never_reports_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pin this machine's id to the very id seed 3's remote host would report.
    remote = reported_host("remote", seed=3)
    monkeypatch.setenv(HOST_ID_ENV, remote.id)
    assert host_identity().id == remote.id
    moved = reported_host("remote", seed=3)
    assert moved.id != remote.id and moved.name == remote.name
