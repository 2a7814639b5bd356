"""The seam between a session and the objects it hands out (tables, security mappings).

They need three things of a session and nothing else: its URL (for their reprs), a check
that its tier allows a capability, and a request on behalf of a capability. Stating them
as a :class:`Requester`, which ``Session`` implements, keeps those modules off the
session's internals (and its module off theirs: no import cycle), and lets a test stand in
for a session with a few lines.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

import httpx

from ._tiers import Capability

__all__ = ["Requester"]


class Requester(Protocol):
    """What tables and security mappings reach the target through."""

    @property
    def url(self) -> str:
        """The target's base URL, for reprs: reading it sends nothing."""
        ...

    def require(self, capability: Capability) -> None:
        """Refuse, before anything is sent, when the tier does not allow ``capability``."""
        ...

    def call(
        self,
        capability: Capability,
        method: str,
        route: str,
        *,
        api: Literal["atoti", "pivot"] = "atoti",
        **kwargs: Any,
    ) -> httpx.Response:
        """``method route`` under the ``api``'s path, once :meth:`require` allows it.

        ``kwargs`` go to httpx (``json=``, ``params=``); every failure is a ClientError.
        """
        ...
