"""The handshake (client/_handshake.py): paths from /versions/rest, the descriptor, the
six conditions; every malformed answer is a ProtocolError.

Over a socket first (what the session fetches), then the pure functions with plain dicts.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import fakeserver_client as client
from fakeserver import FakeServer
from fakeserver_client import Conditions, HostIdentity, Tier
from fakeserver_client._handshake import (
    Descriptor,
    Versions,
    conditions,
    parse_descriptor,
    parse_versions,
)

VERSIONS = "/versions/rest"


def versions_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": 1,
        "serverVersion": "6.1.2",
        "apis": {
            "activeviam/pivot": {"versions": [{"id": "9", "restPath": "/elsewhere/pivot"}]},
            "atoti": {"versions": [{"id": "1", "restPath": "/elsewhere/atoti"}]},
        },
    }
    body.update(changes)
    return body


def descriptor(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "serverVersion": "6.1.2",
        "pythonApiVersion": "0.9.2",
        "host": client.host_identity()._asdict(),
        "security": {"enabled": True},
        "user": {"name": "admin", "roles": ["ROLE_ADMIN", "ROLE_USER"]},
    }
    body.update(changes)
    return body


def test_paths_come_from_versions_rest(open_server: FakeServer) -> None:
    open_server.expect_request(VERSIONS).respond_with_json(versions_body())
    open_server.expect_request("/elsewhere/pivot/ping").respond_with_data("pong")
    open_server.expect_request("/elsewhere/atoti/session").respond_with_json(descriptor())
    with client.Session.connect(open_server.url) as session:
        assert session.tier is Tier.LOCAL
    paths = [request.path for request, _ in open_server.log]
    assert paths == [VERSIONS, "/elsewhere/pivot/ping", "/elsewhere/atoti/session"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.Response(404, json={"error": "no", "path": VERSIONS, "status": 404}), "not found"),
        (httpx.Response(200, text="<html>"), "did not answer JSON"),
        (httpx.Response(200, json=[1]), "JSON object"),
        (httpx.Response(200, json={"version": 1, "apis": {}}), "lacks serverVersion"),
        (httpx.Response(200, json={"version": 1, "serverVersion": 6, "apis": {}}), "malformed"),
        (httpx.Response(200, json=versions_body(apis={})), "no activeviam/pivot"),
        (
            httpx.Response(
                200,
                json=versions_body(
                    apis={"activeviam/pivot": {"versions": [{"id": "10", "restPath": "/p"}]}}
                ),
            ),
            "id in",
        ),
    ],
)
def test_bad_versions_are_protocol_errors(
    open_server: FakeServer, answer: httpx.Response, message: str
) -> None:
    open_server.expect_request(VERSIONS).respond_with_data(
        answer.content, status=answer.status_code, content_type=answer.headers.get("content-type")
    )
    with pytest.raises(client.ProtocolError, match=message):
        client.Session.connect(open_server.url)


def test_ping_must_say_pong(open_server: FakeServer) -> None:
    open_server.expect_request(VERSIONS).respond_with_json(versions_body())
    open_server.expect_request("/elsewhere/pivot/ping").respond_with_data("ok")
    with pytest.raises(client.ProtocolError, match="pong"):
        client.Session.connect(open_server.url)


def test_malformed_descriptor_is_a_protocol_error(open_server: FakeServer) -> None:
    open_server.expect_request(VERSIONS).respond_with_json(versions_body())
    open_server.expect_request("/elsewhere/pivot/ping").respond_with_data("pong")
    open_server.expect_request("/elsewhere/atoti/session").respond_with_json(descriptor(user=3))
    with pytest.raises(client.ProtocolError, match="descriptor"):
        client.Session.connect(open_server.url)


@pytest.mark.parametrize(
    "answer",
    [
        "not json",
        descriptor(host={"id": "x"}),
        descriptor(user={"name": "admin", "roles": [1, 2]}),
        descriptor(security={"enabled": "yes"}),
        descriptor(pythonApiVersion=None),
    ],
    ids=["not_json", "no_host_name", "roles_not_strings", "enabled_not_bool", "no_version"],
)
def test_every_malformed_descriptor_is_a_protocol_error(
    open_server: FakeServer, answer: Any
) -> None:
    open_server.expect_request(VERSIONS).respond_with_json(versions_body())
    open_server.expect_request("/elsewhere/pivot/ping").respond_with_data("pong")
    if isinstance(answer, str):
        open_server.expect_request("/elsewhere/atoti/session").respond_with_data(answer)
    else:
        open_server.expect_request("/elsewhere/atoti/session").respond_with_json(answer)
    with pytest.raises(client.ProtocolError, match="descriptor"):
        client.Session.connect(open_server.url)


# -- the pure functions, with plain dicts ------------------------------------------------------

HERE = HostIdentity("this-host", "here")
ELSEWHERE = HostIdentity("other-host", "there")
EXPECTED = {"server_version": "6.1.2", "python_api_version": "0.9.2"}


def pivot(*versions: Any) -> dict[str, Any]:
    return versions_body(apis={"activeviam/pivot": {"versions": list(versions)}})


def test_versions_give_the_server_version_and_both_paths() -> None:
    assert parse_versions(versions_body()) == Versions(
        server_version="6.1.2", pivot_path="/elsewhere/pivot", atoti_path="/elsewhere/atoti"
    )


@pytest.mark.parametrize(
    ("body", "path"),
    [
        # The first listed version with an accepted id; numbers are ids too.
        (pivot({"id": "10", "restPath": "/p10"}, {"id": "8", "restPath": "/p8"}), "/p8"),
        (pivot({"id": 9, "restPath": "/p9"}), "/p9"),
        (pivot({"id": "9zz1", "restPath": "/p/"}), "/p"),  # a trailing slash is dropped
        # A relative or missing path is skipped, not used.
        (pivot({"id": "9", "restPath": "p"}, {"id": "8", "restPath": "/p8"}), "/p8"),
    ],
)
def test_the_pivot_path_is_the_first_usable_accepted_version(body: Any, path: str) -> None:
    assert parse_versions(body).pivot_path == path


@pytest.mark.parametrize("atoti", [None, {}], ids=["absent", "empty"])
def test_without_an_atoti_api_the_target_is_not_exposed(atoti: Any) -> None:
    body = versions_body()
    if atoti is None:
        del body["apis"]["atoti"]
    else:
        body["apis"]["atoti"] = atoti
    assert parse_versions(body).atoti_path is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1], "JSON object"),
        ("6.1.2", "JSON object"),
        (None, "JSON object"),
        ({"version": 1, "apis": {}}, "lacks serverVersion"),
        ({"serverVersion": "6.1.2"}, "lacks version, apis"),
        (versions_body(serverVersion=6), "malformed serverVersion or apis"),
        (versions_body(apis=[]), "malformed serverVersion or apis"),
        (versions_body(apis={}), "no activeviam/pivot"),
        (
            pivot({"id": "10", "restPath": "/p"}),
            r"no usable activeviam/pivot version with an id in",
        ),
        (pivot({"id": "9"}), "no usable activeviam/pivot"),
        (pivot({"id": "9", "restPath": 9}), "no usable activeviam/pivot"),
        (pivot("9"), "no usable activeviam/pivot"),
        (versions_body(apis={"activeviam/pivot": {"versions": "9"}}), "no usable"),
        (versions_body(apis={"activeviam/pivot": []}), "no usable"),
        (
            versions_body(
                apis={
                    "activeviam/pivot": {"versions": [{"id": "9", "restPath": "/p"}]},
                    "atoti": {"versions": [{"id": "1"}]},
                }
            ),
            "no usable atoti version$",
        ),
    ],
)
def test_malformed_versions_are_protocol_errors(body: Any, message: str) -> None:
    with pytest.raises(client.ProtocolError, match=message):
        parse_versions(body)


def test_a_descriptor_gives_user_roles_version_and_host() -> None:
    assert parse_descriptor(descriptor(host=HERE._asdict())) == Descriptor(
        secured=True,
        user="admin",
        roles=frozenset({"ROLE_ADMIN", "ROLE_USER"}),
        python_api_version="0.9.2",
        host=HERE,
    )
    anonymous = parse_descriptor(descriptor(user=None, security={"enabled": False}))
    assert anonymous.user is None and anonymous.roles == frozenset()
    assert anonymous.secured is False


@pytest.mark.parametrize(
    "body",
    [
        [descriptor()],
        "descriptor",
        None,
        {k: v for k, v in descriptor().items() if k != "security"},
        {k: v for k, v in descriptor().items() if k != "user"},
        {k: v for k, v in descriptor().items() if k != "host"},
        {k: v for k, v in descriptor().items() if k != "pythonApiVersion"},
        descriptor(security={}),
        descriptor(security={"enabled": 1}),
        descriptor(user="admin"),
        descriptor(user={"name": 1, "roles": []}),
        descriptor(user={"name": "admin", "roles": "ROLE_ADMIN"}),
        descriptor(user={"name": "admin", "roles": [None]}),
        descriptor(host="here"),
        descriptor(host={"id": "x", "name": 2}),
        descriptor(pythonApiVersion=92),
    ],
)
def test_malformed_descriptors_are_protocol_errors(body: Any) -> None:
    with pytest.raises(client.ProtocolError, match="descriptor is malformed"):
        parse_descriptor(body)


def established(
    versions: dict[str, Any] | None = None, descriptor_body: dict[str, Any] | None = None
) -> Conditions:
    parsed = parse_versions(versions or versions_body())
    found = None if parsed.atoti_path is None else parse_descriptor(descriptor_body)
    return conditions(parsed, found, host=HERE, **EXPECTED)


def here(**changes: Any) -> dict[str, Any]:
    return descriptor(**{"host": HERE._asdict(), **changes})


@pytest.mark.parametrize(
    ("versions", "body", "expected"),
    [
        (None, here(), Conditions(True, True, True, True, True, True)),
        (None, here(host=ELSEWHERE._asdict()), Conditions(True, True, True, False, True, True)),
        (None, here(pythonApiVersion="0.9.3"), Conditions(True, True, False, True, True, True)),
        (
            versions_body(serverVersion="6.1.3"),
            here(),
            Conditions(True, True, True, True, False, True),
        ),
        # Unsecured: nobody is an administrator, whatever the roles say.
        (None, here(security={"enabled": False}), Conditions(False, False, True, True, True, True)),
        (None, here(user=None), Conditions(True, False, True, True, True, True)),
        (
            None,
            here(user={"name": "user", "roles": ["ROLE_USER"]}),
            Conditions(True, False, True, True, True, True),
        ),
        # Not exposed: no descriptor, so (a)-(d) are unknown; (e) still holds.
        (
            versions_body(apis={"activeviam/pivot": {"versions": [{"id": "9", "restPath": "/p"}]}}),
            None,
            Conditions(None, None, None, None, True, False),
        ),
    ],
    ids=[
        "local",
        "other_host",
        "other_api",
        "other_server",
        "unsecured",
        "anonymous",
        "not_admin",
        "not_exposed",
    ],
)
def test_conditions_from_what_the_target_said(
    versions: dict[str, Any] | None, body: dict[str, Any] | None, expected: Conditions
) -> None:
    assert established(versions, body) == expected


def test_the_expected_versions_and_host_are_parameters() -> None:
    parsed = parse_versions(versions_body(serverVersion="6.1.3"))
    found = parse_descriptor(here(pythonApiVersion="0.9.3"))
    met = conditions(parsed, found, server_version="6.1.3", python_api_version="0.9.3", host=HERE)
    assert met == Conditions(True, True, True, True, True, True)
    assert not conditions(parsed, found, host=ELSEWHERE, **EXPECTED).same_host
