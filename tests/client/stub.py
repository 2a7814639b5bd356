"""A :class:`~fakeserver_client._requester.Requester` standing in for a session.

Tables and security mappings need nothing of a session but its URL, ``require`` and
``call``: a recorder is enough to check what they send, without a server.
"""

from __future__ import annotations

from typing import Any

import httpx

from fakeserver_client import Capability, ClientError

__all__ = ["Recorder"]


class Recorder:
    """Records every ``require`` and ``call``; answers ``answer`` or raises ``error``."""

    url = "http://stub"

    def __init__(self, answer: Any = None, *, error: ClientError | None = None) -> None:
        self.answer = answer
        self.error = error
        self.calls: list[tuple[Any, ...]] = []

    def require(self, capability: Capability) -> None:
        self.calls.append(("require", capability))

    def call(
        self, capability: Capability, method: str, route: str, *, api: str = "atoti", **kwargs: Any
    ) -> httpx.Response:
        self.calls.append((capability, method, route, api, kwargs))
        if self.error is not None:
            raise self.error
        return httpx.Response(200, json=self.answer)
