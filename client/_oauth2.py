"""The OAuth 2 password grant at connect: discovery, then the token endpoint, then a token.

Two requests, each bounded by the session's timeout and never retried: a slow or failing
issuer ends the connect with a typed error that names the issuer, the endpoint and the
OAuth error code (``invalid_grant``, ``invalid_client``, ...), never with a hang.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx

from ._auth import OAuth2ResourceOwnerPasswordAuthentication, TokenAuthentication
from ._errors import (
    AuthenticationError,
    ClientError,
    ConnectFailedError,
    ProtocolError,
    ServerError,
    TimeoutError,
    TlsError,
)
from ._transport import Transport

__all__ = ["DISCOVERY_PATH", "obtain_token"]

DISCOVERY_PATH = "/.well-known/openid-configuration"
# What may follow "Authorization: " without breaking the header (RFC 7235 token, token68).
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*$")
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/-]+=*$")


def _reworded(error: ClientError, where: str) -> ClientError:
    """The same kind of error, saying it happened at the issuer and not at the target."""
    if isinstance(error, ServerError):
        return type(error)(error.status, f"{where}: {error.message}", error.path)
    if isinstance(error, TlsError):
        return TlsError(f"{where}: {error}")
    if isinstance(error, TimeoutError):
        return TimeoutError(f"{where}: {error}")
    if isinstance(error, ConnectFailedError):
        return ConnectFailedError(f"{where}: {error}")
    return type(error)(f"{where}: {error}")


def _json_object(response: httpx.Response, what: str) -> Mapping[str, object]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, Mapping):
        raise ProtocolError(f"{what} did not answer a JSON object")
    return body


def _split(url: str) -> tuple[str, str] | None:
    """``(origin, path and query)`` of an absolute http(s) URL; None for anything else."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return None
    if parsed.scheme not in ("http", "https") or not parsed.host or parsed.fragment:
        return None
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}", parsed.raw_path.decode("ascii")


def obtain_token(
    authentication: OAuth2ResourceOwnerPasswordAuthentication,
    *,
    certificate_authority: str | None,
    timeout: float,
    transport: httpx.BaseTransport | None,
    trust_env: bool,
) -> TokenAuthentication:
    """Discovery, then the password grant: the access token as a TokenAuthentication."""
    issuer = authentication.issuer_url.rstrip("/")
    parts = _split(issuer)
    if parts is None or "?" in parts[1]:
        raise ClientError(f"issuer_url {issuer!r} is not an http(s) URL without query")
    origin, issuer_path = parts
    transports: dict[str, Transport] = {}

    def at(origin: str) -> Transport:
        # One per origin: the token endpoint is usually beside the discovery document.
        if origin not in transports:
            transports[origin] = Transport(
                origin,
                authentication=None,
                certificate_authority=certificate_authority,
                timeout=timeout,
                transport=transport,
                trust_env=trust_env,
            )
        return transports[origin]

    try:
        endpoint = _token_endpoint(at(origin), issuer, issuer_path.rstrip("/") + DISCOVERY_PATH)
        token_parts = _split(endpoint)
        if token_parts is None:
            raise ProtocolError(f"the issuer's token_endpoint {endpoint!r} is not an http(s) URL")
        return _grant(at(token_parts[0]), token_parts[1], endpoint, authentication)
    finally:
        for http in transports.values():
            http.close()


def _token_endpoint(http: Transport, issuer: str, path: str) -> str:
    where = f"OAuth 2 discovery at {issuer}{DISCOVERY_PATH}"
    try:
        response = http.send("GET", path)
    except ServerError as error:
        if error.status in (401, 403, 404):  # discovery is public: nothing is there
            raise ProtocolError(
                f"{where}: {error.status} {error.message} (is issuer_url right?)"
            ) from None
        raise _reworded(error, where) from None
    except ClientError as error:
        raise _reworded(error, where) from None
    endpoint = _json_object(response, where).get("token_endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise ProtocolError(f"{where}: the document has no token_endpoint")
    return endpoint


def _grant(
    http: Transport,
    path: str,
    endpoint: str,
    authentication: OAuth2ResourceOwnerPasswordAuthentication,
) -> TokenAuthentication:
    where = f"OAuth 2 token endpoint {endpoint}"
    form = {
        "grant_type": "password",
        "username": authentication.username,
        "password": authentication.password,
        "client_id": authentication.client_id,
        "client_secret": authentication.client_secret,
    }
    if authentication.scopes:
        form["scope"] = " ".join(authentication.scopes)
    try:
        response = http.send("POST", path, data=form)
    except ServerError as error:
        if error.status in (400, 401):  # RFC 6749 §5.2: the grant or the client is refused
            raise AuthenticationError(
                error.status, f"{where} refused the password grant: {error.message}", error.path
            ) from None
        raise _reworded(error, where) from None
    except ClientError as error:
        raise _reworded(error, where) from None
    body = _json_object(response, where)
    token, token_type = body.get("access_token"), body.get("token_type")
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise ProtocolError(f"{where}: the answer has no usable access_token")
    if not isinstance(token_type, str) or not _SCHEME.fullmatch(token_type):
        raise ProtocolError(f"{where}: the answer has no usable token_type")
    return TokenAuthentication(token, token_type=token_type)
