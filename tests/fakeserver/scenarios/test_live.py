"""The runner (``fakeserver.scenarios.live``): every scenario of the matrix over real sockets."""

from __future__ import annotations

import dataclasses
import time

import jwt
import pytest

import fakeserver_client as client
from fakeserver import scenarios
from fakeserver.scenarios import matrix

MATRIX = matrix()


@pytest.mark.parametrize("scenario", MATRIX, ids=[s.name for s in MATRIX])
def test_scenario_over_real_sockets(scenario: scenarios.Scenario) -> None:
    with scenario.run() as live:
        assert live.url.startswith("https://" if scenario.auth != "basic" else "http://")
        if scenario.expected_tier is None:
            expected = {"authentication": client.AuthenticationError, "tls": client.TlsError}
            with pytest.raises(expected[scenario.expected_error or ""]):
                live.connect()
            return
        with live.connect() as session:
            assert session.tier.value == scenario.expected_tier
            assert session.conditions.as_dict() == scenario.expected_conditions
            assert {c.value for c in session.capabilities} == scenario.expected_capabilities
        assert live.verify().ok


def _scenario(name: str) -> scenarios.Scenario:
    return next(s for s in MATRIX if s.name == name)


def test_verify_reports_every_difference() -> None:
    wrong = dataclasses.replace(
        _scenario("basic-admin-same_api-local_host"),
        expected_tier="MINIMAL",
        expected_capabilities=frozenset({"ping"}),
    )
    with wrong.run() as live:
        outcome = live.verify()
    assert (outcome.ok, outcome.observed_tier, outcome.observed_error) == (False, "LOCAL", None)
    assert "tier LOCAL != MINIMAL" in outcome.detail
    assert "capabilities differ: " in outcome.detail


def test_verify_reports_a_connect_that_should_have_failed() -> None:
    wrong = dataclasses.replace(
        _scenario("basic-admin-same_api-local_host"),
        expected_tier=None,
        expected_error="authentication",
    )
    with wrong.run() as live:
        outcome = live.verify()
    assert (outcome.ok, outcome.detail) == (False, "connected; expected a failure")


def test_verify_reports_a_failure_of_the_wrong_kind() -> None:
    wrong = dataclasses.replace(_scenario("basic-wrong_password"), expected_error="tls")
    with wrong.run() as live:
        outcome = live.verify()
    assert (outcome.ok, outcome.observed_tier) == (False, None)
    assert outcome.observed_error == "AuthenticationError"
    assert outcome.detail.startswith("AuthenticationError: ")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("basic-admin-same_api-local_host", client.BasicAuthentication),
        ("bearer-admin-same_api-local_host", client.TokenAuthentication),
        ("certificate-admin-same_api-local_host", client.ClientCertificate),
        ("oauth2-admin-same_api-local_host", client.OAuth2ResourceOwnerPasswordAuthentication),
        ("oauth2-expired_token", client.TokenAuthentication),
        ("basic-unsecured-anonymous-same_api-local_host", type(None)),
    ],
)
def test_credentials_become_the_client_authentication(name: str, kind: type) -> None:
    with _scenario(name).run() as live:
        assert isinstance(live.authentication(), kind)


def test_oauth2_credentials_name_the_running_issuer() -> None:
    with _scenario("oauth2-user-same_api-local_host").run() as live:
        c = live.credentials
        assert (c.kind, c.user, c.issuer_url) == ("oauth2", "user", live.server.issuer_url)
        assert c.issuer_url is not None and c.issuer_url.startswith(live.url)
        assert (c.client_id, c.client_secret) == ("scenario-client", "scenario-secret")


def test_an_unsecured_target_gets_its_token_from_a_second_issuer() -> None:
    with _scenario("oauth2-unsecured-admin-same_api-local_host").run() as live:
        assert live.server.issuer_url is None  # unsecured: no issuer of its own
        issuer = live.credentials.issuer_url
        assert issuer is not None and not issuer.startswith(live.url)
        with live.connect() as session:  # the token is sent, and ignored
            assert session.conditions.admin is False
        sent = [rq.headers.get("Authorization", "") for rq, _ in live.server.log]
        assert sent and all(h.startswith("Bearer ey") for h in sent)


def test_the_expired_token_scenario_presents_an_expired_jwt() -> None:
    with _scenario("oauth2-expired_token").run() as live:
        token = live.credentials.token
        assert live.credentials.kind == "bearer" and token is not None
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["exp"] < time.time() - 30  # beyond the issuer's clock skew
        with pytest.raises(client.AuthenticationError, match="the token has expired"):
            live.connect()


@pytest.mark.parametrize("name", ["basic-admin-same_api-local_host", "oauth2-wrong_client_secret"])
def test_a_live_scenarios_repr_is_short_and_keeps_secrets_out(name: str) -> None:
    scenario = next(s for s in matrix() if s.name == name)
    secrets = [
        v
        for v in (
            scenario.credentials.password,
            scenario.credentials.token,
            scenario.credentials.client_secret,
        )
        if v
    ]
    assert secrets  # the check below has something to find
    with scenario.run() as live:
        text = repr(live)
        assert text.startswith(f"<LiveScenario {name} at {live.server.url}")
        assert len(text) < 200
        for shown in (text, repr(live.credentials), repr(scenario)):
            assert not [s for s in secrets if s in shown], shown
