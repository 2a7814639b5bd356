"""The three ways to present credentials (SPEC §4.3), all sent pre-emptively."""

from __future__ import annotations

import base64
from dataclasses import dataclass

__all__ = [
    "Authentication",
    "BasicAuthentication",
    "ClientCertificate",
    "TokenAuthentication",
    "authorization_header",
]


@dataclass(frozen=True)
class BasicAuthentication:
    username: str
    password: str

    def __repr__(self) -> str:  # never print a password in a traceback or a log
        return f"BasicAuthentication({self.username!r}, password=***)"


@dataclass(frozen=True)
class TokenAuthentication:
    token: str
    token_type: str = "Bearer"

    def __repr__(self) -> str:
        return f"TokenAuthentication(token=***, token_type={self.token_type!r})"


@dataclass(frozen=True)
class ClientCertificate:
    """A client certificate (PEM) and its key; presented only in the TLS handshake."""

    certificate: str
    keyfile: str | None = None


Authentication = BasicAuthentication | TokenAuthentication | ClientCertificate


def authorization_header(authentication: Authentication | None) -> str | None:
    if isinstance(authentication, BasicAuthentication):
        pair = f"{authentication.username}:{authentication.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")
    if isinstance(authentication, TokenAuthentication):
        return f"{authentication.token_type} {authentication.token}"
    return None
