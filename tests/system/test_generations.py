"""The thin client keeps its 0.9.2 contract against every server generation (SPEC §4.6).

The whole matrix — every condition cell for Basic, Bearer and OAuth 2, and the connect
failures that are not about certificates — runs in-process (``httpx.WSGITransport`` over
the emulation, so without TLS) against each release's own server generation: the tier
rules did not change through 6.2.2, and what the generations add (GraphQL, the database
API) must not disturb them. Client certificates need a TLS handshake, and an expired token
a running server to mint it: those scenarios run over sockets in the scenario tests, the
same for every generation.
"""

from __future__ import annotations

import httpx
import pytest

import fakeserver_client as client
from fakeserver import ServerConfig
from fakeserver.app import Emulation
from fakeserver.generations import CLIENT_SERVER, generation
from fakeserver.scenarios import Scenario, matrix
from fakeserver.scenarios.catalog import OAUTH2_SECURITY
from fakeserver.scenarios.live import authentication_for
from fakeserver.state import ServerState

_ERRORS = {"authentication": client.AuthenticationError}
TARGET = "target.invalid"
#: An unsecured target has no issuer: its oauth2 cells take their token from this one.
ISSUER = "issuer.invalid"


class _Hosts(httpx.BaseTransport):
    """One in-process transport per host name, as a network would route them."""

    def __init__(self, by_host: dict[str, httpx.BaseTransport]) -> None:
        self.by_host = by_host

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.by_host[request.url.host].handle_request(request)


def _authentication(scenario: Scenario) -> client.Authentication | None:
    security = scenario.config.security
    oidc = OAUTH2_SECURITY.oidc if security is None else security.oidc
    # The issuer by host name, as _Hosts routes it: the target's own, or the shared one.
    issuer = None if oidc is None else f"http://{ISSUER if security is None else TARGET}{oidc.path}"
    return authentication_for(scenario.credentials, issuer_url=issuer)


#: One issuer for every scenario: it only mints tokens, nothing changes its state.
_ISSUER = httpx.WSGITransport(app=Emulation(ServerState(ServerConfig(security=OAUTH2_SECURITY))))


def _observed(scenario: Scenario) -> tuple[str | None, frozenset[str]]:
    target = httpx.WSGITransport(app=Emulation(ServerState(scenario.config)))
    transport = _Hosts({TARGET: target, ISSUER: _ISSUER})
    try:
        session = client.Session.connect(
            f"http://{TARGET}",
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
        if s.auth != "certificate" and s.expected_error != "tls" and not s.expired_token
    ]
    assert len(scenarios) > 3 * 64  # the three header modes' 64 cells, and failures
    for scenario in scenarios:
        tier, capabilities = _observed(scenario)
        assert tier == scenario.expected_tier, scenario.name
        if tier is not None:
            assert capabilities == scenario.expected_capabilities, scenario.name
