"""What the tests of the server side share: one pooled HTTP client, one cheap route."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fakeserver.protocol import PIVOT_PATH

#: The cheapest route to answer: what expectation and pool tests request and override.
PING = PIVOT_PATH + "/ping"


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """One pooled client for a test's many requests."""
    with httpx.Client() as pooled:
        yield pooled
