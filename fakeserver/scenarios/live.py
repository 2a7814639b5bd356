"""The runner: a scenario with its server running, and the thin client driven over it.

The only module of :mod:`fakeserver.scenarios` that imports the thin client; the rules and
the catalog of scenarios never do, so listing or selecting scenarios does not load it.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

import fakeserver_client as client

from ..server import FakeServer
from .catalog import Credentials, Scenario

__all__ = ["LiveScenario", "Outcome", "authentication_for"]


def authentication_for(
    credentials: Credentials, *, issuer_url: str | None = None
) -> client.Authentication | None:
    """``credentials`` as the thin client's authentication object; None for anonymous.

    ``issuer_url`` replaces the credentials' own, for a caller that routes the issuer
    elsewhere (in-process transports have no real host).
    """
    c = credentials
    if c.kind == "basic" and c.user is not None:
        return client.BasicAuthentication(c.user, c.password or "")
    if c.kind == "bearer" and c.token is not None:
        return client.TokenAuthentication(c.token)
    if c.kind == "certificate" and c.cert_path is not None:
        return client.ClientCertificate(c.cert_path, c.key_path)
    issuer = issuer_url or c.issuer_url
    if c.kind == "oauth2" and c.user is not None and issuer is not None:
        return client.OAuth2ResourceOwnerPasswordAuthentication(
            username=c.user,
            password=c.password or "",
            client_id=c.client_id or "",
            client_secret=c.client_secret or "",
            issuer_url=issuer,
        )
    return None


@dataclass(frozen=True)
class Outcome:
    """What the thin client observed for a scenario, and whether it matched."""

    scenario: Scenario
    observed_tier: str | None
    ok: bool
    detail: str = ""
    #: The client error's class name when connect failed (expected or not).
    observed_error: str | None = None


@dataclass(frozen=True)
class LiveScenario:
    """A scenario with its server running: what ``fake_scenario`` hands to a test."""

    scenario: Scenario
    server: FakeServer
    credentials: Credentials
    certificate_authority: str | None

    def __repr__(self) -> str:
        # Short: pytest prints it in every failure of a fake_scenario test.
        expected = self.scenario.expected_tier or "connect failure"
        return f"<LiveScenario {self.scenario.name} at {self.server.url} expecting {expected}>"

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def auth(self) -> str:
        return self.scenario.auth

    @property
    def expected_tier(self) -> str | None:
        return self.scenario.expected_tier

    @property
    def expected_capabilities(self) -> frozenset[str]:
        return self.scenario.expected_capabilities

    @property
    def url(self) -> str:
        return self.server.url

    def authentication(self) -> client.Authentication | None:
        """The credentials as the thin client's authentication object."""
        return authentication_for(self.credentials)

    def connect(
        self,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        trust_env: bool = False,
    ) -> client.Session:
        """``client.Session.connect`` with this scenario's credentials, CA and versions."""
        return client.Session.connect(
            self.server.url,
            authentication=self.authentication(),
            certificate_authority=self.certificate_authority,
            server_version=self.scenario.client_server_version,
            python_api_version=self.scenario.client_python_api_version,
            timeout=timeout,
            transport=transport,
            trust_env=trust_env,
        )

    def verify(self) -> Outcome:
        """Connect with the thin client and compare tier, conditions and capabilities."""
        expected_error = {
            "authentication": client.AuthenticationError,
            "tls": client.TlsError,
        }.get(self.scenario.expected_error or "")
        try:
            session = self.connect()
        except client.ClientError as error:
            name = type(error).__name__
            if expected_error is not None and isinstance(error, expected_error):
                return Outcome(self.scenario, None, True, name, observed_error=name)
            return Outcome(self.scenario, None, False, f"{name}: {error}", observed_error=name)
        with session:
            observed = session.tier.value
            if expected_error is not None:
                return Outcome(self.scenario, observed, False, "connected; expected a failure")
            problems = []
            if observed != self.expected_tier:
                problems.append(f"tier {observed} != {self.expected_tier}")
            if self.scenario.expected_conditions is not None:
                seen = session.conditions.as_dict()
                if seen != self.scenario.expected_conditions:
                    problems.append(f"conditions {seen} != {self.scenario.expected_conditions}")
            capabilities = {c.value for c in session.capabilities}
            if capabilities != self.expected_capabilities:
                problems.append(
                    f"capabilities differ: {sorted(capabilities ^ self.expected_capabilities)}"
                )
            return Outcome(self.scenario, observed, not problems, "; ".join(problems))
