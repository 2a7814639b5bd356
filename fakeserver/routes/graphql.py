"""``POST /graphql``: the data-model API of atoti-client 0.9.4 and later (SPEC §4.6).

Authentication is the same as every read route's; a write (a mutation) also needs what
every live-extension route needs (SPEC §4.3), checked per field so the refusal comes back
as a GraphQL error that names it. Answers are GraphQL results with status 200, in the
media type the client asked for.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..generations import dialect_for
from ..graphql import run
from ..protocol import GRAPHQL_RESPONSE_TYPE, JSON_CONTENT_TYPE
from ..security import Access, authorize
from .base import Context, json_response

__all__ = ["graphql"]


def graphql(ctx: Context) -> Response:
    body = ctx.json_object()
    answer = run(
        body,
        ctx.state,
        dialect_for(ctx.config.server_version),
        lambda: authorize(Access.ADMIN, ctx.identity, ctx.state),
    )
    accepted = ctx.request.headers.get("Accept", "")
    media_type = GRAPHQL_RESPONSE_TYPE if GRAPHQL_RESPONSE_TYPE in accepted else JSON_CONTENT_TYPE
    return json_response(answer, media_type=media_type)
