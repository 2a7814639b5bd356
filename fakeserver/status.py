"""What the status page shows, as plain data: the target, its security, the tier map, the
data, the faults and the request log.

The routes of :mod:`fakeserver.routes.status` answer these dicts as JSON and the page
renders them, so everything the page shows is testable without a browser. No HTTP here:
what only the running server knows (its URL, its request log, its lifecycle) comes through
a :class:`Console`. Nothing secret is ever put in: no password, no token, no key or key
path (the CA's path is public: clients need it).

The tier map is the fake's own statement of SPEC §3 (:mod:`fakeserver.scenarios.rules`),
applied to each account as the thin client would see it connecting from this host; the
browser tests check it against what the thin client really decides.
"""

from __future__ import annotations

import collections
import heapq
import ipaddress
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .config import Fault
from .faults import FaultInjector
from .host import HostIdentity, host_identity
from .model import Cube, Table
from .protocol import (
    ADMIN_ROLE,
    ATOTI_PATH,
    CONTENT_PATH,
    DEFAULT_PYTHON_API_VERSION,
    DEFAULT_SERVER_VERSION,
    PIVOT_PATH,
    VERSIONS_PATH,
)
from .scenarios.rules import (
    CAPABILITY_TABLE,
    KEYS,
    LETTERS,
    TIERS,
    Cell,
    expected_capabilities,
    expected_conditions,
    expected_tier,
)
from .state import ServerState

__all__ = [
    "HEAD_ROWS",
    "MAX_REQUESTS",
    "MAX_SHOWN",
    "UNLOGGED_KEY",
    "ClientVersions",
    "Console",
    "LoggedRequest",
    "describe_fault",
    "is_loopback",
    "own_host_names",
    "request_log",
    "snapshot",
    "status_filter",
    "tier_map",
]

#: environ key a status view sets so the request log leaves its request out: the page
#: polls, and its own requests would push the ones worth seeing out of a bounded log.
UNLOGGED_KEY = "fakeserver.unlogged"
#: How many first rows of each table the page shows.
HEAD_ROWS = 5
#: How many tables, cubes and accounts one answer describes (sessions may create any number).
MAX_SHOWN = 50
#: The most log entries one answer carries (``limit``), and the default.
MAX_REQUESTS = 500
DEFAULT_REQUESTS = 100
# A table cell longer than this is cut: the page shows a glimpse, not the data.
_CELL_CHARS = 200


@dataclass(frozen=True)
class LoggedRequest:
    """One entry of the request log as the page lists it."""

    id: int
    time: float  # when it arrived, seconds since the epoch
    method: str
    path: str
    user: str | None
    status: int
    ms: float | None  # None while the answer is still on its way


class Console(Protocol):
    """What the running server offers the page beyond its state (``FakeServer`` gives one)."""

    @property
    def url(self) -> str: ...

    @property
    def ca_path(self) -> str | None: ...

    @property
    def bind_host(self) -> str: ...

    @property
    def faults(self) -> FaultInjector: ...

    def requests(self) -> list[LoggedRequest]:
        """The log, oldest first."""
        ...

    def reset(self) -> None:
        """Data, security and faults back to the configured baseline (the log stays)."""
        ...

    def restart_later(self) -> None:
        """Restart once the asking request is answered (it is served by the engine)."""
        ...


@dataclass(frozen=True)
class ClientVersions:
    """The versions the thin client expects: what conditions (c) and (e) compare with."""

    server_version: str = DEFAULT_SERVER_VERSION
    python_api_version: str = DEFAULT_PYTHON_API_VERSION


def describe_fault(fault: Fault) -> str:
    """One line for a human: ``GET */ping: answer 503 (1x)``."""
    what = {
        "latency": f"+{fault.delay}s" + (f"..{fault.delay_max}s" if fault.delay_max else ""),
        "error": f"answer {fault.status}",
        "drop": "drop the connection",
    }[fault.kind]
    when = "always" if fault.times is None else f"{fault.times}x"
    if fault.probability < 1:
        when += f", p={fault.probability}"
    return f"{fault.method or '*'} {fault.path}: {what} ({when})"


def is_loopback(host: str) -> bool:
    """Whether a bind address (or ``localhost``) is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_WILDCARDS = frozenset({"", "0.0.0.0", "::"})


def own_host_names(bind_host: str) -> frozenset[str] | None:
    """The host names a server bound to ``bind_host`` is reached by: what a ``Host`` header
    may say (lower case, no brackets). None when it listens on every address."""
    bound = bind_host.strip("[]").lower()
    if bound in _WILDCARDS:
        return None
    return _LOOPBACK_NAMES | {bound} if is_loopback(bound) else frozenset({bound})


# -- the tier map ----------------------------------------------------------------------------


def _cell(
    state: ServerState, host: HostIdentity, client: ClientVersions, roles: frozenset[str]
) -> Cell:
    config = state.config
    return Cell(
        secured=config.secured,
        admin=config.secured and ADMIN_ROLE in roles,
        same_python_api=config.python_api_version == client.python_api_version,
        same_host=host.id == host_identity().id,
        same_server_version=config.server_version == client.server_version,
        exposed=config.exposed,
    )


def _tier_row(who: str | None, roles: Sequence[str], cell: Cell) -> dict[str, Any]:
    granted = expected_capabilities(cell)
    return {
        "who": who,
        "roles": list(roles),
        "conditions": expected_conditions(cell),
        "tier": expected_tier(cell),
        "capabilities": [name for name in CAPABILITY_TABLE if name in granted],
        "error": None,
    }


def tier_map(
    state: ServerState, host: HostIdentity, client: ClientVersions
) -> list[dict[str, Any]]:
    """One row per account, then anonymous: the conditions, tier and capabilities the thin
    client lands on when it connects from this host with ``client``'s versions.

    ``host`` is the identity the target reports. On a secured target anonymous has no tier:
    its connect fails with the server's 401. Accounts are read as they are now, so users
    added or changed through security management show as they would connect; the first
    :data:`MAX_SHOWN` by name.
    """
    rows = [
        _tier_row(name, sorted(roles), _cell(state, host, client, roles))
        for name, roles in _first_accounts(state)[1]
    ]
    if state.config.secured:
        rows.append(
            {
                "who": None,
                "roles": [],
                "conditions": None,
                "tier": None,
                "capabilities": [],
                "error": "authentication",
            }
        )
    else:
        rows.append(_tier_row(None, [], _cell(state, host, client, frozenset())))
    return rows


# -- the whole picture -----------------------------------------------------------------------


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _CELL_CHARS:
        return value[:_CELL_CHARS] + "…"
    if isinstance(value, list):
        return [_short(item) for item in value[:20]]
    return value


def _levels(cube: Cube, table: Table | None) -> tuple[list[str], list[str]]:
    """A cube's levels (but ALL) and measures, as its discovery lists them."""
    if table is None:  # its table was dropped
        return [], []
    described = cube.discovery(table)
    levels = [
        level["name"]
        for dimension in described["dimensions"]
        for hierarchy in dimension["hierarchies"]
        for level in hierarchy["levels"]
        if level["type"] != "ALL"
    ]
    return levels, [m["name"] for m in described["measures"]]


def _data(state: ServerState) -> dict[str, Any]:
    # Snapshots under the data lock (O(1) each); every read happens after, without it.
    with state.lock:
        counts = {"tables": len(state.tables), "cubes": len(state.cubes)}
        tables = [t.copy() for t in itertools.islice(state.tables.values(), MAX_SHOWN)]
        cubes = [
            (cube, state.tables[cube.table].copy() if cube.table in state.tables else None)
            for cube in itertools.islice(state.cubes.values(), MAX_SHOWN)
        ]
    described = []
    for cube, table in cubes:
        levels, measures = _levels(cube, table)
        described.append(
            {"name": cube.name, "table": cube.table, "levels": levels, "measures": measures}
        )
    return {
        "tables": [
            {
                "name": table.name,
                "columns": [{"name": c.name, "type": c.type} for c in table.columns],
                "keys": list(table.keys),
                "rows": len(table),
                "head": [
                    [_short(v) for v in row] for row in table.query(None, None, HEAD_ROWS)["rows"]
                ],
            }
            for table in tables
        ],
        "cubes": described,
        "counts": counts,
    }


def _first_accounts(state: ServerState) -> tuple[int, list[tuple[str, frozenset[str]]]]:
    """How many accounts there are, and the first :data:`MAX_SHOWN` by name with their roles.

    Copied under the security lock (O(n), no sort): logins wait for nothing longer.
    """
    with state.security_lock:
        accounts = [(name, account.roles) for name, account in state.accounts.items()]
    return len(accounts), heapq.nsmallest(MAX_SHOWN, accounts)


def _security(state: ServerState) -> dict[str, Any]:
    config = state.config
    certificates = config.tls.client_certificate if config.tls is not None else None
    if config.security is None:
        return {
            "enabled": False,
            "users": [],
            "tokens": 0,
            "token_type": None,
            "client_certificates": certificates,
            "oidc": None,
            "counts": {"users": 0},
        }
    with state.security_lock:
        owners = collections.Counter(state.tokens.values())
    count, shown = _first_accounts(state)
    users = [
        {"name": name, "roles": sorted(roles), "tokens": owners[name]} for name, roles in shown
    ]
    oidc = config.security.oidc
    issuer = state.issuer
    return {
        "enabled": True,
        "users": users,
        "tokens": owners.total(),
        "token_type": config.security.token_type,
        "client_certificates": certificates,
        "oidc": None
        if oidc is None
        else {
            "issuer": issuer.bound_url if issuer is not None else None,
            "path": oidc.path,
            "audience": oidc.audience,
            "roles_claim": oidc.roles_claim,
            "algorithm": oidc.algorithm,
            "clients": sorted(oidc.clients),  # their ids; never a secret
        },
        "counts": {"users": count},
    }


def snapshot(
    state: ServerState, console: Console | None, host: HostIdentity, client: ClientVersions
) -> dict[str, Any]:
    """Everything the page shows but the request log: the answer of ``api/status``."""
    config = state.config
    faults = console.faults.states() if console is not None else []
    return {
        "target": {
            "url": console.url if console is not None else None,
            "server_version": config.server_version,
            "python_api_version": config.python_api_version,
            "exposed": config.exposed,
            "host": {
                "kind": config.host,
                "id": host.id,
                "name": host.name,
                "this_machine": host.id == host_identity().id,
            },
            "tls": {
                "enabled": config.tls is not None,
                "client_certificates": config.tls.client_certificate if config.tls else None,
                "ca_path": console.ca_path if console is not None else None,
            },
            "paths": {
                "versions": VERSIONS_PATH,
                "pivot": PIVOT_PATH,
                "content": CONTENT_PATH,
                "atoti": ATOTI_PATH if config.exposed else None,
            },
        },
        "security": _security(state),
        "client": {
            "server_version": client.server_version,
            "python_api_version": client.python_api_version,
            "host_id": host_identity().id,
        },
        "rules": {
            "keys": list(KEYS),
            "letters": LETTERS,
            "tiers": list(TIERS),
            "capabilities": list(CAPABILITY_TABLE),
        },
        "tiers": tier_map(state, host, client),
        "data": _data(state),
        "faults": [
            {
                "index": index,
                "kind": fault.kind,
                "method": fault.method,
                "path": fault.path,
                "description": describe_fault(fault),
                "enabled": enabled,
                "fired": fired,
            }
            for index, (fault, enabled, fired) in enumerate(faults)
        ],
    }


# -- the request log -------------------------------------------------------------------------

_STATUS_FILTER = re.compile(r"^(?:([1-5])xx|([1-5][0-9][0-9]))$")


def status_filter(text: str) -> Callable[[int], bool]:
    """``4xx`` (a class) or ``404`` (one status); ValueError for anything else."""
    match = _STATUS_FILTER.match(text.strip().lower())
    if match is None:
        raise ValueError("status must be a class such as 4xx or a status such as 404")
    family, exact = match.groups()
    if exact is not None:
        return lambda status: status == int(exact)
    return lambda status: status // 100 == int(family)


def request_log(
    entries: Sequence[LoggedRequest],
    *,
    status: Callable[[int], bool] | None = None,
    after: int = 0,
    limit: int = DEFAULT_REQUESTS,
) -> dict[str, Any]:
    """The answer of ``api/requests``: newest first, those after id ``after`` that pass
    ``status``, at most ``limit``; ``latest`` is the newest id the log holds (to poll on)."""
    chosen: list[dict[str, Any]] = []
    for entry in reversed(entries):
        if entry.id <= after or len(chosen) >= limit:
            break
        if status is None or status(entry.status):
            chosen.append(
                {
                    "id": entry.id,
                    "time": entry.time,
                    "method": entry.method,
                    "path": entry.path,
                    "user": entry.user,
                    "status": entry.status,
                    "ms": None if entry.ms is None else round(entry.ms, 2),
                }
            )
    latest = entries[-1].id if entries else after
    return {"requests": chosen, "latest": max(latest, after), "kept": len(entries)}
