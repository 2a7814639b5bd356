"""Who is asking, and may they: authentication and role checks (SPEC §4.3).

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
    return headers


def _unauthorized(state: ServerState, message: str) -> FakeHTTPError:
    return FakeHTTPError(401, message, challenge_headers(state))


def _same(given: str, expected: str | None) -> bool:
    expected_bytes = expected.encode() if expected is not None else _DUMMY_SECRET
    return hmac.compare_digest(given.encode(), expected_bytes) and expected is not None


_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


def _parsed_authorization(request: Request, header: str) -> Authorization | None:
    """werkzeug's parse, held to the grammar first: one scheme, one space, one token.

    Depending on its version werkzeug tolerates trailing junk after a Basic payload or
    raises on non-ASCII; a real server refuses both, so the fake does too.
    """
    scheme, _, payload = header.partition(" ")
    if not scheme or not TOKEN68.match(payload):
        return None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(payload, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        if not _BASE64.match(payload) or ":" not in decoded:
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
    with state.lock:
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
