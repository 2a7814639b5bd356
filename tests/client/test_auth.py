"""Credentials (client/_auth.py): never printed."""

from __future__ import annotations

import fakeserver_client as client


def test_credentials_are_never_printed() -> None:
    assert "secret" not in repr(client.BasicAuthentication("u", "secret"))
    assert "secret" not in repr(client.TokenAuthentication("secret"))
