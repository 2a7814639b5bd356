"""The thin client keeps its 0.9.2 contract against every server generation (SPEC §4.6).

The whole matrix — every condition cell for Basic and Bearer, and the connect failures
that are not about certificates — runs in-process (``httpx.WSGITransport`` over the
emulation, so without TLS) against each release's own server generation: the tier rules
did not change through 6.2.2, and what the generations add (GraphQL, the database API)
must not disturb them. Client certificates need a TLS handshake: those scenarios run over
sockets in the scenario tests, the same for every generation.
"""

from __future__ import annotations

import httpx
import pytest

import fakeserver_client as client
from fakeserver.app import Emulation
from fakeserver.generations import CLIENT_SERVER, generation
from fakeserver.scenarios import Scenario, matrix
from fakeserver.state import ServerState

_ERRORS = {"authentication": client.AuthenticationError}


def _authentication(scenario: Scenario) -> client.Authentication | None:
    c = scenario.credentials
    if c.kind == "basic" and c.user is not None:
        return client.BasicAuthentication(c.user, c.password or "")
    if c.kind == "bearer" and c.token is not None:
        return client.TokenAuthentication(c.token)
    return None


def _observed(scenario: Scenario) -> tuple[str | None, frozenset[str]]:
    transport = httpx.WSGITransport(app=Emulation(ServerState(scenario.config)))
    try:
        session = client.Session.connect(
            "http://fake.invalid",
            authentication=_authentication(scenario),
            server_version=scenario.client_server_version,
            python_api_version=scenario.client_python_api_version,
            transport=transport,
        )
    except client.ClientError as error:
        expected = _ERRORS.get(scenario.expected_error or "")
        assert expected is not None and isinstance(error, expected), (scenario.name, error)
        return None, frozenset()
    with session:
        return session.tier.value, frozenset(c.value for c in session.capabilities)


@pytest.mark.parametrize("release", list(CLIENT_SERVER))
def test_the_whole_matrix_holds_against_the_releases_server(release: str) -> None:
    found = generation(release)
    scenarios = [
        s
        for s in matrix(found.server_version, found.python_api_version)
        if s.auth != "certificate" and s.expected_error != "tls"
    ]
    assert len(scenarios) > 128  # both header modes' 64 cells, and failures
    for scenario in scenarios:
        tier, capabilities = _observed(scenario)
        assert tier == scenario.expected_tier, scenario.name
        if tier is not None:
            assert capabilities == scenario.expected_capabilities, scenario.name
