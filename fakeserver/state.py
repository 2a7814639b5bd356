"""What a running target holds and connected sessions can change.

The baseline comes from the :class:`~fakeserver.config.ServerConfig`; ``reset()`` goes back
to it, as a real target does when it restarts. One lock guards everything so that a request
is applied whole or not at all, and readers never see half of a write.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
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
    password: str
    roles: frozenset[str]


class ServerState:
    """The mutable part of a target: accounts, tokens, tables and cubes."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
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
        with self.lock:
            security = self.config.security
            self.accounts = (
                {u.name: Account(u.password, u.roles) for u in security.users} if security else {}
            )
            self.tokens = dict(security.tokens) if security else {}
            self.tables = {name: table.copy() for name, table in self._baseline.items()}
            self.cubes = {c.name: Cube(c.name, c.table) for c in self.config.cubes}

    # -- security management (SPEC §4.5) ---------------------------------------------------

    def credentials(self) -> dict[str, str]:
        with self.lock:
            return dict.fromkeys(sorted(self.accounts), REDACTED)

    def individual_roles(self) -> dict[str, list[str]]:
        with self.lock:
            return {n: sorted(a.roles) for n, a in sorted(self.accounts.items()) if a.roles}

    def update_credentials(self, changes: object) -> None:
        """Merge ``{user: password | None}``: set each password; None removes the user."""
        checked = _changes(changes, "credentials")
        for name, password in checked.items():
            if password is not None:
                _valid_user(name, password=password)
        with self.lock:
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
        with self.lock:
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
