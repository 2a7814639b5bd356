"""The client's errors (client/_errors.py): one family, each catchable the way users expect."""

from __future__ import annotations

import builtins

import pytest

import fakeserver_client as client
from fakeserver_client import Capability, Tier

ERRORS = [
    client.ConnectFailedError,
    client.TlsError,
    client.ProtocolError,
    client.TimeoutError,
    client.ServerError,
    client.AuthenticationError,
    client.ForbiddenError,
    client.CapabilityUnavailableError,
    client.LiveExtensionUnavailableError,
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e.__name__)
def test_every_error_is_a_client_error(error: type[Exception]) -> None:
    assert issubclass(error, client.ClientError)


def test_what_a_failed_connect_can_be() -> None:
    for error in (client.TlsError, client.ProtocolError, client.TimeoutError):
        assert issubclass(error, client.ConnectFailedError)
    # A 401 is both: the server answered, and no session exists.
    assert issubclass(client.AuthenticationError, client.ServerError)
    assert issubclass(client.AuthenticationError, client.ConnectFailedError)
    assert not issubclass(client.ForbiddenError, client.ConnectFailedError)
    # `except TimeoutError` catches the client's too, whichever TimeoutError is meant.
    assert issubclass(client.TimeoutError, builtins.TimeoutError)


def test_a_server_error_keeps_the_server_message() -> None:
    error = client.ForbiddenError(403, "access denied: ROLE_ADMIN is required", "/atoti/tables")
    assert (error.status, error.message, error.path) == (
        403,
        "access denied: ROLE_ADMIN is required",
        "/atoti/tables",
    )
    assert str(error) == "403 on /atoti/tables: access denied: ROLE_ADMIN is required"


def test_a_refusal_names_the_capability_the_tier_and_each_unmet_condition() -> None:
    reasons = [("secured", "the target does not require authentication"), ("admin", "no role")]
    error = client.LiveExtensionUnavailableError(Capability.SECURITY, Tier.READ_ONLY, reasons)
    assert str(error) == (
        "security is not available: this session is READ_ONLY because "
        "secured (a): the target does not require authentication; admin (b): no role"
    )
    assert (error.capability, error.tier, error.unmet) == (
        Capability.SECURITY,
        Tier.READ_ONLY,
        ("secured", "admin"),
    )
    assert isinstance(error, client.CapabilityUnavailableError)
    assert isinstance(error, RuntimeError)
