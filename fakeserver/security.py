"""Who is asking, and may they: authentication and role checks (SPEC §4.3).

Basic, configured tokens, client certificates, and bearer JWTs from the target's own OAuth 2
issuer (:mod:`fakeserver.oidc`), validated as a resource server validates them.

Credentials are compared in constant time, and no message ever echoes a password, a token
or a header value back to the caller.
"""

from __future__ import annotations

import base64
import enum
import hmac
import re
from dataclasses import dataclass

from werkzeug.datastructures import Authorization
from werkzeug.wrappers import Request

from .config import TOKEN68
from .errors import FakeHTTPError
from .oidc import InvalidToken, looks_like_jwt
from .protocol import ADMIN_ROLE
from .state import ServerState
from .tls import user_from_certificate
from .wsgi import PEER_CERTIFICATE_KEY

__all__ = [
    "ANONYMOUS",
    "Access",
    "Identity",
    "authenticate",
    "authorize",
    "challenge_headers",
    "password_roles",
]

REALM = "fakeserver"
AUTHENTICATION_REQUIRED = "Full authentication is required to access this resource"
BAD_CREDENTIALS = "Bad credentials"
LIVE_EXTENSION_UNSECURED = "live extension requires a secured target"


class Access(enum.Enum):
    """What a route needs from the caller."""

    PUBLIC = "public"  # /versions/rest only
    READ = "read"  # any authenticated user (anonymous when unsecured)
    ADMIN = "admin"  # live extension: a secured target and ROLE_ADMIN
    OPERATOR = "operator"  # the status page: ROLE_ADMIN when secured, anyone when not


@dataclass(frozen=True)
class Identity:
    name: str | None
    roles: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles


ANONYMOUS = Identity(name=None)
# Compared against when the user is unknown, so a miss costs what a hit costs.
_DUMMY_SECRET = b"\x00" * 32


def challenge_headers(state: ServerState) -> list[tuple[str, str]]:
    headers = [("WWW-Authenticate", f'Basic realm="{REALM}"')]
    security = state.config.security
    if security is not None and state.tokens:
        headers.append(("WWW-Authenticate", f'{security.token_type} realm="{REALM}"'))
    if state.issuer is not None and not any(v.startswith("Bearer ") for _, v in headers):
        headers.append(("WWW-Authenticate", f'Bearer realm="{REALM}"'))
    return headers


def _invalid_token(state: ServerState, reason: str) -> FakeHTTPError:
    """RFC 6750 §3: the Bearer challenge says ``invalid_token`` and why (no token echoed)."""
    headers = [h for h in challenge_headers(state) if not h[1].startswith("Bearer ")]
    bearer = f'Bearer realm="{REALM}", error="invalid_token", error_description="{reason}"'
    return FakeHTTPError(401, f"invalid token: {reason}", [*headers, ("WWW-Authenticate", bearer)])


def _issued_identity(request: Request, header: str, state: ServerState) -> Identity | None:
    """The identity a bearer JWT of the target's own issuer carries; None for any other header.

    As a resource server would, the target trusts the token's claims: its subject is the
    user and its roles claim the roles, whatever the accounts say now (a role change shows
    in the next token). Checked outside the state lock: it needs only the issuer's keys.
    """
    issuer = state.issuer
    scheme, _, token = header.partition(" ")
    if issuer is None or scheme.lower() != "bearer" or not TOKEN68.fullmatch(token):
        return None
    if not looks_like_jwt(token):
        return None  # an opaque token: the configured tokens decide
    try:
        subject, roles = issuer.validate(token, issuer.url(request.host_url))
    except InvalidToken as error:
        raise _invalid_token(state, str(error)) from None
    return Identity(subject, roles)


def password_roles(state: ServerState, name: str, password: str) -> frozenset[str] | None:
    """The roles of ``name`` if ``password`` is theirs, else None (in constant time).

    The password grant of the issuer's token endpoint checks what Basic checks.
    """
    with state.security_lock:
        account = state.accounts.get(name)
        expected = account.password if account is not None else None
        roles = account.roles if account is not None else None
    return roles if _same(password, expected) else None


def _unauthorized(state: ServerState, message: str) -> FakeHTTPError:
    return FakeHTTPError(401, message, challenge_headers(state))


def _same(given: str, expected: str | None) -> bool:
    expected_bytes = expected.encode() if expected is not None else _DUMMY_SECRET
    return hmac.compare_digest(given.encode(), expected_bytes) and expected is not None


_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def _parsed_authorization(request: Request, header: str) -> Authorization | None:
    """werkzeug's parse, held to the grammar first: one scheme, one space, one token.

    Depending on its version werkzeug tolerates trailing junk after a Basic payload or
    raises on non-ASCII; a real server refuses both, so the fake does too.
    """
    scheme, _, payload = header.partition(" ")
    if not scheme or not TOKEN68.fullmatch(payload):
        return None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(payload, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        if not _BASE64.fullmatch(payload) or ":" not in decoded:
            return None
    try:
        return request.authorization
    except ValueError:
        return None


def authenticate(request: Request, state: ServerState) -> Identity:
    """The caller's identity, or a 401 when the target is secured and none is valid."""
    security = state.config.security
    if security is None:
        return ANONYMOUS
    header = request.headers.get("Authorization")
    if header is not None and state.issuer is not None:
        issued = _issued_identity(request, header, state)
        if issued is not None:
            return issued
    with state.security_lock:  # never the data lock: a heavy query must not stall logins
        if header is not None:
            auth = _parsed_authorization(request, header)
            if auth is None:
                raise _unauthorized(state, "malformed Authorization header")
            if auth.type == "basic":
                name = auth.username or ""
                account = state.accounts.get(name)
                password_ok = _same(auth.password or "", account.password if account else None)
                if account is None or not password_ok:
                    raise _unauthorized(state, BAD_CREDENTIALS)
                return Identity(name, account.roles)
            if auth.type == security.token_type.lower() and auth.token:
                owner = None
                for token, user in state.tokens.items():
                    # No early exit: every configured token is compared every time.
                    if _same(auth.token, token):
                        owner = user
                account = state.accounts.get(owner) if owner else None
                if account is None or owner is None:
                    raise _unauthorized(state, "invalid token")
                return Identity(owner, account.roles)
            raise _unauthorized(state, "unsupported authentication scheme")
        der = request.environ.get(PEER_CERTIFICATE_KEY)
        if der:
            subject = user_from_certificate(der)
            account = state.accounts.get(subject) if subject else None
            if account is None or subject is None:
                raise _unauthorized(state, "the client certificate names no known user")
            return Identity(subject, account.roles)
    raise _unauthorized(state, AUTHENTICATION_REQUIRED)


def authorize(access: Access, identity: Identity, state: ServerState) -> None:
    """Enforce (a) and (b) on the server itself, whatever the client believes its tier is."""
    if access is Access.PUBLIC or access is Access.READ:
        return
    secured = state.config.security is not None
    if access is Access.ADMIN and not secured:
        raise FakeHTTPError(403, LIVE_EXTENSION_UNSECURED)
    if secured and not identity.is_admin:
        raise FakeHTTPError(403, f"access denied: {ADMIN_ROLE} is required")
