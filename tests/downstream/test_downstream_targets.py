"""What a downstream project's suite looks like under the tox recipe (docs/readme-issue6.md).

tox factors set ``FAKESERVER_SERVER_VERSION`` / ``FAKESERVER_PYTHON_API_VERSION``; the
fakeserver pytest plugin reads them, so the same tests run against several emulated targets.
These tests fail if the variables do not reach the fake servers the fixtures start.
"""

from __future__ import annotations

import os

import httpx

import fakeserver_client as client
from fakeserver import FakeServer

# What the tox factor asked for; unset means the plugin's defaults (SPEC §5).
EXPECTED_SERVER_VERSION = os.environ.get("FAKESERVER_SERVER_VERSION") or "6.1.2"
EXPECTED_PYTHON_API_VERSION = os.environ.get("FAKESERVER_PYTHON_API_VERSION") or "0.9.2"


def test_fake_server_reports_the_server_version_of_the_factor(fake_server: FakeServer) -> None:
    versions = httpx.get(f"{fake_server.url}/versions/rest").json()
    assert versions["serverVersion"] == EXPECTED_SERVER_VERSION


def test_fake_server_reports_the_python_api_version_of_the_factor(
    fake_server: FakeServer,
) -> None:
    with client.Session.connect(fake_server.url) as session:
        assert session.server_version == EXPECTED_SERVER_VERSION
        assert session.python_api_version == EXPECTED_PYTHON_API_VERSION


def test_a_client_expecting_that_target_sees_same_versions(fake_server: FakeServer) -> None:
    with client.Session.connect(
        fake_server.url,
        server_version=EXPECTED_SERVER_VERSION,
        python_api_version=EXPECTED_PYTHON_API_VERSION,
    ) as session:
        assert session.conditions.same_server_version is True
        assert session.conditions.same_python_api is True
