"""The seam (client/_requester.py): what tables and security mappings need of a session.

A :class:`Session` is the one real :class:`Requester`: reading its URL and checking a
capability send nothing, and a call refused by the tier never leaves the client.
"""

from __future__ import annotations

import pytest

import fakeserver_client as client
from fakeserver import FakeServer
from fakeserver_client import Capability
from fakeserver_client._requester import Requester


def test_a_session_is_a_requester(open_server: FakeServer) -> None:
    with client.Session.connect(open_server.url) as session:
        requester: Requester = session  # mypy checks the structure; this the behaviour
        before = len(open_server.log)
        assert requester.url == open_server.url
        requester.require(Capability.TABLE_QUERY)
        assert len(open_server.log) == before, "reading the URL and checking send nothing"
        assert requester.call(Capability.PING, "GET", "/ping", api="pivot").text == "pong"
        assert open_server.log[-1][0].path.endswith("/rest/v9/ping")
        assert len(open_server.log) == before + 1


def test_a_refused_capability_never_leaves_the_client(open_server: FakeServer) -> None:
    with client.Session.connect(open_server.url) as session:
        requester: Requester = session
        assert session.tier is client.Tier.READ_ONLY
        before = len(open_server.log)
        with pytest.raises(client.LiveExtensionUnavailableError):
            requester.require(Capability.SECURITY)
        with pytest.raises(client.LiveExtensionUnavailableError):
            requester.call(Capability.SECURITY, "GET", "/security/individual-roles")
        assert len(open_server.log) == before


def test_call_failures_are_client_errors(open_server: FakeServer) -> None:
    with client.Session.connect(open_server.url) as session:
        requester: Requester = session
        with pytest.raises(client.ServerError) as caught:
            requester.call(
                Capability.TABLE_QUERY, "POST", "/database/data/tables/ghost", api="pivot", json={}
            )
        assert caught.value.status == 404
