"""The plugin's decisions once a fixture is used, as plain functions (``plugin_support``).

``fake_server`` and ``fake_scenarios`` markers merged closest last, the scenario parameters,
and the hint about an unsecured target: no pytest run needed to check them.
"""

from __future__ import annotations

import base64
import ssl
from collections.abc import Iterator

import httpx
import pytest

import fakeserver_client as client
from fakeserver import FakeServer, SecurityConfig, ServerConfig, TlsConfig, User, scenarios
from fakeserver.plugin_startup import FixtureConfigError, resolve_versions
from fakeserver.plugin_support import (
    ScenarioFilter,
    scenario_filter,
    scenario_for,
    scenario_keys,
    security_hint,
    server_config,
)


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


def test_scenario_filter_checks_versions() -> None:
    assert scenario_filter([((), {"server_version": "6.1.3"})]).server_version == "6.1.3"
    with pytest.raises(FixtureConfigError, match=r"^fake_scenarios: server_version: 'six' is not"):
        scenario_filter([((), {"server_version": "six"})])


# -- the scenario parameters -----------------------------------------------------------------


def test_scenario_keys_cover_the_matrix_with_servers_grouped() -> None:
    keys = scenario_keys(resolve_versions({}, {}, {}), ScenarioFilter())
    matrix = scenarios.matrix()
    assert sorted(k.name for k in keys) == sorted(s.name for s in matrix)
    # Each config's scenarios are next to each other: one run of them, not several.
    configs = [repr(scenario_for(k).config) for k in keys]
    runs = [c for i, c in enumerate(configs) if i == 0 or configs[i - 1] != c]
    assert len(runs) == len(set(configs)) < len(keys)
    # Otherwise the matrix order: the first scenario of each run comes in matrix order.
    position = {s.name: i for i, s in enumerate(matrix)}
    starts = [i for i in range(len(keys)) if i == 0 or configs[i - 1] != configs[i]]
    firsts = [position[keys[i].name] for i in starts]
    assert firsts == sorted(firsts)
    for key in keys:
        scenario = scenario_for(key)
        assert (key.tier, key.auth) == (scenario.expected_tier or "FAILURE", scenario.auth)


def test_scenario_keys_follow_the_filter_and_the_versions() -> None:
    versions = resolve_versions({"--fake-server-version": "6.1.3"}, {}, {})
    keys = scenario_keys(versions, ScenarioFilter(tiers=("LOCAL",), auth=("basic",)))
    expected = scenarios.select(scenarios.matrix("6.1.3"), tiers=["LOCAL"], auth=["basic"])
    assert {k.name for k in keys} == {s.name for s in expected} != set()
    assert {(k.server_version, k.tier, k.auth) for k in keys} == {("6.1.3", "LOCAL", "basic")}


# -- the hint about an unsecured target ------------------------------------------------------

ADMIN = User("admin", "passwd", roles=frozenset({"ROLE_USER", "ROLE_ADMIN"}))
READER = User("reader", "passwd", roles=frozenset({"ROLE_USER"}))
BASIC = "Basic " + base64.b64encode(b"admin:passwd").decode()


@pytest.fixture
def unsecured() -> Iterator[FakeServer]:
    with FakeServer(ServerConfig()) as server:
        yield server


@pytest.fixture
def secured() -> Iterator[FakeServer]:
    with FakeServer(ServerConfig(security=SecurityConfig(users=(ADMIN, READER)))) as server:
        yield server


def refusal(server: FakeServer, user: str = "admin") -> client.CapabilityUnavailableError:
    """The thin client's own refusal, from a real session of ``user`` on ``server``."""
    auth = client.BasicAuthentication(user, "passwd")
    with client.Session.connect(server.url, authentication=auth) as session:
        with pytest.raises(client.CapabilityUnavailableError) as raised:
            session.create_table("t", data_types={"id": "int"})
    return raised.value


def test_hint_after_credentials_sent_to_an_unsecured_target(unsecured: FakeServer) -> None:
    httpx.get(unsecured.url + "/versions/rest", headers={"Authorization": BASIC})
    hint = security_hint([unsecured], AssertionError("READ_ONLY != LOCAL"))
    assert hint is not None
    assert hint.startswith(
        f"The fake target ({unsecured.url}) was unsecured, and the test sent it credentials"
    )
    assert "@pytest.mark.fake_server(security=SecurityConfig(users=[ADMIN]))" in hint


def test_hint_after_a_refused_live_extension_capability(unsecured: FakeServer) -> None:
    error = refusal(unsecured)
    assert isinstance(error, client.LiveExtensionUnavailableError)
    hint = security_hint([unsecured], error)
    assert hint is not None
    assert "needs one (LiveExtensionUnavailableError: create_table is not available" in hint


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("Live extension is not available"),  # the real atoti-client's wording
        ValueError("wrapped"),  # ... raised from such an error
    ],
)
def test_hint_for_the_wording_of_other_clients(unsecured: FakeServer, error: Exception) -> None:
    if isinstance(error, ValueError):
        error.__cause__ = RuntimeError("Live extension is not available")
    assert security_hint([unsecured], error) is not None


def test_no_hint_for_a_secured_target(secured: FakeServer) -> None:
    httpx.get(secured.url + "/versions/rest", headers={"Authorization": BASIC})
    # A secured target that refuses a user who is not an admin: a role problem, not this one.
    assert security_hint([secured], refusal(secured, "reader")) is None
    assert security_hint([secured], RuntimeError("Live extension is not available")) is None


def test_no_hint_when_nothing_points_to_security(unsecured: FakeServer) -> None:
    httpx.get(unsecured.url + "/versions/rest")  # anonymous: what an unsecured target expects
    assert security_hint([unsecured], AssertionError("1 != 2")) is None
    assert security_hint([], RuntimeError("Live extension is not available")) is None


def test_hint_after_a_client_certificate_sent_to_an_unsecured_target() -> None:
    with FakeServer(ServerConfig(tls=TlsConfig("optional"))) as server:
        assert server.ca_path is not None
        cert = server.client_certificate("admin")
        trust = ssl.create_default_context(cafile=server.ca_path)
        trust.load_cert_chain(*cert)
        with httpx.Client(verify=trust) as http:
            http.get(server.url + "/versions/rest")
        hint = security_hint([server], AssertionError("tier"))
    assert hint is not None and "sent it credentials" in hint
