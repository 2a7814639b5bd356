"""The demo target and the one test of its published credentials (``fakeserver.demo``)."""

from __future__ import annotations

from fakeserver import User
from fakeserver.demo import DEMO_TOKENS, DEMO_USERS, demo_config, is_published


def test_the_demo_publishes_every_credential_it_has() -> None:
    security = demo_config().security
    assert security is not None
    assert all(map(is_published, security.users)) and all(map(is_published, security.tokens))
    assert all(map(is_published, DEMO_USERS)) and all(map(is_published, DEMO_TOKENS))


def test_a_user_counts_by_name_and_password_whatever_its_roles() -> None:
    assert is_published(User("admin", "passwd", roles=frozenset({"ROLE_USER"})))
    assert not is_published(User("admin", "long-secret"))
    assert not is_published(User("alice", "passwd"))


def test_a_token_counts_whoever_it_maps_to() -> None:
    assert is_published("t0ken")
    assert not is_published("another-token")
