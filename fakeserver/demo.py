"""The demo target ``fakeserver serve`` starts with no arguments: secured, two users, data.

The credentials are public (they are printed and documented), which is why the command
refuses to bind them to anything but a loopback address unless told otherwise.
"""

from __future__ import annotations

from .config import CubeSpec, SecurityConfig, ServerConfig, TableSpec, User

__all__ = ["DEMO_TOKENS", "DEMO_USERS", "demo_config", "uses_demo_credentials"]

#: Same names and passwords as the SPEC's example, so copied snippets just work.
DEMO_USERS: tuple[User, ...] = (
    User("admin", "passwd", roles=frozenset({"ROLE_USER", "ROLE_ADMIN"})),
    User("user", "passwd", roles=frozenset({"ROLE_USER"})),
)
DEMO_TOKENS: dict[str, str] = {"t0ken": "admin"}

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


def uses_demo_credentials(config: ServerConfig) -> bool:
    """Whether anyone could log in to ``config`` with a published demo password or token."""
    if config.security is None:
        return False
    demo_passwords = {(u.name, u.password) for u in DEMO_USERS}
    if any((u.name, u.password) in demo_passwords for u in config.security.users):
        return True
    # A published token is a way in whoever it maps to.
    return any(token in config.security.tokens for token in DEMO_TOKENS)
