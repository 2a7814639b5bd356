"""Raw HTTP against the fake: Basic headers, and the one error shape every refusal has.

Shared by the tests that speak to a running server with no client logic in the way
(SPEC §4.2: exactly ``application/json``, exactly ``error``, ``path`` and ``status``).
"""

from __future__ import annotations

import base64

import httpx

__all__ = ["ADMIN", "PLAIN", "assert_error", "basic"]


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


#: The headers of ``tests.conftest.SECURITY``'s admin and plain user.
ADMIN = basic("admin", "admin-pass")
PLAIN = basic("user", "user-pass")


def assert_error(response: httpx.Response, status: int, path: str) -> dict[str, object]:
    assert response.status_code == status
    # Exactly this type: the real client only parses errors with it.
    assert response.headers["content-type"] == "application/json"
    body: dict[str, object] = response.json()
    assert set(body) == {"error", "path", "status"}
    assert body["status"] == status and body["path"] == path
    assert "Traceback" not in response.text
    return body
