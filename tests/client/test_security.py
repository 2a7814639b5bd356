"""Security management (client/_security.py): mappings that live on the server, reached
through the session's Requester seam, whose reprs send nothing."""

from __future__ import annotations

import pytest

import fakeserver_client as client
from fakeserver import FakeServer
from fakeserver_client import Capability, Tier

from .stub import Recorder


def test_reprs_send_no_request(secured_server: FakeServer) -> None:
    auth = client.BasicAuthentication("admin", "admin-pass")
    with client.Session.connect(secured_server.url, authentication=auth) as session:
        assert session.tier is Tier.LOCAL
        security = session.security
        shown = [
            security,
            security.basic_authentication,
            security.basic_authentication.credentials,
            security.individual_roles,
            session.tables,
        ]
        before = len(secured_server.log)
        texts = [repr(value) for value in shown]
        assert len(secured_server.log) == before, "a repr sent a request"
        assert texts[2] == f"<Credentials of {secured_server.url}>"
        assert texts[3] == f"<IndividualRoles of {secured_server.url}>"
        assert "admin-pass" not in " ".join(texts)


def test_a_failed_assertion_on_a_mapping_sends_only_its_own_request(
    secured_server: FakeServer,
) -> None:
    # pytest's assertion rewriting formats the operands with repr() to explain a failure.
    auth = client.BasicAuthentication("admin", "admin-pass")
    with client.Session.connect(secured_server.url, authentication=auth) as session:
        roles = session.security.individual_roles
        before = len(secured_server.log)
        with pytest.raises(AssertionError, match="IndividualRoles of"):
            assert "nobody" in roles
        assert len(secured_server.log) == before + 1, "only the `in` asks the server"


def test_the_mappings_need_only_the_requester_seam() -> None:
    stub = Recorder({"admin": ["ROLE_ADMIN", "ROLE_USER"]})
    roles = client.IndividualRoles(stub)
    assert dict(roles.items()) == {"admin": frozenset({"ROLE_ADMIN", "ROLE_USER"})}
    roles.update({"user": {"ROLE_USER"}}, admin=None)
    assert stub.calls == [
        (Capability.SECURITY, "GET", "/security/individual-roles", "atoti", {}),
        (
            Capability.SECURITY,
            "PUT",
            "/security/individual-roles",
            "atoti",
            {"json": {"user": ["ROLE_USER"], "admin": None}},
        ),
    ]
    assert repr(roles) == "<IndividualRoles of http://stub>"
