"""``fakeserver serve``: a fake target started by hand, until SIGINT or SIGTERM.

The flags become a config in :mod:`.target`; here the server is started, announced (a
summary on stdout and, for scripts, a ready file), and stopped by a signal. TLS files are
copied where the user can find them, since the server's own directory dies with it.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from ..config import SecurityConfig, ServerConfig
from ..demo import is_published
from ..keyfiles import unsafe_directory, write_file
from ..protocol import ATOTI_PATH, STATUS_PREFIX, VERSIONS_PATH
from ..server import FakeServer, request_log
from ..status import describe_fault, is_loopback
from . import target
from .usage import UsageError

__all__ = ["add_arguments", "run"]


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not between 0 and 65535 (0 = any free port)")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``serve``: where it listens, what it emulates (:mod:`.target`), how it runs."""
    where = parser.add_argument_group("where")
    where.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    where.add_argument(
        "--port",
        type=_port,
        default=9090,
        help="port to bind; 0 picks a free one (default: %(default)s)",
    )
    target.add_arguments(parser)
    running = parser.add_argument_group("running")
    running.add_argument(
        "--ready-file",
        metavar="PATH",
        help='once listening, write {"url": ..., "ca": ...} as JSON there '
        "(atomically; removed at stop)",
    )
    running.add_argument(
        "--no-status-page",
        dest="status_page",
        action="store_false",
        help=f"do not serve the status page ({STATUS_PREFIX}/: the target, the tier map, "
        "the data, live requests; ROLE_ADMIN when secured)",
    )
    running.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log every request: method, path, user, status, ms",
    )


# -- running --------------------------------------------------------------------------------


@dataclass
class _Issued:
    """TLS files copied where the user can find them (the server's own dir dies with it)."""

    directory: Path
    ca: str
    certificates: dict[str, tuple[str, str]]
    temporary: bool


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
    # Never through a link planted at one of these names: see fakeserver.keyfiles.
    write_file(ca, Path(ca_path).read_bytes(), private=False)
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
        write_file(cert_path, Path(cert).read_bytes(), private=False)
        write_file(key_path, Path(key).read_bytes(), private=True)
        certificates[user.name] = (str(cert_path), str(key_path))
    return _Issued(directory, str(ca), certificates, temporary)


def _ready(path: str, server: FakeServer, issued: _Issued | None) -> None:
    certificates = issued.certificates if issued is not None else {}
    data = {
        "url": server.url,
        "ca": issued.ca if issued is not None else None,
        "issuer": server.issuer_url,
        "client_certificates": {n: {"cert": c, "key": k} for n, (c, k) in certificates.items()},
    }
    try:
        _write_ready_file(path, data)
    except OSError as error:
        raise UsageError(f"--ready-file: cannot write {path!r}: {error.strerror}") from None


def _write_ready_file(path: str, data: dict[str, Any]) -> None:
    """Write then rename in the same directory, so a reader never sees half a file."""
    final = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{final.name}.", dir=final.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file)
            file.write("\n")
        os.replace(temporary, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# A server started by hand may run for days: keep its request log (what the status page
# lists) short; each entry holds a request with its body.
_SERVE_LOG_LIMIT = 100


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
        rows = [
            (u.name, ", ".join(sorted(u.roles)), is_published(u), u.password)
            for u in security.users
        ]
        name_width = max((len(r[0]) for r in rows), default=0)
        role_width = max((len(r[1]) for r in rows), default=0)
        for index, (name, roles, is_demo, password) in enumerate(rows):
            secret = f"password {password!r} (demo)" if is_demo else "password not shown"
            text = f"{name:<{name_width}}  {roles:<{role_width}}  {secret}"
            line("users" if index == 0 else "", text)
        for index, (token, owner) in enumerate(security.tokens.items()):
            shown = f"{token!r} (demo)" if is_published(token) else "(not shown)"
            line("tokens" if index == 0 else "", f"{shown} -> {owner}")
        if security.oidc is not None:
            _describe_issuer(server, security, issued, line)
    if config.tables:
        described = (_describe_table(t.name, t.generate, len(t.rows)) for t in config.tables)
        line("tables", ", ".join(described))
    if config.cubes:
        line("cubes", ", ".join(f"{c.name} (on {c.table})" for c in config.cubes))
    for index, fault in enumerate(config.faults):
        line("faults" if index == 0 else "", describe_fault(fault))
    if config.tls is None:
        line("tls", "off")
    else:
        line("tls", f"on (client certificates: {config.tls.client_certificate})")
    if issued is not None:
        line("CA", issued.ca)
        for index, (name, (cert, key)) in enumerate(issued.certificates.items()):
            line("certs" if index == 0 else "", f"{name}: {cert} {key}")
        if not is_loopback(server.host):
            line("note", "the server certificate names " + ", ".join(server.certificate_names))
    example = _try_command(server.url, config, issued)
    if example:
        line("try", example)
    if config.status_page:
        who = " (log in as a ROLE_ADMIN user)" if config.secured else ""
        line("status", f"{server.url}{STATUS_PREFIX}/{who}")
    print("Stop with Ctrl+C or SIGTERM.", file=out, flush=True)


def _describe_issuer(
    server: FakeServer,
    security: SecurityConfig,
    issued: _Issued | None,
    line: Callable[[str, str], None],
) -> None:
    oidc = security.oidc
    assert oidc is not None
    issuer = server.issuer_url
    line("oidc", f"issuer {issuer} (password grant, {oidc.algorithm} JWTs)")
    line("", f"discovery {issuer}/.well-known/openid-configuration")
    line("", f"audience {oidc.audience!r}, roles in claim {oidc.roles_claim!r}")
    for client_id, secret in oidc.clients.items():
        shown = f"secret {secret!r} (demo)" if is_published(secret) else "secret not shown"
        line("", f"client {client_id!r}, {shown}")
    user = next(filter(is_published, security.users), None)
    client = next(((c, s) for c, s in oidc.clients.items() if is_published(s)), None)
    if user is not None and client is not None:
        cacert = f"--cacert {issued.ca} " if issued is not None else ""
        line(
            "",
            f"curl {cacert}-u {client[0]}:{client[1]} -d grant_type=password "
            f"-d username={user.name} -d password={user.password} {issuer}/token",
        )


def _try_command(url: str, config: ServerConfig, issued: _Issued | None) -> str | None:
    """A curl line that works as printed, when the summary can show the credentials."""
    cacert = f"--cacert {issued.ca} " if issued is not None else ""
    if not config.exposed:
        return f"curl {cacert}{url}{VERSIONS_PATH}"
    session = f"{url}{ATOTI_PATH}/session"
    if config.security is None:
        return f"curl {cacert}{session}"
    user = next(filter(is_published, config.security.users), None)
    if user is None:
        return None
    return f"curl {cacert}-u {user.name}:{user.password} {session}"


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


def _refuse_published_credentials(args: argparse.Namespace, config: ServerConfig) -> None:
    """The demo's passwords are public: keep them off any address but loopback, unless told."""
    security = config.security
    if security is None or is_loopback(args.host) or args.allow_demo_credentials:
        return
    if any(map(is_published, security.users)) or any(map(is_published, security.tokens)):
        raise UsageError(
            f"--host: refusing to listen on {args.host} with the demo credentials: their passwords "
            "are published, so anyone who can reach this address could log in as admin; give your "
            "own users (--user or --config), or pass --allow-demo-credentials on a trusted network"
        )


def run(args: argparse.Namespace) -> int:
    """``fakeserver serve``: build the config, start, announce, wait for a stop signal."""
    config = target.build_config(args)
    if args.status_page:  # on by default here, off in the library and the fixtures
        config = config.replace(status_page=True)
    _refuse_published_credentials(args, config)
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
            os.makedirs(args.cert_dir, mode=0o700, exist_ok=True)
        except OSError as error:
            raise UsageError(
                f"--cert-dir: cannot create {args.cert_dir!r}: {error.strerror}"
            ) from None
        unsafe = unsafe_directory(args.cert_dir)
        if unsafe is not None:
            raise UsageError(
                f"--cert-dir: refusing {args.cert_dir!r} for private keys: {unsafe}; "
                "give a directory of your own that only you can write to"
            )
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
                _ready(args.ready_file, server, issued)
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
