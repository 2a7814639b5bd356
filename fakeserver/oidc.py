"""The target as its own OpenID Connect issuer: signing keys, access tokens, their validation.

What a real deployment splits between an identity provider (Keycloak, Okta, Auth0) and the
resource server, in one place: the issuer mints JWTs with :mod:`jwt` (PyJWT, over
``cryptography``), the target checks them as any resource server would — signature by
``kid`` against the published keys, then ``iss``, ``aud``, ``exp``/``nbf`` within the clock
skew. Nothing is hand-signed and no key is ever written anywhere: each is made in memory
when first needed. HTTP lives in :mod:`fakeserver.routes.oidc`; this module knows none.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from .config import OidcConfig

__all__ = [
    "DISCOVERY_PATH",
    "JWKS_PATH",
    "TOKEN_PATH",
    "InvalidToken",
    "Issuer",
    "looks_like_jwt",
]

#: Where each document lives under the issuer URL.
DISCOVERY_PATH = "/.well-known/openid-configuration"
TOKEN_PATH = "/token"
JWKS_PATH = "/jwks"

#: Claims every access token carries and the target requires.
_REQUIRED = ["iss", "aud", "sub", "exp", "iat", "nbf", "jti"]
# Why a token was refused, by PyJWT's error; the message names no claim value.
_REASONS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidAudienceError, "the token is for another audience"),
    (jwt.InvalidIssuerError, "the token is from another issuer"),
    (jwt.InvalidAlgorithmError, "the token's algorithm is not accepted"),
    (jwt.InvalidSignatureError, "the token's signature does not verify"),
)


class InvalidToken(Exception):
    """A bearer JWT the target refuses; the message is safe to send back (RFC 6750 §3.1)."""


@dataclass(frozen=True)
class _SigningKey:
    kid: str
    algorithm: str
    private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

    @classmethod
    def generate(cls, algorithm: str) -> _SigningKey:
        # ES256 keys cost ~20 µs, RS256 ones ~100 ms: hence made on first use only.
        private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
        if algorithm == "ES256":
            private = ec.generate_private_key(ec.SECP256R1())
        else:
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(secrets.token_urlsafe(12), algorithm, private)

    def jwk(self) -> dict[str, Any]:
        """The public half as a JWK (RFC 7517), as a JWKS endpoint lists it."""
        public = self.private.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            text = ECAlgorithm.to_jwk(public)
        else:
            text = RSAAlgorithm.to_jwk(public)
        return {**json.loads(text), "kid": self.kid, "use": "sig", "alg": self.algorithm}


def looks_like_jwt(token: str) -> bool:
    """Three base64url segments whose first decodes to a JSON object: a JWS in compact form.

    Configured opaque tokens (``t0ken``, ``admin-token``) never are, so with an issuer
    configured both kinds keep working side by side.
    """
    if token.count(".") != 2:
        return False
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        return False
    return isinstance(header, dict)


def _nested(claims: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b.c`` as nested objects, as Keycloak's ``realm_access.roles``."""
    *parents, last = dotted.split(".")
    for name in parents:
        claims = claims.setdefault(name, {})
    claims[last] = value


def _lookup(claims: Mapping[str, Any], dotted: str) -> Any:
    value: Any = claims
    for name in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


class Issuer:
    """The signing keys and token rules of one target; thread-safe.

    The issuer URL is the server's URL plus the configured path, fixed by :meth:`bind`
    when the server listens; in-process (WSGI, no socket) it is the request's own origin.
    Keys survive ``reset()`` and ``restart()``, as an identity provider's would: only
    :meth:`rotate` changes them.
    """

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._keys: list[_SigningKey] = []  # the current one first; then kept previous ones
        self._url: str | None = None

    # -- where it is -------------------------------------------------------------------------

    def bind(self, server_url: str | None) -> None:
        """Fix the issuer URL to the listening server's (None: unbound again)."""
        self._url = None if server_url is None else server_url.rstrip("/") + self.config.path

    def url(self, origin: str) -> str:
        """The issuer URL: the bound one, else ``origin`` (scheme://host[:port]) plus the path."""
        return self._url or origin.rstrip("/") + self.config.path

    @property
    def bound_url(self) -> str | None:
        return self._url

    def discovery(self, issuer: str) -> dict[str, Any]:
        """The OpenID Provider Metadata (OIDC Discovery 1.0 §3), password grant only.

        No ``authorization_endpoint``: no grant this issuer offers uses one (RFC 8414 §2).
        """
        claims = ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "scope", "azp"]
        return {
            "issuer": issuer,
            "token_endpoint": issuer + TOKEN_PATH,
            "jwks_uri": issuer + JWKS_PATH,
            "grant_types_supported": ["password"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "id_token_signing_alg_values_supported": [self.config.algorithm],
            "claims_supported": [*claims, self.config.roles_claim.split(".")[0]],
        }

    # -- keys --------------------------------------------------------------------------------

    def _current(self) -> _SigningKey:
        with self._lock:
            if not self._keys:
                self._keys.append(_SigningKey.generate(self.config.algorithm))
            return self._keys[0]

    def jwks(self) -> dict[str, Any]:
        """Every key the target accepts: the current one and any kept by :meth:`rotate`."""
        self._current()
        with self._lock:
            keys = list(self._keys)
        return {"keys": [key.jwk() for key in keys]}

    def rotate(self, *, keep_previous: bool = False) -> str:
        """A new signing key; tokens signed by the old ones fail unless ``keep_previous``.

        ``keep_previous=True`` keeps the key in use until now published and accepted (a
        grace period) until the next rotation. Returns the new key's ``kid``.
        """
        fresh = _SigningKey.generate(self.config.algorithm)
        with self._lock:
            kept = self._keys[:1] if keep_previous else []
            self._keys = [fresh, *kept]
        return fresh.kid

    def _key(self, kid: object) -> _SigningKey | None:
        with self._lock:
            return next((k for k in self._keys if k.kid == kid), None)

    # -- tokens ------------------------------------------------------------------------------

    def mint(
        self,
        issuer: str,
        subject: str,
        roles: Iterable[str],
        *,
        client_id: str | None = None,
        scopes: Sequence[str] = (),
        expires_in: int | None = None,
        claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A signed access token for ``subject``; ``claims`` are added last (and win)."""
        key = self._current()
        now = int(time.time())
        lifetime = self.config.token_lifetime if expires_in is None else expires_in
        body: dict[str, Any] = {
            "iss": issuer,
            "aud": self.config.audience,
            "sub": subject,
            "preferred_username": subject,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": secrets.token_urlsafe(16),
            "scope": " ".join(scopes),
        }
        if client_id is not None:
            body["azp"] = client_id
        _nested(body, self.config.roles_claim, sorted(roles))
        body.update(claims or {})
        headers = {"kid": key.kid, "typ": "JWT"}
        return jwt.encode(body, key.private, algorithm=key.algorithm, headers=headers)

    def validate(self, token: str, issuer: str) -> tuple[str, frozenset[str]]:
        """``(subject, roles)`` of a token this issuer signed and this target accepts.

        Raises :class:`InvalidToken` for anything else: a key it does not publish, another
        algorithm (``none``, or HS256 keyed with the public key), a bad signature, another
        issuer or audience, outside ``exp``/``nbf`` by more than the skew, a missing claim.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise InvalidToken("the token is malformed") from None
        key = self._key(header.get("kid"))
        if key is None:
            raise InvalidToken("the token is signed with a key the issuer does not publish")
        try:
            claims = jwt.decode(
                token,
                key.private.public_key(),
                algorithms=[key.algorithm],  # only the key's own: no alg confusion
                audience=self.config.audience,
                issuer=issuer,
                leeway=self.config.clock_skew,
                options={"require": _REQUIRED},
            )
        except jwt.MissingRequiredClaimError as error:
            raise InvalidToken(f"the token has no {error.claim!r} claim") from None
        except jwt.InvalidTokenError as error:
            reason = next((text for kind, text in _REASONS if isinstance(error, kind)), None)
            raise InvalidToken(reason or "the token is malformed") from None
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("the token's subject is not a user name")
        roles = _lookup(claims, self.config.roles_claim)
        if roles is None:
            roles = []
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise InvalidToken(f"the token's {self.config.roles_claim!r} claim is not a list")
        return subject, frozenset(roles)
