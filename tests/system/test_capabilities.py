"""Every capability in every tier, end to end over real sockets (SPEC §3.2).

Allowed capabilities must really work (their effect is checked on the server's own state);
refused ones must raise the documented error before a single request leaves the client.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

import fakeserver_client as client
from fakeserver import FakeServer, ServerConfig, TableSpec
from fakeserver.protocol import ATOTI_PATH, PIVOT_PATH
from fakeserver.scenarios import CAPABILITY_TABLE
from fakeserver_client import Capability
from fakeserver_client._tiers import LETTERS

from ..datasets import ADMIN_AUTH, BASE, CLOUD, SETUPS, TRADES, USER_AUTH, Setup, raw

Probe = Callable[[client.Session, FakeServer, Path], None]
PROBES: dict[Capability, Probe] = {}
LIVE = {c for c in Capability if CAPABILITY_TABLE[c.value]["READ_ONLY"] == "-"}


def probe(capability: Capability) -> Callable[[Probe], Probe]:
    def register(function: Probe) -> Probe:
        PROBES[capability] = function
        return function

    return register


def trades(session: client.Session) -> client.Table:
    """A handle on the baseline table built without a request (so probes test one thing)."""
    schema = client.TableSchema("trades", dict(TRADES.columns), TRADES.keys)
    return client.Table(session, schema)


def stored(server: FakeServer, table: str) -> list[tuple[Any, ...]]:
    with server.state.lock:
        return server.state.tables[table].rows()


@probe(Capability.PING)
def _ping(session: client.Session, server: FakeServer, tmp_path: Path) -> None:
    before = len(server.log)
    session.ping()
    assert len(server.log) == before + 1 and server.log[-1][0].path.endswith("/ping")


@probe(Capability.LINK)
def _link(session: client.Session, server: FakeServer, tmp_path: Path) -> None:
    assert session.link == server.url


@probe(Capability.CUBES)
def _cubes(session: client.Session, server: FakeServer, tmp_path: Path) -> None:
    cubes = session.cubes
    assert list(cubes) == ["Trades"]
    assert cubes["Trades"].hierarchies == ("id", "desk")
    assert cubes["Trades"].measures == ("contributors.COUNT", "qty.SUM", "price.SUM")


@probe(Capability.TABLES_SCHEMA)
def _schema(session: client.Session, server: FakeServer, tmp_path: Path) -> None:
    schema = session.tables.schema
    assert list(schema) == ["trades", "scratch"]
    assert schema["trades"].data_types == TRADES.columns
    assert schema["trades"].keys == ("id",)
    assert schema["trades"].default_values["desk"] == "N/A"


@probe(Capability.TABLE_QUERY)
def _query(session: client.Session, server: FakeServer, tmp_path: Path) -> None:
    table = session.tables["trades"]
    assert table.query("id", filter=table["desk"] == "A")["id"] == [1, 3]
    assert table.head(1).rows == [(1, "A", 10, 1.5, dt.date(2024, 1, 1))]
    with pytest.raises(KeyError):
        session.tables["nope"]


@probe(Capability.TABLES_LIST)
def _list(session: client.Session, server: FakeServer, tmp_path: Path) -> None:
    assert list(session.tables) == ["trades", "scratch"]
    assert len(session.tables) == 2
    assert "scratch" in session.tables and "nope" not in session.tables


@probe(Capability.CREATE_TABLE)
def _create_table(session: client.Session, server: FakeServer, tmp_path: Path) -> None:
    table = session.create_table(
        "fresh", data_types={"k": "String", "n": "long[]"}, keys=["k"], default_values={"k": "?"}
    )
    assert (table.name, table.keys, dict(table.data_types)) == (
        "fresh",
        ("k",),
        {"k": "String", "n": "long[]"},
    )
    assert server.state.tables["fresh"].column("k").default == "?"


@probe(Capability.TABLE_APPEND)
def _append(session: client.Session, server: FakeServer, tmp_path: Path) -> None:
    table = trades(session)
    table += (4, "C", 40, 4.5, dt.date(2024, 1, 4))
    table.append({"id": 1, "desk": "Z"}, [5, "D", 50, 5.5, None])
    rows = stored(server, "trades")
    assert rows[0] == (1, "Z", 0, 0.0, None)  # the key existed: the row is replaced whole
    assert rows[3:] == [(4, "C", 40, 4.5, dt.date(2024, 1, 4)), (5, "D", 50, 5.5, None)]


@probe(Capability.TABLE_DROP)
def _drop(session: client.Session, server: FakeServer, tmp_path: Path) -> None:
    del session.tables["scratch"]
    assert "scratch" not in server.state.tables
    with pytest.raises(KeyError):
        del session.tables["scratch"]


@probe(Capability.CREATE_CUBE)
def _create_cube(session: client.Session, server: FakeServer, tmp_path: Path) -> None:
    cube = session.create_cube(trades(session), name="Again")
    assert cube == client.Cube(
        "Again", ("id", "desk"), ("contributors.COUNT", "qty.SUM", "price.SUM")
    )
    assert server.state.cubes["Again"].table == "trades"


@probe(Capability.LOAD_CLOUD)
def _load_cloud(session: client.Session, server: FakeServer, tmp_path: Path) -> None:
    table = trades(session)
    assert [table.load_csv(url) for url in CLOUD] == [1, 1, 1]
    assert [r[0] for r in stored(server, "trades")] == [1, 2, 3, 4, 5, 6]


@probe(Capability.LOAD_FILE)
def _load_file(session: client.Session, server: FakeServer, tmp_path: Path) -> None:
    path = tmp_path / "more.csv"
    path.write_text("id;desk;qty;price;day\n7;E;70;7.5;2024-01-07\n")
    assert trades(session).load_csv(path, separator=";") == 1
    assert stored(server, "trades")[-1] == (7, "E", 70, 7.5, dt.date(2024, 1, 7))


@probe(Capability.SECURITY)
def _security(session: client.Session, server: FakeServer, tmp_path: Path) -> None:
    session.security.basic_authentication.credentials["carol"] = "carol-pass"
    assert server.state.accounts["carol"].password == "carol-pass"


def test_every_capability_has_a_probe() -> None:
    assert set(PROBES) == set(Capability)


def allowed(capability: Capability, setup: Setup) -> bool:
    # From the matrix's own table (SPEC §3.2 as data), not from the client's rules.
    mark = CAPABILITY_TABLE[capability.value][setup.tier]
    return mark == "y" or (mark == "d" and setup.same_host)


@pytest.fixture(params=list(SETUPS), ids=list(SETUPS))
def setup(request: pytest.FixtureRequest) -> Setup:
    return SETUPS[request.param]


@pytest.fixture
def live(setup: Setup) -> Iterator[tuple[FakeServer, client.Session]]:
    with FakeServer(setup.config) as server:
        session = client.Session.connect(server.url, authentication=setup.authentication)
        with session:
            assert session.tier.value == setup.tier
            yield server, session


@pytest.mark.parametrize("capability", list(Capability), ids=[c.value for c in Capability])
def test_capability_in_tier(
    setup: Setup,
    live: tuple[FakeServer, client.Session],
    capability: Capability,
    tmp_path: Path,
) -> None:
    server, session = live
    expected = allowed(capability, setup)
    assert (capability in session.capabilities) is expected
    if expected:
        PROBES[capability](session, server, tmp_path)
        return
    before = len(server.log)
    with pytest.raises(client.CapabilityUnavailableError) as caught:
        PROBES[capability](session, server, tmp_path)
    assert len(server.log) == before, "a refused capability must send nothing"
    error = caught.value
    wanted = (
        client.LiveExtensionUnavailableError
        if capability in LIVE
        else client.CapabilityUnavailableError
    )
    assert type(error) is wanted
    assert error.capability is capability and error.tier.value == setup.tier
    assert str(error).startswith(f"{capability.value} is not available: this session is ")
    for key in error.unmet:
        assert f"{key} ({LETTERS[key]}): " in str(error)


@pytest.mark.parametrize(
    ("name", "capability", "because"),
    [
        (
            "READ_ONLY-plain_user",
            Capability.CREATE_TABLE,
            "this session is READ_ONLY because admin (b): the credentials do not grant ROLE_ADMIN",
        ),
        (
            "READ_ONLY-unsecured",
            Capability.TABLE_APPEND,
            "secured (a): the target does not require authentication",
        ),
        (
            "NSM-remote_host",
            Capability.LOAD_FILE,
            "this session is NO_SECURITY_MANAGEMENT because same_host (d): the target runs on "
            "another host",
        ),
        ("REMOTE", Capability.LOAD_FILE, "this session is REMOTE because same_host (d)"),
        (
            "NSM-same_host",
            Capability.SECURITY,
            "same_python_api (c): the target was started with Atoti Python API 0.9.1, not 0.9.2",
        ),
        (
            "MINIMAL",
            Capability.TABLE_QUERY,
            "same_server_version (e): the target runs Atoti Server 6.1.3, not 6.1.2",
        ),
    ],
)
def test_refusals_explain_the_nearest_fix(
    name: str, capability: Capability, because: str, tmp_path: Path
) -> None:
    setup = SETUPS[name]
    with (
        FakeServer(setup.config) as server,
        client.Session.connect(server.url, authentication=setup.authentication) as session,
    ):
        before = len(server.log)
        with pytest.raises(client.CapabilityUnavailableError, match=re.escape(because)):
            PROBES[capability](session, server, tmp_path)
        assert len(server.log) == before


def test_every_entry_point_checks_before_validating(tmp_path: Path) -> None:
    # Client-side mistakes must not hide the refusal (nor be checked first and send nothing).
    setup = SETUPS["MINIMAL"]
    with FakeServer(setup.config) as server, client.Session.connect(server.url) as session:
        table = trades(session)
        before = len(server.log)
        refusals: list[Callable[[], object]] = [
            lambda: table.query("no_such_column"),
            lambda: table.append(),
            lambda: session.create_table("x", data_types={}),
            lambda: session.create_cube("missing"),
            lambda: session.read_csv("s3://nowhere/x.csv", table_name="x"),
            lambda: session.read_csv(tmp_path / "x.csv", table_name="x"),
            lambda: session.tables.schema,
            lambda: session.tables.__delitem__("trades"),
            lambda: session.security,
        ]
        for refusal in refusals:
            with pytest.raises(client.CapabilityUnavailableError):
                refusal()
        assert len(server.log) == before


# -- queries and filters ---------------------------------------------------------------------


@pytest.fixture
def admin_session() -> Iterator[tuple[FakeServer, client.Session]]:
    with FakeServer(BASE) as server:
        with client.Session.connect(server.url, authentication=ADMIN_AUTH) as session:
            yield server, session


def test_queries_filter_project_and_page(admin_session: tuple[FakeServer, client.Session]) -> None:
    _, session = admin_session
    table = session.tables["trades"]
    result = table.query(
        "day",
        "id",
        filter=((table["qty"] >= 20) & table["desk"].isin("B", "C")) | (table["price"] < 2),
    )
    assert result.columns == ("day", "id") and result.types == ("LocalDate", "int")
    assert result.rows == [(dt.date(2024, 1, 1), 1), (dt.date(2024, 1, 2), 2)]
    assert len(table.query(max_rows=2)) == 2 and len(table.query(max_rows=0)) == 0
    assert table.query("id", filter=table["day"] > dt.date(2024, 1, 2)).to_dicts() == [{"id": 3}]
    assert table.query("id", filter=~(table["desk"] == "A"))["id"] == [2]
    assert list(table.query("id", filter=table["id"] != 2)) == [(1,), (3,)]
    with pytest.raises(KeyError):
        table.query("id")["desk"]
    with pytest.raises(ValueError, match="max_rows"):
        table.query(max_rows=-1)


def test_values_round_trip_with_their_types(
    admin_session: tuple[FakeServer, client.Session],
) -> None:
    _, session = admin_session
    types = {
        "k": "long",
        "f": "float",
        "b": "boolean",
        "at": "LocalDateTime",
        "days": "LocalDate[]",
        "s": "String",
    }
    table = session.create_table("typed", data_types=types, keys=["k"])
    moment = dt.datetime(2024, 2, 29, 23, 59, 58)
    table += (2**40, 0.5, True, moment, (dt.date(2024, 1, 1), dt.date(2024, 1, 2)), "ü")
    row = table.head().rows[0]
    assert row == (2**40, 0.5, True, moment, [dt.date(2024, 1, 1), dt.date(2024, 1, 2)], "ü")
    assert session.tables["typed"].query(filter=table["at"] == moment).rows == [row]


def test_bad_values_are_refused_whole(admin_session: tuple[FakeServer, client.Session]) -> None:
    server, session = admin_session
    table = session.tables["trades"]
    before = stored(server, "trades")
    with pytest.raises(client.ServerError) as caught:
        table.append((4, "C", 40, 4.5, None), (5, "D", "fifty", 5.5, None))
    assert caught.value.status == 400
    assert caught.value.message == "table 'trades', row 1, column 'qty': 'fifty' is not an int"
    assert stored(server, "trades") == before  # row 0 was fine, and is not stored either
    with pytest.raises(client.ServerError, match="3 values for 5 columns"):
        table.append((6, "E", 1))


def test_the_tables_mapping(admin_session: tuple[FakeServer, client.Session]) -> None:
    server, session = admin_session
    session.tables["scratch"] += (5,)  # `+=` on the mapping item stores the table back
    assert stored(server, "scratch") == [(1,), (1,), (5,)]
    with pytest.raises(TypeError, match="create_table"):
        session.tables["scratch"] = session.tables["trades"]
    assert dict(session.tables.items()).keys() == {"trades", "scratch"}
    with pytest.raises(client.ServerError, match="base table of cube 'Trades'") as caught:
        del session.tables["trades"]
    assert caught.value.status == 409
    with pytest.raises(client.ServerError, match="already exists"):
        session.create_table("scratch", data_types={"v": "int"})
    with pytest.raises(client.ServerError, match="'integer' is not an Atoti type"):
        session.create_table("bad", data_types={"v": "integer"})
    with pytest.raises(client.ServerError, match="a cube named 'Trades' already exists"):
        session.create_cube("trades", name="Trades")
    with pytest.raises(client.ServerError, match="no table named 'ghost'") as missing:
        session.create_cube("ghost")
    assert missing.value.status == 404
    assert session.create_cube("scratch").name == "scratch"  # named after its table
    assert list(session.cubes) == ["Trades", "scratch"]


def test_paths_come_from_versions_rest(open_server: FakeServer) -> None:
    # A target whose pivot API lives elsewhere: the client must follow /versions/rest.
    versions = {
        "version": 1,
        "serverVersion": "6.1.2",
        "apis": {"activeviam/pivot": {"versions": [{"id": "9", "restPath": "/p"}]}},
    }
    open_server.expect_request("/versions/rest").respond_with_json(versions)
    open_server.expect_request("/p/ping").respond_with_data("pong")
    answer = {"headers": [{"name": "a", "type": "int"}], "rows": [[1]]}
    open_server.expect_request("/p/database/data/tables/t", method="POST").respond_with_json(answer)
    open_server.expect_request("/p/database/discovery").respond_with_json(
        {
            "tables": [
                {
                    "name": "t",
                    "columns": [{"name": "a", "type": "int", "defaultValue": 0}],
                    "keys": [],
                }
            ]
        }
    )
    open_server.expect_request("/p/cube/discovery").respond_with_json({"catalogs": []})
    with client.Session.connect(open_server.url) as session:
        assert session.tier is client.Tier.READ_ONLY
        assert session.tables["t"].head().rows == [(1,)]
        assert list(session.cubes) == []
    open_server.check_assertions()


# -- security management -------------------------------------------------------------------


def ping_as(server: FakeServer, user: str, password: str) -> int:
    return raw("GET", server.url + PIVOT_PATH + "/ping", auth=(user, password)).status_code


def list_as(server: FakeServer, user: str, password: str) -> int:
    return raw("GET", server.url + ATOTI_PATH + "/tables", auth=(user, password)).status_code


def test_credentials_read_redacted_and_write_through(
    admin_session: tuple[FakeServer, client.Session],
) -> None:
    server, session = admin_session
    credentials = session.security.basic_authentication.credentials
    assert dict(credentials) == {"admin": "**REDACTED**", "user": "**REDACTED**"}
    assert "user-pass" not in repr(credentials) and len(credentials) == 2
    credentials["user"] = "changed"  # takes effect on the very next request
    assert ping_as(server, "user", "user-pass") == 401
    assert ping_as(server, "user", "changed") == 200
    credentials.update({"dave": "d-pass", "erin": "e-pass"}, frank="f-pass")
    assert ping_as(server, "dave", "d-pass") == ping_as(server, "frank", "f-pass") == 200
    assert "dave" in credentials and "nobody" not in credentials
    del credentials["dave"]
    assert ping_as(server, "dave", "d-pass") == 401
    with pytest.raises(KeyError):
        del credentials["dave"]
    with pytest.raises(client.ServerError, match=r"user\.name") as caught:
        credentials["bad:name"] = "x"
    assert caught.value.status == 400
    with pytest.raises(TypeError):
        credentials["x"] = 3  # type: ignore[assignment]


def test_roles_write_through_and_apply_to_the_next_request(
    admin_session: tuple[FakeServer, client.Session],
) -> None:
    server, session = admin_session
    roles = session.security.individual_roles
    assert roles["user"] == {"ROLE_USER"}
    assert list_as(server, "user", "user-pass") == 403
    roles["user"] = frozenset({"ROLE_USER", "ROLE_ADMIN"})
    assert list_as(server, "user", "user-pass") == 200
    del roles["user"]  # no roles left: still a user, but no longer an admin
    assert "user" not in roles and list_as(server, "user", "user-pass") == 403
    assert ping_as(server, "user", "user-pass") == 200
    with pytest.raises(client.ServerError, match="no user named 'ghost'") as caught:
        roles["ghost"] = frozenset({"ROLE_USER"})
    assert caught.value.status == 404
    with pytest.raises(client.ServerError, match="is not a role name"):
        roles["user"] = frozenset({"admin"})
    with pytest.raises(TypeError):
        roles["user"] = "ROLE_USER"  # type: ignore[assignment]
    # A new user starts as a plain user.
    session.security.basic_authentication.credentials["gina"] = "g-pass"
    assert roles["gina"] == {"ROLE_USER"}


def test_an_admin_who_drops_its_own_role_is_refused_next(
    admin_session: tuple[FakeServer, client.Session],
) -> None:
    _, session = admin_session
    session.security.individual_roles["admin"] = frozenset({"ROLE_USER"})
    # The session still believes it is LOCAL: the server enforces (b) on its own.
    assert session.tier is client.Tier.LOCAL
    with pytest.raises(client.ForbiddenError, match="ROLE_ADMIN is required"):
        list(session.tables)
    with pytest.raises(client.ForbiddenError):
        dict(session.security.individual_roles)


def test_a_removed_user_is_refused_on_its_next_request(
    admin_session: tuple[FakeServer, client.Session],
) -> None:
    server, session = admin_session
    with client.Session.connect(server.url, authentication=USER_AUTH) as plain:
        assert plain.tables["trades"].head(1).rows
        session.security.basic_authentication.credentials.update({"user": None})
        with pytest.raises(client.AuthenticationError, match="Bad credentials"):
            plain.tables["trades"].head(1)
    token = raw(
        "GET", server.url + PIVOT_PATH + "/ping", headers={"Authorization": "Bearer user-token"}
    )
    assert token.status_code == 401  # its token died with it


# -- restart, reset, concurrency --------------------------------------------------------------


def snapshot(server: FakeServer) -> dict[str, Any]:
    auth = ("admin", "admin-pass")
    pivot, atoti = server.url + PIVOT_PATH, server.url + ATOTI_PATH
    with httpx.Client(auth=auth, verify=False) as http:
        names = http.get(atoti + "/tables").json()
        return {
            "tables": {
                name: http.post(pivot + f"/database/data/tables/{name}", json={}).json()
                for name in names
            },
            "schema": http.get(pivot + "/database/discovery").json(),
            "cubes": http.get(pivot + "/cube/discovery").json(),
            "credentials": http.get(atoti + "/security/basic/credentials").json(),
            "roles": http.get(atoti + "/security/individual-roles").json(),
        }


def change_everything(server: FakeServer, tmp_path: Path) -> None:
    with client.Session.connect(server.url, authentication=ADMIN_AUTH) as session:
        trades(session).append((1, "Z", 0, 0.0, None), (9, "Y", 9, 9.0, None))
        trades(session).load_csv("s3://bucket/more.csv")
        session.create_table("new", data_types={"a": "int"})
        session.create_cube("new")
        del session.tables["scratch"]
        session.security.basic_authentication.credentials["zed"] = "z"
        session.security.individual_roles["user"] = frozenset({"ROLE_ADMIN"})


@pytest.mark.parametrize("how", ["restart", "reset"])
def test_restart_and_reset_bring_back_exactly_the_baseline(how: str, tmp_path: Path) -> None:
    config = BASE.replace(
        tables=(
            *BASE.tables,
            TableSpec("gen", {"id": "int", "name": "String"}, keys=("id",), generate=20),
        )
    )
    with FakeServer(config) as server:
        url, baseline = server.url, snapshot(server)
        change_everything(server, tmp_path)
        assert snapshot(server) != baseline
        getattr(server, how)()
        assert server.url == url
        # The old user password works again, the new one does not exist any more.
        assert ping_as(server, "zed", "z") == 401
        assert snapshot(server) == baseline


def test_concurrent_writers_lose_no_rows() -> None:
    threads, per_thread = 8, 200
    with FakeServer(BASE) as server:
        start = threading.Barrier(threads)

        def writer(n: int) -> None:
            with client.Session.connect(server.url, authentication=ADMIN_AUTH) as session:
                keyed, keyless = (
                    trades(session),
                    client.Table(session, client.TableSchema("scratch", {"v": "int"})),
                )
                start.wait()
                for i in range(per_thread):
                    # A new key each time, and everyone also replaces key 1.
                    keyed.append(
                        (1000 + n * per_thread + i, f"t{n}", i, 0.0, None),
                        (1, f"t{n}", i, 0.0, None),
                    )
                    if i % 4 == 0:
                        keyless += (n,)

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(writer, range(threads)))
        rows = stored(server, "trades")
        assert len(rows) == 3 + threads * per_thread
        assert {r[0] for r in rows} == {1, 2, 3} | {1000 + k for k in range(threads * per_thread)}
        # Key 1 holds the very last write to it: some thread's last row, whole.
        assert rows[0] in {(1, f"t{n}", per_thread - 1, 0.0, None) for n in range(threads)}
        scratch = stored(server, "scratch")
        assert len(scratch) == 2 + threads * per_thread // 4
        assert sorted(v for (v,) in scratch[2:]) == sorted(list(range(threads)) * (per_thread // 4))


def test_setups_cover_every_tier() -> None:
    assert {s.tier for s in SETUPS.values()} == {t.value for t in client.Tier}
    assert ServerConfig().security is None  # the unsecured setups rely on this default


def test_whole_views_of_live_mappings_cost_one_request() -> None:
    from ..datasets import ADMIN_AUTH, BASE

    with (
        FakeServer(BASE) as server,
        client.Session.connect(server.url, authentication=ADMIN_AUTH) as session,
    ):
        credentials = session.security.basic_authentication.credentials
        for view in (credentials.items, credentials.keys, credentials.values, session.tables.keys):
            before = len(server.log)
            assert list(view())
            assert len(server.log) == before + 1, view
        assert dict(credentials.items()) == {"admin": "**REDACTED**", "user": "**REDACTED**"}
        assert list(session.tables.keys()) == list(session.tables) == ["trades", "scratch"]
