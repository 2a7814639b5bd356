"""Server generations: which Atoti Server each atoti-client release expects, and what it speaks.

SPEC §4.6 as data, in one place. Each ``atoti-client`` release calls a target compatible
(condition e) when its ``serverVersion`` is one exact string — or, from 0.9.3 on, any
``-SNAPSHOT`` version — and then reads a little more of it: GraphQL from 0.9.4 on, in a
dialect that changed three times over the 6.1 servers (observed on the wire with every
release; never taken from the client's code). From 6.2.0 on a release expects the server
of its own version number, so a release newer than the table is not refused: it gets that
server and the newest dialect, and says so (:attr:`Generation.caveat`). Light on purpose:
the plugin's version resolution imports this module at start-up, so it imports nothing
beyond the stdlib.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "CLIENT_SERVER",
    "DIALECTS",
    "OWN_VERSION_FROM",
    "SNAPSHOT_SUFFIX",
    "Dialect",
    "Generation",
    "UnknownClientError",
    "compatible",
    "dialect_for",
    "generation",
    "known_clients",
]

#: Each released atoti-client → the server version it calls compatible (SPEC §4.6).
#: 0.9.0 checks no version at all: any target listing the ``atoti`` API is compatible.
CLIENT_SERVER: dict[str, str | None] = {
    "0.9.0": None,
    "0.9.1": "6.1.1",
    "0.9.2": "6.1.2",
    "0.9.3": "6.1.3",
    "0.9.4": "6.1.4",
    "0.9.5": "6.1.6",
    "0.9.6": "6.1.8",
    "0.9.7": "6.1.10",
    "0.9.8": "6.1.11",
    "0.9.9": "6.1.12",
    "0.9.10": "6.1.13",
    "0.9.11": "6.1.15",
    "0.9.12": "6.1.16",
    "0.9.13": "6.1.18",
    "0.9.14": "6.1.19",
    "0.9.15": "6.1.20",
    "0.9.16": "6.1.23",
    "6.2.0": "6.2.0",
    "6.2.1": "6.2.1",
    "6.2.2": "6.2.2",
}

#: From this release on, a ``serverVersion`` ending in :data:`SNAPSHOT_SUFFIX` is compatible too.
SNAPSHOT_FROM = "0.9.3"
SNAPSHOT_SUFFIX = "-SNAPSHOT"

#: From this release on, each release expects the server of its own version number (the
#: table above shows it); a release at or above it that the table does not list yet is
#: taken to do the same. One below it is refused: its server cannot be guessed.
OWN_VERSION_FROM = "6.2.0"
#: The shape of a release the table may not list yet: three numbers (no pre-release).
_RELEASE = re.compile(r"\d+\.\d+\.\d+")

#: What a fake emulating 0.9.0's server reports: 0.9.0 accepts any version, and 6.1.0 is
#: the server it was released with.
_SERVER_OF_0_9_0 = "6.1.0"


@dataclass(frozen=True)
class Dialect:
    """How one range of servers shapes its GraphQL data-model API (``POST /graphql``).

    Observed per release: ``first_server`` is the oldest server version whose clients send
    this dialect. ``database`` puts tables under ``dataModel { database { ... } }`` (else
    directly under ``dataModel``); ``transaction_argument`` names ``dataModel``'s argument;
    ``mutations`` is the shape of the data-model writes: ``"identifier"`` (tables named by
    ``tableIdentifier``), ``"named"`` (``tableName``), ``"in-memory"`` (``named`` plus
    ``createInMemoryTable``). ``typed_defaults`` answers a column's ``defaultValue`` as
    ``{"data_type", "value"}`` (null when there is none) instead of the bare value.
    """

    name: str
    first_server: str
    database: bool
    transaction_argument: str
    mutations: str
    typed_defaults: bool = False
    database_api: bool = False
    cubes: bool = False


#: Oldest first. A server older than the first one speaks the first dialect (its clients
#: never send GraphQL); one newer than the last speaks the last.
DIALECTS: tuple[Dialect, ...] = (
    Dialect("6.1.4", "6.1.4", False, "dataModelTransactionId", "identifier", typed_defaults=True),
    Dialect("6.1.6", "6.1.6", True, "dataModelTransactionId", "identifier"),
    Dialect("6.1.8", "6.1.8", True, "transactionId", "named"),
    Dialect("6.1.11", "6.1.11", True, "transactionId", "in-memory", database_api=True),
    Dialect("6.2.0", "6.2.0", True, "transactionId", "in-memory", database_api=True, cubes=True),
)


class UnknownClientError(ValueError):
    """An atoti-client version that is not in :data:`CLIENT_SERVER`."""


@dataclass(frozen=True)
class Generation:
    """What a fake must emulate for one client release to find it compatible."""

    client: str
    expected_server: str | None  # None: the release checks no server version (0.9.0)
    server_version: str  # what the fake reports
    dialect: Dialect
    #: False for a release newer than the table (see :data:`OWN_VERSION_FROM`).
    listed: bool = True

    @property
    def python_api_version(self) -> str:
        """The Python API a target of this generation reports: the client's own version."""
        return self.client

    @property
    def caveat(self) -> str | None:
        """What a user should be told once about this generation (None: nothing)."""
        if self.listed:
            return None
        return (
            f"atoti-client {self.client} is not in fakeserver's release table yet (newest: "
            f"{known_clients()[-1]}); emulating server {self.server_version}, as every release "
            f"from {OWN_VERSION_FROM} on expects the server of its own version, with the "
            f"newest dialect ({self.dialect.name})"
        )


def _numbers(version: str) -> tuple[int, ...]:
    """The leading dotted numbers of a version: ``6.1.12-SNAPSHOT`` → ``(6, 1, 12)``."""
    match = re.match(r"\d+(?:\.\d+)*", version)
    return tuple(int(part) for part in match.group().split(".")) if match else ()


def known_clients() -> tuple[str, ...]:
    return tuple(CLIENT_SERVER)


def generation(client: str) -> Generation:
    """The generation of the atoti-client release ``client`` (e.g. ``"0.9.16"``).

    A release the table does not list is a :class:`UnknownClientError` naming the known
    ones — unless it is a release from :data:`OWN_VERSION_FROM` on: then its generation is
    the server of its own version with the newest dialect, ``listed=False``.
    """
    if client not in CLIENT_SERVER:
        if _RELEASE.fullmatch(client) and _numbers(client) >= _numbers(OWN_VERSION_FROM):
            return Generation(client, client, client, DIALECTS[-1], listed=False)
        raise UnknownClientError(
            f"atoti-client {client!r} is not a known release (known releases are "
            f"{', '.join(CLIENT_SERVER)})"
        )
    expected = CLIENT_SERVER[client]
    server = expected if expected is not None else _SERVER_OF_0_9_0
    return Generation(client, expected, server, dialect_for(server))


def compatible(client: str, server_version: str) -> bool:
    """Whether release ``client`` calls a target reporting ``server_version`` compatible (e)."""
    expected = generation(client).expected_server
    if expected is None or server_version == expected:
        return True
    snapshots = _numbers(client) >= _numbers(SNAPSHOT_FROM)
    return snapshots and server_version.endswith(SNAPSHOT_SUFFIX)


def dialect_for(server_version: str) -> Dialect:
    """The GraphQL dialect a server of ``server_version`` speaks (``-SNAPSHOT`` included)."""
    numbers = _numbers(server_version)
    chosen = DIALECTS[0]
    for dialect in DIALECTS:
        if numbers >= _numbers(dialect.first_server):
            chosen = dialect
    return chosen
