"""The demo target ``fakeserver serve`` starts with no arguments: secured, two users, data.

The credentials are public (they are printed and documented), which is why the command
refuses to bind them to anything but a loopback address unless told otherwise.
"""

from __future__ import annotations

from .config import DEFAULT_OIDC_CLIENTS, CubeSpec, SecurityConfig, ServerConfig, TableSpec, User

__all__ = ["DEMO_TOKENS", "DEMO_USERS", "demo_config", "is_published"]

#: Same names and passwords as the SPEC's example, so copied snippets just work.
DEMO_USERS: tuple[User, ...] = (
    User("admin", "passwd", roles=frozenset({"ROLE_USER", "ROLE_ADMIN"})),
    User("user", "passwd", roles=frozenset({"ROLE_USER"})),
)
DEMO_TOKENS: dict[str, str] = {"t0ken": "admin"}
#: Secrets printed and documented elsewhere: ``OidcConfig()``'s client secret.
_PUBLISHED_SECRETS = frozenset(DEFAULT_OIDC_CLIENTS.values())
_PUBLISHED_PASSWORDS = frozenset((u.name, u.password) for u in DEMO_USERS)

_TABLES = (
    TableSpec(
        name="trades",
        columns={
            "trade_id": "long",
            "date": "LocalDate",
            "desk": "String",
            "trader": "String",
            "product": "String",
            "quantity": "int",
            "price": "double",
        },
        keys=("trade_id",),
        generate=200,
    ),
    TableSpec(
        name="products",
        columns={"product": "String", "category": "String", "currency": "String"},
        keys=("product",),
        generate=20,
    ),
)
_CUBES = (CubeSpec(name="Trades", table="trades"),)


def demo_config() -> ServerConfig:
    """A secured, exposed, local target with demo users, faker-filled tables and a cube."""
    return ServerConfig(
        security=SecurityConfig(users=DEMO_USERS, tokens=DEMO_TOKENS),
        tables=_TABLES,
        cubes=_CUBES,
    )


def is_published(credential: User | str) -> bool:
    """Whether a user's password or a token is one of the demo's, which anyone can read.

    The one test of "demo credentials": the refusal to bind them publicly, the summary that
    prints them (and only them) and its ``curl`` example all ask it. A user counts by name
    and password together, whatever its roles; a token counts whoever it maps to, and so
    does an OAuth 2 client secret.
    """
    if isinstance(credential, User):
        return (credential.name, credential.password) in _PUBLISHED_PASSWORDS
    return credential in DEMO_TOKENS or credential in _PUBLISHED_SECRETS
