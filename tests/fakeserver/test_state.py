"""What a running target holds and sessions change (``fakeserver.state``), without a socket.

A reset goes back to exactly the configured baseline; security management merges what it
is sent, changes nothing when any part of a change is invalid, and never hands a password
back.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from fakeserver.model import Cube, DataError
from fakeserver.state import REDACTED, ServerState

from ..datasets import BASE


@pytest.fixture
def state() -> ServerState:
    """Two users (admin, user), their tokens, two tables and a cube."""
    return ServerState(BASE)


def snapshot(state: ServerState) -> dict[str, Any]:
    """Everything a session can change, as plain values."""
    with state.lock:
        return {
            "accounts": {n: (a.password, a.roles) for n, a in state.accounts.items()},
            "tokens": dict(state.tokens),
            "tables": {n: (t.schema(), sorted(t.rows())) for n, t in state.tables.items()},
            "cubes": dict(state.cubes),
        }


def change_everything(state: ServerState) -> None:
    state.update_credentials({"admin": "changed", "user": None, "eve": "eve-pass"})
    state.update_individual_roles({"eve": ["ROLE_ADMIN"], "admin": None})
    state.tokens["stolen-token"] = "eve"
    trades = state.tables["trades"]
    trades.upsert(trades.prepare([[1, "Z", 0, 0.0, None], [9, "Z", 1, 1.0, None]]))
    del state.tables["scratch"]
    state.cubes["Other"] = Cube("Other", "trades")


def test_reset_returns_exactly_the_baseline(state: ServerState) -> None:
    baseline = snapshot(state)
    assert baseline["accounts"]["admin"] == ("admin-pass", frozenset({"ROLE_USER", "ROLE_ADMIN"}))
    assert set(baseline["tables"]) == {"trades", "scratch"} and set(baseline["cubes"]) == {"Trades"}
    for _ in range(2):  # the baseline itself must not have been changed through a copy
        change_everything(state)
        assert snapshot(state) != baseline
        state.reset()
        assert snapshot(state) == baseline


def test_an_unsecured_target_has_no_accounts() -> None:
    state = ServerState(BASE.replace(security=None))
    assert (state.accounts, state.tokens, state.credentials()) == ({}, {}, {})


def test_credentials_merge(state: ServerState) -> None:
    state.update_credentials({"admin": "new-pass", "user": None, "eve": "eve-pass"})
    assert state.credentials() == {"admin": REDACTED, "eve": REDACTED}
    assert state.accounts["admin"].password == "new-pass"
    assert state.accounts["admin"].roles == {"ROLE_USER", "ROLE_ADMIN"}, "roles are kept"
    assert state.accounts["eve"].roles == {"ROLE_USER"}, "a new user gets the default role"
    state.update_credentials({"ghost": None})  # removing an unknown user is not an error
    assert set(state.accounts) == {"admin", "eve"}


def test_roles_merge(state: ServerState) -> None:
    state.update_individual_roles({"user": ["ROLE_ADMIN", "ROLE_AUDITOR"]})
    assert state.individual_roles() == {
        "admin": ["ROLE_ADMIN", "ROLE_USER"],
        "user": ["ROLE_ADMIN", "ROLE_AUDITOR"],
    }
    state.update_individual_roles({"admin": None})
    assert state.accounts["admin"].roles == frozenset()
    assert state.individual_roles() == {"user": ["ROLE_ADMIN", "ROLE_AUDITOR"]}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (["admin"], "credentials: the body must map user names to values"),
        ({"eve": "pw", "admin": 42}, "password of 'admin': must be a string or null"),
        ({"eve": "pw", "a:b": "pw"}, "'a:b' is not a user name"),
    ],
    ids=["not_a_mapping", "password_not_a_string", "bad_user_name"],
)
def test_invalid_credentials_change_nothing(
    state: ServerState, changes: object, message: str
) -> None:
    before = snapshot(state)
    with pytest.raises(DataError, match=message) as raised:
        state.update_credentials(changes)
    assert raised.value.status == 400
    assert snapshot(state) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ("ROLE_ADMIN", "individual roles: the body must map user names to values"),
        ({"admin": None, "user": "ROLE_ADMIN"}, "individual roles of 'user': must be a list"),
        ({"admin": None, "user": ["admin"]}, "is not a role name"),
    ],
    ids=["not_a_mapping", "roles_not_a_list", "bad_role_name"],
)
def test_invalid_roles_change_nothing(state: ServerState, changes: object, message: str) -> None:
    before = snapshot(state)
    with pytest.raises(DataError, match=message) as raised:
        state.update_individual_roles(changes)
    assert raised.value.status == 400
    assert snapshot(state) == before


def test_roles_of_an_unknown_user_are_a_404_that_changes_nothing(state: ServerState) -> None:
    before = snapshot(state)
    with pytest.raises(
        DataError, match="no user named 'ghost': give it credentials first"
    ) as raised:
        state.update_individual_roles({"admin": None, "ghost": ["ROLE_USER"]})
    assert raised.value.status == 404
    assert snapshot(state) == before


def test_passwords_are_never_handed_back(state: ServerState) -> None:
    state.update_credentials({"eve": "eve-secret"})
    answers = json.dumps([state.credentials(), state.individual_roles()])
    for password in ("admin-pass", "user-pass", "eve-secret"):
        assert password not in answers
    assert set(state.credentials().values()) == {REDACTED}


def test_removing_a_user_drops_its_tokens_and_only_its_tokens(state: ServerState) -> None:
    assert state.tokens == {"admin-token": "admin", "user-token": "user"}
    state.update_credentials({"user": None})
    assert state.tokens == {"admin-token": "admin"}
    state.update_credentials({"user": "back"})  # the same name is someone new
    assert state.tokens == {"admin-token": "admin"}
    state.reset()
    assert state.tokens == {"admin-token": "admin", "user-token": "user"}


def test_accounts_and_data_have_locks_of_their_own(state: ServerState) -> None:
    # A heavy data request must not stall authentication: while one thread holds the data
    # lock, security management and its reads go on in another.
    done = threading.Event()

    def manage() -> None:
        state.update_credentials({"eve": "eve-pass"})
        assert "eve" in state.credentials()
        done.set()

    with state.lock:
        worker = threading.Thread(target=manage)
        worker.start()
        assert done.wait(30), "security management waited on the data lock"
    worker.join()
    assert state.lock is not state.security_lock


def test_reprs_of_accounts_never_show_passwords(state: ServerState) -> None:
    state.update_credentials({"eve": "eve-secret"})
    shown = repr(state.accounts) + str(list(state.accounts.values()))
    for password in ("admin-pass", "user-pass", "eve-secret"):
        assert password not in shown
    assert "roles=frozenset({'ROLE_USER'})" in repr(state.accounts["eve"])
