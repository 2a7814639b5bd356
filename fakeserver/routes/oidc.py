"""The OAuth 2 issuer's routes: discovery, the token endpoint (password grant), the JWKS.

They exist only when ``SecurityConfig.oidc`` is configured, under its ``path``; anywhere
else the fake answers as for any unknown path (401 first when secured, then 404). They are
public: the token endpoint authenticates the client and the resource owner itself, and
answers errors as RFC 6749 §5.2 says — ``error`` is the OAuth error code and
``error_description`` says why, beside the fake's usual ``path`` and ``status``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from urllib.parse import parse_qsl, unquote_plus

from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from ..errors import error_response
from ..oidc import Issuer
from ..security import authenticate, password_roles
from .base import Context, json_response

__all__ = ["discovery", "jwks", "token"]

FORM = "application/x-www-form-urlencoded"
# RFC 6749 §3.3: scope tokens are visible ASCII but '"' and '\'.
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")
# Compared against when the client is unknown, so a miss costs what a hit costs.
_DUMMY_SECRET = b"\x00" * 32


class _OAuthError(Exception):
    def __init__(self, status: int, code: str, description: str, challenge: bool = False) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.challenge = challenge  # invalid_client: say which scheme a client may use


def _issuer(ctx: Context, prefix: str) -> Issuer:
    issuer = ctx.state.issuer
    if issuer is None or "/" + prefix != issuer.config.path:
        authenticate(ctx.request, ctx.state)  # as for any unknown path of a secured target
        raise NotFound()
    return issuer


def discovery(ctx: Context, prefix: str) -> Response:
    issuer = _issuer(ctx, prefix)
    return json_response(issuer.discovery(issuer.url(ctx.request.host_url)))


def jwks(ctx: Context, prefix: str) -> Response:
    return json_response(_issuer(ctx, prefix).jwks())


def token(ctx: Context, prefix: str) -> Response:
    issuer = _issuer(ctx, prefix)
    try:
        return _grant(ctx, issuer)
    except _OAuthError as error:
        headers = [("Cache-Control", "no-store")]
        if error.challenge:
            headers.append(("WWW-Authenticate", 'Basic realm="fakeserver"'))
        return error_response(
            error.status,
            error.code,
            ctx.request.path,
            headers,
            extra={"error_description": error.description},
        )


def _form(ctx: Context) -> dict[str, str]:
    """The form, as RFC 6749 §3.2 reads it: empty values omitted, no parameter twice."""
    request = ctx.request
    limit = ctx.config.limits.max_token_request_bytes
    if request.mimetype != FORM:
        raise _OAuthError(400, "invalid_request", f"the body must be {FORM}")
    if request.content_length is not None and request.content_length > limit:
        raise _OAuthError(413, "invalid_request", f"the form is larger than {limit} bytes")
    raw = request.get_data(cache=True)  # cached: server.log shows what the client sent
    if len(raw) > limit:
        raise _OAuthError(413, "invalid_request", f"the form is larger than {limit} bytes")
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=False, strict_parsing=False)
    except UnicodeDecodeError:
        raise _OAuthError(400, "invalid_request", "the form is not UTF-8") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise _OAuthError(400, "invalid_request", f"{name!r} is given more than once")
        form[name] = value
    return form


def _basic_client(header: str) -> tuple[str, str]:
    """``client_secret_basic``: both halves form-urlencoded before base64 (RFC 6749 §2.3.1)."""
    scheme, _, payload = header.partition(" ")
    if scheme.lower() != "basic":
        raise _OAuthError(401, "invalid_client", "client authentication must use Basic", True)
    try:
        decoded = base64.b64decode(payload, validate=True).decode()
    except (binascii.Error, ValueError):
        raise _OAuthError(401, "invalid_client", "malformed client credentials", True) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise _OAuthError(401, "invalid_client", "malformed client credentials", True)
    return unquote_plus(client_id), unquote_plus(secret)


def _client(ctx: Context, issuer: Issuer, form: dict[str, str]) -> str:
    """The authenticated client's id: from HTTP Basic or from the form, never both."""
    header = ctx.request.headers.get("Authorization")
    if header is not None:
        if "client_secret" in form:
            raise _OAuthError(
                400, "invalid_request", "the client authenticated twice (header and form)"
            )
        client_id, secret = _basic_client(header)
        if form.get("client_id", client_id) != client_id:
            raise _OAuthError(400, "invalid_request", "client_id differs from the header's")
    elif "client_id" in form:
        client_id, secret = form["client_id"], form.get("client_secret", "")
    else:
        raise _OAuthError(401, "invalid_client", "client authentication is required", True)
    expected = issuer.config.clients.get(client_id)
    given = secret.encode()
    same = hmac.compare_digest(given, expected.encode() if expected else _DUMMY_SECRET)
    if expected is None or not same:
        raise _OAuthError(401, "invalid_client", "invalid client credentials", True)
    return client_id


def _scopes(form: dict[str, str]) -> list[str]:
    scopes: list[str] = []
    for scope in form.get("scope", "").split(" "):
        if not scope:
            continue
        if not _SCOPE_TOKEN.fullmatch(scope):
            raise _OAuthError(400, "invalid_scope", "a scope holds a character RFC 6749 forbids")
        if scope not in scopes:
            scopes.append(scope)
    return scopes


def _grant(ctx: Context, issuer: Issuer) -> Response:
    form = _form(ctx)
    client_id = _client(ctx, issuer, form)
    grant_type = form.get("grant_type")
    if grant_type is None:
        raise _OAuthError(400, "invalid_request", "grant_type is required")
    if grant_type != "password":
        raise _OAuthError(
            400, "unsupported_grant_type", "this issuer offers the password grant only"
        )
    username, password = form.get("username"), form.get("password")
    if username is None or password is None:
        raise _OAuthError(400, "invalid_request", "username and password are required")
    scopes = _scopes(form)
    roles = password_roles(ctx.state, username, password)
    if roles is None:
        raise _OAuthError(400, "invalid_grant", "invalid user credentials")
    access_token = issuer.mint(
        issuer.url(ctx.request.host_url), username, roles, client_id=client_id, scopes=scopes
    )
    response = json_response(
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": issuer.config.token_lifetime,
            "scope": " ".join(scopes),
        }
    )
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1
    response.headers["Pragma"] = "no-cache"
    return response
