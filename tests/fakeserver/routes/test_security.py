"""Security management on the wire (``fakeserver.routes.security``, SPEC §4.5).

Read and merged with raw HTTP: passwords never come back, and a refused change changes
nothing.
"""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from fakeserver import FakeServer
from fakeserver.app import Emulation
from fakeserver.protocol import ATOTI_PATH
from fakeserver.state import REDACTED, ServerState

from ...datasets import BASE, raw
from ..wire import ADMIN, basic


def test_bad_security_bodies_change_nothing() -> None:
    with FakeServer(BASE) as server:
        url = server.url + ATOTI_PATH + "/security"
        auth = ("admin", "admin-pass")
        for path, body, message in [
            ("/basic/credentials", ["admin"], "must map user names"),
            ("/basic/credentials", {"ok": "pw", "bad": 3}, "password of 'bad'"),
            ("/individual-roles", {"user": "ROLE_ADMIN"}, "must be a list of role names"),
            (
                "/individual-roles",
                {"user": ["ROLE_ADMIN"], "ghost": ["ROLE_USER"]},
                "no user named 'ghost'",
            ),
        ]:
            response = raw("PUT", url + path, json=body, auth=auth)
            assert 400 <= response.status_code < 500 and message in response.json()["error"]
            assert "pw" not in response.text
        assert set(server.state.accounts) == {"admin", "user"}
        assert server.state.accounts["user"].roles == {"ROLE_USER"}


CREDENTIALS = ATOTI_PATH + "/security/basic/credentials"
ROLES = ATOTI_PATH + "/security/individual-roles"


@pytest.fixture
def target() -> Client:
    """The emulation in process: security management needs no socket."""
    return Client(Emulation(ServerState(BASE)))


def test_reads_redact_passwords_and_list_roles(target: Client) -> None:
    credentials = target.get(CREDENTIALS, headers=ADMIN)
    assert credentials.status_code == 200
    assert credentials.json == {"admin": REDACTED, "user": REDACTED}
    assert b"-pass" not in credentials.data
    roles = target.get(ROLES, headers=ADMIN)
    assert roles.json == {"admin": ["ROLE_ADMIN", "ROLE_USER"], "user": ["ROLE_USER"]}


def test_puts_merge_and_answer_the_state_they_leave(target: Client) -> None:
    credentials = target.put(CREDENTIALS, json={"eve": "eve-pass", "user": None}, headers=ADMIN)
    assert credentials.json == {"admin": REDACTED, "eve": REDACTED}
    assert b"eve-pass" not in credentials.data
    roles = target.put(ROLES, json={"eve": ["ROLE_ADMIN"]}, headers=ADMIN)
    assert roles.json == {"admin": ["ROLE_ADMIN", "ROLE_USER"], "eve": ["ROLE_ADMIN"]}
    # Both take effect on the very next request.
    assert target.get(ROLES, headers=basic("eve", "eve-pass")).status_code == 200
    assert target.get(ROLES, headers=basic("user", "user-pass")).status_code == 401


def test_a_put_needs_a_json_body(target: Client) -> None:
    for path in (CREDENTIALS, ROLES):
        response = target.put(path, data=b"", headers=ADMIN)
        assert response.status_code == 400
        assert response.json == {"error": "a JSON body is required", "path": path, "status": 400}


@pytest.mark.parametrize("ending", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_names_and_roles_with_a_line_ending_are_refused(target: Client, ending: str) -> None:
    named = target.put(CREDENTIALS, json={f"eve{ending}": "pw"}, headers=ADMIN)
    assert named.status_code == 400 and "is not a user name" in named.get_data(as_text=True)
    role = target.put(ROLES, json={"user": [f"ROLE_ADMIN{ending}"]}, headers=ADMIN)
    assert role.status_code == 400 and "is not a role name" in role.get_data(as_text=True)
    assert target.get(ROLES, headers=ADMIN).get_data(as_text=True) == (
        '{"admin": ["ROLE_ADMIN", "ROLE_USER"], "user": ["ROLE_USER"]}'
    )


def test_removing_a_user_revokes_its_tokens_even_if_it_comes_back() -> None:
    # Over the socket, as a client would: the bearer token of a removed user must not let
    # in whoever is created later under the same name.
    with FakeServer(BASE) as server:
        ping = server.url + "/activeviam/pivot/rest/v9/ping"
        bearer = {"Authorization": "Bearer user-token"}
        assert raw("GET", ping, headers=bearer).text == "pong"
        admin = ("admin", "admin-pass")
        assert raw("PUT", server.url + CREDENTIALS, json={"user": None}, auth=admin).is_success
        assert raw("GET", ping, headers=bearer).status_code == 401
        created = raw("PUT", server.url + CREDENTIALS, json={"user": "new-pass"}, auth=admin)
        assert created.is_success
        assert raw("GET", ping, auth=("user", "new-pass")).text == "pong"
        assert raw("GET", ping, headers=bearer).status_code == 401, "the old token is revoked"
        # Other users' tokens are untouched; a restart brings the configured token back.
        assert raw("GET", ping, headers={"Authorization": "Bearer admin-token"}).text == "pong"
        server.reset()
        assert raw("GET", ping, headers=bearer).text == "pong"


def test_changing_a_password_keeps_the_users_tokens(target: Client) -> None:
    assert target.put(CREDENTIALS, json={"user": "other-pass"}, headers=ADMIN).status_code == 200
    ping = "/activeviam/pivot/rest/v9/ping"
    assert target.get(ping, headers={"Authorization": "Bearer user-token"}).status_code == 200
