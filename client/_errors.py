"""Every error the client raises, each saying what happened and what to do about it."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from ._tiers import LETTERS, Capability, Tier

__all__ = [
    "AuthenticationError",
    "CapabilityUnavailableError",
    "ClientError",
    "ConnectFailedError",
    "ForbiddenError",
    "LiveExtensionUnavailableError",
    "ProtocolError",
    "ServerError",
    "TimeoutError",
    "TlsError",
]


class ClientError(Exception):
    """Base of every error raised by this client."""


class ConnectFailedError(ClientError):
    """The target could not be reached, or could not be talked to; no session exists."""


class TlsError(ConnectFailedError):
    """The TLS handshake failed (untrusted server certificate, refused client certificate)."""


class ProtocolError(ConnectFailedError):
    """The target does not answer as an Atoti server does (e.g. no usable /versions/rest)."""


class TimeoutError(ConnectFailedError, builtins.TimeoutError):
    """The target did not answer within the client's timeout.

    Also the builtin ``TimeoutError``, so ``except TimeoutError`` catches it either way.
    """


class ServerError(ClientError):
    """A non-2xx answer, with the server's own message."""

    def __init__(self, status: int, message: str, path: str) -> None:
        super().__init__(f"{status} on {path}: {message}")
        self.status = status
        self.message = message
        self.path = path


class AuthenticationError(ServerError, ConnectFailedError):
    """401: no or wrong credentials. Nothing is retried."""


class ForbiddenError(ServerError):
    """403: the server refused an authenticated request."""


class CapabilityUnavailableError(ClientError, RuntimeError):
    """The session's tier does not allow this capability; raised before any request is sent."""

    def __init__(
        self, capability: Capability, tier: Tier, reasons: Sequence[tuple[str, str]]
    ) -> None:
        because = "; ".join(f"{key} ({LETTERS[key]}): {text}" for key, text in reasons)
        super().__init__(
            f"{capability.value} is not available: this session is {tier.value} because {because}"
        )
        self.capability = capability
        self.tier = tier
        self.unmet = tuple(key for key, _ in reasons)


class LiveExtensionUnavailableError(CapabilityUnavailableError):
    """The capability needs the live extension, which this session's tier does not have."""
