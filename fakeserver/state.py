"""What a running target holds and connected sessions can change.

The baseline comes from the :class:`~fakeserver.config.ServerConfig`; ``reset()`` goes back
to it, as a real target does when it restarts. One lock guards everything so that a request
is applied whole or not at all, and readers never see half of a write.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .config import ServerConfig

__all__ = ["Account", "ServerState"]


@dataclass
class Account:
    password: str
    roles: frozenset[str]


class ServerState:
    """The mutable part of a target: accounts and tokens (tables come with the data model)."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, str] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the configured baseline."""
        with self.lock:
            security = self.config.security
            self.accounts = (
                {u.name: Account(u.password, u.roles) for u in security.users} if security else {}
            )
            self.tokens = dict(security.tokens) if security else {}
