"""The layers under the plugin: expectations over the emulation, the server pool, precedence."""

from __future__ import annotations

import re
import ssl
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from werkzeug.wrappers import Request, Response

from fakeserver import FakeServer, ServerConfig, TlsConfig
from fakeserver.plugin_support import (
    FixtureConfigError,
    ScenarioTally,
    resolve_versions,
    scenario_filter,
    server_config,
)
from fakeserver.pool import CertificateAuthority, ServerPool
from fakeserver.server import ExpectationError

PING = "/activeviam/pivot/rest/v9/ping"


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as pooled:
        yield pooled


def problems(server: FakeServer) -> str:
    with pytest.raises(ExpectationError) as raised:
        server.check_expectations()
    return str(raised.value)


# -- expectations over the emulation ---------------------------------------------------------


def test_oneshot_answers_once_then_the_emulation(server: FakeServer, http: httpx.Client) -> None:
    server.expect_oneshot_request(PING).respond_with_data("down", status=503)
    assert http.get(server.url + PING).status_code == 503
    assert http.get(server.url + PING).text == "pong"
    server.check_expectations()
    assert [(rq.path, rs.status_code) for rq, rs in server.log] == [(PING, 503), (PING, 200)]


def test_permanent_overrides_only_what_it_matches(server: FakeServer, http: httpx.Client) -> None:
    server.expect_request("/versions/rest", method="GET").respond_with_json({"version": 0})
    for _ in range(2):
        assert http.get(server.url + "/versions/rest").json() == {"version": 0}
    assert http.post(server.url + "/versions/rest").status_code == 405  # the emulation's answer
    assert http.get(server.url + PING).text == "pong"
    server.check_expectations()  # permanent expectations may go unused or be used many times


def test_ordered_in_order_with_other_traffic_in_between(
    server: FakeServer, http: httpx.Client
) -> None:
    server.expect_ordered_request(PING).respond_with_data("one")
    server.expect_ordered_request(PING).respond_with_data("two")
    assert http.get(server.url + "/versions/rest").json()["serverVersion"] == "6.1.2"
    assert [http.get(server.url + PING).text for _ in range(3)] == ["one", "two", "pong"]
    assert not server.permanently_failed
    server.check_expectations()


def test_ordered_out_of_order_is_reported_and_not_consumed(
    server: FakeServer, http: httpx.Client
) -> None:
    server.expect_ordered_request(PING).respond_with_data("first")
    server.expect_ordered_request("/versions/rest").respond_with_data("second")
    assert http.get(server.url + "/versions/rest").json()["serverVersion"] == "6.1.2"
    report = problems(server)
    assert "GET /versions/rest matched ordered expectation #2" in report
    assert "while #1 (any method /activeviam/pivot/rest/v9/ping) was still waiting" in report
    assert "ordered expectation #1 was never requested" in report
    assert "ordered expectation #2 was never requested" in report


def test_oneshot_claimed_by_one_request_only(server: FakeServer) -> None:
    server.expect_oneshot_request(PING).respond_with_data("down", status=503)
    with httpx.Client() as http, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: http.get(server.url + PING).status_code, range(16)))
    assert sorted(statuses) == [200] * 15 + [503]
    server.check_expectations()


def test_handler_error_is_a_json_500_and_a_readable_report(
    server: FakeServer, http: httpx.Client
) -> None:
    def broken(request: Request) -> Response:
        raise KeyError("secret-token")

    server.expect_request(PING).respond_with_handler(broken)
    answer = http.get(server.url + PING, params={"q": "1"})
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["path"] == PING and "secret-token" not in answer.text
    report = problems(server)
    assert "the handler of expectation any method /activeviam/pivot/rest/v9/ping raised " in report
    assert "KeyError: 'secret-token'" in report
    assert "while answering GET /activeviam/pivot/rest/v9/ping?q=1:" in report
    assert re.search(r'File ".*test_server.py", line \d+, in broken', report)
    assert "fakeserver/server.py" not in report  # the layer's own frames are noise
    assert problems(server) == report  # not consumed by reporting
    with pytest.raises(KeyError):  # pytest-httpserver's own check still sees it
        server.check_handler_errors()


def test_handler_assertion_and_bad_return_are_reported(
    server: FakeServer, http: httpx.Client
) -> None:
    def asserts(request: Request) -> Response:
        raise AssertionError("the body should have been JSON")

    server.expect_request("/a").respond_with_handler(asserts)
    server.expect_request("/b").respond_with_handler(lambda request: 42)
    server.expect_request("/c")
    assert [http.get(server.url + p).status_code for p in ("/a", "/b", "/c")] == [500] * 3
    report = problems(server)
    assert "the body should have been JSON" in report
    assert "the handler of expectation any method /b returned int" in report
    assert "expectation any method /c matched GET /c but has no response" in report


def test_handlers_may_return_text_or_nothing(server: FakeServer, http: httpx.Client) -> None:
    server.expect_request("/text").respond_with_handler(lambda request: "hello")
    server.expect_request("/none").respond_with_handler(lambda request: None)
    assert http.get(server.url + "/text").text == "hello"
    none = http.get(server.url + "/none")
    assert (none.status_code, none.text) == (200, "")
    server.check_expectations()


def test_emulate_delays_the_real_answer(server: FakeServer, http: httpx.Client) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow(request: Request) -> Response:
        entered.set()
        release.wait(timeout=30)
        return server.emulate(request)

    server.expect_oneshot_request("/versions/rest").respond_with_handler(slow)
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(http.get, server.url + "/versions/rest")
        assert entered.wait(timeout=30)
        assert http.get(server.url + PING).text == "pong"  # others are not held up
        assert not server.wait_idle(timeout=0)
        release.set()
        assert answer.result().json()["serverVersion"] == "6.1.2"
    assert server.wait_idle(timeout=30)


def test_report_lists_the_recent_requests(server: FakeServer, http: httpx.Client) -> None:
    server.expect_oneshot_request("/never").respond_with_data("")
    for index in range(25):
        http.get(server.url + PING, params={"n": str(index)})
    report = problems(server)
    assert f"FakeServer {server.url}: 1 problem(s) with its expectations" in report
    assert "Requests received (25, last 20 shown):" in report
    assert f"GET {PING}?n=4 -> 200" not in report
    assert report.endswith(f"GET {PING}?n=24 -> 200")


def test_describes_what_a_matcher_requires(server: FakeServer) -> None:
    server.expect_oneshot_request(
        re.compile("/tables/.*"),
        method="post",
        query_string="pageSize=2",
        headers={"X-Id": "1"},
        json={"fields": []},
    )
    report = problems(server)
    assert (
        "oneshot expectation was never requested: POST re:/tables/.* query_string='pageSize=2' "
        "headers={'X-Id': '1'} json={'fields': []}"
    ) in report


def test_assert_requested(server: FakeServer, http: httpx.Client) -> None:
    http.get(server.url + PING)
    http.post(server.url + PING)
    server.assert_requested(PING, count=2)
    server.assert_requested(PING, "get")
    server.assert_requested("/versions/rest", count=0)
    with pytest.raises(AssertionError, match="found 2 times but expected 1"):
        server.assert_requested(PING)


def test_reset_and_clear_forget_problems(server: FakeServer, http: httpx.Client) -> None:
    server.expect_request(PING).respond_with_handler(lambda request: 1 / 0)
    server.expect_ordered_request("/never").respond_with_data("")
    http.get(server.url + PING)
    http.get(server.url + "/versions/rest")
    assert problems(server)
    server.reset()
    server.check_expectations()
    assert server.log == [] and server.handler_errors == [] and server.handler_failures == []
    assert http.get(server.url + PING).text == "pong"


def test_wait_still_works(server: FakeServer, http: httpx.Client) -> None:
    server.expect_oneshot_request(PING).respond_with_data("once")
    with server.wait(timeout=30) as waiting:
        http.get(server.url + PING)
    assert waiting.result


def test_certificate_authority_is_shared(tmp_path: Path) -> None:
    authority = CertificateAuthority(tmp_path / "ca")
    config = ServerConfig(tls=TlsConfig("required"))
    cert, key = authority.client_certificate("admin")
    assert authority.client_certificate("admin") == (cert, key)
    with (
        FakeServer(config, certificate_authority=authority.ca) as one,
        FakeServer(config, certificate_authority=authority.ca) as two,
    ):
        for running in (one, two):
            assert running.ca_path is not None
            assert Path(running.ca_path).read_bytes() == Path(authority.path).read_bytes()
            context = ssl.create_default_context(cafile=authority.path)
            context.load_cert_chain(cert, key)
            with httpx.Client(verify=context) as http:
                assert http.get(running.url + PING).text == "pong"


# -- the pool --------------------------------------------------------------------------------


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[ServerPool]:
    lender = ServerPool(certificate_authority=CertificateAuthority(tmp_path), capacity=2)
    yield lender
    lender.close()


def test_pool_reuses_a_reset_server(pool: ServerPool, http: httpx.Client) -> None:
    first = pool.acquire(ServerConfig(seed=1))
    first.expect_request(PING).respond_with_data("override")
    http.get(first.url + PING)
    pool.release(first)
    again = pool.acquire(ServerConfig(seed=1))
    assert again is first and again.log == [] and again.handlers == []
    assert http.get(again.url + PING).text == "pong"
    assert pool.started == 1


def test_pool_leases_are_exclusive(pool: ServerPool) -> None:
    one, two = pool.acquire(ServerConfig()), pool.acquire(ServerConfig())
    assert one is not two and one.url != two.url
    other = pool.acquire(ServerConfig(exposed=False))
    assert other.config.exposed is False


def test_pool_keeps_at_most_capacity_idle(pool: ServerPool) -> None:
    servers = [pool.acquire(ServerConfig(seed=n)) for n in range(3)]
    for server in servers:
        pool.release(server)
    assert not servers[0].is_running()  # the least recently used went
    assert servers[1].is_running() and servers[2].is_running()
    assert pool.acquire(ServerConfig(seed=0)) is not servers[0]


def test_pool_drops_stopped_and_busy_servers(tmp_path: Path) -> None:
    pool = ServerPool(certificate_authority=CertificateAuthority(tmp_path), idle_timeout=0)
    try:
        stopped = pool.acquire(ServerConfig())
        stopped.stop()
        pool.release(stopped)
        busy = pool.acquire(ServerConfig())
        assert busy is not stopped and busy.is_running()
        entered, release = threading.Event(), threading.Event()

        def stuck(request: Request) -> Response:
            entered.set()
            release.wait(timeout=30)
            return Response("late")

        busy.expect_request(PING).respond_with_handler(stuck)
        with ThreadPoolExecutor(1) as executor:
            late = executor.submit(httpx.get, busy.url + PING, timeout=30)
            assert entered.wait(timeout=30)
            checked, wait_idle = threading.Event(), busy.wait_idle

            def observed_wait_idle(timeout: float) -> bool:
                idle = wait_idle(timeout)
                checked.set()
                return idle

            busy.wait_idle = observed_wait_idle  # type: ignore[method-assign]
            releasing = threading.Thread(target=pool.release, args=(busy,))
            releasing.start()
            assert checked.wait(timeout=30)  # the pool saw it busy; now let the handler end
            release.set()
            releasing.join()
            late.exception()
        assert not busy.is_running()
        assert pool.acquire(ServerConfig()) not in (stopped, busy)
    finally:
        pool.close()


def test_pool_close_stops_everything(pool: ServerPool) -> None:
    lent, idle = pool.acquire(ServerConfig()), pool.acquire(ServerConfig(seed=2))
    pool.release(idle)
    pool.close()
    assert not lent.is_running() and not idle.is_running()


# -- precedence and markers, as plain functions ----------------------------------------------


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
