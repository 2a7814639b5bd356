"""pytest plugin (entry point ``pytest11``): fixtures only, all prefixed ``fake_``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .config import ServerConfig
from .server import FakeServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fake_server(**fields): ServerConfig fields for the fake_server fixture"
    )


@pytest.fixture
def fake_server_factory() -> Iterator[Callable[..., FakeServer]]:
    """``factory(config=None, **fields) -> FakeServer``; every server is stopped at teardown."""
    started: list[FakeServer] = []

    def factory(config: ServerConfig | None = None, **fields: Any) -> FakeServer:
        base = config if config is not None else ServerConfig()
        server = FakeServer(base.replace(**fields) if fields else base)
        server.start()
        started.append(server)
        return server

    yield factory
    for server in started:
        if server.is_running():
            server.stop()


@pytest.fixture
def fake_server(
    request: pytest.FixtureRequest, fake_server_factory: Callable[..., FakeServer]
) -> FakeServer:
    """A running FakeServer configured by ``@pytest.mark.fake_server(**fields)``."""
    marker = request.node.get_closest_marker("fake_server")
    fields = dict(marker.kwargs) if marker else {}
    return fake_server_factory(ServerConfig.from_mapping(fields) if fields else None)
