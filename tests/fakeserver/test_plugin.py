"""The pytest plugin, through real downstream test files run by ``pytester``.

The documentation's examples (tutorial, how-to guides) run in ``tests/docs``, alone and
all together under pytest-xdist.
"""

from __future__ import annotations

import importlib
import re
import textwrap

import httpcore  # noqa: F401 - see below
import pytest

from fakeserver import scenarios

# In-process pytester runs drop the modules first imported during the run. httpx imports
# httpcore lazily and caches its exception classes: were httpcore first imported in a run,
# the next run's httpcore errors would no longer map to httpx's (raw httpcore.ReadTimeout).
# Likewise the plugin loads its fixtures' modules on first use: imported here, once, they
# outlive every inner run (else a second run would make a second LiveScenario class).
for _module in ("fakeserver.plugin_support", "fakeserver.pool", "fakeserver.scenarios.live"):
    importlib.import_module(_module)

# hypothesis' plugin imports hypothesis (~1 s) in every in-process run: not what is tested.
QUIET = ("-p", "no:hypothesispytest")
STRICT = (*QUIET, "--strict-markers", "-W", "error")
VERSION_ENV = ("FAKESERVER_SERVER_VERSION", "FAKESERVER_PYTHON_API_VERSION")


@pytest.fixture(autouse=True)
def _no_version_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    # A tox factor may set these for the outer run; inner runs choose their own.
    for name in VERSION_ENV:
        monkeypatch.delenv(name, raising=False)


def matrix_runs(**selection: list[str]) -> list[scenarios.Scenario]:
    return scenarios.select(scenarios.matrix(), **selection)


# -- names, markers, options -----------------------------------------------------------------

PLUGIN_FIXTURES = {
    "fake_server",
    "fake_server_config",
    "fake_server_factory",
    "fake_scenario",
    "fake_certificate_authority",
    "fake_client_certificate",
    "fake_server_pool",
}


def test_every_fixture_is_prefixed(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*QUIET, "--fixtures", "-v")
    text = result.stdout.str()
    section = text.split("fixtures defined from fakeserver.plugin", 1)[1]
    section = re.split(r"\n-+ fixtures defined from ", section, maxsplit=1)[0]
    names = set(re.findall(r"^(\w+)(?: \[\w+ scope\])? -- ", section, re.MULTILINE))
    assert names == PLUGIN_FIXTURES
    assert all(name.startswith("fake_") for name in names)


def test_options_and_ini_keys_are_prefixed(pytester: pytest.Pytester) -> None:
    text = pytester.runpytest(*QUIET, "--help").stdout.str()
    group = text.split("fake Atoti target (fakeserver):", 1)[1].split("\n\n", 1)[0]
    options = re.findall(r"^\s+(--[\w-]+)", group, re.MULTILINE)
    assert options == ["--fake-server-version", "--fake-python-api-version", "--fake-atoti-client"]
    assert re.search(r"^\s+fake_server_version \(string\)", text, re.MULTILINE)
    assert re.search(r"^\s+fake_python_api_version \(string\)", text, re.MULTILINE)
    assert re.search(r"^\s+fake_atoti_client \(string\)", text, re.MULTILINE)


def test_the_help_tells_each_options_fallbacks(pytester: pytest.Pytester) -> None:
    text = pytester.runpytest(*QUIET, "--help").stdout.str()
    group = text.split("fake Atoti target (fakeserver):", 1)[1].split("\n\n", 1)[0]
    group = " ".join(group.split())
    helps = dict(re.findall(r"(--fake-[\w-]+)=[A-Z]+ (.*?)(?= --fake-[\w-]+=[A-Z]|$)", group))
    for option in ("--fake-server-version", "--fake-python-api-version"):
        # the atoti-client release fills the versions nobody set explicitly
        assert "--fake-atoti-client" in helps[option], helps[option]
    assert "auto" in helps["--fake-atoti-client"]
    assert "release" in helps["--fake-atoti-client"]


def test_markers_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*QUIET, "--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.fake_server(config=None, **fields): the fake_server fixture's "
            "ServerConfig; a config (positional or config=) replaces farther marks, then "
            "fields apply; a closer mark wins field by field",
            "@pytest.mark.fake_scenarios(tiers=None, auth=None, *",
        ]
    )


# -- fake_server -----------------------------------------------------------------------------

MARKS = """
import httpx
import pytest

from fakeserver import ServerConfig

pytestmark = pytest.mark.fake_server(exposed=False, seed=7)


def apis(server):
    return httpx.get(server.url + "/versions/rest").json()["apis"]


def test_module_mark(fake_server, fake_server_config):
    assert fake_server.config == fake_server_config
    assert (fake_server.config.exposed, fake_server.config.seed) == (False, 7)
    assert "atoti" not in apis(fake_server)


@pytest.mark.fake_server(exposed=True)
class TestClassMark:
    def test_class_mark_wins(self, fake_server):
        assert (fake_server.config.exposed, fake_server.config.seed) == (True, 7)
        assert "atoti" in apis(fake_server)

    @pytest.mark.fake_server(host="remote", tls={"client_certificate": "none"})
    def test_function_mark_wins_field_by_field(self, fake_server):
        config = fake_server.config
        assert (config.exposed, config.seed, config.host) == (True, 7, "remote")
        assert fake_server.url.startswith("https://")


@pytest.mark.fake_server(ServerConfig(server_version="6.0.0"), seed=3)
def test_a_whole_config_replaces_farther_marks(fake_server):
    config = fake_server.config
    assert (config.server_version, config.exposed, config.seed) == ("6.0.0", True, 3)


@pytest.mark.fake_server(config=ServerConfig(server_version="6.0.1"), seed=4)
def test_a_whole_config_given_as_config_keyword(fake_server):
    config = fake_server.config
    assert (config.server_version, config.exposed, config.seed) == ("6.0.1", True, 4)


@pytest.mark.fake_server(exposed="yes")
def test_bad_field(fake_server):
    pass


@pytest.mark.fake_server(config="6.0.0")
def test_bad_config(fake_server):
    pass


@pytest.mark.fake_server(colour="blue")
def test_unknown_field(fake_server):
    pass
"""


def test_fake_server_marks_merge_closest_first(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_marks=MARKS)
    result = pytester.runpytest(*STRICT)
    result.assert_outcomes(passed=5, errors=3)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_bad_field*",
            "fake_server: exposed: 'yes' is not a boolean",
            "*ERROR at setup of test_bad_config*",
            "fake_server: config must be a ServerConfig or None, not str",
            "*ERROR at setup of test_unknown_field*",
            "fake_server: colour: unknown field*",
        ]
    )
    assert_reported_once(result, "fake_server: ", 3)


def assert_reported_once(result: pytest.RunResult, prefix: str, errors: int) -> None:
    """Each error's message once: not raised inside an ``except`` (no chained repeat)."""
    output = result.stdout.str()
    assert "During handling of the above exception" not in output
    # Summary lines ("ERROR ... - Failed: ...") are cut to the terminal width: not counted.
    reported = [
        line for line in output.splitlines() if prefix in line and not line.startswith("ERROR ")
    ]
    assert len(reported) == errors, reported


REUSE = """
import httpx
import pytest

from fakeserver import SecurityConfig, User

SECURED = pytest.mark.fake_server(
    security=SecurityConfig(users=[User("admin", "pw", roles={"ROLE_USER", "ROLE_ADMIN"})])
)
PING = "/activeviam/pivot/rest/v9/ping"
CREDENTIALS = "/atoti/rest/v1/security/basic/credentials"
SEEN = []


@SECURED
def test_first_changes_everything(fake_server):
    SEEN.append(fake_server)
    url = fake_server.url
    fake_server.expect_request("/versions/rest").respond_with_data("overridden")
    assert httpx.get(url + "/versions/rest").text == "overridden"
    added = httpx.put(url + CREDENTIALS, json={"bob": "bob-pw"}, auth=("admin", "pw"))
    assert added.status_code == 200
    assert httpx.get(url + PING, auth=("bob", "bob-pw")).status_code == 200


@SECURED
def test_second_gets_the_same_server_at_its_baseline(fake_server):
    assert fake_server is SEEN[0]
    assert fake_server.log == [] and fake_server.is_running()
    url = fake_server.url
    assert httpx.get(url + "/versions/rest").json()["serverVersion"] == "6.1.2"
    assert httpx.get(url + PING, auth=("bob", "bob-pw")).status_code == 401
    fake_server.stop()


@SECURED
def test_a_stopped_server_is_not_lent_again(fake_server):
    assert fake_server is not SEEN[0] and fake_server.is_running()
    SEEN.append(fake_server)


def test_another_config_gets_another_server(fake_server, fake_server_pool):
    assert fake_server is not SEEN[1] and fake_server.config.security is None
    assert fake_server_pool.started == 3
"""


def test_fake_server_is_reused_and_reset(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_reuse=REUSE)
    pytester.runpytest(*STRICT).assert_outcomes(passed=4)


FACTORY = """
from pathlib import Path

import pytest

from fakeserver import ServerConfig, TlsConfig

SERVERS = []


def test_fails_with_servers_running(fake_server_factory, fake_certificate_authority):
    SERVERS.append(fake_server_factory())
    SERVERS.append(fake_server_factory(exposed=False, tls=TlsConfig()))
    SERVERS.append(fake_server_factory(ServerConfig(server_version="6.0.0"), seed=3))
    SERVERS.append(fake_server_factory(ServerConfig(server_version="6.0.0")))
    assert all(server.is_running() for server in SERVERS)
    assert len({server.url for server in SERVERS}) == 4
    assert SERVERS[1].config.exposed is False
    assert Path(SERVERS[1].ca_path).read_text() == Path(fake_certificate_authority.path).read_text()
    assert (SERVERS[2].config.server_version, SERVERS[2].config.seed) == ("6.0.0", 3)
    assert SERVERS[3].config == ServerConfig(server_version="6.0.0")
    raise AssertionError("deliberate")


def test_every_server_was_stopped():
    assert len(SERVERS) == 4
    assert not any(server.is_running() for server in SERVERS)


def test_bad_fields_raise_at_the_call(fake_server_factory):
    with pytest.raises(ValueError, match="host"):
        fake_server_factory(host="mars")
"""


def test_factory_servers_are_all_stopped_even_when_the_test_fails(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_factory=FACTORY)
    result = pytester.runpytest(*STRICT)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: deliberate"])


# -- fake_scenario ---------------------------------------------------------------------------

SCENARIOS = """
import pytest

from fakeserver.scenarios import LiveScenario

ATTRIBUTES = (
    "name", "server", "credentials", "certificate_authority", "expected_tier",
    "expected_capabilities",
)


def test_everything(fake_scenario):
    pass


@pytest.mark.fake_scenarios(tiers=["LOCAL"])
def test_local(fake_scenario):
    assert isinstance(fake_scenario, LiveScenario)
    assert all(hasattr(fake_scenario, a) for a in ATTRIBUTES)
    assert fake_scenario.expected_tier == "LOCAL" and fake_scenario.server.is_running()
    assert fake_scenario.server.config == fake_scenario.scenario.config
    assert (fake_scenario.certificate_authority is None) == (fake_scenario.auth == "basic")


@pytest.mark.fake_scenarios(auth=["bearer"], tiers=["READ_ONLY"])
class TestMerged:
    @pytest.mark.fake_scenarios(auth=["certificate"])
    def test_closest_keyword_wins(self, fake_scenario):
        assert fake_scenario.credentials.kind in ("certificate", "none")


@pytest.mark.fake_scenarios(tiers=[None])
def test_failures(fake_scenario):
    assert fake_scenario.expected_tier is None


@pytest.mark.fake_scenarios(tiers=["LOCAL"], auth=[])
def test_nothing(fake_scenario):
    pass


@pytest.fixture
def url(fake_scenario):
    return fake_scenario.server.url


@pytest.mark.fake_scenarios(tiers=["REMOTE"], auth=["basic"])
def test_through_another_fixture(url):
    assert url.startswith("http://")
"""


def collected(result: pytest.RunResult, test: str) -> list[str]:
    return re.findall(rf"::{test}\[([^\]]+)\]", result.stdout.str())


def grouped(runs: list[scenarios.Scenario]) -> list[str]:
    """The order the plugin runs scenarios in: the matrix's, but those that share a server
    config one after the other (the pool then starts that server once)."""
    order: list[scenarios.Scenario] = []
    for scenario in runs:
        if scenario not in order:
            order += [s for s in runs if s.config == scenario.config and s not in order]
    return [s.name for s in order]


def test_fake_scenario_ids_and_filters(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_scenarios=SCENARIOS)
    result = pytester.runpytest(*STRICT, "--collect-only", "-q")
    names = [s.name for s in scenarios.matrix()]
    assert collected(result, "test_everything") == grouped(scenarios.matrix())
    assert grouped(scenarios.matrix()) != names, "the matrix has configs that repeat"
    assert collected(result, "test_local") == grouped(matrix_runs(tiers=["LOCAL"]))
    merged = matrix_runs(tiers=["READ_ONLY"], auth=["certificate"])
    assert merged and collected(result, "test_closest_keyword_wins") == grouped(merged)
    failures = matrix_runs(tiers=["FAILURE"])
    assert failures and collected(result, "test_failures") == grouped(failures)
    assert not set(collected(result, "test_nothing")) & set(names)  # pytest's empty set
    remote = matrix_runs(tiers=["REMOTE"], auth=["basic"])
    assert collected(result, "test_through_another_fixture") == grouped(remote)


def test_fake_scenario_runs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_scenarios=SCENARIOS)
    result = pytester.runpytest(*STRICT, "-k", "not test_everything")
    ran = (
        len(matrix_runs(tiers=["LOCAL"]))
        + len(matrix_runs(tiers=["READ_ONLY"], auth=["certificate"]))
        + len(matrix_runs(tiers=["FAILURE"]))
        + len(matrix_runs(tiers=["REMOTE"], auth=["basic"]))
    )
    result.assert_outcomes(passed=ran, skipped=1)  # the empty selection is skipped


OAUTH2_SCENARIOS = """
import pytest

import fakeserver_client as client


@pytest.mark.fake_scenarios(auth="oauth2")
def test_oauth2(fake_scenario):
    c = fake_scenario.credentials
    if c.kind == "oauth2":
        auth = client.OAuth2ResourceOwnerPasswordAuthentication(
            username=c.user, password=c.password, client_id=c.client_id,
            client_secret=c.client_secret, issuer_url=c.issuer_url,
        )
    elif c.kind == "bearer":
        auth = client.TokenAuthentication(c.token)
    else:
        auth = None
    connect = lambda: client.Session.connect(
        fake_scenario.url, authentication=auth,
        certificate_authority=fake_scenario.certificate_authority,
    )
    if fake_scenario.expected_tier is None:
        with pytest.raises((client.AuthenticationError, client.TlsError)):
            connect()
        return
    with connect() as session:
        assert session.tier.value == fake_scenario.expected_tier
"""


def test_fake_scenarios_select_the_oauth2_mode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_oauth2=OAUTH2_SCENARIOS)
    result = pytester.runpytest(*STRICT)
    runs = matrix_runs(auth=["oauth2"])
    assert len(runs) == 64 + 4 and all(s.auth == "oauth2" for s in runs)
    result.assert_outcomes(passed=len(runs))


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("tiers=['LOCL']", "unknown tier 'LOCL' (known: LOCAL, *FAILURE)"),
        (
            "auth=['kerberos']",
            "unknown auth mode 'kerberos' (known: basic, bearer, certificate, oauth2)",
        ),
        ("colour='blue'", "unknown keyword 'colour'*"),
        ("server_version='six'", "*server_version: 'six' is not a version string*"),
    ],
)
def test_a_bad_scenario_filter_fails_its_own_test_only(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        def test_before():
            pass

        @pytest.mark.fake_scenarios({marker})
        def test_x(fake_scenario):
            pass

        @pytest.mark.fake_scenarios(tiers=["LOCAL"], auth=["basic"])
        def test_after(fake_scenario):
            assert fake_scenario.expected_tier == "LOCAL"
        """
    )
    result = pytester.runpytest(*STRICT, "-rA")
    local = len(matrix_runs(tiers=["LOCAL"], auth=["basic"]))
    result.assert_outcomes(passed=1 + local, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_x[[]fake_scenarios-error[]]*",
            f"*test_a_bad_scenario_filter_fails_its_own_test_only.py::test_x: "
            f"fake_scenarios: {message}",
        ]
    )
    assert_reported_once(result, "fake_scenarios: ", 1)


# -- versions: marker > option > env > ini > default -----------------------------------------

VERSIONS = """
import httpx
import pytest

EXPECTED = {expected!r}
FROM_SESSION = {session!r}


def versions(server):
    served = httpx.get(server.url + "/versions/rest").json()["serverVersion"]
    started_with = httpx.get(server.url + "/atoti/rest/v1/session").json()["pythonApiVersion"]
    return served, started_with


{mark_server}
def test_fake_server(fake_server):
    assert versions(fake_server) == EXPECTED


def test_factory_uses_the_session_versions(fake_server_factory):
    assert versions(fake_server_factory()) == FROM_SESSION


{mark_scenarios}
@pytest.mark.fake_scenarios(tiers=["READ_ONLY"], auth=["basic"])
def test_matrix(fake_scenario):
    scenario = fake_scenario.scenario
    assert (scenario.client_server_version, scenario.client_python_api_version) == EXPECTED
    config = fake_scenario.server.config
    if scenario.cell.same_server_version and scenario.cell.same_python_api:
        assert (config.server_version, config.python_api_version) == EXPECTED
    else:
        assert (config.server_version, config.python_api_version) != EXPECTED
"""

LEVELS = {
    # level: (ini, env, option, marker) versions given, each (server, python API) or None
    "default": (None, None, None, None),
    "ini": (("6.0.1", "0.8.1"), None, None, None),
    "env": (("6.0.1", "0.8.1"), ("6.0.2", "0.8.2"), None, None),
    "option": (("6.0.1", "0.8.1"), ("6.0.2", "0.8.2"), ("6.0.3", "0.8.3"), None),
    "marker": (("6.0.1", "0.8.1"), ("6.0.2", "0.8.2"), ("6.0.3", "0.8.3"), ("6.0.4", "0.8.4")),
}


@pytest.mark.parametrize("level", list(LEVELS))
def test_version_precedence(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, level: str
) -> None:
    ini, env, option, marker = LEVELS[level]
    session = option or env or ini or ("6.1.2", "0.9.2")
    expected = marker or session
    args: list[str] = [*STRICT]
    if ini:
        pytester.makeini(
            f"[pytest]\nfake_server_version = {ini[0]}\nfake_python_api_version = {ini[1]}\n"
        )
    if env:
        monkeypatch.setenv("FAKESERVER_SERVER_VERSION", env[0])
        monkeypatch.setenv("FAKESERVER_PYTHON_API_VERSION", env[1])
    if option:
        args += [f"--fake-server-version={option[0]}", "--fake-python-api-version", option[1]]
    fields = f"server_version={marker[0]!r}, python_api_version={marker[1]!r}" if marker else ""
    pytester.makepyfile(
        test_versions=VERSIONS.format(
            expected=expected,
            session=session,
            mark_server=f"@pytest.mark.fake_server({fields})" if marker else "",
            mark_scenarios=f"@pytest.mark.fake_scenarios({fields})" if marker else "",
        )
    )
    result = pytester.runpytest(*args)
    read_only = len(matrix_runs(tiers=["READ_ONLY"], auth=["basic"]))
    result.assert_outcomes(passed=2 + read_only)
    source = {"default": "default", "ini": "ini fake_server_version"}.get(
        level, "env FAKESERVER_SERVER_VERSION" if level == "env" else "--fake-server-version"
    )
    result.stdout.fnmatch_lines([f"fakeserver: server version {session[0]} ({source}), *"])


def test_each_version_is_resolved_on_its_own(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\nfake_python_api_version = 0.8.1\n")
    monkeypatch.setenv("FAKESERVER_SERVER_VERSION", "6.0.2")
    pytester.makepyfile(
        """
        def test_versions(fake_server):
            config = fake_server.config
            assert (config.server_version, config.python_api_version) == ("6.0.2", "0.8.1")
        """
    )
    result = pytester.runpytest(*STRICT)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "fakeserver: server version 6.0.2 (env FAKESERVER_SERVER_VERSION), "
            "python API version 0.8.1 (ini fake_python_api_version)"
        ]
    )


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("option", "--fake-server-version: server_version: 'banana' is not a version string*"),
        ("env", "env FAKESERVER_PYTHON_API_VERSION: python_api_version: 'banana' is not*"),
    ],
)
def test_a_bad_version_stops_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, where: str, message: str
) -> None:
    pytester.makepyfile("def test_never(): pass")
    if where == "env":
        monkeypatch.setenv("FAKESERVER_PYTHON_API_VERSION", "banana")
        result = pytester.runpytest(*QUIET)
    else:
        result = pytester.runpytest(*QUIET, "--fake-server-version", "banana")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}"])


def test_a_release_newer_than_the_table_runs_with_one_note_in_the_header(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        "def test_versions(fake_server):\n"
        "    config = fake_server.config\n"
        "    assert (config.server_version, config.python_api_version) == ('6.3.0', '6.3.0')\n"
    )
    result = pytester.runpytest(*STRICT, "--fake-atoti-client", "6.3.0")
    result.assert_outcomes(passed=1)
    notes = [line for line in result.outlines if "not in fakeserver's release table" in line]
    assert notes == [
        "fakeserver: atoti-client 6.3.0 is not in fakeserver's release table yet (newest: "
        "6.2.2); emulating server 6.3.0, as every release from 6.2.0 on expects the server "
        "of its own version, with the newest dialect (6.2.0)"
    ]
    pytester.runpytest(*STRICT, "--fake-atoti-client", "0.8.0").stderr.fnmatch_lines(
        ["*--fake-atoti-client: atoti-client '0.8.0' is not a known release (known releases*"]
    )


# -- faults and teardown reports -------------------------------------------------------------

FAULTS = """
import httpx
import pytest

PING = "/activeviam/pivot/rest/v9/ping"


def test_handler_raises(fake_server):
    def broken(request):
        raise ValueError("boom")

    fake_server.expect_request(PING).respond_with_handler(broken)
    answer = httpx.get(fake_server.url + PING)
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    assert "Traceback" not in answer.text and "boom" not in answer.text


def test_ordered_never_requested(fake_server_factory):
    server = fake_server_factory()
    server.expect_ordered_request(PING, method="GET").respond_with_data("first")
    server.expect_ordered_request("/versions/rest").respond_with_data("second")
    assert httpx.get(server.url + PING).text == "first"


def test_out_of_order(fake_server):
    fake_server.expect_ordered_request(PING).respond_with_data("first")
    fake_server.expect_ordered_request("/versions/rest").respond_with_data("second")
    assert httpx.get(fake_server.url + "/versions/rest").json()["serverVersion"]
    assert httpx.get(fake_server.url + PING).text == "first"


def test_no_response(fake_server):
    fake_server.expect_request(PING)
    assert httpx.get(fake_server.url + PING).status_code == 500


@pytest.mark.fake_scenarios(tiers=["READ_ONLY"], auth=["basic"])
def test_scenario_oneshot(fake_scenario):
    if fake_scenario.name == "basic-unsecured-anonymous-same_api-local_host":
        fake_scenario.server.expect_oneshot_request("/nowhere").respond_with_data("")


def test_failing_test_still_reports(fake_server):
    fake_server.expect_oneshot_request("/nowhere").respond_with_data("")
    assert False, "the test itself failed"


def test_everything_consumed_passes(fake_server):
    fake_server.expect_oneshot_request(PING).respond_with_data("once")
    fake_server.expect_ordered_request("/versions/rest").respond_with_json({"fake": 1})
    fake_server.expect_request("/never").respond_with_data("permanent ones may go unused")
    assert httpx.get(fake_server.url + "/versions/rest").json() == {"fake": 1}
    assert httpx.get(fake_server.url + PING).text == "once"
    assert httpx.get(fake_server.url + PING).text == "pong"
"""


def test_expectation_problems_fail_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_faults=FAULTS)
    result = pytester.runpytest(*STRICT)
    read_only = len(matrix_runs(tiers=["READ_ONLY"], auth=["basic"]))
    result.assert_outcomes(passed=5 + read_only, failed=1, errors=6)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_handler_raises*",
            "FakeServer http://127.0.0.1:*: 1 problem(s) with its expectations",
            "  1. the handler of expectation any method /activeviam/pivot/rest/v9/ping raised "
            "ValueError: boom",
            "     while answering GET /activeviam/pivot/rest/v9/ping:",
            "     Traceback (most recent call last):",
            '       File "*test_faults.py", line *, in broken',
            '         raise ValueError("boom")',
            "     ValueError: boom",
            "Requests received (1):",
            "  GET /activeviam/pivot/rest/v9/ping -> 500",
            "*ERROR at teardown of test_ordered_never_requested*",
            "  1. ordered expectation #2 was never requested: any method /versions/rest",
            "*ERROR at teardown of test_out_of_order*",
            "  1. GET /versions/rest matched ordered expectation #2 (any method /versions/rest) "
            "while #1 (any method /activeviam/pivot/rest/v9/ping) was still waiting; it was not "
            "consumed and the emulation answered it",
            "  2. ordered expectation #2 was never requested: any method /versions/rest",
            "  GET /versions/rest -> 200",
            "  GET /activeviam/pivot/rest/v9/ping -> 200",
            "*ERROR at teardown of test_no_response*",
            "  1. expectation any method /activeviam/pivot/rest/v9/ping matched GET "
            "/activeviam/pivot/rest/v9/ping but has no response: call "
            "respond_with_json/data/response/handler on it",
            "*ERROR at teardown of test_scenario_oneshot[[]basic-unsecured-anonymous-same_api-*",
            "  1. oneshot expectation was never requested: any method /nowhere",
            "*ERROR at teardown of test_failing_test_still_reports*",
            "  1. oneshot expectation was never requested: any method /nowhere",
            "*= FAILURES =*",  # pytest lists failures after errors
            "*_ test_failing_test_still_reports _*",
            "*AssertionError: the test itself failed*",
        ]
    )


# -- terminal summary ------------------------------------------------------------------------

SUMMARY = """
import pytest


@pytest.mark.fake_scenarios(tiers=["LOCAL", "REMOTE", "FAILURE"], auth=["basic", "bearer"])
def test_tiers(fake_scenario):
    assert fake_scenario.expected_tier != "REMOTE", "deliberate"


@pytest.mark.fake_scenarios(tiers=["MINIMAL"], auth=["certificate"])
def test_skipped(fake_scenario):
    pytest.skip("not today")


def test_not_a_scenario(fake_server):
    pass
"""


def summary_patterns() -> list[str]:
    ran = matrix_runs(tiers=["LOCAL", "REMOTE", "FAILURE"], auth=["basic", "bearer"])
    skipped = matrix_runs(tiers=["MINIMAL"], auth=["certificate"])
    failed = [s for s in ran if s.expected_tier == "REMOTE"]
    assert failed and skipped

    def totals(runs: int, failures: int, skips: int) -> str:
        counts = (("passed", runs - failures - skips), ("failed", failures), ("skipped", skips))
        return f"{runs} ({', '.join(f'{n} {o}' for o, n in counts if n)})"

    def tier(name: str) -> list[scenarios.Scenario]:
        return [s for s in ran + skipped if (s.expected_tier or "FAILURE") == name]

    lines = [
        "*= fakeserver scenarios =*",
        f"scenario runs: {totals(len(ran) + len(skipped), len(failed), len(skipped))}",
        "by tier:",
    ]
    for name in ("LOCAL", "REMOTE", "MINIMAL", "FAILURE"):
        runs = tier(name)
        fails = len(runs) if name == "REMOTE" else 0
        skips = len(runs) if name == "MINIMAL" else 0
        lines.append(f"  {name:<23} {totals(len(runs), fails, skips)}")
    lines.append("by auth mode:")
    for auth in ("basic", "bearer", "certificate"):
        runs = [s for s in ran + skipped if s.auth == auth]
        fails = sum(s in failed for s in runs)
        skips = len(runs) if auth == "certificate" else 0
        lines.append(f"  {auth:<23} {totals(len(runs), fails, skips)}")
    lines.append(f"failed scenarios ({len(failed)}):")
    lines += [
        f"  {s.name} (REMOTE, {s.auth}): test_summary.py::test_tiers[[]{s.name}]" for s in failed
    ]
    return lines


def test_terminal_summary(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_summary=SUMMARY)
    result = pytester.runpytest(*STRICT)
    result.stdout.fnmatch_lines(summary_patterns(), consecutive=True)


def test_terminal_summary_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_summary=SUMMARY)
    result = pytester.runpytest_subprocess(*STRICT, "-p", "xdist", "-n", "2")
    patterns = summary_patterns()
    # Workers finish in any order: the failed list is checked as a set.
    head = patterns.index(next(p for p in patterns if p.startswith("failed scenarios")))
    result.stdout.fnmatch_lines(patterns[: head + 1], consecutive=True)
    tail = result.stdout.str().split(patterns[head], 1)[1].splitlines()[1 : len(patterns) - head]
    expected = {p.replace("[[]", "[") for p in patterns[head + 1 :]}
    assert set(tail) == expected


def test_no_summary_without_scenarios(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain(fake_server):\n    pass\n")
    result = pytester.runpytest(*STRICT)
    result.assert_outcomes(passed=1)
    assert "fakeserver scenarios" not in result.stdout.str()


def test_conftest_fixture_may_wrap_the_plugin_ones(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        textwrap.dedent(
            """
            import pytest

            @pytest.fixture
            def target(fake_server):
                fake_server.expect_request("/versions/rest").respond_with_json({"wrapped": True})
                return fake_server
            """
        )
    )
    pytester.makepyfile(
        """
        import httpx

        def test_wrapped(target):
            assert httpx.get(target.url + "/versions/rest").json() == {"wrapped": True}
        """
    )
    pytester.runpytest(*STRICT).assert_outcomes(passed=1)


# -- the unsecured default, said where a user looks ------------------------------------------

UNSECURED = """
import pytest

import fakeserver_client as client
from fakeserver import SecurityConfig, User

ADMIN = User("admin", "passwd", roles={"ROLE_USER", "ROLE_ADMIN"})


def connect(server):
    return client.Session.connect(
        server.url, authentication=client.BasicAuthentication("admin", "passwd")
    )


def test_admin_expected(fake_server):
    with connect(fake_server) as session:
        assert session.tier is client.Tier.LOCAL


def test_live_extension_expected(fake_server_factory):
    with client.Session.connect(fake_server_factory().url) as session:
        session.create_table("t", data_types={"id": "int"})


@pytest.mark.fake_server(security=SecurityConfig(users=[ADMIN]))
def test_secured_but_wrong_expectation(fake_server):
    with connect(fake_server) as session:
        assert session.tier is client.Tier.REMOTE


def test_unsecured_and_unrelated(fake_server):
    assert fake_server.url == "nowhere"
"""


def test_a_failure_against_an_unsecured_fake_says_so(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unsecured=UNSECURED)
    result = pytester.runpytest(*STRICT)
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(["fakeserver: fake_server default: unsecured (security=None)*"])
    sections = re.split(r"\n_+ (test_\w+) _+\n", result.stdout.str())
    failures = dict(zip(sections[1::2], sections[2::2], strict=True))
    assert set(failures) == {
        "test_admin_expected",
        "test_live_extension_expected",
        "test_secured_but_wrong_expectation",
        "test_unsecured_and_unrelated",
    }
    header = "- fakeserver: the fake target was unsecured -"
    hinted = {name for name, text in failures.items() if header in text}
    assert hinted == {"test_admin_expected", "test_live_extension_expected"}
    assert "and the test sent it credentials" in failures["test_admin_expected"]
    assert (
        "needs one (LiveExtensionUnavailableError: create_table is not available"
        in failures["test_live_extension_expected"]
    )
    assert (
        "@pytest.mark.fake_server(security=SecurityConfig(users=[ADMIN]))"
        in (failures["test_admin_expected"])
    )


def test_the_unsecured_hint_reaches_the_controller_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unsecured=UNSECURED)
    result = pytester.runpytest_subprocess(*STRICT, "-p", "xdist", "-n", "2")
    result.assert_outcomes(failed=4)
    assert result.stdout.str().count("- fakeserver: the fake target was unsecured -") == 2


# -- a downstream project with its own `client` ----------------------------------------------

DOWNSTREAM_TESTS = """
import httpx
import pytest

import client


def test_own_client():
    assert client.OWN == 1


def test_fake_server(fake_server):
    assert httpx.get(fake_server.url + "/versions/rest").status_code == 200


@pytest.mark.fake_scenarios(tiers=["LOCAL"], auth=["basic"])
def test_fake_scenario(fake_scenario):
    assert fake_scenario.verify().ok
"""


@pytest.mark.parametrize("layout", ["client.py", "client/__init__.py"])
def test_a_project_with_its_own_client_module(pytester: pytest.Pytester, layout: str) -> None:
    # A fresh interpreter, as in the project: the plugin loads at start-up there, beside the
    # project's own `client`, whichever comes first on sys.path.
    own = pytester.path / layout
    own.parent.mkdir(exist_ok=True)
    own.write_text("OWN = 1\n", encoding="utf-8")
    pytester.makepyfile(test_project=DOWNSTREAM_TESTS)
    result = pytester.runpytest_subprocess(*STRICT, "-p", "no:cacheprovider")
    local = len(matrix_runs(tiers=["LOCAL"], auth=["basic"]))
    result.assert_outcomes(passed=2 + local)
