"""The data-model API atoti-client 0.9.4 and later read over GraphQL (``POST /graphql``).

Knows nothing about HTTP: :func:`run` takes the decoded body and answers the GraphQL
result as plain data. :mod:`.schema` holds the SDL of each dialect, :mod:`.resolvers` the
views of the data model and its writes, :mod:`.execution` the bounds and the execution.
"""

from __future__ import annotations

from .execution import run
from .schema import DATA_TYPES, schema_for, sdl_for

__all__ = ["DATA_TYPES", "run", "schema_for", "sdl_for"]
