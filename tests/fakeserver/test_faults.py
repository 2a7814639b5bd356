"""Injected faults: error answers, latency and dropped connections, seeded and counted."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from fakeserver import FakeServer, ServerConfig
from fakeserver.config import Fault
from fakeserver.protocol import PIVOT_PATH

from ..conftest import CLIENT_ID, CLIENT_SECRET, OIDC_SECURITY

PING = PIVOT_PATH + "/ping"


def statuses(server: FakeServer, path: str, count: int) -> list[int]:
    with httpx.Client(base_url=server.url) as http:
        return [http.get(path).status_code for _ in range(count)]


def test_error_once_then_the_emulation_answers() -> None:
    with FakeServer(ServerConfig(faults=(Fault("error", path="*/ping", times=1),))) as server:
        response = httpx.get(server.url + PING)
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {
            "error": "fault injected by fakeserver",
            "path": PING,
            "status": 503,
        }
        assert statuses(server, PING, 3) == [200, 200, 200]
        assert httpx.get(server.url + "/versions/rest").status_code == 200, "other paths untouched"
        server.reset()  # the count starts again
        assert statuses(server, PING, 2) == [503, 200]


def test_error_every_time_for_one_method_only() -> None:
    fault = Fault("error", path="/versions/rest", method="get", status=502, message="bad gateway")
    with FakeServer(ServerConfig(faults=(fault,))) as server:
        assert statuses(server, "/versions/rest", 3) == [502, 502, 502]
        assert httpx.head(server.url + "/versions/rest").status_code == 200


def test_probability_is_seeded_and_replays() -> None:
    config = ServerConfig(seed=42, faults=(Fault("error", path="*", probability=0.5),))
    with FakeServer(config) as server:
        first = statuses(server, PING, 40)
        server.reset()
        assert statuses(server, PING, 40) == first
    with FakeServer(config) as again:
        assert statuses(again, PING, 40) == first
    assert 5 < first.count(503) < 35, "about half fail"
    with FakeServer(config.replace(seed=43)) as other:
        assert statuses(other, PING, 40) != first


def test_latency_fixed_and_bounded() -> None:
    faults = (
        Fault("latency", path="*/ping", delay=0.2),
        Fault("latency", path="/versions/rest", delay=0.05, delay_max=0.1),
    )
    with (
        FakeServer(ServerConfig(faults=faults)) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        started = time.perf_counter()
        assert http.get(PING).text == "pong"
        assert time.perf_counter() - started >= 0.2  # a lower bound: sleeping is never shorter
        started = time.perf_counter()
        assert http.get("/versions/rest").status_code == 200
        assert time.perf_counter() - started >= 0.05


def test_latency_lets_a_client_timeout_fire() -> None:
    with FakeServer(ServerConfig(faults=(Fault("latency", path="*", delay=5),))) as server:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(server.url + PING, timeout=0.2)


def test_drop_closes_without_an_answer_and_the_server_survives() -> None:
    with FakeServer(ServerConfig(faults=(Fault("drop", path="*/ping", times=2),))) as server:
        for _ in range(2):
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                httpx.get(server.url + PING)
        assert httpx.get(server.url + PING).text == "pong"


def test_stop_cuts_pending_delays_short() -> None:
    import threading

    baseline = threading.active_count()
    server = FakeServer(ServerConfig(faults=(Fault("latency", path="*", delay=30),)))
    server.start()
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            httpx.get(server.url + PING, timeout=60)
        except httpx.HTTPError as error:
            outcome.append(error)

    client_thread = threading.Thread(target=call)
    client_thread.start()
    time.sleep(0.2)  # let the request reach its delay
    server.stop()
    client_thread.join(timeout=10)
    assert outcome, "the delayed request failed when the server stopped"
    # The server's own worker ended too, rather than sleeping on in the background.
    assert threading.active_count() == baseline


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "explode"}, "kind"),
        ({"kind": "error", "status": 200}, "status"),
        ({"kind": "error", "times": 0}, "times"),
        ({"kind": "error", "probability": 0}, "probability"),
        ({"kind": "latency", "delay": -1}, "delay"),
        ({"kind": "latency", "delay": 2, "delay_max": 1}, "delay_max"),
        ({"kind": "error", "method": "G E T"}, "method"),
        ({"path": "*"}, "kind"),
    ],
)
def test_bad_faults_name_their_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ServerConfig.from_mapping({"faults": [fields]})


def test_faults_from_toml_and_the_plugin_marker_shape(tmp_path: Path) -> None:
    path = tmp_path / "flaky.toml"
    path.write_text('[[faults]]\nkind = "error"\npath = "*/ping"\ntimes = 1\n')
    assert ServerConfig.from_toml(path).faults == (Fault("error", "*/ping", times=1),)
    # The marker passes plain data through ServerConfig.from_mapping, as TOML does.
    marker_fields = {"faults": [{"kind": "drop", "path": "/versions/rest"}]}
    assert ServerConfig.from_mapping(marker_fields).faults == (Fault("drop", "/versions/rest"),)


def test_a_fault_switched_off_stays_quiet_until_switched_on_or_reset() -> None:
    faults = (Fault("error", path="*/ping", status=502), Fault("drop", path="/gone"))
    with FakeServer(ServerConfig(faults=faults)) as server:
        injector = server.emulation.faults
        assert statuses(server, PING, 1) == [502]
        injector.set_enabled(0, False)
        assert statuses(server, PING, 2) == [200, 200]
        assert [(s.enabled, s.fired) for s in injector.states()] == [(False, 1), (True, 0)]
        injector.set_enabled(0, True)
        assert statuses(server, PING, 1) == [502]
        injector.set_enabled(0, False)
        server.reset()  # back to the config: every fault on, counts at zero
        assert [(s.enabled, s.fired) for s in injector.states()] == [(True, 0), (True, 0)]
        assert statuses(server, PING, 1) == [502]
        for index in (-1, 2):
            with pytest.raises(IndexError, match="2 configured"):
                injector.set_enabled(index, False)


def test_faults_apply_to_the_oauth2_issuer_paths() -> None:
    # The issuer's routes are paths like any other: globs match them, before any route.
    down = Fault("error", path="*/oidc/token", status=503, message="IdP down", times=1)
    config = ServerConfig(security=OIDC_SECURITY, faults=(down,))
    form = {
        "grant_type": "password",
        "username": "admin",
        "password": "admin-pass",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    with FakeServer(config) as server, httpx.Client() as http:
        refused = http.post(f"{server.url}/oidc/token", data=form)
        assert refused.status_code == 503
        assert refused.json() == {"error": "IdP down", "path": "/oidc/token", "status": 503}
        assert http.post(f"{server.url}/oidc/token", data=form).status_code == 200  # once
        assert http.get(f"{server.url}/oidc/jwks").status_code == 200  # other paths untouched
