"""pytest plugin (entry point ``pytest11``): fixtures and hooks only, every name prefixed ``fake_``.

Every pytest run of a project that has fakeserver installed imports this module, so at
start-up it loads only pytest and :mod:`fakeserver.plugin_startup` (options, ini keys,
markers, the header, version precedence). The server, TLS, the matrix and the decisions
behind the fixtures (:mod:`fakeserver.plugin_support`, :mod:`fakeserver.pool`) load the
first time a ``fake_*`` fixture or the ``fake_scenario`` parametrization is used.

Session-scoped state is per process, hence per xdist worker: servers bind ephemeral ports
and files go under the worker's own ``tmp_path_factory`` directory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .plugin_startup import (
    CLIENT_SETTING,
    SETTINGS,
    FixtureConfigError,
    MarkerProblem,
    ScenarioKey,
    ScenarioTally,
    Versions,
    header_lines,
    resolve_versions,
    scenario_properties,
    setting_help,
)

if TYPE_CHECKING:
    from .config import ServerConfig
    from .plugin_support import ServerFactory
    from .pool import CertificateAuthority, ServerPool
    from .scenarios import LiveScenario
    from .server import FakeServer

_VERSIONS = pytest.StashKey[Versions]()
#: The fixture servers a test used, for the hint when it fails against an unsecured one.
_SERVERS = pytest.StashKey["list[FakeServer]"]()


# -- options, markers, collection -----------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fakeserver", "fake Atoti target (fakeserver)")
    for setting in SETTINGS:
        option_help, ini_help = setting_help(setting)
        group.addoption(
            setting.option,
            dest=setting.ini,
            default=None,
            metavar="RELEASE" if setting is CLIENT_SETTING else "VERSION",
            help=option_help,
        )
        parser.addini(setting.ini, ini_help)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fake_server(config=None, **fields): the fake_server fixture's ServerConfig; a config "
        "(positional or config=) replaces farther marks, then fields apply; a closer mark wins "
        "field by field",
    )
    config.addinivalue_line(
        "markers",
        "fake_scenarios(tiers=None, auth=None, server_version=None, python_api_version=None): "
        "the matrix scenarios fake_scenario runs over",
    )
    try:
        config.stash[_VERSIONS] = resolve_versions(
            {s.option: config.getoption(s.ini) for s in SETTINGS},
            os.environ,
            {s.ini: str(config.getini(s.ini) or "") for s in SETTINGS},
        )
    except FixtureConfigError as error:
        raise pytest.UsageError(str(error)) from None
    if not hasattr(config, "workerinput"):  # xdist workers report to the controller
        config.pluginmanager.register(_ScenarioSummary(), "fakeserver-scenario-summary")


def pytest_report_header(config: pytest.Config) -> list[str]:
    return header_lines(config.stash[_VERSIONS])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "fake_scenario" not in metafunc.fixturenames:
        return  # the common case: nothing loaded, nothing done
    from .plugin_support import scenario_filter, scenario_keys

    marks = reversed(list(metafunc.definition.iter_markers("fake_scenarios")))
    try:
        chosen = scenario_filter((m.args, m.kwargs) for m in marks)
    except FixtureConfigError as error:
        # Reported on this test alone (its setup fails): the module's other tests still run.
        problem = MarkerProblem(f"{metafunc.definition.nodeid}: {error}")
        metafunc.parametrize(
            "fake_scenario", [problem], ids=["fake_scenarios-error"], indirect=True
        )
        return
    keys = scenario_keys(metafunc.config.stash[_VERSIONS], chosen)
    metafunc.parametrize("fake_scenario", keys, ids=[k.name for k in keys], indirect=True)


def pytest_itemcollected(item: pytest.Item) -> None:
    # Set at collection so that even a run that errors in setup is counted, under xdist too.
    callspec = getattr(item, "callspec", None)
    key = callspec.params.get("fake_scenario") if callspec is not None else None
    if isinstance(key, ScenarioKey):
        item.user_properties.extend(scenario_properties(key))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    servers = item.stash.get(_SERVERS, None)
    if servers and report.failed and call.when == "call" and call.excinfo is not None:
        from .plugin_support import security_hint

        hint = security_hint(servers, call.excinfo.value)
        if hint is not None:
            report.sections.append(("fakeserver: the fake target was unsecured", hint))
    return report


class _ScenarioSummary:
    """Hooks of the terminal summary; on the xdist controller they see every worker's reports."""

    def __init__(self) -> None:
        self.tally = ScenarioTally()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.tally.record(report.nodeid, report.when, report.outcome, report.user_properties)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        lines = self.tally.lines()
        if lines:
            terminalreporter.write_sep("=", "fakeserver scenarios")
            for line in lines:
                terminalreporter.write_line(line)


# -- fixtures -------------------------------------------------------------------------------


def _fail_on_problems(servers: list[FakeServer]) -> None:
    from .plugin_support import expectation_report

    report = expectation_report(servers)
    if report:  # pytrace=False: the report is the whole story, the plugin's frames are noise
        pytest.fail(report, pytrace=False)


def _used_by(request: pytest.FixtureRequest) -> list[FakeServer]:
    """The list of fixture servers of the requesting test (for the unsecured hint)."""
    stash: pytest.Stash = request.node.stash
    return stash.setdefault(_SERVERS, [])


@pytest.fixture(scope="session")
def fake_certificate_authority(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    """The session's CA: it signs every TLS server of these fixtures (trust ``.path``)."""
    from .pool import CertificateAuthority

    return CertificateAuthority(tmp_path_factory.mktemp("fakeserver-ca"))


@pytest.fixture(scope="session")
def fake_client_certificate(
    fake_certificate_authority: CertificateAuthority,
) -> Callable[[str], tuple[str, str]]:
    """``issue(user) -> (cert_path, key_path)`` under the session CA: a client certificate
    every fixture server with ``TlsConfig(client_certificate=...)`` accepts."""
    return fake_certificate_authority.client_certificate


@pytest.fixture(scope="session")
def fake_server_pool(
    fake_certificate_authority: CertificateAuthority,
) -> Iterator[ServerPool]:
    """Running servers reused, reset, from test to test (``fake_server``, ``fake_scenario``)."""
    from .pool import ServerPool

    pool = ServerPool(certificate_authority=fake_certificate_authority)
    yield pool
    pool.close()


@pytest.fixture
def fake_server_config(request: pytest.FixtureRequest) -> ServerConfig:
    """The config ``fake_server`` runs: ``fake_server`` marks over the session's versions."""
    from .plugin_support import server_config

    marks = reversed(list(request.node.iter_markers("fake_server")))
    try:
        return server_config(
            request.config.stash[_VERSIONS].fields(), ((m.args, m.kwargs) for m in marks)
        )
    except FixtureConfigError as error:
        problem = str(error)
    # Failed outside the except: the message once, not twice around "During handling of...".
    pytest.fail(problem, pytrace=False)


@pytest.fixture
def fake_server(
    request: pytest.FixtureRequest, fake_server_config: ServerConfig, fake_server_pool: ServerPool
) -> Iterator[FakeServer]:
    """A running FakeServer of ``@pytest.mark.fake_server(...)``, at its baseline.

    **Unsecured by default** — ``ServerConfig(security=None)``, unlike ``fakeserver serve``:
    anyone may read, credentials are ignored, admin (b) is never met, so a session is at
    most READ_ONLY. Secure it with ``@pytest.mark.fake_server(security=SecurityConfig(
    users=[User("admin", "passwd", roles={"ROLE_USER", "ROLE_ADMIN"})]))``; a test that
    fails against an unsecured one after sending credentials, or on a refused
    live-extension capability, says so in its report.

    Expectation problems (handler errors, oneshot/ordered expectations never requested)
    fail the test at teardown.
    """
    server = fake_server_pool.acquire(fake_server_config)
    _used_by(request).append(server)
    try:
        yield server
        _fail_on_problems([server])
    finally:
        fake_server_pool.release(server)


@pytest.fixture
def fake_server_factory(
    request: pytest.FixtureRequest, fake_certificate_authority: CertificateAuthority
) -> Iterator[ServerFactory]:
    """``factory(config=None, **fields) -> FakeServer``, started; all stopped at teardown.

    Without ``config`` the session's versions are the base; ``fields`` (ServerConfig
    fields, plain data accepted) apply on top. Unsecured unless ``security=`` is given,
    as for ``fake_server``. Expectation problems fail the test.
    """
    from .config import ServerConfig
    from .plugin_support import config_fields
    from .server import FakeServer

    defaults = request.config.stash[_VERSIONS].fields()
    started: list[FakeServer] = []

    def factory(config: ServerConfig | None = None, **fields: Any) -> FakeServer:
        base = config_fields(config) if config is not None else defaults
        chosen = config if config is not None and not fields else None
        if chosen is None:
            chosen = ServerConfig.from_mapping({**base, **fields})
        ca = fake_certificate_authority.ca if chosen.tls is not None else None
        server = FakeServer(chosen, certificate_authority=ca)
        server.start()
        started.append(server)
        _used_by(request).append(server)
        return server

    try:
        yield factory
        _fail_on_problems(started)
    finally:
        errors: list[Exception] = []
        for server in started:  # every one, even if stopping another fails
            try:
                if server.is_running():
                    server.stop()
            except Exception as error:
                errors.append(error)
        if errors:
            raise errors[0]


@pytest.fixture
def fake_scenario(
    request: pytest.FixtureRequest, fake_server_pool: ServerPool
) -> Iterator[LiveScenario]:
    """One scenario of the matrix with its server running; the test runs once per scenario.

    Filter with ``@pytest.mark.fake_scenarios(tiers=[...], auth=[...])``.
    """
    key = getattr(request, "param", None)
    if isinstance(key, MarkerProblem):
        pytest.fail(key.message, pytrace=False)
    if not isinstance(key, ScenarioKey):
        pytest.fail("fake_scenario is parametrized by the fakeserver plugin only", pytrace=False)
    from .plugin_support import scenario_for

    scenario = scenario_for(key)
    server = fake_server_pool.acquire(scenario.config)
    try:
        yield scenario.attach(server)
        _fail_on_problems([server])
    finally:
        fake_server_pool.release(server)
