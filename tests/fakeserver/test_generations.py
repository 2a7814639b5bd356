"""The client↔server table of SPEC §4.6 (``fakeserver.generations``), pinned row by row."""

from __future__ import annotations

import pytest

from fakeserver.generations import (
    CLIENT_SERVER,
    DIALECTS,
    UnknownClientError,
    compatible,
    dialect_for,
    generation,
)

#: SPEC §4.6, copied by hand: a change to the table must change this too.
SPEC_TABLE = [
    ("0.9.0", None), ("0.9.1", "6.1.1"), ("0.9.2", "6.1.2"), ("0.9.3", "6.1.3"),
    ("0.9.4", "6.1.4"), ("0.9.5", "6.1.6"), ("0.9.6", "6.1.8"), ("0.9.7", "6.1.10"),
    ("0.9.8", "6.1.11"), ("0.9.9", "6.1.12"), ("0.9.10", "6.1.13"), ("0.9.11", "6.1.15"),
    ("0.9.12", "6.1.16"), ("0.9.13", "6.1.18"), ("0.9.14", "6.1.19"), ("0.9.15", "6.1.20"),
    ("0.9.16", "6.1.23"), ("6.2.0", "6.2.0"), ("6.2.1", "6.2.1"), ("6.2.2", "6.2.2"),
]  # fmt: skip


def test_the_table_is_the_specs() -> None:
    assert list(CLIENT_SERVER.items()) == SPEC_TABLE


@pytest.mark.parametrize(("client", "server"), SPEC_TABLE, ids=[c for c, _ in SPEC_TABLE])
def test_each_release_is_compatible_with_its_own_server_only(
    client: str, server: str | None
) -> None:
    found = generation(client)
    assert found.expected_server == server
    assert found.python_api_version == client
    assert compatible(client, found.server_version)
    assert compatible(client, "6.0.99") is (server is None)  # 0.9.0 checks nothing


@pytest.mark.parametrize(
    ("client", "snapshot"), [("0.9.1", False), ("0.9.2", False), ("0.9.3", True), ("6.2.2", True)]
)
def test_snapshots_are_compatible_from_0_9_3(client: str, snapshot: bool) -> None:
    assert compatible(client, "6.1.99-SNAPSHOT") is snapshot
    assert not compatible(client, "6.1.99-SNAPSHOTS")


def test_0_9_0_gets_the_server_it_shipped_with() -> None:
    assert generation("0.9.0").server_version == "6.1.0"


@pytest.mark.parametrize("client", ["6.2.3", "6.3.0", "6.10.1", "7.0.0"])
def test_a_release_newer_than_the_table_expects_its_own_server(client: str) -> None:
    # From 6.2.0 on each release expects the server of its own version number.
    found = generation(client)
    assert (found.expected_server, found.server_version) == (client, client)
    assert found.python_api_version == client
    assert found.dialect == DIALECTS[-1] == dialect_for(client)
    assert not found.listed
    assert compatible(client, client) and not compatible(client, "6.2.2")
    assert compatible(client, f"{client}-SNAPSHOT")
    assert found.caveat == (
        f"atoti-client {client} is not in fakeserver's release table yet (newest: 6.2.2); "
        f"emulating server {client}, as every release from 6.2.0 on expects the server of "
        "its own version, with the newest dialect (6.2.0)"
    )


def test_a_listed_release_has_nothing_to_say() -> None:
    assert all(generation(client).listed for client in CLIENT_SERVER)
    assert all(generation(client).caveat is None for client in CLIENT_SERVER)


@pytest.mark.parametrize("client", ["0.9.99", "0.8.0", "6.1.24", "6.3.0rc1", "6.3", "7"])
def test_an_unknown_release_below_6_2_0_or_not_a_release_is_refused(client: str) -> None:
    with pytest.raises(UnknownClientError, match="not a known release"):
        generation(client)


def test_an_unknown_release_lists_the_known_ones() -> None:
    with pytest.raises(UnknownClientError) as caught:
        generation("0.9.17")
    assert "atoti-client '0.9.17' is not a known release" in str(caught.value)
    assert "0.9.0, 0.9.1" in str(caught.value) and "6.2.2)" in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("server", "dialect"),
    [
        ("6.1.0", "6.1.4"), ("6.1.2", "6.1.4"), ("6.1.4", "6.1.4"), ("6.1.5", "6.1.4"),
        ("6.1.6", "6.1.6"), ("6.1.7", "6.1.6"), ("6.1.8", "6.1.8"), ("6.1.10", "6.1.8"),
        ("6.1.11", "6.1.11"), ("6.1.23", "6.1.11"), ("6.1.24-SNAPSHOT", "6.1.11"),
        ("6.2.0", "6.2.0"), ("6.2.2", "6.2.0"), ("7.0.0", "6.2.0"), ("not-a-version", "6.1.4"),
    ],
)  # fmt: skip
def test_dialects_follow_the_server_version(server: str, dialect: str) -> None:
    assert dialect_for(server).name == dialect


def test_what_each_release_observed_reads() -> None:
    assert not dialect_for(generation("0.9.4").server_version).database
    assert dialect_for(generation("0.9.5").server_version).database
    assert dialect_for(generation("0.9.4").server_version).typed_defaults
    assert not dialect_for(generation("0.9.5").server_version).typed_defaults
    assert not dialect_for(generation("0.9.7").server_version).database_api
    assert dialect_for(generation("0.9.8").server_version).database_api
    assert not dialect_for(generation("0.9.16").server_version).cubes
    assert dialect_for(generation("6.2.0").server_version).cubes
