"""One small baseline shared by the capability, enforcement and load tests, and its tiers."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import httpx

import fakeserver_client as client
from fakeserver import CubeSpec, ServerConfig, TableSpec
from fakeserver.protocol import ATOTI_PATH, PIVOT_PATH

from .conftest import SECURITY

TRADES = TableSpec(
    "trades",
    {"id": "int", "desk": "String", "qty": "int", "price": "double", "day": "LocalDate"},
    keys=("id",),
    rows=(
        (1, "A", 10, 1.5, dt.date(2024, 1, 1)),
        (2, "B", 20, 2.5, dt.date(2024, 1, 2)),
        (3, "A", 30, 3.5, dt.date(2024, 1, 3)),
    ),
)
SCRATCH = TableSpec("scratch", {"v": "int"}, rows=((1,), (1,)))
MORE_CSV = "id,desk,qty,price,day\n{id},C,40,4.5,2024-01-04\n"
CLOUD = {
    "s3://bucket/more.csv": MORE_CSV.format(id=4),
    "gs://bucket/more.csv": MORE_CSV.format(id=5),
    "az://container/more.csv": MORE_CSV.format(id=6),
}
BASE = ServerConfig(
    security=SECURITY,
    tables=(TRADES, SCRATCH),
    cubes=(CubeSpec("Trades", "trades"),),
    cloud_files=CLOUD,
)
ADMIN_AUTH = client.BasicAuthentication("admin", "admin-pass")
USER_AUTH = client.BasicAuthentication("user", "user-pass")


class Setup(NamedTuple):
    config: ServerConfig
    authentication: client.Authentication | None
    tier: str
    same_host: bool


#: Every tier, with the variants that change what it allows (same host, unsecured).
SETUPS: dict[str, Setup] = {
    "LOCAL": Setup(BASE, ADMIN_AUTH, "LOCAL", True),
    "REMOTE": Setup(BASE.replace(host="remote"), ADMIN_AUTH, "REMOTE", False),
    "NSM-same_host": Setup(
        BASE.replace(python_api_version="0.9.1"), ADMIN_AUTH, "NO_SECURITY_MANAGEMENT", True
    ),
    "NSM-remote_host": Setup(
        BASE.replace(python_api_version="0.9.1", host="remote"),
        ADMIN_AUTH,
        "NO_SECURITY_MANAGEMENT",
        False,
    ),
    "READ_ONLY-plain_user": Setup(BASE, USER_AUTH, "READ_ONLY", True),
    "READ_ONLY-unsecured": Setup(BASE.replace(security=None), None, "READ_ONLY", True),
    "MINIMAL": Setup(BASE.replace(server_version="6.1.3", security=None), None, "MINIMAL", True),
    "MINIMAL-unexposed": Setup(
        BASE.replace(server_version="6.1.3", exposed=False), ADMIN_AUTH, "MINIMAL", False
    ),
}

#: Every route of the live extension, with a body that would succeed for an admin.
LIVE_ROUTES: list[tuple[str, str, object]] = [
    ("GET", ATOTI_PATH + "/tables", None),
    ("POST", ATOTI_PATH + "/tables", {"name": "t2", "columns": {"a": "int"}, "keys": []}),
    ("DELETE", ATOTI_PATH + "/tables/scratch", None),
    ("POST", ATOTI_PATH + "/tables/trades/rows", {"rows": [[9, "Z", 1, 1.0, None]]}),
    (
        "POST",
        ATOTI_PATH + "/tables/trades/load",
        {"format": "csv", "source": "s3://bucket/more.csv"},
    ),
    ("POST", ATOTI_PATH + "/cubes", {"table": "trades", "name": "Other"}),
    ("GET", ATOTI_PATH + "/security/basic/credentials", None),
    ("PUT", ATOTI_PATH + "/security/basic/credentials", {"eve": "pw"}),
    ("GET", ATOTI_PATH + "/security/individual-roles", None),
    ("PUT", ATOTI_PATH + "/security/individual-roles", {"user": ["ROLE_ADMIN"]}),
]
#: Reads: any authenticated user (anonymous when unsecured).
READ_ROUTES: list[tuple[str, str, object]] = [
    ("GET", PIVOT_PATH + "/ping", None),
    ("GET", PIVOT_PATH + "/cube/discovery", None),
    ("GET", PIVOT_PATH + "/database/discovery", None),
    (
        "POST",
        PIVOT_PATH + "/database/data/tables/trades?pageSize=10",
        {"branch": None, "conditions": {}, "fields": ["id"], "timeout": 1000},
    ),
    ("GET", ATOTI_PATH + "/session", None),
]


def raw(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request with no client logic in the way (and no certifi bundle to load)."""
    return httpx.request(method, url, verify=False, **kwargs)
