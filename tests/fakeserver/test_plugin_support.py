"""The plugin's decisions as plain functions (``fakeserver.plugin_support``).

Version precedence, ``fake_server`` and ``fake_scenarios`` markers merged closest last,
and the scenario tally of the terminal summary: no pytest run needed to check them.
"""

from __future__ import annotations

import pytest

from fakeserver import ServerConfig
from fakeserver.plugin_support import (
    FixtureConfigError,
    ScenarioTally,
    resolve_versions,
    scenario_filter,
    server_config,
)


def test_resolve_versions_precedence() -> None:
    option = {"--fake-server-version": "6.0.3", "--fake-python-api-version": None}
    env = {"FAKESERVER_SERVER_VERSION": "6.0.2", "FAKESERVER_PYTHON_API_VERSION": ""}
    ini = {"fake_server_version": "6.0.1", "fake_python_api_version": "0.8.1"}
    versions = resolve_versions(option, env, ini)
    assert versions.fields() == {"server_version": "6.0.3", "python_api_version": "0.8.1"}
    assert versions.server_version.source == "--fake-server-version"
    assert versions.python_api_version.source == "ini fake_python_api_version"
    assert resolve_versions({}, env, {}).server_version.source == "env FAKESERVER_SERVER_VERSION"
    assert resolve_versions({}, {}, {}).fields() == {
        "server_version": "6.1.2",
        "python_api_version": "0.9.2",
    }
    with pytest.raises(FixtureConfigError, match=r"^ini fake_server_version: server_version: "):
        resolve_versions({}, {}, {"fake_server_version": "six"})


def test_server_config_merges_marks_closest_last() -> None:
    defaults = {"server_version": "6.0.3"}
    config = server_config(defaults, [((), {"seed": 1, "exposed": False}), ((), {"seed": 2})])
    assert (config.server_version, config.seed, config.exposed) == ("6.0.3", 2, False)
    whole = server_config(defaults, [((), {"seed": 1}), ((ServerConfig(host="remote"),), {})])
    assert whole == ServerConfig(host="remote")
    with pytest.raises(
        FixtureConfigError, match=r"^fake_server: config must be a ServerConfig or "
    ):
        server_config(defaults, [(("6.0.0",), {})])


def test_server_config_takes_config_as_a_keyword_too() -> None:
    # The marker's help promises fake_server(config=None, **fields): both forms are the same.
    defaults = {"server_version": "6.0.3"}
    farther = ((), {"seed": 1, "exposed": False})
    keyword = server_config(defaults, [farther, ((), {"config": ServerConfig(host="remote")})])
    positional = server_config(defaults, [farther, ((ServerConfig(host="remote"),), {})])
    assert keyword == positional == ServerConfig(host="remote")
    with_fields = server_config(defaults, [farther, ((), {"config": ServerConfig(), "seed": 4})])
    assert with_fields == ServerConfig(seed=4)
    none = server_config(defaults, [farther, ((), {"config": None, "seed": 5})])
    assert (none.server_version, none.seed, none.exposed) == ("6.0.3", 5, False)
    assert server_config(defaults, [farther, ((None,), {})]) == server_config(defaults, [farther])
    with pytest.raises(FixtureConfigError, match=r"^fake_server: config given twice"):
        server_config(defaults, [((ServerConfig(),), {"config": ServerConfig()})])
    with pytest.raises(FixtureConfigError, match=r"^fake_server: takes at most one ServerConfig"):
        server_config(defaults, [((ServerConfig(), ServerConfig()), {})])
    with pytest.raises(FixtureConfigError, match=r"^fake_server: config must be .* not dict$"):
        server_config(defaults, [((), {"config": {"seed": 1}})])


def test_scenario_filter_merges_and_validates() -> None:
    chosen = scenario_filter([((), {"tiers": "LOCAL", "auth": ["basic"]}), ((), {"auth": None})])
    assert (chosen.tiers, chosen.auth) == (("LOCAL",), None)
    assert scenario_filter([((), {"tiers": [None, "REMOTE"]})]).tiers == ("FAILURE", "REMOTE")
    with pytest.raises(FixtureConfigError, match="keywords only"):
        scenario_filter([(("LOCAL",), {})])


def test_tally_keeps_the_worst_outcome_per_test() -> None:
    tally = ScenarioTally()
    props = [
        ("fake_scenario", "s1"),
        ("fake_scenario_tier", "LOCAL"),
        ("fake_scenario_auth", "basic"),
    ]
    for when, outcome in (("setup", "passed"), ("call", "passed"), ("teardown", "failed")):
        tally.record("t.py::a[s1]", when, outcome, props)
    tally.record("t.py::b[s1]", "setup", "skipped", props)
    tally.record("t.py::c", "call", "failed", [("other", "x")])
    lines = tally.lines()
    assert lines[0] == "scenario runs: 2 (1 failed, 1 skipped)"
    assert lines[-1] == "  s1 (LOCAL, basic): t.py::a[s1]"
    assert ScenarioTally().lines() == []


def test_the_atoti_client_setting_fills_only_unset_versions() -> None:
    from fakeserver.plugin_support import CLIENT_SETTING

    derived = resolve_versions({CLIENT_SETTING.option: "0.9.16"}, {}, {})
    assert derived.fields() == {"server_version": "6.1.23", "python_api_version": "0.9.16"}
    assert derived.server_version.source == "--fake-atoti-client: atoti-client 0.9.16"
    # An explicit version, from any source, beats the one derived from the client.
    env = {"FAKESERVER_SERVER_VERSION": "6.1.2"}
    mixed = resolve_versions({}, {**env, CLIENT_SETTING.env: "6.2.2"}, {})
    assert mixed.fields() == {"server_version": "6.1.2", "python_api_version": "6.2.2"}
    # The client setting itself: option > env > ini.
    chosen = resolve_versions(
        {CLIENT_SETTING.option: "0.9.5"},
        {CLIENT_SETTING.env: "0.9.8"},
        {CLIENT_SETTING.ini: "0.9.11"},
    )
    assert chosen.python_api_version.value == "0.9.5"
    assert resolve_versions({}, {}, {CLIENT_SETTING.ini: "0.9.11"}).server_version.value == "6.1.15"
    with pytest.raises(FixtureConfigError, match="ini fake_atoti_client: atoti-client '9' is not"):
        resolve_versions({}, {}, {CLIENT_SETTING.ini: "9"})


def test_auto_reads_the_installed_client_from_package_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.metadata

    from fakeserver.plugin_support import CLIENT_SETTING

    def installed(name: str) -> str:
        if name != "atoti-client":
            raise importlib.metadata.PackageNotFoundError(name)
        return "0.9.11"

    monkeypatch.setattr(importlib.metadata, "version", installed)
    versions = resolve_versions({CLIENT_SETTING.option: "auto"}, {}, {})
    assert versions.fields() == {"server_version": "6.1.15", "python_api_version": "0.9.11"}
    assert "auto: atoti-client 0.9.11" in versions.server_version.source

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    with pytest.raises(FixtureConfigError, match="auto needs atoti-client installed"):
        resolve_versions({CLIENT_SETTING.option: "auto"}, {}, {})
