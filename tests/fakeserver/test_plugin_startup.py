"""What the plugin needs at start-up (``fakeserver.plugin_startup``), and what it costs.

Every pytest run of a project with fakeserver installed loads the plugin module: loading it
must not import the server, TLS, faker or the client. Checked in a fresh interpreter (this
process has everything loaded already) and at the end of a real pytest run.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fakeserver.plugin_startup import (
    CLIENT_SETTING,
    UNSECURED_DEFAULT,
    FixtureConfigError,
    ScenarioKey,
    ScenarioTally,
    header_lines,
    resolve_versions,
    scenario_properties,
)

#: Modules (and their submodules) the plugin must not load before a fake_* fixture is used.
HEAVY = (
    "faker",
    "trustme",
    "cryptography",
    "httptools",
    "httpx",
    "jwt",
    "graphql",
    "werkzeug",
    "pytest_httpserver",
    "fakeserver_client",
    "fakeserver.app",
    "fakeserver.config",
    "fakeserver.graphql",
    "fakeserver.mdx",
    "fakeserver.model",
    "fakeserver.oidc",
    "fakeserver.plugin_support",
    "fakeserver.pool",
    "fakeserver.routes",
    "fakeserver.scenarios.catalog",
    "fakeserver.scenarios.live",
    "fakeserver.server",
    "fakeserver.serving",
    "fakeserver.tls",
)


def heavy_in(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def loaded_after(code: str) -> list[str]:
    """``sys.modules`` of a fresh interpreter after running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    modules: list[str] = json.loads(result.stdout.splitlines()[-1])
    return modules


def test_loading_the_plugin_module_imports_nothing_heavy() -> None:
    modules = loaded_after("import pytest\nimport fakeserver.plugin")
    assert "fakeserver.plugin" in modules
    assert heavy_in(modules) == []


def test_import_fakeserver_alone_is_lean() -> None:
    modules = loaded_after("import fakeserver")
    assert heavy_in(modules) == []
    assert "pytest" not in modules


def test_the_check_sees_a_heavy_import() -> None:
    # The check above must be able to fail: a fixture's first use loads the server.
    modules = loaded_after("import fakeserver.plugin\nimport fakeserver.plugin_support")
    assert {"fakeserver.server", "werkzeug", "pytest_httpserver", "trustme"} <= set(
        heavy_in(modules)
    )


#: Written by the inner run's conftest at the very end of the run.
MODULES_AT_EXIT = """
import json
import sys


def pytest_unconfigure(config):
    with open("modules.json", "w") as out:
        json.dump(sorted(sys.modules), out)
"""

#: The other plugins that an environment with fakeserver has, which load their own modules
#: (faker's plugin imports faker, pytest-httpserver's imports werkzeug): blocked so that what
#: is left is what fakeserver's plugin loaded.
OTHER_PLUGINS = ("faker", "pytest_httpserver", "hypothesispytest", "anyio", "xdist")


def test_a_run_that_uses_no_fake_fixture_loads_nothing_heavy(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(MODULES_AT_EXIT)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", [1, 2])
        def test_plain(n):
            assert n

        def test_not_a_fake(tmp_path):
            assert tmp_path.exists()
        """
    )
    blocked = [arg for name in OTHER_PLUGINS for arg in ("-p", f"no:{name}")]
    result = pytester.runpytest_subprocess(*blocked, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["fakeserver: server version 6.1.2 (default)*", UNSECURED_DEFAULT])
    modules: list[str] = json.loads((pytester.path / "modules.json").read_text())
    assert "fakeserver.plugin" in modules, "the plugin was not loaded: the check checks nothing"
    assert heavy_in(modules) == []


def test_a_fake_fixture_loads_the_rest_on_first_use(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(MODULES_AT_EXIT)
    pytester.makepyfile("def test_uses(fake_server):\n    assert fake_server.is_running()\n")
    blocked = [arg for name in OTHER_PLUGINS for arg in ("-p", f"no:{name}")]
    result = pytester.runpytest_subprocess(*blocked, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    modules = json.loads((pytester.path / "modules.json").read_text())
    assert {"fakeserver.server", "fakeserver.pool", "werkzeug"} <= set(modules)


# -- the decisions ---------------------------------------------------------------------------


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


def test_the_atoti_client_setting_fills_only_unset_versions() -> None:
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


def test_auto_with_a_release_newer_than_the_table_runs_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "version", lambda name: "6.2.3")
    versions = resolve_versions({CLIENT_SETTING.option: "auto"}, {}, {})
    assert versions.fields() == {"server_version": "6.2.3", "python_api_version": "6.2.3"}
    header = header_lines(versions)
    assert header[0] == (
        "fakeserver: server version 6.2.3 (--fake-atoti-client=auto: atoti-client 6.2.3), "
        "python API version 6.2.3 (--fake-atoti-client=auto: atoti-client 6.2.3)"
    )
    assert header[1] == (
        "fakeserver: atoti-client 6.2.3 is not in fakeserver's release table yet (newest: "
        "6.2.2); emulating server 6.2.3, as every release from 6.2.0 on expects the server "
        "of its own version, with the newest dialect (6.2.0)"
    )
    assert len(header) == 3
    # Below 6.2.0, an unknown release still stops the run, listing the known ones.
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.9.99")
    with pytest.raises(FixtureConfigError, match=r"=auto: atoti-client '0\.9\.99' is not a kn"):
        resolve_versions({CLIENT_SETTING.option: "auto"}, {}, {})


def test_header_names_the_sources_and_the_security_default() -> None:
    versions = resolve_versions({}, {"FAKESERVER_SERVER_VERSION": "6.1.3"}, {})
    assert header_lines(versions) == [
        "fakeserver: server version 6.1.3 (env FAKESERVER_SERVER_VERSION), "
        "python API version 0.9.2 (default)",
        "fakeserver: fake_server default: unsecured (security=None); "
        "secure it with @pytest.mark.fake_server(security=SecurityConfig(...))",
    ]


def test_a_scenario_key_carries_what_the_summary_reports() -> None:
    key = ScenarioKey("basic-admin-same_api-local_host", "6.1.2", "0.9.2", "LOCAL", "basic")
    assert scenario_properties(key) == [
        ("fake_scenario", "basic-admin-same_api-local_host"),
        ("fake_scenario_tier", "LOCAL"),
        ("fake_scenario_auth", "basic"),
    ]


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
