"""The ``fakeserver`` command (also ``python -m fakeserver``).

* ``fakeserver serve`` — a fake target started by hand, until SIGINT/SIGTERM.
* ``fakeserver matrix`` — the thin client over every scenario; exit 1 on any mismatch.
* ``fakeserver scenarios`` — the scenarios, their conditions and expected tiers.

Every mistake in flags or a config file ends as one line ``fakeserver: <field>: <problem>``
on stderr and exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import ipaddress
import json
import logging
import os
import re
import select
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any, NoReturn

from . import scenarios as _scenarios
from .config import (
    DEFAULT_PYTHON_API_VERSION,
    DEFAULT_SERVER_VERSION,
    Fault,
    SecurityConfig,
    ServerConfig,
    TlsConfig,
    User,
)
from .demo import DEMO_TOKENS, DEMO_USERS, demo_config, uses_demo_credentials
from .plugin_support import FAILURE
from .server import FakeServer, request_log

__all__ = ["main"]

_FORMATS = ("table", "markdown", "json")
_ERROR_LABELS = {"authentication": "auth error", "tls": "TLS error"}
_ERROR_CLASSES = {"AuthenticationError": "auth error", "TlsError": "TLS error"}


class UsageError(Exception):
    """A mistake of the caller: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors are one line like every other mistake."""

    def error(self, message: str) -> NoReturn:
        message = message.removeprefix("argument ")
        self.exit(2, f"fakeserver: {message} (see '{self.prog} --help')\n")


def _marks() -> tuple[str, str, str]:
    """(pass, fail, unmet) marks; ASCII when stdout cannot encode the nicer ones."""
    try:
        "✓✗·".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "ok", "FAIL", "-"
    return "✓", "✗", "·"


def _rename_field(error: ValueError, flag: str) -> UsageError:
    """``"field: problem"`` from the config layer, re-attributed to the flag that caused it."""
    _, _, problem = str(error).partition(": ")
    return UsageError(f"{flag}: {problem or error}")


@contextlib.contextmanager
def _blame(flag: str) -> Iterator[None]:
    try:
        yield
    except (ValueError, TypeError) as error:
        raise _rename_field(ValueError(str(error)), flag) from None


# -- serve: flags to config ----------------------------------------------------------------


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not between 0 and 65535 (0 = any free port)")
    return port


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


_FAULT_NUMBERS = {
    "delay": float,
    "delay_max": float,
    "status": int,
    "times": int,
    "probability": float,
}


def _fault(text: str) -> Fault:
    """``KIND[:PATH][:KEY=VALUE,...]``, e.g. ``error:*/ping:status=503,times=1``."""
    kind, _, rest = text.partition(":")
    path, _, options = rest.partition(":")
    if "=" in path:  # KIND:KEY=VALUE with no path
        path, options = "", path
    fields: dict[str, Any] = {"kind": kind, "path": path or "*"}
    for option in filter(None, (o.strip() for o in options.split(","))):
        key, equals, value = option.partition("=")
        if not equals or key not in {*_FAULT_NUMBERS, "method", "message"}:
            raise argparse.ArgumentTypeError(
                f"{option!r}: expected KEY=VALUE with KEY one of "
                f"{', '.join(sorted({*_FAULT_NUMBERS, 'method', 'message'}))}"
            )
        try:
            fields[key] = _FAULT_NUMBERS.get(key, str)(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{key}: {value!r} is not a number") from None
    try:
        return Fault(**fields)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


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
        with _blame("--user"):
            security = SecurityConfig(users=tuple(args.users), tokens=kept, token_type=token_type)
    if args.tokens:
        if security is None:
            raise UsageError("--token: the target is unsecured; add --user NAME:PASSWORD first")
        with _blame("--token"):
            security = dataclasses.replace(
                security, tokens={**security.tokens, **dict(args.tokens)}
            )
    return security


def _build_config(args: argparse.Namespace) -> ServerConfig:
    """The base (demo or ``--config``) with every given flag applied on top, in order."""
    config = _load_base(args)
    if args.server_version is not None:
        with _blame("--server-version"):
            config = config.replace(server_version=args.server_version)
    if args.python_api_version is not None:
        with _blame("--python-api-version"):
            config = config.replace(python_api_version=args.python_api_version)
    if args.not_exposed:
        config = config.replace(exposed=False)
    if args.remote_host:
        config = config.replace(host="remote")
    if args.seed is not None:
        config = config.replace(seed=args.seed)
    security = _security(args, config)
    if security is not config.security:
        config = config.replace(security=security)
    if args.faults:
        config = config.replace(faults=(*config.faults, *args.faults))
    if args.tls or args.client_certificate is not None:
        current = config.tls.client_certificate if config.tls is not None else "none"
        config = config.replace(tls=TlsConfig(args.client_certificate or current))
    return config


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


# -- serve: running ------------------------------------------------------------------------


@dataclass
class _Issued:
    """TLS files copied where the user can find them (the server's own dir dies with it)."""

    directory: Path
    ca: str
    certificates: dict[str, tuple[str, str]]
    temporary: bool


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.chmod(path, 0o600)  # O_CREAT's mode does not apply to a file left by an earlier run


def _issue_files(server: FakeServer, config: ServerConfig, cert_dir: str | None) -> _Issued | None:
    ca_path = server.ca_path
    if ca_path is None:
        return None
    if cert_dir is not None:
        try:
            return _write_issued(server, ca_path, config, Path(cert_dir), temporary=False)
        except OSError as error:
            raise UsageError(
                f"--cert-dir: cannot write to {cert_dir!r}: {error.strerror}"
            ) from None
    directory = Path(tempfile.mkdtemp(prefix="fakeserver-certs-"))
    try:
        return _write_issued(server, ca_path, config, directory, temporary=True)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def _write_issued(
    server: FakeServer, ca_path: str, config: ServerConfig, directory: Path, *, temporary: bool
) -> _Issued:
    directory = directory.absolute()  # the ready file is read by scripts running anywhere
    ca = directory / "ca.pem"
    shutil.copyfile(ca_path, ca)
    certificates: dict[str, tuple[str, str]] = {}
    users = config.security.users if config.security is not None else ()
    taken: set[str] = {"ca"}
    for user in users:
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in user.name) or "user"
        while stem in taken:
            stem += "_"
        taken.add(stem)
        cert, key = server.client_certificate(user.name)
        cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
        shutil.copyfile(cert, cert_path)
        _write_private(key_path, Path(key).read_bytes())
        certificates[user.name] = (str(cert_path), str(key_path))
    return _Issued(directory, str(ca), certificates, temporary)


def _ready(path: str, url: str, issued: _Issued | None) -> None:
    certificates = issued.certificates if issued is not None else {}
    data = {
        "url": url,
        "ca": issued.ca if issued is not None else None,
        "client_certificates": {n: {"cert": c, "key": k} for n, (c, k) in certificates.items()},
    }
    try:
        _write_ready_file(path, data)
    except OSError as error:
        raise UsageError(f"--ready-file: cannot write {path!r}: {error.strerror}") from None


def _write_ready_file(path: str, data: dict[str, Any]) -> None:
    """Write then rename in the same directory, so a reader never sees half a file."""
    target = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file)
            file.write("\n")
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# A server started by hand may run for days: keep its request log (for nobody) short.
_SERVE_LOG_LIMIT = 100


def _describe_fault(fault: Fault) -> str:
    what = {
        "latency": f"+{fault.delay}s" + (f"..{fault.delay_max}s" if fault.delay_max else ""),
        "error": f"answer {fault.status}",
        "drop": "drop the connection",
    }[fault.kind]
    when = "always" if fault.times is None else f"{fault.times}x"
    if fault.probability < 1:
        when += f", p={fault.probability}"
    return f"{fault.method or '*'} {fault.path}: {what} ({when})"


def _summary(
    server: FakeServer, config: ServerConfig, issued: _Issued | None, out: IO[str]
) -> None:
    def line(label: str, text: str) -> None:
        print(f"  {label:<9} {text}", file=out)

    print(f"fakeserver: a fake Atoti target is listening at {server.url}", file=out)
    line("versions", f"server {config.server_version}, Python API {config.python_api_version}")
    line("exposed", "yes" if config.exposed else "no (no atoti API, no session descriptor)")
    host = server.emulation.host
    line("host", f"{config.host} (id {host.id}, name {host.name})")
    security = config.security
    if security is None:
        line("security", "none (anonymous reads; the live extension answers 403)")
    else:
        modes = "basic, " + security.token_type.lower() + " token"
        if config.tls is not None and config.tls.client_certificate != "none":
            modes += ", client certificate"
        line("security", f"secured ({modes})")
        if not security.users:
            line("users", "none: nobody can log in")
        demo = {(u.name, u.password) for u in DEMO_USERS}
        rows = [
            (u.name, ", ".join(sorted(u.roles)), (u.name, u.password) in demo, u.password)
            for u in security.users
        ]
        name_width = max((len(r[0]) for r in rows), default=0)
        role_width = max((len(r[1]) for r in rows), default=0)
        for index, (name, roles, is_demo, password) in enumerate(rows):
            secret = f"password {password!r} (demo)" if is_demo else "password not shown"
            text = f"{name:<{name_width}}  {roles:<{role_width}}  {secret}"
            line("users" if index == 0 else "", text)
        for index, (token, owner) in enumerate(security.tokens.items()):
            shown = f"{token!r} (demo)" if token in DEMO_TOKENS else "(not shown)"
            line("tokens" if index == 0 else "", f"{shown} -> {owner}")
    if config.tables:
        described = (_describe_table(t.name, t.generate, len(t.rows)) for t in config.tables)
        line("tables", ", ".join(described))
    if config.cubes:
        line("cubes", ", ".join(f"{c.name} (on {c.table})" for c in config.cubes))
    for index, fault in enumerate(config.faults):
        line("faults" if index == 0 else "", _describe_fault(fault))
    if config.tls is None:
        line("tls", "off")
    else:
        line("tls", f"on (client certificates: {config.tls.client_certificate})")
    if issued is not None:
        line("CA", issued.ca)
        for index, (name, (cert, key)) in enumerate(issued.certificates.items()):
            line("certs" if index == 0 else "", f"{name}: {cert} {key}")
        if not _is_loopback(server.host):
            line("note", "the server certificate names " + ", ".join(server.certificate_names))
    example = _try_command(server.url, config, issued)
    if example:
        line("try", example)
    print("Stop with Ctrl+C or SIGTERM.", file=out, flush=True)


def _try_command(url: str, config: ServerConfig, issued: _Issued | None) -> str | None:
    """A curl line that works as printed, when the summary can show the credentials."""
    cacert = f"--cacert {issued.ca} " if issued is not None else ""
    if not config.exposed:
        return f"curl {cacert}{url}/versions/rest"
    if config.security is None:
        return f"curl {cacert}{url}/atoti/rest/v1/session"
    demo = {(u.name, u.password) for u in DEMO_USERS}
    user = next((u for u in config.security.users if (u.name, u.password) in demo), None)
    if user is None:
        return None
    return f"curl {cacert}-u {user.name}:{user.password} {url}/atoti/rest/v1/session"


def _describe_table(name: str, generate: int, rows: int) -> str:
    return f"{name} ({generate} generated rows)" if generate else f"{name} ({rows} rows)"


class _StopSignals:
    """SIGINT/SIGTERM wake the main thread through a socket pair (no lock in a handler)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self._read, self._write = socket.socketpair()
        self._write.setblocking(False)
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(OSError):
            self._write.send(bytes([signum]))

    def __enter__(self) -> _StopSignals:
        for sig in self.SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def wait(self) -> int:
        """Block until a stop signal arrives; return its number."""
        while True:
            select.select([self._read], [], [])
            data = self._read.recv(64)
            if data:
                return data[0]

    def restore(self) -> None:
        """Back to the previous handlers: a second Ctrl+C interrupts a slow shutdown."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def __exit__(self, *exc_info: object) -> None:
        self.restore()
        self._read.close()
        self._write.close()


def _log_requests() -> None:
    """``-v``: one line per request on stderr (without it, logging is left as it is)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    request_log.addHandler(handler)
    request_log.setLevel(logging.INFO)
    request_log.propagate = False  # not twice if the root logger has a handler too


def _start(server: FakeServer, host: str, port: int) -> None:
    try:
        server.start()
    except OSError as error:
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        if error.errno == errno.EADDRINUSE:
            raise UsageError(
                f"--port: {where} is already in use; choose another port "
                "(--port 0 picks a free one)"
            ) from None
        reason = error.strerror or str(error)
        raise UsageError(f"--host: cannot listen on {where}: {reason}") from None


def _serve(args: argparse.Namespace) -> int:
    config = _build_config(args)
    if (
        uses_demo_credentials(config)
        and not _is_loopback(args.host)
        and not args.allow_demo_credentials
    ):
        raise UsageError(
            f"--host: refusing to listen on {args.host} with the demo credentials: their passwords "
            "are published, so anyone who can reach this address could log in as admin; give your "
            "own users (--user or --config), or pass --allow-demo-credentials on a trusted network"
        )
    if args.ready_file is not None:
        parent = Path(args.ready_file).parent
        if not parent.is_dir():
            raise UsageError(f"--ready-file: directory {str(parent)!r} does not exist")
        # A stale file from an earlier run must not pass for this one.
        try:
            os.unlink(args.ready_file)
        except FileNotFoundError:
            pass
        except OSError as error:
            raise UsageError(
                f"--ready-file: cannot replace {args.ready_file!r}: {error.strerror}"
            ) from None
    if args.cert_dir is not None:
        try:
            os.makedirs(args.cert_dir, exist_ok=True)
        except OSError as error:
            raise UsageError(
                f"--cert-dir: cannot create {args.cert_dir!r}: {error.strerror}"
            ) from None
    if args.verbose:
        _log_requests()
    out = sys.stdout
    with _StopSignals() as signals:
        server = FakeServer(config, host=args.host, port=args.port, log_limit=_SERVE_LOG_LIMIT)
        _start(server, args.host, args.port)
        issued: _Issued | None = None
        try:
            issued = _issue_files(server, config, args.cert_dir)
            _summary(server, config, issued, out)
            if args.ready_file is not None:
                _ready(args.ready_file, server.url, issued)
            signum = signals.wait()
            signals.restore()
            print(
                f"fakeserver: {signal.Signals(signum).name} received, stopping",
                file=out,
                flush=True,
            )
        finally:
            server.stop()
            if args.ready_file is not None:
                with contextlib.suppress(OSError):
                    os.unlink(args.ready_file)
            if issued is not None and issued.temporary:
                shutil.rmtree(issued.directory, ignore_errors=True)
    return 0


# -- matrix and scenarios --------------------------------------------------------------------


def _filter_terms(args: argparse.Namespace) -> list[str]:
    terms = [t for value in args.filter or () for t in value.split(",") if t.strip()]
    return [*terms, *(args.tier or ()), *(args.auth or ())]


def _select(
    all_scenarios: Sequence[_scenarios.Scenario], terms: Sequence[str]
) -> list[_scenarios.Scenario]:
    """Terms of one kind (tier, auth mode, name part) widen; different kinds narrow."""
    tiers: set[str] = set()
    modes: set[str] = set()
    parts: list[str] = []
    for raw in terms:
        term = raw.strip()
        if term.upper() in (*_scenarios.TIERS, FAILURE):
            tiers.add(term.upper())
        elif term.lower() in _scenarios.AUTH_MODES:
            modes.add(term.lower())
        else:
            parts.append(term)
    chosen = _scenarios.select(
        all_scenarios, tiers=sorted(tiers) or None, auth=sorted(modes) or None
    )
    return [s for s in chosen if not parts or any(p in s.name for p in parts)]


def _matrix_of(args: argparse.Namespace) -> list[_scenarios.Scenario]:
    try:
        every = _scenarios.matrix(args.server_version, args.python_api_version)
    except ValueError as error:
        field = str(error).partition(":")[0]
        raise _rename_field(error, "--" + field.replace("_", "-")) from None
    chosen = _select(every, _filter_terms(args))
    if not chosen:
        tiers = ", ".join((*_scenarios.TIERS, FAILURE))
        kinds = f"tiers {tiers}; auth modes {', '.join(_scenarios.AUTH_MODES)}"
        raise UsageError(f"--filter: no scenario matches (filter by {kinds}, or a part of a name)")
    if getattr(args, "expectations", None):
        # Filters see the real expectations: an injected one changes results, not the selection.
        overridden = {s.name: s for s in _override_expectations(every, args.expectations)}
        chosen = [overridden[s.name] for s in chosen]
    return chosen


def _override_expectations(
    every: list[_scenarios.Scenario], path: str
) -> list[_scenarios.Scenario]:
    """Test-only: ``{"name": "TIER" | "FAILURE" | {"tier": ..., "capabilities": [...]}}``.

    It exists so tests can watch ``matrix`` fail on a deliberately wrong expectation.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"--expectations: cannot read {path!r}: {error}") from None
    if not isinstance(data, dict):
        raise UsageError("--expectations: must be a JSON object of scenario name -> expectation")
    by_name = {s.name: s for s in every}
    unknown = sorted(set(data) - set(by_name))
    if unknown:
        raise UsageError(f"--expectations: unknown scenario {unknown[0]!r}")
    for name, wanted in data.items():
        spec = wanted if isinstance(wanted, dict) else {"tier": wanted}
        scenario = by_name[name]
        tier = spec.get("tier", scenario.expected_tier or FAILURE)
        if tier not in (*_scenarios.TIERS, FAILURE):
            raise UsageError(f"--expectations: {name}: {tier!r} is not a tier or FAILURE")
        changes: dict[str, Any] = {"expected_tier": None, "expected_error": None}
        if tier == FAILURE:
            changes["expected_error"] = scenario.expected_error or "authentication"
        else:
            changes["expected_tier"] = tier
        if "capabilities" in spec:
            changes["expected_capabilities"] = frozenset(spec["capabilities"])
        by_name[name] = dataclasses.replace(scenario, **changes)
    return [by_name[s.name] for s in every]


def _expected_label(scenario: _scenarios.Scenario) -> str:
    if scenario.expected_tier is not None:
        return scenario.expected_tier
    return _ERROR_LABELS.get(scenario.expected_error or "", "connect fails")


@dataclass(frozen=True)
class _Result:
    scenario: _scenarios.Scenario
    observed_tier: str | None
    observed_error: str | None
    ok: bool
    detail: str

    @property
    def observed_label(self) -> str:
        if self.observed_tier is not None:
            return self.observed_tier
        return _ERROR_CLASSES.get(self.observed_error or "", self.observed_error or "?")

    def as_json(self) -> dict[str, Any]:
        s = self.scenario
        return {
            "name": s.name,
            "auth": s.auth,
            "expected_tier": s.expected_tier,
            "expected_error": s.expected_error,
            "observed_tier": self.observed_tier,
            "observed_error": self.observed_error,
            "ok": self.ok,
            "detail": self.detail,
        }


def _run_one(scenario: _scenarios.Scenario) -> _Result:
    try:
        with scenario.run() as live:
            outcome = live.verify()
    except Exception as error:  # a scenario that cannot even start is a failed row, not a crash
        return _Result(scenario, None, "crashed", False, f"{type(error).__name__}: {error}")
    error_class = None
    if outcome.observed_tier is None:
        error_class = outcome.detail.partition(":")[0] or None
    return _Result(scenario, outcome.observed_tier, error_class, outcome.ok, outcome.detail)


class _Progress:
    """``[i/n] name`` on stderr, redrawn in place; only on a terminal, so logs stay clean."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.enabled = sys.stderr.isatty()

    def show(self, index: int, name: str) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\x1b[K[{index}/{self.total}] {name}")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


class _Table:
    """Rows printed as they come, as aligned text or as a Markdown table."""

    def __init__(self, fmt: str, columns: Sequence[tuple[str, int]], out: IO[str]) -> None:
        self.fmt = fmt
        self.columns = [(name, max(width, len(name))) for name, width in columns]
        self.out = out

    def _cells(self, cells: Sequence[str]) -> str:
        if self.fmt == "markdown":
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
        padded = [f"{c:<{w}}" for c, (_, w) in zip(cells, self.columns, strict=True)]
        return "  ".join(padded).rstrip()

    def header(self) -> None:
        print(self._cells([name for name, _ in self.columns]), file=self.out)
        if self.fmt == "markdown":
            print("|" + "|".join("---" for _ in self.columns) + "|", file=self.out)

    def row(self, cells: Sequence[str]) -> None:
        print(self._cells(cells), file=self.out, flush=True)


def _matrix(args: argparse.Namespace) -> int:
    chosen = _matrix_of(args)
    out = sys.stdout
    passed, failed = _marks()[:2]
    expected_width = max(len(_expected_label(s)) for s in chosen)
    columns = [
        ("scenario", max(len(s.name) for s in chosen)),
        ("auth", max(len(m) for m in _scenarios.AUTH_MODES)),
        ("expected", expected_width),
        ("observed", max(expected_width, len("auth error"))),
        ("ok", 2),
    ]
    if args.format == "markdown":
        columns.append(("detail", 0))
    table = _Table(args.format, columns, out)
    if args.format != "json":
        table.header()
    progress = _Progress(len(chosen))
    results: list[_Result] = []
    try:
        for index, scenario in enumerate(chosen, 1):
            progress.show(index, scenario.name)
            result = _run_one(scenario)
            results.append(result)
            if args.format == "json":
                continue
            progress.clear()
            cells = [
                scenario.name,
                scenario.auth,
                _expected_label(scenario),
                result.observed_label,
                passed if result.ok else failed,
            ]
            if args.format == "markdown":
                cells.append("" if result.ok else result.detail)
            table.row(cells)
            if args.format == "table" and not result.ok:
                print(f"    {result.detail}", file=out, flush=True)
    finally:
        progress.clear()  # also on Ctrl+C: leave the terminal clean
    failures = sum(not r.ok for r in results)
    total = f"{len(results) - failures} passed, {failures} failed"
    if args.format == "json":
        json.dump(
            {
                "results": [r.as_json() for r in results],
                "passed": len(results) - failures,
                "failed": failures,
            },
            out,
            indent=2,
        )
        print(file=out)
        print(total, file=sys.stderr)  # stdout stays pure JSON
    else:
        if args.format == "markdown":
            print(file=out)
        print(total, file=out)
    return 1 if failures else 0


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _transport(config: ServerConfig) -> str:
    if config.tls is None:
        return "http"
    if config.tls.client_certificate == "none":
        return "https"
    return f"mtls/{config.tls.client_certificate}"


def _scenario_json(scenario: _scenarios.Scenario) -> dict[str, Any]:
    cell = scenario.cell
    return {
        "name": scenario.name,
        "auth": scenario.auth,
        "transport": _transport(scenario.config),
        "credentials": scenario.credentials.kind,
        "conditions": None if cell is None else {k: getattr(cell, k) for k in _scenarios.KEYS},
        "expected_conditions": scenario.expected_conditions,
        "expected_tier": scenario.expected_tier,
        "expected_error": scenario.expected_error,
        "expected_capabilities": sorted(scenario.expected_capabilities),
        "description": scenario.description,
    }


def _list_scenarios(args: argparse.Namespace) -> int:
    chosen = _matrix_of(args)
    out = sys.stdout
    if args.format == "json":
        json.dump({"scenarios": [_scenario_json(s) for s in chosen]}, out, indent=2)
        print(file=out)
        return 0
    met, _, unmet = _marks()
    letters = [_scenarios.LETTERS[key] for key in _scenarios.KEYS]
    columns = [
        ("scenario", max(len(s.name) for s in chosen)),
        ("auth", max(len(m) for m in _scenarios.AUTH_MODES)),
        ("transport", len("mtls/optional")),
        (" ".join(letters), 2 * len(letters) - 1),
        ("expected", max(len(_expected_label(s)) for s in chosen)),
        ("notes", 0),
    ]
    table = _Table(args.format, columns, out)
    table.header()
    for s in chosen:
        # Failure scenarios are not cells: their setup is in the notes.
        conditions = (
            " ".join("-" * len(letters))
            if s.cell is None
            else " ".join(met if getattr(s.cell, k) else unmet for k in _scenarios.KEYS)
        )
        table.row(
            [s.name, s.auth, _transport(s.config), conditions, _expected_label(s), s.description]
        )
    pairs = zip(letters, _scenarios.KEYS, strict=True)
    legend = ", ".join(f"{letter} {key}" for letter, key in pairs)
    print(file=out)
    print(
        f"{_plural(len(chosen), 'scenario')}; conditions as set up: {legend} "
        f"({met} met, {unmet} not met)",
        file=out,
    )
    return 0


# -- parser and entry point ------------------------------------------------------------------


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--filter",
        action="append",
        metavar="TERM",
        help="keep scenarios matching TERM: a tier (LOCAL, REMOTE, NO_SECURITY_MANAGEMENT, "
        "READ_ONLY, MINIMAL, or FAILURE for connect failures), an auth mode (basic, bearer, "
        "certificate) or a part of a scenario name; repeatable or comma-separated; terms of "
        "one kind widen the selection, different kinds narrow it",
    )
    parser.add_argument(
        "--tier",
        action="append",
        choices=[*_scenarios.TIERS, FAILURE],
        help="same as --filter TIER",
    )
    parser.add_argument(
        "--auth", action="append", choices=list(_scenarios.AUTH_MODES), help="same as --filter MODE"
    )
    parser.add_argument(
        "--format", choices=_FORMATS, default="table", help="output format (default: table)"
    )
    parser.add_argument(
        "--server-version",
        metavar="VERSION",
        default=DEFAULT_SERVER_VERSION,
        help="the Atoti Server version the client expects (default: %(default)s)",
    )
    parser.add_argument(
        "--python-api-version",
        metavar="VERSION",
        default=DEFAULT_PYTHON_API_VERSION,
        help="the Python API version of the client (default: %(default)s)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fakeserver",
        description="A fake Atoti target server, and the tier matrix of the thin client.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run a fake target until Ctrl+C / SIGTERM",
        description="Run a fake Atoti target until SIGINT or SIGTERM. Without arguments: a "
        "secured target on 127.0.0.1:9090 with demo users, generated tables and a "
        "cube. Flags override --config.",
    )
    where = serve.add_argument_group("where")
    where.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    where.add_argument(
        "--port",
        type=_port,
        default=9090,
        help="port to bind; 0 picks a free one (default: %(default)s)",
    )
    target = serve.add_argument_group("what the target emulates")
    target.add_argument(
        "--config",
        metavar="FILE",
        help="a ServerConfig as TOML (or JSON if it ends in .json) instead of the demo",
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
    auth = serve.add_argument_group("security")
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
        "--allow-demo-credentials",
        action="store_true",
        help="allow a non-loopback --host even though the demo passwords are public",
    )
    tls = serve.add_argument_group("TLS")
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
    faults = serve.add_argument_group("faults (to test a client's retries and timeouts)")
    faults.add_argument(
        "--fault",
        dest="faults",
        action="append",
        type=_fault,
        metavar="KIND[:PATH][:KEY=VALUE,...]",
        help="inject a fault (repeatable): latency (delay=, delay_max=), error (status=, "
        "message=) or drop; PATH is a glob (default *); times= and probability= limit it; "
        "e.g. --fault error:*/ping:status=503,times=1 --fault latency:*:delay=0.2,delay_max=1",
    )
    run = serve.add_argument_group("running")
    run.add_argument(
        "--ready-file",
        metavar="PATH",
        help='once listening, write {"url": ..., "ca": ...} as JSON there '
        "(atomically; removed at stop)",
    )
    run.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log every request: method, path, user, status, ms",
    )
    serve.set_defaults(run=_serve)

    matrix = commands.add_parser(
        "matrix",
        help="run the thin client over the scenarios; exit 1 on any mismatch",
        description="Start a fake per scenario, connect with the thin client, and compare the "
        "observed tier, conditions and capabilities with the expected ones. "
        "Exit 1 on any mismatch.",
    )
    _add_selection(matrix)
    # Test-only: replace expectations from a JSON file, so a mismatch can be provoked.
    matrix.add_argument("--expectations", help=argparse.SUPPRESS)
    matrix.set_defaults(run=_matrix)

    listing = commands.add_parser(
        "scenarios",
        help="list the scenarios, their conditions and expected tiers",
        description="List the scenarios of the matrix without running them.",
    )
    _add_selection(listing)
    listing.set_defaults(run=_list_scenarios)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except UsageError as error:
        print(f"fakeserver: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # e.g. `fakeserver scenarios | head`: not worth a traceback; point stdout at devnull
        # so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
