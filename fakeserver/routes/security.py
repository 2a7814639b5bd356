"""Security management (SPEC §4.5): basic credentials and individual roles, read and merged.

Changes take effect on the next request; :class:`~fakeserver.state.ServerState` validates
them and never hands a password back.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from .base import Context, json_response

__all__ = ["basic_credentials", "individual_roles"]


def basic_credentials(ctx: Context) -> Response:
    if ctx.request.method == "PUT":
        ctx.state.update_credentials(ctx.json_body())
    return json_response(ctx.state.credentials())


def individual_roles(ctx: Context) -> Response:
    if ctx.request.method == "PUT":
        ctx.state.update_individual_roles(ctx.json_body())
    return json_response(ctx.state.individual_roles())
