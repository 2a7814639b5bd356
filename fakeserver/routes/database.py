"""The ``activeviam/database`` API (SPEC §4.6): listed from server 6.1.11 on.

atoti-client 0.9.8 and later query tables here instead of under the pivot API; the body
and the answer are the pivot API's ``database/data/tables`` ones, read from the same
model, so both paths give the same rows.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from .base import Context
from .data import database_discovery, query_table

__all__ = ["database_api_discovery", "database_api_query"]


def database_api_query(ctx: Context, name: str) -> Response:
    return query_table(ctx, name)


def database_api_discovery(ctx: Context) -> Response:
    return database_discovery(ctx)
