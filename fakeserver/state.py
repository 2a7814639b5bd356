"""What a running target holds and connected sessions can change.

The baseline comes from the :class:`~fakeserver.config.ServerConfig`; ``reset()`` goes back
to it, as a real target does when it restarts. Two locks, so that a request is applied whole
or not at all and readers never see half of a write: :attr:`ServerState.lock` guards the
data (tables, cubes) and :attr:`ServerState.security_lock` the accounts and tokens. They are
apart so that authentication never waits on data work; and data work under ``lock`` is
kept short (readers take a table's :meth:`~fakeserver.model.Table.snapshot` and query it
outside), so no request stalls another.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .config import ServerConfig, User
from .model import Cube, DataError, Table
from .oidc import Issuer

__all__ = ["REDACTED", "Account", "ServerState"]

#: What security management answers in place of a password.
REDACTED = "**REDACTED**"
DEFAULT_ROLES = frozenset({"ROLE_USER"})


@dataclass
class Account:
    """One user of the target; its repr never shows the password (reprs reach CI logs)."""

    password: str = field(repr=False)
    roles: frozenset[str] = frozenset()


class ServerState:
    """The mutable part of a target: accounts, tokens, tables and cubes."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        #: Guards ``tables`` and ``cubes``; held only to look up, snapshot or store.
        self.lock = threading.RLock()
        #: Guards ``accounts`` and ``tokens``; never held with data work.
        self.security_lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, str] = {}
        self.tables: dict[str, Table] = {}
        self.cubes: dict[str, Cube] = {}
        #: The target's own OAuth 2 issuer (``SecurityConfig.oidc``); its keys outlive reset().
        oidc = config.security.oidc if config.security is not None else None
        self.issuer: Issuer | None = Issuer(oidc) if oidc is not None else None
        #: The in-memory object store behind s3://, gs:// and az:// loads (read-only).
        self.cloud_files: Mapping[str, str] = MappingProxyType(dict(config.cloud_files))
        # Built once (faker rows can take a while); each reset hands out copies.
        self._baseline = {t.name: Table.from_spec(t, config.seed) for t in config.tables}
        self.reset()

    def reset(self) -> None:
        """Back to the configured baseline."""
        with self.lock, self.security_lock:  # the only place holding both: always this order
            security = self.config.security
            self.accounts = (
                {u.name: Account(u.password, u.roles) for u in security.users} if security else {}
            )
            self.tokens = dict(security.tokens) if security else {}
            self.tables = {name: table.copy() for name, table in self._baseline.items()}
            self.cubes = {c.name: Cube(c.name, c.table) for c in self.config.cubes}

    # -- the data model's tables (REST and GraphQL writes share these rules) ---------------

    def add_table(self, table: Table) -> Table:
        """Add a new table; a 409 when the name is taken."""
        with self.lock:
            if table.name in self.tables:
                raise DataError(f"a table named {table.name!r} already exists", status=409)
            self.tables[table.name] = table
            return table

    def drop_table(self, name: str) -> None:
        """Drop a table: a 404 when there is none, a 409 while a cube is built on it."""
        with self.lock:
            if name not in self.tables:
                raise DataError(f"no table named {name!r}", status=404)
            users = sorted(c.name for c in self.cubes.values() if c.table == name)
            if users:
                raise DataError(f"table {name!r} is the base table of cube {users[0]!r}", 409)
            del self.tables[name]

    def add_cube(self, name: str, table: str) -> Cube:
        """Build a cube on a table: a 404 without the table, a 409 when the name is taken."""
        with self.lock:
            if table not in self.tables:
                raise DataError(f"no table named {table!r}", status=404)
            if name in self.cubes:
                raise DataError(f"a cube named {name!r} already exists", status=409)
            cube = self.cubes[name] = Cube(name, table)
            return cube

    # -- security management (SPEC §4.5) ---------------------------------------------------

    def credentials(self) -> dict[str, str]:
        with self.security_lock:
            return dict.fromkeys(sorted(self.accounts), REDACTED)

    def individual_roles(self) -> dict[str, list[str]]:
        with self.security_lock:
            return {n: sorted(a.roles) for n, a in sorted(self.accounts.items()) if a.roles}

    def update_credentials(self, changes: object) -> None:
        """Merge ``{user: password | None}``: set each password; None removes the user.

        Removing a user revokes its tokens: a user created again under the same name is
        someone new, whom the old user's bearer tokens must not let in.
        """
        checked = _changes(changes, "credentials")
        for name, password in checked.items():
            if password is not None:
                _valid_user(name, password=password)
        with self.security_lock:
            removed = {name for name, password in checked.items() if password is None}
            if removed:
                # A new dict, not a change in place: challenge_headers reads it unlocked.
                self.tokens = {t: u for t, u in self.tokens.items() if u not in removed}
            for name, password in checked.items():
                if password is None:
                    self.accounts.pop(name, None)
                elif name in self.accounts:
                    self.accounts[name].password = password
                else:
                    self.accounts[name] = Account(password, DEFAULT_ROLES)

    def update_individual_roles(self, changes: object) -> None:
        """Merge ``{user: [roles] | None}``: set each user's roles; None clears them."""
        checked = _changes(changes, "individual roles")
        roles: dict[str, frozenset[str]] = {}
        for name, given in checked.items():
            if given is None:
                roles[name] = frozenset()
                continue
            if isinstance(given, str) or not isinstance(given, list):
                raise DataError(f"individual roles of {name!r}: must be a list of role names")
            roles[name] = _valid_user(name, roles=given).roles
        with self.security_lock:
            unknown = sorted(set(roles) - set(self.accounts))
            if unknown:
                raise DataError(
                    f"no user named {unknown[0]!r}: give it credentials first", status=404
                )
            for name, new_roles in roles.items():
                self.accounts[name].roles = new_roles


def _changes(changes: object, what: str) -> dict[str, Any]:
    if not isinstance(changes, dict):
        raise DataError(f"{what}: the body must map user names to values")
    return changes


def _valid_user(name: str, *, password: Any = "", roles: Any = DEFAULT_ROLES) -> User:
    # The config's own rules, so the wire cannot create a user a config file could not.
    if not isinstance(password, str):
        raise DataError(f"password of {name!r}: must be a string or null")
    try:
        return User(name, password, roles=roles)
    except ValueError as error:
        raise DataError(str(error)) from None
