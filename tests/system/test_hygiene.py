"""Start/stop cycles leave threads, file descriptors and temp files where they were."""

from __future__ import annotations

import os
import ssl
import tempfile
import threading
from pathlib import Path

import httpx
import pytest

from fakeserver import FakeServer, ServerConfig, TlsConfig
from fakeserver.protocol import PIVOT_PATH


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").exists() else 0


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point tempfile at a directory of this test only: other xdist workers share /tmp."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def our_temp_entries(root: Path) -> set[str]:
    return {p.name for p in root.iterdir()}


def test_many_cycles_leave_nothing_behind(private_tmp: Path) -> None:
    with httpx.Client() as http:
        with FakeServer() as warm:  # imports, URL map, pools: one-time costs before measuring
            http.get(warm.url + PIVOT_PATH + "/ping")
        threads, fds, temps = threading.active_count(), open_fds(), our_temp_entries(private_tmp)
        for _ in range(500):
            with FakeServer() as server:
                assert http.get(server.url + PIVOT_PATH + "/ping").text == "pong"
        http.close()  # kept-alive client sockets are ours, not the server's
    assert threading.active_count() == threads
    assert open_fds() <= fds
    assert our_temp_entries(private_tmp) == temps


def test_tls_cycles_remove_their_certificates(private_tmp: Path) -> None:
    temps, threads = our_temp_entries(private_tmp), threading.active_count()
    for _ in range(50):
        with FakeServer(ServerConfig(tls=TlsConfig("optional"))) as server:
            assert server.ca_path is not None
            server.client_certificate("admin")
            assert our_temp_entries(private_tmp), "the server keeps its files in the temp dir"
            ctx = ssl.create_default_context(cafile=server.ca_path)
            with httpx.Client(verify=ctx) as http:
                assert http.get(server.url + PIVOT_PATH + "/ping").text == "pong"
    assert our_temp_entries(private_tmp) == temps
    assert threading.active_count() == threads
