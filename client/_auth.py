"""The ways to present credentials (SPEC §4.3), all sent pre-emptively.

OAuth 2 is a way to *obtain* a token: :mod:`._oauth2` turns it into a
:class:`TokenAuthentication` when the session connects.
"""

from __future__ import annotations

import base64
from collections.abc import Collection
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

__all__ = [
    "Authentication",
    "BasicAuthentication",
    "ClientCertificate",
    "OAuth2ResourceOwnerPasswordAuthentication",
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


@dataclass(frozen=True, kw_only=True)
class OAuth2ResourceOwnerPasswordAuthentication:
    """The OAuth 2 password grant (RFC 6749 §4.3) from an OpenID Connect issuer.

    At connect the session reads ``{issuer_url}/.well-known/openid-configuration``, posts
    the grant to its ``token_endpoint`` (client credentials in the form), then sends
    ``Authorization: <token_type> <access_token>`` with every request. The issuer is
    reached with the session's ``certificate_authority``, ``timeout`` and transport.
    """

    username: str
    password: str
    client_id: str
    client_secret: str
    issuer_url: str
    scopes: Collection[str] = ()

    def __post_init__(self) -> None:
        scopes = self.scopes
        if isinstance(scopes, str):  # "openid profile" would become 14 scopes
            raise TypeError("scopes must be a collection of scope names, not a string")
        # A set (as atoti's own class takes) in a stable order; a sequence as given, once each.
        ordered = sorted(scopes) if isinstance(scopes, AbstractSet) else scopes
        object.__setattr__(self, "scopes", tuple(dict.fromkeys(ordered)))

    def __repr__(self) -> str:
        return (
            f"OAuth2ResourceOwnerPasswordAuthentication(username={self.username!r}, "
            f"password=***, client_id={self.client_id!r}, client_secret=***, "
            f"issuer_url={self.issuer_url!r}, scopes={self.scopes!r})"
        )


Authentication = (
    BasicAuthentication
    | TokenAuthentication
    | ClientCertificate
    | OAuth2ResourceOwnerPasswordAuthentication
)


def authorization_header(authentication: Authentication | None) -> str | None:
    if isinstance(authentication, BasicAuthentication):
        pair = f"{authentication.username}:{authentication.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")
    if isinstance(authentication, TokenAuthentication):
        return f"{authentication.token_type} {authentication.token}"
    return None
