"""Servers and TLS material shared across the tests of one pytest session (one per xdist worker).

The pytest plugin keeps these in session-scoped fixtures, so every xdist worker has its own:
servers listen on ephemeral ports and files go under the worker's own temporary directory.
"""

from __future__ import annotations

import threading
from pathlib import Path

import trustme

from .config import ServerConfig
from .keyfiles import write_file
from .server import FakeServer
from .tls import issue_client_files

__all__ = ["CertificateAuthority", "ServerPool"]


class CertificateAuthority:
    """One CA for a session: it signs every plugin server's certificate and client certificates.

    Trust ``path`` once (``verify=``, ``certificate_authority=``) and every TLS server the
    fixtures start is trusted; a certificate from :meth:`client_certificate` is accepted by
    every one of them that asks for client certificates. Made on first use (~10 ms).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._ca: trustme.CA | None = None
        self._issued: dict[str, tuple[str, str]] = {}

    @property
    def ca(self) -> trustme.CA:
        """The ``trustme.CA``."""
        with self._lock:
            if self._ca is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                self._ca = trustme.CA(organization_name="fakeserver session")
                write_file(self.directory / "ca.pem", self._ca.cert_pem.bytes(), private=False)
            return self._ca

    @property
    def path(self) -> str:
        """PEM file of the CA certificate, for the client to trust."""
        _ = self.ca
        return str(self.directory / "ca.pem")

    def client_certificate(self, user: str) -> tuple[str, str]:
        """``(cert_path, key_path)`` naming ``user`` (subject CN), issued once per user."""
        ca = self.ca
        with self._lock:
            if user not in self._issued:
                self._issued[user] = issue_client_files(ca, user, self.directory)
            return self._issued[user]


class ServerPool:
    """Running servers lent to one test at a time and reused, reset, by the next.

    A lease is exclusive: two fixtures of one test that want the same configuration get two
    servers. At most ``capacity`` idle servers are kept (least recently used are stopped), so
    a sweep over many configurations does not pile up threads and sockets.
    """

    def __init__(
        self,
        *,
        certificate_authority: CertificateAuthority,
        capacity: int = 16,
        idle_timeout: float = 2.0,
    ) -> None:
        self.capacity = capacity
        self.idle_timeout = idle_timeout
        self.certificate_authority = certificate_authority
        self._idle: list[FakeServer] = []  # least recently used first
        self._leased: list[FakeServer] = []
        self.started = 0  # for tests and curiosity: how many servers this pool started

    def acquire(self, config: ServerConfig) -> FakeServer:
        """A running server of ``config`` at its baseline: no expectations, empty log."""
        for index in range(len(self._idle) - 1, -1, -1):
            server = self._idle[index]
            if server.config == config:
                del self._idle[index]
                break
        else:
            ca = self.certificate_authority.ca if config.tls is not None else None
            server = FakeServer(config, certificate_authority=ca)
            server.start()
            self.started += 1
        self._leased.append(server)
        try:
            server.reset()
        except BaseException:
            self.release(server)
            raise
        return server

    def release(self, server: FakeServer) -> None:
        """Back to the idle set; stopped instead if the test stopped it, if a request of the
        test is still being answered (a stuck handler), or beyond ``capacity``."""
        if server in self._leased:
            self._leased.remove(server)
        if not server.is_running():
            return  # the test stopped it: a fresh one is cheaper than guessing its state
        if not server.wait_idle(self.idle_timeout):
            server.stop()  # its late answer must not land in the next test's log
            return
        server.clear()  # drop the requests and handlers the test left behind
        self._idle.append(server)
        while len(self._idle) > self.capacity:
            self._idle.pop(0).stop()

    def close(self) -> None:
        """Stop every server, lent or idle."""
        servers, self._idle, self._leased = self._idle + self._leased, [], []
        for server in servers:
            if server.is_running():
                server.stop()
