"""The status data (``fakeserver.status``): the tier map against the thin client's own
decision, the picture of the target without a secret in it, and the request log's paging."""

from __future__ import annotations

import json
from typing import Any

import pytest

import fakeserver_client as client
from fakeserver import FakeServer, SecurityConfig, ServerConfig, TableSpec, TlsConfig, User
from fakeserver.config import CubeSpec, Fault, OidcConfig
from fakeserver.host import host_identity
from fakeserver.model import Cube, Table
from fakeserver.state import ServerState
from fakeserver.status import (
    MAX_SHOWN,
    ClientVersions,
    LoggedRequest,
    describe_fault,
    is_loopback,
    own_host_names,
    request_log,
    snapshot,
    status_filter,
    tier_map,
)

ADMIN = User("admin", "admin-secret-pw", roles=frozenset({"ROLE_USER", "ROLE_ADMIN"}))
PLAIN = User("plain", "plain-secret-pw")
NO_ROLES = User("nobody", "nobody-secret-pw", roles=frozenset())
SECURITY = SecurityConfig(users=(ADMIN, PLAIN, NO_ROLES), tokens={"tok-secret-123": "admin"})
PASSWORDS = {u.name: u.password for u in SECURITY.users}

#: Targets that land the same accounts in different tiers.
TARGETS = {
    "secured": ServerConfig(security=SECURITY),
    "unsecured": ServerConfig(),
    "remote": ServerConfig(security=SECURITY, host="remote"),
    "other_api": ServerConfig(security=SECURITY, python_api_version="0.9.3"),
    "other_server": ServerConfig(security=SECURITY, server_version="6.1.3"),
    "other_both": ServerConfig(
        security=SECURITY, server_version="6.1.3", python_api_version="0.9.3"
    ),
    "not_exposed": ServerConfig(security=SECURITY, exposed=False),
    "unsecured_not_exposed_remote": ServerConfig(exposed=False, host="remote"),
}


def observed(server: FakeServer, who: str | None, versions: ClientVersions) -> dict[str, Any] | str:
    """What the thin client decides, as a tier-map row says it; the error class if it fails."""
    auth = None if who is None else client.BasicAuthentication(who, PASSWORDS[who])
    try:
        session = client.Session.connect(
            server.url,
            authentication=auth,
            server_version=versions.server_version,
            python_api_version=versions.python_api_version,
        )
    except client.ClientError as error:
        return type(error).__name__
    with session:
        return {
            "conditions": session.conditions.as_dict(),
            "tier": session.tier.value,
            "capabilities": sorted(c.value for c in session.capabilities),
        }


def predicted(row: dict[str, Any]) -> dict[str, Any] | str:
    if row["tier"] is None:
        assert row["error"] == "authentication"
        return "AuthenticationError"
    return {
        "conditions": row["conditions"],
        "tier": row["tier"],
        "capabilities": sorted(row["capabilities"]),
    }


@pytest.mark.parametrize(
    "versions",
    [ClientVersions(), ClientVersions("6.1.3", "0.9.3")],
    ids=["default-client", "newer-client"],
)
@pytest.mark.parametrize("target", list(TARGETS))
def test_the_tier_map_is_what_the_thin_client_decides(
    target: str, versions: ClientVersions
) -> None:
    with FakeServer(TARGETS[target]) as server:
        rows = tier_map(server.state, server.emulation.host, versions)
        who = [row["who"] for row in rows]
        if server.config.secured:
            assert who == ["admin", "nobody", "plain", None], "accounts, then anonymous"
        else:
            assert who == [None], "unsecured: everyone is anonymous"
        for row in rows:
            assert predicted(row) == observed(server, row["who"], versions), row["who"]


def test_the_tier_map_follows_security_changes_made_on_the_wire() -> None:
    with FakeServer(TARGETS["secured"]) as server:
        server.state.update_credentials({"late": "late-secret-pw"})
        server.state.update_individual_roles({"late": ["ROLE_USER", "ROLE_ADMIN"]})
        PASSWORDS["late"] = "late-secret-pw"
        try:
            rows = {
                r["who"]: r for r in tier_map(server.state, server.emulation.host, ClientVersions())
            }
            assert rows["late"]["tier"] == "LOCAL"
            assert predicted(rows["late"]) == observed(server, "late", ClientVersions())
        finally:
            del PASSWORDS["late"]


def test_the_tier_map_is_not_a_copy_of_the_config() -> None:
    # A target whose every account is READ_ONLY: the map must not say LOCAL for an admin.
    config = ServerConfig(security=SECURITY, python_api_version="0.9.3")
    with FakeServer(config) as server:
        rows = {
            r["who"]: r for r in tier_map(server.state, server.emulation.host, ClientVersions())
        }
    assert rows["admin"]["tier"] == "NO_SECURITY_MANAGEMENT"
    assert rows["admin"]["conditions"]["same_python_api"] is False
    assert "security" not in rows["admin"]["capabilities"]
    assert rows["plain"]["tier"] == "READ_ONLY"


DATA = ServerConfig(
    security=SECURITY,
    tls=TlsConfig("optional"),
    tables=(
        TableSpec(
            "trades",
            {"id": "long", "desk": "String", "price": "double", "tags": "String[]"},
            keys=("id",),
            rows=tuple(
                (i, "x" * 300 if i == 0 else f"desk{i}", i * 1.5, ("a", "b")) for i in range(8)
            ),
        ),
        TableSpec("empty", {"name": "String"}),
    ),
    cubes=(CubeSpec("Trades", "trades"),),
    faults=(Fault("error", path="*/nothing", status=502, times=2),),
)


@pytest.fixture(scope="module")
def data_server() -> Any:
    with FakeServer(DATA) as server:
        yield server


def test_the_snapshot_shows_the_target_security_data_and_faults(data_server: FakeServer) -> None:
    server = data_server
    data = snapshot(server.state, server.emulation.console, server.emulation.host, ClientVersions())
    target = data["target"]
    assert target["url"] == server.url
    assert target["tls"] == {
        "enabled": True,
        "client_certificates": "optional",
        "ca_path": server.ca_path,
    }
    assert target["host"]["this_machine"] is True and target["host"]["kind"] == "local"
    assert target["paths"]["atoti"] == "/atoti/rest/v1"
    assert data["security"]["users"] == [
        {"name": "admin", "roles": ["ROLE_ADMIN", "ROLE_USER"], "tokens": 1},
        {"name": "nobody", "roles": [], "tokens": 0},
        {"name": "plain", "roles": ["ROLE_USER"], "tokens": 0},
    ]
    assert data["security"]["tokens"] == 1
    assert data["security"]["client_certificates"] == "optional"
    trades, empty = data["data"]["tables"]
    assert trades["rows"] == 8 and len(trades["head"]) == 5
    assert trades["keys"] == ["id"]
    assert trades["columns"][3] == {"name": "tags", "type": "String[]"}
    assert trades["head"][0][1] == "x" * 200 + "…", "a long value is cut"
    assert trades["head"][1] == [1, "desk1", 1.5, ["a", "b"]]
    assert (empty["rows"], empty["head"]) == (0, [])
    [cube] = data["data"]["cubes"]
    assert cube["levels"] == ["id", "desk"]
    assert cube["measures"] == ["contributors.COUNT", "price.SUM"]
    [fault] = data["faults"]
    assert fault["description"] == "* */nothing: answer 502 (2x)"
    assert (fault["enabled"], fault["fired"]) == (True, 0)
    assert data["client"]["server_version"] == "6.1.2"
    assert data["rules"]["keys"][0] == "secured" and data["rules"]["letters"]["exposed"] == "f"


def test_the_snapshot_holds_no_secret(data_server: FakeServer) -> None:
    server = data_server
    cert, key = server.client_certificate("admin")
    text = json.dumps(
        snapshot(server.state, server.emulation.console, server.emulation.host, ClientVersions())
    )
    for secret in (*PASSWORDS.values(), "tok-secret-123", key, cert):
        assert secret not in text
    assert server.ca_path is not None and server.ca_path in text, "the CA path is public"


def test_a_dropped_cube_table_shows_no_levels(data_server: FakeServer) -> None:
    server = data_server
    try:
        with server.state.lock:
            del server.state.tables["trades"]
        data = snapshot(server.state, None, server.emulation.host, ClientVersions())
        assert data["data"]["cubes"] == [
            {"name": "Trades", "table": "trades", "levels": [], "measures": []}
        ]
        assert data["target"]["url"] is None and data["faults"] == []
    finally:
        server.state.reset()


def entry(number: int, status: int = 200) -> LoggedRequest:
    return LoggedRequest(number, 1.0 * number, "GET", f"/p{number}", None, status, 0.123)


def ids(answer: dict[str, Any]) -> list[int]:
    return [r["id"] for r in answer["requests"]]


def test_the_request_log_is_newest_first_and_pages_on_ids() -> None:
    log = [entry(n, 404 if n % 3 == 0 else 200) for n in range(1, 11)]
    everything = request_log(log)
    assert ids(everything) == list(range(10, 0, -1))
    assert everything["latest"] == 10 and everything["kept"] == 10
    assert everything["requests"][0] == {
        "id": 10,
        "time": 10.0,
        "method": "GET",
        "path": "/p10",
        "user": None,
        "status": 200,
        "ms": 0.12,
    }
    assert ids(request_log(log, after=7)) == [10, 9, 8]
    assert ids(request_log(log, limit=2)) == [10, 9]
    assert ids(request_log(log, status=status_filter("4xx"))) == [9, 6, 3]
    assert ids(request_log(log, status=status_filter("200"), after=8)) == [10]
    quiet = request_log(log, after=10)
    assert (ids(quiet), quiet["latest"]) == ([], 10)
    assert request_log([], after=5)["latest"] == 5, "a restarted page keeps its place"


@pytest.mark.parametrize(
    ("text", "passes", "fails"),
    [("4xx", [400, 404, 499], [399, 500, 200]), ("2XX", [200, 204], [404]), ("503", [503], [500])],
)
def test_status_filters(text: str, passes: list[int], fails: list[int]) -> None:
    matches = status_filter(text)
    assert all(map(matches, passes)) and not any(map(matches, fails))


@pytest.mark.parametrize("text", ["", "4x", "6xx", "40", "4040", "errors", "4xx,5xx", "xx"])
def test_bad_status_filters_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="4xx"):
        status_filter(text)


def test_describe_fault() -> None:
    assert describe_fault(Fault("drop", path="/x", method="post", probability=0.5)) == (
        "POST /x: drop the connection (always, p=0.5)"
    )
    assert describe_fault(Fault("latency", delay=0.2, delay_max=1)) == "* *: +0.2s..1s (always)"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LocalHost", True),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("example.test", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_own_host_names() -> None:
    assert own_host_names("127.0.0.1") == frozenset({"127.0.0.1", "localhost", "::1"})
    assert own_host_names("[::1]") == frozenset({"127.0.0.1", "localhost", "::1"})
    assert own_host_names("192.0.2.7") == frozenset({"192.0.2.7"})
    assert own_host_names("Box.Example") == frozenset({"box.example"})
    assert own_host_names("0.0.0.0") is None and own_host_names("::") is None


def test_an_oauth2_issuer_shows_its_clients_but_never_their_secrets() -> None:
    oidc = OidcConfig(clients={"my-app": "my-app-secret-value", "other": "other-secret"})
    config = ServerConfig(security=SecurityConfig(users=(ADMIN,), oidc=oidc))
    with FakeServer(config) as server:
        data = snapshot(
            server.state, server.emulation.console, server.emulation.host, ClientVersions()
        )
        assert data["security"]["oidc"] == {
            "issuer": server.url + "/oidc",
            "path": "/oidc",
            "audience": "fakeserver",
            "roles_claim": "roles",
            "algorithm": "ES256",
            "clients": ["my-app", "other"],
        }
        text = json.dumps(data)
        assert "my-app-secret-value" not in text and "other-secret" not in text
    assert (
        snapshot(ServerState(ServerConfig()), None, host_identity(), ClientVersions())["security"][
            "oidc"
        ]
        is None
    )


def test_the_data_shown_is_bounded() -> None:
    state = ServerState(ServerConfig(security=SECURITY))
    for index in range(MAX_SHOWN + 7):
        state.tables[f"t{index}"] = Table(f"t{index}", {"id": "int"})
        state.cubes[f"c{index}"] = Cube(f"c{index}", f"t{index}")
    data = snapshot(state, None, host_identity(), ClientVersions())["data"]
    assert len(data["tables"]) == len(data["cubes"]) == MAX_SHOWN
    assert data["counts"] == {"tables": MAX_SHOWN + 7, "cubes": MAX_SHOWN + 7}


def test_the_accounts_shown_are_bounded() -> None:
    # Security management creates any number of users (200,000 in one PUT of 3 MB): the
    # page polls every 3 s, and answered a row and a tier for each, 70 MB a time.
    state = ServerState(ServerConfig(security=SECURITY))
    extra = MAX_SHOWN + 7
    state.update_credentials({f"u{index:03}": "pw" for index in range(extra)})
    data = snapshot(state, None, host_identity(), ClientVersions())
    names = sorted([*PASSWORDS, *(f"u{index:03}" for index in range(extra))])
    assert [u["name"] for u in data["security"]["users"]] == names[:MAX_SHOWN]
    assert data["security"]["counts"] == {"users": len(names)}
    tiers = data["tiers"]
    assert [r["who"] for r in tiers] == [*names[:MAX_SHOWN], None], "then anonymous"
