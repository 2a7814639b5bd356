"""Connecting: the versions listing, ping, the Py4J refusal and the session descriptor.

What a client reads before anything else (SPEC §4.1, §4.4, §4.5): which APIs exist and
where, whether the target answers, and who it says it is.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..errors import FakeHTTPError
from ..generations import dialect_for
from ..protocol import ATOTI_PATH, CONTENT_PATH, DATABASE_PATH
from .base import Context, json_response

__all__ = ["ping", "py4j_configuration", "session_descriptor", "versions"]


def versions(ctx: Context) -> Response:
    apis: dict[str, Any] = {
        "activeviam/pivot": {
            "versions": [
                {
                    "id": i,
                    "restPath": f"/activeviam/pivot/rest/v{i}",
                    "wsPath": f"/activeviam/pivot/ws/v{i}",
                }
                for i in ctx.config.pivot_ids
            ]
        },
        "activeviam/content": {
            "versions": [
                {"id": "8", "restPath": CONTENT_PATH, "wsPath": "/activeviam/content/ws/v8"}
            ]
        },
    }
    if dialect_for(ctx.config.server_version).database_api:
        apis["activeviam/database"] = {"versions": [{"id": "1", "restPath": DATABASE_PATH}]}
    if ctx.config.exposed:
        apis["atoti"] = {"versions": [{"id": "1", "restPath": ATOTI_PATH}]}
    return json_response({"version": 1, "serverVersion": ctx.config.server_version, "apis": apis})


def ping(ctx: Context) -> Response:
    return Response("pong", mimetype="text/plain")


def py4j_configuration(ctx: Context) -> Response:
    # A 200 here would make the real client open a Py4J socket: never answer one.
    raise FakeHTTPError(501, "the live extension (Py4J) is not emulated by fakeserver")


def session_descriptor(ctx: Context) -> Response:
    identity = ctx.identity
    user = (
        None if identity.name is None else {"name": identity.name, "roles": sorted(identity.roles)}
    )
    return json_response(
        {
            "serverVersion": ctx.config.server_version,
            "pythonApiVersion": ctx.config.python_api_version,
            "host": {"id": ctx.host.id, "name": ctx.host.name},
            "security": {"enabled": ctx.config.secured},
            "user": user,
        }
    )
