"""The installed atoti-client against a fake of its own server generation (issues 8 and 12).

Opt-in (``tox -e atoti-compat`` for 0.9.2, ``tox -e atoti-0.9.16`` and the like for the
others; deselected by default): it needs a real ``atoti-client``, whose version is read from
package metadata and handed to :meth:`ServerConfig.for_client`. Every expected number is
computed here from ``TRADES``; what differs between releases is in ``tests/atoti_compat/
releases.py``.
"""

from __future__ import annotations

import os
import ssl

# Loopback only: atoti posts telemetry to the internet on import unless this is set.
os.environ["_ATOTI_DISABLE_TELEMETRY"] = "True"
os.environ["ATOTI_HIDE_EULA_MESSAGE"] = "True"

import math
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from fakeserver import CubeSpec, FakeServer, SecurityConfig, TableSpec, TlsConfig, User

from .releases import (
    ASKS_PY4J,
    CLIENT,
    HTTP,
    MISMATCHED_SERVER,
    READS_TABLES,
    assert_not_available,
    config,
)

atoti = pytest.importorskip("atoti")
pytestmark = pytest.mark.atoti_compat

COLUMNS = {"id": "int", "desk": "String", "city": "String", "qty": "double", "n": "long"}
TRADES: tuple[tuple[Any, ...], ...] = (
    (1, "Equity", "Paris", 10.5, 3),
    (2, "Equity", "London", -2.25, 4),
    (3, "Rates", "Paris", 7.0, 1),
    (4, "Rates", "New York", 1.25, 10),
    (5, "FX", "London", 100.0, 2),
    (6, "Credit", "Paris", 0.5, 7),
    (7, "Equity", "Paris", 3.0, 5),
)
ROWS = [dict(zip(COLUMNS, row, strict=True)) for row in TRADES]
ADMIN = User("admin", "admin-pass", roles=frozenset({"ROLE_USER", "ROLE_ADMIN"}))
READER = User("reader", "reader-pass")
SECURITY = SecurityConfig(users=(ADMIN, READER), tokens={"admin-token": "admin"})
DATA: dict[str, Any] = {
    "tables": [TableSpec("Trades", COLUMNS, keys=("id",), rows=TRADES)],
    "cubes": [CubeSpec("Trades", "Trades")],
}
PY4J = "/atoti/rest/v1/py4j/configuration"


def grouped(
    column: str, *levels: str, keep: Callable[[dict[str, Any]], bool] = lambda r: True
) -> Any:
    """Independent SUM by ``levels``: ``{member or (members...): sum}``."""
    sums: dict[Any, Any] = defaultdict(int)
    for row in ROWS:
        if keep(row):
            key = tuple(row[level] for level in levels)
            sums[key[0] if len(key) == 1 else key] += row[column]
    return dict(sums)


def approx(values: dict[Any, Any]) -> dict[Any, Any]:
    return {k: pytest.approx(v) for k, v in values.items()}


# -- servers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secured() -> Iterator[FakeServer]:
    with FakeServer(config(security=SECURITY, **DATA)) as server:
        yield server


@pytest.fixture(scope="module")
def mtls() -> Iterator[FakeServer]:
    with FakeServer(config(security=SECURITY, tls=TlsConfig("optional"), **DATA)) as server:
        yield server


@pytest.fixture
def server(secured: FakeServer) -> FakeServer:
    secured.reset()  # an empty request log for py4j checks
    return secured


@pytest.fixture
def session(server: FakeServer) -> Iterator[Any]:
    auth = atoti.BasicAuthentication("reader", "reader-pass")
    with atoti.Session.connect(server.url, authentication=auth) as connected:
        yield connected


def py4j_statuses(server: FakeServer) -> list[int]:
    return [response.status_code for request, response in server.log if request.path == PY4J]


def asked(status: int) -> list[int]:
    """The Py4J statuses a connect produces: none with 0.9.0, which never asks."""
    return [status] if ASKS_PY4J else []


def tls(server: FakeServer, cert: tuple[str, str] | None = None) -> ssl.SSLContext:
    """What httpx needs to reach ``server`` (httpx 0.28 deprecates ``verify=<path>``)."""
    context = ssl.create_default_context(cafile=server.ca_path)
    if cert is not None:
        context.load_cert_chain(*cert)
    return context


def cube_shape(server: FakeServer, **client: Any) -> dict[str, Any]:
    """The fake's own cube discovery, read with httpx, as the client should see it."""
    discovery = httpx.get(f"{server.url}/activeviam/pivot/rest/v9/cube/discovery", **client)
    discovery.raise_for_status()
    [catalog] = discovery.json()["catalogs"]
    return {
        cube["name"]: {
            "hierarchies": [
                (d["name"], h["name"]) for d in cube["dimensions"] for h in d["hierarchies"]
            ],
            "levels": [
                (d["name"], h["name"], level["name"])
                for d in cube["dimensions"]
                for h in d["hierarchies"]
                for level in h["levels"]
                if level["type"] != "ALL"
            ],
            "measures": sorted(m["name"] for m in cube["measures"]),
        }
        for cube in catalog["cubes"]
    }


def client_shape(session: Any) -> dict[str, Any]:
    return {
        name: {
            "hierarchies": list(cube.hierarchies),
            "levels": list(cube.levels),
            "measures": sorted(cube.measures),
        }
        for name, cube in session.cubes.items()
    }


def assert_read_only_session(
    session: Any, server: FakeServer, *, compatible: bool = True, **client: Any
) -> None:
    assert list(session.cubes) == ["Trades"]
    assert client_shape(session) == cube_shape(server, **client)
    shape = client_shape(session)["Trades"]
    assert {"contributors.COUNT", "qty.SUM", "n.SUM"} <= set(shape["measures"])
    assert ("Trades", "desk", "desk") in shape["levels"]
    if READS_TABLES and compatible:
        assert_read_only_tables(session)
        return
    # 0.9.0-0.9.3, and every release on a target it does not call compatible, refuse
    # (up to 0.9.7 the property itself raises; later ones when the tables are read).
    with pytest.raises(RuntimeError) as caught:
        list(session.tables)
    assert_not_available(caught.value)


def assert_read_only_tables(session: Any) -> None:
    """The Read-only tier as 0.9.4+ implement it: list, describe, query; rows as configured."""
    assert list(session.tables) == ["Trades"]
    assert "Trades" in session.tables
    assert '"Trades"' in str(session.tables.schema)
    table = session.tables["Trades"]
    assert list(table) == list(COLUMNS)
    assert tuple(table.keys) == ("id",)
    assert {column: table[column].data_type for column in table} == COLUMNS
    rows = table.query().sort_values("id").to_dict("records")
    assert rows == ROWS
    equity = table.query(filter=table["desk"] == "Equity").sort_values("id").to_dict("records")
    assert equity == [r for r in ROWS if r["desk"] == "Equity"]


def assert_parsed_error(error: BaseException, status: int, message: str) -> None:
    """The client parsed the fake's JSON error body (else it says "Client error '401 ...")."""
    assert isinstance(error, HTTP.HTTPStatusError)
    assert error.response.status_code == status
    assert str(error) == message


# -- connect: authentication modes, tiers the client infers from the wire ----------------------


def test_basic_admin_over_http(server: FakeServer) -> None:
    auth = atoti.BasicAuthentication("admin", "admin-pass")
    with atoti.Session.connect(server.url, authentication=auth) as session:
        assert session.url == server.url
        assert_read_only_session(session, server, auth=("admin", "admin-pass"))
    assert py4j_statuses(server) == asked(501)  # asked, refused: no Py4J socket is ever opened


def test_basic_user_without_admin_role(server: FakeServer) -> None:
    auth = atoti.BasicAuthentication("reader", "reader-pass")
    with atoti.Session.connect(server.url, authentication=auth) as session:
        assert_read_only_session(session, server, auth=("reader", "reader-pass"))
    assert py4j_statuses(server) == asked(403)


def test_bearer_token(server: FakeServer) -> None:
    auth = atoti.TokenAuthentication("admin-token")
    with atoti.Session.connect(server.url, authentication=auth) as session:
        headers = {"Authorization": "Bearer admin-token"}
        assert_read_only_session(session, server, headers=headers)
    assert py4j_statuses(server) == asked(501)
    authorizations = {request.headers.get("Authorization") for request, _ in server.log}
    assert authorizations == {"Bearer admin-token"}  # pre-emptive, on every request


@pytest.mark.parametrize(
    ("authentication", "message"),
    [
        (lambda: atoti.BasicAuthentication("admin", "wrong"), "Bad credentials"),
        (lambda: atoti.BasicAuthentication("nobody", "admin-pass"), "Bad credentials"),
        (lambda: atoti.TokenAuthentication("not-a-token"), "invalid token"),
        (lambda: None, "Full authentication is required to access this resource"),
    ],
    ids=["wrong-password", "unknown-user", "unknown-token", "no-credentials"],
)
def test_refused_credentials_give_the_parsed_401(
    server: FakeServer, authentication: Callable[[], Any], message: str
) -> None:
    with pytest.raises(HTTP.HTTPStatusError) as caught:
        atoti.Session.connect(server.url, authentication=authentication())
    assert_parsed_error(caught.value, 401, message)
    assert py4j_statuses(server) == []  # it stopped at the ping, as the real client does


def test_unsecured_target() -> None:
    with FakeServer(config(**DATA)) as server, atoti.Session.connect(server.url) as session:
        assert_read_only_session(session, server)
        assert py4j_statuses(server) == asked(403)


@pytest.mark.parametrize(
    "changes",
    [{"server_version": MISMATCHED_SERVER}, {"exposed": False}],
    ids=["server-version-mismatch", "not-exposed"],
)
def test_no_python_api_service_means_no_py4j_request(changes: dict[str, Any]) -> None:
    target = config(security=SECURITY, **DATA).replace(**changes)
    auth = atoti.BasicAuthentication("admin", "admin-pass")
    with FakeServer(target) as server:
        with atoti.Session.connect(server.url, authentication=auth) as session:
            compatible = CLIENT == "0.9.0" and changes.get("exposed", True)
            assert_read_only_session(
                session, server, compatible=compatible, auth=("admin", "admin-pass")
            )
            total = session.cubes["Trades"].query(session.cubes["Trades"].measures["n.SUM"])
            assert total["n.SUM"].tolist() == [sum(r["n"] for r in ROWS)]
        paths = [request.path for request, _ in server.log]
        assert PY4J not in paths
        assert paths[:2] == ["/versions/rest", "/activeviam/pivot/rest/v9/ping"]


# -- connect over HTTPS / mTLS ---------------------------------------------------------------------


def test_basic_over_https_with_the_certificate_authority(mtls: FakeServer) -> None:
    mtls.reset()
    assert mtls.ca_path is not None
    auth = atoti.BasicAuthentication("admin", "admin-pass")
    ca = Path(mtls.ca_path)
    with atoti.Session.connect(mtls.url, authentication=auth, certificate_authority=ca) as s:
        assert mtls.url.startswith("https://")
        assert_read_only_session(s, mtls, auth=("admin", "admin-pass"), verify=tls(mtls))
    assert py4j_statuses(mtls) == asked(501)


@pytest.mark.parametrize(("user", "py4j"), [("admin", 501), ("reader", 403)])
def test_client_certificate(mtls: FakeServer, user: str, py4j: int) -> None:
    mtls.reset()
    assert mtls.ca_path is not None
    cert, key = mtls.client_certificate(user)
    auth = atoti.ClientCertificate(Path(cert), keyfile=Path(key))
    with atoti.Session.connect(
        mtls.url, authentication=auth, certificate_authority=Path(mtls.ca_path)
    ) as session:
        assert_read_only_session(session, mtls, verify=tls(mtls, (cert, key)))
        by_desk = session.cubes["Trades"].query(
            session.cubes["Trades"].measures["qty.SUM"],
            levels=[session.cubes["Trades"].levels["desk"]],
        )
        assert by_desk["qty.SUM"].to_dict() == approx(grouped("qty", "desk"))
    assert py4j_statuses(mtls) == asked(py4j)
    assert all("Authorization" not in request.headers for request, _ in mtls.log)


def test_client_certificate_of_an_unknown_user_is_a_parsed_401(mtls: FakeServer) -> None:
    assert mtls.ca_path is not None
    cert, key = mtls.client_certificate("ghost")
    with pytest.raises(HTTP.HTTPStatusError) as caught:
        atoti.Session.connect(
            mtls.url,
            authentication=atoti.ClientCertificate(Path(cert), keyfile=Path(key)),
            certificate_authority=Path(mtls.ca_path),
        )
    assert_parsed_error(caught.value, 401, "the client certificate names no known user")


def test_https_without_credentials_is_a_parsed_401(mtls: FakeServer) -> None:
    assert mtls.ca_path is not None
    with pytest.raises(HTTP.HTTPStatusError) as caught:
        atoti.Session.connect(mtls.url, certificate_authority=Path(mtls.ca_path))
    assert_parsed_error(
        caught.value, 401, "Full authentication is required to access this resource"
    )


def test_https_without_the_certificate_authority_fails_verification(mtls: FakeServer) -> None:
    auth = atoti.BasicAuthentication("admin", "admin-pass")
    with pytest.raises(HTTP.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        atoti.Session.connect(mtls.url, authentication=auth)


def test_a_client_certificate_from_another_ca_is_refused(mtls: FakeServer, tmp_path: Path) -> None:
    assert mtls.ca_path is not None
    foreign = trustme.CA().issue_cert("admin")
    bundle = tmp_path / "foreign.pem"
    foreign.private_key_and_cert_chain_pem.write_to_path(str(bundle))
    mtls.reset()
    with pytest.raises(HTTP.TransportError):
        atoti.Session.connect(
            mtls.url,
            authentication=atoti.ClientCertificate(bundle),
            certificate_authority=Path(mtls.ca_path),
        )
    assert not [r for r, _ in mtls.log if r.path.endswith("/ping")]  # refused in the handshake


def test_required_client_certificate() -> None:
    with FakeServer(config(security=SECURITY, tls=TlsConfig("required"), **DATA)) as server:
        assert server.ca_path is not None
        ca = Path(server.ca_path)
        cert, key = server.client_certificate("admin")
        auth = atoti.ClientCertificate(Path(cert), keyfile=Path(key))
        with atoti.Session.connect(server.url, authentication=auth, certificate_authority=ca) as s:
            assert list(s.cubes) == ["Trades"]
        with pytest.raises(HTTP.TransportError):
            atoti.Session.connect(
                server.url,
                authentication=atoti.BasicAuthentication("admin", "admin-pass"),
                certificate_authority=ca,
            )


# -- Cube.query: the MDX the client generates, answered from the rows ------------------------------


def test_query_grand_total(session: Any) -> None:
    cube = session.cubes["Trades"]
    m = cube.measures
    result = cube.query(m["qty.SUM"], m["contributors.COUNT"], m["n.SUM"])
    assert result["qty.SUM"].tolist() == [pytest.approx(sum(r["qty"] for r in ROWS))]
    assert result["contributors.COUNT"].tolist() == [len(ROWS)]
    assert result["n.SUM"].tolist() == [sum(r["n"] for r in ROWS)]


def test_query_by_one_level(session: Any) -> None:
    cube = session.cubes["Trades"]
    m, lv = cube.measures, cube.levels
    result = cube.query(m["qty.SUM"], m["contributors.COUNT"], levels=[lv["desk"]])
    assert result.index.name == "desk"
    assert list(result.index) == sorted({r["desk"] for r in ROWS})
    assert result["qty.SUM"].to_dict() == approx(grouped("qty", "desk"))
    counts: dict[str, int] = defaultdict(int)
    for row in ROWS:
        counts[row["desk"]] += 1
    assert result["contributors.COUNT"].to_dict() == counts


# atoti-client 6.2 builds the totals' frame in a way pandas 3 deprecates: its warning, not ours.
@pytest.mark.filterwarnings("ignore:Constructing a DataFrame from a list of sequences")
def test_query_by_two_levels_with_and_without_totals(session: Any) -> None:
    cube = session.cubes["Trades"]
    m, lv = cube.measures, cube.levels
    plain = cube.query(m["n.SUM"], levels=[lv["desk"], lv["city"]])
    assert plain["n.SUM"].to_dict() == grouped("n", "desk", "city")
    totals = cube.query(m["n.SUM"], levels=[lv["desk"], lv["city"]], include_totals=True)

    def key(index: tuple[Any, ...]) -> tuple[str, ...]:
        return tuple("Total" if isinstance(v, float) and math.isnan(v) else v for v in index)

    expected: dict[tuple[str, ...], int] = {("Total", "Total"): sum(r["n"] for r in ROWS)}
    expected |= {(d, "Total"): v for d, v in grouped("n", "desk").items()}
    expected |= {("Total", c): v for c, v in grouped("n", "city").items()}
    expected |= grouped("n", "desk", "city")
    assert {key(i): v for i, v in totals["n.SUM"].items()} == expected
    assert key(totals.index[0]) == ("Total", "Total")


@pytest.mark.parametrize(
    ("make_filter", "keep"),
    [
        (lambda lv: lv["city"] == "Paris", lambda r: r["city"] == "Paris"),  # WHERE slicer
        (lambda lv: lv["desk"] == "Equity", lambda r: r["desk"] == "Equity"),  # subselect
        (lambda lv: lv["desk"] != "Equity", lambda r: r["desk"] != "Equity"),  # Except
        (lambda lv: lv["desk"].isin("FX", "Rates"), lambda r: r["desk"] in ("FX", "Rates")),
        (lambda lv: lv["id"] > 2, lambda r: r["id"] > 2),  # Filter(... MEMBER_VALUE > 2)
        (lambda lv: lv["id"] <= 4, lambda r: r["id"] <= 4),
        (
            lambda lv: (lv["id"] >= 2) & (lv["city"] == "Paris") & (lv["desk"] != "Rates"),
            lambda r: r["id"] >= 2 and r["city"] == "Paris" and r["desk"] != "Rates",
        ),
        (
            lambda lv: (lv["id"] == 2) & (lv["city"] == "London"),  # WHERE (tuple)
            lambda r: r["id"] == 2 and r["city"] == "London",
        ),
    ],
    ids=["slicer", "equal", "not-equal", "isin", "greater", "less-equal", "and", "tuple"],
)
def test_query_with_filters(
    session: Any,
    make_filter: Callable[[Any], Any],
    keep: Callable[[dict[str, Any]], bool],
) -> None:
    cube = session.cubes["Trades"]
    result = cube.query(
        cube.measures["qty.SUM"], levels=[cube.levels["desk"]], filter=make_filter(cube.levels)
    )
    expected = grouped("qty", "desk", keep=keep)
    assert expected and expected != grouped("qty", "desk")  # each filter really filters
    assert result["qty.SUM"].to_dict() == approx(expected)


def test_query_including_empty_rows(session: Any) -> None:
    cube = session.cubes["Trades"]
    result = cube.query(
        cube.measures["qty.SUM"],
        levels=[cube.levels["desk"]],
        filter=cube.levels["city"] == "London",
        include_empty_rows=True,
    )
    london = grouped("qty", "desk", keep=lambda r: r["city"] == "London")
    assert result["qty.SUM"].to_dict() == {
        desk: (pytest.approx(london[desk]) if desk in london else None)
        for desk in sorted({r["desk"] for r in ROWS})
    }


def test_query_mdx_hand_written_with_where(session: Any) -> None:
    result = session.query_mdx(
        "SELECT {[Measures].[qty.SUM], [Measures].[n.SUM]} ON COLUMNS, "
        "[Trades].[desk].[desk].Members ON ROWS FROM [Trades] "
        "WHERE [Trades].[city].[ALL].[AllMember].[Paris]"
    )
    paris = lambda r: r["city"] == "Paris"  # noqa: E731
    qty = grouped("qty", "desk", keep=paris)
    assert result["qty.SUM"].to_dict() == {
        d: (pytest.approx(qty[d]) if d in qty else None) for d in sorted({r["desk"] for r in ROWS})
    }
    assert result["n.SUM"].dropna().to_dict() == grouped("n", "desk", keep=paris)


def test_query_mdx_totals_from_drilldown(session: Any) -> None:
    result = session.query_mdx(
        "SELECT NON EMPTY Hierarchize(DrilldownLevel([Trades].[city].[ALL].[AllMember])) ON ROWS,"
        " {[Measures].[n.SUM]} ON COLUMNS FROM [Trades]",
        keep_totals=True,
    )
    by_city = [v for _, v in sorted(grouped("n", "city").items())]
    assert result["n.SUM"].tolist() == [sum(r["n"] for r in ROWS), *by_city]


def test_unsupported_mdx_is_the_clients_parsed_400(session: Any) -> None:
    with pytest.raises(HTTP.HTTPStatusError) as caught:
        session.query_mdx(
            "SELECT TopCount([Trades].[desk].[desk].Members, 2, [Measures].[qty.SUM]) "
            "ON COLUMNS FROM [Trades]"
        )
    assert caught.value.response.status_code == 400
    assert "the function TopCount" in str(caught.value)
    assert "at character 8" in str(caught.value)


# -- the Read-only tier's tables and the data-model writes (0.9.4 and later: GraphQL) -------------

needs_tables = pytest.mark.skipif(
    not READS_TABLES, reason=f"atoti-client {CLIENT} has no Read-only tables without Py4J"
)


def new_table(session: Any, name: str) -> Any:
    return session.create_table(name, data_types={"k": "int", "v": "double"}, keys={"k"})


@needs_tables
def test_a_reader_cannot_create_a_table_and_nothing_changes(server: FakeServer) -> None:
    auth = atoti.BasicAuthentication("reader", "reader-pass")
    with atoti.Session.connect(server.url, authentication=auth) as session:
        with pytest.raises(Exception, match="ROLE_ADMIN is required"):
            new_table(session, "Extra")
        with pytest.raises(Exception, match="ROLE_ADMIN is required"):
            del session.tables["Trades"]
        assert list(session.tables) == ["Trades"]
        assert_read_only_tables(session)
    assert list(server.state.tables) == ["Trades"]


@needs_tables
def test_an_unsecured_target_refuses_writes_and_nothing_changes() -> None:
    with FakeServer(config(**DATA)) as server, atoti.Session.connect(server.url) as session:
        with pytest.raises(Exception, match="live extension requires a secured target"):
            new_table(session, "Extra")
        assert list(server.state.tables) == ["Trades"]
        assert_read_only_tables(session)


@needs_tables
def test_an_admin_creates_and_drops_a_table(server: FakeServer) -> None:
    auth = atoti.BasicAuthentication("admin", "admin-pass")
    with atoti.Session.connect(server.url, authentication=auth) as session:
        table = new_table(session, "Extra")
        assert sorted(session.tables) == ["Extra", "Trades"]
        assert {c: table[c].data_type for c in table} == {"k": "int", "v": "double"}
        assert len(table.query()) == 0
        assert server.state.tables["Extra"].schema()["keys"] == ["k"]
        del session.tables["Extra"]
        assert list(session.tables) == ["Trades"]
    assert list(server.state.tables) == ["Trades"]
