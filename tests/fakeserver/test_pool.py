"""Servers and TLS material shared across a session (``fakeserver.pool``).

The pool lends running servers, reset, one test at a time; the certificate authority
signs every pooled server and client certificate, so one file is trusted once.
"""

from __future__ import annotations

import os
import ssl
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from werkzeug.wrappers import Request, Response

from fakeserver import FakeServer, ServerConfig, TlsConfig
from fakeserver.pool import CertificateAuthority, ServerPool

from .conftest import PING


def test_certificate_authority_is_shared(tmp_path: Path) -> None:
    authority = CertificateAuthority(tmp_path / "ca")
    config = ServerConfig(tls=TlsConfig("required"))
    cert, key = authority.client_certificate("admin")
    assert authority.client_certificate("admin") == (cert, key)
    with (
        FakeServer(config, certificate_authority=authority.ca) as one,
        FakeServer(config, certificate_authority=authority.ca) as two,
    ):
        for running in (one, two):
            assert running.ca_path is not None
            assert Path(running.ca_path).read_bytes() == Path(authority.path).read_bytes()
            context = ssl.create_default_context(cafile=authority.path)
            context.load_cert_chain(cert, key)
            with httpx.Client(verify=context) as http:
                assert http.get(running.url + PING).text == "pong"


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[ServerPool]:
    lender = ServerPool(certificate_authority=CertificateAuthority(tmp_path), capacity=2)
    yield lender
    lender.close()


def test_pool_reuses_a_reset_server(pool: ServerPool, http: httpx.Client) -> None:
    first = pool.acquire(ServerConfig(seed=1))
    first.expect_request(PING).respond_with_data("override")
    http.get(first.url + PING)
    pool.release(first)
    again = pool.acquire(ServerConfig(seed=1))
    assert again is first and again.log == [] and again.handlers == []
    assert http.get(again.url + PING).text == "pong"
    assert pool.started == 1


def test_pool_leases_are_exclusive(pool: ServerPool) -> None:
    one, two = pool.acquire(ServerConfig()), pool.acquire(ServerConfig())
    assert one is not two and one.url != two.url
    other = pool.acquire(ServerConfig(exposed=False))
    assert other.config.exposed is False


def test_pool_keeps_at_most_capacity_idle(pool: ServerPool) -> None:
    servers = [pool.acquire(ServerConfig(seed=n)) for n in range(3)]
    for server in servers:
        pool.release(server)
    assert not servers[0].is_running()  # the least recently used went
    assert servers[1].is_running() and servers[2].is_running()
    assert pool.acquire(ServerConfig(seed=0)) is not servers[0]


def test_pool_drops_stopped_and_busy_servers(tmp_path: Path) -> None:
    pool = ServerPool(certificate_authority=CertificateAuthority(tmp_path), idle_timeout=0)
    try:
        stopped = pool.acquire(ServerConfig())
        stopped.stop()
        pool.release(stopped)
        busy = pool.acquire(ServerConfig())
        assert busy is not stopped and busy.is_running()
        entered, release = threading.Event(), threading.Event()

        def stuck(request: Request) -> Response:
            entered.set()
            release.wait(timeout=30)
            return Response("late")

        busy.expect_request(PING).respond_with_handler(stuck)
        with ThreadPoolExecutor(1) as executor:
            late = executor.submit(httpx.get, busy.url + PING, timeout=30)
            assert entered.wait(timeout=30)
            checked, wait_idle = threading.Event(), busy.wait_idle

            def observed_wait_idle(timeout: float) -> bool:
                idle = wait_idle(timeout)
                checked.set()
                return idle

            busy.wait_idle = observed_wait_idle  # type: ignore[method-assign]
            releasing = threading.Thread(target=pool.release, args=(busy,))
            releasing.start()
            assert checked.wait(timeout=30)  # the pool saw it busy; now let the handler end
            release.set()
            releasing.join()
            late.exception()
        assert not busy.is_running()
        assert pool.acquire(ServerConfig()) not in (stopped, busy)
    finally:
        pool.close()


def test_pool_close_stops_everything(pool: ServerPool) -> None:
    lent, idle = pool.acquire(ServerConfig()), pool.acquire(ServerConfig(seed=2))
    pool.release(idle)
    pool.close()
    assert not lent.is_running() and not idle.is_running()


def test_the_session_authority_writes_keys_private(tmp_path: Path) -> None:
    authority = CertificateAuthority(tmp_path / "ca")
    cert, key = authority.client_certificate("admin")
    modes = [stat.S_IMODE(os.stat(path).st_mode) for path in (key, cert, authority.path)]
    assert modes == [0o600, 0o644, 0o644]
