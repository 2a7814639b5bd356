"""What ``fakeserver serve`` emulates: its flags, and the ServerConfig they build.

The base is the demo (:mod:`fakeserver.demo`) or ``--config``; every flag given overrides
it. Pure: nothing here binds or writes, so a mistake is reported before anything starts.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from typing import Any

from ..config import Fault, OidcConfig, SecurityConfig, ServerConfig, TlsConfig, User
from ..demo import demo_config
from ..generations import generation
from .usage import UsageError, blame

__all__ = ["add_arguments", "build_config"]


# -- flag values ----------------------------------------------------------------------------


def _role(text: str) -> str:
    # Upper case only: with a lower-case "role", "alice:pa:ss" would silently become
    # password "pa" and ROLE_SS instead of an error.
    role = text.strip()
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*", role):
        raise argparse.ArgumentTypeError(
            f"{role!r} is not a role such as ADMIN or ROLE_USER (a password containing ':' "
            "needs roles after it: NAME:PA:SS:USER)"
        )
    return role if role.startswith("ROLE_") else f"ROLE_{role}"


def _user(text: str) -> User:
    """``NAME:PASSWORD[:ROLE[,ROLE...]]``; the password may hold ':' when roles are given."""
    name, colon, rest = text.partition(":")
    if not colon or not name:
        raise argparse.ArgumentTypeError(
            "expected NAME:PASSWORD[:ROLE,...] (e.g. alice:s3cret:ADMIN)"
        )
    password, colon, roles_text = rest.rpartition(":")
    if not colon:
        password, roles_text = rest, ""
    if not password:
        raise argparse.ArgumentTypeError(f"user {name!r} has an empty password")
    # Every user of an Atoti target holds ROLE_USER; ADMIN is short for ROLE_ADMIN.
    roles = {"ROLE_USER"} | {_role(r) for r in roles_text.split(",") if r.strip()}
    try:
        return User(name, password, roles=frozenset(roles))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error).partition(": ")[2]) from None


def _token(text: str) -> tuple[str, str]:
    token, colon, user = text.rpartition(":")
    if not colon or not token or not user:
        raise argparse.ArgumentTypeError("expected TOKEN:USER (e.g. s3cret-token:alice)")
    return token, user


def _client(text: str) -> tuple[str, str]:
    client_id, colon, secret = text.partition(":")
    if not colon or not client_id or not secret:
        raise argparse.ArgumentTypeError("expected ID:SECRET (e.g. my-app:s3cret)")
    return client_id, secret


_FAULT_NUMBERS = {
    "delay": float,
    "delay_max": float,
    "status": int,
    "times": int,
    "probability": float,
}

#: Every KEY of ``--fault KIND[:PATH][:KEY=VALUE,...]`` (the help names each one).
FAULT_KEYS = frozenset({*_FAULT_NUMBERS, "method", "message"})


def _fault(text: str) -> Fault:
    """``KIND[:PATH][:KEY=VALUE,...]``, e.g. ``error:*/ping:status=503,times=1``."""
    kind, _, rest = text.partition(":")
    path, _, options = rest.partition(":")
    if "=" in path:  # KIND:KEY=VALUE with no path
        path, options = "", path
    fields: dict[str, Any] = {"kind": kind, "path": path or "*"}
    for option in filter(None, (o.strip() for o in options.split(","))):
        key, equals, value = option.partition("=")
        if not equals or key not in FAULT_KEYS:
            raise argparse.ArgumentTypeError(
                f"{option!r}: expected KEY=VALUE with KEY one of {', '.join(sorted(FAULT_KEYS))}"
            )
        try:
            fields[key] = _FAULT_NUMBERS.get(key, str)(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{key}: {value!r} is not a number") from None
    try:
        return Fault(**fields)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flag groups that describe the target, in the order ``--help`` shows them.

    ``--allow-demo-credentials`` and ``--cert-dir`` belong to these groups in the help,
    though ``serve`` reads them: they do not change the config.
    """
    target = parser.add_argument_group("what the target emulates")
    target.add_argument(
        "--config",
        metavar="FILE",
        help="a ServerConfig as TOML (or JSON if it ends in .json) instead of the demo",
    )
    target.add_argument(
        "--atoti-client",
        metavar="VERSION",
        help="emulate the server this atoti-client release expects (e.g. 0.9.16): its server "
        "and Python API versions; --server-version and --python-api-version still win",
    )
    target.add_argument(
        "--server-version", metavar="VERSION", help="Atoti Server version it reports"
    )
    target.add_argument(
        "--python-api-version", metavar="VERSION", help="Python API version it was 'started with'"
    )
    target.add_argument(
        "--not-exposed",
        action="store_true",
        help="not exposed to the Python API (no atoti API, no descriptor)",
    )
    target.add_argument(
        "--remote-host",
        action="store_true",
        help="report another machine's identity instead of this one's",
    )
    target.add_argument(
        "--seed", type=int, metavar="N", help="seed of generated rows and of the remote identity"
    )
    auth = parser.add_argument_group("security")
    auth.add_argument("--unsecured", action="store_true", help="no authentication at all")
    auth.add_argument(
        "--user",
        dest="users",
        action="append",
        type=_user,
        metavar="NAME:PASSWORD[:ROLE,...]",
        help="a user (repeatable; replaces the demo users or the file's); roles are "
        "upper case and may omit ROLE_ (ADMIN = ROLE_ADMIN); ROLE_USER is always granted",
    )
    auth.add_argument(
        "--token",
        dest="tokens",
        action="append",
        type=_token,
        metavar="TOKEN:USER",
        help="a bearer token for a user (repeatable)",
    )
    auth.add_argument(
        "--oidc",
        action="store_true",
        help="also be an OAuth 2 / OpenID Connect issuer at URL/oidc (password grant, "
        "signed JWTs; demo client fakeserver:fakeserver-secret)",
    )
    auth.add_argument(
        "--oidc-client",
        dest="oidc_clients",
        action="append",
        type=_client,
        metavar="ID:SECRET",
        help="an OAuth 2 client of the issuer (repeatable; replaces the demo client; "
        "implies --oidc)",
    )
    auth.add_argument(
        "--allow-demo-credentials",
        action="store_true",
        help="allow a non-loopback --host even though the demo passwords are public",
    )
    tls = parser.add_argument_group("TLS")
    tls.add_argument("--tls", action="store_true", help="HTTPS, with a CA made at start")
    tls.add_argument(
        "--client-certificate",
        choices=("optional", "required"),
        help="accept (optional) or demand (required) client certificates; implies --tls",
    )
    tls.add_argument(
        "--cert-dir",
        metavar="DIR",
        help="where to write the CA and a client certificate per user "
        "(default: a fresh temp dir, removed at stop)",
    )
    faults = parser.add_argument_group("faults (to test a client's retries and timeouts)")
    faults.add_argument(
        "--fault",
        dest="faults",
        action="append",
        type=_fault,
        metavar="KIND[:PATH][:KEY=VALUE,...]",
        help="inject a fault (repeatable): latency (delay=, delay_max=), error (status=, "
        "message=) or drop; PATH is a glob (default *); times=, probability= and method= "
        "limit it; "
        "e.g. --fault error:*/ping:status=503,times=1 --fault latency:*:delay=0.2,delay_max=1",
    )


# -- flags to config ------------------------------------------------------------------------


def _load_base(args: argparse.Namespace) -> ServerConfig:
    if args.config is None:
        return demo_config()
    try:
        return ServerConfig.from_file(args.config)
    except (ValueError, TypeError) as error:
        message = str(error)
        if args.config not in message:
            message += f" (in {args.config})"
        if isinstance(error, TypeError):
            message = f"config: {message}"
        raise UsageError(message) from None


def _security(args: argparse.Namespace, config: ServerConfig) -> SecurityConfig | None:
    if args.unsecured:
        if args.users or args.tokens:
            raise UsageError("--unsecured: cannot be combined with --user or --token")
        return None
    security = config.security
    if args.users:
        kept: dict[str, str] = {}
        if security is not None and args.config is not None:
            # A file's tokens survive for the users that are still there; the demo's never do.
            names = {u.name for u in args.users}
            kept = {t: u for t, u in security.tokens.items() if u in names}
        token_type = security.token_type if security is not None else "Bearer"
        with blame("--user"):
            security = SecurityConfig(users=tuple(args.users), tokens=kept, token_type=token_type)
    if args.tokens:
        if security is None:
            raise UsageError("--token: the target is unsecured; add --user NAME:PASSWORD first")
        with blame("--token"):
            security = dataclasses.replace(
                security, tokens={**security.tokens, **dict(args.tokens)}
            )
    return security


def _oidc(args: argparse.Namespace, security: SecurityConfig | None) -> SecurityConfig | None:
    """``--oidc``/``--oidc-client``: the issuer of the file, else the default one, on top."""
    if not (args.oidc or args.oidc_clients):
        return security
    flag = "--oidc-client" if args.oidc_clients else "--oidc"
    if security is None:
        raise UsageError(f"{flag}: the target is unsecured; an issuer needs its users")
    oidc = security.oidc or OidcConfig()
    if args.oidc_clients:
        with blame("--oidc-client"):
            oidc = dataclasses.replace(oidc, clients=dict(args.oidc_clients))
    return dataclasses.replace(security, oidc=oidc)


def build_config(args: argparse.Namespace) -> ServerConfig:
    """The base (demo or ``--config``) with every given flag applied on top, in order."""
    config = _load_base(args)
    if args.atoti_client is not None:
        with blame("--atoti-client"):
            found = generation(args.atoti_client)
        if found.caveat is not None:  # a release newer than the table: served, and said
            print(f"fakeserver: warning: --atoti-client: {found.caveat}", file=sys.stderr)
        config = config.replace(
            server_version=found.server_version, python_api_version=found.python_api_version
        )
    if args.server_version is not None:
        with blame("--server-version"):
            config = config.replace(server_version=args.server_version)
    if args.python_api_version is not None:
        with blame("--python-api-version"):
            config = config.replace(python_api_version=args.python_api_version)
    if args.not_exposed:
        config = config.replace(exposed=False)
    if args.remote_host:
        config = config.replace(host="remote")
    if args.seed is not None:
        config = config.replace(seed=args.seed)
    security = _oidc(args, _security(args, config))
    if security is not config.security:
        config = config.replace(security=security)
    if args.faults:
        config = config.replace(faults=(*config.faults, *args.faults))
    if args.tls or args.client_certificate is not None:
        current = config.tls.client_certificate if config.tls is not None else "none"
        config = config.replace(tls=TlsConfig(args.client_certificate or current))
    return config
