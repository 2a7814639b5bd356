"""``ServerConfig`` (``fakeserver.config.target``): the whole target, its defaults, for_client."""

from __future__ import annotations

import pytest

from fakeserver import (
    ServerConfig,
)


def test_defaults_match_the_spec() -> None:
    config = ServerConfig()
    assert config.server_version == "6.1.2"
    assert config.python_api_version == "0.9.2"
    assert config.exposed is True
    assert config.host == "local"
    assert config.security is None and config.tls is None
    assert config.tables == () and config.cubes == ()
    assert config.seed == 0
    assert config.status_page is False, "the page is the command's, not the fixtures'"


def test_valid_versions_are_accepted() -> None:
    for version in ("6.1.2", "6.1", "6.1.2-SNAPSHOT", "0.9.2rc1", "10.0.0.1"):
        assert ServerConfig(server_version=version).server_version == version


def test_replace_validates_again() -> None:
    with pytest.raises(ValueError, match="server_version"):
        ServerConfig().replace(server_version="nope")
    with pytest.raises(ValueError, match=r"unexpected keyword|no_such"):
        ServerConfig().replace(no_such=1)


def test_for_client_emulates_the_releases_server() -> None:
    config = ServerConfig.for_client("0.9.16", exposed=False)
    assert (config.server_version, config.python_api_version) == ("6.1.23", "0.9.16")
    assert config.exposed is False
    assert ServerConfig.for_client("0.9.2") == ServerConfig()
    assert ServerConfig.for_client("6.2.2", server_version="6.2.2-SNAPSHOT").server_version == (
        "6.2.2-SNAPSHOT"
    )
    with pytest.raises(ValueError, match=r"'1\.0' is not a known release \(known releases"):
        ServerConfig.for_client("1.0")


def test_for_client_serves_a_release_newer_than_the_table_and_warns() -> None:
    with pytest.warns(UserWarning) as caught:
        config = ServerConfig.for_client("6.3.0", exposed=False)
    assert (config.server_version, config.python_api_version) == ("6.3.0", "6.3.0")
    assert config.exposed is False
    [warning] = caught
    assert str(warning.message).startswith(
        "atoti-client 6.3.0 is not in fakeserver's release table yet (newest: 6.2.2); "
        "emulating server 6.3.0"
    )
    assert warning.filename == __file__  # the caller's line, not fakeserver's
    for older in ("0.9.99", "0.8.0"):
        with pytest.raises(
            ValueError, match=r"is not a known release \(known releases are 0\.9\.0"
        ):
            ServerConfig.for_client(older)


def test_pivot_ids_default_to_nine_and_are_checked() -> None:
    assert ServerConfig().pivot_ids == ("9",)
    assert ServerConfig(pivot_ids=["9", "10"]).pivot_ids == ("9", "10")  # type: ignore[arg-type]
    assert ServerConfig(pivot_ids="10").pivot_ids == ("10",)  # type: ignore[arg-type]
    for bad in ((), ("",), ("9 10",), (9,)):
        with pytest.raises(ValueError, match="pivot_ids"):
            ServerConfig(pivot_ids=bad)  # type: ignore[arg-type]
    round_trip = ServerConfig(pivot_ids=("9", "9zz1"))
    assert ServerConfig.from_mapping(round_trip.to_mapping()) == round_trip
